/*
 * The pager's side of the file server (docs/fs-protocol.md): the pager
 * makes the file server's endpoint, hands each process that asks a handle
 * to it badged with the process's pid and parent pid (so the server knows
 * who calls, unforgeably), and tells the server which of those processes
 * ended, so their open files are closed however they end, and which were
 * given a caught signal, so their blocked pipe calls are cut short
 * (fsconn_signalled). The pager never waits on the file server: it only
 * notifies (a notification never blocks) and answers the server's
 * PAGER_FS_DEAD calls from a queue.
 */
#include <stdbool.h>
#include "abi/fs.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "pager.h"
#include "proc.h"

#define DEAD_MAX	(2 * MAX_PROCS)

static uint64_t fs_ep, fs_notif;	/* ours; 0 until a server registers */
static int64_t fs_pid;
static int64_t fs_designated;	/* the pid init named, 0: none */
static int64_t dead[DEAD_MAX];		/* pids that ended, oldest first */
static unsigned dead_head, dead_count;
static bool dead_lost;			/* the queue overflowed since the last drain */

static int64_t fs_register(struct proc *p, struct ipc_msg *m)
{
	int64_t ep, notif, r;
	int err;

	if (fs_ep)
		return -ERR_EXIST;
	if (m->w[0]) {
		/* Init names its child that may become the server: no other
		 * process can claim the role (and every process's files). */
		struct proc *s = proc_get(m->w[0]);
		if (p->pid != 1 || !s || s->state != PROC_LIVE || s->ppid != 1)
			return -ERR_PERM;
		fs_designated = s->pid;
		return 0;
	}
	if (p->pid != fs_designated)
		return -ERR_PERM;
	if ((ep = sys_endpoint_create()) < 0)
		return ep;
	if ((notif = sys_notif_create()) < 0) {
		sys_handle_close((uint64_t)ep);
		return notif;
	}
	/* The backing window (w3): where the pager maps the pages of the
	 * requests the server fetches (backing.c). */
	if (!backing_server_up(p, false, &m->w[3], &err)) {
		sys_handle_close((uint64_t)ep);
		sys_handle_close((uint64_t)notif);
		return err;
	}
	if ((r = sys_handle_grant(p->task, (uint64_t)ep, 0, RIGHTS_ALL)) < 0 ||
	    (m->w[1] = (uint64_t)r, r = sys_handle_grant(p->task, (uint64_t)notif, 0,
							 RIGHTS_ALL)) < 0) {
		sys_handle_close((uint64_t)ep);
		sys_handle_close((uint64_t)notif);
		backing_server_gone(backing_fs);
		return r;
	}
	m->w[2] = (uint64_t)r;
	fs_ep = (uint64_t)ep;
	fs_notif = (uint64_t)notif;
	fs_pid = p->pid;
	dead_head = dead_count = 0;
	dead_lost = false;
	return 0;
}

static int64_t fs_connect(struct proc *p)
{
	if (!fs_ep)
		return -ERR_NOENT;
	if (p->pid == fs_pid)
		return -ERR_INVAL;
	return sys_handle_grant(p->task, fs_ep, FS_BADGE(p->pid, p->ppid), RIGHT_SEND);
}

static int64_t fs_dead(struct proc *p, struct ipc_msg *m)
{
	int64_t n = 0;

	if (p->pid != fs_pid)
		return -ERR_PERM;
	for (; n < 5 && dead_count; n++, dead_count--) {
		m->w[1 + n] = (uint64_t)dead[dead_head];
		dead_head = (dead_head + 1) % DEAD_MAX;
	}
	if (n == 0 && dead_lost) {	/* the server must check its clients */
		dead_lost = false;
		return -ERR_NOSPC;
	}
	return n;
}

static int64_t fs_alive(struct proc *p, struct ipc_msg *m)
{
	struct proc *q = proc_get(m->w[0]);

	if (p->pid != fs_pid)
		return -ERR_PERM;
	if (!q || q->state != PROC_LIVE)
		return 0;
	m->w[1] = (uint64_t)q->ppid;	/* whose child: a fork snapshot's binding */
	return 1;
}

int64_t fsconn_request(struct proc *p, struct ipc_msg *m)
{
	switch (ipc_label(m->info)) {
	case PAGER_FS_REGISTER:
		return fs_register(p, m);
	case PAGER_FS_CONNECT:
		return fs_connect(p);
	case PAGER_FS_DEAD:
		return fs_dead(p, m);
	case PAGER_FS_ALIVE:
		return fs_alive(p, m);
	}
	return -ERR_NOSYS;
}

/* Ends the server has not fetched yet (PAGER_OBJ_FETCH's w1: on a wake
 * with none, the server need not call PAGER_FS_DEAD). */
uint64_t fsconn_deaths_pending(void)
{
	return dead_count + dead_lost;
}

/* Tell the server there are backing requests (backing.c): the same
 * notification as deaths; on any wake it asks for both. */
void fsconn_kick(void)
{
	if (fs_notif)
		sys_notify(fs_notif);
}

void fsconn_proc_ended(struct proc *p)
{
	if (fs_ep && p->pid == fs_pid) {
		/* Callers already queued stay blocked: a dead file server is
		 * the end of the files (docs/fs-protocol.md). */
		sys_handle_close(fs_ep);
		sys_handle_close(fs_notif);
		fs_ep = fs_notif = 0;
		fs_pid = 0;
		/* Faults waiting on it get SIGBUS; cached pages stay. */
		backing_server_gone(backing_fs);
		return;
	}
	/* Every end, not only of connected processes: a forked child holds
	 * its parent's files (a snapshot) before it ever calls. */
	if (!fs_ep)
		return;
	/* Its last fork's snapshot, which it may have ended before binding:
	 * the server binds it to that child before it hears of this end. */
	if (p->fork_snap && dead_count < DEAD_MAX - 1) {
		dead[(dead_head + dead_count++) % DEAD_MAX] =
			(int64_t)(FS_NOTE_INTR | FS_NOTE_FORK |
				  ((p->fork_snap & FS_NOTE_TIME_MASK) << FS_NOTE_TIME_SHIFT) |
				  ((uint64_t)p->fork_child & (FS_NOTE_FORK - 1)));
		p->fork_snap = 0;
	}
	if (dead_count == DEAD_MAX)	/* the server is DEAD_MAX ends behind */
		dead_lost = true;
	else
		dead[(dead_head + dead_count++) % DEAD_MAX] = p->pid;
	sys_notify(fs_notif);
}

/* An interrupt is a queue entry as an end is, so the two keep their
 * order; but interrupts take at most half the queue, leaving the rest to
 * ends (an interrupt lost only delays a handler until the call returns;
 * an end lost costs the server a sweep). */
void fsconn_signalled(struct proc *p, bool restart)
{
	uint64_t t = (sys_time() >> FS_NOTE_TIME_UNIT) & FS_NOTE_TIME_MASK;

	if (!fs_ep || p->pid == fs_pid || dead_count >= DEAD_MAX / 2)
		return;
	dead[(dead_head + dead_count++) % DEAD_MAX] =
		(int64_t)(FS_NOTE_INTR | (restart ? FS_NOTE_RESTART : 0) |
			  (t << FS_NOTE_TIME_SHIFT) | FS_NOTE_PID((uint64_t)p->pid));
	sys_notify(fs_notif);
}

/* p exec'd: the descriptors it hid for the exec (FS_EXEC_HIDE) close.
 * Queued as an end is, with the whole queue open to it; one lost to a
 * full queue keeps them hidden (out of the table, still open) until p
 * hides again for its next exec or ends. */
void fsconn_exec(struct proc *p)
{
	uint64_t t = (sys_time() >> FS_NOTE_TIME_UNIT) & FS_NOTE_TIME_MASK;

	if (!fs_ep || p->pid == fs_pid || dead_count == DEAD_MAX)
		return;
	dead[(dead_head + dead_count++) % DEAD_MAX] =
		(int64_t)(FS_NOTE_INTR | FS_NOTE_EXEC | (t << FS_NOTE_TIME_SHIFT) |
			  ((uint64_t)p->pid & (FS_NOTE_EXEC - 1)));
	sys_notify(fs_notif);
}
