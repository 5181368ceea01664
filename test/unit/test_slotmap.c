/*
 * test_slotmap.c - host unit test of pager/slotmap.h (a backing server's
 * window slots), under ASan/UBSan: lowest_bit against a bit loop, then
 * runs of 1..129 slots (a fill's up to 16, a write-back's up to 129)
 * taken and freed in a seeded random order against a model, for bitmaps
 * of 448 slots (the window's) and of 128: every run taken was all free in
 * the model and is all set after, nothing else changes, -1 only when the
 * model has no such run anywhere (straddling words included), and a free
 * clears exactly its run.
 */
#include <stdbool.h>
#include "check.h"
#include "slotmap.h"

#define NBITS_MAX 448
#define LIVE_MAX 256

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool model_bit(const bool *m, uint32_t i)
{
	return m[i];
}

/* Whether the model has n free slots in a row anywhere. */
static bool model_has_run(const bool *m, uint32_t nbits, uint32_t n)
{
	for (uint32_t i = 0, run = 0; i < nbits; i++)
		if ((run = m[i] ? 0 : run + 1) == n)
			return true;
	return false;
}

static bool same(const uint64_t *bits, const bool *m, uint32_t nbits)
{
	for (uint32_t i = 0; i < nbits; i++)
		if ((bool)((bits[i / 64] >> (i % 64)) & 1) != model_bit(m, i))
			return false;
	for (uint32_t i = nbits; i % 64; i++)	/* the last word's spare bits */
		if ((bits[i / 64] >> (i % 64)) & 1)
			return false;
	return true;
}

static uint32_t run_length(void)
{
	uint64_t r = rnd() % 100;

	if (r < 60)
		return 1 + (uint32_t)(rnd() % 16);	/* a fill's */
	if (r < 85)
		return 1 + (uint32_t)(rnd() % 64);	/* up to a word */
	return 1 + (uint32_t)(rnd() % 129);		/* a write-back's, past a word */
}

static void run(uint32_t nbits, int steps)
{
	uint64_t bits[(NBITS_MAX + 63) / 64] = { 0 };
	bool m[NBITS_MAX] = { false };
	struct { uint32_t first, n; } live[LIVE_MAX];
	uint32_t nlive = 0, fails = 0, takes = 0;

	for (int s = 0; s < steps; s++) {
		bool take = nlive == 0 || (nlive < LIVE_MAX && rnd() % 100 < 55);
		if (take) {
			uint32_t n = run_length();
			int64_t first = slotmap_take(bits, nbits, n);
			if (first < 0) {
				CHECK(!model_has_run(m, nbits, n));
				fails++;
			} else {
				bool was_free = (uint64_t)first + n <= nbits;
				for (uint32_t i = 0; was_free && i < n; i++)
					was_free = !m[first + i];
				CHECK(was_free);
				if (!was_free)
					return;
				for (uint32_t i = 0; i < n; i++)
					m[first + i] = true;
				live[nlive].first = (uint32_t)first;
				live[nlive++].n = n;
				takes++;
			}
		} else {
			uint32_t k = (uint32_t)(rnd() % nlive);
			slotmap_free(bits, live[k].first, live[k].n);
			for (uint32_t i = 0; i < live[k].n; i++)
				m[live[k].first + i] = false;
			live[k] = live[--nlive];
		}
		CHECK(same(bits, m, nbits));
		if (check_failed)
			return;
	}
	while (nlive--)
		slotmap_free(bits, live[nlive].first, live[nlive].n);
	for (uint32_t w = 0; w < (nbits + 63) / 64; w++)
		CHECK(bits[w] == 0);
	printf("%u slots: %u runs taken, %u refused (no room)\n", nbits, takes, fails);
	CHECK(takes > 1000 && fails > 100);	/* both the full window and room */
}

int main(void)
{
	for (uint32_t i = 0; i < 64; i++) {
		CHECK(lowest_bit(1ull << i) == i);
		CHECK(lowest_bit(~0ull << i) == i);
	}
	for (int k = 0; k < 100000; k++) {
		uint64_t x = rnd() | 1ull << 63, i = 0;
		x &= rnd() | 1ull << 63;
		while (!((x >> i) & 1))
			i++;
		CHECK(lowest_bit(x) == i);
	}
	/* Runs that must straddle a word: the word path finds none, the bit
	 * path does. */
	uint64_t b2[2] = { ~0ull >> 8, ~0ull << 8 };	/* free: 56..71 */
	CHECK(slotmap_take(b2, 128, 16) == 56);
	CHECK(b2[0] == ~0ull && b2[1] == ~0ull);
	CHECK(slotmap_take(b2, 128, 1) == -1);
	slotmap_free(b2, 56, 16);
	CHECK(b2[0] == ~0ull >> 8 && b2[1] == ~0ull << 8);
	CHECK(slotmap_take(b2, 128, 17) == -1);
	uint64_t b3[2] = { 0, 0 };
	CHECK(slotmap_take(b3, 128, 64) == 0 && b3[0] == ~0ull && b3[1] == 0);
	CHECK(slotmap_take(b3, 128, 64) == 64 && b3[1] == ~0ull);
	slotmap_free(b3, 0, 128);
	CHECK(b3[0] == 0 && b3[1] == 0);
	CHECK(slotmap_take(b3, 128, 1) == 0 && slotmap_take(b3, 128, 127) == 1);
	CHECK(b3[0] == ~0ull && b3[1] == ~0ull);
	run(448, 400000);
	run(128, 200000);
	return check_report();
}
