/*
 * test_pagemap.c - host unit test of pager/pagemap.c (the copy-on-write
 * radix page map) over fake_page.c's arena. Owns:
 *   - fixed cases: get/set/count_range, a COW write after a clone copying
 *     exactly one data frame and the nodes of one path, path_private, which
 *     entries destroy reports, node allocation failing half-way down;
 *   - seeded random operations on a list of maps (set/replace/clear one,
 *     get, clone, clear_range, destroy, count_range) against a model (an
 *     array of values per map over a fixed set of indices spanning several
 *     leaf and level-1 nodes), checking after every step that no write
 *     through one map shows in another, and periodically that the
 *     references the maps hold (pagemap_count_refs) equal every frame's
 *     count, that the private hints are true, and that frames in use =
 *     node frames + data frames the models name;
 *   - the same with a tiny arena, where -ERR_NOMEM may happen anywhere and
 *     the maps must stay consistent;
 *   - with every lookup, pagemap_leaf's slot agreeing with pagemap_get.
 * Every phase ends with all maps destroyed and every frame free again.
 * Prints "N passed, M failed"; exits non-zero on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/kernel.h"
#include "page.h"
#include "pagemap.h"

void fake_page_init(uint64_t n);
void fake_page_fini(void);

static unsigned long passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) { passed++; break; }					\
	if (++failed <= 30) {						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define NONE PAGEMAP_NONE
#define MAXI PAGEMAP_MAX_INDEX
#define L1_SPAN (512ul * 512)
#define NMAPS 8
#define NIDX_MAX 4096

/* ---- data frames: each carries a tag the test checks ---------------- */

static uint64_t *tag_of;	/* per pfn: the tag written at allocation */
static uint64_t next_tag = 1;

static void arena(uint64_t n)
{
	fake_page_init(n);
	free(tag_of);
	tag_of = calloc(n, sizeof(*tag_of));
}

static int64_t data_new(void)
{
	int64_t pfn = page_alloc();

	if (pfn >= 0) {
		uint64_t *p = page_va((uint64_t)pfn);
		tag_of[pfn] = next_tag++;
		p[0] = p[PAGE_SIZE / 8 - 1] = tag_of[pfn];
	}
	return pfn;
}

static int tag_ok(uint64_t pfn)
{
	const uint64_t *p = page_va(pfn);

	return pfn < page_total_count() && page_refcount(pfn) > 0 &&
	       p[0] == tag_of[pfn] && p[PAGE_SIZE / 8 - 1] == tag_of[pfn];
}

static uint64_t used(void)
{
	return page_total_count() - page_free_count();
}

/* ---- white-box: the private hints must be true ------------------------ */

static uint64_t *node_of(uint64_t e)
{
	return page_va((e & ~PAGEMAP_ENTRY_PRIVATE) - 1);
}

static int hints_ok(const struct pagemap *m)
{
	if (!m->root)
		return 1;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = m->root[i], *x;
		if (!e)
			continue;
		x = node_of(e);
		if ((e & PAGEMAP_ENTRY_PRIVATE) &&
		    (page_refcount(page_pfn(m->root)) != 1 || page_refcount(page_pfn(x)) != 1))
			return 0;
		for (unsigned j = 0; j < 512; j++)
			if ((x[j] & PAGEMAP_ENTRY_PRIVATE) && page_refcount(page_pfn(node_of(x[j]))) != 1)
				return 0;
	}
	return 1;
}

/* The path to idx exists and every node on it has reference count 1. */
static int path_rc1(const struct pagemap *m, uint64_t idx)
{
	uint64_t e2, e1;

	if (m->flat)	/* a flat array is never shared */
		return idx < m->flat->cap;
	if (!m->root || page_refcount(page_pfn(m->root)) != 1)
		return 0;
	e2 = m->root[(idx >> 18) & 511];
	if (!e2 || page_refcount(page_pfn(node_of(e2))) != 1)
		return 0;
	e1 = node_of(e2)[(idx >> 9) & 511];
	return e1 && page_refcount(page_pfn(node_of(e1))) == 1;
}

/* ---- fixed cases ------------------------------------------------------- */

static unsigned long reported;
static void count_fn(uint64_t idx, uint64_t pfn, void *arg)
{
	(void)idx;
	(void)arg;
	CHECK(tag_ok(pfn), "reported frame %" PRIu64 " not live", pfn);
	reported++;
}

/* Put a fresh data frame at idx through pagemap_slot (replacing). */
static uint64_t write_at(struct pagemap *m, uint64_t idx)
{
	uint64_t *slot = pagemap_slot(m, idx, 1), old;
	int64_t pfn;

	if (!slot || (pfn = data_new()) < 0)
		return NONE;
	old = *slot;
	*slot = (uint64_t)pfn + 1;
	if (old)
		page_unref(old - 1);
	else
		pagemap_slot_filled(m);
	return (uint64_t)pfn;
}

static void test_fixed(void)
{
	struct pagemap a = {0}, b = {0};
	uint64_t p5, u0, n0, p, q;

	arena(256);
	/* Empty map. */
	CHECK(pagemap_get(&a, 0) == NONE, "empty get");
	CHECK(pagemap_slot(&a, 7, 0) == NULL, "empty slot !alloc");
	CHECK(pagemap_count_range(&a, 0, MAXI) == 0, "empty count");
	CHECK(!pagemap_path_private(&a, 0), "empty path");
	CHECK(pagemap_set(&a, MAXI, 0) == -ERR_INVAL, "set past max");
	CHECK(pagemap_slot(&a, MAXI, 1) == NULL, "slot past max");
	CHECK(pagemap_clone(&b, &a) == 0 && b.root == NULL, "clone of empty");

	/* A leaf of 100 entries, one far away. */
	for (uint64_t i = 0; i < 100; i++)
		CHECK(write_at(&a, i) != NONE, "fill %" PRIu64, i);
	CHECK(write_at(&a, MAXI - 1) != NONE, "fill max-1");
	CHECK(pagemap_node_frames() == 5, "nodes %" PRIu64, pagemap_node_frames());
	CHECK(pagemap_count_range(&a, 0, MAXI) == 101, "count all");
	CHECK(pagemap_count_range(&a, 10, 20) == 10, "count part");
	CHECK(pagemap_count_range(&a, 100, MAXI - 1) == 0, "count gap");
	CHECK(pagemap_path_private(&a, 5) && path_rc1(&a, 5), "private before clone");

	/* Clone: shares everything, copies nothing. */
	u0 = used();
	CHECK(pagemap_clone(&b, &a) == 0 && b.root == a.root, "clone shares root");
	CHECK(pagemap_clone(&b, &a) == -ERR_INVAL, "clone into non-empty");
	CHECK(used() == u0 && page_refcount(page_pfn(a.root)) == 2, "clone is O(1)");
	CHECK(!pagemap_path_private(&a, 5) && !pagemap_path_private(&b, 5), "shared path");
	CHECK(pagemap_get(&b, 5) == pagemap_get(&a, 5), "clone reads same");

	/* A COW write in b: one data frame, and the three nodes of the path. */
	p5 = pagemap_get(&a, 5);
	n0 = pagemap_node_frames();
	u0 = used();
	p = write_at(&b, 5);
	CHECK(pagemap_node_frames() == n0 + 3, "path copied: %" PRIu64, pagemap_node_frames() - n0);
	CHECK((used() - pagemap_node_frames()) - (u0 - n0) == 1, "exactly one data frame");
	CHECK(pagemap_get(&a, 5) == p5 && tag_ok(p5) && page_refcount(p5) == 1, "a unchanged");
	CHECK(pagemap_get(&b, 5) == p, "b sees its copy");
	CHECK(pagemap_path_private(&b, 5) && path_rc1(&b, 5), "b path private");
	CHECK(pagemap_path_private(&a, 5) && path_rc1(&a, 5), "a path private again");
	CHECK(!pagemap_path_private(&a, MAXI - 1) && !pagemap_path_private(&b, MAXI - 1),
	      "other subtree still shared");
	/* Same leaf again: no copy at all. */
	n0 = pagemap_node_frames();
	q = write_at(&b, 6);
	CHECK(q != NONE && pagemap_node_frames() == n0, "second write: no node copied");
	CHECK(pagemap_get(&a, 6) != q && tag_ok(pagemap_get(&a, 6)), "a keeps 6");
	CHECK(hints_ok(&a) && hints_ok(&b), "hints");

	/* Destroying b (it shares the max-1 subtree): only b's own entries
	 * are reported; then a alone reports everything. */
	reported = 0;
	pagemap_destroy(&b, count_fn, NULL);
	CHECK(b.root == NULL && reported == 100, "b reported %lu", reported);
	CHECK(pagemap_get(&a, MAXI - 1) != NONE && tag_ok(pagemap_get(&a, MAXI - 1)), "a intact");
	CHECK(!pagemap_path_private(&a, MAXI - 1) || path_rc1(&a, MAXI - 1), "hint vs rc");
	CHECK(pagemap_slot(&a, MAXI - 1, 0) && path_rc1(&a, MAXI - 1), "a privatises again");
	/* pagemap_set: takes the reference, drops the replaced one. */
	p = pagemap_get(&a, 7);
	q = (uint64_t)data_new();
	CHECK(pagemap_set(&a, 7, q) == 0 && pagemap_get(&a, 7) == q, "set replace");
	CHECK(page_refcount(p) == 0, "replaced frame freed");
	CHECK(pagemap_set(&a, 7, NONE) == 0 && pagemap_get(&a, 7) == NONE, "set clear");
	CHECK(page_refcount(q) == 0, "cleared frame freed");
	CHECK(pagemap_set(&a, 400000, NONE) == 0, "clear absent");
	/* clear_range frees nodes it empties. */
	reported = 0;
	CHECK(pagemap_clear_range(&a, 0, 512, count_fn, NULL) == 0 && reported == 99, "clear leaf");
	CHECK(pagemap_node_frames() == 3, "leaf, L1 node freed: %" PRIu64, pagemap_node_frames());
	reported = 0;
	pagemap_destroy(&a, count_fn, NULL);
	CHECK(reported == 1 && pagemap_node_frames() == 0, "destroy a");
	CHECK(page_free_count() == page_total_count(), "fixed: no leak");
}

/* Node allocation failing half-way down a path. */
static void test_nomem_fixed(void)
{
	struct pagemap a = {0}, b = {0};
	uint64_t pa, *slot;
	int64_t spare;

	arena(5);
	pa = write_at(&a, 1000);	/* root, L1, leaf, data: 4 frames */
	CHECK(pa != NONE && page_free_count() == 1, "setup");
	CHECK(pagemap_clone(&b, &a) == 0, "clone");
	/* The root copy takes the last frame; the level-1 copy fails. */
	CHECK(pagemap_slot(&b, 1000, 1) == NULL, "slot NOMEM");
	CHECK(b.root && b.root != a.root && page_free_count() == 0, "root copied, kept");
	CHECK(pagemap_get(&a, 1000) == pa && pagemap_get(&b, 1000) == pa, "both still read");
	CHECK(hints_ok(&a) && hints_ok(&b), "hints after NOMEM");
	CHECK(pagemap_clear_range(&b, 1000, 1001, NULL, NULL) == -ERR_NOMEM, "clear NOMEM");
	CHECK(pagemap_get(&b, 1000) == pa, "entry stays when its node cannot be copied");
	CHECK(pagemap_set(&b, 1000, NONE) == -ERR_NOMEM, "set NONE NOMEM");
	/* a lets go: b's nodes become private, no copy needed. */
	pagemap_destroy(&a, NULL, NULL);
	CHECK(page_free_count() == 1, "a's root freed");
	slot = pagemap_slot(&b, 1000, 1);
	CHECK(slot && *slot == pa + 1 && path_rc1(&b, 1000), "b owns the path");
	/* A new path needing two nodes with one frame free. */
	CHECK(pagemap_set(&b, 3 * L1_SPAN, 0) == -ERR_NOMEM, "set NOMEM");
	CHECK(page_free_count() == 0 && pagemap_get(&b, 3 * L1_SPAN) == NONE, "empty L1 kept");
	spare = page_alloc();
	CHECK(spare < 0, "arena is full");
	pagemap_destroy(&b, NULL, NULL);
	CHECK(page_free_count() == page_total_count() && pagemap_node_frames() == 0, "no leak");
}

/* The flat form: small objects cost no node frames; a high index turns
 * the map into a tree keeping every entry, and a failed turn keeps it
 * flat and intact. */
static void test_flat(void)
{
	struct pagemap a = {0}, b = {0}, c = {0}, d = {0};
	uint64_t p0, p5, q;

	arena(256);
	p0 = write_at(&a, 0);
	CHECK(p0 != NONE && a.flat && !a.root && pagemap_node_frames() == 0, "one page, flat");
	CHECK(pagemap_flat_bytes() <= 64, "one page: %" PRIu64 " bytes", pagemap_flat_bytes());
	CHECK(pagemap_path_private(&a, 0) && pagemap_slot(&a, 3, 0) != NULL, "flat slots private");
	CHECK(pagemap_slot(&a, 100, 0) == NULL, "no growth without alloc");
	for (uint64_t i = 1; i < 100; i++)
		CHECK(write_at(&a, i) != NONE, "fill %" PRIu64, i);
	CHECK(a.flat && a.flat->cap == 128 && pagemap_node_frames() == 0, "100 pages flat");
	CHECK(pagemap_flat_bytes() < 100 * 16, "100 pages: %" PRIu64 " bytes", pagemap_flat_bytes());
	CHECK(pagemap_count_range(&a, 10, 20) == 10 && pagemap_count_range(&a, 0, MAXI) == 100,
	      "flat count");
	/* Clone shares the array; a write copies it, each frame gaining a
	 * reference. */
	p5 = pagemap_get(&a, 5);
	CHECK(pagemap_clone(&b, &a) == 0 && b.flat == a.flat && a.flat->refs == 2, "clone shares");
	CHECK(pagemap_clone(&b, &a) == -ERR_INVAL, "clone into non-empty");
	CHECK(!pagemap_path_private(&a, 5) && !pagemap_path_private(&b, 5), "shared: not private");
	CHECK(pagemap_get(&b, 5) == p5 && page_refcount(p5) == 1, "reads the same frames");
	q = write_at(&b, 5);
	CHECK(b.flat != a.flat && a.flat->refs == 1 && pagemap_path_private(&a, 5), "b copied");
	CHECK(q != p5 && page_refcount(p5) == 1 && page_refcount(p0) == 2, "frames referenced");
	CHECK(pagemap_get(&a, 5) == p5 && pagemap_get(&b, 5) == q, "b replaces its own");
	/* A shared array turning into a tree: the leaf takes references. */
	CHECK(pagemap_clone(&d, &a) == 0 && write_at(&d, 700) != NONE && d.root && !d.flat,
	      "shared flat to tree");
	CHECK(a.flat->refs == 1 && pagemap_get(&d, 5) == p5 && page_refcount(p5) == 2,
	      "tree took references");
	pagemap_destroy(&d, NULL, NULL);
	CHECK(page_refcount(p5) == 1 && pagemap_node_frames() == 0, "d gone");
	/* Index 600: a becomes a tree with all 100 entries. */
	CHECK(write_at(&a, 600) != NONE && a.root && !a.flat, "turned into a tree");
	CHECK(pagemap_node_frames() == 4 && pagemap_get(&a, 5) == p5 &&
	      pagemap_count_range(&a, 0, MAXI) == 101, "tree keeps entries");
	CHECK(pagemap_path_private(&a, 5) && path_rc1(&a, 5) && hints_ok(&a), "tree path private");
	reported = 0;
	CHECK(pagemap_clear_range(&b, 0, 50, count_fn, NULL) == 0 && reported == 50, "clear part");
	CHECK(pagemap_clear_range(&b, 50, 100, NULL, NULL) == 0 && !b.flat, "emptied: freed");
	pagemap_destroy(&a, NULL, NULL);
	CHECK(pagemap_flat_bytes() == 0 && pagemap_node_frames() == 0, "all freed");
	CHECK(page_free_count() == page_total_count(), "flat: no leak");

	/* Three frames: the data page, then a tree needing three nodes. */
	arena(3);
	p0 = write_at(&c, 0);
	CHECK(pagemap_slot(&c, 1000, 1) == NULL && c.flat && !c.root, "turn NOMEM: stays flat");
	CHECK(pagemap_get(&c, 0) == p0 && page_free_count() == 2, "entry kept, nodes returned");
	pagemap_destroy(&c, NULL, NULL);
	CHECK(page_free_count() == page_total_count() && pagemap_flat_bytes() == 0, "no leak");
}

/* ---- random operations against a model --------------------------------- */

struct tmap {
	struct pagemap pm;
	uint64_t *val;		/* per idxs[k]: pfn or NONE */
};

static uint64_t idxs[NIDX_MAX];
static size_t nidx;
static struct tmap maps[NMAPS];
static int nmaps;
static uint64_t rng;
static int allow_nomem;
static unsigned long nomem_seen, ops[8];

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Dense runs (one crossing a level-1 boundary), sparse indices over three
 * level-1 nodes, and the edges of the index space. */
static void make_indices(void)
{
	size_t n = 0;

	rng = 0x9e3779b97f4a7c15ul;
	for (uint64_t i = 0; i < 1024; i++)
		idxs[n++] = i;
	for (uint64_t i = L1_SPAN - 256; i < L1_SPAN + 256; i++)
		idxs[n++] = i;
	for (int i = 0; i < 1500; i++)
		idxs[n++] = rnd() % (3 * L1_SPAN);
	idxs[n++] = MAXI - 1;
	idxs[n++] = MAXI - 512;
	idxs[n++] = MAXI - L1_SPAN;
	idxs[n++] = 2 * L1_SPAN - 1;
	qsort(idxs, n, sizeof(idxs[0]), cmp_u64);
	nidx = 0;
	for (size_t i = 0; i < n; i++)
		if (!nidx || idxs[nidx - 1] != idxs[i])
			idxs[nidx++] = idxs[i];
}

static size_t lower(uint64_t idx)
{
	size_t lo = 0, hi = nidx;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (idxs[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t model_count(const struct tmap *t, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (size_t k = lower(lo); k < nidx && idxs[k] < hi; k++)
		n += t->val[k] != NONE;
	return n;
}

static int check_idx(const struct tmap *t, size_t k)
{
	uint64_t got = pagemap_get(&t->pm, idxs[k]), first = 0, n = 0;
	const uint64_t *leaf = pagemap_leaf(&t->pm, idxs[k], &first, &n);
	/* pagemap_leaf (fault-around's read-only scan) sees the same. */
	uint64_t via_leaf = leaf && idxs[k] - first < n && leaf[idxs[k] - first] ?
			    leaf[idxs[k] - first] - 1 : NONE;

	CHECK(got == t->val[k], "map %d idx %" PRIu64 ": got %" PRIu64 " want %" PRIu64,
	      (int)(t - maps), idxs[k], got, t->val[k]);
	CHECK(via_leaf == got, "map %d idx %" PRIu64 ": leaf says %" PRIu64,
	      (int)(t - maps), idxs[k], via_leaf);
	if (got != NONE)
		CHECK(tag_ok(got), "idx %" PRIu64 " frame %" PRIu64 " bad contents", idxs[k], got);
	return got == t->val[k];
}

static void check_map(const struct tmap *t, int full)
{
	if (full) {
		for (size_t k = 0; k < nidx; k++)
			check_idx(t, k);
	} else {
		for (int i = 0; i < 64; i++)
			check_idx(t, rnd() % nidx);
	}
	CHECK(pagemap_count_range(&t->pm, 0, MAXI) == model_count(t, 0, MAXI),
	      "map %d count", (int)(t - maps));
}

/* References held = reference counts; frames used = nodes + data. */
static void check_refs(void)
{
	uint64_t n = page_total_count(), nodes = 0, data = 0;
	uint32_t *counts = calloc(n, sizeof(*counts));
	uint8_t *seen = calloc(n, 1), *is_data = calloc(n, 1);
	unsigned long bad = 0;

	pagemap_check_begin();
	for (int i = 0; i < nmaps; i++) {
		pagemap_count_refs(&maps[i].pm, counts, seen);
		CHECK(hints_ok(&maps[i].pm), "map %d: a private hint is false", i);
		for (size_t k = 0; k < nidx; k++)
			if (maps[i].val[k] != NONE)
				is_data[maps[i].val[k]] = 1;
	}
	for (uint64_t pfn = 0; pfn < n; pfn++) {
		bad += counts[pfn] != page_refcount(pfn);
		nodes += seen[pfn];
		data += is_data[pfn];
		CHECK(!(seen[pfn] && is_data[pfn]), "frame %" PRIu64 " both node and data", pfn);
	}
	CHECK(bad == 0, "%lu frames with references != count", bad);
	CHECK(nodes == pagemap_node_frames(), "nodes reached %" PRIu64 " counted %" PRIu64,
	      nodes, pagemap_node_frames());
	CHECK(used() == nodes + data, "used %" PRIu64 " = nodes %" PRIu64 " + data %" PRIu64,
	      used(), nodes, data);
	free(counts);
	free(seen);
	free(is_data);
}

/* Every map but skip agrees with its model at k (the COW check). */
static void check_others(int skip, size_t k)
{
	for (int i = 0; i < nmaps; i++)
		if (i != skip)
			check_idx(&maps[i], k);
}

static void random_range(uint64_t *lo, uint64_t *hi)
{
	uint64_t base = idxs[rnd() % nidx];

	switch (rnd() % 8) {
	case 0: *lo = base & ~511ul; *hi = *lo + 512; break;			/* a leaf */
	case 1: *lo = base & ~(L1_SPAN - 1); *hi = *lo + L1_SPAN; break;	/* an L1 */
	case 2: *lo = base; *hi = base + 1; break;
	case 3: *lo = base; *hi = base + 1 + rnd() % 2000; break;
	case 4: *lo = rnd() % (3 * L1_SPAN); *hi = *lo + rnd() % (2 * L1_SPAN); break;
	case 5: *lo = (base & ~511ul) + rnd() % 512; *hi = (base | 511) + 1 + 512 * (rnd() % 3); break;
	case 6: *lo = MAXI - L1_SPAN - rnd() % 1000; *hi = MAXI + rnd() % 2; break;
	default: *lo = rnd() % 16 ? base & ~511ul : 0; *hi = rnd() % 16 ? base + 700 : MAXI; break;
	}
}

static struct { uint64_t lo, hi; const struct tmap *t; unsigned long n; } cr;
static void clear_fn(uint64_t idx, uint64_t pfn, void *arg)
{
	size_t k = lower(idx);

	(void)arg;
	CHECK(idx >= cr.lo && idx < cr.hi && k < nidx && idxs[k] == idx && cr.t->val[k] == pfn,
	      "clear reported %" PRIu64 " -> %" PRIu64, idx, pfn);
	CHECK(tag_ok(pfn), "reported frame dead");
	cr.n++;
}

static void op_set(struct tmap *t, int ti)
{
	size_t k = rnd() % nidx;
	uint64_t *slot;
	int64_t pfn;

	if (rnd() % 4 == 0) {	/* through pagemap_set */
		if ((pfn = data_new()) < 0) {
			CHECK(allow_nomem, "data frame NOMEM");
			return;
		}
		if (pagemap_set(&t->pm, idxs[k], (uint64_t)pfn) < 0) {
			CHECK(allow_nomem, "set NOMEM");
			nomem_seen++;
			page_unref((uint64_t)pfn);
			return;
		}
	} else {
		slot = pagemap_slot(&t->pm, idxs[k], 1);
		if (!slot) {
			CHECK(allow_nomem, "slot NOMEM");
			nomem_seen++;
			return;
		}
		CHECK(path_rc1(&t->pm, idxs[k]) && pagemap_path_private(&t->pm, idxs[k]),
		      "slot path not private");
		CHECK(*slot == (t->val[k] == NONE ? 0 : t->val[k] + 1), "slot holds the model");
		if ((pfn = data_new()) < 0) {
			CHECK(allow_nomem, "data frame NOMEM");
			return;
		}
		if (*slot)
			page_unref(*slot - 1);
		else
			pagemap_slot_filled(&t->pm);
		*slot = (uint64_t)pfn + 1;
	}
	t->val[k] = (uint64_t)pfn;
	check_idx(t, k);
	check_others(ti, k);
}

static void op_unset(struct tmap *t, int ti)
{
	size_t k = rnd() % nidx;
	int r = pagemap_set(&t->pm, idxs[k], NONE);

	if (r == -ERR_NOMEM) {
		CHECK(allow_nomem, "unset NOMEM");
		nomem_seen++;
	} else {
		CHECK(r == 0, "unset %d", r);
		t->val[k] = NONE;
	}
	check_idx(t, k);
	check_others(ti, k);
}

static void op_clear(struct tmap *t, int ti)
{
	uint64_t lo, hi, before, want;
	int r;

	random_range(&lo, &hi);
	before = model_count(t, lo, hi);
	cr.lo = lo;
	cr.hi = hi;
	cr.t = t;
	cr.n = 0;
	r = pagemap_clear_range(&t->pm, lo, hi, rnd() % 2 ? clear_fn : NULL, NULL);
	CHECK(r == 0 || (r == -ERR_NOMEM && allow_nomem), "clear_range %d", r);
	CHECK(cr.n <= before, "reported %lu of %" PRIu64, cr.n, before);
	if (r)
		nomem_seen++;
	for (size_t k = lower(lo); k < nidx && idxs[k] < hi; k++) {
		uint64_t got = pagemap_get(&t->pm, idxs[k]);
		if (r)	/* some entries may remain, unchanged */
			CHECK(got == NONE || got == t->val[k], "clear NOMEM changed %" PRIu64, idxs[k]);
		else
			CHECK(got == NONE, "idx %" PRIu64 " not cleared", idxs[k]);
		t->val[k] = got;
	}
	want = model_count(t, lo, hi);
	CHECK(pagemap_count_range(&t->pm, lo, hi) == want, "count after clear");
	for (int i = 0; i < nmaps; i++) {
		if (i == ti)
			continue;
		CHECK(pagemap_count_range(&maps[i].pm, lo, hi) == model_count(&maps[i], lo, hi),
		      "clear in %d changed map %d", ti, i);
	}
}

static void op_clone(int ti)
{
	struct tmap *n = &maps[nmaps];
	uint64_t u = used();

	n->pm = (struct pagemap){ 0 };
	CHECK(pagemap_clone(&n->pm, &maps[ti].pm) == 0, "clone");
	CHECK(used() == u, "clone allocated");
	memcpy(n->val, maps[ti].val, nidx * sizeof(uint64_t));
	nmaps++;
}

static void op_destroy(int ti)
{
	struct tmap tmp;

	pagemap_destroy(&maps[ti].pm, NULL, NULL);
	CHECK(maps[ti].pm.root == NULL && maps[ti].pm.flat == NULL, "destroy leaves empty");
	tmp = maps[ti];
	maps[ti] = maps[nmaps - 1];
	maps[nmaps - 1] = tmp;
	nmaps--;
}

static void random_run(uint64_t seed, uint64_t frames, int steps, int nomem)
{
	unsigned long failed0 = failed;

	arena(frames);
	allow_nomem = nomem;
	nmaps = 1;
	for (int i = 0; i < NMAPS; i++) {
		maps[i].pm = (struct pagemap){ 0 };
		for (size_t k = 0; k < nidx; k++)
			maps[i].val[k] = NONE;
	}
	rng = seed;
	for (int step = 0; step < steps && failed == failed0; step++) {
		int ti = (int)(rnd() % (uint64_t)nmaps), op = (int)(rnd() % 100);
		struct tmap *t = &maps[ti];

		if (op < 45) {
			op_set(t, ti);
			ops[0]++;
		} else if (op < 55) {
			op_unset(t, ti);
			ops[1]++;
		} else if (op < 62) {
			if (nmaps < NMAPS) {
				op_clone(ti);
				ops[2]++;
			}
		} else if (op < 72) {
			op_clear(t, ti);
			ops[3]++;
		} else if (op < 76) {
			if (nmaps > 1) {
				op_destroy(ti);
				ops[4]++;
			}
		} else if (op < 88) {
			uint64_t lo, hi;
			random_range(&lo, &hi);
			CHECK(pagemap_count_range(&t->pm, lo, hi) == model_count(t, lo, hi),
			      "count_range [%" PRIu64 ", %" PRIu64 ")", lo, hi);
			ops[5]++;
		} else {
			check_idx(t, rnd() % nidx);
			ops[6]++;
		}
		if (ti < nmaps)
			check_map(&maps[ti], 0);
		if (step % 250 == 0) {
			for (int i = 0; i < nmaps; i++)
				check_map(&maps[i], 1);
			check_refs();
		}
		if (failed != failed0)
			fprintf(stderr, "  seed %#" PRIx64 " step %d op %d map %d\n", seed, step, op, ti);
	}
	for (int i = 0; i < nmaps; i++)
		check_map(&maps[i], 1);
	check_refs();
	while (nmaps)
		op_destroy(0);
	CHECK(page_free_count() == page_total_count(), "seed %#" PRIx64 ": %" PRIu64 " frames leaked",
	      seed, page_total_count() - page_free_count());
	CHECK(pagemap_node_frames() == 0, "node frames %" PRIu64, pagemap_node_frames());
}

int main(void)
{
	static const uint64_t seeds[] = {
		0x1234567ul, 0xdeadbeefcafeul, 0x5eed0003ul, 0x0badf00dul,
	};

	test_fixed();
	test_nomem_fixed();
	test_flat();
	make_indices();
	for (int i = 0; i < NMAPS; i++)
		maps[i].val = malloc(NIDX_MAX * sizeof(uint64_t));
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		random_run(seeds[s], 20000, 4000, 0);
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		random_run(seeds[s] ^ 0x77, 48, 3000, 1);
	printf("pagemap: %zu indices; ops set %lu unset %lu clone %lu clear %lu destroy %lu "
	       "count %lu get %lu; NOMEM handled %lu\n", nidx, ops[0], ops[1], ops[2], ops[3],
	       ops[4], ops[5], ops[6], nomem_seen);
	for (int i = 0; i < NMAPS; i++)
		free(maps[i].val);
	free(tag_of);
	fake_page_fini();
	printf("%lu passed, %lu failed\n", passed, failed);
	return failed != 0;
}
