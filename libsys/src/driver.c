/*
 * Small driver servers (servers/blk, servers/console), both sides of what
 * they share. driver_map_device: in the driver, take a device capability
 * if it is the right kind and map its registers; driver_irq_relay: its
 * interrupts as badged calls on the driver's endpoint. driver_spawn: start one
 * and hand it its device: each device
 * capability is offered until the driver takes one (the others are
 * -ERR_NODEV to it), then that device's IRQ; on any failure the driver is
 * killed and reaped. server_run: the driver's receive loop: refuse faults
 * (a client may make a thread with our endpoint as its pager: we page
 * nothing, so it is stopped), let the server fill the reply, answer and
 * receive again in one call. A server that parks a call (to answer it
 * later through a saved reply) says SERVER_DEFERRED.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "abi/blk.h"
#include "abi/fault.h"
#include "libsys.h"

static int64_t setup_grant(uint64_t ep, uint64_t label, uint64_t h)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, IPC_GRANT) };
	int64_t r;

	m.w[5] = h;
	r = ipc_call(ep, &m);
	return r < 0 ? r : (int64_t)m.w[0];
}

int64_t driver_map_device(uint64_t h, uint32_t kind, uint64_t va, struct device_info *di)
{
	int64_t r;

	if ((r = sys_device_info(h, di)) < 0)
		return r;
	if (di->kind != kind)
		return -ERR_NODEV;
	return sys_map_device(h, 0, di->pa, va, MAP_R | MAP_W);
}

int64_t driver_irq_relay(uint64_t irq, uint64_t ep, uint64_t badge, uint64_t label)
{
	int64_t notif, relay, r;

	if ((notif = sys_notif_create()) < 0)
		return notif;
	if ((relay = blk_relay_start((uint64_t)notif, ep, badge, label)) < 0) {
		sys_handle_close((uint64_t)notif);
		return relay;
	}
	if ((r = sys_irq_bind(irq, (uint64_t)notif)) < 0) {
		sys_task_destroy((uint64_t)relay);	/* the relay thread with it */
		sys_handle_close((uint64_t)relay);
		sys_handle_close((uint64_t)notif);
	}
	return r;
}

int64_t driver_spawn(const char *name, const struct proc_device *devs, uint64_t ndevs,
		     uint64_t device_label, uint64_t irq_label, uint64_t flags, int64_t *pid_out)
{
	const char *argv[] = { name, NULL };
	int64_t ep, pid, r = -ERR_NODEV;
	uint64_t i;

	if ((ep = sys_endpoint_create()) < 0)
		return ep;
	if ((pid = spawn_flags(argv, (uint64_t)ep, flags)) < 0) {
		sys_handle_close((uint64_t)ep);
		return pid;
	}
	for (i = 0; i < ndevs && r == -ERR_NODEV; i++)
		r = setup_grant((uint64_t)ep, device_label, devs[i].device);
	if (r == 0)
		r = devs[i - 1].irq ? setup_grant((uint64_t)ep, irq_label, devs[i - 1].irq) :
				      -ERR_NODEV;
	if (r < 0) {
		kill((int)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);	/* reaped: no process left behind */
		sys_handle_close((uint64_t)ep);
		return r;
	}
	if (pid_out)
		*pid_out = pid;
	return ep;
}

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
