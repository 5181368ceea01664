/*
 * VMAs: the regions of a process's address space, each a range with
 * rights, backed by a memory object at a page offset. Kept in a vma_tree
 * (O(log n) lookup and free-gap search). Partial operations split VMAs at
 * their edges (vma_isolate); vma_merge joins neighbours that became alike.
 */
#ifndef PAGER_VMA_H
#define PAGER_VMA_H

#include <stdbool.h>
#include <stdint.h>
#include "memobj.h"
#include "vma_tree.h"

#define VMA_STACK	0x1u	/* grows down on demand */
#define VMA_HEAP	0x2u	/* the brk area */
#define VMA_IMAGE	0x4u	/* from the program file */
#define VMA_SHARED	0x8u	/* MAP_SHARED: never copied on write */
#define VMA_IPCBUF	0x10u	/* the IPC buffer: always mapped, never shared */
#define VMA_FILE	0x20u	/* a file (shared: the file object; private: fpriv) */
#define VMA_WINDOW	0x40u	/* the file server's backing window: never faults */
#define VMA_NOWRITE	0x80u	/* a shared file mapping that may never get W */
#define VMA_EOF_RESUME	0x100u	/* libsys's read window: past EOF resumes at sig.eof_resume */
#define VMA_DMA		0x200u	/* PAGER_DMA_ALLOC memory: kept from reuse if its process dies (dma.c) */

struct vma_set;

struct vma {
	struct vma_node node;	/* start, end */
	uint32_t prot;		/* MAP_R / MAP_W / MAP_X */
	uint32_t flags;		/* VMA_* */
	struct memobj *obj;	/* one reference held */
	uint64_t obj_index;	/* page index in obj of node.start */
	struct vma_set *set;	/* the set it is in (its process) */
	struct vma *rnext, *rprev;	/* a file object's reverse map */
	uint32_t advice;	/* PADV_NORMAL / RANDOM / SEQUENTIAL, and the
				   read-around policy (policy.h) */
	uint64_t ra_start, ra_next;	/* policy_adaptive.c's last window */
};

/* Linux's default vm.max_map_count: the default cap on a process's VMAs. */
#define VMA_MAX_DEFAULT	65530

struct vma_set {
	struct vma_tree tree;
	uint64_t pages;		/* pages covered by all VMAs */
	uint64_t count;		/* VMAs in the tree */
	uint64_t max_count;	/* vma_add refuses more (-ERR_NOMEM) */
};

static inline uint64_t vma_pages(const struct vma *v)
{
	return (v->node.end - v->node.start) >> 12;
}
/* Object page index of address va inside v. */
static inline uint64_t vma_index(const struct vma *v, uint64_t va)
{
	return v->obj_index + ((va - v->node.start) >> 12);
}

void vma_set_init(struct vma_set *s);
/* The VMA containing va, or NULL. */
struct vma *vma_find(struct vma_set *s, uint64_t va);
/* The first VMA ending above va, or NULL. */
struct vma *vma_lower_bound(struct vma_set *s, uint64_t va);
struct vma *vma_first(struct vma_set *s);
struct vma *vma_next(struct vma *v);
struct vma *vma_prev(struct vma *v);
/* Add [start, end) backed by obj (whose reference passes to the VMA on
 * success). The new VMA, or NULL with *err = -ERR_EXIST (overlap),
 * -ERR_INVAL or -ERR_NOMEM (out of memory, or the set holds max_count
 * VMAs already). */
struct vma *vma_add(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
		    uint32_t flags, struct memobj *obj, uint64_t obj_index, int *err);
/* Unlink and free v, dropping its object reference. */
void vma_remove(struct vma_set *s, struct vma *v);
/* Change v's bounds (no overlap, order kept); obj_index follows start. */
void vma_resize(struct vma_set *s, struct vma *v, uint64_t start, uint64_t end);
/* Split VMAs so that no VMA crosses lo or hi. 0 or -ERR_NOMEM. */
int vma_isolate(struct vma_set *s, uint64_t lo, uint64_t hi);
/* Join v with its neighbours where they are alike (same object at
 * consecutive indices, rights and flags). Returns the surviving VMA. */
struct vma *vma_merge(struct vma_set *s, struct vma *v);
/* Whether every page of [lo, hi) is covered by some VMA. */
bool vma_covered(struct vma_set *s, uint64_t lo, uint64_t hi);
/* Remove every VMA, dropping their objects. */
void vma_set_clear(struct vma_set *s);
/* VMAs in the set. */
static inline uint64_t vma_set_count(const struct vma_set *s) { return s->count; }
/* Pages covered by all VMAs. */
static inline uint64_t vma_set_pages(const struct vma_set *s) { return s->pages; }

#endif
