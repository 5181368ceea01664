/*
 * Microbenchmarks, run under QEMU -icount shift=0 so that rdinstret counts
 * retired instructions deterministically. Each figure is the mean over many
 * warm iterations, printed as "bench: <name> <value> <unit>".
 *   null_syscall     an ecall that does nothing (debug write of 0 bytes)
 *   ipc_roundtrip    call + reply between two address spaces
 *   fault_roundtrip  first write to an untouched page: fault -> pager ->
 *                    page zeroed and mapped -> thread resumed
 *   anon_fault       the same, in an mmap'd private anonymous region
 *   cow_fault        first write to a page shared with a forked child
 *   fork_1mib        the fork call of a process with 1 MiB resident
 *   fork_64mib       ... with 64 MiB resident
 *   mmap_munmap      mmap + munmap of one anonymous page
 *   fault_10k_vmas   anon_fault with 10,000 other VMAs in the process
 *   reply_cap_roundtrip  call to a two-thread server: one thread receives
 *                    and keeps the reply right as a reply handle, the
 *                    other answers through it (and closes it)
 *   revoke_derived   munmap of a page we (as a custom pager) mapped into a
 *                    task of ours: the pager's unmap of the source, which
 *                    revokes the derived copy (a fresh process; the
 *                    same loop without the map is "microbench revoke 0")
 */
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "shadow.h"

#define N 2000

static void report(const char *name, uint64_t total, uint64_t n, const char *unit)
{
	printf("bench: %s %lu %s\n", name, (unsigned long)(total / n), unit);
}

static uint64_t bench_null_syscall(void)
{
	uint64_t t0 = rdinstret();

	for (int i = 0; i < N; i++)
		sys_debug_write(NULL, 0);
	return rdinstret() - t0;
}

static uint64_t bench_ipc(uint64_t ep)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };
	uint64_t t0;

	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call(ep, &m);
	t0 = rdinstret();
	for (int i = 0; i < N; i++)
		ipc_call(ep, &m);
	return rdinstret() - t0;
}

enum { FAULT_PAGES = 1024 };
static char untouched[FAULT_PAGES + 1][PAGE_SIZE];	/* .bss: demand-zero */

static uint64_t bench_fault(void)
{
	char *p = (char *)(((uintptr_t)untouched + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	uint64_t t0;

	p[0] = 1;	/* warm the pager's path and tables */
	t0 = rdinstret();
	for (int i = 1; i < FAULT_PAGES; i++)
		p[i * PAGE_SIZE] = 1;
	return rdinstret() - t0;
}

static char *map_anon(uint64_t pages)
{
	char *p = mmap(0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void touch(char *p, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
}

/* Mean instructions for the first write to each of `pages` fresh pages
 * (the first one warms the path and is not counted). */
static uint64_t faults_in(char *p, uint64_t pages)
{
	uint64_t t0;

	p[0] = 1;
	t0 = rdinstret();
	for (uint64_t i = 1; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
	return (rdinstret() - t0) / (pages - 1);
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
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static uint64_t bench_cow(void)
{
	enum { PAGES = 1024 };
	char *p = map_anon(PAGES);
	uint64_t r;
	pid_t pid;

	if (!p)
		return 0;
	touch(p, PAGES);
	pid = fork_sleeper();
	r = faults_in(p, PAGES);
	reap(pid);
	munmap(p, PAGES * PAGE_SIZE);
	return r;
}

/* The fork call alone (in the parent), with `pages` resident and
 * writable, mean of a few runs. */
static uint64_t bench_fork(uint64_t pages)
{
	enum { RUNS = 4 };
	char *p = map_anon(pages);
	uint64_t total = 0;

	if (!p)
		return 0;
	for (int i = 0; i < RUNS; i++) {
		touch(p, pages);	/* writable again after the last fork */
		uint64_t t0 = rdinstret();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		total += rdinstret() - t0;
		int status;
		waitpid(pid, &status, 0);
	}
	munmap(p, pages * PAGE_SIZE);
	return total / RUNS;
}

static uint64_t bench_mmap_munmap(void)
{
	enum { RUNS = 500 };
	uint64_t t0 = rdinstret();

	for (int i = 0; i < RUNS; i++) {
		void *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, PAGE_SIZE);
	}
	return (rdinstret() - t0) / RUNS;
}

static uint64_t bench_fault_many_vmas(void)
{
	enum { VMAS = 10000, PAGES = 512 };
	char *p;

	for (int i = 0; i < VMAS; i++)
		if (!map_anon(1))
			return 0;
	if (!(p = map_anon(PAGES)))
		return 0;
	return faults_in(p, PAGES);
}

/* reply_cap_roundtrip's server: two threads in a shadow task. */
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

static uint64_t bench_reply_cap(void)
{
	int64_t task = shadow_task_create(), ep = sys_endpoint_create(), go = sys_notif_create();
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };
	uint64_t t0, total;

	if (task < 0 || ep < 0 || go < 0)
		return 0;
	rc_ep = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep, 0, RIGHTS_ALL);
	rc_go = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)go, 0, RIGHTS_ALL);
	if (shadow_thread((uint64_t)task, rc_receiver, 0, rc_stacks[0], sizeof(rc_stacks[0]), 0, 0) < 0 ||
	    shadow_thread((uint64_t)task, rc_replier, 0, rc_stacks[1], sizeof(rc_stacks[1]), 0, 0) < 0)
		return 0;
	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call((uint64_t)ep, &m);
	t0 = rdinstret();
	for (int i = 0; i < N; i++)
		ipc_call((uint64_t)ep, &m);
	total = rdinstret() - t0;
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	sys_handle_close((uint64_t)ep);
	sys_handle_close((uint64_t)go);
	return total;
}

/* In a fresh process (see main): no other VMAs slow the munmap. With
 * `derived` false the same loop without the sys_map (for comparison). */
static uint64_t bench_revoke_derived(bool derived)
{
	enum { RUNS = 200 };
	int64_t task = sys_task_create();
	uint64_t total = 0, runs = 0;

	if (task < 0)
		return 0;
	for (int i = 0; i < RUNS; i++) {
		char *p = map_anon(1);
		if (!p)
			break;
		p[0] = 1;
		if (derived && sys_map((uint64_t)task, (uint64_t)p, 0x40000000, MAP_R | MAP_W) < 0)
			break;
		uint64_t t0 = rdinstret();
		munmap(p, PAGE_SIZE);
		total += rdinstret() - t0;
		runs++;
	}
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	return runs ? total / runs : 0;
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

/* Run "microbench MODE ARG" as a fresh process (so earlier benchmarks'
 * memory does not count) and wait for it. */
static void run_fresh(const char *mode, const char *arg)
{
	const char *argv[] = { "microbench", mode, arg, NULL };
	int64_t pid = spawn(argv, 0);
	int status;

	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve(libsys_start_info.granted);
	if (argc > 2 && !strcmp(argv[1], "revoke")) {
		report(argv[2][0] == '1' ? "revoke_derived" : "revoke_base",
		       bench_revoke_derived(argv[2][0] == '1'), 1, "instructions");
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "fork")) {
		uint64_t pages = strtoul(argv[2], NULL, 10);
		printf("bench: fork_%lumib %lu instructions\n", (unsigned long)(pages / 256),
		       (unsigned long)bench_fork(pages));
		return 0;
	}

	int64_t ep = sys_endpoint_create();
	const char *peer[] = { "microbench", "serve", NULL };
	int64_t pid = spawn(peer, (uint64_t)ep);
	int status;

	report("null_syscall", bench_null_syscall(), N, "instructions");
	if (pid > 0)
		report("ipc_roundtrip", bench_ipc((uint64_t)ep), N, "instructions");
	report("fault_roundtrip", bench_fault(), FAULT_PAGES - 1, "instructions");
	char *anon = map_anon(1024);
	report("anon_fault", anon ? faults_in(anon, 1024) : 0, 1, "instructions");
	report("cow_fault", bench_cow(), 1, "instructions");
	run_fresh("fork", "256");
	run_fresh("fork", "16384");
	report("mmap_munmap", bench_mmap_munmap(), 1, "instructions");
	report("fault_10k_vmas", bench_fault_many_vmas(), 1, "instructions");
	report("reply_cap_roundtrip", bench_reply_cap(), N, "instructions");
	run_fresh("revoke", "1");
	if (pid > 0) {
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, &status, 0);
	}
	printf("bench: done\n");
	return 0;
}
