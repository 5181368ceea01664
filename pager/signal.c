/*
 * Signals (docs/signals.md). The pager decides: per process the actions,
 * the blocked and pending sets, the alarm. The kernel's thread control
 * carries out a delivery: the pager writes a frame (struct psig_frame,
 * abi/signal.h) on the process's stack through its own window, as it owns
 * the memory, and starts the thread at libsys's frame entry with sp at the
 * frame:
 *   - a fault (SIGSEGV, SIGBUS) is answered FAULT_REPLY_REGS;
 *   - a thread blocked in a call to us (PAGER_WAIT, PAGER_SIGSUSPEND, the
 *     request being served) is suspended, its registers written with the
 *     call's outcome in the frame, answered, resumed;
 *   - any other thread is suspended, its pc and sp alone written, and
 *     resumed; the frame is marked PSIGF_LIVE, as a reply from another
 *     server may land in a0..a7 and t1 at any moment, before it runs.
 * The handler returns to libsys's sigreturn point, an `ebreak` at the
 * address the process registered: the breakpoint fault brings the thread
 * here, the frame is checked and its registers written back whole (a fault
 * reply FAULT_REPLY_RESUME leaves every register as written; a request's
 * reply would overwrite a0..a7). A frame that cannot be written, a handler
 * or entry not in executable memory, or a bad frame at sigreturn ends the
 * process with SIGSEGV. The requests (sigaction .. kill) are signal_req.c's.
 */
#include <stdio.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "proc.h"
#include "ptimer.h"

struct proc *signal_caller;

/* Signals whose default action is to do nothing (no job control: the
 * stop signals are ignored too). Every other one ends the process. */
#define DEFAULT_IGNORED	(PSIG_BIT(PSIG_CHLD) | PSIG_BIT(PSIG_URG) | PSIG_BIT(PSIG_WINCH) | \
			 PSIG_BIT(PSIG_CONT) | PSIG_BIT(PSIG_STOP) | PSIG_BIT(PSIG_TSTP) | \
			 PSIG_BIT(PSIG_TTIN) | PSIG_BIT(PSIG_TTOU) | PSIG_BIT(PSIG_IO))

#define R_PC	0
#define R_RA	1
#define R_SP	2
#define R_T1	6
#define R_A0	10

bool signal_ignored(const struct proc *p, int sig)
{
	uint64_t h = p->sig.act[sig].handler;

	return h == PSIG_IGN || (h == PSIG_DFL && (DEFAULT_IGNORED & PSIG_BIT(sig)));
}


/* Where byte va of p is in our window: the page faulted in as a write
 * (and mapped in p, so p sees what we write: a copy-on-write break gives
 * a new frame) or a read would have it. A file page not resident is
 * NULL with *miss set to it: we cannot wait for its fill. */
static uint8_t *user_byte(struct proc *p, uint64_t va, bool write, uint64_t *miss)
{
	uint64_t page = va & ~(PAGE_SIZE - 1), src;
	uint32_t rights;
	struct vma *v = vma_find(&p->vmas, page);
	int err;

	if (!v && write)
		v = stack_grow(p, page);
	if (!v || !(v->prot & (write ? MAP_W : MAP_R)))
		return NULL;
	if ((err = fault_in(v, page, write ? FAULT_WRITE : FAULT_READ, &src, &rights)) != 0) {
		if (err == MEMOBJ_SUSPEND && (v->flags & VMA_FILE))
			*miss = page;
		return NULL;
	}
	if (write && sys_map(p->task, src, page, rights) < 0)
		return NULL;
	return (uint8_t *)src + (va & (PAGE_SIZE - 1));
}

static int copy_user(struct proc *p, uint64_t va, void *buf, uint64_t len, bool write,
		     uint64_t *miss)
{
	uint8_t *b = buf;

	if (va >= USER_TOP || len > USER_TOP - va)
		return -ERR_FAULT;
	while (len) {
		uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		uint8_t *u = user_byte(p, va, write, miss);
		if (n > len)
			n = len;
		if (!u)
			return -ERR_FAULT;
		if (write)
			memcpy(u, b, n);
		else
			memcpy(b, u, n);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

static bool executable(struct proc *p, uint64_t pc)
{
	struct vma *v = pc < USER_TOP ? vma_find(&p->vmas, pc) : NULL;

	return v && (v->prot & MAP_X);
}

/* ---- delivery ---- */

/*
 * Write the frame for sig below regs' sp, with uc holding regs and
 * old_mask. The frame's address, or 0 (the reason logged) if the handler
 * cannot run: the handler or libsys's entry not executable, or the stack
 * not writable; or 0 with *miss set: the stack is a file page that is not
 * resident (written in part maybe, below sp: nothing anyone keeps there).
 */
static uint64_t frame_push(struct proc *p, int sig, const struct psig_info *info,
			   const struct user_regs *regs, uint32_t old_mask, uint64_t flags,
			   uint64_t ipc_keep, uint64_t *miss)
{
	const struct proc_sigaction *a = &p->sig.act[sig];
	uint64_t sp = regs->x[R_SP], fsp;
	bool on_alt = sp - p->sig.alt_base < p->sig.alt_size;
	struct psig_frame f;

	if (!executable(p, a->handler) || !executable(p, p->sig.entry) ||
	    !executable(p, p->sig.ret)) {
		pager_log("pid %ld (%s): signal %d: handler %p not executable\n", (long)p->pid,
			  p->name, sig, (void *)a->handler);
		return 0;
	}
	/* SA_ONSTACK: the alternate stack's top, unless already on it. */
	if ((a->flags & PSA_ONSTACK) && p->sig.alt_size && !on_alt)
		sp = p->sig.alt_base + p->sig.alt_size;
	fsp = (sp - sizeof(f)) & ~15ul;
	memset(&f, 0, sizeof(f));
	f.uc.stack_sp = p->sig.alt_base;
	f.uc.stack_size = p->sig.alt_size;
	f.uc.stack_flags = !p->sig.alt_size ? PSS_DISABLE : on_alt ? PSS_ONSTACK : 0;
	f.handler = a->handler;
	f.signo = (uint64_t)sig;
	f.flags = flags;
	f.ipc_keep = ipc_keep;
	f.cookie = p->sig.cookie;
	f.info = *info;
	f.uc.sigmask = old_mask;
	memcpy(f.uc.gregs, regs->x, sizeof(f.uc.gregs));
	if (sp > USER_TOP || sp < sizeof(f) + PAGE_SIZE ||
	    copy_user(p, fsp, &f, sizeof(f), true, miss) < 0) {
		if (*miss)
			return 0;
		pager_log("pid %ld (%s): signal %d: no room for its frame below sp %p\n",
			  (long)p->pid, p->name, sig, (void *)sp);
		return 0;
	}
	return fsp;
}

/* The handler for sig has been entered: its mask applies. */
static void handler_entered(struct proc *p, int sig)
{
	struct proc_sigaction *a = &p->sig.act[sig];

	p->sig.pending &= ~PSIG_BIT(sig);
	p->sig.refetches = 0;
	p->sig.blocked |= a->mask | ((a->flags & PSA_NODEFER) ? 0 : PSIG_BIT(sig));
	p->sig.blocked &= ~PSIG_UNBLOCKABLE & VALID_MASK;
	if (a->flags & PSA_RESETHAND) {
		a->handler = PSIG_DFL;
		a->flags &= ~PSA_SIGINFO;
	}
}

/*
 * Start t's handler for sig asynchronously. reply: t is blocked in a call
 * to us, to be answered with *reply (restart: re-issue the call instead,
 * SA_RESTART); NULL: t is anywhere else. False if the frame could not be
 * set up: t then runs on as it was (its call answered with *reply); or
 * with *miss set, the frame's file page not resident: t runs on, its call
 * not answered.
 */
static bool deliver_async(struct proc *t, int sig, const struct ipc_msg *reply, bool restart,
			  uint32_t old_mask, uint64_t *miss)
{
	struct psig_info info = { .signo = sig, .code = PSI_USER, .pid = t->sig.sender[sig] };
	struct ipc_msg r = reply ? *reply : (struct ipc_msg){ 0 };
	struct user_regs regs;
	uint64_t fsp = 0;

	if (sig == PSIG_ALRM && info.pid == 0)
		info.code = PSI_KERNEL;
	if (sig == PSIG_CHLD) {	/* status as POSIX's si_status: code or signal */
		int st = t->sig.chld_status;
		info.code = (st & 0x7f) ? PCLD_KILLED : PCLD_EXITED;
		info.status = (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff;
	}
	if (sys_thread_suspend(t->thread) < 0)
		return false;
	if (sys_thread_regs_read(t->thread, &regs) < 0)
		goto out;
	if (reply && restart) {
		regs.x[R_PC] -= 4;	/* the ecall again, its registers unchanged */
	} else if (reply) {	/* the reply as ipc_call would have received it */
		regs.x[R_A0] = 0;
		regs.x[R_A0 + 1] = r.info;
		for (int i = 0; i < IPC_WORDS; i++)
			regs.x[R_A0 + 2 + i] = r.w[i];
		regs.x[R_T1] = 0;
	}
	/* What of the IPC buffer the interrupted code still needs: in a
	 * call to us, the reply delivered now (or the request issued
	 * again); anywhere else, maybe all of it (a reply just received,
	 * a request being written). */
	uint64_t keep = !reply ? IPC_BUF_SIZE : ipc_len(restart ? regs.x[R_A0 + 1] : r.info);
	fsp = frame_push(t, sig, &info, &regs, old_mask, reply ? 0 : PSIGF_LIVE, keep, miss);
	if (*miss) {
		sys_thread_resume(t->thread);
		return false;
	}
	if (fsp && !reply) {
		/* Only pc and sp: t may be awaiting another server's reply,
		 * which lands in its a0..a7 and t1 whenever that server
		 * answers, suspended or not, maybe after the read above (we
		 * preempted in frame_push, the server run). Writing back
		 * all of regs then undid the reply: the call returned its
		 * own request (a0 the handle, a1 its info, a2.. its words),
		 * as fs_call saw: read() 0, mmap() 0. The entry takes a0..a7
		 * and t1 as they are when it runs (PSIGF_LIVE). */
		if (sys_thread_pc_sp_write(t->thread, t->sig.entry, fsp) < 0)
			fsp = 0;
	} else if (fsp) {	/* in a call to us: nobody else answers it */
		regs.x[R_PC] = t->sig.entry;
		regs.x[R_SP] = fsp;
		if (sys_thread_regs_write(t->thread, &regs) < 0)
			fsp = 0;
	}
out:
	if (reply)
		ipc_reply(t->thread, &r);
	sys_thread_resume(t->thread);
	if (fsp)
		handler_entered(t, sig);
	return fsp != 0;
}

/*
 * Deliver t's pending, unblocked signals, lowest number first: default
 * actions, or handlers, nested one frame each. reply: t is the caller of
 * the request being served, to be answered with it.
 */
void signal_deliver_pending(struct proc *t, const struct ipc_msg *reply)
{
	uint32_t ready;

	while (t->state == PROC_LIVE && (ready = t->sig.pending & ~t->sig.blocked)) {
		int sig = __builtin_ctz(ready);
		const struct proc_sigaction *a = &t->sig.act[sig];
		struct ipc_msg intr = { .info = 0, .w = { (uint64_t)-ERR_INTR } };
		const struct ipc_msg *r = reply;
		uint32_t old_mask = t->sig.blocked;
		bool restart = false, was_waiting = false;

		t->sig.pending &= ~PSIG_BIT(sig);
		if (signal_ignored(t, sig))
			continue;
		if (a->handler == PSIG_DFL) {
			proc_end(t, sig);
			return;
		}
		if (!r && t->waiting) {	/* PAGER_WAIT: EINTR, or again */
			t->waiting = false;
			was_waiting = true;
			r = &intr;
			restart = a->flags & PSA_RESTART;
		} else if (!r && t->sig.suspended) {	/* sigsuspend returns EINTR */
			t->sig.suspended = false;
			old_mask = t->sig.suspend_mask;
			r = &intr;
		}
		const struct ipc_msg *req = reply;
		uint64_t miss = 0;
		bool sa_restart = a->flags & PSA_RESTART;	/* before SA_RESETHAND */
		reply = NULL;	/* answered now, whatever happens */
		if (!deliver_async(t, sig, r, restart, old_mask, &miss)) {
			/* Bounded: a fill that keeps failing ends t
			 * (joining one in flight is not counted). */
			int f = miss && t->sig.refetches < 8 ?
				backing_fetch(t, vma_find(&t->vmas, miss), miss) : -1;
			if (f >= 0) {
				t->sig.refetches += f == 0;
				/* Again once the frame's file page is in
				 * (signal_refetch); the call as it was. */
				t->sig.pending |= PSIG_BIT(sig);
				t->sig.refetch = true;
				if (r == &intr && was_waiting)
					t->waiting = true;
				else if (r == &intr)
					t->sig.suspended = true;
				else if (req)
					ipc_reply(t->thread, (struct ipc_msg *)req);
				return;
			}
			if (sig == PSIG_CHLD) {	/* only news; never kills (docs/signals.md) */
				t->sig.blocked = old_mask;	/* sigsuspend's is over too */
				continue;
			}
			pager_log("pid %ld (%s) killed by SIGSEGV: signal %d undeliverable\n",
				  (long)t->pid, t->name, sig);
			proc_end(t, PAGER_SIGSEGV);
			return;
		}
		if (!r)	/* anywhere else: maybe waiting for the file server (a pipe) */
			fsconn_signalled(t, sa_restart);
	}
	if (reply && t->state == PROC_LIVE)	/* nothing was delivered after all */
		ipc_reply(t->thread, (struct ipc_msg *)reply);
}

void signal_refetch(void)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *q = proc_at(i);
		if (!q->sig.refetch)
			continue;
		q->sig.refetch = false;
		if (q->state == PROC_LIVE && q != signal_caller)
			signal_deliver_pending(q, NULL);
	}
}

void signal_post(struct proc *t, int sig, int32_t sender)
{
	if (t->state != PROC_LIVE)
		return;
	if (sig == PSIG_KILL) {
		proc_end(t, PAGER_SIGKILL);
		return;
	}
	if (signal_ignored(t, sig))	/* discarded, blocked or not */
		return;
	t->sig.pending |= PSIG_BIT(sig);
	t->sig.sender[sig] = sender;
	if (t != signal_caller)	/* the caller's wait for signal_reply */
		signal_deliver_pending(t, NULL);
}

bool signal_reply(struct proc *p, struct ipc_msg *m)
{
	if (p->state != PROC_LIVE || !(p->sig.pending & ~p->sig.blocked))
		return false;
	signal_deliver_pending(p, m);
	return true;
}

/* ---- synchronous signals and sigreturn ---- */

static void bad_frame(struct proc *p, uint64_t sp)
{
	pager_log("pid %ld (%s) killed by SIGSEGV: bad signal frame at %p\n", (long)p->pid,
		  p->name, (void *)sp);
	proc_end(p, PAGER_SIGSEGV);
}

/* The thread stopped at its sigreturn point with sp at a frame. */
static void sigreturn(struct proc *p)
{
	struct ipc_msg r = { .info = ipc_info(FAULT_REPLY_RESUME, 0, 0) };
	struct user_regs regs;
	struct psig_frame f;
	uint64_t sp, miss = 0;
	int err;

	if (sys_thread_regs_read(p->thread, &regs) < 0) {
		bad_frame(p, 0);
		return;
	}
	sp = regs.x[R_SP];
	err = (sp & 15) ? -ERR_FAULT : copy_user(p, sp, &f, sizeof(f), false, &miss);
	if (err < 0 && miss) {
		/* The frame is in a file page not resident (written back and
		 * dropped, or reclaimed): the breakpoint waits for its fill
		 * as a fault on it would, then happens again. */
		if (backing_fault_missing(p, vma_find(&p->vmas, miss), miss, FAULT_READ, &r))
			ipc_reply(p->thread, &r);
		return;
	}
	if (err < 0 || f.cookie != p->sig.cookie || f.signo == 0 || f.signo >= PSIG_COUNT ||
	    f.uc.gregs[R_PC] >= USER_TOP) {
		bad_frame(p, sp);
		return;
	}
	memcpy(regs.x, f.uc.gregs, sizeof(regs.x));
	if (sys_thread_suspend(p->thread) < 0 || sys_thread_regs_write(p->thread, &regs) < 0) {
		sys_thread_resume(p->thread);
		bad_frame(p, sp);
		return;
	}
	p->sig.blocked = (uint32_t)f.uc.sigmask & ~PSIG_UNBLOCKABLE & VALID_MASK;
	/* What the restored mask lets through is delivered before the
	 * interrupted code runs again (a signal raised and left pending in a
	 * handler runs before the code after the raise): its frame goes on
	 * the restored context while the thread is still stopped. Delivered
	 * after the reply, a pager preempted in between (a loaded host) let
	 * the thread run on first (signal.nodefer saw hits == 1). */
	if (p->sig.pending & ~p->sig.blocked)
		signal_deliver_pending(p, NULL);
	if (p->state != PROC_LIVE)
		return;
	ipc_reply(p->thread, &r);
	sys_thread_resume(p->thread);
}

bool signal_fault(struct proc *p, const struct ipc_msg *m, int sig)
{
	uint64_t addr = m->w[0], kind = m->w[3];
	struct psig_info info = { .signo = sig, .addr = addr };
	struct user_regs regs;
	struct ipc_msg r;
	uint64_t fsp, miss = 0;

	if (kind == FAULT_KIND_BREAKPOINT && p->sig.ret && addr == p->sig.ret) {
		sigreturn(p);
		return true;
	}
	if (kind != FAULT_KIND_PAGE || (sig != PSIG_SEGV && sig != PSIG_BUS))
		return false;
	if (p->sig.act[sig].handler <= PSIG_IGN || (p->sig.blocked & PSIG_BIT(sig)))
		return false;	/* a fault ignored or blocked cannot go on: it ends p */
	if (sig == PSIG_SEGV)
		info.code = vma_find(&p->vmas, addr) ? PSEGV_ACCERR : PSEGV_MAPERR;
	else
		info.code = PBUS_ADRERR;
	if (sys_thread_regs_read(p->thread, &regs) < 0)
		return false;
	if (!(fsp = frame_push(p, sig, &info, &regs, p->sig.blocked, 0, IPC_BUF_SIZE, &miss))) {
		/* The frame's file page is not resident: the fault waits
		 * for its fill as a fault on it would, then happens again. */
		if (!miss)
			return false;
		if (backing_fault_missing(p, vma_find(&p->vmas, miss), miss, FAULT_WRITE, &r))
			ipc_reply(p->thread, &r);
		return true;
	}
	r.info = ipc_info(FAULT_REPLY_REGS, 0, 0);
	r.w[0] = p->sig.entry;
	r.w[1] = fsp;
	r.w[2] = regs.x[R_RA];
	r.w[3] = regs.x[R_A0];
	r.w[4] = regs.x[R_A0 + 1];
	r.w[5] = regs.x[R_A0 + 2];
	if (ipc_reply(p->thread, &r) < 0)
		return false;
	handler_entered(p, sig);
	return true;
}

/* ---- alarm(): on the pager's timer (ptimer.c) ---- */

/* The earliest alarm_at of a live process, kept by alarm_first_find
 * whenever alarms change (alarm(), delivery); a process that ends with
 * one set leaves it here until the next delivery finds it gone (one wake
 * too many, no more). */
static uint64_t alarm_first;

static void alarm_first_find(void)
{
	alarm_first = 0;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *q = proc_at(i);
		if (q->state == PROC_LIVE && q->sig.alarm_at &&
		    (!alarm_first || q->sig.alarm_at < alarm_first))
			alarm_first = q->sig.alarm_at;
	}
}

uint64_t signal_next_alarm(void)
{
	return alarm_first;
}

void signal_alarms_due(void)
{
	uint64_t now = sys_time();

	if (!alarm_first || alarm_first > now)
		return;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *q = proc_at(i);
		if (q->state == PROC_LIVE && q->sig.alarm_at && q->sig.alarm_at <= now) {
			q->sig.alarm_at = 0;
			signal_post(q, PSIG_ALRM, 0);
		}
	}
	alarm_first_find();
}

int64_t signal_alarm_set(struct proc *p, uint64_t secs)
{
	uint64_t now = sys_time(), hz = boot->timebase_hz ? boot->timebase_hz : 10000000;
	uint64_t left = 0;
	int err;

	if (secs > 0xffffffffu)
		return -ERR_INVAL;
	if (p->sig.alarm_at > now)
		left = (p->sig.alarm_at - now + hz - 1) / hz;
	p->sig.alarm_at = secs ? now + secs * hz : 0;
	alarm_first_find();
	if ((err = ptimer_arm()) < 0 && secs) {
		p->sig.alarm_at = 0;
		alarm_first_find();
		return err;
	}
	return (int64_t)left;
}

