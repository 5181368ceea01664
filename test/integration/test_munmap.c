/*
 * Partial munmap of a 5-page private region: the first, the middle and the
 * last page unmapped one at a time. The pages left keep their contents, a
 * child touching any unmapped page dies with SIGSEGV, the VMA list shows
 * the two pieces left, and the counts drop. Unmapping what is not mapped
 * succeeds; length 0 or an unaligned address is EINVAL.
 */
#include "t.h"
#include "mm.h"

int main(void)
{
	struct pager_vma_info v[8];
	volatile char *p;
	int st;

	stack_warm(16);
	p = mmap(NULL, 5 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	for (int i = 0; i < 5; i++)
		page_fill(p + i * PS, (char)(0x10 + i));
	uint64_t vp = virt_pages(), rp = resident(), dp = data_pages();
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 1);

	/* Unmap the first page: one VMA left, pages 1..4 intact. */
	CHECK_EQ(munmap((void *)p, PS), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 1);
	CHECK_EQ(v[0].start, (uintptr_t)p + PS);
	CHECK_EQ(v[0].end, (uintptr_t)p + 5 * PS);

	/* Unmap the middle page: the VMA splits in two. */
	CHECK_EQ(munmap((void *)(p + 2 * PS), PS), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 2);
	CHECK_EQ(v[0].start, (uintptr_t)p + PS);
	CHECK_EQ(v[0].end, (uintptr_t)p + 2 * PS);
	CHECK_EQ(v[1].start, (uintptr_t)p + 3 * PS);
	CHECK_EQ(v[1].end, (uintptr_t)p + 5 * PS);

	/* Unmap the last page: pieces [1] and [3] remain, one resident page each. */
	CHECK_EQ(munmap((void *)(p + 4 * PS), PS), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 2);
	CHECK_EQ(v[0].start, (uintptr_t)p + PS);
	CHECK_EQ(v[0].end, (uintptr_t)p + 2 * PS);
	CHECK_EQ(v[0].resident, 1);
	CHECK_EQ(v[1].start, (uintptr_t)p + 3 * PS);
	CHECK_EQ(v[1].end, (uintptr_t)p + 4 * PS);
	CHECK_EQ(v[1].resident, 1);
	CHECK_EQ(v[0].kind, PVMA_ANON);
	CHECK_EQ(v[1].prot, RW);

	/* Three pages fewer: virtual, resident and data frames. */
	CHECK_EQ(virt_pages(), vp - 3);
	CHECK_EQ(resident(), rp - 3);
	CHECK_EQ(data_pages(), dp - 3);

	/* The remaining pages keep their contents. */
	CHECK(page_is(p + PS, 0x11));
	CHECK(page_is(p + 3 * PS, 0x13));

	/* A child reading or writing any unmapped page dies with SIGSEGV. */
	for (int i = 0; i < 5; i += 2) {
		st = child_access(p + i * PS, ACC_READ);
		CHECK(IS_SEGV(st));
		st = child_access(p + i * PS + PS - 1, ACC_WRITE);
		CHECK(IS_SEGV(st));
	}
	/* ... while a child touching a mapped page lives (control). */
	st = child_access(p + PS, ACC_WRITE);
	CHECK(IS_EXIT(st, 0));
	CHECK(page_is(p + PS, 0x11));		/* the child's write was its own */

	/* Unmapping an unmapped page again succeeds. */
	CHECK_EQ(munmap((void *)p, PS), 0);
	/* A range never mapped at all (just below the region) succeeds too. */
	CHECK_EQ(munmap((void *)(p - 16 * PS), 4 * PS), 0);
	/* Length 0: EINVAL. */
	CHECK_ERR(munmap((void *)(p + PS), 0), EINVAL);
	/* An address not page-aligned: EINVAL, and the page stays. */
	CHECK_ERR(munmap((void *)(p + PS + 8), PS), EINVAL);
	CHECK(page_is(p + PS, 0x11));

	/* One call over the whole range, holes and all, removes what is left. */
	CHECK_EQ(munmap((void *)p, 5 * PS), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 0);
	CHECK_EQ(virt_pages(), vp - 5);
	st = child_access(p + 3 * PS, ACC_READ);
	CHECK(IS_SEGV(st));

	CHECK_EQ(pager_check(), 0);
	return t_done("munmap");
}
