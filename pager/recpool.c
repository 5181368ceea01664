/*
 * Record pools (recpool.h). A block is RECPOOL_BLOCK bytes of the heap,
 * aligned to its size, so a record finds its block by masking its
 * address: a header, then records. Each block keeps its own free list;
 * the pool lists the blocks that have a free record (partial), so taking
 * and giving back are O(1), and a block whose records are all free is
 * freed at once (the pool keeps no memory for records nobody uses).
 */
#include <malloc.h>
#include <stdlib.h>
#include "recpool.h"

#define RECPOOL_BLOCK 4096

struct recblock {
	struct recblock *next, *prev;	/* the pool's partial blocks */
	void *free;			/* free records, linked through their first word */
	uint32_t used, capacity;	/* records handed out, records it holds */
};

static struct recblock *block_of(void *r)
{
	return (struct recblock *)((uintptr_t)r & ~(uintptr_t)(RECPOOL_BLOCK - 1));
}

static void partial_add(struct recpool *p, struct recblock *b)
{
	b->prev = NULL;
	b->next = p->partial;
	if (p->partial)
		p->partial->prev = b;
	p->partial = b;
}

static void partial_remove(struct recpool *p, struct recblock *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		p->partial = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

static struct recblock *block_new(struct recpool *p)
{
	struct recblock *b = memalign(RECPOOL_BLOCK, RECPOOL_BLOCK);
	char *r = (char *)b + ((sizeof(*b) + 7) & ~7ul);
	char *end = (char *)b + RECPOOL_BLOCK;

	if (!b)
		return NULL;
	b->free = NULL;
	b->used = b->capacity = 0;
	for (; r + p->size <= end; r += p->size, b->capacity++) {
		*(void **)r = b->free;
		b->free = r;
	}
	partial_add(p, b);
	p->blocks++;
	return b;
}

void *recpool_get(struct recpool *p)
{
	struct recblock *b = p->partial;
	void **r;

	if (!b && !(b = block_new(p)))
		return NULL;
	r = b->free;
	b->free = *r;
	if (++b->used == b->capacity)
		partial_remove(p, b);	/* full */
	return r;
}

void recpool_put(struct recpool *p, void *r)
{
	struct recblock *b = block_of(r);

	if (b->used-- == b->capacity)
		partial_add(p, b);	/* was full */
	*(void **)r = b->free;
	b->free = r;
	/* Emptied: back to the heap, unless it is the only block with room
	 * (a record taken and given back in turn would make one each time). */
	if (!b->used && (b->next || b->prev)) {
		partial_remove(p, b);
		p->blocks--;
		free(b);
	}
}

void recpool_trim(struct recpool *p)
{
	struct recblock *b = p->partial, *next;

	for (; b; b = next) {
		next = b->next;
		if (!b->used) {
			partial_remove(p, b);
			p->blocks--;
			free(b);
		}
	}
}
