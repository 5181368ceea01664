/*
 * A seeded in-guest fuzzer (issue 6, "Tests and figures"). Init forks
 * unprivileged children one after another; each runs a stream of random
 * operations from the enabled classes (fuzz.h: syscalls, a custom pager's
 * random fault replies, random pager requests, ...) until its share of
 * the count is done or it is killed, which is allowed. Afterwards the
 * kernel pool, the kernel's task, thread and mapping-record counts, the
 * pager's free frames and its process count (live + zombie) must be back
 * where they started, and the pager's check must pass.
 *
 *   test_fuzz [SEED [COUNT [CLASSES [PER_CHILD]]]]
 *   test_fuzz child CHILD_SEED COUNT CLASSES   one child, to reproduce
 *
 * Numbers are decimal or 0x hex. Child i's seed is the i-th output of
 * splitmix64 seeded with SEED; each child prints it, so one child's calls
 * can be replayed alone (add FZ_TRACE, 0x100, to see every call). Under
 * QEMU's -icount a whole run is the same every time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libsys.h"
#include "fuzz.h"
#include "t.h"

/*
 * The classes the ctest run enables: all of them (0x4ff). FZ_THREAD_EXIT,
 * FZ_BRK and FZ_DERIVED joined once death messages, the brk fixes and the
 * mapping database were merged; FZ_EXHAUST once kernel-memory quotas
 * were: a child that takes the kernel pool below half fails the run
 * (before the quotas, any child emptied it).
 */
#define DEFAULT_CLASSES	(FZ_SYSCALL | FZ_FAULT | FZ_PAGER | FZ_PAGER_GRANT | FZ_THREAD_EXIT | \
			 FZ_BRK | FZ_GUEST_SYS | FZ_DERIVED | FZ_EXHAUST)
#define DEFAULT_SEED	0x5eedf00dul
#define DEFAULT_COUNT	200000ul
#define DEFAULT_PER_CHILD 10000ul
#define EXIT_FAILED	99	/* a child's status after it printed a FAIL line */

struct progress {
	volatile uint64_t ops;		/* the running child's operations */
	volatile uint64_t min_kmem;	/* the lowest kernel pool it saw */
};

static struct progress *progress;
static uint64_t pool_total;	/* the kernel pool's size, in pages */

static uint64_t arg(int argc, char **argv, int i, uint64_t dflt)
{
	return argc > i ? strtoull(argv[i], NULL, 0) : dflt;
}

/* One child's run: COUNT operations, each from an enabled class. */
static void fuzz_child(uint64_t seed, uint64_t count, uint32_t classes)
{
	static struct fz f;
	void (*ops[3])(struct fz *);
	int nops = 0;

	f.rng = seed;
	f.min_kmem = ~0ul;
	f.classes = classes;
	fz_values_init(&f);
	if (classes & FZ_SYSCALL)
		ops[nops++] = fz_syscall_op;
	if (classes & FZ_FAULT)
		ops[nops++] = fz_fault_op;
	if (classes & (FZ_PAGER | FZ_PAGER_GRANT | FZ_BRK))
		ops[nops++] = fz_pager_op;
	if (!nops)
		_exit(0);
	for (f.ops = 0; f.ops < count; f.ops++) {
		ops[fz_below(&f, (uint64_t)nops)](&f);
		progress->ops = f.ops + 1;
		fz_derived_check(&f);
		if ((classes & FZ_CHECK_EACH) && pager_check() != 0) {
			printf("FAIL: fuzz: the pager's check fails after op %llu\n",
			       (unsigned long long)f.ops);
			_exit(EXIT_FAILED);
		}
		if ((f.ops & 63) == 0) {
			struct kernel_info ki;
			if (sys_kernel_info(&ki) == 0 && ki.ntasks > f.peak_tasks)
				f.peak_tasks = ki.ntasks;
			if (ki.kmem_free_pages < f.min_kmem)
				progress->min_kmem = f.min_kmem = ki.kmem_free_pages;
		}
	}
	struct kernel_info ki = { 0 };
	sys_kernel_info(&ki);
	printf("fuzz: pid %d: %llu ops, %llu refused, %llu guest faults answered, "
	       "%llu tasks at most, kernel pool down to %llu pages, "
	       "%llu tasks %llu threads live\n",
	       (int)libsys_start_info.pid, (unsigned long long)f.ops,
	       (unsigned long long)f.refused, (unsigned long long)f.faults,
	       (unsigned long long)f.peak_tasks, (unsigned long long)f.min_kmem,
	       (unsigned long long)ki.ntasks, (unsigned long long)ki.nthreads);
	_exit(f.failed ? EXIT_FAILED : 0);
}

/* *kept: frames the pager keeps for good (its heap's growth, frames
 * donated to the kernel pool): not a leak, so the frame check adds them. */
static void kernel_figures(const char *when, struct kernel_info *k, struct mem_info *mi,
			   uint64_t *kept)
{
	CHECK_EQ(sys_kernel_info(k), 0);
	CHECK_EQ(mem_info(mi), 0);
	CHECK_EQ(pager_check_kept(kept), 0);
	pool_total = k->kmem_total_pages;
	printf("fuzz: %s: kmem_free_pages %llu ntasks %llu nthreads %llu mapping_records %llu "
	       "pager_free_pages %llu pager_kept %llu pager_procs %llu\n",
	       when, (unsigned long long)k->kmem_free_pages, (unsigned long long)k->ntasks,
	       (unsigned long long)k->nthreads, (unsigned long long)k->mapping_records,
	       (unsigned long long)mi->free_pages, (unsigned long long)*kept,
	       (unsigned long long)mi->nprocs);
}

/*
 * Wait for the child, watching that it makes progress: no operation
 * takes STUCK_INSNS instructions of the machine (the kernel's, the
 * pager's and its own), so a child that does not finish one in that time
 * is stuck, which is a failure: kill it and go on. Returns 1 with
 * *status when it ended by itself.
 */
#define STUCK_INSNS	2000000000ul

static int watch(int i, uint64_t seed, pid_t pid, int *status)
{
	uint64_t last = progress->ops, since = rdinstret();
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) == 0) {
		if (progress->ops != last) {
			last = progress->ops;
			since = rdinstret();
		} else if (rdinstret() - since > STUCK_INSNS) {
			printf("FAIL: fuzz: child %d seed %#llx stuck at op %llu\n", i,
			       (unsigned long long)seed, (unsigned long long)last);
			t_failures++;
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return 0;
		}
		sys_yield();
	}
	CHECK_EQ(r, pid);
	return r == pid;
}

/* Fork a child for seed; return how many operations it did. */
static uint64_t run_child(int i, uint64_t seed, uint64_t count, uint32_t classes,
			  int *killed)
{
	int status = 0;
	pid_t pid;

	progress->ops = 0;
	progress->min_kmem = ~0ul;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fuzz_child(seed, count, classes);
	CHECK(pid > 0);
	if (pid <= 0)
		return count;
	if (!watch(i, seed, pid, &status))
		return progress->ops ? progress->ops : 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILED) {
		t_failures++;	/* it said what */
		printf("fuzz: child %d seed %#llx failed after %llu ops\n", i,
		       (unsigned long long)seed, (unsigned long long)progress->ops);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(*killed)++;
		printf("fuzz: child %d seed %#llx ended with status %#x after %llu ops\n", i,
		       (unsigned long long)seed, status, (unsigned long long)progress->ops);
	}
	/* With quotas one process cannot take the whole pool (invariant 8);
	 * FZ_EXHAUST tries. Half of it is more than any child needs. */
	if (progress->min_kmem < pool_total / 2) {
		printf("FAIL: fuzz: child %d seed %#llx left the kernel pool %llu of %llu pages\n", i,
		       (unsigned long long)seed, (unsigned long long)progress->min_kmem,
		       (unsigned long long)pool_total);
		t_failures++;
	}
	/* Orphans (processes the child forked) come to us. */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
	return progress->ops ? progress->ops : 1;
}

int main(int argc, char **argv)
{
	struct kernel_info k0, k1;
	struct mem_info m0 = { 0 }, m1 = { 0 };
	uint64_t kept0 = 0, kept1 = 0;
	uint64_t total = 0, rng, seed, count, per_child;
	uint32_t classes;
	int children = 0, killed = 0, status;
	int one = argc > 1 && !strcmp(argv[1], "child");

	if (one) {
		seed = arg(argc, argv, 2, DEFAULT_SEED);
		count = arg(argc, argv, 3, DEFAULT_PER_CHILD);
		classes = (uint32_t)arg(argc, argv, 4, DEFAULT_CLASSES);
		per_child = count;
	} else {
		seed = arg(argc, argv, 1, DEFAULT_SEED);
		count = arg(argc, argv, 2, DEFAULT_COUNT);
		classes = (uint32_t)arg(argc, argv, 3, DEFAULT_CLASSES);
		per_child = arg(argc, argv, 4, DEFAULT_PER_CHILD);
	}
	printf("fuzz: seed %#llx count %llu classes %#x per-child %llu\n",
	       (unsigned long long)seed, (unsigned long long)count, classes,
	       (unsigned long long)per_child);
	progress = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(progress != MAP_FAILED);
	if (progress == MAP_FAILED || !per_child)
		return t_done("fuzz");
	progress->ops = 0;
	/* A warm-up child, so that what the first fork allocates for good is
	 * in the baseline. */
	run_child(-1, 0, 0, 0, &killed);
	kernel_figures("before", &k0, &m0, &kept0);

	rng = seed;
	while (total < count) {
		uint64_t s = one ? seed : fz_next(&rng);
		uint64_t n = count - total < per_child ? count - total : per_child;
		printf("fuzz: child %d seed %#llx\n", children, (unsigned long long)s);
		total += run_child(children, s, n, classes, &killed);
		children++;
		if (one)
			break;
	}
	/* Grandchildren still running end by themselves (they run no code of
	 * ours): wait for every one. */
	while (waitpid(-1, &status, 0) > 0)
		;
	CHECK_EQ(errno, ECHILD);
	kernel_figures("after", &k1, &m1, &kept1);
	printf("fuzz: %llu instructions since boot (QEMU time in ns under -icount)\n",
	       (unsigned long long)rdinstret());
	printf("fuzz: %llu calls in %d children (%d ended early)\n", (unsigned long long)total,
	       children, killed);
	CHECK_EQ(k1.kmem_free_pages, k0.kmem_free_pages);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	CHECK_EQ(k1.mapping_records, k0.mapping_records);
	CHECK_EQ(m1.free_pages + (kept1 - kept0), m0.free_pages);
	CHECK_EQ(m1.nprocs, m0.nprocs);	/* live + zombie: none leaked, none unreaped */
	CHECK_EQ(pager_check(), 0);
	return t_done("fuzz");
}
