/*
 * cpio "newc" reader. Owns the header decoding (a 6-byte magic and 13
 * fields of 8 ASCII hex digits), the 4-byte padding rules and the walk to
 * the trailer. The archive is untrusted boot input: every length is
 * checked against len before use, and each entry advances the offset by at
 * least one header, so a walk always ends. Freestanding: no libc.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpio.h"

#define HDR_LEN		110u	/* "070701" + 13 * 8 hex digits */
#define F_MODE		1	/* field indexes, after the magic */
#define F_FILESIZE	6
#define F_NAMESIZE	11

static uint64_t align4(uint64_t x) { return (x + 3) & ~(uint64_t)3; }

/* Field i of the header at h: 8 hex digits. False on a non-hex digit. */
static bool hex_field(const uint8_t *h, int i, uint32_t *v)
{
	const uint8_t *p = h + 6 + 8 * i;
	uint32_t x = 0;
	int k;

	for (k = 0; k < 8; k++) {
		uint8_t ch = p[k], d;

		if (ch >= '0' && ch <= '9')
			d = (uint8_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (uint8_t)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (uint8_t)(ch - 'A' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

/* NUL-terminated a equals the n bytes at b (which hold no NUL). */
static bool name_eq(const char *a, const char *b, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])	/* also stops at a's NUL: b has none */
			return false;
	return a[n] == '\0';
}

int cpio_next(const void *archive, uint64_t len, uint64_t *offset,
	      struct cpio_file *out)
{
	const uint8_t *a = archive;
	uint64_t off, name_end, data, data_end, i;
	uint32_t f[13], filesize, namesize;
	const uint8_t *h;

	if (!a || !offset || !out)
		return -ERR_INVAL;
	off = *offset;
	if (off % 4 != 0 || off > len || len - off < HDR_LEN)
		return -ERR_INVAL;
	h = a + off;
	for (i = 0; i < 5; i++)
		if (h[i] != (uint8_t)"07070"[i])
			return -ERR_INVAL;
	if (h[5] != '1' && h[5] != '2')
		return -ERR_INVAL;
	/* Most fields are unused, but a corrupt header is refused whole. */
	for (i = 0; i < 13; i++)
		if (!hex_field(h, (int)i, &f[i]))
			return -ERR_INVAL;
	filesize = f[F_FILESIZE];
	namesize = f[F_NAMESIZE];
	if (namesize == 0 || namesize > len - off - HDR_LEN)
		return -ERR_INVAL;
	name_end = off + HDR_LEN + namesize;	/* one past the NUL */
	for (i = off + HDR_LEN; i < name_end - 1; i++)
		if (a[i] == '\0')
			return -ERR_INVAL;	/* embedded NUL */
	if (a[name_end - 1] != '\0')
		return -ERR_INVAL;
	/* Header + name and then data are each padded to 4 bytes. */
	data = align4(name_end);
	if (data > len || filesize > len - data)
		return -ERR_INVAL;
	data_end = data + filesize;
	if (name_eq("TRAILER!!!", (const char *)(a + off + HDR_LEN),
		    namesize - 1))
		return 0;
	out->name = (const char *)(a + off + HDR_LEN);
	out->namelen = namesize - 1;
	out->data = a + data;
	out->size = filesize;
	out->mode = f[F_MODE];
	/* A missing final pad is caught by the next call's length check. */
	*offset = align4(data_end) <= len ? align4(data_end) : len;
	return 1;
}

/* Drop a leading "./" (as written by `find . | cpio -o`). */
static const char *strip_dot(const char *s, uint64_t *n)
{
	if (*n >= 2 && s[0] == '.' && s[1] == '/') {
		*n -= 2;
		return s + 2;
	}
	return s;
}

int cpio_find(const void *archive, uint64_t len, const char *name,
	      struct cpio_file *out)
{
	struct cpio_file f;
	uint64_t off = 0, qlen = 0, n;
	const char *nm;
	int r;

	if (!name || !out)
		return -ERR_INVAL;
	while (name[qlen] != '\0')
		qlen++;
	name = strip_dot(name, &qlen);
	while ((r = cpio_next(archive, len, &off, &f)) == 1) {
		n = f.namelen;
		nm = strip_dot(f.name, &n);
		if (n == qlen && name_eq(name, nm, n)) {
			/* Field by field: a struct copy may become memcpy. */
			out->name = f.name;
			out->namelen = f.namelen;
			out->data = f.data;
			out->size = f.size;
			out->mode = f.mode;
			return 0;
		}
	}
	return r == 0 ? -ERR_NOENT : r;
}
