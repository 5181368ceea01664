/*
 * What the parts of test_pagemap share (test_pagemap.c says what the test
 * owns): the CHECK counters, the data frames with their tags, the
 * white-box checks of the private hints, the fixed cases
 * (test_pagemap_fixed.c) and the random run against a model
 * (test_pagemap_model.c).
 */
#ifndef TEST_PAGEMAP_H
#define TEST_PAGEMAP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/kernel.h"
#include "page.h"
#include "pagemap.h"

void fake_page_init(uint64_t n);
void fake_page_fini(void);

extern unsigned long passed, failed;

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

/* Data frames (test_pagemap.c): each carries a tag the test checks. */
void arena(uint64_t n);
int64_t data_new(void);
int tag_ok(uint64_t pfn);
uint64_t used(void);
/* The private hints are true; the path to idx exists, every node on it
 * with reference count 1. */
int hints_ok(const struct pagemap *m);
int path_rc1(const struct pagemap *m, uint64_t idx);

/* test_pagemap_fixed.c; reported counts what count_fn was given. */
extern unsigned long reported;
void test_fixed(void);
void test_nomem_fixed(void);
void test_flat(void);

/* test_pagemap_model.c */
struct tmap {
	struct pagemap pm;
	uint64_t *val;		/* per idxs[k]: pfn or NONE */
};

extern size_t nidx;
extern struct tmap maps[NMAPS];
extern unsigned long nomem_seen, ops[8];
void make_indices(void);
void random_run(uint64_t seed, uint64_t frames, int steps, int nomem);

#endif
