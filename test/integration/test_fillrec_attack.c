/*
 * Attacks on the fill as its pages' busy record (pager/backing.c: a fill
 * in flight is on its object's `fills`, carries the faults waiting on any
 * of its pages and a mask of the pages dropped meanwhile). A server held
 * by the test (each step a command in the mailbox: fetch, answer one
 * fill, invalidate, resize, supply, close) and clients that fault on
 * pages of one fill:
 *
 *   waiters   four clients wait on different pages of one fill, two are
 *             killed while waiting: one fill only, the others are answered
 *   stale     a shrink then a grow, and an invalidate of one page, while
 *             a fill is out: supply into it is refused, its dropped pages
 *             are never mapped and are filled again; supply beside it works;
 *             the same for a fill queued, not yet handed out
 *   adjacent  fills next to one another: a new fill stops before a page
 *             another fill reads; answered out of order, each page right
 *   srvdies   the server dies with three fills out on one object (two
 *             fetched, one queued) and clients on each: every client gets
 *             SIGBUS, every frame comes back (twice: no drift)
 *   closed    the object closed and its clients killed while its two
 *             fills are out: answered one at a time, then freed
 *   private   MAP_PRIVATE clients on a fill: a write fault waits on it,
 *             its page goes stale, the write lands in a private copy of
 *             the page read again; a store through a shared mapping waits
 *             on it too
 *   signals   SIGUSR1 to clients waiting on a fill, one with its
 *             alternate signal stack in the object (its frame waits for a
 *             fill of its own), a neighbour on the chain killed: each
 *             handler runs once, each read gets the fill's page
 *   maprun    SYS_MAP_RUN from this task (not the pager) over runs with
 *             a read-only page, holes, a device page, across a 1 GiB
 *             line: all or nothing
 *   boundary  fills over the end of a page-map node (an object of 1024
 *             pages): short of a supplied page, two middle pages stale
 *   offsets   clients mapping the object from different pages wait on one
 *             fill; fills stop at the VMA's end, each sees its own window
 *   selfwait  the server touches, through its own mapping, a page its
 *             fill in flight reads: SIGBUS at once (it waited for itself,
 *             and its clients with it, until its timeout)
 *
 * Each ends with after_attack (the pager's checker passes) and checks
 * that the frames it used came back.
 */
#include <stdbool.h>
#include "extattack.h"

#define OBJ_PAGES	32
#define MARK(gen, i)	(0xf1770000u + ((uint32_t)(gen) << 12) + (uint32_t)(i))	/* gen < 16, i < 4096 */
#define SUPPLIED(i)	(0x5a990000u + (uint32_t)(i))
#define NSLOT		6
#define NREQ		16

enum { C_FETCH = 1, C_ANSWER, C_FAIL, C_INVAL, C_SIZE, C_SUPPLY, C_CLOSE, C_TOUCH };
enum { READ_SHARED, READ_PRIV, WRITE_PRIV, WRITE_SHARED };

struct box {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok;
	volatile uint64_t cmd, a, n, seq, done;
	volatile int64_t res;
	volatile uint64_t pages;			/* the object's (0: OBJ_PAGES) */
	volatile uint64_t nreq, gen, hits;		/* fills fetched, answered */
	volatile struct { uint64_t index, count, token, window; } req[NREQ];
	volatile uint64_t ready[NSLOT], progress[NSLOT];
	volatile uint32_t got[NSLOT][4];
};

static struct box *b;

/* The next clients map map_len pages (0: all) from page map_off. */
static uint64_t map_off, map_len;

static uint64_t obj_pages(void)
{
	return b->pages ? b->pages : OBJ_PAGES;
}

/* Fetch until the fills fetched reach want (or a while passes): how many
 * new ones. Other requests (notices) need no answer. */
static int64_t srv_fetch(uint64_t want)
{
	struct pager_backing_req q[PAGER_OBJ_FETCH_MAX];
	uint64_t before = b->nreq;
	long rounds = 0;

	do {
		int64_t r = mo_fetch(q);
		for (int64_t i = 0; i < r; i++)
			if (q[i].op == BACKING_FILL && b->nreq < NREQ) {
				b->req[b->nreq].index = q[i].index;
				b->req[b->nreq].count = q[i].count;
				b->req[b->nreq].token = q[i].token;
				b->req[b->nreq].window = q[i].window;
				b->nreq++;
			}
		if (b->nreq < want)
			sys_yield();
	} while (b->nreq < want && ++rounds < 200000);
	return (int64_t)(b->nreq - before);
}

static int64_t srv_supply(uint64_t first, uint64_t n)
{
	volatile uint32_t *buf = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);

	if (buf == MAP_FAILED)
		return -ERR_NOMEM;
	for (uint64_t k = 0; k < n; k++)
		buf[k * PS / 4] = SUPPLIED(first + k);
	return mo_supply((uint32_t)b->key, first, n, (const void *)buf);
}

static void server(void)
{
	struct mo_server s;
	uint64_t t;

	if (mo_serve(MO_TIMEOUT_MAX_MS, &s) < 0 || (b->key = mo_create(obj_pages() * PS, &t)) <= 0)
		_exit(1);
	b->tok = t;
	b->nreq = b->gen = 0;
	b->done = b->seq;
	b->srv_pid = getpid();
	for (;;) {
		while (b->done == b->seq)
			sys_yield();
		volatile typeof(b->req[0]) *r = &b->req[b->a < NREQ ? b->a : 0];
		switch (b->cmd) {
		case C_FETCH:
			b->res = srv_fetch(b->a);
			break;
		case C_ANSWER:
			for (uint64_t k = 0; k < r->count; k++)
				*(volatile uint32_t *)(r->window + k * PS) = MARK(b->gen, r->index + k);
			b->gen++;
			b->res = mo_done((uint32_t)r->token, 0);
			break;
		case C_FAIL:
			b->res = mo_done((uint32_t)r->token, -ERR_IO);
			break;
		case C_INVAL:
			b->res = mo_invalidate((uint32_t)b->key, b->a, b->n);
			break;
		case C_SIZE:
			b->res = mo_set_size((uint32_t)b->key, b->a * PS);
			break;
		case C_SUPPLY:
			b->res = srv_supply(b->a, b->n);
			break;
		case C_CLOSE:
			b->res = mo_close((uint32_t)b->key);
			break;
		case C_TOUCH: {	/* our own object, mapped: a word of page a */
			int64_t m = mo_map(getpid(), (uint32_t)b->key, b->tok, NULL, obj_pages() * PS,
					   PROT_READ, MAP_SHARED, 0);
			b->res = m > 0 ? (int64_t)((volatile uint32_t *)m)[b->a * PS / 4] : m;
			break;
		}
		}
		b->done = b->seq;
	}
}

/* Have the server run cmd: its result. */
static int64_t srv(uint64_t cmd, uint64_t a, uint64_t n)
{
	b->cmd = cmd;
	b->a = a;
	b->n = n;
	b->seq++;
	WAIT_UNTIL(b->done == b->seq);
	CHECK_EQ(b->done, b->seq);
	return b->res;
}

/* Let a client that is about to fault reach the pager and wait there. */
static void settle(void)
{
	for (int i = 0; i < 3000; i++)
		sys_yield();
}

/* A client in slot: maps the object as how says and reads (or, for
 * WRITE_PRIV, writes word 1 of, then reads) each of pages in turn. */
static pid_t client(int slot, int how, const uint64_t *pages, int n)
{
	pid_t c;

	b->ready[slot] = b->progress[slot] = 0;
	fflush(stdout);
	if ((c = fork()) == 0) {
		int prot = how == READ_SHARED ? PROT_READ : PROT_READ | PROT_WRITE;
		int64_t r = mo_map(b->srv_pid, (uint32_t)b->key, b->tok, NULL,
				   (map_len ? map_len : obj_pages()) * PS, prot,
				   how == READ_SHARED || how == WRITE_SHARED ? MAP_SHARED : MAP_PRIVATE, map_off * PS);
		if (r <= 0)
			_exit(3);
		volatile uint32_t *d = (volatile uint32_t *)r;
		b->ready[slot] = 1;
		for (int j = 0; j < n; j++) {
			if (how == WRITE_PRIV || how == WRITE_SHARED)
				d[pages[j] * PS / 4 + 1] = 0x77u;
			b->got[slot][j] = d[pages[j] * PS / 4];
			b->progress[slot] = (uint64_t)j + 1;
		}
		_exit(0);
	}
	WAIT_UNTIL(b->ready[slot]);
	CHECK_EQ(b->ready[slot], 1);
	return c;
}

/* A client that will be answered: started, settled in its wait. */
static pid_t waiting(int slot, int how, uint64_t page)
{
	uint64_t p[1] = { page };
	pid_t c = client(slot, how, p, 1);

	settle();
	CHECK_EQ(b->progress[slot], 0);	/* still waiting */
	return c;
}

static int status_of(pid_t c)
{
	int st = -1;

	CHECK_EQ(waitpid(c, &st, 0), c);
	return st;
}

static void killed(pid_t c)
{
	kill(c, SIGKILL);
	int st = status_of(c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void exited(pid_t c)
{
	int st = status_of(c);
	CHECK(IS_EXIT(st, 0));
}

static void bused(pid_t c)
{
	int st = status_of(c);
	CHECK(IS_BUS(st));
}

static pid_t server_start(void)
{
	b->seq = b->done = 0;
	return ext_server_start(server, &b->srv_pid);
}

static void server_end(pid_t s)
{
	kill(s, SIGKILL);
	status_of(s);
}

/* The free frames came back to (about) what they were: a fill's 16 lost
 * would show. */
static void frames_back(int64_t before, const char *what)
{
	int64_t after = pager_free_frames();

	printf("%s: free frames %ld before, %ld after\n", what, (long)before, (long)after);
	CHECK(after >= before - 4);
}

static int waiters(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 0);	/* fill 0: pages 0..15 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].index, 0);
	CHECK_EQ(b->req[0].count, 16);
	pid_t w1 = waiting(1, READ_SHARED, 5), w2 = waiting(2, READ_SHARED, 9);
	pid_t w3 = waiting(3, READ_SHARED, 12), w4 = waiting(4, READ_SHARED, 15);
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);	/* they wait on fill 0: no second */
	killed(w1);	/* the first waiter's neighbours on the chain go */
	killed(w3);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);
	exited(a);
	exited(w2);
	exited(w4);
	CHECK_EQ(b->got[0][0], MARK(0, 0));
	CHECK_EQ(b->got[2][0], MARK(0, 9));
	CHECK_EQ(b->got[4][0], MARK(0, 15));
	/* The pages the killed ones waited for are cached: no new fill. */
	uint64_t more[] = { 5, 12, 16 };
	pid_t c = client(5, READ_SHARED, more, 2);
	exited(c);
	CHECK_EQ(b->got[5][0], MARK(0, 5));
	CHECK_EQ(b->got[5][1], MARK(0, 12));
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	/* Every waiter killed: the fill answered to nobody. */
	pid_t k1 = waiting(1, READ_SHARED, 16), k2 = waiting(2, READ_SHARED, 20);
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	CHECK_EQ(b->req[1].index, 16);
	killed(k1);
	killed(k2);
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);
	c = client(5, READ_SHARED, more + 2, 1);
	exited(c);
	CHECK_EQ(b->got[5][0], MARK(1, 16));
	server_end(s);
	after_attack("waiters");
	frames_back(free0, "waiters");
	return t_done("fillrec_attack_waiters");
}

static int stale(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 5);	/* fill 0: 5..20 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].index, 5);
	CHECK_EQ(b->req[0].count, 16);
	pid_t w = waiting(1, READ_SHARED, 18);
	/* Cut to 2 pages and grown back: 5..20 stale, still out. */
	CHECK_EQ(srv(C_SIZE, 2, 0), 0);
	CHECK_EQ(srv(C_SIZE, OBJ_PAGES, 0), 0);
	CHECK_EQ(srv(C_SUPPLY, 8, 2), -ERR_EXIST);	/* inside the fill */
	CHECK_EQ(srv(C_SUPPLY, 4, 2), -ERR_EXIST);	/* across its first page */
	CHECK_EQ(srv(C_SUPPLY, 20, 2), -ERR_EXIST);	/* across its last */
	CHECK_EQ(srv(C_SUPPLY, 3, 1), 0);		/* just before it */
	CHECK_EQ(srv(C_SUPPLY, 21, 2), 0);		/* just after it */
	pid_t w2 = waiting(2, READ_SHARED, 10);	/* joins the stale fill */
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);
	/* Every page of fill 0 dropped: each waiter faults again, each
	 * fill reaching no further than the next page resident (21) or
	 * being read. Answered as they come. */
	for (int round = 0; round < 3 && !(b->progress[0] && b->progress[1] && b->progress[2]); round++) {
		uint64_t from = b->nreq;
		CHECK(srv(C_FETCH, from + 1, 0) >= 1);
		for (uint64_t i = from; i < b->nreq; i++) {
			CHECK(b->req[i].index >= 5 && b->req[i].index + b->req[i].count <= 21);
			CHECK_EQ(srv(C_ANSWER, i, 0), 0);
		}
		settle();
	}
	CHECK(b->progress[0] && b->progress[1] && b->progress[2]);
	exited(a);
	exited(w);
	exited(w2);
	CHECK(b->got[0][0] != MARK(0, 5) && (b->got[0][0] & 0xffff0fffu) == (MARK(0, 5) & 0xffff0fffu));
	CHECK(b->got[1][0] != MARK(0, 18) && (b->got[1][0] & 0xffff0fffu) == (MARK(0, 18) & 0xffff0fffu));
	CHECK(b->got[2][0] != MARK(0, 10) && (b->got[2][0] & 0xffff0fffu) == (MARK(0, 10) & 0xffff0fffu));
	uint64_t sup[] = { 3, 21, 22 };
	pid_t c = client(3, READ_SHARED, sup, 3);
	exited(c);
	CHECK_EQ(b->got[3][0], SUPPLIED(3));
	CHECK_EQ(b->got[3][1], SUPPLIED(21));
	CHECK_EQ(b->got[3][2], SUPPLIED(22));

	/* One page of a fill invalidated: its waiter alone fills it again. */
	uint64_t fills = b->nreq, gen = b->gen;
	pid_t x = waiting(0, READ_SHARED, 23);	/* 23..31 */
	CHECK_EQ(srv(C_FETCH, fills + 1, 0), 1);
	CHECK_EQ(b->req[fills].index, 23);
	CHECK_EQ(b->req[fills].count, 9);
	pid_t y = waiting(1, READ_SHARED, 27);
	CHECK_EQ(srv(C_INVAL, 27, 1), 0);
	CHECK_EQ(srv(C_ANSWER, fills, 0), 0);
	exited(x);
	CHECK_EQ(b->got[0][0], MARK(gen, 23));
	CHECK_EQ(srv(C_FETCH, fills + 2, 0), 1);	/* 27 alone: 28 is cached */
	CHECK_EQ(b->req[fills + 1].index, 27);
	CHECK_EQ(b->req[fills + 1].count, 1);
	CHECK_EQ(srv(C_ANSWER, fills + 1, 0), 0);
	exited(y);
	CHECK_EQ(b->got[1][0], MARK(gen + 1, 27));
	uint64_t around[] = { 26, 28 };
	c = client(3, READ_SHARED, around, 2);
	exited(c);
	CHECK_EQ(b->got[3][0], MARK(gen, 26));
	CHECK_EQ(b->got[3][1], MARK(gen, 28));
	/* A fill queued, not yet handed out: supply into it is refused, an
	 * invalidate marks it all the same. */
	fills = b->nreq;
	gen = b->gen;
	pid_t q = waiting(0, READ_SHARED, 0);	/* 0..2: 3 is resident */
	CHECK_EQ(srv(C_SUPPLY, 1, 1), -ERR_EXIST);
	CHECK_EQ(srv(C_SUPPLY, 2, 2), -ERR_EXIST);
	CHECK_EQ(srv(C_INVAL, 1, 1), 0);
	CHECK_EQ(srv(C_FETCH, fills + 1, 0), 1);
	CHECK_EQ(b->req[fills].index, 0);
	CHECK_EQ(b->req[fills].count, 3);
	CHECK_EQ(srv(C_ANSWER, fills, 0), 0);
	exited(q);
	CHECK_EQ(b->got[0][0], MARK(gen, 0));
	uint64_t queued[] = { 2, 1 };
	c = client(3, READ_SHARED, queued, 2);
	WAIT_UNTIL(b->progress[3] >= 1);
	settle();
	CHECK_EQ(srv(C_FETCH, fills + 2, 0), 1);	/* 1 alone */
	CHECK_EQ(b->req[fills + 1].index, 1);
	CHECK_EQ(b->req[fills + 1].count, 1);
	CHECK_EQ(srv(C_ANSWER, fills + 1, 0), 0);
	exited(c);
	CHECK_EQ(b->got[3][0], MARK(gen, 2));
	CHECK_EQ(b->got[3][1], MARK(gen + 1, 1));
	server_end(s);
	after_attack("stale");
	frames_back(free0, "stale");
	return t_done("fillrec_attack_stale");
}

static int adjacent(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 8);	/* fill 0: 8..23 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].index, 8);
	CHECK_EQ(b->req[0].count, 16);
	pid_t c1 = waiting(1, READ_SHARED, 0);	/* fill 1: 0..7, not into 8 */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	CHECK_EQ(b->req[1].index, 0);
	CHECK_EQ(b->req[1].count, 8);
	pid_t c2 = waiting(2, READ_SHARED, 24);	/* fill 2: 24..31 */
	CHECK_EQ(srv(C_FETCH, 3, 0), 1);
	CHECK_EQ(b->req[2].index, 24);
	CHECK_EQ(b->req[2].count, 8);
	pid_t c3 = waiting(3, READ_SHARED, 7);	/* on fill 1's last page */
	pid_t c4 = waiting(4, READ_SHARED, 23);	/* on fill 0's last page */
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	CHECK_EQ(srv(C_SUPPLY, 7, 1), -ERR_EXIST);
	CHECK_EQ(srv(C_SUPPLY, 23, 2), -ERR_EXIST);
	CHECK_EQ(srv(C_SUPPLY, 31, 1), -ERR_EXIST);
	CHECK_EQ(pager_check(), 0);
	/* Answered last first. */
	CHECK_EQ(srv(C_ANSWER, 2, 0), 0);	/* gen 0 */
	exited(c2);
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);	/* gen 1 */
	exited(c1);
	exited(c3);
	CHECK_EQ(b->progress[0], 0);
	CHECK_EQ(b->progress[4], 0);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);	/* gen 2 */
	exited(a);
	exited(c4);
	CHECK_EQ(b->got[0][0], MARK(2, 8));
	CHECK_EQ(b->got[1][0], MARK(1, 0));
	CHECK_EQ(b->got[2][0], MARK(0, 24));
	CHECK_EQ(b->got[3][0], MARK(1, 7));
	CHECK_EQ(b->got[4][0], MARK(2, 23));
	uint64_t seams[] = { 7, 8, 23, 24 };
	pid_t c = client(5, READ_SHARED, seams, 4);
	exited(c);
	CHECK_EQ(b->got[5][0], MARK(1, 7));
	CHECK_EQ(b->got[5][1], MARK(2, 8));
	CHECK_EQ(b->got[5][2], MARK(2, 23));
	CHECK_EQ(b->got[5][3], MARK(0, 24));
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	/* A fill between two resident runs and a fill out: 12..15 dropped,
	 * then 14 faulted (14..15, not past 16). */
	CHECK_EQ(srv(C_INVAL, 12, 4), 0);
	pid_t d = waiting(0, READ_SHARED, 14);
	CHECK_EQ(srv(C_FETCH, 4, 0), 1);
	CHECK_EQ(b->req[3].index, 14);
	CHECK_EQ(b->req[3].count, 2);
	pid_t e = waiting(1, READ_SHARED, 12);	/* 12..13: stops at 14 */
	CHECK_EQ(srv(C_FETCH, 5, 0), 1);
	CHECK_EQ(b->req[4].index, 12);
	CHECK_EQ(b->req[4].count, 2);
	CHECK_EQ(srv(C_ANSWER, 4, 0), 0);	/* gen 3 */
	CHECK_EQ(srv(C_ANSWER, 3, 0), 0);	/* gen 4 */
	exited(d);
	exited(e);
	CHECK_EQ(b->got[0][0], MARK(4, 14));
	CHECK_EQ(b->got[1][0], MARK(3, 12));
	server_end(s);
	after_attack("adjacent");
	frames_back(free0, "adjacent");
	return t_done("fillrec_attack_adjacent");
}

static void srvdies_round(void)
{
	pid_t s = server_start();
	pid_t a = waiting(0, READ_SHARED, 8);	/* fill 0: 8..23 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	pid_t c1 = waiting(1, READ_SHARED, 0);	/* fill 1: 0..7 */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	pid_t c2 = waiting(2, READ_SHARED, 5);	/* on fill 1 */
	pid_t c3 = waiting(3, READ_SHARED, 20);	/* on fill 0 */
	pid_t c4 = waiting(4, READ_SHARED, 26);	/* fill 2: 24..31, never fetched */
	CHECK_EQ(srv(C_INVAL, 6, 4), 0);	/* some of 0 and 1 stale */
	CHECK_EQ(pager_check(), 0);
	server_end(s);
	bused(a);
	bused(c1);
	bused(c2);
	bused(c3);
	bused(c4);
	CHECK_EQ(pager_check(), 0);
}

static int srvdies(void)
{
	int64_t free0 = pager_free_frames();

	srvdies_round();
	int64_t free1 = pager_free_frames();
	srvdies_round();
	after_attack("srvdies");
	frames_back(free0, "srvdies");
	frames_back(free1, "srvdies again");
	return t_done("fillrec_attack_srvdies");
}

static int closed(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_SHARED, 8);	/* fill 0: 8..23 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	pid_t c1 = waiting(1, READ_SHARED, 0);	/* fill 1: 0..7 */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);
	pid_t c2 = waiting(2, READ_SHARED, 3);
	CHECK_EQ(srv(C_CLOSE, 0, 0), 0);
	CHECK_EQ(pager_check(), 0);
	killed(c1);
	killed(a);
	CHECK_EQ(pager_check(), 0);
	killed(c2);	/* no mapper left: only the fills keep the object */
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);	/* the last: the object goes */
	CHECK_EQ(pager_check(), 0);
	CHECK_EQ(srv(C_SUPPLY, 0, 1), -ERR_NOENT);
	CHECK_EQ(srv(C_INVAL, 0, 1), -ERR_NOENT);

	/* A second object's fill failed with its waiters killed but one. */
	server_end(s);
	s = server_start();
	a = waiting(0, READ_SHARED, 2);
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	c1 = waiting(1, READ_SHARED, 4);
	c2 = waiting(2, READ_SHARED, 6);
	killed(c1);
	CHECK_EQ(srv(C_CLOSE, 0, 0), 0);
	CHECK_EQ(srv(C_FAIL, 0, 0), 0);
	bused(a);
	bused(c2);
	CHECK_EQ(pager_check(), 0);
	server_end(s);
	after_attack("closed");
	frames_back(free0, "closed");
	return t_done("fillrec_attack_closed");
}

static int private(void)
{
	int64_t free0 = pager_free_frames();
	pid_t s = server_start();

	pid_t a = waiting(0, READ_PRIV, 0);	/* fill 0: 0..15 */
	CHECK_EQ(srv(C_FETCH, 1, 0), 1);
	CHECK_EQ(b->req[0].count, 16);
	pid_t w = waiting(1, WRITE_PRIV, 3);
	pid_t r = waiting(2, READ_SHARED, 3);
	pid_t w2 = waiting(3, WRITE_PRIV, 9);
	pid_t ws = waiting(5, WRITE_SHARED, 12);	/* a store through a shared mapping */
	CHECK_EQ(srv(C_FETCH, 0, 0), 0);
	CHECK_EQ(srv(C_INVAL, 3, 1), 0);
	CHECK_EQ(srv(C_ANSWER, 0, 0), 0);
	exited(a);
	exited(w2);
	exited(ws);
	CHECK_EQ(b->got[0][0], MARK(0, 0));
	CHECK_EQ(b->got[5][0], MARK(0, 12));
	CHECK_EQ(b->got[3][0], MARK(0, 9));	/* its own copy of the fill's page */
	CHECK_EQ(srv(C_FETCH, 2, 0), 1);	/* page 3 again, alone */
	CHECK_EQ(b->req[1].index, 3);
	CHECK_EQ(b->req[1].count, 1);
	CHECK_EQ(srv(C_ANSWER, 1, 0), 0);
	exited(w);
	exited(r);
	CHECK_EQ(b->got[1][0], MARK(1, 3));
	CHECK_EQ(b->got[2][0], MARK(1, 3));
	/* The private writes stayed private. */
	uint64_t p[] = { 3, 9, 12 };
	pid_t c = client(4, READ_SHARED, p, 3);
	exited(c);
	CHECK_EQ(b->got[4][0], MARK(1, 3));
	CHECK_EQ(b->got[4][1], MARK(0, 9));
	CHECK_EQ(b->got[4][2], MARK(0, 12));
	server_end(s);
	after_attack("private");
	frames_back(free0, "private");
	return t_done("fillrec_attack_private");
}

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

static int signals(void)
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

static int maprun(void)
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

static int boundary(void)
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

static int selfwait(void)
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

static int offsets(void)
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

int main(int argc, char **argv)
{
	static const struct attack_part parts[] = {
		{ "waiters", waiters }, { "stale", stale }, { "adjacent", adjacent },
		{ "srvdies", srvdies }, { "closed", closed }, { "private", private },
		{ "signals", signals }, { "maprun", maprun }, { "boundary", boundary },
		{ "selfwait", selfwait }, { "offsets", offsets },
	};

	if (!(b = attack_pages(sizeof(*b))))
		return 1;
	return run_part(argc, argv, parts, 11);
}
