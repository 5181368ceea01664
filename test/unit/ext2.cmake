# ext2.cmake - host unit tests of the ext2 engine (servers/fs), included by
# test/unit/CMakeLists.txt (sanitizer flags and libsys/include set there).
# Each test makes its images with mke2fs -d at run time, in its own folder,
# and checks every written image with e2fsck -fn and debugfs.
set(FS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/../../servers/fs)
find_program(MKE2FS mke2fs PATHS /sbin /usr/sbin)
find_program(E2FSCK e2fsck PATHS /sbin /usr/sbin)
find_program(DEBUGFS debugfs PATHS /sbin /usr/sbin)
set(E2FS_ARGS)
if(MKE2FS AND E2FSCK AND DEBUGFS)
	set(E2FS_ARGS mke2fs=${MKE2FS} e2fsck=${E2FSCK} debugfs=${DEBUGFS})
else()
	# Without images these tests would check next to nothing: they fail,
	# saying why (tools/setup.sh installs e2fsprogs), rather than pass.
	message(WARNING "e2fsprogs (mke2fs, e2fsck, debugfs) not found: the unit.ext2_* tests will fail")
endif()

add_library(ext2_host STATIC
	${FS_DIR}/super.c ${FS_DIR}/cache.c ${FS_DIR}/alloc.c
	${FS_DIR}/inode.c ${FS_DIR}/bmap.c ${FS_DIR}/file.c
	${FS_DIR}/dir.c ${FS_DIR}/namei.c ${FS_DIR}/rename.c
	${FS_DIR}/check.c ${FS_DIR}/trial.c
	${FS_DIR}/async.c)
target_include_directories(ext2_host PUBLIC ${FS_DIR})

# name: the test is unit.ext2_<name>, from test_ext2_<name>.c
foreach(name read write names enospc damaged ioerr async model)
	add_executable(test_ext2_${name} test_ext2_${name}.c)
	target_link_libraries(test_ext2_${name} PRIVATE ext2_host)
	set(work ${CMAKE_CURRENT_BINARY_DIR}/data/ext2_${name})
	file(MAKE_DIRECTORY ${work})
	if(E2FS_ARGS)
		add_test(NAME unit.ext2_${name} COMMAND test_ext2_${name} ${E2FS_ARGS}
			WORKING_DIRECTORY ${work})
	else()
		add_test(NAME unit.ext2_${name} COMMAND sh -c
			"echo 'FAILED: unit.ext2_${name}: e2fsprogs (mke2fs, e2fsck, debugfs) not found; run tools/setup.sh'; exit 1")
	endif()
	set_tests_properties(unit.ext2_${name} PROPERTIES
		LABELS "unit;fs" TIMEOUT 300)
endforeach()
