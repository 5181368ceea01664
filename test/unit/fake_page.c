/*
 * fake_page.c - pager/page.c's interface over a malloc'd arena, for host
 * unit tests built with PAGER_HOST_TEST. Frames come from a FIFO of free
 * pfns (kept outside the frames, so their contents are all ours to
 * poison): a fresh frame from page_alloc is filled with FAKE_POISON_ALLOC
 * and a freed one with FAKE_POISON_FREE, so a missing initialisation or a
 * use after free shows up as garbage (FIFO: a freed frame stays poisoned
 * as long as possible). Misuse (ref/unref of a free frame, a
 * pfn outside the arena, a count overflow) aborts.
 *
 * Test-only entry points: fake_page_init(n) makes a fresh arena of n frames
 * (frame 0 included, so pfn 0 is exercised), fake_page_fini() frees it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"

#define FAKE_POISON_ALLOC 0xa5
#define FAKE_POISON_FREE 0x5a

uint8_t *page_host_base;
static uint32_t *refcount;
static uint64_t *free_q;	/* ring of free pfns */
static uint64_t nframes, nfree, q_head;

void fake_page_init(uint64_t n);
void fake_page_fini(void);

static void fake_die(const char *what, uint64_t pfn)
{
	fprintf(stderr, "fake_page: %s (pfn %llu)\n", what, (unsigned long long)pfn);
	abort();
}

void fake_page_init(uint64_t n)
{
	fake_page_fini();
	page_host_base = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);
	refcount = calloc(n, sizeof(*refcount));
	free_q = malloc(n * sizeof(*free_q));
	if (!page_host_base || !refcount || !free_q)
		fake_die("out of host memory", n);
	memset(page_host_base, FAKE_POISON_FREE, n * PAGE_SIZE);
	nframes = nfree = n;
	q_head = 0;
	for (uint64_t i = 0; i < n; i++)	/* pfn 0 goes first */
		free_q[i] = i;
}

void fake_page_fini(void)
{
	free(page_host_base);
	free(refcount);
	free(free_q);
	page_host_base = NULL;
	refcount = NULL;
	free_q = NULL;
	nframes = nfree = q_head = 0;
}

static void check_pfn(uint64_t pfn, const char *what)
{
	if (pfn >= nframes)
		fake_die(what, pfn);
}

int64_t page_alloc(void)
{
	uint64_t pfn;

	if (!nfree)
		return -ERR_NOMEM;
	pfn = free_q[q_head];
	q_head = (q_head + 1) % nframes;
	nfree--;
	if (refcount[pfn])
		fake_die("free frame has references", pfn);
	refcount[pfn] = 1;
	memset(page_va(pfn), FAKE_POISON_ALLOC, PAGE_SIZE);
	return (int64_t)pfn;
}

int64_t page_alloc_zeroed(void)
{
	int64_t pfn = page_alloc();

	if (pfn >= 0)
		page_zero(page_va((uint64_t)pfn));
	return pfn;
}

void page_ref(uint64_t pfn)
{
	check_pfn(pfn, "page_ref out of range");
	if (!refcount[pfn])
		fake_die("page_ref on a free frame", pfn);
	if (refcount[pfn] == UINT32_MAX)
		fake_die("refcount overflow", pfn);
	refcount[pfn]++;
}

void page_unref(uint64_t pfn)
{
	check_pfn(pfn, "page_unref out of range");
	if (!refcount[pfn])
		fake_die("page_unref on a free frame", pfn);
	if (--refcount[pfn])
		return;
	memset(page_va(pfn), FAKE_POISON_FREE, PAGE_SIZE);
	free_q[(q_head + nfree++) % nframes] = pfn;
}

uint32_t page_refcount(uint64_t pfn)
{
	check_pfn(pfn, "page_refcount out of range");
	return refcount[pfn];
}

uint64_t page_free_count(void)
{
	return nfree;
}

uint64_t page_total_count(void)
{
	return nframes;
}

uint64_t page_first(void)
{
	return 0;
}

uint64_t page_end(void)
{
	return nframes;
}

void page_zero(void *va)
{
	memset(va, 0, PAGE_SIZE);
}
