/*
 * Microbenchmarks, run under QEMU -icount shift=0 so that rdinstret counts
 * retired instructions deterministically (every address space, kernel
 * included). Each benchmark records one sample per operation; the report is
 * the median, "bench: <name> <median> <unit>", and for faults also
 * "<name>_min" and "<name>_max" lines. docs/benchmarks.md says what each
 * figure includes.
 *
 * Adding a benchmark is one function (it calls sample() once per operation)
 * and one line in the table at the end. FRESH benchmarks run in a newly
 * spawned "microbench run <name>", so that only their own memory counts.
 *
 * This file has the samples, the table and main; the benchmarks are in
 * microbench_ipc.c, microbench_faults.c and microbench_mm.c (shared
 * pieces in microbench.h).
 */
#include "microbench.h"

uint64_t samples[MAX_SAMPLES];
int nsamples;
uint64_t bracket;	/* what an empty rdinstret bracket counts */
uint64_t peer_ep;	/* ipc_roundtrip's server */

static void sort_samples(void)
{
	for (int i = 1; i < nsamples; i++) {
		uint64_t v = samples[i];
		int j = i;
		for (; j > 0 && samples[j - 1] > v; j--)
			samples[j] = samples[j - 1];
		samples[j] = v;
	}
}

static void print_line(const char *name, const char *suffix, uint64_t v, const char *unit)
{
	printf("bench: %s%s %lu %s\n", name, suffix, (unsigned long)v, unit);
}

/* ---- programs ---- */

/* spawn() of this program from the boot image, to the child's first
 * output: the child reads the counter and sends it to us as that output. */
static int bench_spawn_hello(void)
{
	int64_t ep = sys_endpoint_create();

	if (ep < 0)
		return -1;
	for (int i = 0; i < 9; i++) {
		const char *argv[] = { "microbench", "hello", NULL };
		struct ipc_msg m = { 0 };
		uint64_t t0 = rdinstret();
		int64_t pid = spawn(argv, (uint64_t)ep);
		if (pid < 0 || ipc_recv((uint64_t)ep, &m) < 0)
			return -1;
		sample(m.w[0] - t0);
		wait_for((pid_t)pid);
	}
	sys_handle_close((uint64_t)ep);
	return 0;
}

static int hello(void)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0), .w = { rdinstret() } };

	return ipc_send(libsys_start_info.granted, &m) < 0;
}

/* The other end of ipc_roundtrip: reply to every call, nothing else. */
static int serve(uint64_t ep)
{
	struct ipc_msg m = { 0 };
	int64_t r = ipc_recv(ep, &m);

	while (r == 0)
		r = ipc_reply_recv(ep, &m);
	return 1;
}

enum { FRESH = 1, RANGE = 2 };	/* own process; print min and max too */

static const struct bench {
	const char *name;
	int (*run)(void);
	int flags;
	const char *unit;
} benches[] = {
	{ "null_syscall", bench_null_syscall, 0, "instructions" },
	{ "ipc_roundtrip", bench_ipc_roundtrip, 0, "instructions" },
	{ "fault_roundtrip", bench_fault_roundtrip, RANGE, "instructions" },
	{ "anon_fault", bench_anon_fault, RANGE, "instructions" },
	{ "anon_fault_cold", bench_anon_fault_cold, RANGE, "instructions" },
	{ "zero_at_idle", bench_zero_at_idle, 0, "instructions" },
	{ "cow_fault", bench_cow_fault, RANGE, "instructions" },
	{ "fork_1mib", bench_fork_1mib, FRESH, "instructions" },
	{ "fork_64mib", bench_fork_64mib, FRESH, "instructions" },
	{ "mmap_munmap", bench_mmap_munmap, 0, "instructions" },
	{ "fault_10k_vmas", bench_fault_10k_vmas, FRESH | RANGE, "instructions" },
	{ "seq_scan_16mib", bench_seq_scan_16mib, FRESH | RANGE, "instructions" },
	{ "random_scan_16mib", bench_random_scan_16mib, FRESH | RANGE, "instructions" },
	{ "fork_exit_wait_empty", bench_fork_exit_wait_empty, FRESH, "instructions" },
	{ "fork_exit_64mib", bench_fork_exit_64mib, FRESH, "instructions" },
	{ "fork_touch_1mib_read", bench_fork_touch_1mib_read, FRESH, "instructions" },
	{ "fork_touch_64mib_read", bench_fork_touch_64mib_read, FRESH, "instructions" },
	{ "fork_touch_64mib_write", bench_fork_touch_64mib_write, FRESH, "instructions" },
	{ "mmap_touch_munmap", bench_mmap_touch_munmap, 0, "instructions" },
	{ "spawn_hello", bench_spawn_hello, 0, "instructions" },
	{ "pagemap_bytes_per_page_1page", bench_pagemap_bytes_1page, FRESH, "bytes" },
	{ "pagemap_bytes_per_page_1mib", bench_pagemap_bytes_1mib, FRESH, "bytes" },
	{ "zero_read_fault", bench_zero_read_fault, RANGE, "instructions" },
	{ "reply_cap_roundtrip", bench_reply_cap_roundtrip, 0, "instructions" },
	{ "revoke_derived", bench_revoke_derived, FRESH, "instructions" },
	{ "revoke_none", bench_revoke_none, FRESH, "instructions" },
	{ "populate_1mib", bench_populate_1mib, FRESH, "instructions" },
	{ "fault_busy_pager", bench_fault_busy_pager, FRESH | RANGE, "instructions" },
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

static void calibrate(void)
{
	bracket = 0;
	nsamples = 0;
	for (int i = 0; i < 64; i++)
		MEASURE((void)0);
	sort_samples();
	bracket = samples[nsamples / 2];
}

static void run_here(const struct bench *b)
{
	calibrate();
	nsamples = 0;
	if (b->run() < 0 || nsamples == 0) {
		printf("bench: %s failed\n", b->name);
		return;
	}
	sort_samples();
	print_line(b->name, "", samples[nsamples / 2], b->unit);
	if (b->flags & RANGE) {
		print_line(b->name, "_min", samples[0], b->unit);
		print_line(b->name, "_max", samples[nsamples - 1], b->unit);
	}
}

static __attribute__((cold)) void run_fresh(const struct bench *b)
{
	const char *argv[] = { "microbench", "run", b->name, NULL };
	int64_t pid = spawn(argv, 0);

	if (pid > 0)
		wait_for((pid_t)pid);
	else
		printf("bench: %s failed\n", b->name);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve(libsys_start_info.granted);
	if (argc > 1 && !strcmp(argv[1], "hello"))
		return hello();
	if (argc > 2 && !strcmp(argv[1], "run")) {
		for (uint64_t i = 0; i < NBENCH; i++)
			if (!strcmp(argv[2], benches[i].name))
				run_here(&benches[i]);
		return 0;
	}

	int64_t ep = sys_endpoint_create();
	const char *peer[] = { "microbench", "serve", NULL };
	int64_t pid = spawn(peer, (uint64_t)ep);

	if (pid > 0)
		peer_ep = (uint64_t)ep;
	for (uint64_t i = 0; i < NBENCH; i++) {
		if (benches[i].flags & FRESH)
			run_fresh(&benches[i]);
		else
			run_here(&benches[i]);
	}
	if (pid > 0)
		reap((pid_t)pid);
	printf("bench: done\n");
	return 0;
}
