/*
 * test_pagemap's fixed cases: get/set/count_range, a COW write after a
 * clone, path_private, what destroy reports, node allocation failing
 * half-way down, and the flat array's growth into a tree.
 */
#include "test_pagemap.h"

/* ---- fixed cases ------------------------------------------------------- */

unsigned long reported;
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

void test_fixed(void)
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
void test_nomem_fixed(void)
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
void test_flat(void)
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
