/*
 * zpager's page codec (apps/zcodec.c): run-length encoding with literal
 * runs. A stream of tokens: a byte c < 0x80 is followed by c + 1 literal
 * bytes; c >= 0x80 by one byte repeated (c & 0x7f) + 3 times (3 .. 130).
 */
#ifndef ZCODEC_H
#define ZCODEC_H

#include <stddef.h>
#include <stdint.h>

/* Encode n bytes of src into dst (cap bytes): the length, or 0 if it
 * does not fit (store the page raw). */
size_t z_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);
/* Decode len bytes of src into exactly n bytes of dst: 0, or -1 for a
 * malformed stream (too short, too long, or a run past the end). */
int z_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n);

#endif
