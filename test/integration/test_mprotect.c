/*
 * mprotect on a 5-page private region, enforced by the page tables: the
 * middle page made read-only splits the VMA in three (the parent still
 * reads it, a child's write is SIGSEGV), made read-write again merges the
 * three back into one; PROT_NONE stops any access (a child's read is
 * SIGSEGV) and keeps the contents for later; an instruction fetch from a
 * non-executable page is SIGSEGV, and after PROT_EXEC the same code runs.
 * mprotect of an unmapped range is ENOMEM.
 */
#include "t.h"
#include "mm.h"

int main(void)
{
	struct pager_vma_info v[8];
	volatile char *p, *e;
	int st;

	stack_warm(16);
	p = mmap(NULL, 5 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	for (int i = 0; i < 5; i++)
		page_fill(p + i * PS, (char)(0x20 + i));
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 1);

	/* The middle page read-only: three VMAs, RW / R / RW. */
	CHECK_EQ(mprotect((void *)(p + 2 * PS), PS, PROT_READ), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 3);
	CHECK_EQ(v[0].start, (uintptr_t)p);
	CHECK_EQ(v[0].end, (uintptr_t)p + 2 * PS);
	CHECK_EQ(v[0].prot, RW);
	CHECK_EQ(v[1].start, (uintptr_t)p + 2 * PS);
	CHECK_EQ(v[1].end, (uintptr_t)p + 3 * PS);
	CHECK_EQ(v[1].prot, PROT_READ);
	CHECK_EQ(v[1].resident, 1);
	CHECK_EQ(v[2].start, (uintptr_t)p + 3 * PS);
	CHECK_EQ(v[2].end, (uintptr_t)p + 5 * PS);
	CHECK_EQ(v[2].prot, RW);

	/* The parent still reads it. */
	CHECK(page_is(p + 2 * PS, 0x22));
	/* A child writing it dies with SIGSEGV. */
	st = child_access(p + 2 * PS + 5, ACC_WRITE);
	CHECK(IS_SEGV(st));
	/* A child writing the page beside it lives (control). */
	st = child_access(p + 3 * PS, ACC_WRITE);
	CHECK(IS_EXIT(st, 0));
	CHECK(page_is(p + 2 * PS, 0x22));

	/* Back to RW: the three VMAs merge into one, and the page is writable. */
	CHECK_EQ(mprotect((void *)(p + 2 * PS), PS, RW), 0);
	CHECK_EQ(vmas_in((uintptr_t)p, (uintptr_t)p + 5 * PS, v, 8), 1);
	CHECK_EQ(v[0].start, (uintptr_t)p);
	CHECK_EQ(v[0].end, (uintptr_t)p + 5 * PS);
	CHECK_EQ(v[0].prot, RW);
	CHECK_EQ(v[0].resident, 5);
	p[2 * PS + 5] = 0x55;
	CHECK_EQ(p[2 * PS + 5], 0x55);
	p[2 * PS + 5] = 0x22;
	st = child_access(p + 2 * PS, ACC_WRITE);
	CHECK(IS_EXIT(st, 0));

	/* PROT_NONE on the last two pages: a child's read of either is SIGSEGV. */
	CHECK_EQ(mprotect((void *)(p + 3 * PS), 2 * PS, PROT_NONE), 0);
	CHECK_EQ(vma_at((uintptr_t)p + 4 * PS).prot, PROT_NONE);
	st = child_access(p + 3 * PS, ACC_READ);
	CHECK(IS_SEGV(st));
	st = child_access(p + 5 * PS - 1, ACC_READ);
	CHECK(IS_SEGV(st));
	/* Made readable again, the contents are still there. */
	CHECK_EQ(mprotect((void *)(p + 3 * PS), 2 * PS, PROT_READ), 0);
	CHECK(page_is(p + 3 * PS, 0x23));
	CHECK(page_is(p + 4 * PS, 0x24));
	st = child_access(p + 4 * PS, ACC_WRITE);
	CHECK(IS_SEGV(st));

	/* An instruction fetch from an RW (non-exec) page holding `ret`: SIGSEGV. */
	e = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(e != MAP_FAILED);
	*(volatile uint32_t *)e = RET_INSN;
	st = child_access(e, ACC_EXEC);
	CHECK(IS_SEGV(st));
	/* With PROT_READ|PROT_EXEC it runs, in the parent and in a child. */
	CHECK_EQ(mprotect((void *)e, PS, PROT_READ | PROT_EXEC), 0);
	__asm__ volatile("fence.i" ::: "memory");
	((void (*)(void))(uintptr_t)e)();
	st = child_access(e, ACC_EXEC);
	CHECK(IS_EXIT(st, 0));
	/* ... and it is no longer writable. */
	st = child_access(e, ACC_WRITE);
	CHECK(IS_SEGV(st));
	/* Execute taken away again: a fetch is SIGSEGV once more. */
	CHECK_EQ(mprotect((void *)e, PS, PROT_READ), 0);
	st = child_access(e, ACC_EXEC);
	CHECK(IS_SEGV(st));
	CHECK_EQ(*(volatile uint32_t *)e, RET_INSN);

	/* mprotect of an unmapped range: ENOMEM. */
	CHECK_EQ(munmap((void *)e, PS), 0);
	CHECK_ERR(mprotect((void *)e, PS, PROT_READ), ENOMEM);
	/* A range only partly mapped (the unmapped page below the region and
	 * its first page): ENOMEM. */
	CHECK_ERR(mprotect((void *)(p - PS), 2 * PS, PROT_READ), ENOMEM);

	CHECK_EQ(munmap((void *)p, 5 * PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("mprotect");
}
