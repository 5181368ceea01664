/*
 * Attacks on the pager from unprivileged processes (children of the test,
 * which runs as init), part 2: frames and the pager's heap running out,
 * and who pays. Each mode (argv[1]) is one attack, followed by
 * after_attack (attack.h). Malformed requests and process ends:
 * test_pager_attack.c.
 *
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
 *   oomfork    the process holding every frame (MADV_WILLNEED) spawns,
 *              granting a handle: the spawn fails, the out-of-memory
 *              choice falls on the caller itself, which gets no reply and
 *              ends; its parent's wait is answered, and the pager closed
 *              the granted handle (later grants still land).
 *   sparse     a child touching one page per 2 MiB (a page-map leaf frame
 *              for each data page) and one holding more data pages but
 *              fewer frames in all: when frames run out, the sparse one
 *              is the biggest and must be the one ended.
 */
#include "attack.h"

static int frame_taker(void);

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
	image_warm();
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
	/* The hog holds the frames, or its own request for them already
	 * made it the out-of-memory choice and its parent a has ended. */
	wait_flag_or_end(2, a, &st);
	int64_t r = spawn_and_fork();
	shared[0] = 1;
	printf("oomreq: with every frame taken, spawn and fork: %ld\n", (long)r);
	CHECK_EQ(r, 0);
	if (st == -1)
		CHECK_EQ(waitpid(a, &st, 0), a);
	after_attack("oomreq");
}

/* ---- sparse ---- */

/* Touch one page in every 2 MiB of a huge mapping: each costs a data
 * frame and a page-map leaf (a frame too). The kernel's page tables cost
 * the same per touch, and its pool is small, so the pages are touched
 * 300 at a time by a chain of processes, each forking the next and
 * exiting (its page tables go; the child's objects keep every frame and
 * leaf, unmapped). The last one holds them all. (A link's page tables
 * may still be there while its child touches the next 300: both fit in
 * the kernel's pool.) */
static int sparse_hog(uint64_t touches)
{
	stack_warm(8);
	volatile char *m = mmap(NULL, touches << 21, RW, ANON_PRIV, -1, 0);
	uint64_t i = 0;

	if (m == MAP_FAILED)
		return 3;
	for (;;) {
		for (uint64_t k = 0; k < 300 && i < touches; k++, i++)
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
	for (long n = 0; !shared[11] && n < 5000000; n++) {
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
	image_warm();
	shared[6] = 0;
	sys_yield();
	uint64_t n = free_pages() + 1000;
	char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	int64_t note = sys_notif_create();
	memcpy(ipcbuf(), "test_child\0exit\0" "7\0", 18);
	/* Every frame we can get (MADVISE is not retried: we keep them). */
	call(PAGER_MADVISE, 0, (uint64_t)(uintptr_t)m, n * PS, PADV_WILLNEED, 0, 0);
	/* A spawn granting a handle: it fails for want of frames, and the
	 * retry ends us (the biggest) without a reply; the pager must still
	 * close what it received. */
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
	CHECK_EQ(in_child(grants_still_land), 0);	/* grants still land */
	after_attack("oomfork");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	stack_warm(32);
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(shared != MAP_FAILED);
	if (!strcmp(mode, "dmapin"))
		attack_dmapin();
	else if (!strcmp(mode, "dmatail"))
		attack_dmatail();
	else if (!strcmp(mode, "metaflood"))
		attack_metaflood();
	else if (!strcmp(mode, "willneed"))
		attack_willneed();
	else if (!strcmp(mode, "oomreq"))
		attack_oomreq();
	else if (!strcmp(mode, "oomfork"))
		attack_oomfork();
	else if (!strcmp(mode, "sparse"))
		attack_sparse();
	else
		CHECK(!"unknown mode");
	char name[48];
	snprintf(name, sizeof(name), "pager_attack_%s", mode);
	return t_done(name);
}
