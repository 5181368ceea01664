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
 */
#include <stdlib.h>
#include "abi/fault.h"
#include "abi/kernel.h"
#include "memobj.h"
#include "page.h"

/* 4 KiB copied 32 words per iteration (a COW fault's main cost). */
static __attribute__((noinline)) void page_copy(void *dst, const void *src)
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

static uint64_t zero_pfn = PAGEMAP_NONE;	/* made with the first object, kept */

uint64_t anon_zero_pfn(void)
{
	return zero_pfn;
}

/* Make the zero page if there is none yet: at boot, with init's first
 * object, so that no process's figures count it. */
static bool zero_page_ready(void)
{
	if (zero_pfn == PAGEMAP_NONE) {
		int64_t pfn = page_alloc_zeroed();
		if (pfn < 0)
			return false;
		zero_pfn = (uint64_t)pfn;
	}
	return true;
}

/* The zero page for a read of an absent private page; false if it cannot
 * be used (shared object, or no frame for it). */
static __attribute__((noinline)) bool anon_fault_zero(struct fault_req *req)
{
	if (!req->private || !zero_page_ready())
		return false;
	req->pfn = zero_pfn;
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

static void anon_discard(struct memobj *o, uint64_t lo, uint64_t hi)
{
	pagemap_clear_range(&o->pages, lo, hi, NULL, NULL);
}

static void anon_destroy(struct memobj *o)
{
	pagemap_destroy(&o->pages, NULL, NULL);
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
