/*
 * vma_tree.h - the pager's per-address-space VMA tree: an ordered set of
 * disjoint, page-aligned [start, end) ranges with O(log n) lookup and
 * O(log n) free-gap search (bottom-up and top-down). The tree is intrusive:
 * struct vma_node is embedded in the caller's struct vma and the tree never
 * allocates. It is an AVL tree augmented, like Linux's rb_subtree_gap, with
 * the largest free gap of each subtree. Freestanding: no libc.
 */
#ifndef PAGER_VMA_TREE_H
#define PAGER_VMA_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vma_node {
	uint64_t start, end;	/* [start, end), page-aligned, start < end */
	struct vma_node *left, *right, *parent;
	int height;		/* AVL height; a leaf has height 1 */
	uint64_t max_gap;	/* largest `gap` in this subtree */
	uint64_t gap;		/* gap_before: start minus the end of the
				   previous node (or minus t->lo if first) */
};

struct vma_tree {
	struct vma_node *root;
	uint64_t count;		/* nodes in the tree */
	uint64_t lo, hi;	/* the managed range [lo, hi) */
};

/* The struct that embeds node `ptr` as its member `member`. */
#define vma_node_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Codes returned negated by vma_tree_check(). */
enum vma_check_code {
	VMA_CHECK_RANGE = 1,	/* node empty, unaligned or outside [lo, hi) */
	VMA_CHECK_ORDER,	/* nodes out of address order or overlapping */
	VMA_CHECK_PARENT,	/* a parent link does not match its child */
	VMA_CHECK_HEIGHT,	/* stored height is wrong */
	VMA_CHECK_BALANCE,	/* AVL balance factor outside -1..1 */
	VMA_CHECK_GAP,		/* stored gap_before is wrong */
	VMA_CHECK_MAXGAP,	/* stored max_gap is wrong */
	VMA_CHECK_COUNT,	/* t->count differs from the nodes reached */
	VMA_CHECK_DEPTH,	/* deeper than any valid AVL tree: a cycle */
	VMA_CHECK_TREE		/* t->lo/t->hi unaligned or lo > hi */
};

/*
 * Makes `t` an empty tree managing [lo, hi). Preconditions: lo and hi are
 * page-aligned and lo <= hi (vma_tree_check reports otherwise).
 */
void vma_tree_init(struct vma_tree *t, uint64_t lo, uint64_t hi);

/* Returns the node whose [start, end) contains addr, or NULL. O(log n). */
struct vma_node *vma_tree_find(const struct vma_tree *t, uint64_t addr);

/*
 * Returns the lowest node with end > addr (the node containing addr, or
 * else the first node above it), or NULL if there is none. O(log n).
 */
struct vma_node *vma_tree_lower_bound(const struct vma_tree *t, uint64_t addr);

/* Returns the lowest / highest node, or NULL when the tree is empty. */
struct vma_node *vma_tree_first(const struct vma_tree *t);
struct vma_node *vma_tree_last(const struct vma_tree *t);

/*
 * Returns the node following / preceding n in address order, or NULL.
 * Precondition: n is in a tree. O(log n) worst, O(1) amortised in a walk.
 */
struct vma_node *vma_tree_next(const struct vma_node *n);
struct vma_node *vma_tree_prev(const struct vma_node *n);

/*
 * Links n, whose start and end the caller has set, into t. Returns 0;
 * -ERR_INVAL if n is empty, unaligned or not inside [t->lo, t->hi);
 * -ERR_EXIST if it overlaps a node already in t. On error t is unchanged.
 * The link fields of n are written, never read. O(log n).
 */
int vma_tree_insert(struct vma_tree *t, struct vma_node *n);

/*
 * Unlinks n from t; n's link fields are cleared, start/end kept.
 * Precondition: n is in t. O(log n).
 */
void vma_tree_remove(struct vma_tree *t, struct vma_node *n);

/*
 * Changes n's bounds to [start, end) in place and repairs the gap
 * augmentation of n and its successor. Preconditions: n is in t; the new
 * range is non-empty, page-aligned, inside [t->lo, t->hi) and does not
 * overlap n's neighbours (so address order is unchanged). O(log n).
 */
void vma_tree_resize(struct vma_tree *t, struct vma_node *n,
		     uint64_t start, uint64_t end);

/*
 * Finds the lowest page-aligned a such that [a, a + size) lies inside
 * [lo, hi) ∩ [t->lo, t->hi) and overlaps no node; stores a in *out and
 * returns 0. lo is rounded up and hi down to a page boundary. Returns
 * -ERR_INVAL if size is 0 or not a multiple of PAGE_SIZE, -ERR_NOMEM if no
 * such range exists (then *out is untouched). O(log n).
 */
int vma_tree_find_gap(const struct vma_tree *t, uint64_t size,
		      uint64_t lo, uint64_t hi, uint64_t *out);

/*
 * The same as vma_tree_find_gap but returns the highest such a (mmap
 * allocates top-down below a limit). O(log n).
 */
int vma_tree_find_gap_top(const struct vma_tree *t, uint64_t size,
			  uint64_t lo, uint64_t hi, uint64_t *out);

/*
 * Checks every invariant: tree range, node ranges, address order and no
 * overlap, parent links, heights, AVL balance, gap and max_gap, count.
 * Returns 0, or -VMA_CHECK_* naming the first violation found. O(n), with
 * recursion depth bounded even on a corrupted (cyclic) tree.
 */
int vma_tree_check(const struct vma_tree *t);

/* Returns a static name for a vma_tree_check() result (0 or negative). */
const char *vma_tree_check_name(int code);

/* Returns true if t holds no node. */
static inline bool vma_tree_empty(const struct vma_tree *t)
{
	return t->root == NULL;
}

#endif
