# pager.cmake - host unit tests of the pager's pure logic, included by
# test/unit/CMakeLists.txt (which sets the sanitizer flags and the
# libsys/include directory before including this file).

# The VMA tree against a reference model, plus AVL height bounds.
add_executable(test_vma_tree
	test_vma_tree.c
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager/vma_tree.c)
target_include_directories(test_vma_tree PRIVATE
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager)
add_test(NAME unit.vma_tree COMMAND test_vma_tree)
set_tests_properties(unit.vma_tree PROPERTIES LABELS "unit;pager" TIMEOUT 120)
