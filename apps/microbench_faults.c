/*
 * microbench's fault figures: a page fault's round trip, first writes to
 * anonymous memory with and without zeroed frames ready (and what zeroing
 * at idle cost), first reads, copy-on-write, faults among 10,000 VMAs,
 * scans in address and random order, and a fault meeting a busy pager.
 */
#include "microbench.h"
#include "rtc_idle.h"

/* One sample per first write to each page of p after the first (which
 * warms the path). */
static void fault_each(char *p, uint64_t pages)
{
	p[0] = 1;
	for (uint64_t i = 1; i < pages; i++)
		MEASURE(p[i * PAGE_SIZE] = 1);
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

/* ---- faults ---- */

enum { BSS_PAGES = 1024 };
static char untouched[BSS_PAGES + 1][PAGE_SIZE];	/* .bss: demand-zero */

int bench_fault_roundtrip(void)
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

int bench_anon_fault(void)
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
int bench_anon_fault_cold(void)
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
__attribute__((cold)) int bench_zero_at_idle(void)
{
	if (!zero_at_idle)
		return -1;
	sample(zero_at_idle);
	return 0;
}

/* First read of each page: maps the shared zero page, allocates nothing. */
int bench_zero_read_fault(void)
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

int bench_cow_fault(void)
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

int bench_fault_10k_vmas(void)
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

int bench_seq_scan_16mib(void)
{
	char *p = map_anon(SCAN_PAGES, 0);

	if (!p)
		return -1;
	for (uint64_t i = 0; i < SCAN_PAGES; i++)
		MEASURE(p[i * PAGE_SIZE] = 1);
	return 0;
}

int bench_random_scan_16mib(void)
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
int bench_fault_busy_pager(void)
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
