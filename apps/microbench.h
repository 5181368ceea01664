/*
 * What the parts of microbench share (microbench.c runs them and says how
 * figures are made): the samples and MEASURE, the small helpers for
 * anonymous memory and children, and the benchmarks, one int fn(void)
 * each, that microbench.c's table names. The helpers are static inline
 * so that each part compiles them into its measured loops as before.
 */
#ifndef MICROBENCH_H
#define MICROBENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"

#define MAX_SAMPLES 8192

/* The samples of the benchmark running, and what an empty rdinstret
 * bracket counts (microbench.c). */
extern uint64_t samples[MAX_SAMPLES];
extern int nsamples;
extern uint64_t bracket;
extern uint64_t peer_ep;	/* ipc_roundtrip's server */

static inline void sample(uint64_t v)
{
	if (nsamples < MAX_SAMPLES)
		samples[nsamples++] = v > bracket ? v - bracket : 0;
}

/* Time one statement: the instructions it makes happen, anywhere. */
#define MEASURE(stmt) do {						\
	uint64_t t0_ = rdinstret();					\
	stmt;								\
	sample(rdinstret() - t0_);					\
} while (0)

static inline char *map_anon(uint64_t pages, int flags)
{
	char *p = mmap(0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void touch(char *p, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
}

static inline void wait_for(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
}


static inline void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_for(pid);
}

/* microbench_ipc.c: the kernel */
int bench_null_syscall(void);
int bench_ipc_roundtrip(void);
int bench_reply_cap_roundtrip(void);
int bench_revoke_derived(void);
int bench_revoke_none(void);

/* microbench_faults.c */
int bench_fault_roundtrip(void);
int bench_anon_fault(void);
int bench_anon_fault_cold(void);
int bench_zero_at_idle(void);
int bench_zero_read_fault(void);
int bench_cow_fault(void);
int bench_fault_10k_vmas(void);
int bench_seq_scan_16mib(void);
int bench_random_scan_16mib(void);
int bench_fault_busy_pager(void);

/* microbench_mm.c: fork and mappings */
int bench_fork_1mib(void);
int bench_fork_64mib(void);
int bench_fork_exit_wait_empty(void);
int bench_fork_exit_64mib(void);
int bench_fork_touch_1mib_read(void);
int bench_fork_touch_64mib_read(void);
int bench_fork_touch_64mib_write(void);
int bench_populate_1mib(void);
int bench_mmap_munmap(void);
int bench_mmap_touch_munmap(void);
int bench_pagemap_bytes_1page(void);
int bench_pagemap_bytes_1mib(void);

#endif
