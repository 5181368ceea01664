/*
 * Unit tests for libsys/src/elf_image.c: an ELF image crafted in memory
 * (valid, then each validation rule broken once), hostile variants of it
 * (every truncation, flipped bytes, random damage) parsed from an
 * exactly-sized heap copy so ASan sees any over-read, and a real static
 * RISC-V executable built by CMake (real=path; skipped when absent).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "elf_image.h"

#define SZ	0x3000u
#define PT_LOAD	1
#define PF_X	1
#define PF_W	2
#define PF_R	4

static uint8_t E[SZ];
static struct elf_image I;

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static void phdr(int i, uint32_t type, uint32_t flags, uint64_t off,
		 uint64_t va, uint64_t filesz, uint64_t memsz)
{
	uint8_t *p = E + 64 + 56 * i;

	put(p, type, 4); put(p + 4, flags, 4); put(p + 8, off, 8);
	put(p + 16, va, 8); put(p + 24, va, 8); put(p + 32, filesz, 8);
	put(p + 40, memsz, 8); put(p + 48, PAGE_SIZE, 8);
}

/* Text R-X at 0x10000, a GNU_STACK header to ignore, data RW at 0x12100. */
static void build(void)
{
	memset(E, 0, sizeof(E));
	memcpy(E, "\x7f" "ELF", 4);
	E[4] = 2; E[5] = 1; E[6] = 1;
	put(E + 16, 2, 2); put(E + 18, 243, 2); put(E + 20, 1, 4);
	put(E + 24, 0x10040, 8); put(E + 32, 64, 8);
	put(E + 52, 64, 2); put(E + 54, 56, 2); put(E + 56, 3, 2);
	phdr(0, PT_LOAD, PF_R | PF_X, 0, 0x10000, 0x1000, 0x1000);
	phdr(1, 0x6474e551, PF_R | PF_W, 0, 0, 0, 0);
	phdr(2, PT_LOAD, PF_R | PF_W, 0x1100, 0x12100, 0x100, 0x2000);
}

static int parse_exact(const uint8_t *src, size_t n, struct elf_image *out)
{
	uint8_t *p = malloc(n ? n : 1);
	int r;

	memcpy(p, src, n);
	r = elf_parse(p, n, out);
	free(p);
	return r;
}

static void test_valid(void)
{
	build();
	CHECK(parse_exact(E, SZ, &I) == 0);
	CHECK(I.entry == 0x10040 && I.nsegments == 2);
	CHECK(I.seg[0].vaddr == 0x10000 && I.seg[0].memsz == 0x1000 &&
	      I.seg[0].offset == 0 && I.seg[0].filesz == 0x1000 &&
	      I.seg[0].prot == (MAP_R | MAP_X));
	CHECK(I.seg[1].vaddr == 0x12100 && I.seg[1].memsz == 0x2000 &&
	      I.seg[1].offset == 0x1100 && I.seg[1].filesz == 0x100 &&
	      I.seg[1].prot == (MAP_R | MAP_W));
	phdr(2, PT_LOAD, PF_W, 0x1100, 0x12100, 0x100, 0x2000);
	CHECK(parse_exact(E, SZ, &I) == 0 && I.seg[1].prot == (MAP_R | MAP_W));
	phdr(1, PT_LOAD, PF_R, 0x1000, 0x20000, 0, 0);	/* empty: skipped */
	CHECK(parse_exact(E, SZ, &I) == 0 && I.nsegments == 2);
	build();
	put(E + 24, 0x10fff, 8);	/* last byte of the text segment */
	CHECK(parse_exact(E, SZ, &I) == 0);
	build();	/* a segment ending exactly at USER_TOP */
	phdr(2, PT_LOAD, PF_R, 0x1000, USER_TOP - 0x1000, 0x100, 0x1000);
	CHECK(parse_exact(E, SZ, &I) == 0);
	build();	/* ELF_MAX_SEGMENTS segments fit */
	put(E + 56, ELF_MAX_SEGMENTS, 2);
	for (int i = 1; i < ELF_MAX_SEGMENTS; i++)
		phdr(i, PT_LOAD, PF_R, 0x1000, 0x20000 + 0x1000 * (uint64_t)i,
		     0x10, 0x10);
	CHECK(parse_exact(E, SZ, &I) == 0 && I.nsegments == ELF_MAX_SEGMENTS);
	put(E + 56, ELF_MAX_SEGMENTS + 1, 2);
	phdr(ELF_MAX_SEGMENTS, PT_LOAD, PF_R, 0x1000, 0x40000, 0x10, 0x10);
	CHECK(parse_exact(E, SZ, &I) == -ERR_NOEXEC);
	CHECK(elf_parse(NULL, SZ, &I) == -ERR_INVAL);
	CHECK(elf_parse(E, SZ, NULL) == -ERR_INVAL);
}

/* Each rule broken alone on a fresh valid image: -ERR_NOEXEC. */
static void test_rules(void)
{
	static const char *what[] = {
		"magic", "class", "endianness", "ident version", "ET_DYN",
		"machine", "phentsize", "phdrs past end", "phoff overflow",
		"no phdrs", "filesz > memsz", "file range past end",
		"offset overflow", "memsz overflow", "above USER_TOP",
		"page 0", "vaddr/offset misaligned", "unsorted",
		"overlapping", "sharing a page", "entry in data",
		"entry past text", "no PT_LOAD", "text not executable",
	};
	for (int i = 0; i < (int)(sizeof(what) / sizeof(what[0])); i++) {
		build();
		switch (i) {
		case 0: E[1] = 'e'; break;
		case 1: E[4] = 1; break;
		case 2: E[5] = 2; break;
		case 3: E[6] = 0; break;
		case 4: put(E + 16, 3, 2); break;
		case 5: put(E + 18, 62, 2); break;
		case 6: put(E + 54, 64, 2); break;
		case 7: put(E + 32, SZ - 100, 8); break;
		case 8: put(E + 32, ~(uint64_t)0 - 8, 8); break;
		case 9: put(E + 56, 0, 2); break;
		case 10: phdr(2, PT_LOAD, PF_R, 0x1100, 0x12100, 0x2001, 0x2000); break;
		case 11: phdr(2, PT_LOAD, PF_R, 0x2100, 0x12100, 0x1000, 0x2000); break;
		case 12: phdr(2, PT_LOAD, PF_R, ~(uint64_t)0xeff, 0x12100, 0x200, 0x2000); break;
		case 13: phdr(2, PT_LOAD, PF_R, 0x1100, 0x12100, 0x100, ~(uint64_t)0xff); break;
		case 14: phdr(2, PT_LOAD, PF_R, 0x1100, USER_TOP - 0xf00, 0x100, 0x1000); break;
		case 15: phdr(0, PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
			 put(E + 24, 0x40, 8); break;
		case 16: phdr(2, PT_LOAD, PF_R, 0x1100, 0x12200, 0x100, 0x2000); break;
		case 17: phdr(2, PT_LOAD, PF_R, 0x1100, 0x8100, 0x100, 0x2000); break;
		case 18: phdr(2, PT_LOAD, PF_R, 0x1100, 0x10100, 0x100, 0x2000); break;
		case 19: phdr(0, PT_LOAD, PF_R | PF_X, 0, 0x10000, 0x1000, 0x1080);
			 phdr(2, PT_LOAD, PF_R, 0x1100, 0x11100, 0x100, 0x2000); break;
		case 20: put(E + 24, 0x12100, 8); break;
		case 21: put(E + 24, 0x11000, 8); break;
		case 22: phdr(0, 4, PF_R | PF_X, 0, 0x10000, 0x1000, 0x1000);
			 phdr(2, 4, PF_R, 0x1100, 0x12100, 0x100, 0x2000); break;
		case 23: phdr(0, PT_LOAD, PF_R, 0, 0x10000, 0x1000, 0x1000); break;
		}
		int r = parse_exact(E, SZ, &I);
		if (r != -ERR_NOEXEC)
			fprintf(stderr, "rule '%s': got %d\n", what[i], r);
		CHECK(r == -ERR_NOEXEC);
	}
}

static uint64_t rnd_state = 0x853c49e6748fea9bull;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33);
}

/* Hostile variants of the valid image src[0, len); file bytes up to need
 * are required, so any cut before that must be refused. */
static void hostile(const uint8_t *src, size_t len, size_t need,
		    size_t hdrs)
{
	uint8_t *buf = malloc(len);
	unsigned long fails = 0;
	size_t n, i;
	int r;

	for (n = 0; n < len; n++) {
		r = parse_exact(src, n, &I);
		fails += n < need ? r != -ERR_NOEXEC : r != 0;
	}
	for (i = 0; i < hdrs; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, src, len);
			buf[i] ^= (uint8_t)(1u << bit);
			r = parse_exact(buf, len, &I);
			fails += r != 0 && r != -ERR_NOEXEC;
		}
	}
	for (i = 0; i < 20000; i++) {
		memcpy(buf, src, len);
		for (int k = 1 + (int)(rnd() % 6); k > 0; k--)
			buf[rnd() % hdrs] = (uint8_t)rnd();
		r = parse_exact(buf, len, &I);
		fails += r != 0 && r != -ERR_NOEXEC;
		if (r == 0)	/* whatever parsed obeys the contract */
			for (uint32_t s = 0; s < I.nsegments; s++)
				fails += I.seg[s].offset + I.seg[s].filesz > len ||
					 I.seg[s].vaddr < PAGE_SIZE ||
					 I.seg[s].vaddr + I.seg[s].memsz > USER_TOP;
	}
	CHECK(fails == 0);
	free(buf);
}

static void test_real(const char *path)
{
	size_t len, need = 0;
	uint8_t *b = read_file(path, &len);
	bool entry_x = false;

	CHECK(b != NULL);
	if (!b)
		return;
	CHECK(parse_exact(b, len, &I) == 0);
	CHECK(I.entry == get(b + 24, 8) && I.nsegments >= 1);
	for (uint32_t s = 0; s < I.nsegments; s++) {
		const struct elf_segment *g = &I.seg[s];

		if ((g->prot & MAP_X) && I.entry >= g->vaddr &&
		    I.entry < g->vaddr + g->memsz)
			entry_x = true;
		if (g->offset + g->filesz > need)
			need = g->offset + g->filesz;
	}
	CHECK(entry_x);
	printf("real ELF: %u segments, entry %#llx\n", I.nsegments,
	       (unsigned long long)I.entry);
	size_t hdrs = get(b + 32, 8) + 56 * get(b + 56, 2);
	hostile(b, len, need > hdrs ? need : hdrs, hdrs);
	free(b);
}

/* elf_copy_page against a byte-at-a-time reference: every page of
 * segments with each start offset in the page, file sizes around word and
 * page edges, and file bytes at each alignment (cpio gives only 4). */
static void test_copy_page(void)
{
	static uint8_t file[4 * 4096 + 16], page[4096], want[4096];
	static const uint64_t starts[] = { 0, 1, 3, 4, 7, 8, 100, 4088, 4095 };
	static const uint64_t sizes[] = { 0, 1, 7, 8, 9, 255, 256, 257, 4096, 5000, 8191, 12000 };

	for (size_t i = 0; i < sizeof(file); i++)
		file[i] = (uint8_t)(i * 7 + 1);
	for (int align = 0; align < 8; align++)
		for (size_t a = 0; a < sizeof(starts) / sizeof(starts[0]); a++)
			for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
				struct elf_segment s = { .vaddr = 0x10000 + starts[a],
					.offset = starts[a], .filesz = sizes[b],
					.memsz = sizes[b] + 6000 };
				const uint8_t *f = file + align;
				bool same = true;
				for (uint64_t va = 0x10000; va < s.vaddr + s.memsz; va += 4096) {
					for (uint64_t k = 0; k < 4096; k++) {
						uint64_t x = va + k;
						want[k] = x >= s.vaddr && x < s.vaddr + s.filesz ?
							  f[s.offset + x - s.vaddr] : 0;
					}
					memset(page, 0xa5, sizeof(page));
					CHECK(elf_copy_page(f, &s, va, page) == 0);
					same &= memcmp(page, want, sizeof(page)) == 0;
				}
				CHECK(same);
				CHECK(elf_copy_page(f, &s, 0x10001, page) < 0);
				CHECK(elf_copy_page(f, &s, 0xf000, page) < 0);
			}
}

int main(int argc, char **argv)
{
	test_copy_page();
	const char *real = test_arg(argc, argv, "real");

	test_valid();
	test_rules();
	build();
	hostile(E, SZ, 0x1200, 64 + 3 * 56);
	if (real)
		test_real(real);
	return check_report();
}
