/*
 * Attacks on the pager's fast paths for external pagers (commits
 * 7ab3b79, c014992: window slots found a bitmap word at a time, the
 * server's PAGER_MO_WAIT answered without hand_out when nothing is
 * queued, the page cache's records from a pool). Each part runs from
 * unprivileged processes and ends with after_attack and the free frames
 * back.
 *   waitfail  a server that spent its kernel quota: the request queued
 *             while it was busy cannot be mapped into its window (failed,
 *             its client SIGBUS); its next PAGER_MO_WAIT must park, not
 *             hand it an uninitialised request from the pager's stack.
 *   window    write-backs of runs of 1..16 pages, as many as the window
 *             and the request quota hold, fetched and answered in a
 *             shuffled order round after round: every request's window
 *             pages show its own pages (no two share a slot), slots
 *             straddling bitmap words included, and all come back.
 *   dirty     12,000 pages of two objects (two servers) made dirty, then
 *             written back (12,000 page-cache records taken and given
 *             back), six rounds, each with servers that come and go: the
 *             checker passes and the free frames (the heap included) come
 *             back to the second round's.
 *   servers   every server slot taken (a ninth refused, PAGER_MO_SERVE
 *             twice refused, a server's exec refused: EPERM), 120
 *             servers killed with a client waiting, and a dead server's
 *             proc slot reused by a process that is no server.
 *   churn     100 rounds of four clients (shared and private mappings)
 *             reading an object whose server invalidates pages as it
 *             answers, most of them killed at random points (waiting on a
 *             fill, their answer pending, done): every page read is the
 *             server's, the checker passes, frames come back.
 */
#include <errno.h>
#include <unistd.h>
#include "extattack.h"
#include "libsys_file.h"

#define WIN_PAGES	1024
#define DIRTY_PAGES	6000
#define CHURN_PAGES	256
#define MAXREQ		MO_REQS_MAX
#define PROC_SLOTS	256	/* the pager's proc slots (pager/proc.h MAX_PROCS) */

enum { C_FETCH = 1, C_DONE, C_FLUSH, C_DIRTY };

struct pbox {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok;
	volatile uint64_t cmd, a, seq, done;
	volatile int64_t res;
	/* waitfail */
	volatile uint64_t exhausted, go, returned, spent;
	volatile int64_t waitres;
	volatile uint64_t wait_w[4];
	/* window: the requests out, and what each page must read */
	volatile uint64_t nreq, bad, fetched, maxout, maxpages;
	volatile struct { uint64_t index, count, token, window; } req[MAXREQ];
	volatile uint32_t val[WIN_PAGES];
	/* dirty */
	volatile uint64_t fills, wbs, wbpages, wbbad;
};

static struct pbox *b;

/* The free frames came back to (about) what they were. */
static void frames_back_ext(int64_t before, const char *what)
{
	int64_t after = pager_free_frames();

	printf("%s: free frames %ld before, %ld after\n", what, (long)before, (long)after);
	CHECK(after >= before - 4);
}

#define MARKP(i)	(0x7e570000u + (uint32_t)(i))

/* ---- waitfail ---- */

static void quota_server(void)
{
	struct mo_server s;
	struct pager_backing_req q;
	uint64_t t;
	int64_t n = 0;

	memset(&q, 0, sizeof(q));
	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 || (b->key = mo_create(16 * PS, &t)) <= 0)
		_exit(1);
	b->tok = t;
	b->srv_pid = getpid();
	/* Spend every page of our kernel quota: tasks (a page table root
	 * each), then endpoints. The window's page tables are not there yet. */
	while (n < 4096 && sys_task_create() > 0)
		n++;
	while (n < 8192 && sys_endpoint_create() > 0)
		n++;
	b->spent = (uint64_t)n;
	b->exhausted = 1;
	wait_flag(0);	/* the client's fault is queued */
	memset(&q, 0x5a, sizeof(q));
	b->waitres = mo_wait(0, 0, &q);
	b->wait_w[0] = q.op;
	b->wait_w[1] = q.key;
	b->wait_w[2] = q.token;
	b->wait_w[3] = q.window;
	b->returned = 1;
	for (;;)
		sys_yield();
}

static int waitfail(void)
{
	int64_t before = pager_free_frames();
	pid_t s, c;
	int st = -1;

	shared[0] = 0;
	s = ext_server_start(quota_server, &b->srv_pid);
	WAIT_UNTIL(b->exhausted);
	printf("waitfail: the server spent %lu kernel objects\n", (unsigned long)b->spent);
	fflush(stdout);
	if ((c = fork()) == 0) {
		volatile uint32_t *p = ext_map_read(b->srv_pid, b->key, b->tok, 16);
		_exit(p ? (int)(p[0] & 0x7f) : 3);
	}
	for (int i = 0; i < 2000; i++)
		sys_yield();	/* its fault reaches the pager: queued, the server busy */
	shared[0] = 1;
	CHECK_EQ(waitpid(c, &st, 0), c);
	printf("waitfail: client status %#x\n", st);
	CHECK(IS_BUS(st));	/* its fill could not be handed out */
	for (int i = 0; i < 20000 && !b->returned; i++)
		sys_yield();
	if (b->returned)
		printf("waitfail: mo_wait returned %ld: op %lu key %lu token %#lx window %#lx\n",
		       (long)b->waitres, (unsigned long)b->wait_w[0], (unsigned long)b->wait_w[1],
		       (unsigned long)b->wait_w[2], (unsigned long)b->wait_w[3]);
	CHECK(!b->returned);	/* nothing to hand out: it parks */
	kill(s, SIGKILL);
	CHECK_EQ(waitpid(s, &st, 0), s);
	after_attack("waitfail");
	frames_back_ext(before, "waitfail");
	return t_done("perf_attack_waitfail");
}

/* ---- window ---- */

/* The server side of a command (window): its result. */
static int64_t window_cmd(uint64_t cmd, uint64_t a)
{
	struct pager_backing_req q[PAGER_OBJ_FETCH_MAX];
	int64_t r = 0;

	switch (cmd) {
	case C_FLUSH:
		return mo_flush((uint32_t)b->key);
	case C_DIRTY: {
		uint64_t mask = 0, n = 0;
		for (uint64_t i = 0; i < WIN_PAGES; i += 64) {
			if ((r = mo_dirty((uint32_t)b->key, i, 64, &mask)) < 0)
				return r;
			n += (uint64_t)__builtin_popcountll(mask);
		}
		return (int64_t)n;
	}
	case C_DONE: {
		uint64_t k = a;
		r = mo_done((uint32_t)b->req[k].token, 0);
		b->req[k] = b->req[b->nreq - 1];
		b->nreq--;
		return r;
	}
	case C_FETCH:
		while ((r = mo_fetch(q)) > 0)
			for (int64_t i = 0; i < r; i++) {
				if (q[i].op != BACKING_WRITEBACK)
					continue;
				if (b->nreq == MAXREQ) {
					b->bad++;
					continue;
				}
				b->req[b->nreq].index = q[i].index;
				b->req[b->nreq].count = q[i].count;
				b->req[b->nreq].token = q[i].token;
				b->req[b->nreq].window = q[i].window;
				b->nreq++;
				b->fetched++;
			}
		if (b->nreq > b->maxout)
			b->maxout = b->nreq;
		uint64_t pages = 0;
		for (uint64_t k = 0; k < b->nreq; k++)
			pages += b->req[k].count;
		if (pages > b->maxpages)
			b->maxpages = pages;
		/* Every request out shows its own pages in its own slots. */
		for (uint64_t k = 0; k < b->nreq; k++) {
			uint64_t w = b->req[k].window, n = b->req[k].count;
			for (uint64_t j = 0; j < b->nreq; j++) {
				uint64_t w2 = b->req[j].window, n2 = b->req[j].count;
				if (j != k && w < w2 + n2 * PS && w2 < w + n * PS)
					b->bad++;	/* two requests share a slot */
			}
			for (uint64_t i = 0; i < n; i++) {
				volatile uint32_t *pg = (volatile uint32_t *)(w + i * PS);
				uint64_t idx = b->req[k].index + i;
				if (idx >= WIN_PAGES || pg[0] != MARKP(idx) || pg[1] != b->val[idx])
					b->bad++;
			}
		}
		return r;
	}
	return -ERR_INVAL;
}

static void window_server(void)
{
	struct mo_server s;
	uint64_t t;
	volatile uint32_t *buf;

	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 || (b->key = mo_create(WIN_PAGES * PS, &t)) <= 0)
		_exit(1);
	b->tok = t;
	/* Every page supplied: resident, so a store only dirties it. */
	for (uint64_t i = 0; i < WIN_PAGES; i += 16) {
		buf = mmap(NULL, 16 * PS, RW, ANON_PRIV, -1, 0);
		if (buf == MAP_FAILED)
			_exit(2);
		for (uint64_t k = 0; k < 16; k++)
			buf[k * PS / 4] = MARKP(i + k);
		if (mo_supply((uint32_t)b->key, i, 16, (const void *)buf) < 0)
			_exit(3);
		munmap((void *)buf, 16 * PS);
	}
	b->srv_pid = getpid();
	for (;;) {
		while (b->seq == b->done)
			sys_yield();
		b->res = window_cmd(b->cmd, b->a);
		b->done = b->seq;
	}
}

static int64_t wsrv(uint64_t cmd, uint64_t a)
{
	b->cmd = cmd;
	b->a = a;
	b->seq++;
	WAIT_UNTIL(b->done == b->seq);
	return b->res;
}

static uint64_t rng = 0x9e3779b97f4a7c15ul;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static int window(void)
{
	int64_t before = pager_free_frames();
	volatile uint32_t *p;
	pid_t s;
	int st = -1;
	uint64_t written = 0;

	s = ext_server_start(window_server, &b->srv_pid);
	p = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->tok, NULL, WIN_PAGES * PS,
					PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	CHECK((int64_t)p > 0);
	if ((int64_t)p <= 0)
		return t_done("perf_attack_window");
	for (int round = 0; round < 24 && !t_failures; round++) {
		/* Runs of 1..16 dirty pages (one write-back each), gaps of 1..3. */
		for (uint64_t i = rnd(4); i < WIN_PAGES;) {
			uint64_t n = 1 + (round < 4 ? 15 : rnd(16));
			for (uint64_t k = 0; k < n && i + k < WIN_PAGES; k++) {
				uint32_t v = (uint32_t)rng ^ (uint32_t)(i + k) ^ 0x1000000u;
				b->val[i + k] = v;
				p[(i + k) * PS / 4 + 1] = v;
				written++;
			}
			i += n + 1 + rnd(3);
		}
		CHECK(wsrv(C_FLUSH, 0) >= 0);
		for (int guard = 0; guard < 4000; guard++) {
			CHECK(wsrv(C_FETCH, 0) >= 0);
			if (!b->nreq) {
				if (!wsrv(C_DIRTY, 0))
					break;
				CHECK(wsrv(C_FLUSH, 0) >= 0);	/* past the request quota */
				continue;
			}
			/* Answer a shuffled share of those out: the slots freed are
			 * scattered over the window's words. */
			for (uint64_t n = 1 + rnd(b->nreq); n--;)
				CHECK_EQ(wsrv(C_DONE, rnd(b->nreq)), 0);
		}
		CHECK_EQ(b->nreq, 0);
		CHECK_EQ(wsrv(C_DIRTY, 0), 0);
		CHECK_EQ(b->bad, 0);
	}
	printf("window: %lu pages written, %lu write-backs fetched, at most %lu out at once "
	       "(%lu window pages), %lu bad\n", (unsigned long)written, (unsigned long)b->fetched,
	       (unsigned long)b->maxout, (unsigned long)b->maxpages, (unsigned long)b->bad);
	CHECK(b->maxpages > BACKING_REQ_PAGES - 16);	/* the window was full */
	CHECK_EQ(pager_check(), 0);
	munmap((void *)p, WIN_PAGES * PS);
	kill(s, SIGKILL);
	CHECK_EQ(waitpid(s, &st, 0), s);
	after_attack("window");
	frames_back_ext(before, "window");
	return t_done("perf_attack_window");
}

/* ---- dirty ---- */

/* Two servers, DIRTY_PAGES pages each (MO_PAGES_MAX caps one server). */
static int which;
static int churn_inval;	/* the churn part's server invalidates as it goes */
static struct {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok, fills, wbs, wbpages, wbbad;
} *ds;

static void auto_server(void)
{
	struct mo_server s;
	struct pager_backing_req q;
	uint64_t t;
	uint32_t tok = 0;
	uint64_t nreq = 0;

	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 ||
	    (ds[which].key = mo_create(DIRTY_PAGES * PS, &t)) <= 0)
		_exit(1);
	ds[which].tok = t;
	ds[which].srv_pid = getpid();
	for (;;) {
		/* churn: pages dropped under the clients, to be read again */
		if (churn_inval && ++nreq % 3 == 0)
			mo_invalidate((uint32_t)ds[which].key, (nreq * 37) % CHURN_PAGES, 16);
		if (mo_wait(tok, 0, &q) < 0)
			_exit(4);
		tok = (uint32_t)ext_answer_of(&q);
		if (q.op == BACKING_FILL) {
			for (uint64_t k = 0; k < q.count; k++)
				((volatile uint32_t *)(q.window + k * PS))[0] = MARKP(q.index + k);
			ds[which].fills++;
		} else if (q.op == BACKING_WRITEBACK) {
			for (uint64_t k = 0; k < q.count; k++) {
				volatile uint32_t *pg = (volatile uint32_t *)(q.window + k * PS);
				if (pg[0] != MARKP(q.index + k) || pg[1] != ~MARKP(q.index + k))
					ds[which].wbbad++;
			}
			ds[which].wbs++;
			ds[which].wbpages += q.count;
		}
	}
}

static int dirty(void)
{
	int64_t base = -1;

	ds = (void *)shared;
	for (int round = 0; round < 6 && !t_failures; round++) {
		volatile uint32_t *p[2];
		pid_t s[2];
		int st = -1;

		memset((void *)ds, 0, 2 * sizeof(*ds));
		for (which = 0; which < 2; which++) {
			s[which] = ext_server_start(auto_server, &ds[which].srv_pid);
			p[which] = (volatile uint32_t *)mo_map(ds[which].srv_pid, (uint32_t)ds[which].key,
							       ds[which].tok, NULL, DIRTY_PAGES * PS,
							       PROT_READ | PROT_WRITE, MAP_SHARED, 0);
			CHECK((int64_t)p[which] > 0);
		}
		if (t_failures)
			break;
		for (int j = 0; j < 2; j++)
			for (uint64_t i = 0; i < DIRTY_PAGES && !t_failures; i++) {
				CHECK_EQ(p[j][i * PS / 4], MARKP(i));
				p[j][i * PS / 4 + 1] = ~MARKP(i);
			}
		CHECK_EQ(pager_check(), 0);	/* 2 * DIRTY_PAGES records out */
		for (int j = 0; j < 2; j++) {
			int ms = 0;
			/* In parts within the server's request quota (MO_REQS_MAX). */
			for (uint64_t i = 0; i < DIRTY_PAGES && !ms; i += 1024) {
				uint64_t n = DIRTY_PAGES - i < 1024 ? DIRTY_PAGES - i : 1024;
				ms = msync((void *)&p[j][i * PS / 4], n * PS, MS_SYNC);
			}
			CHECK(ms == 0 || !printf("msync: errno %d\n", errno));
			printf("dirty round %d: %lu fills, %lu write-backs of %lu pages, %lu bad\n", round,
			       (unsigned long)ds[j].fills, (unsigned long)ds[j].wbs,
			       (unsigned long)ds[j].wbpages, (unsigned long)ds[j].wbbad);
			CHECK_EQ(ds[j].wbpages, DIRTY_PAGES);
			CHECK_EQ(ds[j].wbbad, 0);
		}
		CHECK_EQ(pager_check(), 0);	/* all given back */
		for (int j = 0; j < 2; j++) {
			munmap((void *)p[j], DIRTY_PAGES * PS);
			kill(s[j], SIGKILL);
			CHECK_EQ(waitpid(s[j], &st, 0), s[j]);
		}
		CHECK_EQ(pager_check(), 0);
		printf("dirty round %d: %ld free frames\n", round, (long)pager_free_frames());
		if (round == 1)
			base = pager_free_frames();	/* the heap grown */
		else if (round > 1)
			frames_back_ext(base, "dirty");
	}
	after_attack("dirty");
	return t_done("perf_attack_dirty");
}

/* ---- servers ---- */

/* A server that serves one object and never answers: its clients wait
 * until it goes. With exec_on set it tries to exec /bin/hello once
 * shared[1] is set (errno in shared[4]). */
static int exec_on;

static void idle_server(void)
{
	struct mo_server s;
	uint64_t t;
	int64_t key;

	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 || (key = mo_create(16 * PS, &t)) <= 0)
		_exit(1);
	ds[which].key = key;
	ds[which].tok = t;
	CHECK_EQ(mo_serve(MO_TIMEOUT_MAX_MS, &s), -ERR_EXIST);	/* twice: refused */
	ds[which].srv_pid = getpid();
	if (exec_on) {
		char *argv[] = { "hello", NULL };
		wait_flag(1);
		execv("/bin/hello", argv);
		shared[4] = (uint64_t)errno;	/* refused: a server keeps its program */
	}
	for (;;)
		sys_yield();
}

/* A client of server w's object: faults on page 0 and waits. */
static pid_t waiter_of(int w)
{
	pid_t c;

	fflush(stdout);
	if ((c = fork()) == 0) {
		volatile uint32_t *p = ext_map_read(ds[w].srv_pid, ds[w].key, ds[w].tok, 16);
		_exit(p ? (int)(p[0] & 0x7f) : 3);
	}
	for (int i = 0; i < 200; i++)
		sys_yield();
	return c;
}

/* In a child: an ordinary process's PAGER_MO_* calls are refused. */
static int not_a_server(void)
{
	uint64_t t;
	struct pager_backing_req q;

	return mo_create(16 * PS, &t) < 0 && mo_fetch(&q) < 0 && mo_done(1, 0) < 0 ? 0 : 1;
}

static int servers(void)
{
	int64_t before;
	pid_t s[MO_SERVERS_MAX], c[MO_SERVERS_MAX], x;
	int st = -1;

	ds = (void *)(shared + 8);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	/* Every slot taken (one by a server that will exec), a ninth refused. */
	shared[1] = 0;
	for (which = 0; which < MO_SERVERS_MAX; which++) {
		exec_on = which == 3;
		s[which] = ext_server_start(idle_server, &ds[which].srv_pid);
		c[which] = waiter_of(which);
	}
	exec_on = 0;
	fflush(stdout);
	if ((x = fork()) == 0) {
		struct mo_server ms;
		_exit(mo_serve(0, &ms) == -ERR_NOSPC ? 0 : 1);
	}
	CHECK_EQ(waitpid(x, &st, 0), x);
	CHECK(IS_EXIT(st, 0));
	/* A server cannot exec (its window, its objects' clients): refused,
	 * it serves on. */
	shared[4] = 0;
	shared[1] = 1;
	WAIT_UNTIL(shared[4]);
	CHECK_EQ(shared[4], EPERM);
	before = pager_free_frames();	/* the file server up */
	/* Servers come and go, killed with a client waiting. */
	for (int round = 0; round < 120 && !t_failures; round++) {
		int w = round % MO_SERVERS_MAX;
		pid_t old = s[w];
		kill(s[w], SIGKILL);
		CHECK_EQ(waitpid(s[w], &st, 0), s[w]);
		CHECK_EQ(waitpid(c[w], &st, 0), c[w]);
		CHECK(IS_BUS(st));
		if (round == 5) {
			/* The dead server's proc slot reused: the new process is
			 * no server (its record went with the old one). */
			int n = 0;
			for (; n < 2 * PROC_SLOTS; n++) {
				fflush(stdout);
				if ((x = fork()) == 0)
					_exit(getpid() % PROC_SLOTS == old % PROC_SLOTS ?
					      10 + not_a_server() : 0);
				CHECK_EQ(waitpid(x, &st, 0), x);
				if (WIFEXITED(st) && WEXITSTATUS(st) >= 10)
					break;
			}
			printf("servers: pid %d took the slot of server %d\n", (int)x, (int)old);
			CHECK(IS_EXIT(st, 10));
		}
		which = w;
		s[w] = ext_server_start(idle_server, &ds[w].srv_pid);
		c[w] = waiter_of(w);
	}
	for (int w = 0; w < MO_SERVERS_MAX; w++) {
		kill(s[w], SIGKILL);
		CHECK_EQ(waitpid(s[w], &st, 0), s[w]);
		CHECK_EQ(waitpid(c[w], &st, 0), c[w]);
		CHECK(IS_BUS(st));
	}
	after_attack("servers");
	frames_back_ext(before, "servers");
	return t_done("perf_attack_servers");
}

/* ---- churn ---- */

/* A client of the churn: maps the object shared or private and reads
 * (private: writes too) pages at random, 300 or until killed; 0 if
 * every page read right. */
static int churn_client(int how, uint64_t seed, bool forever)
{
	int flags = how ? MAP_PRIVATE : MAP_SHARED;
	volatile uint32_t *p = (volatile uint32_t *)mo_map(ds[0].srv_pid, (uint32_t)ds[0].key,
							   ds[0].tok, NULL, CHURN_PAGES * PS,
							   PROT_READ | PROT_WRITE, flags, 0);

	rng = seed | 1;
	if ((int64_t)p <= 0)
		return 2;
	for (int n = 0; forever || n < 300; n++) {
		uint64_t i = rnd(CHURN_PAGES);
		if (p[i * PS / 4] != MARKP(i))
			return 1;
		if (how && rnd(4) == 0)
			p[i * PS / 4 + 2] = (uint32_t)n;	/* a private copy */
		if (forever && n % 64 == 63)
			sys_yield();	/* the test gets its turn to kill it */
	}
	return 0;
}

static int churn_kills(void)
{
	int64_t before = pager_free_frames();
	int st = -1, killed = 0, ended = 0;
	pid_t s;

	ds = (void *)shared;
	memset((void *)ds, 0, sizeof(*ds));
	which = 0;
	churn_inval = 1;
	s = ext_server_start(auto_server, &ds[0].srv_pid);
	churn_inval = 0;
	for (int round = 0; round < 100 && !t_failures; round++) {
		pid_t c[4];
		bool doomed[4];
		for (int j = 0; j < 4; j++) {
			uint64_t seed = rnd(1ul << 40);
			doomed[j] = rnd(4) != 0;
			fflush(stdout);
			if ((c[j] = fork()) == 0)
				_exit(churn_client(j & 1, seed, doomed[j]));
		}
		for (uint64_t n = rnd(30); n--;)
			sys_yield();
		for (int j = 0; j < 4; j++)
			if (doomed[j])
				kill(c[j], SIGKILL);	/* mid-fault, mid-answer, or done */
		for (int j = 0; j < 4; j++) {
			CHECK_EQ(waitpid(c[j], &st, 0), c[j]);
			CHECK(IS_EXIT(st, 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
			      !printf("churn: client ended %#x\n", st));
			killed += WIFSIGNALED(st);
			ended += IS_EXIT(st, 0);
		}
	}
	printf("churn: %lu fills; %d clients killed, %d done\n", (unsigned long)ds[0].fills, killed,
	       ended);
	CHECK(killed > 150 && ended > 50);
	CHECK_EQ(pager_check(), 0);
	kill(s, SIGKILL);
	CHECK_EQ(waitpid(s, &st, 0), s);
	after_attack("churn");
	frames_back_ext(before, "churn");
	return t_done("perf_attack_churn");
}

int main(int argc, char **argv)
{
	static const struct attack_part parts[] = {
		{ "waitfail", waitfail }, { "window", window }, { "dirty", dirty },
		{ "servers", servers }, { "churn", churn_kills },
	};

	if (!(b = attack_pages(0)))
		return 1;
	b = mmap(NULL, (sizeof(*b) + PS - 1) & ~(PS - 1), RW, ANON_SHARED, -1, 0);
	if (b == MAP_FAILED)
		return 1;
	return run_part(argc, argv, parts, 5);
}
