/*
 * External memory objects (docs/external-pagers.md): a server forked by
 * init serves an object (extobj.h's serve); clients forked by init map it
 * with its name and token. Each mode (argv[1]):
 *   coherent    two clients map it MAP_SHARED at once: each sees the
 *               other's stores, one fill served both; a MAP_PRIVATE
 *               mapping's store stays its own.
 *   writeback   msync(MS_SYNC) sends write-back requests carrying exactly
 *               the dirty pages (runs {2}, {5, 6}) and a SYNC; the dirty
 *               query sees them before and none after; the data reached
 *               the server (read back after an invalidate); munmap of the
 *               last mapping writes back its stores.
 *   invalidate  an invalidated page faults to the server again (a fill
 *               more) and the store not written back is gone; an
 *               out-of-range invalidate is refused.
 *   protect     after a write-protect the first store (to a resident and
 *               to a missing page) sends one BACKING_WRITTEN, a second
 *               store and reads send none.
 *   supply      the server moves two of its own pages into the object
 *               (no fill, no copy: its pages read zero after); sources
 *               that are not its private pages, targets resident or out
 *               of range are refused and move nothing.
 *   release     the server's close and the last unmap free the object:
 *               BACKING_RELEASE, and its name maps no more.
 * Every mode ends with after_attack: the checker passes, init works.
 */
#include <unistd.h>
#include "extobj.h"

static struct box *b;
void extobj_bench(struct box *b);

static int child(void (*fn)(void))
{
	pid_t c;
	int st = -1;

	fflush(stdout);
	if ((c = fork()) == 0) {
		fn();
		_exit(t_failures ? 1 : 0);
	}
	CHECK(c > 0);
	CHECK_EQ(waitpid(c, &st, 0), c);
	return st;
}

static void client_a(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);

	CHECK_EQ(W(p, 3, 0), PATTERN(3));
	W(p, 3, 1) = 0x1111;
	b->flag[0] = 1;
	for (long n = 0; !b->flag[1] && n < 20000000; n++)
		sys_yield();
	CHECK_EQ(W(p, 4, 1), 0x2222);
	CHECK_EQ(W(p, 3, 1), 0x1111);	/* the other's private store is its own */
}

static void client_b(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED), *q = map_obj(b, MAP_PRIVATE);

	for (long n = 0; !b->flag[0] && n < 20000000; n++)
		sys_yield();
	CHECK_EQ(W(p, 3, 1), 0x1111);
	CHECK_EQ(W(q, 3, 1), 0x1111);
	W(q, 3, 1) = 0x3333;
	CHECK_EQ(W(q, 3, 1), 0x3333);
	W(p, 4, 1) = 0x2222;
	b->flag[1] = 1;
}

static void coherent(void)
{
	pid_t a, c;
	int st = -1;

	fflush(stdout);
	if ((a = fork()) == 0) {
		client_a();
		_exit(t_failures ? 1 : 0);
	}
	if ((c = fork()) == 0) {
		client_b();
		_exit(t_failures ? 1 : 0);
	}
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(IS_EXIT(st, 0));
	/* Init too, a third mapper. */
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	CHECK_EQ(W(p, 3, 1), 0x1111);
	CHECK_EQ(W(p, 4, 1), 0x2222);
	CHECK_EQ(b->fills, 1);	/* one fill (read-around) served everyone */
}

static void writeback(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	volatile char *ctrl = map_ctrl(b);

	W(p, 2, 5) = 0xdead;
	W(p, 5, 0) = 0xbeef;
	W(p, 6, 9) = 0xf00d;
	CHECK_EQ(ctl(b, ctrl, CMD_DIRTY, 0, 32), 0);
	CHECK_EQ(b->cmd_mask, (1u << 2) | (1u << 5) | (1u << 6));
	CHECK_EQ(msync((void *)p, OBJ_PAGES * PS, MS_SYNC), 0);
	CHECK_EQ(b->nwb, 2);
	CHECK_EQ(b->wb[0].index, 2);
	CHECK_EQ(b->wb[0].count, 1);
	CHECK_EQ(b->wb[1].index, 5);
	CHECK_EQ(b->wb[1].count, 2);
	CHECK_EQ(b->syncs, 1);
	CHECK_EQ(ctl(b, ctrl, CMD_DIRTY, 0, 32), 0);
	CHECK_EQ(b->cmd_mask, 0);
	CHECK_EQ(msync((void *)p, OBJ_PAGES * PS, MS_SYNC), 0);
	CHECK_EQ(b->nwb, 2);	/* nothing dirty: nothing written */
	/* The data went with the requests: dropped and read back. */
	CHECK_EQ(ctl(b, ctrl, CMD_INVAL, 0, OBJ_PAGES), 0);
	CHECK_EQ(W(p, 2, 5), 0xdead);
	CHECK_EQ(W(p, 5, 0), 0xbeef);
	CHECK_EQ(W(p, 6, 9), 0xf00d);
	CHECK_EQ(W(p, 6, 0), PATTERN(6));
	/* munmap of the last mapping: its stores go to the server. */
	W(p, 9, 0) = 0x99;
	CHECK_EQ(munmap((void *)p, OBJ_PAGES * PS), 0);
	for (long n = 0; b->nwb < 3 && n < 20000000; n++)
		sys_yield();
	CHECK_EQ(b->nwb, 3);
	CHECK_EQ(b->wb[2].index, 9);
	CHECK_EQ(b->wb[2].count, 1);
}

static void invalidate(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	volatile char *ctrl = map_ctrl(b);

	CHECK_EQ(W(p, 0, 0), PATTERN(0));
	CHECK_EQ(b->fills, 1);
	W(p, 0, 1) = 7;
	CHECK_EQ(W(p, 1, 0), PATTERN(1));	/* resident: no fill */
	CHECK_EQ(b->fills, 1);
	CHECK_EQ(ctl(b, ctrl, CMD_INVAL, 0, 1), 0);
	CHECK_EQ(b->fills, 1);
	CHECK_EQ(W(p, 0, 1), 0);	/* faulted to the server: its data */
	CHECK_EQ(b->fills, 2);
	CHECK_EQ(W(p, 0, 0), PATTERN(0));
	CHECK_EQ(W(p, 1, 0), PATTERN(1));	/* not invalidated: still there */
	CHECK_EQ(b->fills, 2);
	CHECK_EQ(ctl(b, ctrl, CMD_INVAL, OBJ_PAGES - 1, 2), -ERR_INVAL);
	CHECK_EQ(ctl(b, ctrl, CMD_INVAL, OBJ_PAGES, 1), -ERR_INVAL);
}

static void protect(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	volatile char *ctrl = map_ctrl(b);

	W(p, 1, 0) = 1;		/* resident, dirty, writable */
	CHECK_EQ(ctl(b, ctrl, CMD_PROTECT, 1, 1), 0);
	CHECK_EQ(ctl(b, ctrl, CMD_PROTECT, 20, 1), 0);	/* not resident */
	CHECK_EQ(ctl(b, ctrl, CMD_PROTECT, 2, 1), 0);
	CHECK_EQ(b->written, 0);
	CHECK_EQ(W(p, 2, 0), PATTERN(2));	/* a read: no notice */
	W(p, 1, 0) = 2;
	ctl(b, ctrl, CMD_NOOP, 0, 0);	/* notices come first: FIFO */
	CHECK_EQ(b->written, 1);
	CHECK_EQ(b->written_idx[0], 1);
	W(p, 1, 0) = 3;			/* watched once: no second notice */
	W(p, 20, 0) = 4;
	ctl(b, ctrl, CMD_NOOP, 0, 0);
	CHECK_EQ(b->written, 2);
	CHECK_EQ(b->written_idx[1], 20);
	W(p, 20, 0) = 5;
	ctl(b, ctrl, CMD_NOOP, 0, 0);
	CHECK_EQ(b->written, 2);
	CHECK_EQ(W(p, 1, 0), 3);
}

static void supply(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	volatile char *ctrl = map_ctrl(b);
	uint64_t fills;

	CHECK_EQ(W(p, 0, 0), PATTERN(0));
	CHECK_EQ(ctl(b, ctrl, CMD_SUPPLY_BAD, 20, 0), 8);
	CHECK_EQ(ctl(b, ctrl, CMD_SUPPLY, 24, 2), 0);
	CHECK_EQ(b->cmd_mask, 0);	/* the server's pages left it */
	fills = b->fills;
	CHECK_EQ(W(p, 24, 0), 0xabc0);
	CHECK_EQ(W(p, 25, 0), 0xabc1);
	CHECK_EQ(W(p, 25, 1000), 7);
	CHECK_EQ(b->fills, fills);	/* supplied: no fill asked */
	CHECK_EQ(ctl(b, ctrl, CMD_SUPPLY, 24, 2), -ERR_EXIST);
	CHECK_EQ(W(p, 23, 0), PATTERN(23));	/* its neighbour: a fill as ever */
}

static void release(void)
{
	volatile uint32_t *p = map_obj(b, MAP_SHARED);
	volatile char *ctrl = map_ctrl(b);

	CHECK_EQ(W(p, 0, 0), PATTERN(0));
	CHECK_EQ(munmap((void *)p, OBJ_PAGES * PS), 0);
	ctl(b, ctrl, CMD_NOOP, 0, 0);
	CHECK_EQ(b->releases, 0);	/* the server still holds it */
	p = map_obj(b, MAP_SHARED);
	CHECK_EQ(ctl(b, ctrl, CMD_CLOSE, 0, 0), 0);
	CHECK_EQ(W(p, 0, 0), PATTERN(0));	/* still mapped: still there */
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);	/* closed: mapped by those who have it, by nobody new */
	CHECK_EQ(b->releases, 0);
	CHECK_EQ(munmap((void *)p, OBJ_PAGES * PS), 0);
	ctl(b, ctrl, CMD_NOOP, 0, 0);
	CHECK_EQ(b->releases, 1);
	CHECK_EQ(mo_map(b->srv_pid, (uint32_t)b->key, b->token, NULL, PS, PROT_READ, MAP_SHARED, 0),
		 -ERR_NOENT);
	CHECK_EQ(ctl(b, ctrl, CMD_CLOSE, 0, 0), -ERR_NOENT);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	void (*fn)(void) = NULL;
	pid_t s;
	int st = -1;

	b = box_new();
	if (!strcmp(mode, "bench")) {
		extobj_bench(b);
		return t_done("extobj_bench");
	}
	s = server_start(b, SRV_GOOD);
	if (!strcmp(mode, "coherent"))
		coherent();
	else if (!strcmp(mode, "writeback"))
		fn = writeback;
	else if (!strcmp(mode, "invalidate"))
		fn = invalidate;
	else if (!strcmp(mode, "protect"))
		fn = protect;
	else if (!strcmp(mode, "release"))
		fn = release;
	else if (!strcmp(mode, "supply"))
		fn = supply;
	else
		CHECK(!"a known mode");
	if (fn) {
		st = child(fn);
		CHECK(IS_EXIT(st, 0));
	}
	CHECK_EQ(kill(s, SIGKILL), 0);
	CHECK_EQ(waitpid(s, &st, 0), s);
	after_attack(mode);
	char name[64];
	snprintf(name, sizeof(name), "extobj_%s", mode);
	return t_done(name);
}
