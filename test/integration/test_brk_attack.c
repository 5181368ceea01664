/*
 * Issue 7, item 2: brk must act only on the heap it owns. Before the fix,
 * brk resized whatever VMA held the heap's start: after mprotect, munmap
 * or MAP_FIXED on a heap page, sbrk made VMAs overlap (the checker
 * failed), and brk(2^64 - 1) wrapped to 0 and unmapped the caller's text.
 * Each case below is followed by the pager's checker.
 */
#include "t.h"
#include "mm.h"

int brk(void *addr);

static char *heap_top(void)
{
	return sbrk(0);
}

int main(void)
{
	char *base, *p;

	stack_warm(16);
	printf("brk_attack: start\n");	/* stdio's buffers first */
	base = heap_top();
	base = (char *)(((uintptr_t)base + PS - 1) & ~(uintptr_t)(PS - 1));
	CHECK_EQ(brk(base + 4 * PS), 0);
	for (int i = 0; i < 4; i++)
		base[i * PS] = (char)(0x40 + i);

	/* mprotect a heap page, then grow and shrink. */
	CHECK_EQ(mprotect(base + PS, PS, PROT_READ), 0);
	CHECK(sbrk(2 * PS) != (void *)-1);
	CHECK_EQ(pager_check(), 0);
	base[5 * PS] = 5;
	CHECK_EQ(brk(base + 3 * PS), 0);
	CHECK_EQ(pager_check(), 0);
	CHECK(sbrk(2 * PS) != (void *)-1);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(base[0], 0x40);
	CHECK_EQ(base[PS], 0x41);
	CHECK_EQ(base[4 * PS], 0);	/* dropped by the shrink, zero again */

	/* munmap the heap's first page, then grow. */
	CHECK_EQ(munmap(base, PS), 0);
	CHECK(sbrk(2 * PS) != (void *)-1);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(base[2 * PS], 0x42);

	/* MAP_FIXED over the heap's last page, then grow and shrink past it:
	 * the fixed mapping is not the heap's and stays. */
	p = heap_top();
	char *last = (char *)(((uintptr_t)p - 1) & ~(uintptr_t)(PS - 1));
	char *f = mmap(last, PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	CHECK(f == last);
	f[0] = 0x77;
	CHECK(sbrk(2 * PS) != (void *)-1);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(brk(base + 2 * PS), 0);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(f[0], 0x77);
	CHECK(vma_at((uintptr_t)f).kind == PVMA_ANON);
	CHECK_EQ(munmap(f, PS), 0);

	/* A mapping just above the break: growing over it is ENOMEM (Linux). */
	p = heap_top();
	char *above = (char *)(((uintptr_t)p + PS - 1) & ~(uintptr_t)(PS - 1));
	char *m = mmap(above, PS, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == above);
	m[0] = 0x66;
	errno = 0;
	CHECK(sbrk(4 * PS) == (void *)-1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(heap_top(), p);
	CHECK_EQ(m[0], 0x66);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(munmap(m, PS), 0);

	/* brk at the top of the address space: refused, nothing unmapped
	 * (the text still runs: we get to the next line). */
	CHECK_EQ(brk((void *)~(uintptr_t)0), -1);
	CHECK_EQ(brk((void *)(~(uintptr_t)0 - PS)), -1);
	CHECK_EQ(brk((void *)USER_TOP), -1);
	CHECK_EQ(heap_top(), p);
	CHECK_EQ(pager_check(), 0);
	return t_done("brk_attack");
}
