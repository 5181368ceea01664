/*
 * IPC across address spaces: a child serves an endpoint we created and
 * granted to it; we call it through two handles we minted with different
 * badges and check each reply names the right one; one-way sends arrive;
 * a full page of payload goes both ways through the IPC buffers; a
 * receive on a send-only handle is refused.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

int main(void)
{
	int64_t ep = sys_endpoint_create();
	int64_t b1 = sys_handle_grant(0, (uint64_t)ep, 0xb1, RIGHT_SEND);
	int64_t b2 = sys_handle_grant(0, (uint64_t)ep, 0xb2, RIGHT_SEND);
	const char *argv[] = { "test_child", "ipc-echo", NULL };
	struct ipc_msg m;
	int status;

	CHECK(ep > 0 && b1 > 0 && b2 > 0);
	/* A badged handle keeps its badge: it cannot be re-badged. */
	int64_t b3 = sys_handle_grant(0, (uint64_t)b1, 0xb3, RIGHT_SEND);
	CHECK_EQ(sys_handle_grant(0, (uint64_t)b1, 0, RIGHT_SEND), -ERR_PERM);	/* no GRANT right */
	CHECK_EQ(b3, -ERR_PERM);
	int64_t pid = spawn(argv, (uint64_t)ep);
	CHECK(pid > 0);
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t h = (i & 1) ? (uint64_t)b2 : (uint64_t)b1;
		m = (struct ipc_msg){ .info = ipc_info(1, 0, 0), .w = { i, 0, 2, 3, 4, 5 } };
		CHECK_EQ(ipc_call(h, &m), 0);
		CHECK_EQ(m.w[0], i + 1);
		CHECK_EQ(m.w[1], (i & 1) ? 0xb2 : 0xb1);
		CHECK_EQ(m.w[2], 0);
		CHECK(m.w[3] == 3 && m.w[4] == 4 && m.w[5] == 5);
	}
	/* Sends: no reply, but the server sees them in order. */
	for (uint64_t i = 1; i <= 10; i++) {
		m = (struct ipc_msg){ .info = ipc_info(2, 0, 0), .w = { i } };
		CHECK_EQ(ipc_send((uint64_t)b1, &m), 0);
	}
	m = (struct ipc_msg){ .info = ipc_info(1, 0, 0) };
	CHECK_EQ(ipc_call((uint64_t)b1, &m), 0);
	CHECK_EQ(m.w[2], 55);
	/* A page of payload each way. */
	uint8_t *buf = ipcbuf();
	for (int i = 0; i < IPC_BUF_SIZE; i++)
		buf[i] = (uint8_t)i;
	m = (struct ipc_msg){ .info = ipc_info(1, IPC_BUF_SIZE, 0) };
	CHECK_EQ(ipc_call((uint64_t)b1, &m), 0);
	CHECK_EQ(ipc_len(m.info), IPC_BUF_SIZE);
	int bad = 0;
	for (int i = 0; i < IPC_BUF_SIZE; i++)
		bad += buf[i] != (uint8_t)(i + 1);
	CHECK_EQ(bad, 0);
	/* More than a page is refused before anything is sent. */
	m = (struct ipc_msg){ .info = ipc_info(1, IPC_BUF_SIZE + 1, 0) };
	CHECK_EQ(ipc_call((uint64_t)b1, &m), -ERR_INVAL);
	/* Sends through a send-only handle cannot receive. */
	CHECK_EQ(ipc_recv((uint64_t)b1, &m), -ERR_PERM);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* The server is gone: nobody receives on ep; our handles still work
	 * for closing. */
	CHECK_EQ(sys_handle_close((uint64_t)b1), 0);
	CHECK_EQ(sys_handle_close((uint64_t)b2), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	return t_done("ipc");
}
