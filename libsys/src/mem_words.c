/*
 * memset, memcpy and memmove with aligned words 32 to an iteration, for
 * the kernel, the pager and the file server. picolibc's are byte loops
 * (about four instructions a byte), and what these three copy and clear
 * is mostly whole pages: page-table and pool pages, frames, malloc chunks
 * (picolibc's malloc clears each with memset), file blocks. A 4 KiB page
 * costs about 1.06 instructions a word. The attribute keeps GCC from
 * turning the loops back into calls to these very functions.
 */
#include <stddef.h>
#include <stdint.h>

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t w = (uint8_t)c * 0x0101010101010101ull;

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = (uint8_t)c;
	for (; n >= 256; n -= 256, d += 256) {
#pragma GCC unroll 32
		for (int i = 0; i < 32; i++)
			((uint64_t *)d)[i] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(uint64_t *)d = w;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		for (; n && ((uintptr_t)d & 7); n--)
			*d++ = *s++;
		for (; n >= 256; n -= 256, d += 256, s += 256) {
			/* In groups of 8 words: let free (restrict), GCC loads
			 * all 32 first and spills half of them to the stack
			 * (~1,350 instructions a page instead of ~1,090). */
#pragma GCC unroll 4
			for (int g = 0; g < 32; g += 8) {
#pragma GCC unroll 8
				for (int i = g; i < g + 8; i++)
					((uint64_t *)d)[i] = ((const uint64_t *)s)[i];
				__asm__ volatile("" ::: "memory");
			}
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}
