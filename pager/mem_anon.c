/*
 * Anonymous memory: pages that read as zero until written, owned by the
 * object and freed with it. Private objects are cloned at fork by sharing
 * their page map (pagemap_clone); a write to a frame that is shared gets a
 * copy, a write to one held only here maps it writable as it is.
 *
 * A read of a private page never written maps one shared zero page
 * read-only, as Linux does, and puts nothing in the object: the first
 * write then allocates. That is safe because nothing makes a private
 * mapping writable but a write fault (mprotect and fork map private VMAs
 * without W, see pt_rights), and the kernel writes user memory only
 * through PTEs with W. Shared objects allocate on any fault: mprotect
 * does give their PTEs W.
 *
 * For fault-around (fault.c) the object reports runs of resident pages in
 * consecutive frames (anon_resident_run), and a large object gives its
 * frames back in an order that keeps such runs possible (release_held).
 */
#include <stdlib.h>
#include "abi/fault.h"
#include "abi/kernel.h"
#include "memobj.h"
#include "page.h"

/* 4 KiB copied 32 words per iteration (a COW fault's main cost). */
__attribute__((noinline)) void page_copy(void *dst, const void *src)
{
	uint64_t *d = dst;
	const uint64_t *s = src, *end = s + PAGE_SIZE / 8;

	for (; s < end; s += 32, d += 32) {
#pragma GCC unroll 32
		for (int i = 0; i < 32; i++)
			d[i] = s[i];
	}
}

/* A read needs no private copy: map what is there, writable only if
 * nobody else can see it. False if the page is absent. */
static __attribute__((noinline)) bool anon_fault_read(struct memobj *o, struct fault_req *req)
{
	uint64_t pfn = pagemap_get(&o->pages, req->index);

	if (pfn == PAGEMAP_NONE)
		return false;
	req->pfn = pfn;
	req->writable = !req->private ||
		(page_refcount(pfn) == 1 && pagemap_path_private(&o->pages, req->index));
	return true;
}

uint64_t anon_zero_frame = PAGEMAP_NONE;	/* made with the first object, kept */

/* For fault-around: a scan of the page map's slots, a leaf at a time
 * (slots hold pfn + 1). Any resident anonymous page may be mapped without
 * W, and with the VMA's rights in a shared one. */
uint64_t pagemap_resident_run(struct memobj *o, uint64_t index, uint64_t pfn, int dir,
			      uint64_t max)
{
	uint64_t n = 0;

	if (dir < 0 && max > pfn)
		max = pfn;	/* frames below 0 do not exist; want stays >= 1 */
	while (n < max) {
		uint64_t idx = dir > 0 ? index + 1 + n : index - 1 - n, first, cnt, room, k = 0;
		uint64_t want = (dir > 0 ? pfn + 1 + n : pfn - 1 - n) + 1;
		const uint64_t *slot = pagemap_leaf(&o->pages, idx, &first, &cnt), *s;

		if (!slot || idx - first >= cnt)
			break;
		s = slot + (idx - first);
		room = dir > 0 ? first + cnt - idx : idx - first + 1;
		if (room > max - n)
			room = max - n;
		if (dir > 0)
			while (k < room && s[k] == want + k)
				k++;
		else
			while (k < room && *(s - k) == want - k)
				k++;
		n += k;
		if (k < room)
			break;
	}
	return n;
}

uint64_t anon_zero_pfn(void)
{
	return anon_zero_frame;
}

/* Make the zero page if there is none yet: at boot, with init's first
 * object, so that no process's figures count it. */
static bool zero_page_ready(void)
{
	if (anon_zero_frame == PAGEMAP_NONE) {
		int64_t pfn = page_alloc_zeroed();
		if (pfn < 0)
			return false;
		anon_zero_frame = (uint64_t)pfn;
	}
	return true;
}

/* The zero page for a read of an absent private page; false if it cannot
 * be used (shared object, or no frame for it). */
static __attribute__((noinline)) bool anon_fault_zero(struct fault_req *req)
{
	if (!req->private || !zero_page_ready())
		return false;
	req->pfn = anon_zero_frame;
	req->writable = false;
	return true;
}

static int anon_fault(struct memobj *o, struct fault_req *req)
{
	uint64_t *slot, pfn;
	int64_t fresh;

	if (req->access != FAULT_WRITE && (anon_fault_read(o, req) || anon_fault_zero(req)))
		return 0;
	slot = pagemap_slot(&o->pages, req->index, 1);
	if (!slot)
		return -ERR_NOMEM;
	if (*slot) {
		pfn = *slot - 1;
		if (req->private && page_refcount(pfn) > 1) {
			if ((fresh = page_alloc()) < 0)
				return (int)fresh;
			page_copy(page_va((uint64_t)fresh), page_va(pfn));
			*slot = (uint64_t)fresh + 1;
			page_unref(pfn);
			pfn = (uint64_t)fresh;
		}
	} else {
		if ((fresh = page_alloc_zeroed()) < 0)
			return (int)fresh;
		pfn = (uint64_t)fresh;
		*slot = pfn + 1;
		pagemap_slot_filled(&o->pages);
	}
	req->pfn = pfn;
	req->writable = true;
	return 0;
}

/*
 * Frames leave a large object so that the next run of first touches gets
 * them back in order. The frame allocator is a stack, and fault-around
 * maps runs of consecutive frames (FAULT_REPLY_MAP_RUN has one source
 * run), so the order frames are freed in decides whether the next process
 * that touches memory in order can be mapped in runs. The map hands its
 * frames over in index order; each is held (page_ref) until it has let go
 * of all of them, then released:
 *  - frames that came in runs of consecutive frames (memory first touched
 *    in order) are released from the last run back, each run from its top:
 *    the stack then gives them out in the order they were first taken;
 *  - once there are more than HELD_RUNS runs (a random first-touch order),
 *    every held frame is marked in a bitmap by frame number and released
 *    highest first, so the stack gives them out in ascending order: a
 *    random scan does not leave scrambled frames to the next process.
 * Only tree-shaped maps (objects past PAGEMAP_FLAT_MAX pages) are handled
 * so: a small object's few frames go back as the map drops them, as they
 * do when there is no heap for the bitmap.
 */
#define HELD_RUNS 512

static struct { uint64_t first, n; } held_run[HELD_RUNS];
static uint64_t held_runs;
static uint64_t *held_bits;		/* one bit per frame, page_end() bits */
static uint64_t held_lo = UINT64_MAX, held_hi;	/* marked words [lo, hi] */

static bool held_ready(void)
{
	if (!held_bits)
		held_bits = calloc((page_end() + 63) / 64, sizeof(uint64_t));
	return held_bits != NULL;
}

static void mark_frame(uint64_t pfn)
{
	uint64_t w = pfn / 64;

	held_bits[w] |= 1ul << (pfn % 64);
	if (w < held_lo)
		held_lo = w;
	if (w > held_hi)
		held_hi = w;
}

/* The map's callback: note the frame, then hold it (page_ref last, so
 * this is a tail call: it runs once a frame freed). */
static void hold_frame(uint64_t idx, uint64_t pfn, void *arg)
{
	(void)idx;
	(void)arg;
	if (held_runs && pfn == held_run[held_runs - 1].first + held_run[held_runs - 1].n)
		held_run[held_runs - 1].n++;
	else if (held_runs < HELD_RUNS)
		held_run[held_runs].first = pfn, held_run[held_runs++].n = 1;
	else
		mark_frame(pfn);	/* out of order: sort them all */
	page_ref(pfn);
}

static void release_held(void)
{
	if (held_lo != UINT64_MAX) {
		for (uint64_t i = 0; i < held_runs; i++)
			for (uint64_t j = 0; j < held_run[i].n; j++)
				mark_frame(held_run[i].first + j);
		held_runs = 0;
	}
	while (held_runs) {
		held_runs--;
		for (uint64_t pfn = held_run[held_runs].first + held_run[held_runs].n;
		     pfn-- > held_run[held_runs].first;)
			page_unref(pfn);
	}
	for (uint64_t w = held_hi + 1; w-- > held_lo;) {
		uint64_t bits = held_bits[w];
		held_bits[w] = 0;
		while (bits) {
			int top = 63 - __builtin_clzl(bits);
			bits &= ~(1ul << top);
			page_unref(w * 64 + (uint64_t)top);
		}
	}
	held_lo = UINT64_MAX;
	held_hi = 0;
}

static void anon_discard(struct memobj *o, uint64_t lo, uint64_t hi)
{
	bool hold = o->pages.root && held_ready();

	pagemap_clear_range(&o->pages, lo, hi, hold ? hold_frame : NULL, NULL);
	if (hold)
		release_held();
}

static void anon_destroy(struct memobj *o)
{
	bool hold = o->pages.root && held_ready();

	pagemap_destroy(&o->pages, hold ? hold_frame : NULL, NULL);
	if (hold)
		release_held();
	free(o);
}

static uint64_t anon_resident(struct memobj *o, uint64_t lo, uint64_t hi)
{
	return pagemap_count_range(&o->pages, lo, hi);
}

static struct memobj *anon_clone(struct memobj *o);

static const struct memobj_ops anon_ops = {
	.kind = "anon",
	.fault = anon_fault,
	.discard = anon_discard,
	.clone = anon_clone,
	.resident = anon_resident,
	.destroy = anon_destroy,
	.resident_run = pagemap_resident_run,
};

struct memobj *anon_create(void)
{
	struct memobj *o = calloc(1, sizeof(*o));

	zero_page_ready();
	if (o) {
		o->ops = &anon_ops;
		o->refs = 1;
	}
	return o;
}

static struct memobj *anon_clone(struct memobj *o)
{
	struct memobj *c = anon_create();

	if (c && pagemap_clone(&c->pages, &o->pages) < 0) {
		free(c);
		c = NULL;
	}
	return c;
}

int anon_insert(struct memobj *o, uint64_t index, uint64_t pfn)
{
	return pagemap_set(&o->pages, index, pfn);
}

void memobj_ref(struct memobj *o)
{
	o->refs++;
}

void memobj_unref(struct memobj *o)
{
	if (--o->refs == 0)
		o->ops->destroy(o);
}
