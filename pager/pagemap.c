/*
 * The radix page map. An entry holds pfn + 1 so that a zeroed node means
 * "nothing here".
 */
#include <stddef.h>
#include "abi/kernel.h"
#include "page.h"
#include "pagemap.h"

#define FANOUT 512
#define LEVEL_IDX(idx, l) (((idx) >> (9 * (l))) & (FANOUT - 1))

uint64_t pagemap_get(const struct pagemap *m, uint64_t idx)
{
	const uint64_t *node = m->root;

	if (!node || idx >= PAGEMAP_MAX_INDEX)
		return PAGEMAP_NONE;
	for (int l = 2; l > 0; l--) {
		uint64_t e = node[LEVEL_IDX(idx, l)];
		if (!e)
			return PAGEMAP_NONE;
		node = page_va(e - 1);
	}
	return node[LEVEL_IDX(idx, 0)] ? node[LEVEL_IDX(idx, 0)] - 1 : PAGEMAP_NONE;
}

static uint64_t *node_new(struct pagemap *m)
{
	int64_t pfn = page_alloc_zeroed();

	if (pfn < 0)
		return NULL;
	m->nodes++;
	return page_va((uint64_t)pfn);
}

static uint64_t *pagemap_slot_slow(struct pagemap *m, uint64_t idx, int alloc);

/* Both interior nodes present: the common case, unrolled. */
uint64_t *pagemap_slot(struct pagemap *m, uint64_t idx, int alloc)
{
	uint64_t *root = m->root, e2, e1;

	if (root && idx < PAGEMAP_MAX_INDEX && (e2 = root[LEVEL_IDX(idx, 2)]) &&
	    (e1 = ((uint64_t *)page_va(e2 - 1))[LEVEL_IDX(idx, 1)]))
		return &((uint64_t *)page_va(e1 - 1))[LEVEL_IDX(idx, 0)];
	return pagemap_slot_slow(m, idx, alloc);
}

static __attribute__((noinline)) uint64_t *pagemap_slot_slow(struct pagemap *m, uint64_t idx,
							     int alloc)
{
	uint64_t *node;

	if (idx >= PAGEMAP_MAX_INDEX)
		return NULL;
	if (!m->root && (!alloc || !(m->root = node_new(m))))
		return NULL;
	node = m->root;
	for (int l = 2; l > 0; l--) {
		uint64_t *e = &node[LEVEL_IDX(idx, l)];
		if (!*e) {
			uint64_t *next;
			if (!alloc || !(next = node_new(m)))
				return NULL;
			*e = page_pfn(next) + 1;
		}
		node = page_va(*e - 1);
	}
	return &node[LEVEL_IDX(idx, 0)];
}

int pagemap_set(struct pagemap *m, uint64_t idx, uint64_t pfn)
{
	uint64_t *slot;

	if (idx >= PAGEMAP_MAX_INDEX)
		return -ERR_INVAL;
	slot = pagemap_slot(m, idx, pfn != PAGEMAP_NONE);
	if (!slot)
		return pfn == PAGEMAP_NONE ? 0 : -ERR_NOMEM;
	m->count += (pfn != PAGEMAP_NONE) - (*slot != 0);
	*slot = pfn == PAGEMAP_NONE ? 0 : pfn + 1;
	return 0;
}

/* Visit [lo, hi) under node (covering 512^(l+1) pages from base), clearing
 * entries; frees a node left empty by a visit of its whole range. */
static void clear_node(struct pagemap *m, uint64_t *node, int l, uint64_t base,
		       uint64_t lo, uint64_t hi,
		       void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
	uint64_t span = 1ul << (9 * l);

	for (uint64_t i = 0; i < FANOUT; i++) {
		uint64_t s = base + i * span, e = s + span;
		if (e <= lo || s >= hi || !node[i])
			continue;
		if (l == 0) {
			if (fn)
				fn(s, node[i] - 1, arg);
			node[i] = 0;
			m->count--;
			continue;
		}
		clear_node(m, page_va(node[i] - 1), l - 1, s, lo, hi, fn, arg);
		if (s >= lo && e <= hi) {
			page_unref(node[i] - 1);
			m->nodes--;
			node[i] = 0;
		}
	}
}

void pagemap_clear_range(struct pagemap *m, uint64_t lo, uint64_t hi,
			 void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
	if (m->root)
		clear_node(m, m->root, 2, 0, lo, hi, fn, arg);
}

void pagemap_destroy(struct pagemap *m, void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
	pagemap_clear_range(m, 0, PAGEMAP_MAX_INDEX, fn, arg);
	if (m->root) {
		page_unref(page_pfn(m->root));
		m->nodes--;
	}
	m->root = NULL;
}
