/*
 * Reader for cpio "newc" archives (the boot image passed with -initrd).
 * Freestanding: used by the kernel and by user space alike. Entries are
 * returned in place, pointing into the archive; nothing is copied.
 */
#ifndef LIBSYS_CPIO_H
#define LIBSYS_CPIO_H

#include <stdint.h>
#include "abi/kernel.h"

struct cpio_file {
	const char *name;	/* points into the archive, NUL-terminated */
	uint64_t namelen;	/* without the NUL */
	const void *data;	/* points into the archive */
	uint64_t size;
	uint32_t mode;		/* st_mode bits: file type and permissions */
};

/*
 * Read the entry at *offset (start with *offset = 0) of the archive
 * [archive, archive + len). Reads no byte outside that range.
 * Returns:
 *   1           an entry: *out filled, *offset moved to the next entry
 *   0           the "TRAILER!!!" entry: end of archive, *offset unchanged
 *   -ERR_INVAL  malformed: NULL argument, *offset not 4-aligned or past
 *               len, header truncated, magic not "070701" or "070702",
 *               a non-hex digit in a header field, name size 0, name not
 *               NUL-terminated exactly at its end, or name or data running
 *               past len (an archive cut before its trailer)
 * The "070702" (newc with checksum) variant is accepted; the checksum is
 * not verified. On an error *out and *offset are left unchanged.
 */
int cpio_next(const void *archive, uint64_t len, uint64_t *offset,
	      struct cpio_file *out);

/*
 * Find the entry called name. A leading "./" is ignored on both sides, so
 * "bin/x" matches an archive entry "./bin/x". The first match wins.
 * Returns:
 *   0           found: *out filled
 *   -ERR_NOENT  the trailer was reached without a match
 *   -ERR_INVAL  name is NULL, or a malformed entry before any match (see
 *               cpio_next)
 */
int cpio_find(const void *archive, uint64_t len, const char *name,
	      struct cpio_file *out);

#endif
