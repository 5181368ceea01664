/*
 * The receive loop of a small driver server (servers/blk, servers/console):
 * receive, refuse faults (a client may make a thread with our endpoint as
 * its pager: we page nothing, so it is stopped), let the server fill the
 * reply, answer and receive again in one call. A server that parks a call
 * (to answer it later through a saved reply) says SERVER_DEFERRED.
 */
#include <stdio.h>
#include <string.h>
#include "abi/fault.h"
#include "libsys.h"

int server_run(const char *name, uint64_t ep, const struct server_ops *ops)
{
	struct ipc_msg m = { 0 };
	int64_t r = ipc_recv(ep, &m);

	while (r == 0) {
		uint64_t w[IPC_WORDS] = { 0 }, len = 0;
		int64_t res;

		if (m.info & IPC_KERNEL) {
			m.info = ipc_info(FAULT_REPLY_KILL, 0, 0);
			r = ipc_reply_recv(ep, &m);
			continue;
		}
		res = ops->serve(&m, w, &len);
		if (res == SERVER_DEFERRED) {
			m = (struct ipc_msg){ 0 };
			r = ipc_recv(ep, &m);
			continue;
		}
		w[0] = (uint64_t)res;
		m.info = ipc_info(0, len, 0);
		memcpy(m.w, w, sizeof(w));
		r = ipc_reply_recv(ep, &m);
		if (ops->replied)
			ops->replied(res, len);
	}
	printf("%s: endpoint gone (%ld); stopping\n", name, (long)r);
	return 1;
}
