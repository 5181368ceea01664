/*
 * test_dtb's hand-made trees: parsing an exact heap copy, the root every
 * tree starts from, the blob's header and blocks, and the trees that each
 * break one structure rule (build_case; test_dtb.c checks each).
 */
#include "test_dtb.h"

/* Parse a heap copy of exactly n bytes: any over-read is an ASan error. */
int parse_exact(const uint8_t *src, size_t n, struct dtb_info *d)
{
	uint8_t *p = malloc(n ? n : 1);
	int r;

	memcpy(p, src, n);
	r = dtb_parse(p, n, d);
	free(p);
	return r;
}

/* Root with 2/2 cells and a 16 MiB memory node; the caller closes it. */
void root_open(struct fdt *f)
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
void root_close(struct fdt *f) { end(f); w32(f, 9); }

/* Header, reservation block, structure and strings blocks; the strings
 * block comes first if strings_first (the spec allows any order). */
bool strings_first;
size_t finish(const struct fdt *f, uint8_t *out, uint32_t version)
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

uint8_t blob[16384];
struct fdt F;
struct dtb_info D;

int parse_fdt(uint32_t version)
{
	return parse_exact(blob, finish(&F, blob, version), &D);
}

/* Tree number i, breaking one rule; returns the expected result. */
int build_case(int i, const char **what)
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
