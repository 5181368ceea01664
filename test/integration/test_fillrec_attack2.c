/*
 * The fill-record attacks, continued (test_fillrec_attack.c says what each
 * part tries): signals to a waiter, the kernel's map run from a task that
 * is not the pager, fills across a page-map node, the server's own fault
 * on a page its fill reads, clients at different offsets.
 */
#include "fillrec.h"

/* ---- signals to a waiter ---- */

static void on_usr1(int sig)
{
	(void)sig;
	b->hits++;
}

/* A client that takes SIGUSR1 (on an alternate stack in the object's
 * pages 16..19 if alt) while it waits on a fill for page. */
static pid_t sig_client(int slot, uint64_t page, bool alt)
{
	pid_t c;

	b->ready[slot] = b->progress[slot] = 0;
	fflush(stdout);
	if ((c = fork()) == 0) {
		int64_t r = mo_map(b->srv_pid, (uint32_t)b->key, b->tok, NULL, OBJ_PAGES * PS,
				   PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		struct sigaction sa = { 0 };
		if (r <= 0)
			_exit(3);
		volatile uint32_t *d = (volatile uint32_t *)r;
		sa.sa_handler = on_usr1;
		sa.sa_flags = alt ? SA_ONSTACK : 0;
		if (alt) {
			stack_t ss = { .ss_sp = (void *)(d + 16 * PS / 4), .ss_size = 4 * PS };
			if (sigaltstack(&ss, NULL) < 0)
				_exit(4);
		}
		if (sigaction(SIGUSR1, &sa, NULL) < 0)
			_exit(5);
		b->ready[slot] = 1;
		b->got[slot][0] = d[page * PS / 4];
		b->progress[slot] = 1;
		_exit(0);
	}
	WAIT_UNTIL(b->ready[slot]);
	settle();
	CHECK_EQ(b->progress[slot], 0);
	return c;
}

int signals(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	b->hits = 0;
	pid_t a = sig_client(0, 0, false);	/* fill 0: 0..15 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].count, 16);
	pid_t c = sig_client(1, 5, true);	/* on fill 0, its signal stack not resident */
	pid_t w = waiting(2, READ_SHARED, 9);
	kill(a, SIGUSR1);
	kill(c, SIGUSR1);
	settle();
	killed(w);	/* a neighbour on the chain goes meanwhile */
	/* The alternate stack's fill (if the signal is taken now), then
	 * fill 0, then whatever comes, until both have read. */
	srv(C_FETCH, 0, 0);
	for (uint64_t i = 1; i < b->nreq; i++)
		CHECK_EQ(srv(C_ANSWER, i, 0), 0);
	uint64_t answered = b->nreq, gen0 = b->gen;
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);
	for (int round = 0; round < 4 && !(b->progress[0] && b->progress[1]); round++) {
		settle();
		srv(C_FETCH, 0, 0);
		for (; answered < b->nreq; answered++)
			CHECK_EQ(srv(C_ANSWER, answered, 0), 0);
	}
	exited(a);
	exited(c);
	printf("signals: %lu fills before fill 0 answered\n", (unsigned long)answered);
	CHECK_EQ(b->got[0][0], MARK(gen0, 0));
	CHECK_EQ(b->got[1][0], MARK(gen0, 5));
	CHECK_EQ(b->hits, 2);
	server_end(s);
	after_attack("signals");
	frames_back(free0, "signals");
	return t_done("fillrec_attack_signals");
}

/* ---- the kernel's map run from a task that is not the pager ---- */

#define RUN_VA	0x3ffe0000ul	/* 2 MiB aligned + ...: runs cross 0x40000000 */
#define RUN_N	40

static uint64_t mapped_in(int64_t task)
{
	struct task_info ti;

	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	return ti.mapped_pages;
}

int maprun(void)
{
	int64_t t = sys_task_create();
	volatile uint8_t *m = mmap((void *)RUN_VA, RUN_N * PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	const uint64_t dst = 0x10000000ul;

	CHECK(t > 0);
	CHECK(m == (volatile uint8_t *)RUN_VA);
	if (t <= 0 || m != (volatile uint8_t *)RUN_VA)
		return t_done("fillrec_attack_maprun");
	for (int i = 0; i < RUN_N; i++)
		m[i * PS] = (uint8_t)i;
	uint64_t base = mapped_in(t);
	/* Read-only past the 1 GiB line, the rest writable: a writable run
	 * over it fails whole. */
	CHECK_EQ(mprotect((void *)(m + 36 * PS), PS, PROT_READ), 0);
	(void)m[36 * PS];
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA, dst, MAP_R | MAP_W, 37), -ERR_ACCES);
	CHECK_EQ(mapped_in(t), base);
	/* A hole at the end, at the start, across the line. */
	CHECK_EQ(munmap((void *)(m + 39 * PS), PS), 0);
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA, dst, MAP_R, 40), -ERR_FAULT);
	CHECK_EQ(madvise((void *)(m + 32 * PS), PS, MADV_DONTNEED), 0);
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA + 20 * PS, dst, MAP_R, 16), -ERR_FAULT);
	CHECK_EQ(mapped_in(t), base);
	CHECK_EQ(madvise((void *)m, PS, MADV_DONTNEED), 0);
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA, dst, MAP_R, 2), -ERR_FAULT);
	CHECK_EQ(mapped_in(t), base);
	/* Executable from RAM is fine; all of it when it is all there. */
	m[0] = 0;
	m[32 * PS] = 32;
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA, dst, MAP_R, 39), 0);
	CHECK_EQ(mapped_in(t), base + 39);
	CHECK_EQ(sys_map_run((uint64_t)t, RUN_VA, dst, MAP_R | MAP_W, 36), 0);
	CHECK_EQ(mapped_in(t), base + 39);
	/* A device page between two RAM pages (ours by a device handle, not
	 * the pager's): never executable, so an executable run over it fails
	 * whole; a readable one maps all three. */
	const uint64_t dv = 0x50000000ul, dst2 = 0x20000000ul;
	struct device_info di;
	uint64_t dev = 0;
	for (unsigned i = 0; !dev && i < libsys_start_info.ndevices; i++)
		if (sys_device_info(libsys_start_info.devices[i].device, &di) == 0 &&
		    di.kind == DEV_VIRTIO_MMIO)
			dev = libsys_start_info.devices[i].device;
	CHECK(dev != 0);
	volatile uint8_t *lo = mmap((void *)dv, PS, RW | PROT_EXEC, ANON_PRIV | MAP_FIXED, -1, 0);
	volatile uint8_t *hi = mmap((void *)(dv + 2 * PS), PS, RW | PROT_EXEC, ANON_PRIV | MAP_FIXED,
				    -1, 0);
	CHECK(lo == (volatile uint8_t *)dv && hi == (volatile uint8_t *)(dv + 2 * PS));
	lo[0] = hi[0] = 1;
	if (dev && sys_device_info(dev, &di) == 0) {
		CHECK_EQ(sys_map_device(dev, 0, di.pa, dv + PS, MAP_R), 0);
		uint64_t before = mapped_in(t);
		CHECK_EQ(sys_map_run((uint64_t)t, dv, dst2, MAP_R | MAP_X, 3), -ERR_ACCES);
		CHECK_EQ(sys_map_run((uint64_t)t, dv + PS, dst2, MAP_R | MAP_X, 2), -ERR_ACCES);
		CHECK_EQ(sys_map_run((uint64_t)t, dv, dst2, MAP_R | MAP_W, 3), -ERR_ACCES);
		CHECK_EQ(mapped_in(t), before);
		CHECK_EQ(sys_map_run((uint64_t)t, dv, dst2, MAP_R | MAP_X, 1), 0);
		CHECK_EQ(sys_map_run((uint64_t)t, dv, dst2, MAP_R, 3), 0);
		CHECK_EQ(mapped_in(t), before + 3);
	}
	CHECK_EQ(munmap((void *)lo, PS), 0);
	CHECK_EQ(munmap((void *)hi, PS), 0);
	CHECK_EQ(sys_handle_close((uint64_t)t), 0);
	CHECK_EQ(munmap((void *)m, RUN_N * PS), 0);
	after_attack("maprun");
	return t_done("fillrec_attack_maprun");
}

/* ---- fills across a page-map node ---- */

int boundary(void)
{
	int64_t free0 = pager_free_frames();

	b->pages = 1024;	/* a tree past 512 pages: a node ends at 511 */
	pid_t s = server_start();
	pid_t a = waiting(0, READ_SHARED, 0);	/* fill 0: 0..15 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);	/* gen 0 */
	exited(a);
	CHECK_EQ(srv(C_SUPPLY, 515, 1), 0);
	pid_t c = waiting(1, READ_SHARED, 505);	/* fill 1: 505..514, short of 515 */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	CHECK_EQ(b->req[1].index, 505);
	CHECK_EQ(b->req[1].count, 10);
	pid_t d = waiting(2, READ_SHARED, 513);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);	/* gen 1: over the node's end */
	exited(c);
	exited(d);
	CHECK_EQ(b->got[1][0], MARK(1, 505));
	CHECK_EQ(b->got[2][0], MARK(1, 513));
	uint64_t seam[] = { 511, 512, 514, 515 };
	pid_t e = client(3, READ_SHARED, seam, 4);
	exited(e);
	CHECK_EQ(b->got[3][0], MARK(1, 511));
	CHECK_EQ(b->got[3][1], MARK(1, 512));
	CHECK_EQ(b->got[3][2], MARK(1, 514));
	CHECK_EQ(b->got[3][3], SUPPLIED(515));
	/* All of it dropped; a fill over the seam with its two middle
	 * pages (511, 512) made stale while it is out. */
	CHECK_EQ(srv(C_INVAL, 500, 20), 0);
	pid_t f = waiting(0, READ_SHARED, 504);	/* fill 2: 504..519 */
	CHECK_EQ(srv(C_FETCH, 3, 0), 1);
	CHECK_EQ(b->req[2].index, 504);
	CHECK_EQ(b->req[2].count, 16);
	pid_t g = waiting(1, READ_SHARED, 512);
	pid_t h = waiting(2, READ_SHARED, 519);
	CHECK_EQ(srv(C_INVAL, 511, 2), 0);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_ANSWER, 2, 0), 0);	/* gen 2 */
	exited(f);
	exited(h);
	CHECK_EQ(b->got[0][0], MARK(2, 504));
	CHECK_EQ(b->got[2][0], MARK(2, 519));
	CHECK_EQ(srv(C_FETCH, 4, 0), 1);	/* 512 again: 512 alone (513 cached) */
	CHECK_EQ(b->req[3].index, 512);
	CHECK_EQ(b->req[3].count, 1);
	CHECK_EQ(srv(C_ANSWER, 3, 0), 0);	/* gen 3 */
	exited(g);
	CHECK_EQ(b->got[1][0], MARK(3, 512));
	uint64_t rest[] = { 510, 511, 513 };
	e = client(3, READ_SHARED, rest, 3);
	WAIT_UNTIL(b->progress[3] >= 1);
	settle();
	if (b->progress[3] == 1) {	/* 511 refilled: a fill of its own */
		CHECK_EQ(srv(C_FETCH, 5, 0), 1);
		CHECK_EQ(b->req[4].index, 511);
		CHECK_EQ(b->req[4].count, 1);
		CHECK_EQ(srv(C_ANSWER, 4, 0), 0);	/* gen 4 */
	}
	exited(e);
	CHECK_EQ(b->got[3][0], MARK(2, 510));
	CHECK_EQ(b->got[3][1], MARK(4, 511));
	CHECK_EQ(b->got[3][2], MARK(2, 513));
	server_end(s);
	b->pages = 0;
	after_attack("boundary");
	frames_back(free0, "boundary");
	return t_done("fillrec_attack_boundary");
}

/* ---- the server's own fault on a page its fill reads ---- */

int selfwait(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 0);	/* fill 0: 0..15 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);
	exited(a);
	pid_t c = waiting(1, READ_SHARED, 16);	/* fill 1: 16..31, out */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	CHECK_EQ(srv(C_TOUCH, 3, 0), (int64_t)MARK(0, 3));	/* resident: served */
	/* Page 20 is being read by the server's own fill: it would wait for
	 * itself (and its clients with it) until its timeout. SIGBUS now. */
	b->cmd = C_TOUCH;
	b->a = 20;
	b->seq++;
	int st = -1;
	pid_t r = 0;
	for (long n = 0; n < 300000 && (r = waitpid(s, &st, WNOHANG)) == 0; n++)
		sys_yield();
	CHECK_EQ(r, s);
	if (r == s)
		CHECK(IS_BUS(st));
	else
		server_end(s);
	bused(c);
	after_attack("selfwait");
	frames_back(free0, "selfwait");
	return t_done("fillrec_attack_selfwait");
}

/* ---- clients mapping the object at different offsets ---- */

int offsets(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 10);	/* fill 0: 10..25 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].index, 10);
	CHECK_EQ(b->req[0].count, 16);
	map_off = 8;	/* pages 8..23 of the object: its page k is page 8 + k */
	map_len = 16;
	pid_t c = waiting(1, READ_SHARED, 4);	/* page 12: on fill 0 */
	pid_t d = waiting(2, READ_SHARED, 0);	/* page 8: fill 1, 8..9 */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	CHECK_EQ(b->req[1].index, 8);
	CHECK_EQ(b->req[1].count, 2);
	map_off = 20;	/* pages 20..27, its end inside fill 0 and past it */
	map_len = 8;
	pid_t e = waiting(3, READ_SHARED, 7);	/* page 27: fill 2, 27 (the VMA ends) */
	CHECK_EQ(srv(C_FETCH, 3, 0), 1);
	CHECK_EQ(b->req[2].index, 27);
	CHECK_EQ(b->req[2].count, 1);
	pid_t f = waiting(4, READ_SHARED, 1);	/* page 21: on fill 0 */
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);	/* gen 0 */
	exited(a);
	exited(c);
	exited(f);
	CHECK_EQ(b->got[0][0], MARK(0, 10));
	CHECK_EQ(b->got[1][0], MARK(0, 12));
	CHECK_EQ(b->got[4][0], MARK(0, 21));
	CHECK_EQ(srv(C_ANSWER, 2, 0), 0);	/* gen 1 */
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);	/* gen 2 */
	exited(d);
	exited(e);
	CHECK_EQ(b->got[2][0], MARK(2, 8));
	CHECK_EQ(b->got[3][0], MARK(1, 27));
	/* Each offset's view of the seams. */
	map_off = 8;
	map_len = 16;
	uint64_t p8[] = { 1, 2, 15 };	/* pages 9, 10, 23 */
	pid_t g = client(5, READ_SHARED, p8, 3);
	exited(g);
	CHECK_EQ(b->got[5][0], MARK(2, 9));
	CHECK_EQ(b->got[5][1], MARK(0, 10));
	CHECK_EQ(b->got[5][2], MARK(0, 23));
	map_off = 20;
	map_len = 8;
	uint64_t p20[] = { 5 };	/* page 25 */
	g = client(5, READ_SHARED, p20, 1);
	exited(g);
	CHECK_EQ(b->got[5][0], MARK(0, 25));
	g = waiting(5, READ_SHARED, 6);	/* page 26: fill 3, 26 alone */
	CHECK_EQ(srv(C_FETCH, 4, 0), 1);
	CHECK_EQ(b->req[3].index, 26);
	CHECK_EQ(b->req[3].count, 1);
	CHECK_EQ(srv(C_ANSWER, 3, 0), 0);	/* gen 3 */
	exited(g);
	CHECK_EQ(b->got[5][0], MARK(3, 26));
	map_off = map_len = 0;
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	server_end(s);
	after_attack("offsets");
	frames_back(free0, "offsets");
	return t_done("fillrec_attack_offsets");
}
