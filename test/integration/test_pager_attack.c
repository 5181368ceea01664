/*
 * Attacks on the pager from unprivileged processes (children of the test,
 * which runs as init), part 1: malformed requests, counts and indexes
 * that could wrap, and ends of processes and threads. Issue 7 says no
 * process can crash the pager and none within its limits can starve the
 * others. Each mode (argv[1]) is one attack, followed by after_attack
 * (attack.h). Running out of frames and of pager heap: test_pager_oom.c.
 *
 *   badreq     every request label (and some past the end) with every word
 *              at an edge (0, -1, 2^63, USER_TOP +- 1, unaligned, lengths
 *              that wrap when rounded up), payloads of 0..8191 bytes, pids
 *              of self, parent, init, zombies and strangers: only errors;
 *              handles granted with requests that take none are closed.
 *   remapidx   mremap moves a one-page tail and grows it, over and over,
 *              pushing the object page index up: writes must still work.
 *   fixedloop  MAP_FIXED over one range 20,000 times and mprotect splits
 *              and merges: no VMA, object or frame leaks.
 *   threadexit a process with a live child and a zombie child ends by
 *              SYS_THREAD_EXIT while its parent waits: the wait returns,
 *              the children go to init; then one killed while its own
 *              wait for its child is deferred.
 *   shadow     threads of a process's shadow task with its pager handle
 *              as their pager fault, exit and spin; then the main thread
 *              ends by SYS_THREAD_EXIT (they cannot send requests: the
 *              pager handle has no grant right).
 *   forkchain  a chain of processes each forking the next until refused,
 *              then killed from the top while the bottom waits.
 *   rlimits    limits at 0, 2^63 and 2^64 - 1, on self, parent, children.
 *   orphans    a process with PRLIMIT_NPROC 8 forks a child that forks
 *              until refused and ends, so its children go to init; round
 *              after round. Orphans still count under the ancestors they
 *              had: the whole flood stays under 8 (it made 26 before).
 *
 * This file has the ends of processes and threads and main; badreq,
 * remapidx and fixedloop are in pager_attack_requests.c.
 */
#include "attack.h"
#include "shadow.h"
#include "pager_attack.h"

/* ---- threadexit ---- */

static int thread_exit_parent(void)
{
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	pid_t l = fork();
	if (l == 0) {
		wait_flag(0);
		_exit(9);
	}
	for (long i = 0; i < 2000; i++)
		sys_yield();
	shared[7] = (uint64_t)l;
	shared[8] = (uint64_t)z;
	sys_thread_exit();
	return 3;
}

static void attack_threadexit(void)
{
	int st;

	shared[0] = 0;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(thread_exit_parent());
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(IS_KILL(st));
	/* Both children are init's now. */
	shared[0] = 1;
	CHECK_EQ(waitpid((pid_t)shared[7], &st, 0), (pid_t)shared[7]);
	CHECK(IS_EXIT(st, 9));
	CHECK_EQ(waitpid((pid_t)shared[8], &st, 0), (pid_t)shared[8]);

	/* Killed while its own wait is deferred: our wait is answered, its
	 * child comes to us and its end reaches us, not the dead waiter. */
	shared[0] = shared[7] = 0;
	fflush(stdout);
	p = fork();
	if (p == 0) {
		pid_t c = fork();
		if (c == 0) {
			wait_flag(0);
			_exit(9);
		}
		shared[7] = (uint64_t)c;
		waitpid(c, &st, 0);
		_exit(3);
	}
	for (long n = 0; !shared[7] && n < 20000000; n++)
		sys_yield();
	for (long n = 0; n < 2000; n++)
		sys_yield();	/* its wait is pending by now */
	CHECK_EQ(kill(p, SIGKILL), 0);
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(IS_KILL(st));
	shared[0] = 1;
	CHECK_EQ(waitpid((pid_t)shared[7], &st, 0), (pid_t)shared[7]);
	CHECK(IS_EXIT(st, 9));
	after_attack("threadexit");
}

/* ---- shadow ---- */

static uint8_t shadow_stack[3][2048] __attribute__((aligned(16)));
static volatile uint64_t shadow_spins;

static void shadow_fault(uint64_t arg)
{
	(void)arg;
	*(volatile char *)0x20000000ul = 1;	/* its fault is refused: it dies */
}

static void shadow_return(uint64_t arg)
{
	(void)arg;	/* returning is SYS_THREAD_EXIT */
}

static void shadow_spin(uint64_t arg)
{
	(void)arg;
	for (;;)
		shadow_spins++;
}

/* Threads in our shadow task with our pager handle as their pager (fault
 * badge: our pid without the fault bit): one faults, one exits, one spins;
 * then our main thread exits by SYS_THREAD_EXIT with the spinner alive. */
static int shadow_attack(void)
{
	int64_t task = shadow_task_create(), th[3];
	uint64_t pager = libsys_start_info.pager;

	if (task < 0)
		return 3;
	th[0] = shadow_thread((uint64_t)task, shadow_fault, 0, shadow_stack[0],
			      sizeof(shadow_stack[0]), pager, 0);
	th[1] = shadow_thread((uint64_t)task, shadow_return, 0, shadow_stack[1],
			      sizeof(shadow_stack[1]), pager, 0);
	th[2] = shadow_thread((uint64_t)task, shadow_spin, 0, shadow_stack[2],
			      sizeof(shadow_stack[2]), pager, 0);
	if (th[0] < 0 || th[1] < 0 || th[2] < 0)
		return 4;
	for (long i = 0; i < 2000 && shadow_spins < 1000; i++)
		sys_yield();
	volatile char *m = mmap(NULL, 8 * PS, RW, ANON_PRIV, -1, 0);
	if (m == MAP_FAILED)
		return 5;
	m[7 * PS] = 1;
	if (pager_check() != 0 || !shadow_spins)
		return 6;
	shared[2] = 1;
	sys_thread_exit();
	return 7;
}

static void attack_shadow(void)
{
	int st = in_child(shadow_attack);

	CHECK_EQ(shared[2], 1);
	CHECK(IS_KILL(st));
	after_attack("shadow");
}

/* ---- forkchain ---- */

/* Fork the next link and wait for it. The link that cannot (refused, or
 * its child was killed because the kernel had no memory left for it)
 * says how deep the chain is and holds it there. */
static int chain_link(int depth)
{
	int st = 0;
	pid_t c = fork();

	if (c == 0) {
		if (depth < 400)
			shared[16 + depth] = (uint64_t)getpid();
		return chain_link(depth + 1);
	}
	if (c > 0)
		waitpid(c, &st, 0);
	if (c < 0 || (WIFSIGNALED(st) && !shared[2])) {
		shared[9] = (uint64_t)depth;
		shared[2] = 1;
		for (;;)
			sys_yield();
	}
	return 0;
}

static void attack_forkchain(void)
{
	int st;

	shared[2] = 0;
	fflush(stdout);
	pid_t top = fork();
	if (top == 0)
		_exit(chain_link(1));
	wait_flag(2);
	printf("forkchain: %llu deep\n", (unsigned long long)shared[9]);
	/* Each link has one child, so NPROC (children, not descendants)
	 * does not stop it; kernel-memory quotas do: each link's quota is a
	 * carve from the pager's account, so fork fails with ENOMEM when the
	 * pager can carve no more (about 30 links at 128 MiB), and nobody
	 * else's faults are touched. Init is still checked after the chain. */
	CHECK(shared[9] > 8);
	CHECK_EQ(kill(top, SIGKILL), 0);
	CHECK_EQ(waitpid(top, &st, 0), top);
	/* The rest of the chain came to init: end and reap it all. */
	for (uint64_t i = 1; i <= shared[9] && i < 400; i++)
		kill((pid_t)shared[16 + i], SIGKILL);
	while (waitpid(-1, &st, 0) > 0)
		;
	after_attack("forkchain");
}

/* ---- rlimits ---- */

static int rlimits_child(void)
{
	static const uint64_t vals[] = { 0, 1, 1ul << 32, 1ul << 63, ~0ul - 1, ~0ul };

	for (uint64_t res = 0; res <= PRLIMIT_COUNT + 1; res++)
		for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			int64_t r = pager_setrlimit(1, res, vals[i]);
			if (r != -ERR_PERM && r != -ERR_INVAL)
				return 3;
			r = pager_setrlimit(0, res, vals[i]);
			if (r == 0 && vals[i] > 1 && res != PRLIMIT_OOM_PROTECT)
				return 4;	/* raised above its own */
		}
	pager_set_limit(~0ul);
	pager_set_limit(1ul << 63);
	return mmap(NULL, PS, RW, ANON_PRIV, -1, 0) == MAP_FAILED ? 0 : 5;
}

static void attack_rlimits(void)
{
	CHECK(IS_EXIT(in_child(rlimits_child), 0));
	after_attack("rlimits");
}

/* ---- orphans ---- */

#define ORPHAN_LIMIT	8
#define ORPHAN_ROUNDS	5
#define ORPHAN_PIDS	64	/* shared[64..]: the pids made */

/* The attacker: limit ORPHAN_LIMIT on itself, then rounds of a child
 * that forks sleepers until refused and ends. */
static int orphan_attacker(void)
{
	int st;

	if (pager_setrlimit(0, PRLIMIT_NPROC, ORPHAN_LIMIT) < 0)
		return 3;
	for (int round = 0; round < ORPHAN_ROUNDS; round++) {
		fflush(stdout);
		pid_t b = fork();
		if (b < 0)
			break;		/* refused: the limit holds */
		if (b == 0) {
			for (;;) {
				pid_t g = fork();
				if (g == 0) {	/* sleeps for good */
					int64_t n = sys_notif_create();
					for (;;)
						sys_wait((uint64_t)n);
				}
				if (g < 0)
					break;
				if (shared[3] < PS / 8 - ORPHAN_PIDS)
					shared[ORPHAN_PIDS + shared[3]] = (uint64_t)g;
				shared[3]++;
			}
			_exit(0);	/* its children go to init */
		}
		if (waitpid(b, &st, 0) != b)
			return 4;
	}
	return 0;
}

static void attack_orphans(void)
{
	int st;

	shared[3] = 0;
	int a = in_child(orphan_attacker);	/* CHECK may evaluate twice */
	CHECK(IS_EXIT(a, 0));
	printf("orphans: %llu processes made under a limit of %d\n",
	       (unsigned long long)shared[3], ORPHAN_LIMIT);
	CHECK(shared[3] < ORPHAN_LIMIT);
	for (uint64_t i = 0; i < shared[3] && i < PS / 8 - ORPHAN_PIDS; i++)
		kill((pid_t)shared[ORPHAN_PIDS + i], SIGKILL);
	while (waitpid(-1, &st, 0) > 0)	/* the orphans came to us */
		;
	after_attack("orphans");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	stack_warm(32);
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(shared != MAP_FAILED);
	if (!strcmp(mode, "badreq"))
		attack_badreq();
	else if (!strcmp(mode, "remapidx"))
		attack_remapidx();
	else if (!strcmp(mode, "fixedloop"))
		attack_fixedloop();
	else if (!strcmp(mode, "threadexit"))
		attack_threadexit();
	else if (!strcmp(mode, "shadow"))
		attack_shadow();
	else if (!strcmp(mode, "forkchain"))
		attack_forkchain();
	else if (!strcmp(mode, "rlimits"))
		attack_rlimits();
	else if (!strcmp(mode, "orphans"))
		attack_orphans();
	else
		CHECK(!"unknown mode");
	char name[48];
	snprintf(name, sizeof(name), "pager_attack_%s", mode);
	return t_done(name);
}
