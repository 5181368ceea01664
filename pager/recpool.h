/*
 * Pools of fixed-size records (a slab allocator, small): the page cache's
 * records (struct fpage) come from blocks of the heap, a block's records
 * handed out and taken back without malloc. picolibc's malloc clears every
 * chunk it returns and, on a heap that has not held such chunks yet,
 * grows the heap for each: ~190 instructions a record, paid by every
 * write fault on a clean file page. Here a record costs a list pop.
 */
#ifndef PAGER_RECPOOL_H
#define PAGER_RECPOOL_H

#include <stdint.h>

struct recblock;

struct recpool {
	uint32_t size;			/* bytes a record, a multiple of 8 */
	struct recblock *partial;	/* blocks with free records */
	uint64_t blocks;		/* blocks held (for the checker and tests) */
};

#define RECPOOL_INIT(type) { .size = (sizeof(type) + 7) & ~7u }

/* A record, its contents undefined, or NULL when the heap is out. */
void *recpool_get(struct recpool *p);
/* Give r back; a block left with no record in use returns to the heap. */
void recpool_put(struct recpool *p, void *r);
/* Free the blocks with no record in use (the spare one put keeps). */
void recpool_trim(struct recpool *p);

#endif
