/*
 * A backing server's window slots as a bitmap (bserver.c: bit i set, slot
 * i in use): runs of free slots found and freed a 64-bit word at a time.
 * Inline here, apart from bserver.c, so that the host unit test
 * (test/unit/test_slotmap.c) runs this very code against a model.
 */
#ifndef PAGER_SLOTMAP_H
#define PAGER_SLOTMAP_H

#include <stdint.h>

/* The lowest set bit's number (x != 0), by a de Bruijn multiply: rv64gc
 * has no ctz instruction, and libgcc's is a call of ~30 instructions. */
static inline uint32_t lowest_bit(uint64_t x)
{
	static const uint8_t pos[64] = {
		0, 1, 2, 53, 3, 7, 54, 27, 4, 38, 41, 8, 34, 55, 48, 28,
		62, 5, 39, 46, 44, 42, 22, 9, 24, 35, 59, 56, 49, 18, 29, 11,
		63, 52, 6, 26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
		51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
	};

	return pos[((x & -x) * 0x022fdd63cc95386dul) >> 58];
}

/* n (>= 1) consecutive clear bits of bits[0, nbits) set: the first, or
 * -1. A run of up to 64 is looked for inside each word of the bitmap, a
 * few shifts a word (a 16-page fill took ~250 instructions bit by bit);
 * longer ones (a write-back's run table and pages), and runs that must
 * straddle two words, bit by bit, whole words in use skipped. */
static inline int64_t slotmap_take(uint64_t *bits, uint32_t nbits, uint32_t n)
{
	uint32_t run = 0;

	if (n <= 64 && nbits % 64 == 0) {
		for (uint32_t w = 0; w < nbits / 64; w++) {
			uint64_t starts = ~bits[w];	/* bit i: a run of n starts at i */
			for (uint32_t len = 1; len < n && starts;) {
				uint32_t k = len < n - len ? len : n - len;
				starts &= starts >> k;
				len += k;
			}
			if (starts) {
				uint32_t i = lowest_bit(starts);
				bits[w] |= (n == 64 ? ~0ul : ((1ul << n) - 1)) << i;
				return (int64_t)(w * 64 + i);
			}
		}
	}
	for (uint32_t i = 0; i < nbits; i++) {
		if (!(i % 64) && bits[i / 64] == ~0ul) {
			run = 0;
			i += 63;
			continue;
		}
		if ((bits[i / 64] >> (i % 64)) & 1) {
			run = 0;
			continue;
		}
		if (++run == n) {
			for (uint32_t j = i + 1 - n; j <= i; j++)
				bits[j / 64] |= 1ul << (j % 64);
			return (int64_t)(i + 1 - n);
		}
	}
	return -1;
}

/* Clear bits [first, first + n). */
static inline void slotmap_free(uint64_t *bits, uint32_t first, uint32_t n)
{
	if (n && first % 64 + n < 64) {	/* within a word: a fill's, the common case */
		bits[first / 64] &= ~(((1ul << n) - 1) << (first % 64));
		return;
	}
	for (uint32_t j = first, k; j < first + n; j += k) {	/* a word at a time */
		k = 64 - j % 64 < first + n - j ? 64 - j % 64 : first + n - j;
		bits[j / 64] &= ~((k == 64 ? ~0ul : (1ul << k) - 1) << (j % 64));
	}
}

#endif
