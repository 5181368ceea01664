/*
 * Minimal helpers for the host unit tests. CHECK(cond) counts a pass, or
 * prints file:line and the failed expression and counts a failure, without
 * stopping the test; check_report() prints the totals and gives main's
 * exit status (non-zero if anything failed). test_input() loads the file
 * CMake passed as name=path (NULL, and a SKIP line, if it did not).
 */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long check_passed, check_failed;

#define CHECK(cond)							\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

static inline int check_report(void)
{
	printf("%lu passed, %lu failed\n", check_passed, check_failed);
	return check_failed != 0;
}

static inline uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The path CMake passed as name=path, or NULL (the case is skipped). */
static inline const char *test_arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	printf("SKIP %s: not generated (tool missing)\n", name);
	return NULL;
}

/* test_arg's file, read whole; a named file that cannot be read fails. */
static inline uint8_t *test_input(int argc, char **argv, const char *name,
				  size_t *len)
{
	const char *path = test_arg(argc, argv, name);
	uint8_t *b = path ? read_file(path, len) : NULL;

	CHECK(!path || b);
	return b;
}

#endif
