/*
 * Loading one page of a parsed ELF segment: shared by the kernel (for the
 * pager) and the pager (for every other program). Freestanding.
 *
 * Every program start copies its file pages through here, so the page is
 * filled in three runs (zeros before the segment's file bytes, the bytes,
 * zeros after) with word loops, 32 words an iteration: about 1.1
 * instructions a word where a byte-at-a-time test-and-copy cost ten a byte.
 * Boot-image files are only 4-byte aligned (cpio), so the copy also has a
 * 4-byte-word loop.
 */
#include "abi/kernel.h"
#include "elf_image.h"

/* Keep GCC from turning the loops into calls: the kernel has no libc, and
 * picolibc's memcpy/memset are byte loops. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL static void fill_zero(uint8_t *d, uint64_t n)
{
	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = 0;
	for (; n >= 256; n -= 256, d += 256) {
#pragma GCC unroll 32
		for (int i = 0; i < 32; i++)
			((uint64_t *)d)[i] = 0;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(uint64_t *)d = 0;
	while (n--)
		*d++ = 0;
}

NO_LIBCALL static void fill_copy(uint8_t *d, const uint8_t *s, uint64_t n)
{
	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = *s++;
	if (((uintptr_t)s & 7) == 0) {
		for (; n >= 256; n -= 256, d += 256, s += 256) {
#pragma GCC unroll 32
			for (int i = 0; i < 32; i++)
				((uint64_t *)d)[i] = ((const uint64_t *)s)[i];
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	} else if (((uintptr_t)s & 3) == 0) {
		for (; n >= 128; n -= 128, d += 128, s += 128) {
#pragma GCC unroll 32
			for (int i = 0; i < 32; i++)
				((uint32_t *)d)[i] = ((const uint32_t *)s)[i];
		}
		for (; n >= 4; n -= 4, d += 4, s += 4)
			*(uint32_t *)d = *(const uint32_t *)s;
	}
	while (n--)
		*d++ = *s++;
}

int elf_copy_page(const void *file, const struct elf_segment *seg, uint64_t va, void *page)
{
	const uint8_t *src = (const uint8_t *)file + seg->offset;
	uint64_t seg_start = seg->vaddr & ~(PAGE_SIZE - 1);
	uint64_t file_end = seg->vaddr + seg->filesz;	/* elf_parse: no wrap */
	uint64_t lo, hi;

	if (va & (PAGE_SIZE - 1) || va < seg_start || va >= seg->vaddr + seg->memsz)
		return -ERR_NOEXEC;
	/* [lo, hi): the part of this page that holds file bytes. */
	lo = seg->vaddr > va ? seg->vaddr - va : 0;
	hi = file_end > va ? file_end - va : 0;
	if (hi > PAGE_SIZE)
		hi = PAGE_SIZE;
	if (hi < lo)
		hi = lo;
	fill_zero(page, lo);
	fill_copy((uint8_t *)page + lo, src + (va + lo - seg->vaddr), hi - lo);
	fill_zero((uint8_t *)page + hi, PAGE_SIZE - hi);
	return 0;
}
