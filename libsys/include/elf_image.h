/*
 * ELF64 executable parser: turns a static RISC-V executable into the list
 * of segments a loader maps. No relocation, no dynamic linking.
 * Freestanding: used by the kernel and by user space (the pager) alike.
 */
#ifndef LIBSYS_ELF_IMAGE_H
#define LIBSYS_ELF_IMAGE_H

#include <stdint.h>
#include "abi/kernel.h"

#define ELF_MAX_SEGMENTS	8

struct elf_segment {
	uint64_t vaddr, memsz;	/* [vaddr, vaddr + memsz) in the new space */
	uint64_t offset, filesz; /* file bytes copied to vaddr; rest is zero */
	uint32_t prot;		/* MAP_R | MAP_W | MAP_X */
};

struct elf_image {
	uint64_t entry;
	uint32_t nsegments;
	struct elf_segment seg[ELF_MAX_SEGMENTS];	/* ascending vaddr */
};

/*
 * Parse the ELF file [file, file + size), reading no byte outside it.
 * *out is zeroed first, then filled with the PT_LOAD segments in file
 * order. MAP_W comes with MAP_R (Sv39 has no write-only pages). PT_LOAD
 * entries with memsz 0 are skipped; other program header types are ignored.
 * Returns:
 *   0            success
 *   -ERR_INVAL   file or out is NULL
 *   -ERR_NOEXEC  not a loadable executable: bad magic, not ELFCLASS64, not
 *                little-endian, EI_VERSION not 1, not ET_EXEC, not EM_RISCV,
 *                e_phentsize not 56, program headers outside the file; or a
 *                PT_LOAD with filesz > memsz, file range outside the file,
 *                vaddr + memsz overflowing or above USER_TOP, vaddr below
 *                PAGE_SIZE, vaddr and offset disagreeing modulo PAGE_SIZE,
 *                not sorted or sharing a page with the previous segment;
 *                more than ELF_MAX_SEGMENTS or no segment; entry not inside
 *                an executable segment
 */
int elf_parse(const void *file, uint64_t size, struct elf_image *out);

/*
 * Fill the 4 KiB page at virtual address va (page-aligned, inside seg) as
 * the loaded program sees it: the file's bytes where the segment has them,
 * zeros elsewhere. file is the parsed file. Returns 0, or -ERR_NOEXEC if va
 * is not in the segment.
 */
int elf_copy_page(const void *file, const struct elf_segment *seg, uint64_t va, void *page);

#endif
