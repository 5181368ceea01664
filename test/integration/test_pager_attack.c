/*
 * Attacks on the pager from unprivileged processes (children of the test,
 * which runs as init): issue 7 says no process can crash the pager and
 * none within its limits can starve the others. Each mode (argv[1]) is one
 * attack; after it the pager's checker must pass and init must still
 * spawn, fork and map memory (after_attack).
 *
 *   badreq     every request label (and some past the end) with every word
 *              at an edge (0, -1, 2^63, USER_TOP +- 1, unaligned, lengths
 *              that wrap when rounded up), payloads of 0..8191 bytes, pids
 *              of self, parent, init, zombies and strangers: only errors;
 *              handles granted with requests that take none are closed.
 *   dmapin     one page of DMA memory (which took the lowest free run, the
 *              frame the pager's heap grows into next), then many VMAs:
 *              the heap must still grow, and init must still map.
 *   dmatail    a page of DMA memory held while another child takes every
 *              free frame and gives them back: the page stays zero.
 *   metaflood  a process at its VMA cap forks children at the cap until
 *              refused (or ended for it), then all exit: the pager heap
 *              they grew (once nearly all of RAM, for good) stays within
 *              its quarter, and init works while they hold it.
 *   willneed   a child asks for every free frame with MADV_WILLNEED (a
 *              request, not a fault); init then forks and spawns.
 *   oomreq     a grandchild takes every frame once init's pages are
 *              private again, so init's first need of a frame is a
 *              request (spawn, fork), not a fault: it must still work.
 *   oomfork    a process asks for every frame (MADV_WILLNEED, a request):
 *              the request fails, the out-of-memory choice falls on the
 *              caller itself, which gets no reply and ends; its parent's
 *              wait is answered and later grants still land.
 *   sparse     a child touching one page per 2 MiB (a page-map leaf frame
 *              for each data page) and one holding more data pages but
 *              fewer frames in all: when frames run out, the sparse one
 *              is the biggest and must be the one ended.
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
 */
#include <signal.h>
#include "t.h"
#include "mm.h"
#include "shadow.h"

static volatile uint64_t *shared;	/* one shared page for flags and counts */
static int frame_taker(void);

static void wait_flag(int i)
{
	for (long n = 0; !shared[i] && n < 20000000; n++)
		sys_yield();
}

/* Wait for flag i or for child pid to end (then its status in *st). */
static void wait_flag_or_end(int i, pid_t pid, int *st)
{
	*st = -1;
	for (long n = 0; !shared[i] && n < 20000000; n++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return;
		sys_yield();
	}
}

static int64_t call(uint64_t label, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
		    uint64_t w3, uint64_t w4)
{
	struct ipc_msg m = { .info = ipc_info(label, len, 0), .w = { w0, w1, w2, w3, w4, 0 } };

	return pager_call(&m);
}

/* What every attack must leave: a sane pager and an init that works. */
static void after_attack(const char *what)
{
	int st = -1;

	CHECK_EQ(pager_check(), 0);
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0);
	CHECK(sp > 0);
	if (sp > 0) {
		CHECK_EQ(waitpid((pid_t)sp, &st, 0), sp);
		CHECK(IS_EXIT(st, 7));
	}
	fflush(stdout);
	pid_t k = fork();
	if (k == 0)
		_exit(5);
	CHECK(k > 0);
	if (k > 0) {
		CHECK_EQ(waitpid(k, &st, 0), k);
		CHECK(IS_EXIT(st, 5));
	}
	volatile char *m = mmap(NULL, 64 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		for (int i = 0; i < 64; i++)
			m[i * PS] = (char)i;
		CHECK_EQ(munmap((void *)m, 64 * PS), 0);
	}
	CHECK_EQ(pager_check(), 0);
	printf("attack %s: done\n", what);
}

/* Run fn in a forked child; its exit status. */
static int in_child(int (*fn)(void))
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		t_failures = 0;	/* the child's own checks only */
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

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

/* Handles granted with requests that take none (or a spawn that fails,
 * or a bad handle index): the pager must close each, or its one receive
 * slot stays taken and the next spawn's grant is lost. Then a spawn with
 * a notification granted: the child signals it. */
static int badreq_grants(void)
{
	static const uint64_t labels[] = { 0, PAGER_GETPID, PAGER_MEMINFO, PAGER_MMAP,
					   PAGER_SPAWN, PAGER_CHECK, 0xffff };
	static const uint64_t bad[] = { 0, ~0ul, 1ul << 63, 4095, 2047 };
	int64_t n = sys_notif_create(), e = sys_endpoint_create();
	char *buf = ipcbuf();

	if (n <= 0 || e <= 0)
		return 3;
	for (int round = 0; round < 20; round++)
		for (unsigned l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
			memcpy(buf, "no-such-program\0", 16);
			struct ipc_msg m = { .info = ipc_info(labels[l], 16, IPC_GRANT),
					     .w = { 0, 0, 0, 0, 0, (uint64_t)(round & 1 ? n : e) } };
			pager_call(&m);
			m.info = ipc_info(labels[l], 0, IPC_GRANT);
			m.w[5] = bad[round % 5];
			pager_call(&m);
		}
	const char *argv[] = { "test_child", "spin", NULL };
	int64_t c = spawn(argv, (uint64_t)n);
	if (c <= 0)
		return 4;
	sys_wait((uint64_t)n);	/* hangs (the test times out) if the grant was lost */
	kill((pid_t)c, SIGKILL);
	int st;
	return waitpid((pid_t)c, &st, 0) == c && pager_check() == 0 ? 0 : 5;
}

static void attack_badreq(void)
{
	CHECK_EQ(in_child(badreq_words), 0);
	CHECK_EQ(in_child(badreq_fork), 0);
	CHECK_EQ(in_child(badreq_grants), 0);
	after_attack("badreq");
}

/* ---- dmapin and metaflood ---- */

/* Map one-page mappings (alternating rights, so none merge) until
 * refused; how many. */
static uint64_t map_many(uint64_t max)
{
	uint64_t n = 0;

	while (n < max && mmap(NULL, PS, (n & 1) ? PROT_READ : RW, ANON_PRIV, -1, 0) != MAP_FAILED)
		n++;
	return n;
}

static int dma_pinner(void)
{
	uint64_t pa;
	int64_t a = dma_alloc(PS, &pa);

	shared[1] = a > 0 ? 1 : 2;
	wait_flag(0);
	return a > 0 ? 0 : 3;
}

static int vma_hog(void)
{
	shared[3] = map_many(~0ul);
	shared[2] = 1;
	wait_flag(0);
	return 0;
}

static void attack_dmapin(void)
{
	int st;

	shared[0] = 0;
	fflush(stdout);
	pid_t pin = fork();
	if (pin == 0)
		_exit(dma_pinner());
	wait_flag(1);
	CHECK_EQ(shared[1], 1);
	pid_t hog = fork();
	if (hog == 0)
		_exit(vma_hog());
	wait_flag(2);
	printf("dmapin: the hog made %llu mappings\n", (unsigned long long)shared[3]);
	CHECK(shared[3] > 60000);	/* the VMA cap, not a pinned heap */
	after_attack("dmapin (pinned)");
	shared[0] = 1;
	CHECK_EQ(waitpid(pin, &st, 0), pin);
	CHECK_EQ(waitpid(hog, &st, 0), hog);
	after_attack("dmapin");
}

/* A page of DMA memory held while another child takes every free frame
 * (the low ones after the heap too) and gives them back: the page must
 * still read zero. DMA used to take its run off the free list fixing only
 * `next` links, leaving the list's tail on a frame the device owned; the
 * next freed low frame was linked in through that frame. */
static int dma_holder(void)
{
	uint64_t pa;
	volatile uint64_t *d = (volatile uint64_t *)dma_alloc(PS, &pa);

	if ((int64_t)d < 0)
		return 3;
	shared[1] = 1;
	wait_flag(0);
	for (int i = 0; i < 512; i++)
		if (d[i])
			return 4;
	return 0;
}

/* Take frames until few are free (the last ones taken are the low frames
 * just after the heap), then free some of those: they go to the tail of
 * the free list. */
static int low_frame_freer(void)
{
	stack_warm(8);
	uint64_t n = free_pages();
	volatile char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);
	uint64_t i = 0;

	if (m == MAP_FAILED)
		return 3;
	for (; i < n; i++) {
		m[i * PS] = 1;
		if (i % 64 == 63 && free_pages() < 1000)
			break;
	}
	return munmap((void *)(m + (i - 63) * PS), 64 * PS) == 0 ? 0 : 4;
}

static void attack_dmatail(void)
{
	int st;

	shared[0] = shared[1] = shared[2] = 0;
	fflush(stdout);
	pid_t h = fork();
	if (h == 0) {
		t_failures = 0;
		_exit(dma_holder());
	}
	wait_flag(1);
	pid_t t = fork();
	if (t == 0)
		_exit(low_frame_freer());
	CHECK_EQ(waitpid(t, &st, 0), t);
	CHECK(IS_EXIT(st, 0));
	shared[0] = 1;
	CHECK_EQ(waitpid(h, &st, 0), h);
	CHECK_EQ(st, 0);	/* 4 << 8: the list link landed in the DMA page */
	after_attack("dmatail");
}

/* At the VMA cap, then fork copies of ourselves (each at the cap too)
 * until refused, all waiting for the release. */
static int meta_parent(void)
{
	int n = 0;
	uint64_t made = map_many(~0ul);

	/* Each child holds another full set of VMAs, objects, page maps. */
	for (;;) {
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			/* Touch one page of every object: page maps too. */
			wait_flag(0);
			_exit(0);
		}
		if (c < 0)
			break;
		n++;
	}
	shared[4] = made;
	shared[5] = (uint64_t)n;
	shared[2] = 1;
	wait_flag(0);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}

static void attack_metaflood(void)
{
	struct mem_info mi0, mi1;
	int st;

	CHECK_EQ(mem_info(&mi0), 0);
	shared[0] = shared[2] = 0;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(meta_parent());
	wait_flag_or_end(2, p, &st);	/* it may be the one ended */
	CHECK_EQ(mem_info(&mi1), 0);
	printf("metaflood: %llu VMAs, %llu forks; %llu of %llu frames free\n",
	       (unsigned long long)shared[4], (unsigned long long)shared[5],
	       (unsigned long long)mi1.free_pages, (unsigned long long)mi1.total_pages);
	after_attack("metaflood (holding)");
	shared[0] = 1;
	if (st == -1)
		CHECK_EQ(waitpid(p, &st, 0), p);
	while (waitpid(-1, &st, 0) > 0)	/* its children, if it went first */
		;
	CHECK_EQ(mem_info(&mi1), 0);
	printf("metaflood: after, %llu frames free (were %llu)\n",
	       (unsigned long long)mi1.free_pages, (unsigned long long)mi0.free_pages);
	/* The heap keeps what it grew to, but never more than a quarter of
	 * the frames (PAGE_HEAP_SHARE): the rest came back. */
	CHECK(mi1.free_pages + mi0.total_pages / 4 + 64 >= mi0.free_pages);
	after_attack("metaflood");
}

/* ---- willneed ---- */

static int frame_taker(void)
{
	/* Everything we touch after taking the frames is mapped before:
	 * our stack, the shared page, this code; any fault then (even one
	 * that needs no frame) would make us the out-of-memory victim. */
	stack_warm(8);
	shared[6] = 0;
	sys_yield();
	uint64_t n = free_pages() + 1000;
	char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	/* As far as it gets; raw, so that no errno is written: a write
	 * fault now would end us before we hold the frames. */
	call(PAGER_MADVISE, 0, (uint64_t)(uintptr_t)m, n * PS, PADV_WILLNEED, 0, 0);
	shared[6] = free_pages();
	shared[2] = 1;
	while (!shared[0])
		sys_yield();
	return 0;
}

static void attack_willneed(void)
{
	int st;

	shared[0] = shared[2] = 0;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(frame_taker());
	wait_flag_or_end(2, p, &st);
	printf("willneed: %llu frames left free\n", (unsigned long long)shared[6]);
	after_attack("willneed (holding)");
	shared[0] = 1;
	if (st == -1)
		waitpid(p, &st, 0);	/* it may have been the OOM victim */
	after_attack("willneed");
}

/* A request, not a fault, is the first to need a frame after a process
 * took them all: spawn and fork must still work (the biggest process
 * ends, as for a fault), not fail with ENOMEM until somebody happens to
 * fault. The hog is a grandchild, started once init's own pages are
 * private again (a fork leaves them copy-on-write, and init's next write
 * would be a fault), so init's next frame need is a request. */
static int64_t spawn_and_fork(void)
{
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0), k;
	int st;

	/* The child starts at _exit with no gp/tp and dies at once: only
	 * the fork itself matters here. */
	k = call(PAGER_FORK, 0, (uint64_t)(uintptr_t)_exit, PROC_STACK_TOP - 0x10000, 6, 0, 0);
	if (sp > 0 && (waitpid((pid_t)sp, &st, 0) != sp || !IS_EXIT(st, 7)))
		sp = -1;
	if (k > 0 && waitpid((pid_t)k, &st, 0) != k)
		k = -1;
	return sp > 0 && k > 0 ? 0 : sp < 0 ? sp : k;
}

static void attack_oomreq(void)
{
	int st;

	shared[0] = shared[2] = shared[10] = 0;
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) {
		wait_flag(10);
		pid_t t = fork();
		if (t == 0)
			_exit(frame_taker());
		waitpid(t, &st, 0);
		_exit(0);
	}
	CHECK_EQ(spawn_and_fork(), 0);	/* our pages private again */
	shared[10] = 1;
	for (long n = 0; !shared[2] && n < 20000000; n++)
		sys_yield();
	int64_t r = spawn_and_fork();
	shared[0] = 1;
	printf("oomreq: with every frame taken, spawn and fork: %ld\n", (long)r);
	CHECK_EQ(r, 0);
	CHECK_EQ(waitpid(a, &st, 0), a);
	after_attack("oomreq");
}

/* ---- sparse ---- */

/* Touch one page in every 2 MiB of a huge mapping: each costs a data
 * frame and a page-map leaf (a frame too). The kernel's page tables cost
 * the same per touch, and its pool is small, so the pages are touched
 * 600 at a time by a chain of processes, each forking the next and
 * exiting (its page tables go; the child's objects keep every frame and
 * leaf, unmapped). The last one holds them all. */
static int sparse_hog(uint64_t touches)
{
	stack_warm(8);
	volatile char *m = mmap(NULL, touches << 21, RW, ANON_PRIV, -1, 0);
	uint64_t i = 0;

	if (m == MAP_FAILED)
		return 3;
	for (;;) {
		for (uint64_t k = 0; k < 600 && i < touches; k++, i++)
			m[i << 21] = 1;
		if (i >= touches)
			break;
		fflush(stdout);
		pid_t c = fork();
		if (c < 0)
			return 5;
		if (c > 0)
			_exit(0);	/* the child carries on */
		stack_warm(8);
	}
	shared[13] = (uint64_t)getpid();
	shared[11] = 1;
	while (!shared[0])
		sys_yield();
	return 0;
}

/* Dense pages, the same count of frames in all as the sparse hog's
 * data pages, a little more than its data alone. */
static int dense_holder(uint64_t pages)
{
	stack_warm(8);
	volatile char *m = mmap(NULL, pages * PS, RW, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	for (uint64_t i = 0; i < pages; i++)
		m[i * PS] = (char)(i + 1);
	shared[12] = 1;
	while (!shared[0])
		sys_yield();
	for (uint64_t i = 0; i < pages; i++)
		if (m[i * PS] != (char)(i + 1))
			return 4;
	return 0;
}

/* Frames run out; the out-of-memory killer must choose the process that
 * really holds the most (the sparse one: data plus as many page-map
 * frames), not the one with the most data pages. */
static void attack_sparse(void)
{
	uint64_t f = free_pages();
	int st;

	shared[0] = shared[11] = shared[12] = 0;
	fflush(stdout);
	pid_t s = fork();
	if (s == 0)
		_exit(sparse_hog(f * 22 / 100));	/* 44%: 22% data, 22% leaves */
	for (long n = 0; !shared[11] && n < 20000000; n++) {
		waitpid(-1, &st, WNOHANG);	/* the chain's links */
		sys_yield();
	}
	s = (pid_t)shared[13];	/* the last link: init's child now */
	pid_t d = fork();
	if (d == 0)
		_exit(dense_holder(f * 30 / 100));	/* 30% */
	for (long n = 0; !shared[12] && n < 20000000; n++)
		sys_yield();
	/* Init takes 30% more: one of them must go. */
	uint64_t n = f * 30 / 100;
	volatile char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);
	CHECK(m != MAP_FAILED);
	for (uint64_t i = 0; m != MAP_FAILED && i < n; i++)
		m[i * PS] = 1;
	CHECK_EQ(waitpid(d, &st, WNOHANG), 0);	/* the dense one lives */
	shared[0] = 1;
	CHECK_EQ(waitpid(s, &st, 0), s);
	CHECK(IS_KILL(st));	/* the sparse one, the real biggest */
	CHECK_EQ(waitpid(d, &st, 0), d);
	CHECK(IS_EXIT(st, 0));
	if (m != MAP_FAILED)
		CHECK_EQ(munmap((void *)m, n * PS), 0);
	after_attack("sparse");
}

/* The process holding every frame asks to fork (a request, no fault in
 * between): the fork fails for want of a frame, the out-of-memory choice
 * falls on the caller itself, which gets no reply and ends; its parent's
 * wait, blocked meanwhile, is answered. */
static int oom_forker(void)
{
	stack_warm(8);
	shared[6] = 0;
	sys_yield();
	uint64_t n = free_pages() + 1000;
	char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	int64_t note = sys_notif_create();
	memcpy(ipcbuf(), "test_child\0exit\0" "7\0", 18);
	/* Every frame: the retry after the failure ends us, the biggest. */
	call(PAGER_MADVISE, 0, (uint64_t)(uintptr_t)m, n * PS, PADV_WILLNEED, 0, 0);
	/* A spawn granting a handle: the pager must close what it received
	 * even though it ends us without a reply. */
	struct ipc_msg sm = { .info = ipc_info(PAGER_SPAWN, 18, IPC_GRANT),
			      .w = { 0, 0, 0, 0, 0, (uint64_t)note } };
	int64_t r = pager_call(&sm);
	shared[6] = (uint64_t)r + 1;	/* not reached: we were the biggest */
	r = call(PAGER_FORK, 0, (uint64_t)(uintptr_t)_exit, PROC_STACK_TOP - 0x10000, 6, 0, 0);
	return 4;
}

static void attack_oomfork(void)
{
	int st;

	shared[6] = 0;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(oom_forker());
	CHECK_EQ(waitpid(p, &st, 0), p);	/* deferred while it runs */
	CHECK(IS_KILL(st));
	CHECK_EQ(shared[6], 0);
	while (waitpid(-1, &st, WNOHANG) > 0)	/* a spawned orphan, if any */
		;
	CHECK_EQ(in_child(badreq_grants), 0);	/* grants still land */
	after_attack("oomfork");
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
	 * does not stop it; the kernel pool does, at about 130 processes,
	 * and until the kernel's quotas land a fault of any process may then
	 * fail (init's children too), so init is checked after the chain. */
	CHECK(shared[9] > 64);
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

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	stack_warm(32);
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(shared != MAP_FAILED);
	if (!strcmp(mode, "badreq"))
		attack_badreq();
	else if (!strcmp(mode, "dmapin"))
		attack_dmapin();
	else if (!strcmp(mode, "dmatail"))
		attack_dmatail();
	else if (!strcmp(mode, "metaflood"))
		attack_metaflood();
	else if (!strcmp(mode, "willneed"))
		attack_willneed();
	else if (!strcmp(mode, "oomreq"))
		attack_oomreq();
	else if (!strcmp(mode, "sparse"))
		attack_sparse();
	else if (!strcmp(mode, "oomfork"))
		attack_oomfork();
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
	else
		CHECK(!"unknown mode");
	char name[48];
	snprintf(name, sizeof(name), "pager_attack_%s", mode);
	return t_done(name);
}
