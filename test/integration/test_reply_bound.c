/*
 * Bounded fault replies (SYS_REPLY_BOUND, abi/fault.h), from the kernel's
 * side. We are a guest task's pager; D, a shadow task of ours, is not its
 * ancestor, so an unbounded reply right granted to D cannot map there.
 * Bounded to [DATA_VA, DATA_VA + 2 pages) and MAP_R, D may map its own
 * page there; a reply that maps outside the bound, with W, a page D does
 * not have, a run past the bound, or sets registers is malformed: the
 * guest stops and nothing is mapped. D can narrow a bound but not widen
 * it, and cannot bound an unbounded right; a spent right answers
 * -ERR_SRCH. D's page taken from D takes the guest's mapping with it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "libsys.h"
#include "shadow.h"
#include "t.h"

#define DATA_VA 0x40000000ul
#define PROBE_VA 0x60000000ul
#define MAGIC 0x5eed5eedul

void bound_guest(void);
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl bound_guest\n"
	"bound_guest:\n"
	"	li t0, 0x40000000\n"
	"	ld t1, 0(t0)\n"		/* read fault: forwarded to D */
	"	li t0, 0x60000000\n"
	"	sd t1, 0(t0)\n"		/* a fault of ours: t1 is looked at */
	"1:	j 1b\n"
	".balign 4096\n"
	".popsection\n");

static char stack_d[8192] __attribute__((aligned(16)));
static char d_pages[2 * 4096];
static volatile uint64_t d_cmd;

enum { OP_BOUND = 1, OP_REPLY = 2 };

/* D: run each command we call with (a bound or a reply through a handle
 * in D's table) and answer with its result. */
static void delegate_thread(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	ipc_recv(d_cmd, &m);
	for (;;) {
		uint64_t *w = m.w, op = w[0] & 0xff, n = w[0] >> 8;
		int64_t r = -ERR_NOSYS;
		if (op == OP_BOUND) {
			r = sys_reply_bound(w[1], w[2], w[3], w[4]);
		} else if (op == OP_REPLY) {
			struct ipc_msg f = { .info = ipc_info(w[2], 0, 0),
					     .w = { w[3], w[4], w[5], n } };
			r = ipc_reply(w[1], &f);
		}
		m = (struct ipc_msg){ .info = 0, .w = { (uint64_t)r } };
		ipc_reply_recv(d_cmd, &m);
	}
}

static int64_t cmd_ep, fault_ep, dtask;

/* The next fault on our endpoint, past death messages of stopped guests. */
static void next_fault(struct ipc_msg *m, bool reply_first)
{
	int64_t r = reply_first ? ipc_reply_recv((uint64_t)fault_ep, m) : ipc_recv((uint64_t)fault_ep, m);

	while (r == 0 && ipc_label(m->info) == THREAD_EXIT_LABEL)
		r = ipc_recv((uint64_t)fault_ep, m);
	CHECK_EQ(r, 0);
}

static int64_t d_do(uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	struct ipc_msg m = { .info = 0, .w = { op, a, b, c, d, e } };

	CHECK_EQ(ipc_call((uint64_t)cmd_ep, &m), 0);
	return (int64_t)m.w[0];
}

struct guest {
	int64_t task, thread;
	uint64_t reply;		/* ours */
	uint64_t d_reply;	/* the same right in D's table */
};

/* A guest run up to its read fault at DATA_VA, whose reply right we
 * saved (bounded if `bound`) and granted to D. */
static void guest_start(struct guest *g, bool bound)
{
	struct ipc_msg m;
	int64_t h;

	g->task = sys_task_create();
	g->thread = sys_thread_create((uint64_t)g->task, (uint64_t)bound_guest, 0, 0,
				      (uint64_t)fault_ep, 7);
	CHECK(g->task > 0 && g->thread > 0);
	next_fault(&m, false);
	CHECK_EQ(m.w[0], (uint64_t)bound_guest);	/* its code: ours to map */
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP, 0, 0),
			      .w = { (uint64_t)bound_guest, (uint64_t)bound_guest, MAP_R | MAP_X } };
	next_fault(&m, true);
	CHECK_EQ(m.w[0], DATA_VA);
	CHECK_EQ(m.w[1], FAULT_READ);
	h = sys_reply_save();
	CHECK(h > 0);
	g->reply = (uint64_t)h;
	if (bound)
		CHECK_EQ(sys_reply_bound(g->reply, DATA_VA, DATA_VA + 2 * PAGE_SIZE, MAP_R), 0);
	h = sys_handle_grant((uint64_t)dtask, g->reply, 0, RIGHT_SEND);
	CHECK(h > 0);
	g->d_reply = (uint64_t)h;
}

static uint64_t mapped(const struct guest *g)
{
	struct task_info ti;

	CHECK_EQ(sys_task_info((uint64_t)g->task, &ti), 0);
	return ti.mapped_pages;
}

/* The guest was stopped by a malformed reply: nothing more was mapped
 * than its code page, and the right is spent. */
static void guest_refused(struct guest *g, const char *what)
{
	struct task_info ti;

	for (int i = 0; i < 100; i++) {
		CHECK_EQ(sys_task_info((uint64_t)g->task, &ti), 0);
		if (ti.nthreads == 0)
			break;
		sys_yield();
	}
	if (ti.nthreads != 0 || ti.mapped_pages != 1)
		printf("refused reply (%s): threads %lu mapped %lu\n", what,
		       (unsigned long)ti.nthreads, (unsigned long)ti.mapped_pages);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(ti.mapped_pages, 1);
	CHECK_EQ(sys_reply_bound(g->reply, DATA_VA, DATA_VA + PAGE_SIZE, MAP_R), -ERR_SRCH);
}

static void guest_end(struct guest *g)
{
	CHECK_EQ(sys_handle_close(g->reply), 0);
	CHECK_EQ(sys_task_destroy((uint64_t)g->task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)g->thread), 0);
	CHECK_EQ(sys_handle_close((uint64_t)g->task), 0);
}

int main(void)
{
	uint64_t dpage = ((uint64_t)d_pages + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t notmine = (uint64_t)malloc(3 * PAGE_SIZE);
	struct user_regs regs;
	struct guest g;
	struct ipc_msg m;
	int64_t ep = sys_endpoint_create();

	notmine = (notmine + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);	/* our heap: not in D */
	*(volatile uint64_t *)notmine = 1;
	fault_ep = sys_endpoint_create();
	dtask = shadow_task_create();
	CHECK(ep > 0 && fault_ep > 0 && dtask > 0);
	*(volatile uint64_t *)dpage = MAGIC;
	cmd_ep = ep;
	d_cmd = (uint64_t)sys_handle_grant((uint64_t)dtask, (uint64_t)ep, 0, RIGHT_RECV);
	CHECK(shadow_thread((uint64_t)dtask, delegate_thread, 0, stack_d, sizeof(stack_d), 0, 0) > 0);

	/* Unbounded: D may neither bound it nor map with it. */
	guest_start(&g, false);
	CHECK_EQ(d_do(OP_BOUND, g.d_reply, DATA_VA, DATA_VA + PAGE_SIZE, MAP_R, 0), -ERR_PERM);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA, MAP_R), 0);
	guest_refused(&g, "unbounded");
	guest_end(&g);

	/* Bad arguments to the bound, and a bound that tries to widen. */
	guest_start(&g, true);
	CHECK_EQ(sys_reply_bound(g.reply, DATA_VA + 1, DATA_VA + PAGE_SIZE, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_reply_bound(g.reply, DATA_VA + PAGE_SIZE, DATA_VA, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_reply_bound(g.reply, DATA_VA, USER_TOP + PAGE_SIZE, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_reply_bound(g.reply, DATA_VA, DATA_VA + PAGE_SIZE, 0x10), -ERR_INVAL);
	CHECK_EQ(sys_reply_bound(ep, DATA_VA, DATA_VA + PAGE_SIZE, MAP_R), -ERR_BADF);
	CHECK_EQ(d_do(OP_BOUND, g.d_reply, 0, USER_TOP, MAP_R | MAP_W | MAP_X, 0), 0);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA + 2 * PAGE_SIZE,
		      MAP_R), 0);
	guest_refused(&g, "outside after widening");
	guest_end(&g);

	/* Too many rights. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA, MAP_R | MAP_W), 0);
	guest_refused(&g, "rights");
	guest_end(&g);

	/* A page D does not have. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, notmine, DATA_VA, MAP_R), 0);
	guest_refused(&g, "not its page");
	guest_end(&g);

	/* A run of three pages from the bound's start: one past its end. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_REPLY | 3 << 8, g.d_reply, FAULT_REPLY_MAP_RUN, dpage, DATA_VA, MAP_R), 0);
	guest_refused(&g, "run past the end");
	guest_end(&g);

	/* Registers: never through a bounded right. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_REPLY, g.d_reply, FAULT_REPLY_REGS, dpage, (uint64_t)stack_d, 0), 0);
	guest_refused(&g, "registers");
	guest_end(&g);

	/* Narrowed to nothing by D itself: even an in-range map is refused. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_BOUND, g.d_reply, DATA_VA, DATA_VA, MAP_R, 0), 0);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA, MAP_R), 0);
	guest_refused(&g, "narrowed to nothing");
	guest_end(&g);

	/* Within the bound: D's page is mapped and the guest goes on. */
	guest_start(&g, true);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA, MAP_R), 0);
	CHECK_EQ(d_do(OP_REPLY | 1 << 8, g.d_reply, FAULT_REPLY_MAP, dpage, DATA_VA, MAP_R),
		 -ERR_INVAL);	/* spent */
	next_fault(&m, false);
	CHECK_EQ(m.w[0], PROBE_VA);
	CHECK_EQ(sys_thread_regs_read((uint64_t)g.thread, &regs), 0);
	CHECK_EQ(regs.x[6], MAGIC);	/* t1: it read D's page */
	CHECK_EQ(mapped(&g), 2);
	CHECK_EQ(sys_reply_bound(g.reply, DATA_VA, DATA_VA + PAGE_SIZE, MAP_R), -ERR_SRCH);
	/* D's page taken from D: the guest's copy goes with it. */
	CHECK_EQ(sys_unmap((uint64_t)dtask, dpage, 1), 1);
	CHECK_EQ(mapped(&g), 1);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_KILL, 0, 0) };
	CHECK_EQ(ipc_reply((uint64_t)g.thread, &m), 0);
	guest_end(&g);

	CHECK_EQ(sys_task_destroy((uint64_t)dtask), 0);
	return t_done("reply_bound");
}
