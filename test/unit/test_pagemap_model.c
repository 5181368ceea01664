/*
 * test_pagemap's random run: seeded operations on a list of maps against
 * a model (an array of values per map over fixed indices), checking the
 * maps stay apart, and periodically that references, hints and frames in
 * use agree; with a tiny arena, -ERR_NOMEM anywhere must leave them sound.
 */
#include "test_pagemap.h"

/* ---- random operations against a model --------------------------------- */


static uint64_t idxs[NIDX_MAX];
size_t nidx;
struct tmap maps[NMAPS];
static int nmaps;
static uint64_t rng;
static int allow_nomem;
unsigned long nomem_seen, ops[8];

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
void make_indices(void)
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

/* pagemap_absent_run from a model index (or just past one): the distance
 * to the first present index, or n. */
static void check_absent_run(const struct tmap *t)
{
	size_t k = rnd() % nidx;
	uint64_t idx = idxs[k] + rnd() % 2, n = 1 + rnd() % 1100, want = n;

	for (size_t j = lower(idx); j < nidx && idxs[j] < idx + n; j++)
		if (t->val[j] != NONE) {
			want = idxs[j] - idx;
			break;
		}
	CHECK(pagemap_absent_run(&t->pm, idx, n) == want, "absent_run %" PRIu64 " %" PRIu64, idx, n);
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
		uint64_t run = 0;
		slot = rnd() % 2 ? pagemap_slot(&t->pm, idxs[k], 1) : pagemap_slots(&t->pm, idxs[k], &run);
		/* pagemap_slots: the next slots are the next indices' */
		if (slot && run && k + 1 < nidx && idxs[k + 1] - idxs[k] < run)
			CHECK(slot + (idxs[k + 1] - idxs[k]) == pagemap_slot(&t->pm, idxs[k + 1], 0),
			      "slots run of %" PRIu64 " from %" PRIu64, run, idxs[k]);
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

void random_run(uint64_t seed, uint64_t frames, int steps, int nomem)
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
		} else if (op < 94) {
			check_absent_run(t);
			ops[6]++;
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
