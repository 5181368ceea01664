/*
 * vma_tree.c - the pager's VMA tree: an intrusive AVL tree of disjoint
 * [start, end) ranges keyed by address, augmented with each node's
 * gap_before (distance from the previous node's end, or from t->lo) and the
 * largest such gap in each subtree, which makes free-range searches
 * O(log n). Pure logic: no allocation, no libc, no locking (callers own it).
 */
#include "vma_tree.h"

#include "abi/kernel.h"

#define PAGE_MASK	(PAGE_SIZE - 1)
#define CHECK_MAX_DEPTH	128	/* an AVL tree of 2^64 nodes is shallower */

static int height(const struct vma_node *n) { return n ? n->height : 0; }
static uint64_t sub_gap(const struct vma_node *n) { return n ? n->max_gap : 0; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* End of the node before n in address order (or t->lo): kept implicitly. */
static uint64_t prev_end(const struct vma_node *n) { return n->start - n->gap; }

/* Recomputes n's height and max_gap from its own gap and its children. */
static void update(struct vma_node *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->max_gap = max_u64(n->gap, max_u64(sub_gap(n->left),
					     sub_gap(n->right)));
}

/* Recomputes max_gap on the path from n to the root (shape unchanged). */
static void propagate(struct vma_node *n)
{
	for (; n; n = n->parent)
		update(n);
}

/* Puts `repl` (may be NULL) where `old` hung below `parent` (or the root). */
static void replace_child(struct vma_tree *t, struct vma_node *parent,
			  struct vma_node *old, struct vma_node *repl)
{
	if (!parent)
		t->root = repl;
	else if (parent->left == old)
		parent->left = repl;
	else
		parent->right = repl;
	if (repl)
		repl->parent = parent;
}

/*
 * Rotates x's right child (to_left) or left child above x; returns the new
 * subtree root, whose height and max_gap are refreshed along with x's.
 */
static struct vma_node *rotate(struct vma_tree *t, struct vma_node *x,
			       bool to_left)
{
	struct vma_node *y = to_left ? x->right : x->left;
	struct vma_node *inner = to_left ? y->left : y->right;

	replace_child(t, x->parent, x, y);
	if (to_left) {
		x->right = inner;
		y->left = x;
	} else {
		x->left = inner;
		y->right = x;
	}
	if (inner)
		inner->parent = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/*
 * Restores the AVL balance at n, whose children are balanced and whose
 * heights differ by at most 2. Returns the root of the rebalanced subtree.
 */
static struct vma_node *rebalance(struct vma_tree *t, struct vma_node *n)
{
	int bf = height(n->left) - height(n->right);

	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			rotate(t, n->left, true);
		return rotate(t, n, false);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			rotate(t, n->right, false);
		return rotate(t, n, true);
	}
	return n;
}

/*
 * Walks from n to the root refreshing heights and max_gap and rebalancing.
 * It always runs to the root because max_gap may change all the way up.
 */
static void fixup(struct vma_tree *t, struct vma_node *n)
{
	while (n) {
		update(n);
		n = rebalance(t, n);
		n = n->parent;
	}
}

void vma_tree_init(struct vma_tree *t, uint64_t lo, uint64_t hi)
{
	t->root = NULL;
	t->count = 0;
	t->lo = lo;
	t->hi = hi;
}

struct vma_node *vma_tree_find(const struct vma_tree *t, uint64_t addr)
{
	struct vma_node *n = t->root;

	while (n) {
		if (addr < n->start)
			n = n->left;
		else if (addr >= n->end)
			n = n->right;
		else
			return n;
	}
	return NULL;
}

struct vma_node *vma_tree_lower_bound(const struct vma_tree *t, uint64_t addr)
{
	struct vma_node *n = t->root, *best = NULL;

	/* Ends increase in address order, so this is a plain key search. */
	while (n) {
		if (n->end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vma_node *vma_tree_first(const struct vma_tree *t)
{
	struct vma_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct vma_node *vma_tree_last(const struct vma_tree *t)
{
	struct vma_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

struct vma_node *vma_tree_next(const struct vma_node *n)
{
	const struct vma_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct vma_node *)n;
	}
	for (p = n->parent; p && n == p->right; p = p->parent)
		n = p;
	return (struct vma_node *)p;
}

struct vma_node *vma_tree_prev(const struct vma_node *n)
{
	const struct vma_node *p;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct vma_node *)n;
	}
	for (p = n->parent; p && n == p->left; p = p->parent)
		n = p;
	return (struct vma_node *)p;
}

int vma_tree_insert(struct vma_tree *t, struct vma_node *n)
{
	struct vma_node **link = &t->root, *parent = NULL;
	struct vma_node *pred = NULL, *succ = NULL;

	if (n->start >= n->end || ((n->start | n->end) & PAGE_MASK) ||
	    n->start < t->lo || n->end > t->hi)
		return -ERR_INVAL;
	/* The last node we went right at is n's predecessor; left: successor */
	while (*link) {
		parent = *link;
		if (n->start < parent->start) {
			succ = parent;
			link = &parent->left;
		} else {
			pred = parent;
			link = &parent->right;
		}
	}
	if ((pred && pred->end > n->start) || (succ && succ->start < n->end))
		return -ERR_EXIST;

	n->left = n->right = NULL;
	n->parent = parent;
	*link = n;
	n->gap = n->start - (pred ? pred->end : t->lo);
	/* succ is an ancestor of the new leaf, so fixup() repairs its path. */
	if (succ)
		succ->gap = succ->start - n->end;
	t->count++;
	fixup(t, n);
	return 0;
}

void vma_tree_remove(struct vma_tree *t, struct vma_node *n)
{
	struct vma_node *s = vma_tree_next(n), *from;

	/* The successor inherits n's range and the gap before n. */
	if (s) {
		s->gap += (n->end - n->start) + n->gap;
		propagate(s);
	}
	if (!n->left || !n->right) {
		from = n->parent;
		replace_child(t, n->parent, n, n->left ? n->left : n->right);
	} else {
		/* s is the leftmost node of n->right: move it to n's place. */
		if (s == n->right) {
			from = s;
		} else {
			from = s->parent;
			from->left = s->right;
			if (s->right)
				s->right->parent = from;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		replace_child(t, n->parent, n, s);
	}
	n->left = n->right = n->parent = NULL;
	t->count--;
	fixup(t, from);
}

void vma_tree_resize(struct vma_tree *t, struct vma_node *n,
		     uint64_t start, uint64_t end)
{
	struct vma_node *s = vma_tree_next(n);

	(void)t;
	n->gap = start - prev_end(n);
	n->start = start;
	n->end = end;
	propagate(n);
	if (s) {
		s->gap = s->start - end;
		propagate(s);
	}
}

/*
 * Lowest node in n's subtree with start >= min_start and gap >= size, or
 * NULL. Along the search path for min_start each right subtree lies wholly
 * above min_start, and in such a subtree max_gap >= size guarantees a hit,
 * so at most one full descent happens: O(height).
 */
static struct vma_node *first_fit(struct vma_node *n, uint64_t min_start,
				  uint64_t size)
{
	struct vma_node *r;

	while (n && n->max_gap >= size) {
		if (n->start < min_start) {
			n = n->right;
			continue;
		}
		r = first_fit(n->left, min_start, size);
		if (r)
			return r;
		if (n->gap >= size)
			return n;
		n = n->right;
	}
	return NULL;
}

/*
 * Highest node in n's subtree whose previous end is <= max_prev_end and
 * gap >= size, or NULL. Previous ends increase in address order too, so
 * this mirrors first_fit: O(height).
 */
static struct vma_node *last_fit(struct vma_node *n, uint64_t max_prev_end,
				 uint64_t size)
{
	struct vma_node *r;

	while (n && n->max_gap >= size) {
		if (prev_end(n) > max_prev_end) {
			n = n->left;
			continue;
		}
		r = last_fit(n->right, max_prev_end, size);
		if (r)
			return r;
		if (n->gap >= size)
			return n;
		n = n->left;
	}
	return NULL;
}

/*
 * Clips the caller's [*lo, *hi) to the tree range and to page boundaries.
 * Returns 0 if a range of `size` can fit in the result, else -ERR_INVAL
 * (bad size) or -ERR_NOMEM (window too small).
 */
static int clip_window(const struct vma_tree *t, uint64_t size,
		       uint64_t *lo, uint64_t *hi)
{
	if (size == 0 || (size & PAGE_MASK))
		return -ERR_INVAL;
	*lo = max_u64(*lo, t->lo);
	*hi = min_u64(*hi, t->hi) & ~PAGE_MASK;
	if (*lo & PAGE_MASK) {
		if (*lo > UINT64_MAX - PAGE_MASK)
			return -ERR_NOMEM;
		*lo = (*lo + PAGE_MASK) & ~PAGE_MASK;
	}
	if (*lo >= *hi || *hi - *lo < size)
		return -ERR_NOMEM;
	return 0;
}

int vma_tree_find_gap(const struct vma_tree *t, uint64_t size,
		      uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct vma_node *n, *last;
	uint64_t from, to;
	int err = clip_window(t, size, &lo, &hi);

	if (err)
		return err;
	/*
	 * A gap ending at or below lo + size cannot hold the range. The first
	 * gap that ends above it and is big enough fits, unless hi cuts it,
	 * and then every later gap lies above hi as well.
	 */
	n = first_fit(t->root, lo + size, size);
	if (n) {
		from = max_u64(prev_end(n), lo);
		to = min_u64(n->start, hi);
	} else {
		last = vma_tree_last(t);
		from = max_u64(last ? last->end : t->lo, lo);
		to = hi;
	}
	if (from >= to || to - from < size)
		return -ERR_NOMEM;
	*out = from;
	return 0;
}

int vma_tree_find_gap_top(const struct vma_tree *t, uint64_t size,
			  uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct vma_node *n, *last;
	uint64_t from, to;
	int err = clip_window(t, size, &lo, &hi);

	if (err)
		return err;
	/* The gap above the last node is the highest of all. */
	last = vma_tree_last(t);
	from = max_u64(last ? last->end : t->lo, lo);
	if (from < hi && hi - from >= size) {
		*out = hi - size;
		return 0;
	}
	/*
	 * A gap starting above hi - size cannot hold the range. The last gap
	 * that starts at or below it and is big enough fits, unless lo cuts
	 * it, and then every earlier gap lies below lo as well.
	 */
	n = last_fit(t->root, hi - size, size);
	if (!n)
		return -ERR_NOMEM;
	from = max_u64(prev_end(n), lo);
	to = min_u64(n->start, hi);
	if (from >= to || to - from < size)
		return -ERR_NOMEM;
	*out = to - size;
	return 0;
}

struct check_state {
	const struct vma_tree *t;
	uint64_t prev_end;	/* end of the last node visited, or t->lo */
	uint64_t seen;		/* nodes visited */
};

/*
 * Checks the subtree at n (hanging below `parent`) in address order and
 * stores its height in *h. Returns 0 or -VMA_CHECK_*.
 */
static int check_node(const struct vma_node *n, const struct vma_node *parent,
		      struct check_state *st, int depth, int *h)
{
	int hl, hr, err;
	uint64_t mg;

	*h = 0;
	if (!n)
		return 0;
	if (depth > CHECK_MAX_DEPTH)
		return -VMA_CHECK_DEPTH;
	if (n->parent != parent)
		return -VMA_CHECK_PARENT;
	err = check_node(n->left, n, st, depth + 1, &hl);
	if (err)
		return err;

	if (++st->seen > st->t->count)
		return -VMA_CHECK_COUNT;
	if (n->start >= n->end || ((n->start | n->end) & PAGE_MASK) ||
	    n->start < st->t->lo || n->end > st->t->hi)
		return -VMA_CHECK_RANGE;
	if (n->start < st->prev_end)
		return -VMA_CHECK_ORDER;
	if (n->gap != n->start - st->prev_end)
		return -VMA_CHECK_GAP;
	st->prev_end = n->end;

	err = check_node(n->right, n, st, depth + 1, &hr);
	if (err)
		return err;
	if (n->height != 1 + (hl > hr ? hl : hr))
		return -VMA_CHECK_HEIGHT;
	if (hl - hr > 1 || hr - hl > 1)
		return -VMA_CHECK_BALANCE;
	mg = max_u64(n->gap, max_u64(sub_gap(n->left),
				     sub_gap(n->right)));
	if (n->max_gap != mg)
		return -VMA_CHECK_MAXGAP;
	*h = n->height;
	return 0;
}

int vma_tree_check(const struct vma_tree *t)
{
	struct check_state st = { t, t->lo, 0 };
	int h, err;

	if (((t->lo | t->hi) & PAGE_MASK) || t->lo > t->hi)
		return -VMA_CHECK_TREE;
	err = check_node(t->root, NULL, &st, 0, &h);
	if (err)
		return err;
	if (st.seen != t->count)
		return -VMA_CHECK_COUNT;
	return 0;
}

const char *vma_tree_check_name(int code)
{
	static const char *const names[] = {
		"ok", "range", "order", "parent", "height", "balance",
		"gap", "max_gap", "count", "depth", "tree",
	};

	if (code > 0 || code <= -(int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[-code];
}
