/*
 * ELF64 executable parser. Owns the validation of the ELF header and the
 * PT_LOAD program headers of a static RISC-V executable, and their
 * translation into struct elf_image for a loader. Files come from disk or
 * the boot image and are untrusted: every field is read byte by byte
 * (no alignment assumed) from inside [file, file + size), and every
 * address sum is checked for overflow. Freestanding: no libc.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf_image.h"

#define EHDR_SIZE	64u
#define PHDR_SIZE	56u
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define EM_RISCV	243
#define PT_LOAD		1u
#define PF_X		1u
#define PF_W		2u
#define PF_R		4u

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static uint64_t page_down(uint64_t x) { return x & ~(PAGE_SIZE - 1); }

int elf_parse(const void *file, uint64_t size, struct elf_image *out)
{
	const uint8_t *f = file;
	uint64_t phoff, phnum, entry, i, prev_end = 0;
	bool entry_ok = false;

	if (!f || !out)
		return -ERR_INVAL;
	/* volatile: keeps gcc from turning this into a memset call */
	for (i = 0; i < sizeof(*out); i++)
		((volatile uint8_t *)out)[i] = 0;
	if (size < EHDR_SIZE || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' ||
	    f[3] != 'F' || f[4] != ELFCLASS64 || f[5] != ELFDATA2LSB ||
	    f[6] != EV_CURRENT || le(f + 16, 2) != ET_EXEC ||
	    le(f + 18, 2) != EM_RISCV || le(f + 54, 2) != PHDR_SIZE)
		return -ERR_NOEXEC;
	entry = le(f + 24, 8);
	phoff = le(f + 32, 8);
	phnum = le(f + 56, 2);
	/* phnum <= 0xffff, so phnum * PHDR_SIZE cannot overflow */
	if (phoff > size || phnum * PHDR_SIZE > size - phoff)
		return -ERR_NOEXEC;

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * PHDR_SIZE;
		uint64_t flags = le(ph + 4, 4), off = le(ph + 8, 8);
		uint64_t va = le(ph + 16, 8), filesz = le(ph + 32, 8);
		uint64_t memsz = le(ph + 40, 8);
		struct elf_segment *s;

		if (le(ph, 4) != PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz || off > size || filesz > size - off)
			return -ERR_NOEXEC;
		if (va < PAGE_SIZE || va > USER_TOP || memsz > USER_TOP - va)
			return -ERR_NOEXEC;	/* page 0 stays unmapped */
		if (va % PAGE_SIZE != off % PAGE_SIZE)
			return -ERR_NOEXEC;	/* could not be mapped from the file */
		/* Sorted, and no page shared with the previous segment, whose
		 * end rounded up to a page is prev_end. */
		if (page_down(va) < prev_end)
			return -ERR_NOEXEC;
		if (out->nsegments == ELF_MAX_SEGMENTS)
			return -ERR_NOEXEC;
		prev_end = page_down(va + memsz + PAGE_SIZE - 1);
		s = &out->seg[out->nsegments++];
		s->vaddr = va;
		s->memsz = memsz;
		s->offset = off;
		s->filesz = filesz;
		s->prot = (flags & PF_R ? MAP_R : 0) |
			  (flags & PF_W ? MAP_W | MAP_R : 0) |
			  (flags & PF_X ? MAP_X : 0);
		if ((flags & PF_X) && entry >= va && entry - va < memsz)
			entry_ok = true;
	}
	if (out->nsegments == 0 || !entry_ok)
		return -ERR_NOEXEC;
	out->entry = entry;
	return 0;
}
