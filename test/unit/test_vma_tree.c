/*
 * test_vma_tree.c - host unit test of pager/vma_tree.c. Owns: hand-made
 * find_gap cases, corruption detection by vma_tree_check, AVL height bounds
 * at 10,000 nodes, and seeded random operations compared against a
 * reference model (a sorted array of ranges searched by brute force).
 * Prints "N passed, M failed"; exits non-zero on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/kernel.h"
#include "vma_tree.h"

static unsigned long passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) { passed++; break; }					\
	failed++;							\
	fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
} while (0)

#define PG		PAGE_SIZE
#define POOL		4096

struct item { int id; struct vma_node node; };	/* node not first */
struct range { uint64_t start, end; struct item *it; };

static struct item pool[POOL];
static int free_ids[POOL], nfree;
static struct range model[POOL];
static size_t nmodel;
static struct vma_tree tree;
static uint64_t rng;
/* Coverage: insert ok/exist/inval, gap ok/nomem/inval, most nodes. */
static unsigned long st[7];

/* xorshift64*: a fixed, seedable generator. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static struct item *item_of(struct vma_node *n)	/* tests vma_node_entry */
{
	return n ? vma_node_entry(n, struct item, node) : NULL;
}

/* The reference model: model[0..nmodel) sorted by address. */
static size_t model_lower_bound(uint64_t addr)	/* first with end > addr */
{
	size_t i = 0;

	while (i < nmodel && model[i].end <= addr)
		i++;
	return i;
}

static void model_insert(struct item *it)
{
	size_t i = model_lower_bound(it->node.start);

	memmove(&model[i + 1], &model[i], (nmodel - i) * sizeof(model[0]));
	model[i] = (struct range){ it->node.start, it->node.end, it };
	nmodel++;
}

/*
 * Brute force over every free gap, leading and trailing ones included,
 * in 128-bit arithmetic. Returns 0 and *out, or the expected error.
 */
static int model_gap(uint64_t size, uint64_t lo, uint64_t hi, int top,
		     uint64_t *out)
{
	unsigned __int128 clo = lo > tree.lo ? lo : tree.lo, s, e;
	uint64_t chi = (hi < tree.hi ? hi : tree.hi) & -PG, gs = tree.lo, ge;
	int rc = -ERR_NOMEM;

	if (size == 0 || size % PG)
		return -ERR_INVAL;
	clo = (clo + PG - 1) / PG * PG;
	for (size_t i = 0; i <= nmodel && (top || rc); i++) {
		ge = i < nmodel ? model[i].start : tree.hi;
		s = gs > clo ? gs : clo;
		e = ge < chi ? ge : chi;
		if (e > s && e - s >= size) {
			*out = (uint64_t)(top ? e - size : s);
			rc = 0;
		}
		gs = i < nmodel ? model[i].end : 0;
	}
	return rc;
}

struct config {
	uint64_t seed, lo, pages, maxlen;	/* tree [lo, lo + pages * PG) */
};

/*
 * An address in or around the tree's range (may wrap past 0 or 2^64),
 * often a node boundary +-1 page, sometimes unaligned.
 */
static uint64_t rand_addr(const struct config *c)
{
	uint64_t a = tree.lo + (below(c->pages + 8) - 4) * PG;

	if (nmodel && below(4) == 0) {
		struct range *r = &model[below(nmodel)];

		a = (below(2) ? r->start : r->end) + (below(3) - 1) * PG;
	}
	return below(10) ? a : a + below(PG);
}

static void tree_check(const char *op, unsigned long step)
{
	int err = vma_tree_check(&tree);

	CHECK(err == 0 && tree.count == nmodel, "after %s at step %lu: %d (%s)"
	      ", count %" PRIu64 " model %zu", op, step, err,
	      vma_tree_check_name(err), tree.count, nmodel);
}

static void full_walk(void)
{
	struct vma_node *n = vma_tree_first(&tree);
	size_t i;

	for (i = 0; i < nmodel && n; i++, n = vma_tree_next(n))
		if (item_of(n) != model[i].it)
			break;
	CHECK(i == nmodel && !n, "forward walk diverged at %zu", i);
	for (n = vma_tree_last(&tree); i > 0 && n; n = vma_tree_prev(n))
		if (item_of(n) != model[--i].it)
			break;
	CHECK(i == 0 && !n, "backward walk diverged at %zu", i);
}

static void op_insert(const struct config *c)
{
	struct item *it = &pool[free_ids[nfree ? nfree - 1 : 0]];
	uint64_t s = rand_addr(c), e, len = (1 + below(c->maxlen)) * PG;
	size_t i = below(nmodel + 1);
	int want, got;

	if (!nfree)
		return;
	if (below(2)) {		/* aim inside a free gap to grow the tree */
		uint64_t g0 = i ? model[i - 1].end : tree.lo;
		uint64_t g1 = i < nmodel ? model[i].start : tree.hi;

		if (g1 > g0)
			s = g0 + below((g1 - g0) / PG) * PG;
	}
	e = UINT64_MAX - s < len ? UINT64_MAX : s + len;
	e = below(40) == 0 ? s : below(40) == 0 ? e | 8 : e;	/* empty, odd */
	memset(&it->node, 0xa5, sizeof(it->node));	/* links are not read */
	it->node.start = s;
	it->node.end = e;
	i = model_lower_bound(s);	/* overlap iff it starts below e */
	want = s >= e || (s | e) % PG || s < tree.lo || e > tree.hi ? -ERR_INVAL
		: i < nmodel && model[i].start < e ? -ERR_EXIST : 0;
	got = vma_tree_insert(&tree, &it->node);
	CHECK(got == want, "insert [%#" PRIx64 ",%#" PRIx64 ") = %d want %d",
	      s, e, got, want);
	st[got == 0 ? 0 : got == -ERR_EXIST ? 1 : 2]++;
	if (got == 0) {
		nfree--;
		model_insert(it);
	}
}

static void op_remove(void)
{
	size_t i = below(nmodel);
	struct item *it = nmodel ? model[i].it : NULL;

	if (!it)
		return;
	vma_tree_remove(&tree, &it->node);
	CHECK(!it->node.left && !it->node.right && !it->node.parent,
	      "removed node keeps links");
	memmove(&model[i], &model[i + 1], (--nmodel - i) * sizeof(model[0]));
	memset(&it->node, 0x5a, sizeof(it->node));	/* catch dangling use */
	free_ids[nfree++] = it->id;
}

/*
 * Resizes a random node within its neighbours: shrink from either end,
 * grow into the gaps, any sub-range between them, or split (shrink, then
 * insert the cut-off tail as a new node).
 */
static void op_resize(void)
{
	size_t i = below(nmodel);
	struct range *r = &model[i];
	uint64_t lo, hi, s, e, len, cut;
	struct item *t;

	if (!nmodel)
		return;
	lo = i ? model[i - 1].end : tree.lo;
	hi = i + 1 < nmodel ? model[i + 1].start : tree.hi;
	len = (r->end - r->start) / PG;
	cut = len > 1 ? (1 + below(len - 1)) * PG : 0;	/* keeps >= 1 page */
	s = r->start;
	e = r->end;
	switch (below(5)) {
	case 0: s += cut; break;
	case 1: e -= cut; break;
	case 2: s -= below((s - lo) / PG + 1) * PG;
		e += below((hi - e) / PG + 1) * PG;
		break;
	case 3: s = lo + below((hi - lo) / PG) * PG;
		e = s + (1 + below((hi - s) / PG)) * PG;
		break;
	default:
		if (!cut || !nfree)
			return;
		t = &pool[free_ids[--nfree]];
		t->node.start = e - cut;
		t->node.end = e;
		vma_tree_resize(&tree, &r->it->node, s, e - cut);
		r->end = e - cut;
		CHECK(vma_tree_insert(&tree, &t->node) == 0, "split insert");
		model_insert(t);
		return;
	}
	vma_tree_resize(&tree, &r->it->node, s, e);
	r->start = s;
	r->end = e;
}

static void op_lookup(const struct config *c)
{
	uint64_t a = rand_addr(c);
	size_t i = model_lower_bound(a);
	struct item *lb = i < nmodel ? model[i].it : NULL;
	struct item *f = lb && lb->node.start <= a ? lb : NULL;

	CHECK(item_of(vma_tree_find(&tree, a)) == f, "find(%#" PRIx64 ")", a);
	CHECK(item_of(vma_tree_lower_bound(&tree, a)) == lb,
	      "lower_bound(%#" PRIx64 ")", a);
}

static void op_neighbours(void)
{
	size_t i = below(nmodel);
	struct vma_node *n = nmodel ? &model[i].it->node : NULL;

	CHECK(item_of(vma_tree_first(&tree)) == (nmodel ? model[0].it : NULL)
	      && item_of(vma_tree_last(&tree)) ==
	      (nmodel ? model[nmodel - 1].it : NULL), "first/last");
	CHECK(!n || item_of(vma_tree_next(n)) ==
	      (i + 1 < nmodel ? model[i + 1].it : NULL), "next of %zu", i);
	CHECK(!n || item_of(vma_tree_prev(n)) == (i ? model[i - 1].it : NULL),
	      "prev of %zu", i);
}

static void op_gap(const struct config *c, int top)
{
	uint64_t size, lo, hi, got = 0, want = 0;
	int rg, rw;

	size = (1 + below(2 * c->maxlen)) * PG;
	if (below(20) == 0)	/* zero, unaligned or huge */
		size = below(3) == 0 ? 0 : below(2) ? below(PG) : rnd() & -PG;
	lo = below(6) ? rand_addr(c) : 0;
	hi = below(6) ? rand_addr(c) : UINT64_MAX;
	if (below(10) && lo > hi) {	/* mostly a real window */
		hi ^= lo;
		lo ^= hi;
		hi ^= lo;
	}
	rw = model_gap(size, lo, hi, top, &want);
	st[rw == 0 ? 3 : rw == -ERR_NOMEM ? 4 : 5]++;
	rg = top ? vma_tree_find_gap_top(&tree, size, lo, hi, &got)
		 : vma_tree_find_gap(&tree, size, lo, hi, &got);
	CHECK(rg == rw && got == want,
	      "find_gap%s(size %#" PRIx64 ", [%#" PRIx64 ",%#" PRIx64 ")) = %d %#"
	      PRIx64 ", want %d %#" PRIx64, top ? "_top" : "", size, lo, hi,
	      rg, got, rw, want);
}

static void run_random(const struct config *c, unsigned long ops)
{
	unsigned long step, fail0 = failed;

	rng = c->seed;
	memset(st, 0, sizeof(st));
	vma_tree_init(&tree, c->lo, c->lo + c->pages * PG);
	nmodel = 0;
	nfree = POOL;
	for (int i = 0; i < POOL; i++)
		free_ids[i] = pool[i].id = POOL - 1 - i;
	for (step = 0; step < ops; step++) {
		/* Phases of 10,000 steps grow, hold, then shrink the tree. */
		static const uint64_t remove_pct[] = { 3, 15, 45 };
		uint64_t w = below(100);
		const char *op;

		if (below(100) < remove_pct[(step / 10000) % 3])
			{ op = "remove"; op_remove(); }
		else if (w < 35) { op = "insert"; op_insert(c); }
		else if (w < 50) { op = "resize"; op_resize(); }
		else if (w < 62) { op = "lookup"; op_lookup(c); }
		else if (w < 70) { op = "neighbours"; op_neighbours(); }
		else if (w < 85) { op = "find_gap"; op_gap(c, 0); }
		else             { op = "find_gap_top"; op_gap(c, 1); }
		if (step < 20000 || step % 1000 == 0)
			tree_check(op, step);
		if (step % 5000 == 0)
			full_walk();
		st[6] = nmodel > st[6] ? nmodel : st[6];
		if (failed != fail0) {
			fprintf(stderr, "seed %#" PRIx64 ": stopping at step %lu "
				"(%s)\n", c->seed, step, op);
			return;
		}
	}
	tree_check("end", step);
	full_walk();
	printf("seed %#" PRIx64 ": %lu ops, %zu nodes at end, %lu at most; "
	       "insert ok/exist/inval %lu/%lu/%lu; gap ok/nomem/inval "
	       "%lu/%lu/%lu\n", c->seed, ops, nmodel, st[6], st[0], st[1],
	       st[2], st[3], st[4], st[5]);
}

static void add(struct item *it, uint64_t s, uint64_t e, int want)
{
	it->node.start = s;
	it->node.end = e;
	CHECK(vma_tree_insert(&tree, &it->node) == want,
	      "insert [%#" PRIx64 ",%#" PRIx64 ") want %d", s, e, want);
}

static void expect_gap(int top, uint64_t size, uint64_t lo, uint64_t hi,
		       int want_rc, uint64_t want)
{
	uint64_t got = 0;
	int rc = top ? vma_tree_find_gap_top(&tree, size, lo, hi, &got)
		     : vma_tree_find_gap(&tree, size, lo, hi, &got);

	CHECK(rc == want_rc && (rc || got == want),
	      "gap%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") = %d %#" PRIx64,
	      top ? "_top" : "", size, lo, hi, rc, got);
}

static void test_fixed(void)
{
	struct item it[4];

	vma_tree_init(&tree, 0x1000, 0x100000);
	expect_gap(0, 0x2000, 0, UINT64_MAX, 0, 0x1000);
	expect_gap(1, 0x2000, 0, UINT64_MAX, 0, 0xfe000);
	expect_gap(0, 0x100000, 0, UINT64_MAX, -ERR_NOMEM, 0);
	expect_gap(0, 0xff000, 0, UINT64_MAX, 0, 0x1000);
	add(&it[0], 0x2000, 0x3000, 0);
	add(&it[1], 0x5000, 0x8000, 0);
	add(&it[2], 0xf0000, 0x100000, 0);	/* no gap before hi */
	expect_gap(0, 0x1000, 0, UINT64_MAX, 0, 0x1000);
	expect_gap(0, 0x2000, 0, UINT64_MAX, 0, 0x3000);
	expect_gap(0, 0x2000, 0x3800, UINT64_MAX, 0, 0x8000);	/* clipped */
	expect_gap(0, 0x1000, 0x3800, 0x5000, 0, 0x4000);	/* rounded up */
	expect_gap(1, 0x1000, 0, UINT64_MAX, 0, 0xef000);
	expect_gap(1, 0x2000, 0, 0x7000, 0, 0x3000);
	expect_gap(1, 0x2000, 0, 0x4fff, -ERR_NOMEM, 0);	/* rounds down */
	expect_gap(1, 0x3000, 0, 0x6000, -ERR_NOMEM, 0);
	expect_gap(0, 0xe8000, 0, UINT64_MAX, 0, 0x8000);
	expect_gap(0, 0xe9000, 0, UINT64_MAX, -ERR_NOMEM, 0);
	expect_gap(0, 0, 0, UINT64_MAX, -ERR_INVAL, 0);
	expect_gap(1, 0x800, 0, UINT64_MAX, -ERR_INVAL, 0);
	expect_gap(0, 0x1000, 0x9000, 0x9000, -ERR_NOMEM, 0);
	expect_gap(0, 0x1000, 0x9000, 0x8000, -ERR_NOMEM, 0);
	add(&it[3], 0x2000, 0x3000, -ERR_EXIST);	/* same range */
	add(&it[3], 0x7000, 0x9000, -ERR_EXIST);	/* tail overlap */
	add(&it[3], 0x1000, 0x3000, -ERR_EXIST);	/* head overlap */
	add(&it[3], 0, 0x1000, -ERR_INVAL);	/* below t->lo */
	add(&it[3], 0x4000, 0x4000, -ERR_INVAL);	/* empty */
	CHECK(vma_tree_check(&tree) == 0, "fixed tree valid");

	/* vma_tree_check must notice corruption of each kind. */
#define CORRUPT(field, delta, code) do {				\
	field += (delta);						\
	CHECK(vma_tree_check(&tree) == -(code), #field);		\
	field -= (delta);						\
} while (0)
	CORRUPT(it[1].node.max_gap, 1, VMA_CHECK_MAXGAP);
	CORRUPT(it[0].node.gap, PG, VMA_CHECK_GAP);
	CORRUPT(it[0].node.height, 1, VMA_CHECK_HEIGHT);
	CORRUPT(tree.count, 1, VMA_CHECK_COUNT);
	CORRUPT(it[0].node.end, 0x3000, VMA_CHECK_ORDER);
	CORRUPT(it[2].node.end, PG, VMA_CHECK_RANGE);
	CORRUPT(tree.hi, 1, VMA_CHECK_TREE);
	it[0].node.parent = &it[2].node;
	CHECK(vma_tree_check(&tree) == -VMA_CHECK_PARENT, "parent link");
	it[0].node.parent = &it[1].node;
	CHECK(vma_tree_check(&tree) == 0, "restored tree valid");

	/* A tree ending at the top of the 64-bit space. */
	vma_tree_init(&tree, UINT64_MAX - 15 * PG + 1, UINT64_MAX - PG + 1);
	expect_gap(1, PG, 0, UINT64_MAX, 0, UINT64_MAX - 2 * PG + 1);
	expect_gap(0, 14 * PG, UINT64_MAX - 100, UINT64_MAX, -ERR_NOMEM, 0);
	add(&it[0], UINT64_MAX - 2 * PG + 1, UINT64_MAX - PG + 1, 0);
	expect_gap(1, PG, 0, UINT64_MAX, 0, UINT64_MAX - 3 * PG + 1);
	CHECK(vma_tree_check(&tree) == 0, "top tree valid");
}

#define BIG 10000
static struct item big[BIG];
static int max_height_seen;	/* at BIG nodes */

static void check_height(const char *what)
{
	int h = tree.root ? tree.root->height : 0, err = vma_tree_check(&tree);
	double x = (double)tree.count, bound = 2;

	/* 1.44 * log2(count) + 2 without libm; log2(m) >= m - 1 on [1, 2]. */
	for (; x >= 2; x /= 2)
		bound += 1.44;
	bound += x >= 1 ? 1.44 * (x - 1) : 0;

	if (tree.count == BIG && h > max_height_seen)
		max_height_seen = h;
	CHECK(err == 0 && h <= bound, "%s: check %d, height %d > %.2f for %"
	      PRIu64 " nodes", what, err, h, bound, tree.count);
	printf("height %-28s %5" PRIu64 " nodes: %2d (bound %.2f)\n", what,
	       tree.count, h, bound);
}

/* BIG nodes ascending (adjacent), descending, shuffled; then churn. */
static void test_heights(void)
{
	static const char *const name[] = { "ascending", "descending", "shuffled" };
	static int order[BIG];
	int i, j, k, pass;

	rng = 0x9e3779b97f4a7c15ull;
	for (i = 0; i < BIG; i++)
		order[i] = i;
	for (i = BIG - 1; i > 0; i--) {	/* Fisher-Yates */
		j = (int)below((uint64_t)i + 1);
		k = order[i];
		order[i] = order[j];
		order[j] = k;
	}
	for (pass = 0; pass < 3; pass++) {
		vma_tree_init(&tree, 0, 4 * BIG * PG);
		for (i = 0; i < BIG; i++) {
			k = pass == 0 ? i : pass == 1 ? BIG - 1 - i : order[i];
			add(&big[k], (uint64_t)k * 4 * PG, (uint64_t)(k * 4 + 1 +
			    (pass == 0 ? 3 : (int)below(3))) * PG, 0);
		}
		check_height(name[pass]);
		if (pass == 2)
			break;
		for (i = 0; i < BIG; i++)
			vma_tree_remove(&tree, &big[order[i]].node);
		CHECK(!tree.root && !vma_tree_check(&tree), "emptied");
	}
	for (i = 0; i < BIG; i += 2)	/* every other one in address order */
		vma_tree_remove(&tree, &big[i].node);
	check_height("after removing evens");
	for (i = 0; i < BIG; i += 2)
		add(&big[i], (uint64_t)i * 4 * PG, ((uint64_t)i * 4 + 1) * PG, 0);
	check_height("refilled");
	for (i = 0; i < BIG / 2; i++)	/* the low half */
		vma_tree_remove(&tree, &big[i].node);
	check_height("after removing low half");
}

int main(void)
{
	static const struct config cfgs[] = {
		{ 0x1234567ull, 0x10000, 2048, 8 },		/* dense */
		{ 0xdeadbeefcafeull, PG, 1u << 20, 512 },	/* sparse */
		{ 0x5eed0003ull, 0, 4096, 64 },			/* lo = 0 */
		{ 0x5eed0004ull, -8193 * PG, 8192, 32 },	/* top of 2^64 */
		{ 0x5eed0005ull, PG, USER_TOP / PG - 1, 1u << 16 }, /* Sv39 */
	};

	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep it if a sanitizer aborts */
	test_fixed();
	test_heights();
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		run_random(&cfgs[i], 200000);
	printf("max tree height at %d nodes: %d\n", BIG, max_height_seen);
	printf("%lu passed, %lu failed\n", passed, failed);
	return failed ? 1 : 0;
}
