/*
 * A sparse map from page index to frame number: a three-level radix tree
 * of 512-entry nodes (like an Sv39 table), so lookup and insert cost three
 * steps whatever the object size. Nodes are pager frames.
 */
#ifndef PAGER_PAGEMAP_H
#define PAGER_PAGEMAP_H

#include <stdint.h>

#define PAGEMAP_NONE UINT64_MAX
#define PAGEMAP_MAX_INDEX (1ul << 27)

struct pagemap {
	uint64_t *root;
	uint64_t count;		/* entries present */
	uint64_t nodes;		/* frames used for nodes */
};

/* The frame at idx, or PAGEMAP_NONE. */
uint64_t pagemap_get(const struct pagemap *m, uint64_t idx);
/* Set idx to pfn (PAGEMAP_NONE clears). 0, -ERR_NOMEM or -ERR_INVAL. */
int pagemap_set(struct pagemap *m, uint64_t idx, uint64_t pfn);
/* The slot for idx (creating nodes if alloc): holds pfn + 1, 0 when
 * empty; NULL if absent and !alloc, or out of memory. Callers that fill an
 * empty slot must count it (pagemap_slot_filled). */
uint64_t *pagemap_slot(struct pagemap *m, uint64_t idx, int alloc);
static inline void pagemap_slot_filled(struct pagemap *m) { m->count++; }
/* Call fn on every entry in [lo, hi) and clear it. */
void pagemap_clear_range(struct pagemap *m, uint64_t lo, uint64_t hi,
			 void (*fn)(uint64_t idx, uint64_t pfn, void *arg), void *arg);
/* Clear everything and free the nodes. */
void pagemap_destroy(struct pagemap *m, void (*fn)(uint64_t idx, uint64_t pfn, void *arg), void *arg);

#endif
