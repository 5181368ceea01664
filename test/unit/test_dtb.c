/*
 * Unit tests for kernel/dtb.c: QEMU's own virt device trees and dtc-built
 * edge cases (paths given as name=path arguments by CMake; a missing one
 * is skipped), hand-built trees that break one structure rule each, and
 * hostile variants of valid blobs (every truncation, flipped bytes, header
 * fields, random mutations), each parsed from an exactly-sized heap copy
 * so ASan catches any read past the end.
 *
 * This file has the checks (CHECK counts per file) and main; the trees
 * are built by test_dtb_fdt.c and test_dtb.h.
 */
#include "check.h"
#include "test_dtb.h"

static bool known(int r)
{
	return r == 0 || r == DTB_ERR_MAGIC || r == DTB_ERR_VERSION ||
	       r == DTB_ERR_BOUNDS || r == DTB_ERR_MALFORMED ||
	       r == DTB_ERR_NOMEM || r == DTB_ERR_TOOMANY;
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
