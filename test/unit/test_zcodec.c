/*
 * zpager's codec (apps/zcodec.c) on the host: every kind of page round
 * trips; compressible ones shrink; an incompressible one reports "does
 * not fit"; damaged streams (cut short, runs past the page, garbage) are
 * refused, never written past the page.
 */
#include "check.h"
#include "../../apps/zcodec.h"

#define N 4096

static uint8_t src[N], enc[N + 64], dec[N + 64];

static size_t round_trip(void)
{
	size_t len = z_encode(src, N, enc, N);

	if (len) {
		memset(dec, 0xa5, sizeof(dec));
		CHECK(z_decode(enc, len, dec, N) == 0);
		CHECK(memcmp(src, dec, N) == 0);
		CHECK(dec[N] == 0xa5);	/* nothing past the page */
	}
	return len;
}

int main(void)
{
	uint32_t x = 12345;
	size_t len;

	memset(src, 0, N);
	CHECK((len = round_trip()) > 0 && len < 100);
	for (int i = 0; i < N; i++)
		src[i] = (uint8_t)(i / 100);
	CHECK((len = round_trip()) > 0 && len < 200);
	for (int i = 0; i < N; i++)	/* text without runs: does not shrink */
		src[i] = (uint8_t)"hello, zpager! "[i % 15];
	CHECK(z_encode(src, N, enc, N) == 0);
	len = z_encode(src, N, enc, sizeof(enc));
	CHECK(len > N && z_decode(enc, len, dec, N) == 0 && !memcmp(src, dec, N));
	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		src[i] = (uint8_t)(x >> 16);
	}
	CHECK(z_encode(src, N, enc, N) == 0);	/* noise: stored raw */
	CHECK(z_encode(src, N, enc, sizeof(enc)) > N);
	/* Mixed runs and literals of every length near the limits. */
	for (int i = 0, v = 0; i < N; v++) {
		int run = v % 140, lit = v % 131;
		for (int k = 0; k < run && i < N; k++)
			src[i++] = (uint8_t)v;
		for (int k = 0; k < lit && i < N; k++)
			src[i++] = (uint8_t)(k * 7 + v);
	}
	CHECK(round_trip() > 0);
	/* Damaged streams. */
	memset(src, 7, N);
	len = z_encode(src, N, enc, N);
	CHECK(z_decode(enc, len - 1, dec, N) < 0);	/* cut short */
	CHECK(z_decode(enc, len, dec, N - 1) < 0);	/* runs past the page */
	enc[0] = 0x7f;				/* a literal run past the stream */
	CHECK(z_decode(enc, 2, dec, N) < 0);
	for (int i = 0; i < 64; i++)
		enc[i] = 0xff;
	CHECK(z_decode(enc, 64, dec, N) < 0);	/* 32 x 130 > 4096 */
	CHECK(z_decode(enc, 0, dec, N) < 0);	/* empty is not a page */
	return check_report();
}
