/*
 * Unit tests for libsys/src/cpio.c: archives written by GNU cpio (paths
 * given as name=path arguments by CMake; skipped when absent), a
 * hand-built archive with "./" names and lower-case hex, and hostile input:
 * every truncation, corrupted header digits, bad sizes and offsets, random
 * damage. Parsing always happens on an exactly-sized heap copy so that
 * ASan reports any read past the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "cpio.h"

static uint8_t *copy(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	memcpy(p, src, n);
	return p;
}

/* Walk a whole archive; returns the final cpio_next result (0 or < 0).
 * Broken entry invariants are counted in walk_bad (checked once at the end):
 * the walk must end (each entry is at least 112 bytes), names are
 * NUL-terminated at namelen, data lies inside the archive. */
static unsigned long walk_bad;
static int walk(const uint8_t *a, size_t len, int *entries)
{
	struct cpio_file f;
	uint64_t off = 0;
	int r, steps = 0;

	while ((r = cpio_next(a, len, &off, &f)) == 1) {
		walk_bad += f.name[f.namelen] != '\0' ||
			    f.namelen != strlen(f.name) ||
			    (const uint8_t *)f.data < a ||
			    (const uint8_t *)f.data + f.size > a + len;
		if (++steps > (int)(len / 112 + 1)) {
			walk_bad++;	/* does not end */
			return -1;
		}
	}
	if (entries)
		*entries = steps;
	return r;
}

/* Append one newc entry at off; hex in lower case if lower. */
static size_t put_entry(uint8_t *buf, size_t off, const char *name,
			const char *data, size_t len, uint32_t mode, bool lower)
{
	size_t nsz = strlen(name) + 1;
	char hdr[112];

	snprintf(hdr, sizeof(hdr), lower ?
		 "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" :
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 0x1234u, mode, 0u, 0u, 1u, 0x5eadbeefu, (unsigned)len, 0u, 0u,
		 0u, 0u, (unsigned)nsz, 0u);
	memcpy(buf + off, hdr, 110);
	memcpy(buf + off + 110, name, nsz);
	for (off += 110 + nsz; off % 4; off++)
		buf[off] = 0;
	memcpy(buf + off, data, len);
	for (off += len; off % 4; off++)
		buf[off] = 0;
	return off;
}

static uint8_t A[4096];
static size_t alen;

static void build(void)
{
	alen = put_entry(A, 0, "./hello.txt", "hello world\n", 12, 0100644, false);
	alen = put_entry(A, alen, "./dir", "", 0, 040755, true);
	alen = put_entry(A, alen, "./dir/x.bin", "\x01\x02\x03\x04\x05", 5,
			 0100755, true);
	alen = put_entry(A, alen, "empty", "", 0, 0100600, false);
	alen = put_entry(A, alen, "TRAILER!!!", "", 0, 0, false);
}

static void test_built(void)
{
	struct cpio_file f;
	uint64_t off = 0, at;
	uint8_t *a = copy(A, alen);
	int n;

	CHECK(cpio_next(a, alen, &off, &f) == 1 && f.namelen == 11 &&
	      strcmp(f.name, "./hello.txt") == 0 && f.size == 12 &&
	      memcmp(f.data, "hello world\n", 12) == 0 && f.mode == 0100644);
	CHECK(cpio_next(a, alen, &off, &f) == 1 && f.mode == 040755 &&
	      f.size == 0);
	CHECK(cpio_next(a, alen, &off, &f) == 1 && f.size == 5 &&
	      memcmp(f.data, "\x01\x02\x03\x04\x05", 5) == 0);
	CHECK(cpio_next(a, alen, &off, &f) == 1 && strcmp(f.name, "empty") == 0);
	at = off;
	CHECK(cpio_next(a, alen, &off, &f) == 0 && off == at);
	CHECK(cpio_next(a, alen, &off, &f) == 0 && off == at);
	CHECK(walk(a, alen, &n) == 0 && n == 4);

	CHECK(cpio_find(a, alen, "hello.txt", &f) == 0 && f.size == 12);
	CHECK(cpio_find(a, alen, "./hello.txt", &f) == 0 && f.size == 12);
	CHECK(cpio_find(a, alen, "dir/x.bin", &f) == 0 && f.size == 5);
	CHECK(cpio_find(a, alen, "dir", &f) == 0 && f.mode == 040755);
	CHECK(cpio_find(a, alen, "./empty", &f) == 0 && f.size == 0);
	CHECK(cpio_find(a, alen, "hello", &f) == -ERR_NOENT);
	CHECK(cpio_find(a, alen, "hello.txt/", &f) == -ERR_NOENT);
	CHECK(cpio_find(a, alen, "", &f) == -ERR_NOENT);
	CHECK(cpio_find(a, alen, "TRAILER!!!", &f) == -ERR_NOENT);
	CHECK(cpio_find(a, alen, NULL, &f) == -ERR_INVAL);
	CHECK(cpio_find(NULL, alen, "empty", &f) == -ERR_INVAL);

	off = 2;	/* caller's offset: unaligned, past the end */
	CHECK(cpio_next(a, alen, &off, &f) == -ERR_INVAL && off == 2);
	off = alen + 4;
	CHECK(cpio_next(a, alen, &off, &f) == -ERR_INVAL);
	off = alen;
	CHECK(cpio_next(a, alen, &off, &f) == -ERR_INVAL);
	CHECK(cpio_next(a, alen, NULL, &f) == -ERR_INVAL);
	off = 0;
	CHECK(cpio_next(a, alen, &off, NULL) == -ERR_INVAL);
	free(a);
}

/* Set header field i (0-based after the magic) of the entry at 0. */
static void set_field(uint8_t *a, int i, const char *eight)
{
	memcpy(a + 6 + 8 * i, eight, 8);
}

static void test_corrupt(void)
{
	static const char bad[] = { 'g', 'G', 'x', ' ', '\0', '-', '/', ':' };
	struct cpio_file f;
	uint64_t off;
	uint8_t *a;
	size_t i, k;
	unsigned long fails = 0;

	for (i = 0; i < 110; i++) {	/* every header byte, made non-hex */
		for (k = 0; k < sizeof(bad); k++) {
			a = copy(A, alen);
			a[i] = (uint8_t)(i < 6 ? '9' : bad[k]);
			off = 0;
			fails += cpio_next(a, alen, &off, &f) != -ERR_INVAL;
			fails += cpio_find(a, alen, "empty", &f) != -ERR_INVAL;
			free(a);
		}
	}
	CHECK(fails == 0);
	struct { int field; const char *val; } cases[] = {
		{ 11, "00000000" },	/* namesize 0 */
		{ 11, "0000000B" },	/* name not NUL-terminated at its end */
		{ 11, "0000000D" },	/* NUL inside the name */
		{ 11, "FFFFFFFF" },	/* name past the end */
		{ 6, "FFFFFFFF" },	/* data past the end */
		{ 6, "00001000" },
	};
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = copy(A, alen);
		set_field(a, cases[i].field, cases[i].val);
		off = 0;
		CHECK(cpio_next(a, alen, &off, &f) == -ERR_INVAL && off == 0);
		free(a);
	}
	a = copy(A, alen);	/* the "070702" (checksummed) variant is fine */
	a[5] = '2';
	off = 0;
	CHECK(cpio_next(a, alen, &off, &f) == 1);
	free(a);
}

/* Every prefix of the archive: the walk ends in an error, never a crash;
 * entries complete before the cut are still found. */
static void test_truncated(const uint8_t *src, size_t len, size_t end,
			   const char *name)
{
	struct cpio_file f;
	unsigned long fails = 0;
	size_t n;

	for (n = 0; n < len; n++) {
		uint8_t *a = copy(src, n);
		int r = walk(a, n, NULL);

		fails += n < end ? r != -ERR_INVAL : r != 0;
		r = cpio_find(a, n, "no-such-file", &f);
		fails += n < end ? r != -ERR_INVAL : r != -ERR_NOENT;
		r = cpio_find(a, n, name, &f);
		fails += r != 0 && r != -ERR_INVAL;
		free(a);
	}
	CHECK(fails == 0);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33);
}

static void test_random(const uint8_t *src, size_t len)
{
	static const char digits[] = "0123456789abcdefABCDEFgx\0";
	unsigned long fails = 0;

	for (int it = 0; it < 20000; it++) {
		uint8_t *a = copy(src, len);
		struct cpio_file f;
		int r;

		for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
			a[rnd() % len] = rnd() % 2 ? (uint8_t)rnd() :
					 (uint8_t)digits[rnd() % 25];
		r = walk(a, len, NULL);
		fails += r != 0 && r != -ERR_INVAL;
		r = cpio_find(a, len, "dir/x.bin", &f);
		fails += r != 0 && r != -ERR_INVAL && r != -ERR_NOENT;
		free(a);
	}
	CHECK(fails == 0);
}

/* An archive made by GNU cpio from dir: contents match the files. */
static void test_tool(const char *dir, const char *path, int want_entries)
{
	static const char *files[] = { "hello.txt", "empty.txt", "sub/data.bin" };
	struct cpio_file f;
	size_t len, flen;
	uint8_t *a, *buf, *want;
	char p[4096];
	int n;

	buf = read_file(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	a = copy(buf, len);
	CHECK(walk(a, len, &n) == 0 && n == want_entries);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		want = read_file(p, &flen);
		CHECK(want != NULL);
		CHECK(cpio_find(a, len, files[i], &f) == 0 && f.size == flen &&
		      memcmp(f.data, want, flen) == 0 &&
		      (f.mode & 0170000) == 0100000);
		snprintf(p, sizeof(p), "./%s", files[i]);
		CHECK(cpio_find(a, len, p, &f) == 0 && f.size == flen);
		free(want);
	}
	CHECK(cpio_find(a, len, "sub", &f) == 0 && (f.mode & 0170000) == 040000);
	CHECK(cpio_find(a, len, "nothing", &f) == -ERR_NOENT);
	/* Where the trailer entry ends: the rest is cpio's block padding. */
	uint64_t off = 0;
	while (cpio_next(a, len, &off, &f) == 1)
		;
	test_truncated(buf, len, off + 124, "sub/data.bin");
	free(a);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *dir = test_arg(argc, argv, "dir");
	const char *p;

	build();
	test_built();
	test_corrupt();
	test_truncated(A, alen, alen, "dir/x.bin");
	test_random(A, alen);
	if (dir && (p = test_arg(argc, argv, "list")))
		test_tool(dir, p, 4);
	if (dir && (p = test_arg(argc, argv, "find")))
		test_tool(dir, p, 5);	/* "." too */
	CHECK(walk_bad == 0);
	return check_report();
}
