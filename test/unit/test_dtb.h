/*
 * What the parts of test_dtb share (test_dtb.c says what the test owns):
 * big-endian words, a tiny FDT writer for hand-made trees (its small
 * primitives inline here; the tree's root, header and the cases that each
 * break one rule in test_dtb_fdt.c), and parsing from an exactly-sized
 * heap copy. CHECK stays in test_dtb.c: check.h counts per file.
 */
#ifndef TEST_DTB_H
#define TEST_DTB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dtb.h"

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
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

static inline void w32(struct fdt *f, uint32_t v) { put32(f->st + f->sl, v); f->sl += 4; }
static inline void wbytes(struct fdt *f, const void *p, size_t n)
{
	memcpy(f->st + f->sl, p, n);
	for (f->sl += n; f->sl % 4; f->sl++)
		f->st[f->sl] = 0;
}
static inline void begin(struct fdt *f, const char *name) { w32(f, 1); wbytes(f, name, strlen(name) + 1); }
static inline void end(struct fdt *f) { w32(f, 2); }
static inline void prop(struct fdt *f, const char *name, const void *v, size_t len)
{
	w32(f, 3); w32(f, (uint32_t)len); w32(f, (uint32_t)f->strl);
	memcpy(f->str + f->strl, name, strlen(name) + 1);
	f->strl += strlen(name) + 1;
	wbytes(f, v, len);
}
static inline void pstr(struct fdt *f, const char *name, const char *s) { prop(f, name, s, strlen(s) + 1); }
static inline void pcells(struct fdt *f, const char *name, int n, const uint32_t *c)
{
	uint8_t v[64];

	for (int i = 0; i < n; i++)
		put32(v + 4 * i, c[i]);
	prop(f, name, v, 4 * (size_t)n);
}
static inline void p32(struct fdt *f, const char *name, uint32_t v) { pcells(f, name, 1, &v); }

/* test_dtb_fdt.c (each says there what it does) */
int parse_exact(const uint8_t *src, size_t n, struct dtb_info *d);
void root_open(struct fdt *f);
void root_close(struct fdt *f);
/* The blob of f (header, reservations, structure, strings; the strings
 * first if strings_first); its size. */
extern bool strings_first;
size_t finish(const struct fdt *f, uint8_t *out, uint32_t version);
/* The tree being built, its blob, and what parsing it found. */
extern uint8_t blob[16384];
extern struct fdt F;
extern struct dtb_info D;
int parse_fdt(uint32_t version);
#define NCASES 18
int build_case(int i, const char **what);

#endif
