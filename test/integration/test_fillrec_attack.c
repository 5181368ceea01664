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
#include "fillrec.h"

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
