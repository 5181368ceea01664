/*
 * Attacks on the answer a fault gets from the fill it waited for
 * (pager/backing.c fill_answer: the frame and the run around it taken from
 * the fill's own pages, not looked up again; docs/external-pagers.md
 * "Cost"). A server invalidates pages of the very fill it holds, before
 * answering it, so the pager drops them at the answer (stale):
 *
 *   stale  the whole fill stale: the waiting read must not be mapped the
 *          dropped frame (it would read the stale fill's mark from a
 *          freed frame); it faults again and reads the next fill's
 *   hole   two pages in the middle of a 12-page fill stale: the waiter's
 *          run and the rest of the fill are mapped around them, never
 *          over them; reading them fills them again
 *
 * Each ends with after_attack (the pager's checker: no frame referenced
 * by a mapping and free).
 */
#include "extattack.h"

#define DATA_PAGES	16
#define MARK(gen, i)	(0x11ec0000u + ((uint32_t)(gen) << 8) + (uint32_t)(i))

struct box {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok;
	volatile uint64_t gen;			/* fills answered */
	volatile uint64_t inval_lo, inval_n;	/* the next fill: invalidate these first */
	volatile int64_t inval_res;
};

static struct box *b;

static void server(void)
{
	struct pager_backing_req q;
	uint64_t tok = 0;

	ext_serve_object(0, DATA_PAGES, &b->key, &b->tok);
	b->srv_pid = getpid();
	for (;;) {
		if (mo_wait((uint32_t)tok, 0, &q) != 1)
			_exit(2);
		tok = ext_answer_of(&q);
		if (q.op != BACKING_FILL)
			continue;
		if (b->inval_n) {	/* pages of this very fill leave the object */
			b->inval_res = mo_invalidate((uint32_t)b->key, b->inval_lo, b->inval_n);
			b->inval_n = 0;
		}
		for (uint32_t k = 0; k < q.count; k++)
			*(volatile uint32_t *)(q.window + k * PS) = MARK(b->gen, q.index + k);
		b->gen++;
	}
}

static uint32_t word(volatile uint32_t *d, uint64_t page)
{
	return d[page * PS / 4];
}

static void server_end(pid_t s)
{
	int st;

	kill(s, SIGKILL);
	CHECK_EQ(waitpid(s, &st, 0), s);
}

static int stale(void)
{
	pid_t s = ext_server_start(server, &b->srv_pid);
	volatile uint32_t *d = ext_map_read(b->srv_pid, b->key, b->tok, DATA_PAGES);

	if (!d)
		return t_done("extfill_attack_stale");
	b->inval_lo = 0;
	b->inval_n = DATA_PAGES;
	/* Fill 0 (pages 5..15) goes stale before its answer: the read is
	 * answered by fill 1. */
	CHECK_EQ(word(d, 5), MARK(1, 5));
	CHECK_EQ(b->inval_res, 0);
	CHECK_EQ(b->gen, 2);
	for (uint64_t i = 6; i < DATA_PAGES; i++)	/* fill 1's run, mapped with it */
		CHECK_EQ(word(d, i), MARK(1, i));
	CHECK_EQ(b->gen, 2);
	CHECK_EQ(munmap((void *)d, DATA_PAGES * PS), 0);
	server_end(s);
	after_attack("stale");
	return t_done("extfill_attack_stale");
}

static int hole(void)
{
	pid_t s = ext_server_start(server, &b->srv_pid);
	volatile uint32_t *d = ext_map_read(b->srv_pid, b->key, b->tok, DATA_PAGES);

	if (!d)
		return t_done("extfill_attack_hole");
	b->inval_lo = 7;
	b->inval_n = 2;
	/* Fill 0: pages 4..15, 7 and 8 stale. */
	CHECK_EQ(word(d, 4), MARK(0, 4));
	CHECK_EQ(b->inval_res, 0);
	CHECK_EQ(b->gen, 1);
	for (uint64_t i = 5; i < DATA_PAGES; i++)
		if (i != 7 && i != 8)
			CHECK_EQ(word(d, i), MARK(0, i));
	CHECK_EQ(b->gen, 1);	/* all of them mapped by fill 0's answer */
	/* The stale two: never fill 0's frames; filled again (fill 1: 7..8,
	 * stopped by page 9, resident). */
	CHECK_EQ(word(d, 7), MARK(1, 7));
	CHECK_EQ(word(d, 8), MARK(1, 8));
	CHECK_EQ(b->gen, 2);
	CHECK_EQ(munmap((void *)d, DATA_PAGES * PS), 0);
	server_end(s);
	after_attack("hole");
	return t_done("extfill_attack_hole");
}

int main(int argc, char **argv)
{
	static const struct attack_part parts[] = { { "stale", stale }, { "hole", hole } };

	if (!(b = attack_pages(sizeof(*b))))
		return 1;
	return run_part(argc, argv, parts, 2);
}
