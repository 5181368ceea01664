/*
 * A seeded random-operation test of the pager: mmap (fixed, no-replace,
 * hinted; private or shared; any rights; sometimes populated), munmap,
 * mprotect, mremap (fixed moves that grow or shrink), madvise, brk,
 * writes, reads, fork with a child that checks, writes, unmaps and drops
 * pages (none of which the parent may see), and exit, on
 * random page ranges of a 64-page window and the heap. A model says what
 * every page must hold (three bytes of it); the pager's checker runs
 * after every operation.
 *
 *   init=test_random [SEED [COUNT]]     (defaults: 1 and 20000)
 *
 * prints its seed first, so a failing run can be repeated exactly.
 */
#include <stdbool.h>
#include <stdlib.h>
#include "t.h"
#include "mm.h"

int brk(void *addr);

#define WIN_PAGES	64
#define WIN_BASE	0x2000000000ul
#define HEAP_MAX	32

struct page_model {
	bool mapped, shared;
	int prot;
	uint8_t val;		/* bytes 0, 2048 and 4095 of the page */
};

static struct page_model win[WIN_PAGES];
static uint8_t heap_val[HEAP_MAX];
static uint64_t heap_pages;	/* pages above heap_base */
static char *heap_base;
static uint64_t rng;
static long step;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dull) % n;
}

static volatile char *page_at(uint64_t i)
{
	return (volatile char *)(WIN_BASE + i * PS);
}

static void put(volatile char *p, uint8_t v)
{
	p[0] = (char)v;
	p[2048] = (char)v;
	p[4095] = (char)v;
}

static bool holds(volatile char *p, uint8_t v)
{
	return (uint8_t)p[0] == v && (uint8_t)p[2048] == v && (uint8_t)p[4095] == v;
}

static void fail(const char *what, uint64_t i)
{
	printf("FAIL: random: step %ld: %s (page %llu)\n", step, what, (unsigned long long)i);
	t_failures++;
}

/* Every readable page as the model says. */
static bool verify_all(void)
{
	for (uint64_t i = 0; i < WIN_PAGES; i++)
		if (win[i].mapped && (win[i].prot & PROT_READ) && !holds(page_at(i), win[i].val)) {
			fail("window page content", i);
			return false;
		}
	for (uint64_t i = 0; i < heap_pages; i++)
		if (!holds(heap_base + i * PS, heap_val[i])) {
			fail("heap page content", i);
			return false;
		}
	return true;
}

static void set_range(uint64_t s, uint64_t n, bool mapped, bool shared, int prot)
{
	for (uint64_t i = s; i < s + n; i++)
		win[i] = (struct page_model){ mapped, shared, prot, 0 };
}

static bool all_mapped(uint64_t s, uint64_t n)
{
	for (uint64_t i = s; i < s + n; i++)
		if (!win[i].mapped)
			return false;
	return true;
}

static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };

static void op_mmap(uint64_t s, uint64_t n)
{
	bool shared = rnd(4) == 0;
	int prot = prots[rnd(4)];
	int flags = (shared ? ANON_SHARED : ANON_PRIV) | (rnd(4) == 0 ? MAP_POPULATE : 0);
	uint64_t how = rnd(3);
	char *want = (char *)page_at(s);

	if (how == 0) {		/* MAP_FIXED: replaces */
		if (mmap(want, n * PS, prot, flags | MAP_FIXED, -1, 0) != want)
			return fail("mmap fixed", s);
		set_range(s, n, true, shared, prot);
	} else if (how == 1) {	/* MAP_FIXED_NOREPLACE: EEXIST over anything */
		bool free_range = true;
		for (uint64_t i = s; i < s + n; i++)
			free_range &= !win[i].mapped;
		char *r = mmap(want, n * PS, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
		if (free_range ? r != want : (r != MAP_FAILED || errno != EEXIST))
			return fail("mmap noreplace", s);
		if (free_range)
			set_range(s, n, true, shared, prot);
	} else {		/* a hint: taken only if free, else elsewhere */
		char *r = mmap(want, n * PS, prot, flags, -1, 0);
		if (r == MAP_FAILED)
			return fail("mmap hint", s);
		if (r == want)
			set_range(s, n, true, shared, prot);
		else if (munmap(r, n * PS) < 0)
			return fail("munmap of a moved hint", s);
	}
}

static void op_mprotect(uint64_t s, uint64_t n)
{
	int prot = prots[rnd(4)];
	int r = mprotect((void *)page_at(s), n * PS, prot);

	if (!all_mapped(s, n)) {
		if (r != -1 || errno != ENOMEM)
			fail("mprotect of a hole", s);
		return;
	}
	if (r < 0)
		return fail("mprotect", s);
	for (uint64_t i = s; i < s + n; i++)
		win[i].prot = prot;
}

static void op_madvise(uint64_t s, uint64_t n)
{
	int r = madvise((void *)page_at(s), n * PS, MADV_DONTNEED);

	if (!all_mapped(s, n)) {
		if (r != -1 || errno != ENOMEM)
			fail("madvise of a hole", s);
		return;
	}
	if (r < 0)
		return fail("madvise", s);
	for (uint64_t i = s; i < s + n; i++)
		if (!win[i].shared)
			win[i].val = 0;
}

/* Move one mapped page to a free place in the window, growing it to n
 * pages (new pages read zero), or shrinking nothing. */
static void op_mremap(uint64_t s, uint64_t n)
{
	uint64_t d = rnd(WIN_PAGES - n + 1);

	if (!win[s].mapped || (d <= s && s < d + n))
		return;
	char *r = mremap((void *)page_at(s), PS, n * PS, MREMAP_MAYMOVE | MREMAP_FIXED,
			 (void *)page_at(d));
	if (r != (char *)page_at(d))
		return fail("mremap fixed", s);
	struct page_model m = win[s];
	win[s] = (struct page_model){ 0 };
	set_range(d, n, true, m.shared, m.prot);
	win[d].val = m.val;
}

static void op_brk(void)
{
	uint64_t n = rnd(HEAP_MAX + 1);

	if (brk(heap_base + n * PS) < 0)
		return fail("brk", n);
	for (uint64_t i = heap_pages; i < n; i++)
		heap_val[i] = 0;
	heap_pages = n;
}

static void op_write(uint64_t s)
{
	uint8_t v = (uint8_t)(1 + rnd(255));

	if (win[s].mapped && win[s].prot & PROT_WRITE) {
		put(page_at(s), v);
		win[s].val = v;
	}
	if (heap_pages) {
		uint64_t h = rnd(heap_pages);
		put(heap_base + h * PS, v);
		heap_val[h] = v;
	}
}

/* A child checks everything, writes its private pages, checks them and
 * exits; the parent must see none of that. */
static void op_fork(void)
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		bool ok = verify_all();
		for (uint64_t i = 0; i < WIN_PAGES; i++)
			if (win[i].mapped && !win[i].shared && (win[i].prot & PROT_WRITE))
				put(page_at(i), (uint8_t)(win[i].val ^ 0xff));
		for (uint64_t i = 0; i < WIN_PAGES; i++)
			if (win[i].mapped && !win[i].shared && (win[i].prot & PROT_WRITE))
				ok &= holds(page_at(i), (uint8_t)(win[i].val ^ 0xff));
		/* Unmapping and dropping in the child leave the parent alone. */
		uint64_t s = rnd(WIN_PAGES / 2);
		ok &= munmap((void *)page_at(s), (WIN_PAGES / 4) * PS) == 0;
		if (heap_pages)
			ok &= madvise(heap_base, heap_pages * PS, MADV_DONTNEED) == 0;
		_exit(ok ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !IS_EXIT(st, 0))
		fail("forked child", (uint64_t)st);
	verify_all();
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	long count = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;

	printf("random: seed %llu, %ld operations\n", (unsigned long long)seed, count);
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	heap_base = sbrk(0);
	heap_base = (char *)(((uintptr_t)heap_base + PS - 1) & ~(uintptr_t)(PS - 1));
	if (brk(heap_base) < 0)
		fail("brk to a page", 0);
	for (step = 0; step < count && !t_failures; step++) {
		uint64_t n = 1 + rnd(rnd(4) ? 4 : 16);
		uint64_t s = rnd(WIN_PAGES - n + 1);
		switch (rnd(16)) {
		case 0: case 1: case 2:
			op_mmap(s, n);
			break;
		case 3: case 4:
			if (munmap((void *)page_at(s), n * PS) < 0)
				fail("munmap", s);
			set_range(s, n, false, false, 0);
			break;
		case 5: case 6:
			op_mprotect(s, n);
			break;
		case 7:
			op_madvise(s, n);
			break;
		case 8:
			op_mremap(s, n);
			break;
		case 9:
			op_brk();
			break;
		case 10: case 11: case 12: case 13:
			op_write(s);
			break;
		case 14:
			if (rnd(8) == 0)
				op_fork();
			else
				verify_all();
			break;
		case 15:
			verify_all();
			break;
		}
		if (pager_check() != 0)
			fail("pager check", 0);
		if (step % 5000 == 4999)
			printf("random: %ld operations\n", step + 1);
	}
	verify_all();
	return t_done("random");
}
