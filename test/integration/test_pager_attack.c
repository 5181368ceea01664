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
 */
#include "attack.h"
#include "shadow.h"

/* ---- badreq ---- */

static const uint64_t edge[] = {
	0, 1, PS - 1, PS, PS + 1, PROC_MMAP_MIN - PS, PROC_MMAP_MIN, 0x20000000,
	USER_TOP - PS, USER_TOP - 1, USER_TOP, USER_TOP + 1, USER_TOP + PS,
	1ul << 63, (1ul << 63) - PS, ~0ul - PS + 1, ~0ul - PS + 2, ~0ul,
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

/* Labels whose words are safe to throw at the pager in any combination
 * (nothing they can do ends or blocks the caller, or unmaps its code). */
static int badreq_words(void)
{
	static const uint64_t labels[] = {
		0, PAGER_GETPID, PAGER_PROC_STATS, PAGER_MEMINFO, PAGER_MMAP, PAGER_MPROTECT,
		PAGER_MADVISE, PAGER_MREMAP, PAGER_BRK, PAGER_VMA_LIST, PAGER_SET_LIMIT,
		PAGER_SETRLIMIT, PAGER_GETRLIMIT, PAGER_DMA_ALLOC, PAGER_LABEL_COUNT,
		PAGER_LABEL_COUNT + 1, 0xfa17, 0xdead, 0xffff,
	};
	uint64_t calls = 0;

	for (unsigned l = 0; l < sizeof(labels) / sizeof(labels[0]); l++)
		for (unsigned a = 0; a < NEDGE; a++)
			for (unsigned b = 0; b < NEDGE; b++)
				for (unsigned c = 0; c < NEDGE; c += 3) {
					/* Not on our own image, heap or stack. */
					if ((labels[l] == PAGER_MPROTECT || labels[l] == PAGER_MADVISE ||
					     labels[l] == PAGER_MREMAP) &&
					    edge[a] >= PROC_MMAP_MIN && edge[a] < USER_TOP)
						continue;
					int64_t r = call(labels[l], 0, edge[a], edge[b], edge[c],
							 edge[(a + b) % NEDGE], edge[(b + c) % NEDGE]);
					calls++;
					/* Whatever it mapped goes again, but
					 * never our own image or stack. */
					if (labels[l] == PAGER_MMAP && r > 0 && (uint64_t)r != edge[a])
						munmap((void *)r, edge[b] < USER_TOP ? edge[b] : PS);
					if (labels[l] == PAGER_DMA_ALLOC && r > 0)
						munmap((void *)r, edge[a]);
					if (labels[l] == PAGER_SET_LIMIT)
						pager_set_limit(0);
				}
	/* MUNMAP only where nothing of ours lives: below PROC_MMAP_MIN (and
	 * not reaching it) or outside user space. */
	for (unsigned a = 0; a < NEDGE; a++)
		for (unsigned b = 0; b < NEDGE; b++) {
			if (edge[a] < USER_TOP &&
			    (edge[a] >= PROC_MMAP_MIN || edge[b] >= PROC_MMAP_MIN - edge[a]))
				continue;
			call(PAGER_MUNMAP, 0, edge[a], edge[b], 0, 0, 0);
			calls++;
		}
	/* Pid words: self, parent (init), nobody, a zombie child, a live one,
	 * and the edges, for every call that takes a pid. */
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	pid_t live = fork();
	if (live == 0) {
		for (;;)
			sys_yield();
	}
	for (long i = 0; i < 1000; i++)
		sys_yield();
	uint64_t pids[] = { 0, (uint64_t)getpid(), 1, 2, 255, 256, 257, (uint64_t)zombie,
			    (uint64_t)live, (uint64_t)zombie + 256, 1ul << 62, (1ul << 62) | 1,
			    ~0ul, 1ul << 63 };
	for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		call(PAGER_PROC_STATS, 0, pids[i], 0, 0, 0, 0);
		call(PAGER_VMA_LIST, 0, 0, pids[i], 0, 0, 0);
		for (uint64_t res = 0; res <= PRLIMIT_COUNT; res++) {
			call(PAGER_GETRLIMIT, 0, pids[i], res, 0, 0, 0);
			call(PAGER_SETRLIMIT, 0, pids[i], res, ~0ul, 0, 0);
		}
		call(PAGER_WAIT, 0, pids[i], WAIT_NOHANG, 0, 0, 0);
		if (pids[i] != (uint64_t)getpid() && pids[i] != (uint64_t)live && pids[i] != 0)
			CHECK(call(PAGER_KILL, 0, pids[i], 0, 0, 0, 0) < 0);
		calls += 5 + 2 * PRLIMIT_COUNT;
	}
	CHECK_EQ(call(PAGER_KILL, 0, (uint64_t)live, 0, 0, 0, 0), 0);
	int st;
	CHECK_EQ(waitpid(live, &st, 0), live);
	waitpid(zombie, &st, WNOHANG);	/* the WAIT calls above may have reaped it */
	/* Payloads of every length class on every label that does not end
	 * us: garbage argv for SPAWN, ignored elsewhere (it lands in the
	 * pager's IPC buffer). */
	char *buf = ipcbuf();
	static const uint64_t lens[] = { 0, 1, 2, 3, 7, 1023, 1024, 1025, 4095, 4096, 4097,
					 8191 };
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int fill = 0; fill < 3; fill++) {
			for (unsigned j = 0; j < 4096; j++)
				buf[j] = fill == 0 ? 0 : fill == 1 ? 'x' : (char)(j % 7 ? 'a' : 0);
			int64_t r = call(PAGER_SPAWN, lens[i], 0, 0, 0, 0, 0);
			CHECK(r < 0);	/* no such program, or malformed */
			call(PAGER_GETPID, lens[i], 0, 0, 0, 0, 0);
			call(PAGER_MEMINFO, lens[i], 0, 0, 0, 0, 0);
			calls += 3;
		}
	}
	/* A spawn with too many arguments, and one that names a real
	 * program after an empty string. */
	memset(buf, 0, 4096);
	for (int j = 0; j < 100; j++)
		buf[j * 2] = 'a';
	CHECK(call(PAGER_SPAWN, 200, 0, 0, 0, 0, 0) < 0);
	memcpy(buf, "\0test_child\0", 12);
	CHECK(call(PAGER_SPAWN, 12, 0, 0, 0, 0, 0) < 0);
	printf("badreq: %llu calls\n", (unsigned long long)calls);
	CHECK_EQ(pager_check(), 0);
	return t_failures ? 1 : 0;
}

/* FORK with edge pc/sp: refused, or a child that dies at once. */
static int badreq_fork(void)
{
	for (unsigned a = 0; a < NEDGE; a += 2)
		for (unsigned b = 0; b < NEDGE; b += 3) {
			int64_t r = call(PAGER_FORK, 0, edge[a], edge[b], edge[(a + b) % NEDGE], 0, 0);
			if (r > 0) {
				int st;
				CHECK_EQ(waitpid((pid_t)r, &st, 0), r);
				CHECK(WIFSIGNALED(st));
			} else {
				CHECK(edge[a] >= USER_TOP || edge[b] >= USER_TOP);
			}
		}
	return t_failures ? 1 : 0;
}

static void attack_badreq(void)
{
	CHECK_EQ(in_child(badreq_words), 0);
	CHECK_EQ(in_child(badreq_fork), 0);
	CHECK_EQ(in_child(grants_still_land), 0);
	after_attack("badreq");
}

/* ---- remapidx ---- */

static int remap_up(void)
{
	const uint64_t big = 1ul << 24;	/* pages: 64 GiB, never touched */
	char *m = mmap(NULL, big * PS, PROT_NONE, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	for (int round = 0; round < 12; round++) {
		/* Keep only the last page; move it, growing back to big. */
		if (munmap(m, (big - 1) * PS) < 0)
			return 4;
		m = mremap(m + (big - 1) * PS, PS, big * PS, MREMAP_MAYMOVE);
		if (m == MAP_FAILED)
			return 5;
	}
	if (mprotect(m, PS, RW) < 0)
		return 6;
	m[0] = 1;	/* the object index is now far above 2^27 */
	return m[0] == 1 ? 0 : 7;
}

static void attack_remapidx(void)
{
	int st = in_child(remap_up);

	CHECK(IS_EXIT(st, 0));
	after_attack("remapidx");
}

/* ---- fixedloop ---- */

static int fixed_loop(void)
{
	char *base = mmap(NULL, 64 * PS, RW, ANON_PRIV, -1, 0);
	uint64_t v0 = 0, f0 = free_pages();

	if (base == MAP_FAILED)
		return 3;
	struct pager_vma_info all[8];
	v0 = (uint64_t)vmas_in(0, ~0ul, all, 8);
	for (int i = 0; i < 20000; i++) {
		char *m = mmap(base + (i % 8) * PS, (1 + i % 5) * PS, RW, ANON_PRIV | MAP_FIXED,
			       -1, 0);
		if (m != base + (i % 8) * PS)
			return 4;
		m[0] = (char)i;
		if (mprotect(base + (i % 13) * PS, PS, (i & 1) ? PROT_READ : RW) < 0)
			return 5;
	}
	if (mprotect(base, 64 * PS, RW) < 0 || munmap(base, 64 * PS) < 0)
		return 6;
	if (free_pages() > f0 + 64 || free_pages() + 64 < f0)
		return 7;
	(void)v0;
	return pager_check() == 0 ? 0 : 8;
}

static void attack_fixedloop(void)
{
	uint64_t f = free_pages();

	CHECK(IS_EXIT(in_child(fixed_loop), 0));
	CHECK_EQ(free_pages(), f);
	after_attack("fixedloop");
}

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
