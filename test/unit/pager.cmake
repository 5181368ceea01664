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

# The copy-on-write page map against a reference model, over a fake frame
# allocator (fake_page.c) standing in for pager/page.c.
add_executable(test_pagemap
	test_pagemap.c
	test_pagemap_fixed.c
	test_pagemap_model.c
	fake_page.c
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager/pagemap.c)
target_compile_definitions(test_pagemap PRIVATE PAGER_HOST_TEST)
target_include_directories(test_pagemap PRIVATE
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager
	${CMAKE_CURRENT_SOURCE_DIR}/../../libsys/include)
add_test(NAME unit.pagemap COMMAND test_pagemap)
set_tests_properties(unit.pagemap PROPERTIES LABELS "unit;pager" TIMEOUT 300)

# The record pools (the page cache's records) under the sanitizers.
add_executable(test_recpool
	test_recpool.c
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager/recpool.c)
target_include_directories(test_recpool PRIVATE
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager)
add_test(NAME unit.recpool COMMAND test_recpool)
set_tests_properties(unit.recpool PROPERTIES LABELS "unit;pager" TIMEOUT 120)

# The window slots' bitmap (pager/slotmap.h, bserver.c) against a model,
# under the sanitizers.
add_executable(test_slotmap test_slotmap.c)
target_include_directories(test_slotmap PRIVATE
	${CMAKE_CURRENT_SOURCE_DIR}/../../pager)
add_test(NAME unit.slotmap COMMAND test_slotmap)
set_tests_properties(unit.slotmap PROPERTIES LABELS "unit;pager" TIMEOUT 120)
