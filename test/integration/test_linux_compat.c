/*
 * Issue 7: the differences from Linux, removed. Each case failed before:
 *  - mremap with MREMAP_FIXED | MREMAP_MAYMOVE moves (and resizes) to the
 *    given address, replacing what was there (was EINVAL);
 *  - MAP_FIXED below 64 KiB is EPERM (mmap_min_addr), a hint there moves;
 *  - a hint inside the guard gap below the stack moves;
 *  - a MAP_FIXED | MAP_POPULATE that cannot succeed leaves the old mapping.
 */
#include "t.h"
#include "mm.h"

static void remap_fixed(void)
{
	/* b: 3 pages at the start of a 16-page area, a: 2 pages at its end. */
	char *b = mmap(NULL, 16 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(b != MAP_FAILED);
	char *a = b + 12 * PS;
	CHECK_EQ(munmap(b + 3 * PS, 9 * PS), 0);
	CHECK_EQ(munmap(a + 2 * PS, 2 * PS), 0);
	page_fill(a, 0x11);
	page_fill(a + PS, 0x12);
	page_fill(b, 0x55);
	/* Grow 2 -> 4 pages onto b, which is replaced. */
	char *r = mremap(a, 2 * PS, 4 * PS, MREMAP_MAYMOVE | MREMAP_FIXED, b);
	CHECK(r == b);
	CHECK(page_is(b, 0x11));
	CHECK(page_is(b + PS, 0x12));
	CHECK(page_is(b + 2 * PS, 0));
	CHECK(page_is(b + 3 * PS, 0));
	CHECK(vma_at((uintptr_t)a).start == 0);	/* the old range is gone */
	CHECK(child_access(a, ACC_READ) != 0);
	/* Shrink while moving back. */
	r = mremap(b, 4 * PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED, a);
	CHECK(r == a);
	CHECK(page_is(a, 0x11));
	CHECK(vma_at((uintptr_t)b).start == 0);
	/* Errors as Linux gives them. */
	CHECK_ERR(mremap(a, PS, PS, MREMAP_FIXED, b), EINVAL);	/* without MAYMOVE */
	CHECK_ERR(mremap(a, PS, 2 * PS, MREMAP_MAYMOVE | MREMAP_FIXED, a), EINVAL);	/* overlap */
	CHECK_ERR(mremap(a, PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED, b + 1), EINVAL);
	CHECK_ERR(mremap(a, PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x2000), EPERM);
	CHECK_EQ(munmap(a, PS), 0);
	CHECK_EQ(pager_check(), 0);
}

static void min_addr(void)
{
	CHECK_ERR(mmap((void *)0x1000, PS, RW, ANON_PRIV | MAP_FIXED, -1, 0), EPERM);
	CHECK_ERR(mmap((void *)0x8000, PS, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0), EPERM);
	char *h = mmap((void *)0x2000, PS, RW, ANON_PRIV, -1, 0);
	CHECK(h != MAP_FAILED && (uintptr_t)h >= 0x10000);
	CHECK_EQ(munmap(h, PS), 0);
}

static void guard_gap(void)
{
	struct pager_vma_info v[64];
	int64_t n = vmas_in(0, ~0ul, v, 64);
	uint64_t stack = 0;

	for (int64_t i = 0; i < n; i++)
		if (v[i].kind == PVMA_STACK)
			stack = v[i].start;
	CHECK(stack != 0);
	char *want = (char *)(stack - 4 * PS);
	char *h = mmap(want, PS, RW, ANON_PRIV, -1, 0);
	CHECK(h != MAP_FAILED && h != want);
	CHECK((uintptr_t)h + PS <= stack - PROC_STACK_GUARD || (uintptr_t)h >= stack);
	CHECK_EQ(munmap(h, PS), 0);
	/* A hint clear of the gap is honoured. */
	want = (char *)(stack - PROC_STACK_GUARD - 16 * PS);
	h = mmap(want, PS, RW, ANON_PRIV, -1, 0);
	CHECK(h == want);
	CHECK_EQ(munmap(h, PS), 0);
}

static void fixed_populate(void)
{
	char *old = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(old != MAP_FAILED);
	for (int i = 0; i < 4; i++)
		page_fill(old + i * PS, (char)(0x21 + i));
	uint64_t f = free_pages();
	/* More than is free, over the old mapping: refused, the old one stays. */
	CHECK_ERR(mmap(old, (f + 64) * PS, RW, ANON_PRIV | MAP_FIXED | MAP_POPULATE, -1, 0), ENOMEM);
	for (int i = 0; i < 4; i++)
		CHECK(page_is(old + i * PS, (char)(0x21 + i)));
	/* One that fits replaces it, populated. */
	char *r = mmap(old, 2 * PS, RW, ANON_PRIV | MAP_FIXED | MAP_POPULATE, -1, 0);
	CHECK(r == old);
	CHECK(page_is(old, 0));
	CHECK(page_is(old + 2 * PS, 0x23));
	CHECK_EQ(munmap(old, 4 * PS), 0);
	CHECK_EQ(pager_check(), 0);
}

int main(void)
{
	stack_warm(32);
	remap_fixed();
	min_addr();
	guard_gap();
	fixed_populate();
	return t_done("linux_compat");
}
