/*
 * A sparse map from page index to frame number, in one of two forms:
 *  - flat: while every index used is below PAGEMAP_FLAT_MAX, an array on
 *    the pager heap sized to the highest index used (rounded up to a power
 *    of two, at least 4): a one-page object costs 8 bytes of slots and one
 *    heap header, not three 4 KiB nodes. It is copy-on-write as a whole:
 *    pagemap_clone shares it in O(1), and a writer copies it (at most
 *    PAGEMAP_FLAT_MAX entries) before changing it.
 *  - tree: a three-level radix tree of 512-entry nodes (like an Sv39
 *    table), so lookup and insert cost three steps whatever the object
 *    size. Nodes are pager frames, and they are copy-on-write:
 *    pagemap_clone shares the whole tree in O(1), and writers copy only the
 *    nodes on the path they touch (see pagemap.c).
 * A map turns from flat into a tree, for good, when an index at or above
 * PAGEMAP_FLAT_MAX is first filled. Either way a fully resident object
 * costs under 64 bytes of map per page (flat: at most 16; tree: 12 KiB
 * over more than 512 pages, under 24, tending to 8).
 *
 * A map holds one reference on each data frame it has in a leaf: filling
 * an empty slot hands the caller's reference to the map; clearing and
 * destroying page_unref the frames (the callbacks below must NOT unref).
 */
#ifndef PAGER_PAGEMAP_H
#define PAGER_PAGEMAP_H

#include <stdbool.h>
#include <stdint.h>

#define PAGEMAP_NONE UINT64_MAX
#define PAGEMAP_MAX_INDEX (1ul << 27)
/* In an interior entry (never in a leaf slot): the subtree below is known
 * private to this path (a hint kept by pagemap.c; see there). */
#define PAGEMAP_ENTRY_PRIVATE (1ul << 63)

#define PAGEMAP_FLAT_MAX 512

struct pagemap_flat {
	uint32_t refs;		/* maps sharing it */
	uint32_t mark;		/* pagemap_count_refs's, for the checker */
	uint64_t cap;		/* slots; a power of two <= PAGEMAP_FLAT_MAX */
	uint64_t slot[];	/* pfn + 1, 0 when empty */
};

struct pagemap {
	uint64_t *root;		/* the tree, or NULL; possibly shared */
	struct pagemap_flat *flat;	/* the flat form (root NULL), or NULL */
};

typedef void (*pagemap_fn)(uint64_t idx, uint64_t pfn, void *arg);

/* The frame at idx, or PAGEMAP_NONE. Never copies. */
uint64_t pagemap_get(const struct pagemap *m, uint64_t idx);
/* Set idx to pfn (PAGEMAP_NONE clears): the map takes over the caller's
 * reference on pfn, and page_unrefs the frame it replaces. 0,
 * -ERR_NOMEM (the caller keeps its reference) or -ERR_INVAL. */
int pagemap_set(struct pagemap *m, uint64_t idx, uint64_t pfn);
/* The leaf slot for idx, with every node on its path private to m (shared
 * nodes are copied; absent ones created if alloc). It holds pfn + 1, 0
 * when empty. NULL if absent and !alloc, or out of memory (nodes already
 * copied stay; the map is consistent). Replacing a present pfn: the
 * caller page_unrefs the old frame. Filling an empty slot: the map owns
 * the caller's reference; call pagemap_slot_filled (now a no-op). */
uint64_t *pagemap_slot(struct pagemap *m, uint64_t idx, int alloc);
static inline void pagemap_slot_filled(struct pagemap *m) { (void)m; }
/* True if the slot for idx exists and is private to m (flat: idx is
 * within an unshared array; tree: the root, level-1 node and leaf exist with
 * reference count 1): a frame found there may be mapped writable as far
 * as the map is concerned. */
bool pagemap_path_private(const struct pagemap *m, uint64_t idx);
/* dst (empty) shares src's tree or flat array: O(1). 0, or -ERR_INVAL
 * if dst is not empty. */
int pagemap_clone(struct pagemap *dst, const struct pagemap *src);
/* Remove the entries in [lo, hi), page_unref'ing their frames. fn (may be
 * NULL) sees each entry removed from a node m held alone, before the
 * unref; entries of a shared subtree wholly inside the range are dropped
 * with the subtree's reference and not reported. Nodes left empty are
 * freed. 0, or -ERR_NOMEM if a shared node only partly inside the range
 * could not be copied: its entries stay, everything else is removed. */
int pagemap_clear_range(struct pagemap *m, uint64_t lo, uint64_t hi, pagemap_fn fn, void *arg);
/* Drop m's tree: nodes no other map shares are freed, and their frames
 * page_unref'd (fn, if given, sees each of those entries first). m is
 * left empty. */
void pagemap_destroy(struct pagemap *m, pagemap_fn fn, void *arg);
/* Entries present in [lo, hi). Cost: the nodes under that range. */
uint64_t pagemap_count_range(const struct pagemap *m, uint64_t lo, uint64_t hi);
/* Read only, never copies: the slot array holding idx (the flat array or
 * a tree leaf; slots hold pfn + 1, 0 when empty), with *first the index of
 * its slot 0 and *n its slots; NULL if there is none. Valid until m next
 * changes. For scans of neighbouring pages (fault-around). */
const uint64_t *pagemap_leaf(const struct pagemap *m, uint64_t idx, uint64_t *first, uint64_t *n);
/* How many of the n indices from idx are empty, up to the first that is not. */
uint64_t pagemap_absent_run(const struct pagemap *m, uint64_t idx, uint64_t n);
/* pagemap_slot(m, idx, 1), with in *n how many slots from it lie in the
 * same node (the next ones, made private the same way): a run is filled
 * a node at a time. Valid until the next change to m. */
uint64_t *pagemap_slots(struct pagemap *m, uint64_t idx, uint64_t *n);
/* Node frames of m's tree whose first index lies in [lo, hi) (the root's
 * is 0), so that ranges which split an object count each node once; 0
 * for a flat map. What a range costs in page-map frames, for the
 * out-of-memory choice. Cost: the nodes under that range. */
uint64_t pagemap_nodes_range(const struct pagemap *m, uint64_t lo, uint64_t hi);
/* Frames currently used as nodes by all page maps. */
uint64_t pagemap_node_frames(void);
/* Bytes of pager heap currently used by flat maps (their arrays). */
uint64_t pagemap_flat_bytes(void);
/* Sanity check: counts[pfn] += 1 for every reference m's tree holds (the
 * root reference by m, every non-empty entry of every node reached),
 * descending each node once (seen[node pfn] marks it, across calls), and
 * for every entry of m's flat array, each array once per check. Call
 * pagemap_check_begin before the first map of each check. After all maps,
 * counts[pfn] == page_refcount(pfn) for their frames. */
void pagemap_check_begin(void);
void pagemap_count_refs(const struct pagemap *m, uint32_t *counts, uint8_t *seen);

#endif
