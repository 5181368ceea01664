/*
 * zpager's page codec (zcodec.h): run-length encoding with literal runs,
 * bounded on both sides, so a store that was damaged decodes to an error,
 * never past the page. Built for the target (zpager) and the host
 * (test/unit/test_zcodec.c).
 */
#include "zcodec.h"

#define RUN_MIN	3
#define RUN_MAX	(0x7f + RUN_MIN)
#define LIT_MAX	0x80

static size_t run_at(const uint8_t *src, size_t i, size_t n)
{
	size_t r = 1;

	while (i + r < n && r < RUN_MAX && src[i + r] == src[i])
		r++;
	return r;
}

size_t z_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t r = run_at(src, i, n), lit = 0;
		if (r >= RUN_MIN) {
			if (o + 2 > cap)
				return 0;
			dst[o++] = (uint8_t)(0x80 | (r - RUN_MIN));
			dst[o++] = src[i];
			i += r;
			continue;
		}
		/* Literals up to the next run worth a token. */
		while (i + lit < n && lit < LIT_MAX && run_at(src, i + lit, n) < RUN_MIN)
			lit++;
		if (o + 1 + lit > cap)
			return 0;
		dst[o++] = (uint8_t)(lit - 1);
		for (size_t k = 0; k < lit; k++)
			dst[o++] = src[i + k];
		i += lit;
	}
	return o;
}

int z_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint8_t c = src[i++];
		if (c & 0x80) {
			size_t r = (size_t)(c & 0x7f) + RUN_MIN;
			if (i >= len || o + r > n)
				return -1;
			for (size_t k = 0; k < r; k++)
				dst[o++] = src[i];
			i++;
		} else {
			size_t lit = (size_t)c + 1;
			if (i + lit > len || o + lit > n)
				return -1;
			for (size_t k = 0; k < lit; k++)
				dst[o++] = src[i++];
		}
	}
	return o == n ? 0 : -1;
}
