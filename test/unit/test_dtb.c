/*
 * Unit tests for kernel/dtb.c: QEMU's own virt device trees and dtc-built
 * edge cases (paths given as name=path arguments by CMake; a missing one
 * is skipped), hand-built trees that break one structure rule each, and
 * hostile variants of valid blobs (every truncation, flipped bytes, header
 * fields, random mutations), each parsed from an exactly-sized heap copy
 * so ASan catches any read past the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dtb.h"

static bool known(int r)
{
	return r == 0 || r == DTB_ERR_MAGIC || r == DTB_ERR_VERSION ||
	       r == DTB_ERR_BOUNDS || r == DTB_ERR_MALFORMED ||
	       r == DTB_ERR_NOMEM || r == DTB_ERR_TOOMANY;
}

/* Parse a heap copy of exactly n bytes: any over-read is an ASan error. */
static int parse_exact(const uint8_t *src, size_t n, struct dtb_info *d)
{
	uint8_t *p = malloc(n ? n : 1);
	int r;

	memcpy(p, src, n);
	r = dtb_parse(p, n, d);
	free(p);
	return r;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* ---- a tiny FDT writer for hand-made trees ---- */
struct fdt {
	uint8_t st[8192]; size_t sl;	/* structure block */
	char str[1024]; size_t strl;	/* strings block */
	uint64_t rsv[2 * 16]; int nrsv;	/* reservation entries */
};

static void w32(struct fdt *f, uint32_t v) { put32(f->st + f->sl, v); f->sl += 4; }
static void wbytes(struct fdt *f, const void *p, size_t n)
{
	memcpy(f->st + f->sl, p, n);
	for (f->sl += n; f->sl % 4; f->sl++)
		f->st[f->sl] = 0;
}
static void begin(struct fdt *f, const char *name) { w32(f, 1); wbytes(f, name, strlen(name) + 1); }
static void end(struct fdt *f) { w32(f, 2); }
static void prop(struct fdt *f, const char *name, const void *v, size_t len)
{
	w32(f, 3); w32(f, (uint32_t)len); w32(f, (uint32_t)f->strl);
	memcpy(f->str + f->strl, name, strlen(name) + 1);
	f->strl += strlen(name) + 1;
	wbytes(f, v, len);
}
static void pstr(struct fdt *f, const char *name, const char *s) { prop(f, name, s, strlen(s) + 1); }
static void pcells(struct fdt *f, const char *name, int n, const uint32_t *c)
{
	uint8_t v[64];

	for (int i = 0; i < n; i++)
		put32(v + 4 * i, c[i]);
	prop(f, name, v, 4 * (size_t)n);
}
static void p32(struct fdt *f, const char *name, uint32_t v) { pcells(f, name, 1, &v); }

/* Root with 2/2 cells and a 16 MiB memory node; the caller closes it. */
static void root_open(struct fdt *f)
{
	static const uint32_t reg[] = { 0, 0x80000000, 0, 0x1000000 };

	begin(f, "");
	p32(f, "#address-cells", 2);
	p32(f, "#size-cells", 2);
	begin(f, "memory@80000000");
	pstr(f, "device_type", "memory");
	pcells(f, "reg", 4, reg);
	end(f);
}
static void root_close(struct fdt *f) { end(f); w32(f, 9); }

/* Header, reservation block, structure and strings blocks; the strings
 * block comes first if strings_first (the spec allows any order). */
static bool strings_first;
static size_t finish(const struct fdt *f, uint8_t *out, uint32_t version)
{
	size_t rsv = 40, st = rsv + 16 * ((size_t)f->nrsv + 1), str = st;

	if (strings_first)
		st = str + ((f->strl + 3) & ~(size_t)3);
	else
		str = st + f->sl;
	size_t total = strings_first ? st + f->sl : str + f->strl;

	memset(out, 0, total);
	put32(out, 0xd00dfeed); put32(out + 4, (uint32_t)total);
	put32(out + 8, (uint32_t)st); put32(out + 12, (uint32_t)str);
	put32(out + 16, (uint32_t)rsv); put32(out + 20, version);
	put32(out + 24, 16); put32(out + 32, (uint32_t)f->strl);
	put32(out + 36, (uint32_t)f->sl);
	for (int i = 0; i < 2 * f->nrsv; i++) {
		put32(out + rsv + 8 * i, (uint32_t)(f->rsv[i] >> 32));
		put32(out + rsv + 8 * i + 4, (uint32_t)f->rsv[i]);
	}
	memcpy(out + st, f->st, f->sl);
	memcpy(out + str, f->str, f->strl);
	return total;
}

static uint8_t blob[16384];
static struct fdt F;
static struct dtb_info D;

static int parse_fdt(uint32_t version)
{
	return parse_exact(blob, finish(&F, blob, version), &D);
}

/* Tree number i, breaking one rule; returns the expected result. */
#define NCASES 18
static int build_case(int i, const char **what)
{
	static const uint32_t reg[] = { 0, 0x10001000, 0, 0x1000 };
	static const char *names[NCASES] = {
		"bad token", "prop past end", "name offset past strings",
		"too deep", "deep but fine", "extra END_NODE",
		"missing END_NODE", "no FDT_END", "prop before root",
		"second root", "reg too short", "3 address cells",
		"initrd 3 bytes", "initrd end < start", "memory at depth 2",
		"bootargs without NUL", "root only", "8-byte #size-cells",
	};

	*what = names[i];
	memset(&F, 0, sizeof(F));
	switch (i) {
	case 3: case 4:	/* 16 levels (root included) fit, 17 do not */
		root_open(&F);
		for (int k = 0; k < (i == 3 ? 16 : 15); k++)
			begin(&F, "n");
		for (int k = 0; k < (i == 3 ? 16 : 15); k++)
			end(&F);
		root_close(&F);
		return i == 3 ? DTB_ERR_MALFORMED : 0;
	case 8:
		p32(&F, "x", 1);
		root_open(&F);
		root_close(&F);
		return DTB_ERR_MALFORMED;
	case 14:
		begin(&F, "");
		begin(&F, "soc");
		begin(&F, "memory@80000000");
		pstr(&F, "device_type", "memory");
		pcells(&F, "reg", 4, reg);
		end(&F); end(&F);
		root_close(&F);
		return DTB_ERR_NOMEM;
	case 16:
		begin(&F, "");
		root_close(&F);
		return DTB_ERR_NOMEM;
	}
	root_open(&F);
	begin(&F, "chosen");
	switch (i) {
	case 0: w32(&F, 5); break;
	case 1: w32(&F, 3); w32(&F, 100000); w32(&F, 0); break;
	case 2: p32(&F, "x", 1); put32(F.st + F.sl - 8, 4096); break;
	case 5: end(&F); break;
	case 12: prop(&F, "linux,initrd-start", "abc", 3); break;
	case 13:
		p32(&F, "linux,initrd-start", 0x9000);
		p32(&F, "linux,initrd-end", 0x8000);
		break;
	case 15: prop(&F, "bootargs", "ab", 2); break;
	case 17: prop(&F, "#size-cells", "\0\0\0\0\0\0\0\1", 8); break;
	}
	if (i != 6)
		end(&F);
	if (i == 10 || i == 11) {
		begin(&F, "soc");
		p32(&F, i == 10 ? "#size-cells" : "#address-cells", i == 10 ? 2 : 3);
		begin(&F, "serial");
		pstr(&F, "compatible", "ns16550a");
		pcells(&F, "reg", i == 10 ? 3 : 4, reg);
		end(&F); end(&F);
	}
	end(&F);
	if (i == 9) {
		begin(&F, "");
		end(&F);
	}
	if (i != 7)
		w32(&F, 9);
	return i == 15 ? 0 : DTB_ERR_MALFORMED;
}

static void test_built(void)
{
	static const uint32_t vreg[] = { 0, 0x10001000, 0, 0x1000 };
	char longargs[300];
	int i;

	memset(&F, 0, sizeof(F));	/* a fuller tree: every field we use */
	root_open(&F);
	begin(&F, "chosen");
	memset(longargs, 'a', sizeof(longargs) - 1);
	longargs[sizeof(longargs) - 1] = '\0';
	pstr(&F, "bootargs", longargs);
	end(&F);
	begin(&F, "cpus");
	p32(&F, "timebase-frequency", 1234);
	begin(&F, "cpu@0"); pstr(&F, "device_type", "cpu"); end(&F);
	end(&F);
	w32(&F, 4);	/* FDT_NOP anywhere is fine */
	begin(&F, "soc");
	p32(&F, "#size-cells", 2);	/* #address-cells: default 2 */
	begin(&F, "virtio_mmio@10001000");
	prop(&F, "compatible", "x,y\0virtio,mmio", 16);
	pcells(&F, "reg", 4, vreg);
	p32(&F, "interrupts", 7);
	end(&F);
	end(&F);
	root_close(&F);
	for (uint32_t v = 16; v <= 17; v++) {
		CHECK(parse_fdt(v) == 0);
		CHECK(D.mem.base == 0x80000000 && D.mem.size == 0x1000000);
		CHECK(D.timebase_hz == 1234 && D.nharts == 1);
		CHECK(D.nvirtio == 1 && D.virtio[0].base == 0x10001000 &&
		      D.virtio[0].size == 0x1000 && D.virtio[0].irq == 7);
		CHECK(strlen(D.bootargs) == 255 && D.bootargs[0] == 'a');
	}
	CHECK(parse_fdt(15) == DTB_ERR_VERSION);
	finish(&F, blob, 17);
	put32(blob + 24, 18);	/* last_comp_version */
	CHECK(parse_exact(blob, get32(blob + 4), &D) == DTB_ERR_VERSION);
	CHECK(dtb_parse(NULL, 100, &D) == DTB_ERR_MAGIC);
	CHECK(dtb_parse(blob, 100, NULL) == DTB_ERR_MAGIC);

	/* Reservation block: 8 entries fit, a 9th must not be dropped. */
	for (F.nrsv = 0; F.nrsv < 8; F.nrsv++) {
		F.rsv[2 * F.nrsv] = 0x90000000ull + 0x10000ull * (unsigned)F.nrsv;
		F.rsv[2 * F.nrsv + 1] = 0x1000;
	}
	CHECK(parse_fdt(17) == 0 && D.nreserved == 8 &&
	      D.reserved[7].base == 0x90070000 && D.reserved[7].size == 0x1000);
	F.rsv[16] = 0xa0000000; F.rsv[17] = 0x1000; F.nrsv = 9;
	CHECK(parse_fdt(17) == DTB_ERR_TOOMANY);
	F.nrsv = 0;

	/* Each malformed tree, one at a time. */
	for (i = 0; i < NCASES; i++) {
		const char *what;
		int expect = build_case(i, &what), r;

		memset(&D, 0xa5, sizeof(D));
		r = parse_fdt(17);
		if (r != expect)
			fprintf(stderr, "case '%s': got %d (%s)\n", what, r,
				dtb_error_string(r));
		CHECK(r == expect);
		if (i == 15)	/* copied up to the property's end */
			CHECK(strcmp(D.bootargs, "ab") == 0);
	}

	/* Unterminated node name: the block ends inside it. */
	memset(&F, 0, sizeof(F));
	w32(&F, 1);
	memcpy(F.st + F.sl, "abcdefgh", 8);
	F.sl += 8;
	CHECK(parse_fdt(17) == DTB_ERR_MALFORMED);
	/* Unterminated property name: the strings block ends inside it. */
	memset(&F, 0, sizeof(F));
	root_open(&F);
	root_close(&F);
	F.strl--;	/* drop the last name's NUL */
	CHECK(parse_fdt(17) == DTB_ERR_MALFORMED);
	/* A structure block of unaligned size, last in the blob, ending
	 * inside the padding after a node name, then after a value. */
	strings_first = true;
	memset(&F, 0, sizeof(F));
	w32(&F, 1);
	memcpy(F.st + F.sl, "abcde", 6);
	F.sl += 6;
	CHECK(parse_fdt(17) == DTB_ERR_MALFORMED);
	memset(&F, 0, sizeof(F));
	begin(&F, "");
	prop(&F, "x", "ab", 2);
	F.sl -= 2;
	CHECK(parse_fdt(17) == DTB_ERR_MALFORMED);
	strings_first = false;
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33);
}

/* Hostile variants of the valid blob src[0, total): never crash, never an
 * unknown result, and an error whenever data the tree needs is cut off. */
static void hostile(const char *label, const uint8_t *src, size_t total)
{
	static const uint8_t flips[] = { 0xff, 0x01, 0x80 };
	uint8_t *buf = malloc(total);
	uint32_t o_st = get32(src + 8), o_str = get32(src + 12);
	uint32_t s_str = get32(src + 32), s_st = get32(src + 36);
	size_t need = o_st + s_st > o_str + s_str ? o_st + s_st : o_str + s_str;
	unsigned long bad = 0, ok = 0;
	struct dtb_info d;
	size_t n, i;
	int r;

	for (n = 0; n < total; n++) {
		/* The prefix as is: totalsize now exceeds the buffer. */
		r = parse_exact(src, n, &d);
		bad += !(r < 0 && known(r));
		if (n < 40)
			continue;
		/* The prefix with the header shrunk to agree with the cut. */
		memcpy(buf, src, n);
		put32(buf + 4, (uint32_t)n);
		if (o_st <= n && o_st + s_st > n)
			put32(buf + 36, (uint32_t)(n - o_st));
		if (o_str <= n && o_str + s_str > n)
			put32(buf + 32, (uint32_t)(n - o_str));
		r = parse_exact(buf, n, &d);
		bad += !known(r) || (n < need && r == 0);
	}
	for (i = 0; i < total; i++) {
		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(buf, src, total);
			buf[i] ^= flips[k];
			r = parse_exact(buf, total, &d);
			bad += !known(r);
			ok += r == 0;
		}
	}
	for (i = 0; i < 10; i++) {	/* each header word */
		uint32_t orig = get32(src + 4 * i);
		uint32_t vals[] = { 0, 1, 3, 4, 40, 0x7fffffff, 0x80000000,
				    0xffffffff, (uint32_t)total - 1,
				    (uint32_t)total, (uint32_t)total + 1,
				    orig + 1, orig + 4, orig - 4, orig - 8 };
		for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
			memcpy(buf, src, total);
			put32(buf + 4 * i, vals[k]);
			r = parse_exact(buf, total, &d);
			bad += !known(r) || (i == 0 && vals[k] != orig &&
					     r != DTB_ERR_MAGIC);
		}
	}
	for (i = 0; i < 5000; i++) {	/* random multi-byte damage */
		memcpy(buf, src, total);
		for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
			buf[rnd() % total] = (uint8_t)rnd();
		r = parse_exact(buf, total, &d);
		bad += !known(r);
		ok += r == 0;
	}
	memcpy(buf, src, total);
	put32(buf + 4, 0xffffffff);	/* huge totalsize */
	CHECK(parse_exact(buf, total, &d) == DTB_ERR_BOUNDS);
	CHECK(parse_exact(src, total - 1, &d) == DTB_ERR_BOUNDS);
	memcpy(buf, src, total);
	put32(buf + 12, (uint32_t)total - s_str + 1);	/* strings past end */
	CHECK(parse_exact(buf, total, &d) == DTB_ERR_BOUNDS);
	memcpy(buf, src, total);
	put32(buf + 8, o_st + 2);	/* unaligned structure block */
	CHECK(parse_exact(buf, total, &d) == DTB_ERR_MALFORMED);
	CHECK(parse_exact(src, total, &d) == 0);
	printf("%s: hostile variants done, %lu of the mutants still parse\n",
	       label, ok);
	CHECK(bad == 0);
	free(buf);
}

static void check_virt(const uint8_t *b, size_t len, uint64_t memsize,
		       uint32_t nharts)
{
	struct dtb_info d;

	CHECK(dtb_parse(b, len, &d) == 0);
	CHECK(d.totalsize == get32(b + 4) && d.totalsize <= len);
	CHECK(d.mem.base == 0x80000000 && d.mem.size == memsize);
	CHECK(d.timebase_hz == 10000000);
	CHECK(d.nharts == nharts);
	CHECK(d.plic_base == 0xc000000 && d.plic_size >= 0x400000 &&
	      d.plic_ndev == 0x60);
	CHECK(d.uart_base == 0x10000000 && d.uart_size == 0x100 &&
	      d.uart_irq == 10);
	CHECK(d.rtc_base == 0x101000 && d.rtc_size == 0x1000 && d.rtc_irq == 11);
	CHECK(d.clint_base == 0x2000000 && d.clint_size == 0x10000);
	CHECK(d.nvirtio == 8);
	for (uint32_t i = 0; i < 8; i++)
		CHECK(d.virtio[i].base == 0x10001000 + 0x1000 * i &&
		      d.virtio[i].size == 0x1000 && d.virtio[i].irq == i + 1);
	CHECK(d.nreserved == 0);
}

#define input(name, len) test_input(argc, argv, name, len)

int main(int argc, char **argv)
{
	struct dtb_info d;
	uint8_t *b, *ird;
	size_t len, irdlen;

	test_built();
	memset(&F, 0, sizeof(F));	/* hostile input over a hand-built tree */
	F.nrsv = 2;
	F.rsv[0] = 0x80000000; F.rsv[1] = 0x200000;
	F.rsv[2] = 0x81000000; F.rsv[3] = 0x1000;
	root_open(&F);
	begin(&F, "chosen"); pstr(&F, "bootargs", "x"); end(&F);
	root_close(&F);
	hostile("built", blob, finish(&F, blob, 17));

	if ((b = input("virt_128", &len))) {
		check_virt(b, len, 128u << 20, 1);
		CHECK(dtb_parse(b, len, &d) == 0 && d.plic_size == 0x600000);
		CHECK(d.initrd_start == 0 && d.initrd_end == 0);
		CHECK(d.bootargs[0] == '\0');
		hostile("virt_128", b, get32(b + 4));
		free(b);
	}
	if ((b = input("virt_2g", &len))) {
		check_virt(b, len, 2ull << 30, 1);
		free(b);
	}
	if ((b = input("virt_args", &len))) {
		check_virt(b, len, 128u << 20, 2);
		CHECK(dtb_parse(b, len, &d) == 0 &&
		      strcmp(d.bootargs, "init=hello x") == 0);
		free(b);
	}
	if ((b = input("virt_initrd", &len)) &&
	    (ird = input("initrd_file", &irdlen))) {
		check_virt(b, len, 128u << 20, 1);
		CHECK(dtb_parse(b, len, &d) == 0);
		CHECK(d.initrd_end - d.initrd_start == irdlen);
		CHECK(d.initrd_start >= d.mem.base &&
		      d.initrd_end <= d.mem.base + d.mem.size);
		free(ird);
	}
	free(b);
	if ((b = input("nomem", &len))) {
		CHECK(dtb_parse(b, len, &d) == DTB_ERR_NOMEM);
		CHECK(strcmp(dtb_error_string(DTB_ERR_NOMEM),
			     "no memory node in device tree") == 0);
		free(b);
	}
	if ((b = input("cells32", &len))) {
		CHECK(dtb_parse(b, len, &d) == 0);
		CHECK(d.mem.base == 0x40000000 && d.mem.size == 0x10000000);
		CHECK(d.initrd_start == 0x48000000 && d.initrd_end == 0x48001000);
		CHECK(strcmp(d.bootargs, "console=ttyS0") == 0);
		CHECK(d.timebase_hz == 1000000 && d.nharts == 3);
		CHECK(d.plic_base == 0xc000000 && d.plic_size == 0x4000000 &&
		      d.plic_ndev == 53);
		CHECK(d.uart_base == 0x10000000 && d.uart_irq == 33);
		CHECK(d.clint_base == 0x2000000 && d.clint_size == 0x10000);
		CHECK(d.rtc_base == 0 && d.rtc_irq == 0);
		CHECK(d.nvirtio == 8);
		for (uint32_t i = 0; i < 8; i++)
			CHECK(d.virtio[i].base == 0x10001000 + 0x1000 * i &&
			      d.virtio[i].size == 0x1000 && d.virtio[i].irq == i + 1);
		hostile("cells32", b, get32(b + 4));
		free(b);
	}
	if ((b = input("reserved", &len))) {
		static const struct dtb_region want[] = {
			{ 0x80000000, 0x200000 }, { 0x87000000, 0x1000 },
			{ 0x80000000, 0x40000 }, { 0x90000000, 0x1000 },
			{ 0x91000000, 0x2000 },
		};

		CHECK(dtb_parse(b, len, &d) == 0);
		CHECK(d.mem.base == 0x80000000 && d.mem.size == 0x8000000);
		CHECK(d.nreserved == 5);
		for (int i = 0; i < 5; i++)
			CHECK(d.reserved[i].base == want[i].base &&
			      d.reserved[i].size == want[i].size);
		CHECK(d.timebase_hz == 0x100000000ull && d.nharts == 1);
		CHECK(d.initrd_start == 0 && d.initrd_end == 0);
		CHECK(d.nvirtio == 0 && d.plic_base == 0 && d.uart_base == 0 &&
		      d.clint_base == 0);
		hostile("reserved", b, get32(b + 4));
		free(b);
	}
	for (int e = -200; e <= 0; e++)	/* each code dtb_parse returns has its text */
		CHECK(strcmp(dtb_error_string(e), "unknown device tree error") != 0 ||
		      !known(e));
	return check_report();
}
