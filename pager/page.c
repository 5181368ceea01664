/*
 * The frame allocator: a free list threaded through the free frames
 * themselves (they are all mapped in the window), and a reference count per
 * frame. The first frames of the window are the pager's own image, stack
 * and boot information (boot_info.ram_used); then the counts, then the
 * pager's heap, which grows upwards into free frames (page_heap_grow).
 * Frames are handed out from the top of the window down (2 MiB blocks, each
 * in ascending order), so the heap finds
 * free frames above it for as long as memory is not all in use; the list
 * is doubly linked so the heap can take a given frame out of it.
 *
 * A free frame is on that list or in the zeroed pool: frames zeroed ahead
 * of need while the hart was idle (zeropool.c), in a ring that hands them
 * out in the order they left the list, so pages touched in sequence still
 * get ascending frames. Pool frames count as free (reference count 0,
 * page_free_count) and go to any allocation once the list is empty.
 */
#include <stdbool.h>
#include <stddef.h>
#include "page.h"
#include "zeropool.h"

/* prev is exact for every frame but the head, whose prev may be stale:
 * page_alloc does not clear it (one store less per allocation), and
 * free_unlink tests for the head by comparing with free_list. A freed
 * frame in the low zone, the eighth of the window just after the heap,
 * goes to the tail, so data keeps away from where the heap grows and
 * those frames are handed out only when the others are gone. */
struct free_frame { struct free_frame *next, *prev; };

static struct free_frame *free_list, *free_tail;
static uint64_t low_zone_end;	/* frames below it are freed to the tail */
uint64_t page_nfree;
uint64_t page_alloc_failures;
#define nfree page_nfree
static uint64_t ntotal;
/* One per frame in the window. 32 bits: a count is one per map whose
 * root the frame is, plus one per node entry naming it (the pager's IPC
 * buffer and heap frames have 1). Maps are objects: at most MAX_PROCS x
 * the VMA cap, < 2^24. Entries are at most 512 per node frame, and node
 * frames are at most all frames, so a count stays below 2^24 + 2^9 x
 * frames: under 2^31 + 2^24 < 2^32 for RAM up to 16 GiB (2^22 frames), 8
 * times what the tests boot with; page_init uses no more frames than that. A
 * 16-bit count wrapped (issue 7). */
uint32_t *page_refcounts;
#define PAGE_MAX_FRAMES (1ul << 22)
static uint64_t first_frame, end_frame;
static uint64_t heap_lo, heap_hi;	/* the pager's heap: [heap_lo, heap_hi) */
/* The most the heap may grow to. The heap never gives frames back (the
 * allocator cannot shrink it), so without a cap a flood of metadata
 * (processes at their VMA cap, forked again and again) turned almost all
 * of RAM into heap for good: 166 frames of 30,509 were left once the
 * processes had ended (issue 7). With it, data keeps at least 3/4. */
static uint64_t heap_max;

/* The zeroed pool: a ring of pfns, zp_n of them from zp_head. */
static uint32_t zp_ring[PAGE_ZEROED_MAX];
static uint32_t zp_head, zp_n;

static void free_push(struct free_frame *f)
{
	f->next = free_list;
	if (free_list)
		free_list->prev = f;
	else
		free_tail = f;
	free_list = f;
	nfree++;
}

static void free_append(struct free_frame *f)
{
	if (!free_list) {
		free_push(f);
		return;
	}
	f->next = NULL;
	f->prev = free_tail;
	free_tail->next = f;
	free_tail = f;
	nfree++;
}

static void free_unlink(struct free_frame *f)
{
	bool head = f == free_list;

	if (head)
		free_list = f->next;
	else
		f->prev->next = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		free_tail = head ? NULL : f->prev;
	nfree--;
}

static uint64_t zp_take(void)
{
	uint64_t pfn = zp_ring[zp_head];

	zp_head = (zp_head + 1) % PAGE_ZEROED_MAX;
	zp_n--;
	nfree--;
	return pfn;
}

/* Take pfn out of the pool if it is there (the heap or a DMA run wants
 * that very frame): true if it was. The last frame fills its slot. */
static bool zp_remove(uint64_t pfn)
{
	for (uint32_t i = 0; i < zp_n; i++) {
		uint32_t slot = (zp_head + i) % PAGE_ZEROED_MAX;
		if (zp_ring[slot] == pfn) {
			zp_ring[slot] = zp_ring[(zp_head + zp_n - 1) % PAGE_ZEROED_MAX];
			zp_n--;
			nfree--;
			return true;
		}
	}
	return false;
}

/* Off the free list or out of the pool, wherever the free frame is. */
static void free_take(uint64_t pfn)
{
	if (!zp_n || !zp_remove(pfn))
		free_unlink(page_va(pfn));
}

void page_init(const struct boot_info *bi, uint64_t reserve_bytes, void **reserved)
{
	/* Frames past 2^22 (16 GiB) are left unused: that keeps every
	 * reference count below 2^32 (see page_refcounts above). */
	uint64_t nframes = (bi->ram_size >> PAGE_SHIFT) < PAGE_MAX_FRAMES ?
			   bi->ram_size >> PAGE_SHIFT : PAGE_MAX_FRAMES;
	uint64_t first = (bi->ram_used + PAGE_SIZE - 1) >> PAGE_SHIFT;

	/* The reference counts, then the heap's first part, come off the front. */
	page_refcounts = page_va(first);
	first += (nframes * sizeof(uint32_t) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	*reserved = page_va(first);
	heap_lo = first;
	first += (reserve_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	heap_hi = first;
	first_frame = first;
	end_frame = nframes;
	heap_max = heap_lo + (nframes - heap_lo) / PAGE_HEAP_SHARE;
	low_zone_end = first + (nframes - first) / 8;
	/* The top 2 MiB block is handed out first, each block in ascending
	 * order: the heap keeps free frames above it, and pages touched in
	 * sequence get consecutive frames, which fault-around maps as one run
	 * (policy_resident.c). So push the blocks bottom first, each from its
	 * top frame down. */
	for (uint64_t blk = first & ~511ul; blk < nframes; blk += 512) {
		uint64_t lo = blk < first ? first : blk;
		uint64_t hi = blk + 512 < nframes ? blk + 512 : nframes;
		for (uint64_t pfn = hi; pfn-- > lo;) {
			page_refcounts[pfn] = 0;
			free_push(page_va(pfn));
		}
	}
	ntotal = nframes - first;
}

int page_heap_grow(uint64_t pages)
{
	if (pages > end_frame - heap_hi || heap_hi + pages > heap_max)
		return -ERR_NOMEM;
	for (uint64_t pfn = heap_hi; pfn < heap_hi + pages; pfn++)
		if (page_refcounts[pfn])
			return -ERR_NOMEM;	/* in use: the heap cannot pass it */
	for (uint64_t pfn = heap_hi; pfn < heap_hi + pages; pfn++) {
		free_take(pfn);
		page_refcounts[pfn] = 1;	/* the heap's; page_heap_frames says which */
	}
	heap_hi += pages;
	return 0;
}

uint64_t page_heap_cap(void)
{
	return (heap_max - heap_lo) << PAGE_SHIFT;
}

uint64_t page_heap_pages(void)
{
	return heap_hi - first_frame;
}

void page_heap_frames(uint64_t *lo, uint64_t *hi)
{
	*lo = first_frame;	/* the first part was never a counted frame */
	*hi = heap_hi;
}

int64_t page_alloc(void)
{
	struct free_frame *f = free_list;
	uint64_t pfn;

	if (!f) {
		if (zp_n) {	/* the last free frames are zeroed ones */
			pfn = zp_take();
			page_refcounts[pfn] = 1;
			return (int64_t)pfn;
		}
		page_alloc_failures++;
		return -ERR_NOMEM;
	}
	free_list = f->next;
	nfree--;
	pfn = page_pfn(f);
	page_refcounts[pfn] = 1;
	return (int64_t)pfn;
}

int64_t page_alloc_zeroed(void)
{
	struct free_frame *f;
	int64_t pfn;

	if (zp_n) {
		pfn = (int64_t)zp_take();
		page_refcounts[pfn] = 1;
	} else if ((f = free_list)) {		/* page_alloc's pop, inline: the cold fault's path */
		free_list = f->next;
		nfree--;
		pfn = (int64_t)page_pfn(f);
		page_refcounts[pfn] = 1;
		page_zero(f);
	} else {
		pfn = page_alloc();	/* fails: nothing free */
	}
	zeropool_used();
	return pfn;
}

uint64_t page_alloc_zeroed_run(uint64_t *pfns, uint64_t n)
{
	uint64_t k = n < zp_n ? n : zp_n;
	uint32_t head = zp_head;

	for (uint64_t i = 0; i < k; i++) {	/* the pool first, inline */
		uint64_t pfn = zp_ring[(head + i) % PAGE_ZEROED_MAX];
		page_refcounts[pfn] = 1;
		pfns[i] = pfn;
	}
	zp_head = (uint32_t)((head + k) % PAGE_ZEROED_MAX);
	zp_n -= (uint32_t)k;
	nfree -= k;
	for (int64_t pfn; k < n && (pfn = page_alloc_zeroed()) >= 0; k++)
		pfns[k] = (uint64_t)pfn;
	zeropool_used();
	return k;
}

bool page_zero_one(void)
{
	struct free_frame *f = free_list;
	uint64_t pfn;

	if (!f || zp_n == PAGE_ZEROED_MAX)
		return false;
	free_list = f->next;
	pfn = page_pfn(f);
	page_zero(f);
	zp_ring[(zp_head + zp_n) % PAGE_ZEROED_MAX] = (uint32_t)pfn;
	zp_n++;
	return true;
}

uint64_t page_zeroed_count(void)
{
	return zp_n;
}

void page_freed(uint64_t pfn)
{
	if (pfn < low_zone_end)
		free_append(page_va(pfn));
	else
		free_push(page_va(pfn));
}

uint32_t page_refcount(uint64_t pfn)
{
	return page_refcounts[pfn];
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
	uint64_t *p = va;

	/* A count, not an end pointer: GCC then adds no overlap test. */
	for (unsigned n = PAGE_SIZE / 512; n; n--, p += 64) {
#pragma GCC unroll 64
		for (int i = 0; i < 64; i++)
			p[i] = 0;
	}
}

int64_t page_alloc_run(uint64_t n)
{
	uint64_t start = 0, len = 0, pfn;

	if (n == 0 || n > nfree)
		return -ERR_NOMEM;
	/* The lowest run of n free frames (free: reference count 0) above
	 * the low zone: frames just after the heap are the ones it grows
	 * into, and DMA frames can never move, so a run there would stop the
	 * heap for good (one page of DMA memory did, issue 7). */
	for (pfn = low_zone_end; pfn < end_frame && len < n; pfn++) {
		if (page_refcounts[pfn]) {
			len = 0;
		} else {
			if (!len)
				start = pfn;
			len++;
		}
	}
	if (len < n) {
		page_alloc_failures++;
		return -ERR_NOMEM;
	}
	/* Off the free list, keeping it doubly linked: a walk that only
	 * fixed `next` left a stale tail (or prev) in the run, and the next
	 * free_append or heap growth wrote the list link into the device's
	 * memory (issue 7). */
	for (pfn = start; pfn < start + n; pfn++) {
		free_take(pfn);
		page_refcounts[pfn] = 1;
	}
	return (int64_t)start;
}
