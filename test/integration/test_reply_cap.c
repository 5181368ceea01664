/*
 * One-shot reply capabilities. A two-thread server (in a shadow task)
 * answers our calls: thread A receives each call and keeps its reply right
 * as a reply handle; thread B answers through it later. Checked: the
 * deferred answer arrives; a second reply through the same handle fails;
 * a reply to a caller that died fails cleanly; closing an unused reply
 * handle fails the call (no hang); saving with no caller fails.
 */
#include "libsys.h"
#include "shadow.h"
#include "t.h"

enum { CMD_DEFER = 1, CMD_CLOSE, CMD_KEEP, CMD_NONE };

static char stack_a[8192] __attribute__((aligned(16)));
static char stack_b[8192] __attribute__((aligned(16)));
static char stack_c[8192] __attribute__((aligned(16)));

/* Handles in the server task, and what the server threads saw. */
static volatile uint64_t srv_ep, srv_go, srv_done, srv_saved;
static volatile uint64_t client_ep, client_done;	/* in the client task */
static volatile int64_t reply_h, save_again, r_first, r_second, close_r, none_r;
static volatile int64_t client_r;

static void server_a(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	for (;;) {
		if (ipc_recv(srv_ep, &m) < 0)
			continue;
		int64_t h = sys_reply_save();
		save_again = sys_reply_save();	/* nothing pending any more */
		switch (m.w[0]) {
		case CMD_DEFER:
			reply_h = h;
			sys_notify(srv_go);	/* B answers */
			break;
		case CMD_KEEP:
			reply_h = h;
			sys_notify(srv_saved);	/* the main thread decides */
			break;
		case CMD_CLOSE:
			close_r = sys_handle_close((uint64_t)h);
			break;
		}
	}
}

/* The server's other thread: answer through the kept reply handle, twice. */
static void server_b(uint64_t arg)
{
	(void)arg;
	for (;;) {
		sys_wait(srv_go);
		struct ipc_msg m = { .info = ipc_info(0, 0, 0), .w = { 4242, 1, 2, 3, 4, 5 } };
		r_first = ipc_reply((uint64_t)reply_h, &m);
		m = (struct ipc_msg){ .info = ipc_info(0, 0, 0), .w = { 666 } };
		r_second = ipc_reply((uint64_t)reply_h, &m);
		sys_handle_close((uint64_t)reply_h);
		sys_notify(srv_done);
	}
}

/* A client in a task of its own, to be destroyed while its call waits. */
static void client(uint64_t arg)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0), .w = { arg } };

	client_r = ipc_call(client_ep, &m);
	sys_notify(client_done);
}

static int64_t grant(uint64_t task, int64_t h)
{
	return sys_handle_grant(task, (uint64_t)h, 0, RIGHTS_ALL);
}

int main(void)
{
	struct kernel_info k0, k1;
	struct ipc_msg m;

	CHECK_EQ(sys_kernel_info(&k0), 0);
	int64_t ep = sys_endpoint_create(), go = sys_notif_create();
	int64_t done = sys_notif_create(), saved = sys_notif_create();
	int64_t srv = shadow_task_create(), cli = shadow_task_create();
	CHECK(ep > 0 && go > 0 && done > 0 && saved > 0 && srv > 0 && cli > 0);
	CHECK_EQ(sys_reply_save(), -ERR_SRCH);	/* we are nobody's server */
	srv_ep = (uint64_t)grant((uint64_t)srv, ep);
	srv_go = (uint64_t)grant((uint64_t)srv, go);
	srv_done = (uint64_t)grant((uint64_t)srv, done);
	srv_saved = (uint64_t)grant((uint64_t)srv, saved);
	client_ep = (uint64_t)grant((uint64_t)cli, ep);
	client_done = (uint64_t)grant((uint64_t)cli, done);
	CHECK(shadow_thread((uint64_t)srv, server_a, 0, stack_a, sizeof(stack_a), 0, 0) > 0);
	CHECK(shadow_thread((uint64_t)srv, server_b, 0, stack_b, sizeof(stack_b), 0, 0) > 0);

	/* 1. A deferred answer from the other thread; a second one fails. */
	for (int i = 0; i < 3; i++) {
		m = (struct ipc_msg){ .info = ipc_info(1, 0, 0), .w = { CMD_DEFER } };
		CHECK_EQ(ipc_call((uint64_t)ep, &m), 0);
		CHECK_EQ(m.w[0], 4242);
		CHECK(m.w[1] == 1 && m.w[5] == 5);
		CHECK_EQ(m.badge, 0);
		sys_wait((uint64_t)done);
		CHECK(reply_h > 0);
		CHECK_EQ(save_again, -ERR_SRCH);
		CHECK_EQ(r_first, 0);
		CHECK_EQ(r_second, -ERR_INVAL);	/* one shot */
	}

	/* 2. The caller dies while the server keeps its reply handle. */
	CHECK(shadow_thread((uint64_t)cli, client, CMD_KEEP, stack_c, sizeof(stack_c), 0, 0) > 0);
	sys_wait((uint64_t)saved);
	CHECK_EQ(sys_task_destroy((uint64_t)cli), 0);
	CHECK_EQ(sys_notify((uint64_t)go), 0);
	sys_wait((uint64_t)done);
	CHECK_EQ(r_first, -ERR_SRCH);
	CHECK_EQ(r_second, -ERR_SRCH);

	/* 3. An unused reply handle closed: the call fails, it does not hang. */
	m = (struct ipc_msg){ .info = ipc_info(1, 0, 0), .w = { CMD_CLOSE } };
	CHECK_EQ(ipc_call((uint64_t)ep, &m), -ERR_SRCH);
	CHECK_EQ(close_r, 0);

	/* 4. A reply handle is not a thread handle, and needs its right. */
	m = (struct ipc_msg){ .info = ipc_info(1, 0, 0), .w = { CMD_DEFER } };
	CHECK_EQ(ipc_call((uint64_t)ep, &m), 0);
	sys_wait((uint64_t)done);
	CHECK_EQ(sys_thread_suspend((uint64_t)reply_h), -ERR_BADF);

	/* Everything goes away with the tasks. */
	CHECK_EQ(sys_task_destroy((uint64_t)srv), 0);
	CHECK_EQ(sys_handle_close((uint64_t)srv), 0);
	CHECK_EQ(sys_handle_close((uint64_t)cli), 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	return t_done("reply_cap");
}
