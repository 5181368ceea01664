# tools/trace/tracefmt.c, the host-side reader of apps/trace's log, under
# ASan/UBSan: well-formed logs, console noise, and malformed lines.
add_executable(test_tracefmt test_tracefmt.c ${ROOT}/tools/trace/tracefmt.c)
target_include_directories(test_tracefmt PRIVATE ${ROOT}/tools/trace)
add_test(NAME unit.tracefmt COMMAND test_tracefmt)
set_tests_properties(unit.tracefmt PROPERTIES LABELS "unit;tools")
