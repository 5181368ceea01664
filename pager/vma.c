/*
 * VMA sets over the VMA tree.
 */
#include <stdlib.h>
#include "abi/kernel.h"
#include "vma.h"

#define VMA_OF(n) vma_node_entry((n), struct vma, node)

void vma_set_init(struct vma_set *s)
{
	vma_tree_init(&s->tree, PAGE_SIZE, USER_TOP);
}

struct vma *vma_find(struct vma_set *s, uint64_t va)
{
	struct vma_node *n = vma_tree_find(&s->tree, va);

	return n ? VMA_OF(n) : NULL;
}

int vma_add(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
	    uint32_t flags, struct memobj *obj, uint64_t obj_index)
{
	struct vma *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return -ERR_NOMEM;
	v->node.start = start;
	v->node.end = end;
	v->prot = prot;
	v->flags = flags;
	v->obj = obj;
	v->obj_index = obj_index;
	err = vma_tree_insert(&s->tree, &v->node);
	if (err < 0)
		free(v);
	return err;
}

void vma_set_clear(struct vma_set *s)
{
	struct vma_node *n;

	while ((n = vma_tree_first(&s->tree))) {
		struct vma *v = VMA_OF(n);
		vma_tree_remove(&s->tree, n);
		memobj_unref(v->obj);
		free(v);
	}
}

uint64_t vma_set_pages(const struct vma_set *s)
{
	uint64_t pages = 0;

	for (struct vma_node *n = vma_tree_first(&s->tree); n; n = vma_tree_next(n))
		pages += (n->end - n->start) >> PAGE_SHIFT;
	return pages;
}
