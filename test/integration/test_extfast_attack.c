/*
 * Attacks on the external-pager fast path (docs/external-pagers.md
 * "Cost"; pager/bserver.c's window slots that keep an answered request's
 * frames until the next request maps over them), one part per mode
 * (`test_extfast_attack linger|dies`):
 *
 *   linger  a server looks at the window slots of fills it answered: it
 *           sees its own object's pages there, and after they left the
 *           object (invalidated) it still sees only what it wrote, never
 *           the pages another process fills memory with meanwhile (the
 *           frames are not reused while a slot maps them); a replayed
 *           answer is refused; after the pages are dropped (MO_INVAL_CLEAN)
 *           the slots map nothing: touching one is SIGSEGV, and its
 *           client gets SIGBUS
 *   dies    a server with answered slots dies holding a fill, twice: its
 *           client gets SIGBUS, and the pager's free frames are the same
 *           after each round (nothing held by a dead window)
 * Every part ends with after_attack (the pager's checker counts the
 * slots' references).
 */
#include "extattack.h"

#define DATA_PAGES	4
#define CTRL_PAGES	64
#define MARK(i)		(0x11ec0000u + (uint32_t)(i))
#define SECRET		0x5ec2e7u
#define CHURN_PAGES	4096

enum { CMD_NOOP, CMD_PROBE, CMD_INVAL, CMD_DROP, CMD_REPLAY, CMD_DIE };

struct box {
	volatile int64_t srv_pid, key, ckey;
	volatile uint64_t tok, ctok, last_tok;
	volatile uint64_t win[DATA_PAGES];
	volatile uint64_t cmd, arg, seq, churned;
	volatile int64_t res;
};

static struct box *b;

static void run_cmd(void)
{
	switch (b->cmd) {
	case CMD_PROBE:	/* an old window slot (may be SIGSEGV) */
		b->res = *(volatile uint32_t *)b->arg;
		break;
	case CMD_INVAL:
		b->res = mo_invalidate((uint32_t)b->key, 0, DATA_PAGES);
		break;
	case CMD_DROP:
		b->res = mo_drop_clean((uint32_t)b->key, 0, DATA_PAGES);
		break;
	case CMD_REPLAY:	/* the data fill's token, answered already */
		b->res = mo_done((uint32_t)b->last_tok, 0);
		break;
	case CMD_DIE:	/* dies holding this fill */
		_exit(3);
	default:
		b->res = 0;
	}
}

static void server(void)
{
	struct pager_backing_req q;
	uint64_t tok = 0, t2;

	ext_serve_object(0, DATA_PAGES, &b->key, &b->tok);
	if ((b->ckey = mo_create(CTRL_PAGES * PS, &t2)) <= 0)
		_exit(1);
	b->ctok = t2;
	b->srv_pid = getpid();
	for (;;) {
		if (mo_wait((uint32_t)tok, 0, &q) != 1)
			_exit(2);
		tok = ext_answer_of(&q);
		if (q.op != BACKING_FILL)
			continue;
		if (q.key != (uint64_t)b->ckey) {
			for (uint32_t k = 0; k < q.count && q.index + k < DATA_PAGES; k++) {
				*(volatile uint32_t *)(q.window + k * PS) = MARK(q.index + k);
				b->win[q.index + k] = q.window + k * PS;
			}
			b->last_tok = q.token;
			continue;
		}
		run_cmd();
	}
}

static volatile char *map_ctrl(void)
{
	int64_t r = mo_map(b->srv_pid, (uint32_t)b->ckey, b->ctok, NULL, CTRL_PAGES * PS,
			   PROT_READ, MAP_SHARED, 0);

	CHECK(r > 0);
	if (r <= 0)
		return NULL;
	CHECK_EQ(madvise((void *)r, CTRL_PAGES * PS, MADV_RANDOM), 0);	/* a fill a page */
	return (volatile char *)r;
}

/* Have the server run cmd: the fill of a fresh control page. */
static int64_t ctl(volatile char *c, uint64_t cmd, uint64_t arg)
{
	b->cmd = cmd;
	b->arg = arg;
	(void)c[b->seq++ * PS];
	return b->res;
}

static int linger(void)
{
	pid_t s = ext_server_start(server, &b->srv_pid), c, k;
	volatile uint32_t *d = ext_map_read(b->srv_pid, b->key, b->tok, DATA_PAGES);
	volatile char *cc = map_ctrl();
	int st;

	if (!d || !cc)
		return t_done("extfast_attack_linger");
	for (int i = 0; i < DATA_PAGES; i++)	/* one fill of the four */
		CHECK_EQ(d[i * PS / 4], MARK(i));
	CHECK_EQ(ctl(cc, CMD_REPLAY, 0), -ERR_INVAL);
	/* Its own object's page, still in the slot it was handed in. */
	CHECK_EQ(ctl(cc, CMD_PROBE, b->win[DATA_PAGES - 1]), MARK(DATA_PAGES - 1));
	/* Out of the object: the frames are the slots' alone. Another
	 * process takes thousands of pages meanwhile; the server must not
	 * see them through its old slots. */
	CHECK_EQ(ctl(cc, CMD_INVAL, 0), 0);
	c = churn(SECRET, CHURN_PAGES);
	for (int i = 1; i < DATA_PAGES; i++) {
		int64_t v = ctl(cc, CMD_PROBE, b->win[i]);
		CHECK(v != SECRET);
		CHECK_EQ(v, MARK(i));
	}
	shared[0] = 1;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_EXIT(st, 0));
	/* Filled again, then dropped as clean pages: the slots go with the
	 * pages, and the server touching one is SIGSEGV (its client's
	 * pending fill SIGBUS). */
	for (int i = 0; i < DATA_PAGES; i++)
		CHECK_EQ(d[i * PS / 4], MARK(i));
	CHECK_EQ(ctl(cc, CMD_DROP, 0), 0);
	fflush(stdout);
	if ((k = fork()) == 0) {
		ctl(cc, CMD_PROBE, b->win[DATA_PAGES - 1]);
		_exit(9);
	}
	CHECK_EQ(waitpid(s, &st, 0), s);
	CHECK(IS_SEGV(st));
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_BUS(st));
	CHECK_EQ(munmap((void *)d, DATA_PAGES * PS), 0);
	CHECK_EQ(munmap((void *)cc, CTRL_PAGES * PS), 0);
	after_attack("linger");
	return t_done("extfast_attack_linger");
}

/* A server with answered slots dies holding a fill. */
static void dies_round(void)
{
	pid_t s = ext_server_start(server, &b->srv_pid), k;
	volatile uint32_t *d = ext_map_read(b->srv_pid, b->key, b->tok, DATA_PAGES);
	volatile char *cc = map_ctrl();
	int st;

	if (!d || !cc)
		return;
	for (int i = 0; i < DATA_PAGES; i++)
		CHECK_EQ(d[i * PS / 4], MARK(i));
	CHECK_EQ(ctl(cc, CMD_NOOP, 0), 0);
	fflush(stdout);
	if ((k = fork()) == 0) {
		ctl(cc, CMD_DIE, 0);
		_exit(9);
	}
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_BUS(st));
	CHECK_EQ(waitpid(s, &st, 0), s);
	CHECK(IS_EXIT(st, 3));
	CHECK_EQ(d[0], MARK(0));	/* resident pages stay */
	CHECK_EQ(munmap((void *)d, DATA_PAGES * PS), 0);
	CHECK_EQ(munmap((void *)cc, CTRL_PAGES * PS), 0);
}

static int dies(void)
{
	int64_t f1, f2;

	dies_round();
	f1 = pager_free_frames();
	dies_round();
	f2 = pager_free_frames();
	CHECK(f1 > 0);
	CHECK_EQ(f2, f1);
	CHECK_EQ(pager_check(), 0);
	after_attack("dies");
	return t_done("extfast_attack_dies");
}

int main(int argc, char **argv)
{
	static const struct attack_part parts[] = { { "linger", linger }, { "dies", dies } };

	if (!(b = attack_pages(sizeof(*b))))
		return 1;
	return run_part(argc, argv, parts, 2);
}
