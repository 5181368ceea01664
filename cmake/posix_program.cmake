# Building plain POSIX C programs (docs/posix.md).
#
# posix_program(NAME SOURCE...): compile unmodified POSIX C sources with
# our toolchain (picolibc and libsys's POSIX layer, the standard headers
# only) into /bin/NAME on the ext2 disk image (the target is disk_NAME, as
# for add_disk_program). Foreign code is not held to our -Werror.
function(posix_program name)
  add_disk_program(${name} ${ARGN})
  target_compile_options(disk_${name} PRIVATE -Wno-error)
endfunction()

# libsys as one archive, for tools/cc (builds outside this tree): every
# libsys object a program links with, linked --whole-archive as the object
# libraries are here, so picolibc's references (_exit, stdout, open,
# environ...) resolve to libsys whatever the order.
add_library(sys_archive STATIC $<TARGET_OBJECTS:sys> $<TARGET_OBJECTS:sys_prog>)
set_target_properties(sys_archive PROPERTIES OUTPUT_NAME sys LINKER_LANGUAGE C
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/libsys)
