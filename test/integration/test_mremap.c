/*
 * mremap of private anonymous memory: growing in place when the range
 * after is free (the data stays, the new pages read zero), shrinking (the
 * tail is gone: a child touching it dies with SIGSEGV), growing when the
 * next page is taken (ENOMEM without MREMAP_MAYMOVE, nothing changed), and
 * moving with MREMAP_MAYMOVE (the data comes along, the old range is
 * unmapped, the neighbour that blocked it is untouched).
 */
#include "t.h"
#include "mm.h"

int main(void)
{
	struct pager_vma_info v[4];
	volatile char *p, *b, *n;
	int st;

	stack_warm(16);

	/* 8 pages reserved, the top 4 given back: 4 mapped with free space after. */
	p = mmap(NULL, 8 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(munmap((void *)(p + 4 * PS), 4 * PS), 0);
	for (int i = 0; i < 4; i++)
		page_fill(p + i * PS, (char)(0x40 + i));
	uint64_t vp = virt_pages();

	/* Grow in place from 4 to 8 pages: same address, data kept, new pages zero. */
	n = mremap((void *)p, 4 * PS, 8 * PS, 0);
	CHECK_EQ((uintptr_t)n, (uintptr_t)p);
	CHECK_EQ(virt_pages(), vp + 4);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 8 * PS, v, 4), 1);
	CHECK_EQ(v[0].start, (uintptr_t)p);
	CHECK_EQ(v[0].end, (uintptr_t)p + 8 * PS);
	for (int i = 0; i < 4; i++)
		CHECK(page_is(p + i * PS, (char)(0x40 + i)));
	for (int i = 4; i < 8; i++)
		CHECK(page_is(p + i * PS, 0));
	/* The grown pages are writable. */
	p[7 * PS + 1] = 0x47;
	CHECK_EQ(p[7 * PS + 1], 0x47);

	/* Shrink to 2 pages: same address, the first two pages kept ... */
	n = mremap((void *)p, 8 * PS, 2 * PS, 0);
	CHECK_EQ((uintptr_t)n, (uintptr_t)p);
	CHECK_EQ(virt_pages(), vp - 2);
	CHECK_EQ(vma_at((uintptr_t)p).end, (uintptr_t)p + 2 * PS);
	CHECK(page_is(p, 0x40));
	CHECK(page_is(p + PS, 0x41));
	/* ... and the tail gone: a child reading it dies with SIGSEGV. */
	st = child_access(p + 2 * PS, ACC_READ);
	CHECK(IS_SEGV(st));
	st = child_access(p + 7 * PS + 1, ACC_READ);
	CHECK(IS_SEGV(st));
	CHECK_EQ(munmap((void *)p, 2 * PS), 0);

	/* A 3-page region whose last page is read-only: b[0..2) RW, blocked by b[2]. */
	b = mmap(NULL, 3 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(b != MAP_FAILED);
	page_fill(b, 0x51);
	page_fill(b + PS, 0x52);
	page_fill(b + 2 * PS, 0x53);
	CHECK_EQ(mprotect((void *)(b + 2 * PS), PS, PROT_READ), 0);

	/* Growing b[0..2) to 4 pages without MREMAP_MAYMOVE: ENOMEM, nothing moved. */
	CHECK_ERR(mremap((void *)b, 2 * PS, 4 * PS, 0), ENOMEM);
	CHECK_EQ(vma_at((uintptr_t)b).end, (uintptr_t)b + 2 * PS);
	CHECK(page_is(b, 0x51));

	/* With MREMAP_MAYMOVE: a new address, the data moved, the new part zero. */
	n = mremap((void *)b, 2 * PS, 4 * PS, MREMAP_MAYMOVE);
	CHECK(n != MAP_FAILED);
	CHECK(n != b);
	CHECK_EQ((uintptr_t)n % PS, 0);
	/* [n, n + 4 pages) is mapped RW throughout (as one VMA, or as the moved
	 * part and the grown part side by side). */
	int nv = vmas_in((uintptr_t)n, (uintptr_t)n + 4 * PS, v, 4);
	CHECK(nv >= 1 && nv <= 2);
	CHECK_EQ(v[0].start, (uintptr_t)n);
	CHECK_EQ(v[nv > 0 ? nv - 1 : 0].end, (uintptr_t)n + 4 * PS);
	for (int i = 0; i < nv; i++) {
		CHECK_EQ(v[i].prot, RW);
		CHECK_EQ(v[i].kind, PVMA_ANON);
		CHECK(i == 0 || v[i].start == v[i - 1].end);
	}
	CHECK(page_is(n, 0x51));
	CHECK(page_is(n + PS, 0x52));
	CHECK(page_is(n + 2 * PS, 0));
	CHECK(page_is(n + 3 * PS, 0));
	n[3 * PS] = 1;
	/* The old range is unmapped: a child reading it dies with SIGSEGV ... */
	CHECK_EQ(vmas_in((uintptr_t)b, (uintptr_t)b + 2 * PS, v, 4), 0);
	st = child_access(b, ACC_READ);
	CHECK(IS_SEGV(st));
	st = child_access(b + PS, ACC_READ);
	CHECK(IS_SEGV(st));
	/* ... while the read-only neighbour is as it was. */
	CHECK_EQ(vma_at((uintptr_t)b + 2 * PS).prot, PROT_READ);
	CHECK(page_is(b + 2 * PS, 0x53));

	CHECK_EQ(munmap((void *)n, 4 * PS), 0);
	CHECK_EQ(munmap((void *)(b + 2 * PS), PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("mremap");
}
