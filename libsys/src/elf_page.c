/*
 * Loading one page of a parsed ELF segment: shared by the kernel (for the
 * pager) and the pager (for every other program). Freestanding.
 */
#include "abi/kernel.h"
#include "elf_image.h"

int elf_copy_page(const void *file, const struct elf_segment *seg, uint64_t va, void *page)
{
	uint8_t *dst = page;
	const uint8_t *src = (const uint8_t *)file + seg->offset;
	uint64_t seg_start = seg->vaddr & ~(PAGE_SIZE - 1);

	if (va & (PAGE_SIZE - 1) || va < seg_start || va >= seg->vaddr + seg->memsz)
		return -ERR_NOEXEC;
	for (uint64_t i = 0; i < PAGE_SIZE; i++) {
		uint64_t a = va + i;
		dst[i] = (a >= seg->vaddr && a < seg->vaddr + seg->filesz) ? src[a - seg->vaddr] : 0;
	}
	return 0;
}
