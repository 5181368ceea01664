/*
 * memset, memcpy and memmove for the pager, in place of picolibc's byte
 * loops: picolibc's malloc zeroes every chunk it hands out with memset, so
 * each VMA, object and flat page map the pager allocates paid about four
 * instructions a byte. Aligned words go 8 to an iteration here. (The
 * pager target is built with -fno-tree-loop-distribute-patterns, so GCC
 * does not turn these loops back into calls to themselves.)
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t w = (uint8_t)c * 0x0101010101010101ull;

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = (uint8_t)c;
	for (; n >= 64; n -= 64, d += 64) {
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			((uint64_t *)d)[i] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(uint64_t *)d = w;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		for (; n && ((uintptr_t)d & 7); n--)
			*d++ = *s++;
		for (; n >= 64; n -= 64, d += 64, s += 64) {
#pragma GCC unroll 8
			for (int i = 0; i < 8; i++)
				((uint64_t *)d)[i] = ((const uint64_t *)s)[i];
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}
