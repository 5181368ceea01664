/*
 * The radix page map, copy-on-write at the node level.
 *
 *   map A          map B                      (after pagemap_clone(B, A)
 *     \             /                          and a write by A at idx)
 *      root R (rc 1)   root R' (rc 1)         level 2: 512 x 512^2 pages
 *       |    \          /     |
 *       X'    X (rc 2)        ...             level 1: 512 x 512 pages
 *       |  \  /   \
 *      L'   L2     L (rc 1: only X)           level 0: 512 pages
 *      |    |      |
 *    data  data   data (rc = leaves holding it + whoever else maps it)
 *
 * An entry holds pfn + 1 (0 = empty). Every node is a frame, and
 *
 *   INVARIANT: a node frame's reference count is the number of references
 *   to it: maps whose root it is, plus entries of parent nodes naming it.
 *   A leaf holds one reference on each data frame in it.
 *
 * pagemap_clone takes a reference on the root and nothing else. A node
 * with refcount > 1 is read-only for everyone: before a map writes below
 * it, pagemap_slot (or clear_range) copies it (a new frame, the 512
 * entries, a reference taken on each child), points the map's parent entry
 * (or root) at the copy and drops one reference on the original. Walking
 * down, each node is private once its parent is, so only the path is
 * copied. A node whose count falls to 0 releases its children.
 *
 * Fast path: reading three refcounts would cost calls into page.c, so
 * interior entries carry a hint bit, PAGEMAP_ENTRY_PRIVATE (P):
 *   - P on an entry of a level-1 node: the leaf it names has refcount 1;
 *   - P on an entry of a root: the root AND the level-1 node have rc 1.
 * Counts only rise in pagemap_clone (which clears P in the root) and in
 * node_copy (which clears P in the original, whose children it shares).
 * P is set only after checking, or on a node just made. So "P in the
 * root entry and in the level-1 entry" means the whole path is private.
 * A stale clear P only sends a walk to the slow path, which re-checks.
 *
 * Before all that, a map is flat (see pagemap.h): one heap array holding
 * one reference on each frame in it, like a leaf, and shared copy-on-write
 * like a node, but with its own count (refs, the maps using it): clone
 * takes one, and a map copies the array before changing it while refs > 1.
 * Every function below handles the flat form first; m->flat and m->root
 * are never both set.
 */
#include <stddef.h>
#include <stdlib.h>
#include "abi/kernel.h"
#include "page.h"
#include "pagemap.h"

#define FANOUT 512
#define LEVEL_IDX(idx, l) (((idx) >> (9 * (l))) & (FANOUT - 1))
#define PRIV PAGEMAP_ENTRY_PRIVATE
#define ENT_PFN(e) (((e) & ~PRIV) - 1)

static uint64_t node_frames;	/* frames in use as nodes, all maps */
static uint64_t flat_bytes;	/* heap used by flat arrays, all maps */
static uint32_t check_gen;	/* pagemap_count_refs: each flat array once */

static inline uint64_t *node_at(uint64_t e)
{
	return page_va(ENT_PFN(e));
}

static inline uint64_t priv_entry(const uint64_t *node)
{
	return (page_pfn(node) + 1) | PRIV;
}

static inline int shared(const uint64_t *node)
{
	return page_refcount(page_pfn(node)) > 1;
}

uint64_t pagemap_node_frames(void)
{
	return node_frames;
}

uint64_t pagemap_flat_bytes(void)
{
	return flat_bytes;
}

static uint64_t flat_size(uint64_t cap)
{
	return sizeof(struct pagemap_flat) + cap * sizeof(uint64_t);
}

/* Make m's flat array private and cover idx < PAGEMAP_FLAT_MAX (made,
 * copied or grown as needed); false if out of memory (m unchanged). */
static bool flat_own(struct pagemap *m, uint64_t idx)
{
	struct pagemap_flat *f = m->flat, *n;
	uint64_t old = f ? f->cap : 0, cap = old ? old : 4;

	while (cap <= idx)
		cap *= 2;
	if (f && f->refs == 1 && cap == old)
		return true;
	/* Not realloc: picolibc's zeroes whatever free chunk it grows into,
	 * up to the whole heap tail, a byte at a time. */
	if (!(n = malloc(flat_size(cap))))
		return false;
	for (uint64_t i = 0; i < old; i++)
		n->slot[i] = f->slot[i];
	n->refs = 1;
	n->mark = check_gen;
	if (f && f->refs == 1) {	/* grown: the references move */
		flat_bytes -= flat_size(old);
		free(f);
	} else if (f) {			/* copied: each frame gains one */
		for (uint64_t i = 0; i < old; i++)
			if (f->slot[i])
				page_ref(f->slot[i] - 1);
		f->refs--;
	}
	for (uint64_t i = old; i < cap; i++)
		n->slot[i] = 0;
	n->cap = cap;
	flat_bytes += flat_size(cap);
	m->flat = n;
	return true;
}

/* Drop m's reference on its flat array; the last one unrefs the frames
 * (fn sees each first) and frees it. */
static void flat_drop(struct pagemap *m, pagemap_fn fn, void *arg)
{
	struct pagemap_flat *f = m->flat;

	m->flat = NULL;
	if (--f->refs)
		return;
	for (uint64_t i = 0; i < f->cap; i++) {
		if (!f->slot[i])
			continue;
		if (fn)
			fn(i, f->slot[i] - 1, arg);
		page_unref(f->slot[i] - 1);
	}
	flat_bytes -= flat_size(f->cap);
	free(f);
}

static uint64_t *node_new(void)
{
	int64_t pfn = page_alloc_zeroed();

	if (pfn < 0)
		return NULL;
	node_frames++;
	return page_va((uint64_t)pfn);
}

/* Free a private node whose entries are already gone. */
static void node_free(uint64_t *node)
{
	node_frames--;
	page_unref(page_pfn(node));
}

/* A private copy of the shared node old: each child gains a reference,
 * so P goes from old's entries; old loses this map's reference. */
static uint64_t *node_copy(uint64_t *old)
{
	int64_t pfn = page_alloc();
	uint64_t *new;

	if (pfn < 0)
		return NULL;
	node_frames++;
	new = page_va((uint64_t)pfn);
	for (unsigned i = 0; i < FANOUT; i++) {
		uint64_t e = old[i] & ~PRIV;
		if (old[i] != e)
			old[i] = e;
		new[i] = e;
		if (e)
			page_ref(e - 1);
	}
	page_unref(page_pfn(old));
	return new;
}

/* Release this map's reference on node (level l, first index base); the
 * last one releases the children, telling fn about each data entry. */
static void node_drop(uint64_t *node, int l, uint64_t base, pagemap_fn fn, void *arg)
{
	uint64_t pfn = page_pfn(node);

	if (page_refcount(pfn) == 1) {
		for (unsigned i = 0; i < FANOUT; i++) {
			uint64_t e = node[i];
			if (!e)
				continue;
			if (l > 0) {
				node_drop(node_at(e), l - 1, base + ((uint64_t)i << (9 * l)), fn, arg);
			} else {
				if (fn)
					fn(base + i, e - 1, arg);
				page_unref(e - 1);
			}
		}
		node_frames--;
	}
	page_unref(pfn);
}

static int node_empty(const uint64_t *node)
{
	for (unsigned i = 0; i < FANOUT; i++)
		if (node[i])
			return 0;
	return 1;
}

/* The entries [*first, *end) of a level-l node at base that meet [lo, hi)
 * (which must meet the node). */
static void entry_range(int l, uint64_t base, uint64_t lo, uint64_t hi,
			unsigned *first, unsigned *end)
{
	int sh = 9 * l;

	*first = lo > base ? (unsigned)((lo - base) >> sh) : 0;
	*end = hi - base >= ((uint64_t)FANOUT << sh) ? FANOUT
		: (unsigned)((hi - base + (1ul << sh) - 1) >> sh);
}

/* Entries present in [lo, hi) under node, stopping once limit is reached. */
static uint64_t count_node(const uint64_t *node, int l, uint64_t base, uint64_t lo,
			   uint64_t hi, uint64_t limit)
{
	uint64_t n = 0;
	unsigned i, end;

	for (entry_range(l, base, lo, hi, &i, &end); i < end && n < limit; i++) {
		if (!node[i])
			continue;
		if (l == 0)
			n++;
		else
			n += count_node(node_at(node[i]), l - 1, base + ((uint64_t)i << (9 * l)),
					lo, hi, limit - n);
	}
	return n;
}

uint64_t pagemap_get(const struct pagemap *m, uint64_t idx)
{
	const uint64_t *node = m->root;

	if (m->flat)
		return idx < m->flat->cap && m->flat->slot[idx] ? m->flat->slot[idx] - 1
								: PAGEMAP_NONE;
	if (!node || idx >= PAGEMAP_MAX_INDEX)
		return PAGEMAP_NONE;
	for (int l = 2; l > 0; l--) {
		uint64_t e = node[LEVEL_IDX(idx, l)];
		if (!e)
			return PAGEMAP_NONE;
		node = node_at(e);
	}
	return node[LEVEL_IDX(idx, 0)] ? node[LEVEL_IDX(idx, 0)] - 1 : PAGEMAP_NONE;
}

static uint64_t *pagemap_slot_slow(struct pagemap *m, uint64_t idx, int alloc);

/* The common case, unrolled: the path exists and is marked private. */
uint64_t *pagemap_slot(struct pagemap *m, uint64_t idx, int alloc)
{
	uint64_t *root = m->root, e2, e1;
	struct pagemap_flat *f = m->flat;

	if (root && idx < PAGEMAP_MAX_INDEX && ((e2 = root[LEVEL_IDX(idx, 2)]) & PRIV) &&
	    ((e1 = node_at(e2)[LEVEL_IDX(idx, 1)]) & PRIV))
		return &node_at(e1)[LEVEL_IDX(idx, 0)];
	if (f && idx < f->cap && f->refs == 1)
		return &f->slot[idx];
	return pagemap_slot_slow(m, idx, alloc);
}

/* Move m's flat entries into a new tree (their path: root, level-1 node
 * and leaf 0, all private). False if out of memory: m stays flat. */
static bool flat_to_tree(struct pagemap *m)
{
	struct pagemap_flat *f = m->flat;
	uint64_t *root = node_new(), *l1 = node_new(), *leaf = node_new();

	if (!root || !l1 || !leaf || (f->refs > 1 && !flat_own(m, 0))) {
		if (root)
			node_free(root);
		if (l1)
			node_free(l1);
		if (leaf)
			node_free(leaf);
		return false;
	}
	f = m->flat;	/* private now: its references pass to the leaf */
	for (uint64_t i = 0; i < f->cap; i++)
		leaf[i] = f->slot[i];
	l1[0] = priv_entry(leaf);
	root[0] = priv_entry(l1);
	flat_bytes -= flat_size(f->cap);
	free(f);
	m->flat = NULL;
	m->root = root;
	return true;
}

static __attribute__((noinline)) uint64_t *pagemap_slot_slow(struct pagemap *m, uint64_t idx,
							     int alloc)
{
	uint64_t *node;

	if (idx >= PAGEMAP_MAX_INDEX)
		return NULL;
	if (!m->root && idx < PAGEMAP_FLAT_MAX) {
		if ((!alloc && (!m->flat || idx >= m->flat->cap)) || !flat_own(m, idx))
			return NULL;
		return &m->flat->slot[idx];
	}
	if (m->flat && (!alloc || !flat_to_tree(m)))
		return NULL;
	if (!m->root) {
		if (!alloc || !(m->root = node_new()))
			return NULL;
	} else if (shared(m->root)) {
		if (!(node = node_copy(m->root)))
			return NULL;
		m->root = node;
	}
	node = m->root;
	for (int l = 2; l > 0; l--) {
		uint64_t *e = &node[LEVEL_IDX(idx, l)], *next;
		if (!*e) {
			if (!alloc || !(next = node_new()))
				return NULL;
		} else {
			next = node_at(*e);
			if (!(*e & PRIV) && shared(next) && !(next = node_copy(next)))
				return NULL;
		}
		*e = priv_entry(next);
		node = next;
	}
	return &node[LEVEL_IDX(idx, 0)];
}

bool pagemap_path_private(const struct pagemap *m, uint64_t idx)
{
	const uint64_t *root = m->root;
	uint64_t e2, e1;

	if (m->flat)
		return idx < m->flat->cap && m->flat->refs == 1;
	if (!root || idx >= PAGEMAP_MAX_INDEX || !(e2 = root[LEVEL_IDX(idx, 2)]) ||
	    !(e1 = node_at(e2)[LEVEL_IDX(idx, 1)]))
		return false;
	if ((e2 & PRIV) && (e1 & PRIV))
		return true;
	return page_refcount(page_pfn(root)) == 1 && page_refcount(ENT_PFN(e2)) == 1 &&
	       page_refcount(ENT_PFN(e1)) == 1;
}

int pagemap_set(struct pagemap *m, uint64_t idx, uint64_t pfn)
{
	uint64_t *slot, old;

	if (idx >= PAGEMAP_MAX_INDEX)
		return -ERR_INVAL;
	slot = pagemap_slot(m, idx, pfn != PAGEMAP_NONE);
	if (!slot)
		return pfn == PAGEMAP_NONE && pagemap_get(m, idx) == PAGEMAP_NONE ? 0 : -ERR_NOMEM;
	old = *slot;
	*slot = pfn == PAGEMAP_NONE ? 0 : pfn + 1;
	if (old)
		page_unref(old - 1);
	return 0;
}

int pagemap_clone(struct pagemap *dst, const struct pagemap *src)
{
	uint64_t *root = src->root;
	const struct pagemap_flat *f = src->flat;

	if (dst->root || dst->flat)
		return -ERR_INVAL;
	if (f) {
		src->flat->refs++;
		dst->flat = src->flat;
		return 0;
	}
	if (root) {
		page_ref(page_pfn(root));
		/* The root is shared now: its P marks no longer hold. */
		for (unsigned i = 0; i < FANOUT; i++)
			root[i] &= ~PRIV;
	}
	dst->root = root;
	return 0;
}

/* Clear [lo, hi) below the private node (level l > 0 or a leaf, first
 * index base), which the range meets. */
static int clear_node(uint64_t *node, int l, uint64_t base, uint64_t lo, uint64_t hi,
		      pagemap_fn fn, void *arg)
{
	unsigned i, end;
	int err = 0;

	for (entry_range(l, base, lo, hi, &i, &end); i < end; i++) {
		uint64_t s = base + ((uint64_t)i << (9 * l)), e = s + (1ul << (9 * l));
		uint64_t *child;

		if (!node[i])
			continue;
		if (l == 0) {
			if (fn)
				fn(s, node[i] - 1, arg);
			page_unref(node[i] - 1);
			node[i] = 0;
			continue;
		}
		child = node_at(node[i]);
		if (lo <= s && e <= hi) {	/* wholly inside: drop it */
			node_drop(child, l - 1, s, fn, arg);
			node[i] = 0;
			continue;
		}
		if (!(node[i] & PRIV) && shared(child)) {
			/* Copy only if something in range would change. */
			if (!count_node(child, l - 1, s, lo, hi, 1))
				continue;
			if (!(child = node_copy(child))) {
				err = -ERR_NOMEM;
				continue;
			}
		}
		node[i] = priv_entry(child);
		if (clear_node(child, l - 1, s, lo, hi, fn, arg))
			err = -ERR_NOMEM;
		if (node_empty(child)) {
			node_free(child);
			node[i] = 0;
		}
	}
	return err;
}

int pagemap_clear_range(struct pagemap *m, uint64_t lo, uint64_t hi, pagemap_fn fn, void *arg)
{
	uint64_t *root = m->root;
	struct pagemap_flat *f = m->flat;
	int err;

	if (hi > PAGEMAP_MAX_INDEX)
		hi = PAGEMAP_MAX_INDEX;
	if (f) {
		bool empty = true;
		if (f->refs > 1) {
			uint64_t i = lo;
			while (i < hi && i < f->cap && !f->slot[i])
				i++;
			if (i >= hi || i >= f->cap)
				return 0;	/* nothing to change */
			if (!flat_own(m, 0))
				return -ERR_NOMEM;
			f = m->flat;
		}
		for (uint64_t i = 0; i < f->cap; i++) {
			if (f->slot[i] && i >= lo && i < hi) {
				if (fn)
					fn(i, f->slot[i] - 1, arg);
				page_unref(f->slot[i] - 1);
				f->slot[i] = 0;
			}
			empty &= !f->slot[i];
		}
		if (empty)
			flat_drop(m, NULL, NULL);
		return 0;
	}
	if (!root || lo >= hi)
		return 0;
	if (lo == 0 && hi == PAGEMAP_MAX_INDEX) {
		pagemap_destroy(m, fn, arg);
		return 0;
	}
	if (shared(root)) {
		if (!count_node(root, 2, 0, lo, hi, 1))
			return 0;
		if (!(root = node_copy(root)))
			return -ERR_NOMEM;
		m->root = root;
	}
	err = clear_node(root, 2, 0, lo, hi, fn, arg);
	if (node_empty(root)) {
		node_free(root);
		m->root = NULL;
	}
	return err;
}

void pagemap_destroy(struct pagemap *m, pagemap_fn fn, void *arg)
{
	if (m->flat)
		flat_drop(m, fn, arg);
	if (m->root)
		node_drop(m->root, 2, 0, fn, arg);
	m->root = NULL;
}

uint64_t pagemap_count_range(const struct pagemap *m, uint64_t lo, uint64_t hi)
{
	if (hi > PAGEMAP_MAX_INDEX)
		hi = PAGEMAP_MAX_INDEX;
	if (m->flat) {
		uint64_t n = 0;
		for (uint64_t i = lo; i < hi && i < m->flat->cap; i++)
			n += m->flat->slot[i] != 0;
		return n;
	}
	if (!m->root || lo >= hi)
		return 0;
	return count_node(m->root, 2, 0, lo, hi, UINT64_MAX);
}

/* Node frames below node (level l > 0, first index base) whose first
 * index lies in [lo, hi), the node itself not counted. */
static uint64_t nodes_node(const uint64_t *node, int l, uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	unsigned i, end;

	for (entry_range(l, base, lo, hi, &i, &end); i < end; i++) {
		uint64_t first = base + ((uint64_t)i << (9 * l));
		if (!node[i])
			continue;
		n += first >= lo;
		if (l > 1)
			n += nodes_node(node_at(node[i]), l - 1, first, lo, hi);
	}
	return n;
}

uint64_t pagemap_nodes_range(const struct pagemap *m, uint64_t lo, uint64_t hi)
{
	if (hi > PAGEMAP_MAX_INDEX)
		hi = PAGEMAP_MAX_INDEX;
	if (m->flat || !m->root || lo >= hi)
		return 0;
	return (lo == 0) + nodes_node(m->root, 2, 0, lo, hi);
}

static void refs_node(const uint64_t *node, int l, uint32_t *counts, uint8_t *seen)
{
	uint64_t pfn = page_pfn(node);

	if (seen[pfn])
		return;
	seen[pfn] = 1;
	for (unsigned i = 0; i < FANOUT; i++) {
		if (!node[i])
			continue;
		counts[ENT_PFN(node[i])]++;
		if (l > 0)
			refs_node(node_at(node[i]), l - 1, counts, seen);
	}
}

void pagemap_count_refs(const struct pagemap *m, uint32_t *counts, uint8_t *seen)
{
	if (m->flat && m->flat->mark != check_gen) {
		m->flat->mark = check_gen;
		for (uint64_t i = 0; i < m->flat->cap; i++)
			if (m->flat->slot[i])
				counts[m->flat->slot[i] - 1]++;
	}
	if (!m->root)
		return;
	counts[page_pfn(m->root)]++;
	refs_node(m->root, 2, counts, seen);
}

void pagemap_check_begin(void)
{
	check_gen++;
}

const uint64_t *pagemap_leaf(const struct pagemap *m, uint64_t idx, uint64_t *first, uint64_t *n)
{
	const uint64_t *node = m->root;

	if (m->flat) {
		if (idx >= m->flat->cap)
			return NULL;
		*first = 0;
		*n = m->flat->cap;
		return m->flat->slot;
	}
	if (!node || idx >= PAGEMAP_MAX_INDEX)
		return NULL;
	for (int l = 2; l > 0; l--) {
		uint64_t e = node[LEVEL_IDX(idx, l)];
		if (!e)
			return NULL;
		node = node_at(e);
	}
	*first = idx & ~(uint64_t)(FANOUT - 1);
	*n = FANOUT;
	return node;
}

uint64_t pagemap_absent_run(const struct pagemap *m, uint64_t idx, uint64_t n)
{
	uint64_t k = 0;

	while (k < n) {
		uint64_t i = idx + k, first, cnt, end;
		const uint64_t *leaf = pagemap_leaf(m, i, &first, &cnt);
		if (!leaf) {
			if (!m->root)	/* empty, or flat and short of i: none past */
				return n;
			end = (i | (FANOUT - 1)) + 1;	/* no leaf: its whole range */
			k = end - idx;
			continue;
		}
		for (end = first + cnt; i < end && k < n; i++, k++)
			if (leaf[i - first])
				return k;
	}
	return n;
}

uint64_t *pagemap_slots(struct pagemap *m, uint64_t idx, uint64_t *n)
{
	uint64_t *slot = pagemap_slot(m, idx, 1);

	if (slot)
		*n = m->flat ? m->flat->cap - idx : FANOUT - (idx & (FANOUT - 1));
	return slot;
}
