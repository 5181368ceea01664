/*
 * What the parts of test_filemap share (test_filemap.c: the behaviours
 * of file mappings; test_filemap_attack.c and the files it names
 * (filemap_attack.h): errors, attacks, durability
 * and the server's death; test_filemap_bench.c: the benchmarks).
 */
#ifndef TEST_FILEMAP_H
#define TEST_FILEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi/fs.h"

/* The byte at offset i of a file made by make_file(path, n, seed). */
static inline char pat(uint64_t i, unsigned seed)
{
	return (char)('a' + (i * 7 + seed) % 26);
}

/* Create (or truncate) path with n bytes of pat(i, seed); its fd, O_RDWR. */
int make_file(const char *path, uint64_t n, unsigned seed);
/* Whether p[0..n) is pat(off + i, seed). */
bool is_pat(const volatile char *p, uint64_t off, uint64_t n, unsigned seed);
/* FS_MAPSTATS and FS_DISKSTATS words (w[1..5]). */
void mapstats(uint64_t w[6]);
void diskstats(uint64_t w[6]);
/* A page of shared anonymous memory for flags between processes. */
volatile uint64_t *shared_page(void);
/* Fork: the child runs fn(arg) and exits with its result; the wait
 * status (or -1). */
int in_child(int (*fn)(void *), void *arg);
int run_filemap_attack(const char *mode);
int run_bench(const char *only);
int child_dies_waiting(void);
/* test_filemap_runs.c: the durability of a scattered write-back. */
void durable_runs(void);
extern int64_t fsd_pid;

#define WAIT_SIGBUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)

#endif
