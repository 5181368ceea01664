/*
 * Page frames: every free page of RAM, as the kernel handed it over in the
 * window at PAGER_RAM_VA. A frame is named by its number (pfn) in the
 * window; the pager reaches its contents at page_va(pfn). Frames carry a
 * reference count so one frame can back several mappings (copy-on-write).
 */
#ifndef PAGER_PAGE_H
#define PAGER_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"

void page_init(const struct boot_info *bi, uint64_t reserve_bytes, void **reserved);
/* A frame with reference count 1, contents undefined; -ERR_NOMEM if none. */
int64_t page_alloc(void);
/* n physically contiguous frames, each with reference count 1, contents
 * undefined: the first pfn, or -ERR_NOMEM. Walks the frames: for the rare
 * DMA allocation, not for faults. */
int64_t page_alloc_run(uint64_t n);
/* A zero-filled frame, or -ERR_NOMEM: from the zeroed pool if it has
 * one, else zeroed now. */
int64_t page_alloc_zeroed(void);
/* Up to n zero-filled frames into pfns (the pool's first, taken a ring
 * slot at a time): how many. A fill's frames. */
uint64_t page_alloc_zeroed_run(uint64_t *pfns, uint64_t n);
/* The zeroed pool (zeropool.c fills it at idle): at most PAGE_ZEROED_MAX
 * free frames known to hold zeros. page_zero_one zeroes the free list's
 * next frame into it: false if the list is empty or the pool full. */
#define PAGE_ZEROED_MAX 256
bool page_zero_one(void);
uint64_t page_zeroed_count(void);
#ifndef PAGER_HOST_TEST
/* Inline: faults, fills and window slots take and drop references a
 * page at a time. */
extern uint32_t *page_refcounts;
/* The last reference went: the frame is free again. */
void page_freed(uint64_t pfn);
static inline void page_ref(uint64_t pfn)
{
	page_refcounts[pfn]++;
}
/* Drop a reference; the frame is free again when none remain. */
static inline void page_unref(uint64_t pfn)
{
	if (!--page_refcounts[pfn])
		page_freed(pfn);
}
#else
void page_ref(uint64_t pfn);
void page_unref(uint64_t pfn);
#endif
uint32_t page_refcount(uint64_t pfn);
/* Grow the pager's heap (page_init's reservation) by `pages` frames, the
 * ones just after it, if they are free and the heap stays within
 * 1/PAGE_HEAP_SHARE of the frames: 0 or -ERR_NOMEM. Heap frames have
 * count 1 and are not counted as free. */
#define PAGE_HEAP_SHARE 4
int page_heap_grow(uint64_t pages);
/* The most bytes the heap may span. */
uint64_t page_heap_cap(void);
/* The frames the heap took from the allocator so far: [*lo, *hi). */
void page_heap_frames(uint64_t *lo, uint64_t *hi);
/* Frames the heap has grown into (it never gives them back). */
uint64_t page_heap_pages(void);
uint64_t page_free_count(void);
/* The same, for a check on the fault path without a call. */
extern uint64_t page_nfree;
/* Allocations refused for want of frames, ever: tells a request's ENOMEM
 * that frames ran out from one that hit a limit or found no address. */
extern uint64_t page_alloc_failures;
/* Frames the allocator manages: [page_first(), page_end()). */
uint64_t page_first(void);
uint64_t page_end(void);
uint64_t page_total_count(void);
void page_zero(void *va);

#ifdef PAGER_HOST_TEST
/* Host unit tests: the frames live in an arena the test allocates. */
extern uint8_t *page_host_base;
static inline void *page_va(uint64_t pfn) { return page_host_base + (pfn << PAGE_SHIFT); }
static inline uint64_t page_pfn(const void *va)
{
	return (uint64_t)((const uint8_t *)va - page_host_base) >> PAGE_SHIFT;
}
#else
static inline void *page_va(uint64_t pfn) { return (void *)(PAGER_RAM_VA + (pfn << PAGE_SHIFT)); }
static inline uint64_t page_pfn(const void *va) { return ((uint64_t)va - PAGER_RAM_VA) >> PAGE_SHIFT; }
#endif

#endif
