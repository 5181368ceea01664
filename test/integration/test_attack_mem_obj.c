/*
 * Attacks on external memory objects (PAGER_MO_*, pager/extobj.c,
 * bserver.c; docs/external-pagers.md) from unprivileged processes, one
 * part per mode (`test_attack_mem_obj supply|sizes|quota|answers`):
 *
 *   supply   MO_SUPPLY of pages that are not the server's to give: its
 *            window (a fill's frames), its IPC buffer, its program's
 *            text and data, a page shared with its fork (COW), a page of
 *            its own object (shared and private), a source range that
 *            wraps; supply racing an invalidate; a second server's
 *            same-numbered key names its own object only
 *   sizes    sizes, offsets and lengths near 2^64, zero, past the quota;
 *            keys past 32 bits; names after close
 *   quota    objects, pages and servers taken to their quotas and given
 *            back, twice: the counts return, and so do the frames
 *            (PAGER_MEMINFO) and the kernel's pool
 *   answers  a write-back and a fill answered twice, a late answer after
 *            the timeout, a server that dies holding a fill
 *
 * This file has the helpers, answers and main; supply, sizes and quota
 * are in attack_mem_obj_supply.c and attack_mem_obj_limits.c.
 */
#include "attack_mem_obj.h"
#include "extattack.h"

struct box *b;

int64_t raw(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { w0, w1, w2, w3 } };

	return pager_call(&m);
}

void wait_stage(int s)
{
	for (long n = 0; b->stage < s && n < 20000000; n++)
		sys_yield();
}

int64_t pager_free_pages(void)
{
	return pager_free_frames();
}

pid_t start(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();

	if (p == 0) {
		fn();
		_exit(0);
	}
	return p;
}

void reap(pid_t p, int *st)
{
	CHECK_EQ(waitpid(p, st, 0), p);
}

/* ---- answers ---- */

static void answers_server(void)
{
	struct mo_server s;
	struct pager_backing_req q;
	volatile int64_t *r = b->r;
	uint64_t tok;
	uint32_t key;

	if (mo_serve(300, &s) < 0 || (b->key = mo_create(NPAGES * PS, &tok)) <= 0)
		_exit(1);
	key = (uint32_t)b->key;
	b->token = tok;
	b->srv_pid = getpid();
	for (;;) {
		if (mo_wait(0, 0, &q) != 1)
			_exit(2);
		if (q.op == BACKING_FILL && q.index == 20 && !b->held) {
			/* Not answered in time: its client gets SIGBUS; the
			 * late answer names nothing. */
			b->held = q.token;
			wait_stage(2);
			r[3] = mo_done(q.token, 0);
			b->stage = 3;
			continue;
		}
		if (q.op == BACKING_FILL)
			for (uint32_t k = 0; k < q.count; k++)
				*(volatile uint32_t *)(q.window + k * PS) = 0xf0 + q.index + k;
		if (q.op == BACKING_WRITEBACK) {	/* answered twice, then as a failure */
			r[0] = mo_done(q.token, 0);
			r[1] = mo_done(q.token, 0);
			r[2] = mo_done(q.token, -ERR_IO);
			b->stage = 1;
			continue;
		}
		if (q.token)
			mo_done(q.token, 0);
		(void)key;
	}
}

static int answers(void)
{
	pid_t s = start(answers_server), c;
	int st;

	while (!b->srv_pid)
		sys_yield();
	volatile uint32_t *m = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token,
							   NULL, NPAGES * PS, RW, MAP_SHARED, 0);
	CHECK((int64_t)m > 0);
	if ((int64_t)m < 0)
		return t_done("attack_mem_obj_answers");
	CHECK_EQ(m[0], 0xf0);
	m[1] = 0x1234;	/* dirty */
	CHECK_EQ(msync((void *)m, PS, MS_SYNC), 0);
	wait_stage(1);
	CHECK_EQ(b->r[0], 0);
	CHECK_EQ(b->r[1], -ERR_INVAL);
	CHECK_EQ(b->r[2], -ERR_INVAL);
	c = fork();
	if (c == 0)
		_exit((int)m[20 * PS / 4]);
	uint64_t t0 = sys_time();
	reap(c, &st);
	CHECK(IS_BUS(st));
	CHECK(sys_time() - t0 >= 3000000);	/* the 300 ms timeout */
	b->stage = 2;
	wait_stage(3);
	CHECK_EQ(b->r[3], -ERR_INVAL);
	CHECK_EQ(m[20 * PS / 4], 0xf0 + 20);	/* a new fill, answered */
	CHECK_EQ(m[1], 0x1234);
	CHECK_EQ(munmap((void *)m, NPAGES * PS), 0);
	CHECK_EQ(pager_check(), 0);
	kill(s, SIGKILL);
	reap(s, &st);
	after_attack("answers");
	return t_done("attack_mem_obj_answers");
}

int main(int argc, char **argv)
{
	static const struct attack_part parts[] = {
		{ "supply", supply }, { "sizes", sizes }, { "answers", answers }, { "quota", quota },
	};

	if (!(b = attack_pages(sizeof(*b))))
		return 1;
	return run_part(argc, argv, parts, 4);
}
