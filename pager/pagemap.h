/*
 * A sparse map from page index to frame number: a three-level radix tree
 * of 512-entry nodes (like an Sv39 table), so lookup and insert cost three
 * steps whatever the object size. Nodes are pager frames, and they are
 * copy-on-write: pagemap_clone shares the whole tree in O(1), and writers
 * copy only the nodes on the path they touch (see pagemap.c).
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

struct pagemap {
	uint64_t *root;		/* NULL when empty; possibly shared */
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
/* True if the root, level-1 node and leaf for idx exist and are private
 * to m (reference count 1): a frame found there may be mapped writable
 * as far as the map is concerned. */
bool pagemap_path_private(const struct pagemap *m, uint64_t idx);
/* dst (empty) shares src's tree: O(1). 0, or -ERR_INVAL if dst is not
 * empty. */
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
/* Frames currently used as nodes by all page maps. */
uint64_t pagemap_node_frames(void);
/* Sanity check: counts[pfn] += 1 for every reference m's tree holds (the
 * root reference by m, every non-empty entry of every node reached),
 * descending each node once (seen[node pfn] marks it, across calls).
 * After all maps, counts[pfn] == page_refcount(pfn) for their frames. */
void pagemap_count_refs(const struct pagemap *m, uint32_t *counts, uint8_t *seen);

#endif
