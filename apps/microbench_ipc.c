/*
 * microbench's kernel figures: a null syscall, an IPC round trip to
 * another process, a round trip answered through a saved reply handle,
 * and munmap revoking a derived mapping.
 */
#include "microbench.h"
#include "shadow.h"

/* ---- the kernel ---- */

int bench_null_syscall(void)
{
	for (int i = 0; i < 2000; i++)
		MEASURE(sys_debug_write(NULL, 0));
	return 0;
}

int bench_ipc_roundtrip(void)
{
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };

	if (!peer_ep)
		return -1;
	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call(peer_ep, &m);
	for (int i = 0; i < 2000; i++)
		MEASURE(ipc_call(peer_ep, &m));
	return 0;
}

/* reply_cap_roundtrip's server: two threads in a shadow task; one receives
 * and keeps the reply right as a reply handle, the other answers through it
 * (and closes it). */
static char rc_stacks[2][4096] __attribute__((aligned(16)));
static volatile uint64_t rc_ep, rc_go;
static volatile int64_t rc_reply;

static void rc_receiver(uint64_t arg)
{
	struct ipc_msg m = { 0 };

	(void)arg;
	while (ipc_recv(rc_ep, &m) == 0) {
		rc_reply = sys_reply_save();
		sys_notify(rc_go);
	}
}

static void rc_replier(uint64_t arg)
{
	struct ipc_msg m = { .info = ipc_info(0, 0, 0) };

	(void)arg;
	while (sys_wait(rc_go) >= 0) {
		ipc_reply((uint64_t)rc_reply, &m);
		sys_handle_close((uint64_t)rc_reply);
	}
}

int bench_reply_cap_roundtrip(void)
{
	int64_t task = shadow_task_create(), ep = sys_endpoint_create(), go = sys_notif_create();
	struct ipc_msg m = { .info = ipc_info(1, 0, 0) };

	if (task < 0 || ep < 0 || go < 0)
		return -1;
	rc_ep = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)ep, 0, RIGHTS_ALL);
	rc_go = (uint64_t)sys_handle_grant((uint64_t)task, (uint64_t)go, 0, RIGHTS_ALL);
	if (shadow_thread((uint64_t)task, rc_receiver, 0, rc_stacks[0], sizeof(rc_stacks[0]), 0, 0) < 0 ||
	    shadow_thread((uint64_t)task, rc_replier, 0, rc_stacks[1], sizeof(rc_stacks[1]), 0, 0) < 0)
		return -1;
	for (int i = 0; i < 10; i++)	/* warm */
		ipc_call((uint64_t)ep, &m);
	for (int i = 0; i < 2000; i++)
		MEASURE(ipc_call((uint64_t)ep, &m));
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	sys_handle_close((uint64_t)ep);
	sys_handle_close((uint64_t)go);
	return 0;
}

/* revoke_derived: munmap of a page we (as a custom pager) mapped into a
 * task of ours, i.e. the pager's unmap of a source page, which revokes the
 * derived copy. revoke_none is the same loop without the map. */
static int revoke_loop(bool derived)
{
	int64_t task = sys_task_create();

	if (task < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		char *p = map_anon(1, 0);
		if (!p)
			break;
		p[0] = 1;
		if (derived && sys_map((uint64_t)task, (uint64_t)p, 0x40000000, MAP_R | MAP_W) < 0)
			break;
		MEASURE(munmap(p, PAGE_SIZE));
	}
	sys_task_destroy((uint64_t)task);
	sys_handle_close((uint64_t)task);
	return 0;
}

int bench_revoke_derived(void) { return revoke_loop(true); }
int bench_revoke_none(void) { return revoke_loop(false); }
