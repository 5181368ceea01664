/*
 * Signals, the requests (docs/signals.md): sigaction, sigprocmask,
 * sigpending, sigsuspend, alarm and sigaltstack as PAGER_* requests; who
 * may signal whom (PAGER_KILL); a process's signal state across fork,
 * exec and a child's end. Delivery, frames and sigreturn are signal.c's.
 */
#include <string.h>
#include "abi/pager.h"
#include "libsys.h"
#include "pager.h"
#include "proc.h"

/* A signal-frame cookie for a new process: unguessable enough that a
 * frame the process made up is refused at sigreturn (signal.c checks it). */
static uint64_t cookie_next(uint64_t pid)
{
	static uint64_t state;
	uint64_t z = (state += 0x9e3779b97f4a7c15ul) ^ sys_time() ^ (pid << 32);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
	return z ^ (z >> 31);
}


/* ---- requests ---- */

static int64_t sigaction_request(struct proc *p, struct ipc_msg *m)
{
	uint64_t w[IPC_WORDS], sig = m->w[0] & ~(uint64_t)PSIGACT_SET;
	struct proc_sigaction *a;

	memcpy(w, m->w, sizeof(w));	/* the reply's words replace them */
	if (sig == 0 || sig >= PSIG_COUNT || (w[0] & ~(uint64_t)(PSIGACT_SET | 0xff)))
		return -ERR_INVAL;
	a = &p->sig.act[sig];
	m->w[1] = a->handler;
	m->w[2] = a->flags;
	m->w[3] = a->mask;
	if (!(w[0] & PSIGACT_SET))
		return 0;
	if ((PSIG_UNBLOCKABLE & PSIG_BIT(sig)) || w[1] >= USER_TOP)
		return -ERR_INVAL;
	if (w[1] > PSIG_IGN && (!w[4] || !w[5] || w[4] >= USER_TOP || w[5] >= USER_TOP))
		return -ERR_INVAL;	/* a handler needs libsys's entry and return */
	a->handler = w[1];
	a->flags = (uint32_t)w[2] & PSA_KNOWN;
	a->mask = (uint32_t)w[3] & ~PSIG_UNBLOCKABLE & VALID_MASK;
	if (w[1] > PSIG_IGN) {
		p->sig.entry = w[4];
		p->sig.ret = w[5];
	}
	if (signal_ignored(p, (int)sig))	/* POSIX: pending ones are discarded */
		p->sig.pending &= ~PSIG_BIT(sig);
	return 0;
}

/* sigaltstack: w4 the caller's sp (it may not change the stack it is
 * running on). */
static int64_t sigaltstack_request(struct proc *p, uint64_t *w)
{
	uint64_t in[IPC_WORDS];
	bool on = w[4] - p->sig.alt_base < p->sig.alt_size;

	memcpy(in, w, sizeof(in));
	w[1] = p->sig.alt_base;
	w[2] = p->sig.alt_size;
	w[3] = !p->sig.alt_size ? PSS_DISABLE : on ? PSS_ONSTACK : 0;
	if (!(in[0] & PSIGACT_SET))
		return 0;
	if ((in[0] & ~(uint64_t)PSIGACT_SET) || (in[3] & ~(uint64_t)PSS_DISABLE))
		return -ERR_INVAL;
	if (on)
		return -ERR_PERM;
	if (in[3] & PSS_DISABLE) {
		p->sig.alt_base = p->sig.alt_size = 0;
		return 0;
	}
	if (in[2] < PSIG_MINSTKSZ)
		return -ERR_NOMEM;
	if (in[1] >= USER_TOP || in[2] > USER_TOP - in[1])
		return -ERR_INVAL;
	p->sig.alt_base = in[1];
	p->sig.alt_size = in[2];
	return 0;
}

static int64_t sigprocmask_request(struct proc *p, uint64_t how, uint64_t set)
{
	uint32_t s = (uint32_t)set & ~PSIG_UNBLOCKABLE & VALID_MASK;

	switch (how) {
	case PSIG_BLOCK: p->sig.blocked |= s; break;
	case PSIG_UNBLOCK: p->sig.blocked &= ~s; break;
	case PSIG_SETMASK: p->sig.blocked = s; break;
	case PSIG_QUERY: break;
	default: return -ERR_INVAL;
	}
	return 0;
}

int64_t signal_request(struct proc *p, struct ipc_msg *m, bool *defer)
{
	uint64_t *w = m->w;
	uint32_t old = p->sig.blocked;
	int64_t r;

	*defer = false;
	switch (ipc_label(m->info)) {
	case PAGER_SIGACTION:
		return sigaction_request(p, m);
	case PAGER_SIGPROCMASK:
		if ((r = sigprocmask_request(p, w[0], w[1])) == 0)
			w[1] = old;
		return r;
	case PAGER_SIGPENDING:
		w[1] = p->sig.pending;
		return 0;
	case PAGER_SIGSUSPEND:
		/* Wait with the given mask until a handler has run; then
		 * EINTR, and the old mask once the handler returns. */
		p->sig.suspend_mask = old;
		p->sig.blocked = (uint32_t)w[0] & ~PSIG_UNBLOCKABLE & VALID_MASK;
		p->sig.suspended = true;
		*defer = true;
		signal_caller = NULL;
		signal_deliver_pending(p, NULL);
		return 0;
	case PAGER_ALARM:
		return signal_alarm_set(p, w[0]);
	case PAGER_SIGALTSTACK:
		return sigaltstack_request(p, w);
	}
	return -ERR_NOSYS;
}

/*
 * Who may signal whom (docs/signals.md "Who may signal whom"): one user
 * owns every process here, so as POSIX would a process may signal itself,
 * its descendants and its ancestors (a child's kill(getppid(), SIGUSR1));
 * but never the system: init (pid 1), the servers init started protected
 * (PSPAWN_OOM_PROTECT: the block driver, the file server) and the file
 * server however started take signals only from an ancestor, which for
 * them is init. (Not dma_ok: init's forks inherit it.) A
 * pid is never reused (slots are, pids grow), so a stale pid names no one.
 */
static bool may_signal(const struct proc *caller, const struct proc *t)
{
	if (proc_is_descendant(t, caller))
		return true;	/* itself or below */
	if (t->pid == 1 || t->oom_protected || fsconn_is_server(t))
		return false;
	return proc_is_descendant(caller, t);	/* an ancestor */
}

int64_t signal_kill(struct proc *caller, uint64_t pid, uint64_t sig, uint64_t flags)
{
	struct proc *t = proc_get(pid);

	if (!t || t->state != PROC_LIVE)
		return -ERR_SRCH;
	if (!may_signal(caller, t))
		return -ERR_PERM;
	if (sig >= PSIG_COUNT || (flags & ~(uint64_t)PKILL_PROBE))
		return -ERR_INVAL;
	if (flags & PKILL_PROBE)
		return 0;
	signal_post(t, sig ? (int)sig : PSIG_KILL, (int32_t)caller->pid);
	return 0;
}

/* ---- process life ---- */

void signal_inherit(struct proc *child, const struct proc *parent)
{
	memset(&child->sig, 0, sizeof(child->sig));
	if (parent) {
		memcpy(child->sig.act, parent->sig.act, sizeof(child->sig.act));
		child->sig.blocked = parent->sig.blocked;
		child->sig.entry = parent->sig.entry;
		child->sig.ret = parent->sig.ret;
		child->sig.alt_base = parent->sig.alt_base;	/* fork keeps it */
		child->sig.alt_size = parent->sig.alt_size;
		child->sig.eof_resume = parent->sig.eof_resume;	/* the same image */
	}
	child->sig.cookie = cookie_next((uint64_t)child->pid);
}

void signal_exec(struct proc *p)
{
	for (int i = 0; i < PSIG_COUNT; i++) {
		struct proc_sigaction *a = &p->sig.act[i];
		if (a->handler != PSIG_IGN)
			*a = (struct proc_sigaction){ 0 };
	}
	p->sig.entry = p->sig.ret = 0;
	p->sig.eof_resume = 0;
	p->sig.alt_base = p->sig.alt_size = 0;	/* its memory is gone */
}

void signal_child_ended(struct proc *parent, int64_t child_pid, int status)
{
	if (parent->state != PROC_LIVE || signal_ignored(parent, PSIG_CHLD))
		return;
	parent->sig.chld_status = status;	/* the last child's, as signals merge */
	signal_post(parent, PSIG_CHLD, (int32_t)child_pid);
}
