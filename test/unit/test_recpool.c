/*
 * test_recpool.c - host unit test of pager/recpool.c (the record pools),
 * under ASan/UBSan: records of several sizes taken and given back in a
 * seeded random order against a list of live ones; every live record
 * keeps a tag nobody else writes (so two live records never overlap), the
 * pool's block count stays within what the live records need plus one
 * spare, and everything given back leaves no block behind (ASan's leak
 * check sees the blocks freed).
 */
#include <stdbool.h>
#include "check.h"
#include "recpool.h"

#define LIVE_MAX 5000

struct rec72 { uint64_t w[9]; };
struct rec24 { uint64_t w[3]; };

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void run(struct recpool *p, uint32_t words, int steps)
{
	static uint64_t *live[LIVE_MAX];
	uint32_t nlive = 0;
	uint64_t tag = 1;

	for (int s = 0; s < steps; s++) {
		bool take = nlive == 0 || (nlive < LIVE_MAX && rnd() % 100 < (s < steps / 2 ? 70 : 30));
		if (take) {
			uint64_t *r = recpool_get(p);
			CHECK(r != NULL && ((uintptr_t)r & 7) == 0);
			for (uint32_t i = 0; i < words; i++)
				r[i] = tag;
			live[nlive++] = r;
			tag++;
		} else {
			uint32_t k = (uint32_t)(rnd() % nlive);
			uint64_t *r = live[k], t = r[0];
			for (uint32_t i = 1; i < words; i++)
				CHECK(r[i] == t);	/* nobody else wrote into it */
			recpool_put(p, r);
			live[k] = live[--nlive];
		}
		/* At most one block more than full blocks could hold, plus the
		 * blocks a random order leaves part-used: never more blocks than
		 * live records and one spare. */
		CHECK(p->blocks <= (uint64_t)nlive + 1);
	}
	for (uint32_t k = 0; k < nlive; k++) {
		for (uint32_t i = 1; i < words; i++)
			CHECK(live[k][i] == live[k][0]);
		recpool_put(p, live[k]);
	}
	CHECK(p->blocks <= 1);	/* the one spare block kept for the next */
}

int main(void)
{
	struct recpool a = RECPOOL_INIT(struct rec72), b = RECPOOL_INIT(struct rec24);

	CHECK(a.size == 72 && b.size == 24);
	run(&a, 9, 200000);
	run(&b, 3, 200000);
	/* A take and a give back in turn reuses the spare block. */
	for (int i = 0; i < 1000; i++) {
		void *r = recpool_get(&a);
		CHECK(r != NULL);
		recpool_put(&a, r);
		CHECK(a.blocks == 1);
	}
	recpool_trim(&a);
	recpool_trim(&b);
	CHECK(a.blocks == 0 && b.blocks == 0);
	return check_report();
}
