/*
 * SYS_IPC_REPLY_TO_RECV: answer a deferred caller (through its thread
 * handle or a reply handle) and receive, in one call. We are the server;
 * two client threads in a shadow task call us in a loop. Checked: the
 * deferred caller gets the answer and its next call is what we receive,
 * while the other caller stays deferred; a reply handle works the same
 * and is spent after; and every refused form (a bad or foreign-type
 * endpoint, an endpoint without RIGHT_RECV, a bad reply handle, a thread
 * handle without RIGHT_CONTROL, a thread that is in no call, a spent reply
 * handle, a message too long) fails at once with neither the answer nor
 * the receive done: a receive would hang this test, as nobody sends.
 */
#include "libsys.h"
#include "shadow.h"
#include "t.h"

#define STOP 0xdeadul

static char stack_a[8192] __attribute__((aligned(16)));
static char stack_b[8192] __attribute__((aligned(16)));
static char stack_c[8192] __attribute__((aligned(16)));

static volatile uint64_t cli_ep, cli_idle;	/* in the client task */
static volatile uint64_t answers[2], last[2];
static volatile int64_t rets[2];

/* Call the server with our id until told to stop. */
static void client(uint64_t id)
{
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(1, 0, 0), .w = { id } };
		int64_t r = ipc_call(cli_ep, &m);
		last[id] = m.w[0];
		rets[id] = r;
		answers[id]++;
		if (r < 0 || m.w[0] == STOP)
			return;
	}
}

/* In no call: waits on a notification forever. */
static void idler(uint64_t arg)
{
	(void)arg;
	for (;;)
		sys_wait(cli_idle);
}

static struct ipc_msg answer(uint64_t w0)
{
	return (struct ipc_msg){ .info = ipc_info(0, 0, 0), .w = { w0, 1, 2, 3, 4, 5 } };
}

/* A refused call: its error, nobody answered, nothing received. */
static void refused(uint64_t ep, uint64_t reply, struct ipc_msg m, int64_t err)
{
	uint64_t a0 = answers[0], a1 = answers[1];

	CHECK_EQ(ipc_reply_to_recv(ep, reply, &m), err);
	for (int i = 0; i < 4; i++)
		sys_yield();
	CHECK_EQ(answers[0], a0);
	CHECK_EQ(answers[1], a1);
}

int main(void)
{
	struct kernel_info k0, k1;
	struct ipc_msg m;
	int64_t th[2], idle_th, send_only, no_control, r, spent;
	uint64_t x, y;

	CHECK_EQ(sys_kernel_info(&k0), 0);
	int64_t ep = sys_endpoint_create(), idle = sys_notif_create();
	int64_t cli = shadow_task_create();
	CHECK(ep > 0 && idle > 0 && cli > 0);
	cli_ep = (uint64_t)sys_handle_grant((uint64_t)cli, (uint64_t)ep, 0, RIGHT_SEND);
	cli_idle = (uint64_t)sys_handle_grant((uint64_t)cli, (uint64_t)idle, 0, RIGHT_RECV);
	CHECK(cli_ep > 0 && cli_idle > 0);
	th[0] = shadow_thread((uint64_t)cli, client, 0, stack_a, sizeof(stack_a), 0, 0);
	th[1] = shadow_thread((uint64_t)cli, client, 1, stack_b, sizeof(stack_b), 0, 0);
	idle_th = shadow_thread((uint64_t)cli, idler, 0, stack_c, sizeof(stack_c), 0, 0);
	CHECK(th[0] > 0 && th[1] > 0 && idle_th > 0);

	/* Both clients call: x is deferred, y is the current caller. */
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	x = m.w[0];
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	y = m.w[0];
	CHECK(x < 2 && y < 2 && x != y);

	/* Refused, each with nothing done. */
	send_only = sys_handle_grant(0, (uint64_t)ep, 0, RIGHT_SEND);
	no_control = sys_handle_grant(0, (uint64_t)th[x], 0, RIGHT_GRANT);
	CHECK(send_only > 0 && no_control > 0);
	refused((uint64_t)ep, 0, answer(1), -ERR_BADF);
	refused((uint64_t)ep, 4000, answer(1), -ERR_BADF);
	refused((uint64_t)ep, ~0ul, answer(1), -ERR_BADF);
	refused(0, (uint64_t)th[x], answer(1), -ERR_BADF);
	refused(4000, (uint64_t)th[x], answer(1), -ERR_BADF);
	refused((uint64_t)idle, (uint64_t)th[x], answer(1), -ERR_BADF);	/* not an endpoint */
	refused((uint64_t)th[y], (uint64_t)th[x], answer(1), -ERR_BADF);
	refused((uint64_t)send_only, (uint64_t)th[x], answer(1), -ERR_PERM);
	refused((uint64_t)ep, (uint64_t)no_control, answer(1), -ERR_PERM);
	refused((uint64_t)ep, (uint64_t)ep, answer(1), -ERR_BADF);	/* an endpoint is no reply */
	refused((uint64_t)ep, (uint64_t)idle_th, answer(1), -ERR_INVAL);	/* in no call */
	m = answer(1);
	m.info = ipc_info(0, IPC_BUF_SIZE + 1, 0);
	refused((uint64_t)ep, (uint64_t)th[x], m, -ERR_INVAL);

	/* x answered through its thread; its next call is what we get. */
	m = answer(100 + x);
	CHECK_EQ(ipc_reply_to_recv((uint64_t)ep, (uint64_t)th[x], &m), 0);
	CHECK_EQ(m.w[0], x);
	CHECK_EQ(answers[x], 1);
	CHECK_EQ(last[x], 100 + x);
	CHECK_EQ(rets[x], 0);
	CHECK_EQ(answers[y], 0);	/* still deferred */

	/* x's second call, saved as a reply handle: answered the same way,
	 * which spends the handle. */
	r = sys_reply_save();
	CHECK(r > 0);
	spent = r;
	m = answer(200 + x);
	CHECK_EQ(ipc_reply_to_recv((uint64_t)ep, (uint64_t)r, &m), 0);
	CHECK_EQ(m.w[0], x);
	CHECK_EQ(answers[x], 2);
	CHECK_EQ(last[x], 200 + x);
	refused((uint64_t)ep, (uint64_t)spent, answer(1), -ERR_INVAL);
	/* The deferred y, answered while its own call is not the current one;
	 * then x (the current caller) through its thread. */
	m = answer(300 + y);
	CHECK_EQ(ipc_reply_to_recv((uint64_t)ep, (uint64_t)th[y], &m), 0);
	CHECK_EQ(m.w[0], y);
	CHECK_EQ(answers[y], 1);
	CHECK_EQ(last[y], 300 + y);
	CHECK_EQ(sys_handle_close((uint64_t)spent), 0);

	/* Both stop: x deferred, y current. */
	m = answer(STOP);
	CHECK_EQ(ipc_reply((uint64_t)th[x], &m), 0);
	m = answer(STOP);
	CHECK_EQ(ipc_reply((uint64_t)th[y], &m), 0);
	for (int i = 0; i < 8; i++)
		sys_yield();
	CHECK_EQ(last[x], STOP);
	CHECK_EQ(last[y], STOP);
	CHECK_EQ(answers[x], 3);
	CHECK_EQ(answers[y], 2);

	CHECK_EQ(sys_task_destroy((uint64_t)cli), 0);
	CHECK_EQ(sys_handle_close((uint64_t)cli), 0);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(sys_handle_close((uint64_t)th[i]), 0);
	CHECK_EQ(sys_handle_close((uint64_t)idle_th), 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	return t_done("reply_to_recv");
}
