/*
 * VMAs: the regions of a process's address space, each a range with
 * rights, backed by a memory object at a page offset. Kept in a vma_tree
 * (O(log n) lookup and free-gap search).
 */
#ifndef PAGER_VMA_H
#define PAGER_VMA_H

#include <stdint.h>
#include "memobj.h"
#include "vma_tree.h"

#define VMA_STACK	0x1u	/* grows down on demand (later issue) */
#define VMA_HEAP	0x2u
#define VMA_IMAGE	0x4u	/* from the program file */

struct vma {
	struct vma_node node;	/* start, end */
	uint32_t prot;		/* MAP_R / MAP_W / MAP_X */
	uint32_t flags;		/* VMA_* */
	struct memobj *obj;	/* one reference held */
	uint64_t obj_index;	/* page index in obj of node.start */
};

struct vma_set {
	struct vma_tree tree;
};

void vma_set_init(struct vma_set *s);
/* The VMA containing va, or NULL. */
struct vma *vma_find(struct vma_set *s, uint64_t va);
/* Add [start, end) backed by obj (whose reference passes to the VMA).
 * 0, -ERR_EXIST (overlap), -ERR_INVAL, -ERR_NOMEM. */
int vma_add(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
	    uint32_t flags, struct memobj *obj, uint64_t obj_index);
/* Remove every VMA, dropping their objects. */
void vma_set_clear(struct vma_set *s);
/* Pages covered by all VMAs. */
uint64_t vma_set_pages(const struct vma_set *s);

#endif
