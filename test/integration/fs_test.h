/*
 * What the parts of test_fs share (test_fs.c: the calls and main;
 * fs_procs.c: processes, deaths, attacks, never blocked; fs_modes.c:
 * enospc, durable, shell, bench).
 */
#ifndef TEST_FS_H
#define TEST_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ERRNO(call, e) do { errno = 0; CHECK_EQ((call), -1); CHECK_EQ(errno, (e)); } while (0)

extern char buf[70000], buf2[70000];
void fill(char *p, size_t n, unsigned seed);
int start(void);

void death_closes(void);
void attacks(void);
void not_blocked(void);
int child_victim(void);
int child_attacker(void);
int child_hog(const char *how);
int child_cold(void);
void orphan_claim(void);
void sibling_claim(void);
void readahead(void);
int child_orphaner(void);
int run_nfile(void);
int child_fill(void);
int run_enospc(void);
int run_durable(void);
int run_shell(void);
int run_bench(const char *only);
int run_read(void);

#endif
