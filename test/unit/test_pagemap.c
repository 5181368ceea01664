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
 *
 * This file has the data frames, the white-box checks and main; the cases
 * are in test_pagemap_fixed.c and test_pagemap_model.c (test_pagemap.h).
 */
#include "test_pagemap.h"

unsigned long passed, failed;

/* ---- data frames: each carries a tag the test checks ---------------- */

static uint64_t *tag_of;	/* per pfn: the tag written at allocation */
static uint64_t next_tag = 1;

void arena(uint64_t n)
{
	fake_page_init(n);
	free(tag_of);
	tag_of = calloc(n, sizeof(*tag_of));
}

int64_t data_new(void)
{
	int64_t pfn = page_alloc();

	if (pfn >= 0) {
		uint64_t *p = page_va((uint64_t)pfn);
		tag_of[pfn] = next_tag++;
		p[0] = p[PAGE_SIZE / 8 - 1] = tag_of[pfn];
	}
	return pfn;
}

int tag_ok(uint64_t pfn)
{
	const uint64_t *p = page_va(pfn);

	return pfn < page_total_count() && page_refcount(pfn) > 0 &&
	       p[0] == tag_of[pfn] && p[PAGE_SIZE / 8 - 1] == tag_of[pfn];
}

uint64_t used(void)
{
	return page_total_count() - page_free_count();
}

/* ---- white-box: the private hints must be true ------------------------ */

static uint64_t *node_of(uint64_t e)
{
	return page_va((e & ~PAGEMAP_ENTRY_PRIVATE) - 1);
}

int hints_ok(const struct pagemap *m)
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
int path_rc1(const struct pagemap *m, uint64_t idx)
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
