/*
 * The frame allocator: a free list threaded through the free frames
 * themselves (they are all mapped in the window), and a reference count per
 * frame. The first frames of the window are the pager's own image, stack
 * and boot information (boot_info.ram_used); a reservation after them is
 * the pager's heap.
 */
#include <stddef.h>
#include "page.h"

struct free_frame { struct free_frame *next; };

static struct free_frame *free_list;
static uint64_t nfree, ntotal;
static uint16_t *refcount;	/* one per frame in the window */
static uint64_t first_frame, end_frame;

void page_init(const struct boot_info *bi, uint64_t reserve_bytes, void **reserved)
{
	uint64_t nframes = bi->ram_size >> PAGE_SHIFT;
	uint64_t first = (bi->ram_used + PAGE_SIZE - 1) >> PAGE_SHIFT;

	/* The reference counts, then the reservation, come off the front. */
	refcount = page_va(first);
	first += (nframes * sizeof(uint16_t) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	*reserved = page_va(first);
	first += (reserve_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	first_frame = first;
	end_frame = nframes;
	for (uint64_t pfn = nframes; pfn-- > first;) {
		struct free_frame *f = page_va(pfn);
		f->next = free_list;
		free_list = f;
		refcount[pfn] = 0;
	}
	nfree = ntotal = nframes - first;
}

int64_t page_alloc(void)
{
	struct free_frame *f = free_list;
	uint64_t pfn;

	if (!f)
		return -ERR_NOMEM;
	free_list = f->next;
	nfree--;
	pfn = page_pfn(f);
	refcount[pfn] = 1;
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
	refcount[pfn]++;
}

void page_unref(uint64_t pfn)
{
	struct free_frame *f;

	if (--refcount[pfn])
		return;
	f = page_va(pfn);
	f->next = free_list;
	free_list = f;
	nfree++;
}

uint32_t page_refcount(uint64_t pfn)
{
	return refcount[pfn];
}

uint64_t page_first(void)
{
	return first_frame;
}

uint64_t page_end(void)
{
	return end_frame;
}

uint64_t page_free_count(void)
{
	return nfree;
}

uint64_t page_total_count(void)
{
	return ntotal;
}

/* 4 KiB of zeros, 512 bytes per iteration: the cost of every new page,
 * so the loop overhead is kept to 1/32 of the stores. */
void page_zero(void *va)
{
	uint64_t *p = va, *end = p + PAGE_SIZE / 8;

	for (; p < end; p += 64) {
#pragma GCC unroll 64
		for (int i = 0; i < 64; i++)
			p[i] = 0;
	}
}

int64_t page_alloc_run(uint64_t n)
{
	uint64_t start = first_frame, len = 0, pfn, taken = 0;
	struct free_frame **link;

	if (n == 0 || n > nfree)
		return -ERR_NOMEM;
	/* The lowest run of n free frames (free: reference count 0). */
	for (pfn = first_frame; pfn < end_frame && len < n; pfn++) {
		if (refcount[pfn]) {
			len = 0;
			start = pfn + 1;
		} else {
			len++;
		}
	}
	if (len < n)
		return -ERR_NOMEM;
	/* Take them off the free list, in one pass over it. */
	for (link = &free_list; *link && taken < n;) {
		pfn = page_pfn(*link);
		if (pfn >= start && pfn < start + n) {
			*link = (*link)->next;
			taken++;
		} else
			link = &(*link)->next;
	}
	for (pfn = start; pfn < start + n; pfn++)
		refcount[pfn] = 1;
	nfree -= n;
	return (int64_t)start;
}
