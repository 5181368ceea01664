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
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "rtc_idle.h"
#include "shadow.h"

#define MAX_SAMPLES 8192

static uint64_t samples[MAX_SAMPLES];
static int nsamples;
static uint64_t bracket;	/* what an empty rdinstret bracket counts */
static uint64_t peer_ep;	/* ipc_roundtrip's server */

static void sample(uint64_t v)
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

static char *map_anon(uint64_t pages, int flags)
{
	char *p = mmap(0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void touch(char *p, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
}

static uint64_t read_all(const char *p, uint64_t pages)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < pages; i++)
		sum += ((volatile const char *)p)[i * PAGE_SIZE];
	return sum;
}

/* One sample per first write to each page of p after the first (which
 * warms the path). */
static void fault_each(char *p, uint64_t pages)
{
	p[0] = 1;
	for (uint64_t i = 1; i < pages; i++)
		MEASURE(p[i * PAGE_SIZE] = 1);
}

static void wait_for(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
}

/* A child that blocks until killed, holding its copy of our memory. */
static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int64_t n = sys_notif_create();
		for (;;)
			sys_wait((uint64_t)n);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_for(pid);
}

/* ---- the kernel ---- */

static int bench_null_syscall(void)
{
	for (int i = 0; i < 2000; i++)
		MEASURE(sys_debug_write(NULL, 0));
	return 0;
}

static int bench_ipc_roundtrip(void)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };

	if (!peer_ep)
		return -1;
	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call(peer_ep, &m);
	for (int i = 0; i < 2000; i++)
		MEASURE(ipc_call(peer_ep, &m));
	return 0;
}

/* ---- faults ---- */

enum { BSS_PAGES = 1024 };
static char untouched[BSS_PAGES + 1][PAGE_SIZE];	/* .bss: demand-zero */

static int bench_fault_roundtrip(void)
{
	fault_each((char *)(((uintptr_t)untouched + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)), BSS_PAGES);
	return 0;
}

/*
 * Idle time (set-up code here is cold, kept small: spawn_hello spawns this
 * program, and each page its text grows by costs that figure ~1,400).
 * The pager zeroes free frames while the hart has nothing to
 * run (pager/zeropool.c), so what a first write costs depends on whether
 * the hart idled before it. To idle we sleep on QEMU virt's goldfish RTC:
 * init holds every device capability, so this works when microbench is
 * init (bench.sh), not in a FRESH child. Idle time is not in any sample:
 * under -icount rdinstret also counts the hart's wfi time (rtc_idle.h).
 */

/* PAGER_ZEROPOOL: w[0] zeroed frames ready, w[1] zeroed at idle ever,
 * w[2] idle messages, w[3] the pager's instructions in them, w[4] the
 * kernel's round between two back-to-back batches. */
static __attribute__((noinline, cold)) void zeropool(uint64_t *w)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_ZEROPOOL, 0, 0) };

	pager_call(&m);
	for (int i = 0; i < 5; i++)
		w[i] = m.w[i];
}

/* Sleep until the pager has at least `frames` zeroed frames ready. */
static __attribute__((noinline, cold)) bool idle_until_zeroed(uint64_t frames)
{
	uint64_t w[5];

	for (int i = 0; i < 1000; i++) {
		zeropool(w);
		if (w[0] >= frames)
			return true;
		rtc_idle_ns(200000);
	}
	return false;
}

/* The steady first write to anonymous memory, as a program meets it
 * after the hart has idled: rounds of ZERO_ROUND faults, each after
 * sleeping until that many zeroed frames are ready. Then what zeroing
 * them at idle cost, per frame (printed as zero_at_idle). */
enum { ZERO_ROUND = 64 };
static uint64_t zero_at_idle;

static int bench_anon_fault(void)
{
	char *p = map_anon(1024, 0);
	uint64_t w0[5], w1[5];

	if (!p || !rtc_idle_open())
		return -1;
	p[0] = 1;
	zeropool(w0);
	for (uint64_t i = 1; i < 1024; i++) {
		if (i % ZERO_ROUND == 1 && !idle_until_zeroed(ZERO_ROUND))
			return -1;
		MEASURE(p[i * PAGE_SIZE] = 1);
	}
	zeropool(w1);
	if (w1[1] > w0[1])	/* the pager's batches, and the kernel's round each */
		zero_at_idle = ((w1[3] - w0[3]) + (w1[2] - w0[2]) * w1[4]) / (w1[1] - w0[1]);
	munmap(p, 1024 * PAGE_SIZE);
	return 0;
}

/* The same with no zeroed frame ready (the hart has not idled since the
 * pool was used up): the fault zeroes its frame. The first writes use up
 * what anon_fault left in the pool (at most 256 frames). */
static int bench_anon_fault_cold(void)
{
	char *p = map_anon(1024, 0);
	uint64_t w[5], first;

	if (!p)
		return -1;
	zeropool(w);
	first = w[0] + 1;
	touch(p, first);
	zeropool(w);
	if (w[0] != 0 || first >= 1024)
		return -1;
	for (uint64_t i = first; i < 1024; i++)
		MEASURE(p[i * PAGE_SIZE] = 1);
	munmap(p, 1024 * PAGE_SIZE);
	return 0;
}

/* zero_at_idle, measured in anon_fault: one sample. */
static __attribute__((cold)) int bench_zero_at_idle(void)
{
	if (!zero_at_idle)
		return -1;
	sample(zero_at_idle);
	return 0;
}

/* First read of each page: maps the shared zero page, allocates nothing. */
static int bench_zero_read_fault(void)
{
	char *p = map_anon(1024, 0);

	if (!p)
		return -1;
	(void)*(volatile char *)p;
	for (uint64_t i = 1; i < 1024; i++)
		MEASURE((void)*(volatile char *)(p + i * PAGE_SIZE));
	munmap(p, 1024 * PAGE_SIZE);
	return 0;
}

static int bench_cow_fault(void)
{
	enum { PAGES = 1024 };
	char *p = map_anon(PAGES, 0);
	pid_t pid;

	if (!p)
		return -1;
	touch(p, PAGES);
	pid = fork_sleeper();
	fault_each(p, PAGES);
	reap(pid);
	munmap(p, PAGES * PAGE_SIZE);
	return 0;
}

static int bench_fault_10k_vmas(void)
{
	enum { VMAS = 10000, PAGES = 512 };
	char *p;

	for (int i = 0; i < VMAS; i++)
		if (!map_anon(1, 0))
			return -1;
	if (!(p = map_anon(PAGES, 0)))
		return -1;
	fault_each(p, PAGES);
	return 0;
}

/* Every page of fresh anonymous memory, in address order or in a
 * pseudo-random order (a full-period LCG over the page numbers). */
enum { SCAN_PAGES = 4096 };

static int bench_seq_scan_16mib(void)
{
	char *p = map_anon(SCAN_PAGES, 0);

	if (!p)
		return -1;
	for (uint64_t i = 0; i < SCAN_PAGES; i++)
		MEASURE(p[i * PAGE_SIZE] = 1);
	return 0;
}

static int bench_random_scan_16mib(void)
{
	char *p = map_anon(SCAN_PAGES, 0);
	uint64_t i = 0;

	if (!p)
		return -1;
	for (uint64_t n = 0; n < SCAN_PAGES; n++) {
		i = (i * 1103515245 + 12345) % SCAN_PAGES;	/* c odd, a-1 % 4 == 0 */
		MEASURE(p[i * PAGE_SIZE] = 1);
	}
	return 0;
}

/*
 * A fault that arrives while the pager is serving another process's
 * request. We loop on a minimal pager request (getpid, never cached here)
 * and yield; a forked child faults on fresh pages and yields. When the
 * timer preempts the pager inside our request, the child runs and its
 * fault queues behind the request: that fault's time includes the rest of
 * the request, the queueing, and the fault itself. The child samples a
 * fault only if our request was in flight when it began (a flag in shared
 * memory) and it cost more than its cheapest fault: a tick that instead
 * lands after our reply (before we clear the flag) leaves the pager idle,
 * and that fault is an ordinary one. The samples reach us through the
 * shared page.
 */
static int bench_fault_busy_pager(void)
{
	enum { PAGES = 2048, WANT = 11, MAX_CALLS = 2000000 };
	struct busy { volatile uint64_t in_request, stop, n, s[WANT]; };
	struct busy *b = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (b == MAP_FAILED)
		return -1;
	b->in_request = b->stop = b->n = 0;
	if ((pid = fork()) == 0) {
		uint64_t used = 0, least = UINT64_MAX;
		char *p = map_anon(PAGES, 0);
		if (!p)
			_exit(1);
		for (int i = 0; i < 16; i++) {	/* what an ordinary fault costs */
			uint64_t t0 = rdinstret();
			p[used++ * PAGE_SIZE] = 1;
			uint64_t t = rdinstret() - t0 - bracket;
			least = t < least ? t : least;
		}
		while (!b->stop) {
			/* Our request in flight (the pager in it, or just out of
			 * it); one fault a tick at most, so PAGES is plenty. */
			if (b->in_request && used < PAGES) {
				uint64_t t0 = rdinstret();
				p[used++ * PAGE_SIZE] = 1;
				uint64_t t = rdinstret() - t0 - bracket;
				if (t > least + 64 && b->n < WANT)
					b->s[b->n++] = t;
			}
			sys_yield();
		}
		munmap(p, PAGES * PAGE_SIZE);	/* its frames back in order */
		_exit(0);
	}
	/* A loop of constant length under -icount meets the timer at nearly
	 * the same point each tick, and rarely in the request: a varying
	 * spin moves that point. */
	uint64_t lcg = 1;
	for (int n = 0; n < MAX_CALLS && b->n < WANT; n++) {
		struct ipc_msg m = { .info = ipc_info(PAGER_GETPID, 0, 0) };
		lcg = (lcg * 1103515245 + 12345) & 0x7fffffff;
		for (volatile uint64_t k = lcg >> 28; k > 0; k--)
			;
		b->in_request = 1;
		pager_call(&m);
		b->in_request = 0;
		sys_yield();
	}
	b->stop = 1;
	wait_for(pid);
	for (uint64_t i = 0; i < b->n; i++)
		sample(b->s[i]);
	munmap((void *)b, PAGE_SIZE);
	return nsamples ? 0 : -1;
}

/* ---- fork ---- */

/* The fork call alone (in the parent), with `pages` resident and writable. */
static int fork_call(uint64_t pages)
{
	char *p = map_anon(pages, 0);

	if (!p)
		return -1;
	for (int i = 0; i < 5; i++) {
		touch(p, pages);	/* writable again after the last fork */
		uint64_t t0 = rdinstret();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		sample(rdinstret() - t0);
		wait_for(pid);
	}
	munmap(p, pages * PAGE_SIZE);
	return 0;
}

static int bench_fork_1mib(void) { return fork_call(256); }
static int bench_fork_64mib(void) { return fork_call(16384); }

enum { CHILD_EXITS, CHILD_READS, CHILD_WRITES };

/* fork + what the child does to every page + its exit + waitpid, with
 * `pages` resident and writable in the parent. */
static int fork_child_run(uint64_t pages, int what, int runs)
{
	char *p = pages ? map_anon(pages, 0) : NULL;

	if (pages && !p)
		return -1;
	for (int i = 0; i < runs; i++) {
		touch(p, pages);
		uint64_t t0 = rdinstret();
		pid_t pid = fork();
		if (pid == 0) {
			if (what == CHILD_READS)
				read_all(p, pages);
			else if (what == CHILD_WRITES)
				touch(p, pages);
			_exit(0);
		}
		wait_for(pid);
		sample(rdinstret() - t0);
	}
	if (p)
		munmap(p, pages * PAGE_SIZE);
	return 0;
}

static int bench_fork_exit_wait_empty(void) { return fork_child_run(0, CHILD_EXITS, 15); }
static int bench_fork_exit_64mib(void) { return fork_child_run(16384, CHILD_EXITS, 5); }
static int bench_fork_touch_1mib_read(void) { return fork_child_run(256, CHILD_READS, 9); }
static int bench_fork_touch_64mib_read(void) { return fork_child_run(16384, CHILD_READS, 3); }
static int bench_fork_touch_64mib_write(void) { return fork_child_run(16384, CHILD_WRITES, 3); }

/* reply_cap_roundtrip's server: two threads in a shadow task; one receives
 * and keeps the reply right as a reply handle, the other answers through it
 * (and closes it). */
static char rc_stacks[2][4096] __attribute__((aligned(16)));
static volatile uint64_t rc_ep, rc_go;
static volatile int64_t rc_reply;

static void rc_receiver(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	while (ipc_recv(rc_ep, &m) == 0) {
		rc_reply = sys_reply_save();
		sys_notify(rc_go);
	}
}

static void rc_replier(uint64_t arg)
{
	struct ipc_msg m = { .info = ipc_info(0, 0, 0) };

	(void)arg;
	while (sys_wait(rc_go) >= 0) {
		ipc_reply((uint64_t)rc_reply, &m);
		sys_handle_close((uint64_t)rc_reply);
	}
}

static int bench_reply_cap_roundtrip(void)
{
	int64_t task = shadow_task_create(), ep = sys_endpoint_create(), go = sys_notif_create();
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };

	if (task < 0 || ep < 0 || go < 0)
		return -1;
	rc_ep = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep, 0, RIGHTS_ALL);
	rc_go = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)go, 0, RIGHTS_ALL);
	if (shadow_thread((uint64_t)task, rc_receiver, 0, rc_stacks[0], sizeof(rc_stacks[0]), 0, 0) < 0 ||
	    shadow_thread((uint64_t)task, rc_replier, 0, rc_stacks[1], sizeof(rc_stacks[1]), 0, 0) < 0)
		return -1;
	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call((uint64_t)ep, &m);
	for (int i = 0; i < 2000; i++)
		MEASURE(ipc_call((uint64_t)ep, &m));
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	sys_handle_close((uint64_t)ep);
	sys_handle_close((uint64_t)go);
	return 0;
}

/* revoke_derived: munmap of a page we (as a custom pager) mapped into a
 * task of ours, i.e. the pager's unmap of a source page, which revokes the
 * derived copy. revoke_none is the same loop without the map. */
static int revoke_loop(bool derived)
{
	int64_t task = sys_task_create();

	if (task < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		char *p = map_anon(1, 0);
		if (!p)
			break;
		p[0] = 1;
		if (derived && sys_map((uint64_t)task, (uint64_t)p, 0x40000000, MAP_R | MAP_W) < 0)
			break;
		MEASURE(munmap(p, PAGE_SIZE));
	}
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	return 0;
}

static int bench_revoke_derived(void) { return revoke_loop(true); }
static int bench_revoke_none(void) { return revoke_loop(false); }

/* ---- mappings ---- */

/* mmap of 1 MiB with MAP_POPULATE (every page faulted in and mapped by the
 * pager in runs) + munmap, in a fresh process. */
static int bench_populate_1mib(void)
{
	for (int i = 0; i < 9; i++) {
		MEASURE({
			char *p = map_anon(256, MAP_POPULATE);
			if (p)
				munmap(p, 256 * PAGE_SIZE);
		});
	}
	return 0;
}

static int bench_mmap_munmap(void)
{
	for (int i = 0; i < 500; i++) {
		MEASURE({
			void *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			munmap(p, PAGE_SIZE);
		});
	}
	return 0;
}

static int bench_mmap_touch_munmap(void)
{
	for (int i = 0; i < 500; i++) {
		MEASURE({
			char *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			p[0] = 1;
			munmap(p, PAGE_SIZE);
		});
	}
	return 0;
}

/* Page-map bytes (node frames and flat arrays) per resident page, for
 * `count` mappings of `pages` pages each, every page written. */
static int pagemap_bytes(uint64_t pages, int count)
{
	struct mem_info before, after;
	char *p[100];

	if (count > 100 || mem_info(&before) < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		if (!(p[i] = map_anon(pages, 0)))
			return -1;
		touch(p[i], pages);
	}
	if (mem_info(&after) < 0)
		return -1;
	sample(((after.node_pages - before.node_pages) * PAGE_SIZE +
		after.map_heap_bytes - before.map_heap_bytes) / (pages * count) + bracket);
	for (int i = 0; i < count; i++)
		munmap(p[i], pages * PAGE_SIZE);
	return 0;
}

static int bench_pagemap_bytes_1page(void) { return pagemap_bytes(1, 100); }
static int bench_pagemap_bytes_1mib(void) { return pagemap_bytes(256, 8); }

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
