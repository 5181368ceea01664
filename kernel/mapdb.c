/*
 * The mapping database (L4's, or seL4's derivation tree of frame caps).
 *
 * Every user frame starts in the pager's space (the owner of RAM); the
 * pager's own grants are not recorded: it knows where it put its frames
 * and takes them back itself. Any other task that maps one of its pages
 * into itself or a task it created (SYS_MAP, SYS_MAP_RUN, a fault reply)
 * makes a derived mapping, and that is recorded here: a node per page
 * (address space, va) that takes part, linked to the node of the page it
 * was made from (its parent) and to those made from it (its children).
 * A page that is a source but not itself derived is a root node.
 *
 * The PTE of every page with a node carries PTE_MDB, so vm.c consults the
 * database only for those: unmapping, replacing or protecting a page
 * without the bit costs what it did before the database existed.
 *
 *   unmap / replace a page   its descendants are unmapped, its node goes
 *   lower its rights         its descendants lose the same rights
 *   destroy an address space every page with a node is unmapped first
 *
 * A root node left without children is freed (and its PTE unmarked), so
 * the records in use are exactly those that say something. Every walk of
 * the tree is iterative, over parent/child/sibling links: kernel stack use
 * does not depend on the depth of derivation.
 *
 * Nodes are found by a hash of (space, va). They are kernel memory, taken
 * from kmem at a single site, node_alloc().
 */
#include "mapdb.h"
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "riscv.h"

struct mapnode {
	struct aspace *as;
	uint64_t va;			/* page address | NODE_PINNED */
	struct mapnode *hnext;		/* hash chain; also a spare-list link */
	struct mapnode *parent;		/* made from; NULL for a root */
	struct mapnode *child;		/* first page made from this one */
	struct mapnode *next, *prev;	/* siblings: same parent */
};

/* A source of a run being mapped: not freed when childless meanwhile. */
#define NODE_PINNED	1ul
#define NODE_VA(n)	((n)->va & ~(PAGE_SIZE - 1))

#define HASH_BITS	11
static struct mapnode *buckets[1u << HASH_BITS];
static uint64_t nnodes;

static inline struct mapnode **bucket(const struct aspace *as, uint64_t va)
{
	uint64_t k = ((uint64_t)as >> 6) ^ (va >> PAGE_SHIFT);

	return &buckets[(k * 0x9e3779b97f4a7c15ul) >> (64 - HASH_BITS)];
}

static struct mapnode *node_find(const struct aspace *as, uint64_t va)
{
	struct mapnode *n = *bucket(as, va);

	while (n && (n->as != as || NODE_VA(n) != va))
		n = n->hnext;
	return n;
}

/*
 * The one place mapping records are allocated. A record is charged to the
 * task of the space it will live in, `as` (a derived page's to the task
 * that receives the mapping, a source root's to the task mapping from
 * it), and uncharged there when freed (node_free). NULL when out.
 */
static struct mapnode *node_alloc(struct aspace *as)
{
	return kobj_alloc_q(as->kq, sizeof(struct mapnode));
}

static void node_insert(struct mapnode *n, struct aspace *as, uint64_t va)
{
	struct mapnode **b = bucket(as, va);

	n->as = as;
	n->va = va;
	n->parent = n->child = n->next = n->prev = NULL;
	n->hnext = *b;
	*b = n;
	as->mdb_nodes++;
	nnodes++;
}

/* Unhash and free a node that has no children and no parent any more. */
static void node_free(struct mapnode *n)
{
	struct mapnode **p = bucket(n->as, NODE_VA(n));

	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	n->as->mdb_nodes--;
	nnodes--;
	kobj_free_q(n->as->kq, n, sizeof(*n));
}

static void link_child(struct mapnode *parent, struct mapnode *c)
{
	c->parent = parent;
	c->prev = NULL;
	c->next = parent->child;
	if (parent->child)
		parent->child->prev = c;
	parent->child = c;
}

static void unlink_child(struct mapnode *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->parent->child = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->parent = c->next = c->prev = NULL;
}

/* The PTE of a page with a node: present, 4 KiB, marked (an invariant). */
static pte_t *node_pte(const struct mapnode *n)
{
	pte_t *e = vm_pte(n->as, NODE_VA(n));

	KASSERT(e && (*e & (PTE_V | PTE_MDB)) == (PTE_V | PTE_MDB));
	return e;
}

/* A root that says nothing any more (no children, not pinned) goes. */
static void release_if_unused(struct mapnode *n)
{
	if (n->parent || n->child || (n->va & NODE_PINNED))
		return;
	*node_pte(n) &= ~PTE_MDB;
	node_free(n);
}

/* Unmap a derived page and free its node (it has no children left). */
static void revoke_one(struct mapnode *n)
{
	pte_t *e = node_pte(n);

	*e = 0;
	n->as->mapped--;
	unlink_child(n);
	node_free(n);
}

/* Revoke every page derived from top, leaves first, without recursion.
 * True if anything was unmapped. */
static bool revoke_below(struct mapnode *top)
{
	struct mapnode *n = top;
	bool any = top->child != NULL;

	for (;;) {
		if (n->child) {
			n = n->child;
			continue;
		}
		if (n == top)
			break;
		struct mapnode *p = n->parent;
		revoke_one(n);
		n = p;
	}
	return any;
}

/* The node after n in a pre-order walk of top's descendants (skipping
 * n's own descendants unless `descend`), or NULL at the end. */
static struct mapnode *walk_next(struct mapnode *n, const struct mapnode *top, bool descend)
{
	if (descend && n->child)
		return n->child;
	for (; n != top; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

void mapdb_drop(struct aspace *as, uint64_t va)
{
	struct mapnode *n = node_find(as, va), *parent;
	bool revoked;

	KASSERT(n);
	revoked = revoke_below(n);
	parent = n->parent;
	if (parent)
		unlink_child(n);
	node_free(n);
	if (parent)
		release_if_unused(parent);
	if (revoked)
		sfence_vma();	/* other spaces' entries too (every ASID) */
}

void mapdb_lower(struct aspace *as, uint64_t va, uint64_t removed)
{
	struct mapnode *top = node_find(as, va), *n, *next;
	uint64_t clear = removed & PTE_LEAF;

	KASSERT(top);
	if (clear & PTE_W)
		clear |= PTE_D | PTE_WOK;	/* and W may not come back */
	for (n = top->child; n; n = next) {
		pte_t *e = node_pte(n);
		pte_t v = *e & ~clear;
		if (v & PTE_LEAF) {
			*e = v;
			next = walk_next(n, top, true);
			continue;
		}
		/* No rights left: gone, with all made from it. */
		next = walk_next(n, top, false);
		revoke_below(n);
		revoke_one(n);
	}
	release_if_unused(top);
	sfence_vma();
}

/* Pin the source node of each page of the run, making roots as needed.
 * Returns how many were pinned (all npages, or fewer when out of memory). */
static uint64_t pin_sources(struct aspace *src, uint64_t src_va, uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t va = src_va + i * PAGE_SIZE;
		pte_t *e = vm_pte(src, va);
		struct mapnode *s;
		KASSERT(e && (*e & PTE_V));	/* checked by vm_map_run */
		if (*e & PTE_MDB) {
			s = node_find(src, va);
			KASSERT(s);
		} else {
			if (!(s = node_alloc(src)))
				return i;
			node_insert(s, src, va);
			*e |= PTE_MDB;
		}
		s->va |= NODE_PINNED;
	}
	return npages;
}

static void unpin_sources(struct aspace *src, uint64_t src_va, uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		struct mapnode *s = node_find(src, src_va + i * PAGE_SIZE);
		s->va &= ~NODE_PINNED;
		release_if_unused(s);
	}
}

/*
 * Within one space a run may not overlap its sources, and a page already
 * mapped from another page of the same space may not be a source there
 * again. So no source has an ancestor in this space, and replacing a
 * destination page can never revoke a source of the run (ancestors of a
 * node live in its own task or ancestor tasks). O(npages).
 */
static bool self_map_bad(struct aspace *as, uint64_t src_va, uint64_t dst_va, uint64_t npages)
{
	uint64_t len = npages * PAGE_SIZE;

	if (src_va < dst_va + len && dst_va < src_va + len)
		return true;
	for (uint64_t i = 0; i < npages; i++) {
		pte_t *e = vm_pte(as, src_va + i * PAGE_SIZE);
		struct mapnode *s;
		if (!e || !(*e & PTE_MDB))
			continue;
		s = node_find(as, src_va + i * PAGE_SIZE);
		if (s->parent && s->parent->as == as)
			return true;
	}
	return false;
}

int mapdb_map(struct aspace *src, uint64_t src_va, struct aspace *dst,
	      uint64_t dst_va, uint64_t rights, uint64_t npages)
{
	struct mapnode *spare = NULL, *n;
	uint64_t flags = vm_user_flags(rights) | PTE_MDB, pinned;
	int err;

	if (src == dst && self_map_bad(src, src_va, dst_va, npages))
		return -ERR_INVAL;
	/* Take every frame and record first; after that nothing can fail. */
	if ((err = vm_prepare(dst, dst_va, npages)) < 0)
		return err;
	pinned = pin_sources(src, src_va, npages);
	err = -ERR_NOMEM;
	if (pinned < npages)
		goto out;
	for (uint64_t i = 0; i < npages; i++) {
		if (!(n = node_alloc(dst)))
			goto out;
		n->hnext = spare;
		spare = n;
	}

	for (uint64_t i = 0; i < npages; i++) {
		uint64_t sva = src_va + i * PAGE_SIZE, dva = dst_va + i * PAGE_SIZE;
		pte_t se = *vm_pte(src, sva), *de = vm_pte(dst, dva);
		struct mapnode *s = node_find(src, sva);
		if (*de & PTE_MDB)
			mapdb_drop(dst, dva);	/* replaced: never one of our sources */
		else if (!(*de & PTE_V))
			dst->mapped++;
		n = spare;
		spare = n->hnext;
		node_insert(n, dst, dva);
		link_child(s, n);
		/* W may come back (SYS_PROTECT) only if it was given: a copy
		 * given read-only stays so, whatever its source has. */
		*de = PA_PTE(PTE_PA(se)) | flags;
		sfence_vma_va(dva);	/* this va in every address space */
	}
	err = 0;
out:
	unpin_sources(src, src_va, pinned);
	while ((n = spare)) {
		spare = n->hnext;
		kobj_free_q(dst->kq, n, sizeof(*n));
	}
	return err;
}

uint64_t mapdb_count(void)
{
	return nnodes;
}

uint64_t mapdb_record_cost(void)
{
	return kmem_cost(sizeof(struct mapnode));
}
