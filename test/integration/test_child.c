/*
 * A child for the other tests, doing what argv[1] says:
 *   exit N        exit with status N
 *   spin          loop forever (after notifying the granted notification)
 *   null-read, null-write, text-write, kernel-read, illegal, stack-overflow
 *                 a bad access each, which must end only this process
 *   wait-spinner  spawn a spinning child, wait for it: exit 0 if the wait
 *                 reports that child killed, 1 if anything else answers
 *   kill-init     try to kill init: exit 0 if refused with EPERM
 *   map-granted   try to map our page into the granted task (not ours):
 *                 exit 0 if refused with ERR_PERM
 *   make-task     create a task with a thread blocked forever in a fault
 *                 (its pager endpoint is never served), then wait forever
 *   ipc-echo      serve the granted endpoint: a call gets w0 + 1, the badge
 *                 in w1 and the sum of w0 over sends so far in w2, and its
 *                 buffer payload back with every byte incremented
 *   grant-flood N send N messages through the granted endpoint, each
 *                 granting a fresh endpoint of ours, then call it once
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"

/* Addresses kept in volatiles so the compiler cannot see them coming. */
static volatile uintptr_t null_addr = 8, kernel_addr = 0xffffffc080200000ul;
static volatile int depth_limit = 1 << 30;

static int recurse(int n)
{
	volatile char buf[4096];

	buf[0] = (char)n;
	if (n == depth_limit)
		return 0;
	return recurse(n + 1) + buf[0];
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	uint64_t granted = libsys_start_info.granted;

	if (!strcmp(what, "exit"))
		return argc > 2 ? atoi(argv[2]) : 0;
	if (!strcmp(what, "spin")) {
		if (granted)
			sys_notify(granted);
		for (;;)
			;
	}
	if (!strcmp(what, "null-read"))
		return *(volatile int *)null_addr;
	if (!strcmp(what, "null-write"))
		*(volatile int *)null_addr = 1;
	if (!strcmp(what, "text-write"))
		*(volatile int *)(uintptr_t)main = 1;
	if (!strcmp(what, "kernel-read"))
		return *(volatile int *)kernel_addr;
	if (!strcmp(what, "illegal"))
		__asm__ volatile(".word 0");
	if (!strcmp(what, "stack-overflow"))
		return recurse(0);
	if (!strcmp(what, "wait-spinner")) {
		const char *spin[] = { "test_child", "spin", NULL };
		int64_t pid = spawn(spin, 0);
		int status = 0;
		printf("test_child: spinner %ld\n", (long)pid);
		return waitpid(-1, &status, 0) == pid && WIFSIGNALED(status) ? 0 : 1;
	}
	if (!strcmp(what, "fs-register")) {
		/* A child of init, not named by it, tries to become the file
		 * server, and to name itself: both refused. */
		struct ipc_msg m = { .info = ipc_info(PAGER_FS_REGISTER, 0, 0) };
		int64_t r1 = pager_call(&m);
		m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_REGISTER, 0, 0),
				      .w = { (uint64_t)getpid() } };
		int64_t r2 = pager_call(&m);
		return r1 == -ERR_PERM && r2 == -ERR_PERM ? 0 : 1;
	}
	if (!strcmp(what, "kill-init"))
		return kill(1, SIGKILL) == -1 && errno == EPERM ? 0 : 1;
	if (!strcmp(what, "map-granted")) {
		static volatile char page[4096] __attribute__((aligned(4096)));
		page[0] = 1;
		return sys_map(granted, (uint64_t)page, 0x40000000, MAP_R) == -ERR_PERM ? 0 : 1;
	}
	if (!strcmp(what, "make-task")) {
		int64_t task = sys_task_create(), ep = sys_endpoint_create();
		if (task < 0 || ep < 0 || sys_thread_create((uint64_t)task, 0x10000, 0, 0,
							    (uint64_t)ep, 1) < 0)
			return 1;
		sys_notify(granted);	/* ready */
		for (;;)
			sys_wait((uint64_t)sys_notif_create());
	}
	if (!strcmp(what, "ipc-echo")) {
		struct ipc_msg m = { 0 };
		uint8_t *buf = ipcbuf();
		uint64_t sent = 0;
		int64_t r = ipc_recv(granted, &m);
		while (r == 0) {
			if (ipc_label(m.info) == 2) {	/* a send: no reply */
				sent += m.w[0];
				r = ipc_recv(granted, &m);
				continue;
			}
			uint64_t len = ipc_len(m.info);
			for (uint64_t i = 0; i < len; i++)
				buf[i]++;
			m.w[0] += 1;
			m.w[1] = m.badge;
			m.w[2] = sent;
			m.info = ipc_info(0, len, 0);
			r = ipc_reply_recv(granted, &m);
		}
		return 3;
	}
	if (!strcmp(what, "grant-flood") && argc > 2) {
		long n = strtol(argv[2], NULL, 10);
		struct ipc_msg m;
		for (long i = 0; i < n; i++) {
			int64_t h = sys_endpoint_create();
			m = (struct ipc_msg){ .info = ipc_info(1, 0, IPC_GRANT), .w = { (uint64_t)i, [5] = (uint64_t)h } };
			if (h < 0 || ipc_send(granted, &m) < 0)
				return 1;
			sys_handle_close((uint64_t)h);
		}
		m = (struct ipc_msg){ .info = ipc_info(2, 0, 0) };
		return ipc_call(granted, &m) == 0 ? 0 : 2;
	}
	printf("test_child: unknown mode \"%s\"\n", what);
	return 100;
}
