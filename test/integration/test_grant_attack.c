/*
 * Handle grants need a receive slot. An unprivileged child floods us with
 * messages each granting a handle: without a named receive slot nothing
 * lands in our table (each message says -ERR_NOSPC in w[5]), so our table
 * does not fill. With a slot named, one grant lands there; the next one
 * finds it taken (-ERR_EXIST) until we close it.
 */
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

#define FLOOD 400	/* far more than our table's 127 handles */
#define SLOT 120

/* The lowest free handle number: what the next handle we make gets. */
static int64_t next_free(void)
{
	int64_t h = sys_notif_create();

	if (h > 0)
		sys_handle_close((uint64_t)h);
	return h;
}

int main(void)
{
	int64_t ep = sys_endpoint_create();
	const char *argv[] = { "test_child", "grant-flood", "400", NULL };
	struct ipc_msg m = { 0 };
	int status, landed = 0, exist = 0, nospc = 0;

	CHECK(ep > 0);
	int64_t before = next_free();
	int64_t pid = spawn(argv, (uint64_t)ep);
	CHECK(pid > 0);
	for (int i = 0; i < FLOOD; i++) {
		if (i == FLOOD / 2)
			CHECK_EQ(sys_ipc_recv_slot(SLOT), 0);
		if (i == FLOOD / 2 + 10)
			CHECK_EQ(sys_handle_close(SLOT), 0);
		if (i == FLOOD / 2 + 20)
			CHECK_EQ(sys_ipc_recv_slot(0), 0);
		CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
		CHECK_EQ(m.w[0], i);
		CHECK(m.info & IPC_GRANT);
		int64_t r = (int64_t)m.w[5];
		landed += r == SLOT;
		exist += r == -ERR_EXIST;
		nospc += r == -ERR_NOSPC;
	}
	CHECK_EQ(landed, 2);		/* at i == FLOOD/2 and FLOOD/2 + 10 */
	CHECK_EQ(exist, 18);
	CHECK_EQ(nospc, FLOOD - 20);
	CHECK_EQ(next_free(), before);	/* nothing else landed */
	CHECK_EQ(sys_handle_close(SLOT), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);	/* its closing call */
	CHECK_EQ(ipc_label(m.info), 2);
	int64_t reply = sys_reply_save();
	CHECK(reply > 0);
	m = (struct ipc_msg){ .info = ipc_info(0, 0, 0) };
	CHECK_EQ(ipc_reply((uint64_t)reply, &m), 0);
	CHECK_EQ(sys_handle_close((uint64_t)reply), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return t_done("grant_attack");
}
