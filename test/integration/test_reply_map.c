/*
 * SYS_IPC_REPLY_TO_RECV's map item (t2, t3; abi/kernel.h): pages of the
 * replier's mapped into the task of the thread it answers, in the same
 * kernel entry (how the pager hands a request's frames to an external
 * pager's window, docs/external-pagers.md "Cost"). We are the server; a
 * client thread in a shadow task we made calls us in a loop and reads
 * what it is told to.
 *
 * Checked: a page and a run of two pages mapped with the answer (the
 * client reads them; a second map over the first replaces it); every bad
 * item refused with nothing done, neither the map nor the answer nor the
 * receive (rights none or unknown, W over a read-only source, a source
 * not mapped, a run past MAP_RUN_MAX, a destination at USER_TOP); and the
 * attack: a thread of another task we made, holding the client's thread
 * handle, answers the client's call with an item mapping its own page
 * into the client: -ERR_PERM (it did not make the client's task), nothing
 * mapped, nothing answered.
 */
#include "libsys.h"
#include "shadow.h"
#include "t.h"

#define DST	0x3000000000ul	/* in the client task: nothing else there */
#define STOP	0xdeadul

static char stack_a[8192] __attribute__((aligned(16)));
static char stack_b[8192] __attribute__((aligned(16)));
static uint8_t pages[3][4096] __attribute__((aligned(4096)));
static const uint8_t ro_page[4096] __attribute__((aligned(4096))) = { 0x77 };

static volatile uint64_t cli_ep, answers, seen, seen2;
static volatile uint64_t foe_ep, foe_th, foe_go, foe_done;
static volatile int64_t foe_r;

/* Call the server; after each answer read the word it names (w1: an
 * address, 0: none) and the next page's, then call again. */
static void client(uint64_t arg)
{
	(void)arg;
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(1, 0, 0) };
		ipc_call(cli_ep, &m);
		if (m.w[1]) {
			seen = *(volatile uint64_t *)m.w[1];
			if (m.w[2])
				seen2 = *(volatile uint64_t *)(m.w[1] + 4096);
		}
		answers++;
		if (m.w[0] == STOP)
			return;
	}
}

/* Another task's thread: answer the client's deferred call with a map of
 * its own page into the client's task. */
static void foe(uint64_t arg)
{
	(void)arg;
	while (!foe_go)
		sys_yield();
	struct ipc_msg m = { .info = ipc_info(0, 0, 0), .w = { 1, DST } };
	foe_r = ipc_reply_map_to_recv(foe_ep, foe_th, &m, (uint64_t)pages[2], DST | MAP_R);
	foe_done = 1;
	for (;;)
		sys_yield();
}

static struct ipc_msg answer(uint64_t w0, uint64_t at, uint64_t two)
{
	return (struct ipc_msg){ .info = ipc_info(0, 0, 0), .w = { w0, at, two } };
}

/* A refused answer: its error, and neither it nor the map happened. */
static void refused(uint64_t ep, uint64_t th, uint64_t src, uint64_t dst, int64_t err)
{
	struct ipc_msg m = answer(1, 0, 0);
	uint64_t a = answers;

	CHECK_EQ(ipc_reply_map_to_recv(ep, th, &m, src, dst), err);
	for (int i = 0; i < 4; i++)
		sys_yield();
	CHECK_EQ(answers, a);
}

int main(void)
{
	struct kernel_info k0, k1;
	struct ipc_msg m;
	int64_t th, fth, r;

	CHECK_EQ(sys_kernel_info(&k0), 0);
	for (int i = 0; i < 3; i++)
		*(volatile uint64_t *)pages[i] = 0x1000 + (uint64_t)i;
	int64_t ep = sys_endpoint_create(), ep2 = sys_endpoint_create();
	int64_t cli = shadow_task_create(), other = shadow_task_create();
	CHECK(ep > 0 && ep2 > 0 && cli > 0 && other > 0);
	cli_ep = (uint64_t)sys_handle_grant((uint64_t)cli, (uint64_t)ep, 0, RIGHT_SEND);
	th = shadow_thread((uint64_t)cli, client, 0, stack_a, sizeof(stack_a), 0, 0);
	CHECK(cli_ep > 0 && th > 0);

	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);	/* its first call */
	/* Refused, each with nothing done. */
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0], DST, -ERR_INVAL);	/* no rights */
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0], DST | 0x8, -ERR_INVAL);
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0], DST | MAP_W, -ERR_INVAL);
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)ro_page, DST | MAP_R | MAP_W, -ERR_ACCES);
	refused((uint64_t)ep, (uint64_t)th, 0x2000000000ul, DST | MAP_R, -ERR_FAULT);
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0] | 4095, DST | MAP_R, -ERR_INVAL);
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0], USER_TOP | MAP_R, -ERR_INVAL);
	refused((uint64_t)ep, (uint64_t)th, (uint64_t)pages[0] | 1, (USER_TOP - 4096) | MAP_R,
		-ERR_INVAL);	/* a run across USER_TOP */

	/* One page, then a run of two over it (the first is replaced). */
	m = answer(1, DST, 0);
	CHECK_EQ(ipc_reply_map_to_recv((uint64_t)ep, (uint64_t)th, &m, (uint64_t)pages[0],
				       DST | MAP_R), 0);
	CHECK_EQ(answers, 1);
	CHECK_EQ(seen, 0x1000);
	m = answer(1, DST, 1);
	CHECK_EQ(ipc_reply_map_to_recv((uint64_t)ep, (uint64_t)th, &m, (uint64_t)pages[1] | 1,
				       DST | MAP_R), 0);
	CHECK_EQ(answers, 2);
	CHECK_EQ(seen, 0x1001);
	CHECK_EQ(seen2, 0x1002);

	/* The attack: another task's thread holds the client's thread handle
	 * (with every right) and answers its call with a map into it. */
	foe_ep = (uint64_t)sys_handle_grant((uint64_t)other, (uint64_t)ep2, 0, RIGHT_RECV);
	foe_th = (uint64_t)sys_handle_grant((uint64_t)other, (uint64_t)th, 0, RIGHTS_ALL);
	fth = shadow_thread((uint64_t)other, foe, 0, stack_b, sizeof(stack_b), 0, 0);
	CHECK(foe_ep > 0 && foe_th > 0 && fth > 0);
	foe_go = 1;
	for (long n = 0; !foe_done && n < 1000000; n++)
		sys_yield();
	CHECK_EQ(foe_r, -ERR_PERM);
	CHECK_EQ(answers, 2);	/* not answered */
	CHECK_EQ(seen, 0x1001);

	/* Still ours to answer: a plain one now, then stop. */
	m = answer(STOP, 0, 0);
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	for (int i = 0; i < 8; i++)
		sys_yield();
	CHECK_EQ(answers, 3);

	r = sys_task_destroy((uint64_t)other);
	CHECK_EQ(r, 0);
	CHECK_EQ(sys_task_destroy((uint64_t)cli), 0);
	CHECK_EQ(sys_handle_close((uint64_t)cli), 0);
	CHECK_EQ(sys_handle_close((uint64_t)other), 0);
	CHECK_EQ(sys_handle_close((uint64_t)th), 0);
	CHECK_EQ(sys_handle_close((uint64_t)fth), 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	return t_done("reply_map");
}
