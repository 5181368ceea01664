# fsd.cmake - host unit tests of the file server's pure checks, included by
# test/unit/CMakeLists.txt (sanitizer flags and libsys/include set there).

# The run table of a scattered write-back (servers/fsd/wb_runs.c).
add_executable(test_wb_runs test_wb_runs.c ${ROOT}/servers/fsd/wb_runs.c)
target_include_directories(test_wb_runs PRIVATE ${ROOT}/servers/fsd ${ROOT}/servers/fs)
add_test(NAME unit.wb_runs COMMAND test_wb_runs)
set_tests_properties(unit.wb_runs PROPERTIES LABELS "unit;fs")
