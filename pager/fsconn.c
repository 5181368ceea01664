/*
 * The pager's side of the file server (docs/fs-protocol.md): the pager
 * makes the file server's endpoint, hands each process that asks a handle
 * to it badged with the process's pid and parent pid (so the server knows
 * who calls, unforgeably), and tells the server which of those processes
 * ended, so their open files are closed however they end, which exec'd
 * (their close-on-exec descriptors close) and which were given a caught
 * signal, so their blocked pipe calls are cut short (fsconn_signalled).
 * The pager never waits on the file server: it only notifies (a
 * notification never blocks) and answers the server's PAGER_FS_DEAD calls.
 *
 * The notes are never lost, whatever the load: they are kept per process
 * slot, not in a ring that can fill. A slot has one record: its signal
 * note (the latest time; repeats merge), its exec note (the latest), its
 * last fork's snapshot and its end. Records wait in arrival order, each at
 * most once, so the queue holds at most MAX_PROCS. A slot whose end the
 * server has not fetched is not given to a new process (proc_alloc asks
 * fsconn_slot_held), so one record never has two processes' notes.
 */
#include <stdbool.h>
#include "abi/fs.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "pager.h"
#include "proc.h"

enum { NOTE_INTR = 1, NOTE_EXEC = 2, NOTE_FORK = 4, NOTE_END = 8 };

struct fs_note {
	int64_t pid;		/* whose notes these are */
	uint8_t what;		/* NOTE_*: what is still to fetch; 0: not queued */
	bool restart;		/* every merged signal's handler had SA_RESTART */
	uint64_t intr_t, exec_t;	/* FS_NOTE_TIME_MASK-wide times */
	uint64_t fork_note;	/* the FS_NOTE_FORK word */
	int16_t next;		/* the queue: the next slot, or -1 */
};

static uint64_t fs_ep, fs_notif;	/* ours; 0 until a server registers */
static int64_t fs_pid;
static int64_t fs_designated;	/* the pid init named, 0: none */
static struct fs_note notes[MAX_PROCS];
static int16_t note_head = -1, note_tail = -1;
static uint32_t notes_queued;	/* records in the queue */

static void notes_reset(void)
{
	for (int i = 0; i < MAX_PROCS; i++)
		notes[i].what = 0;
	note_head = note_tail = -1;
	notes_queued = 0;
}

/* p's record, queued if it was not. */
static struct fs_note *note_of(const struct proc *p)
{
	int16_t slot = (int16_t)(p->pid % MAX_PROCS);
	struct fs_note *n = &notes[slot];

	if (n->what)
		return n;
	n->pid = p->pid;
	n->next = -1;
	if (note_tail >= 0)
		notes[note_tail].next = slot;
	else
		note_head = slot;
	note_tail = slot;
	notes_queued++;
	return n;
}

static uint64_t note_time(void)
{
	return (sys_time() >> FS_NOTE_TIME_UNIT) & FS_NOTE_TIME_MASK;
}

bool fsconn_slot_held(int slot)
{
	return notes[slot].what & NOTE_END;
}

bool fsconn_is_server(const struct proc *p)
{
	return fs_ep && p->pid == fs_pid;
}

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
	notes_reset();
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

/* The next word of record n, its bit cleared: signal, exec, fork, end
 * (the fork note just before the end it is about). */
static uint64_t note_word(struct fs_note *n)
{
	uint64_t pid = (uint64_t)n->pid;

	if (n->what & NOTE_INTR) {
		n->what &= (uint8_t)~NOTE_INTR;
		return FS_NOTE_INTR | (n->restart ? FS_NOTE_RESTART : 0) |
		       (n->intr_t << FS_NOTE_TIME_SHIFT) | FS_NOTE_PID(pid);
	}
	if (n->what & NOTE_EXEC) {
		n->what &= (uint8_t)~NOTE_EXEC;
		return FS_NOTE_INTR | FS_NOTE_EXEC | (n->exec_t << FS_NOTE_TIME_SHIFT) |
		       (pid & (FS_NOTE_EXEC - 1));
	}
	if (n->what & NOTE_FORK) {
		n->what &= (uint8_t)~NOTE_FORK;
		return n->fork_note;
	}
	n->what = 0;	/* NOTE_END */
	return pid;
}

static int64_t fs_dead(struct proc *p, struct ipc_msg *m)
{
	int64_t n = 0;

	if (p->pid != fs_pid)
		return -ERR_PERM;
	while (n < 5 && note_head >= 0) {
		struct fs_note *r = &notes[note_head];
		m->w[1 + n++] = note_word(r);
		if (!r->what) {	/* all of it fetched: off the queue */
			note_head = r->next;
			if (note_head < 0)
				note_tail = -1;
			notes_queued--;
		}
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

/* Notes the server has not fetched yet (PAGER_OBJ_FETCH's w1: on a wake
 * with none, the server need not call PAGER_FS_DEAD). */
uint64_t fsconn_deaths_pending(void)
{
	return notes_queued;
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
		notes_reset();	/* nobody to tell: the slots are free again */
		/* Faults waiting on it get SIGBUS; cached pages stay. */
		backing_server_gone(backing_fs);
		return;
	}
	/* Every end, not only of connected processes: a forked child holds
	 * its parent's files (a snapshot) before it ever calls. */
	if (!fs_ep)
		return;
	struct fs_note *n = note_of(p);
	/* Its last fork's snapshot, which it may have ended before binding:
	 * the server binds it to that child before it hears of this end. */
	if (p->fork_snap) {
		n->fork_note = FS_NOTE_INTR | FS_NOTE_FORK |
			       ((p->fork_snap & FS_NOTE_TIME_MASK) << FS_NOTE_TIME_SHIFT) |
			       ((uint64_t)p->fork_child & (FS_NOTE_FORK - 1));
		n->what |= NOTE_FORK;
		p->fork_snap = 0;
	}
	n->what |= NOTE_END;
	sys_notify(fs_notif);
}

/* A caught signal: merged with one not fetched yet (the later time cuts
 * short every wait the earlier would; a restart only if both handlers
 * asked for it: EINTR is what a handler without SA_RESTART allows). */
void fsconn_signalled(struct proc *p, bool restart)
{
	if (!fs_ep || p->pid == fs_pid)
		return;
	struct fs_note *n = note_of(p);
	n->restart = (n->what & NOTE_INTR) ? n->restart && restart : restart;
	n->intr_t = note_time();
	n->what |= NOTE_INTR;
	sys_notify(fs_notif);
}

/* p exec'd: the descriptors it hid for the exec (FS_EXEC_HIDE) close.
 * Merged as signals are: the later time closes what the earlier would. */
void fsconn_exec(struct proc *p)
{
	if (!fs_ep || p->pid == fs_pid)
		return;
	struct fs_note *n = note_of(p);
	n->exec_t = note_time();
	n->what |= NOTE_EXEC;
	sys_notify(fs_notif);
}
