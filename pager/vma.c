/*
 * VMA sets over the VMA tree: add, remove, split at edges, merge.
 */
#include <stdlib.h>
#include "abi/kernel.h"
#include "vma.h"

#define VMA_OF(n) vma_node_entry((n), struct vma, node)

static struct vma *of(struct vma_node *n)
{
	return n ? VMA_OF(n) : NULL;
}

void vma_set_init(struct vma_set *s)
{
	vma_tree_init(&s->tree, PAGE_SIZE, USER_TOP);
	s->pages = 0;
	s->count = 0;
	s->max_count = VMA_MAX_DEFAULT;
}

struct vma *vma_find(struct vma_set *s, uint64_t va)
{
	return of(vma_tree_find(&s->tree, va));
}

struct vma *vma_lower_bound(struct vma_set *s, uint64_t va)
{
	return of(vma_tree_lower_bound(&s->tree, va));
}

struct vma *vma_first(struct vma_set *s)
{
	return of(vma_tree_first(&s->tree));
}

struct vma *vma_next(struct vma *v)
{
	return of(vma_tree_next(&v->node));
}

struct vma *vma_prev(struct vma *v)
{
	return of(vma_tree_prev(&v->node));
}

struct vma *vma_add(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
		    uint32_t flags, struct memobj *obj, uint64_t obj_index, int *err)
{
	struct vma *v = s->count < s->max_count ? calloc(1, sizeof(*v)) : NULL;

	if (!v) {
		*err = -ERR_NOMEM;
		return NULL;
	}
	v->node.start = start;
	v->node.end = end;
	v->prot = prot;
	v->flags = flags;
	v->obj = obj;
	v->obj_index = obj_index;
	v->set = s;
	*err = vma_tree_insert(&s->tree, &v->node);
	if (*err < 0) {
		free(v);
		return NULL;
	}
	s->pages += vma_pages(v);
	s->count++;
	if (obj->ops->link)
		obj->ops->link(obj, v);
	return v;
}

void vma_remove(struct vma_set *s, struct vma *v)
{
	s->pages -= vma_pages(v);
	s->count--;
	vma_tree_remove(&s->tree, &v->node);
	if (v->obj->ops->unlink)
		v->obj->ops->unlink(v->obj, v);
	memobj_unref(v->obj);
	free(v);
}

void vma_resize(struct vma_set *s, struct vma *v, uint64_t start, uint64_t end)
{
	s->pages -= vma_pages(v);
	if (start >= v->node.start)
		v->obj_index += (start - v->node.start) >> 12;
	else
		v->obj_index -= (v->node.start - start) >> 12;
	vma_tree_resize(&s->tree, &v->node, start, end);
	s->pages += vma_pages(v);
}

/* Split v at addr (strictly inside): v keeps the front. 0 or -ERR_NOMEM. */
static int vma_split(struct vma_set *s, struct vma *v, uint64_t addr)
{
	uint64_t end = v->node.end;
	int err;

	vma_tree_resize(&s->tree, &v->node, v->node.start, addr);
	memobj_ref(v->obj);
	struct vma *tail = vma_add(s, addr, end, v->prot, v->flags, v->obj, vma_index(v, addr), &err);
	if (!tail) {
		memobj_unref(v->obj);
		vma_tree_resize(&s->tree, &v->node, v->node.start, end);
		return err;
	}
	tail->advice = v->advice;
	s->pages -= (end - addr) >> 12;	/* vma_add counted the tail again */
	return 0;
}

int vma_isolate(struct vma_set *s, uint64_t lo, uint64_t hi)
{
	struct vma *v = vma_find(s, lo);
	int err;

	if (v && v->node.start < lo && (err = vma_split(s, v, lo)) < 0)
		return err;
	v = vma_find(s, hi - 1);
	if (v && v->node.end > hi && (err = vma_split(s, v, hi)) < 0)
		return err;
	return 0;
}

static bool alike(const struct vma *a, const struct vma *b)
{
	return a->node.end == b->node.start && a->obj == b->obj &&
	       vma_index(a, a->node.end) == b->obj_index &&
	       a->prot == b->prot && a->flags == b->flags && a->advice == b->advice;
}

struct vma *vma_merge(struct vma_set *s, struct vma *v)
{
	struct vma *n = vma_next(v), *p = vma_prev(v);

	if (n && alike(v, n)) {
		uint64_t end = n->node.end;
		vma_remove(s, n);
		vma_resize(s, v, v->node.start, end);
	}
	if (p && alike(p, v)) {
		uint64_t end = v->node.end;
		vma_remove(s, v);
		vma_resize(s, p, p->node.start, end);
		v = p;
	}
	return v;
}

bool vma_covered(struct vma_set *s, uint64_t lo, uint64_t hi)
{
	for (struct vma *v = vma_find(s, lo); v && v->node.start <= lo; v = vma_next(v)) {
		lo = v->node.end;
		if (lo >= hi)
			return true;
	}
	return false;
}

void vma_set_clear(struct vma_set *s)
{
	struct vma *v;

	while ((v = vma_first(s)))
		vma_remove(s, v);
}
