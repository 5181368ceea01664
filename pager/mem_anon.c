/*
 * Anonymous memory: pages that read as zero until written, owned by the
 * object and freed with it.
 */
#include <stdlib.h>
#include "abi/kernel.h"
#include "memobj.h"
#include "page.h"

static void unref_frame(uint64_t idx, uint64_t pfn, void *arg)
{
	(void)idx;
	(void)arg;
	page_unref(pfn);
}

static int anon_fault(struct memobj *o, struct fault_req *req)
{
	uint64_t *slot = pagemap_slot(&o->pages, req->index, 1);
	int64_t fresh;

	if (!slot)
		return -ERR_NOMEM;
	if (*slot) {
		req->pfn = *slot - 1;
		return 0;
	}
	fresh = page_alloc_zeroed();
	if (fresh < 0)
		return (int)fresh;
	*slot = (uint64_t)fresh + 1;
	pagemap_slot_filled(&o->pages);
	req->pfn = (uint64_t)fresh;
	return 0;
}

static void anon_discard(struct memobj *o, uint64_t lo, uint64_t hi)
{
	pagemap_clear_range(&o->pages, lo, hi, unref_frame, NULL);
}

static void anon_destroy(struct memobj *o)
{
	pagemap_destroy(&o->pages, unref_frame, NULL);
	free(o);
}

static const struct memobj_ops anon_ops = {
	.kind = "anon",
	.fault = anon_fault,
	.discard = anon_discard,
	.destroy = anon_destroy,
};

struct memobj *anon_create(void)
{
	struct memobj *o = calloc(1, sizeof(*o));

	if (o) {
		o->ops = &anon_ops;
		o->refs = 1;
	}
	return o;
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
