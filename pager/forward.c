/*
 * Per-task pagers: a process (the holder) starts a child with
 * PSPAWN_PAGER and an endpoint; the child's thread faults there. The
 * holder answers a fault itself or forwards it here with its reply handle
 * (PAGER_FAULT_FORWARD); we resolve it exactly as fault.c resolves a
 * fault of our own (we still own the child's task and VMAs) and answer
 * the faulting thread through that handle, then tell the holder how.
 *
 * Trust: a holder may forward only for the children it started this way.
 * It cannot make us map into the wrong task: pages go into the named
 * child's task with SYS_MAP, and the handle only resumes a thread, so a
 * handle of some other thread (its own, forged) merely resumes that one.
 * When the holder ends, its children end with SIGKILL: nobody else would
 * ever answer their faults.
 */
#include <stdio.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "forward.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"

bool fault_handle(struct ipc_msg *m);

/* Forwarded faults between two checks of the child's resident limit
 * (main.c's RSS_CHECK_FAULTS, for faults that come to us directly). */
#define RSS_CHECK_FORWARDS 256
static unsigned rss_countdown = RSS_CHECK_FORWARDS;

/* The PSPAWN_PAGER spawn being served: its holder and the endpoint. */
static const struct proc *spawn_holder;
static uint64_t spawn_ep;

int64_t forward_spawn_begin(struct proc *p, uint64_t flags, uint64_t grant, uint64_t *child_grant)
{
	spawn_holder = NULL;
	*child_grant = grant;
	if (!(flags & PSPAWN_PAGER))
		return 0;
	if (!grant)
		return -ERR_INVAL;	/* no endpoint to be the pager */
	spawn_holder = p;
	spawn_ep = grant;
	*child_grant = 0;	/* the endpoint is not the child's to hold */
	return 0;
}

void forward_spawn_end(int64_t pid)
{
	struct proc *c = pid > 0 && spawn_holder ? proc_get((uint64_t)pid) : NULL;
	int64_t ep;

	if (c) {
		c->pager_holder = spawn_holder->pid;
		/* Kept for threads made for it later (forward_thread_pager);
		 * without it, those would fault to us: a lesser harm than
		 * failing a spawn that has run. */
		if ((ep = sys_handle_grant(0, spawn_ep, 0, RIGHT_SEND)) > 0)
			c->fwd_ep = (uint64_t)ep;
	}
	spawn_holder = NULL;
}

/* The pager endpoint for p's new thread: its holder's after an exec,
 * the endpoint a PSPAWN_PAGER spawn is giving it, else ours. */
uint64_t forward_new_thread_pager(const struct proc *p)
{
	if (p->fwd_ep)
		return p->fwd_ep;
	return spawn_holder ? spawn_ep : pager_ep;
}

uint64_t forward_thread_pager(const struct proc *p)
{
	return p->fwd_ep ? p->fwd_ep : pager_ep;
}

/* The frame the object held for the page before the fault, to tell a
 * copy from a page mapped as it was. */
static uint64_t frame_before(struct proc *c, uint64_t addr)
{
	struct vma *v = vma_find(&c->vmas, addr);

	return v ? pagemap_get(&v->obj->pages, vma_index(v, addr)) : PAGEMAP_NONE;
}

static int64_t resolved_how(struct proc *c, uint64_t addr, uint64_t before, uint64_t src)
{
	struct vma *v = vma_find(&c->vmas, addr);
	uint64_t pfn = page_pfn((void *)src);

	if (pfn == anon_zero_frame)
		return PFWD_ZERO;
	if (pfn == before)
		return PFWD_MAPPED;
	if (before != PAGEMAP_NONE)
		return PFWD_COPY;
	if (v && (v->flags & VMA_FILE))	/* the cache's page, or a private copy of it */
		return pagemap_get(&v->obj->pages, vma_index(v, addr)) == pfn &&
		       !(v->flags & VMA_SHARED) ? PFWD_COPY : PFWD_MAPPED;
	return PFWD_ZERO;
}

/* The fault waits for a fill: fault.c saved the reply of the message we
 * serve as c's wait_reply. That is *saved's; the fill's answer goes to c's
 * thread itself (a handle of ours), and the forwarded handle is kept
 * unanswered meanwhile (closing it would refuse the fault). */
static int64_t suspended(struct proc *c, uint64_t reply, uint64_t *saved)
{
	int64_t td = sys_handle_grant(0, c->thread, 0, RIGHT_CONTROL);
	int64_t keep = td < 0 ? td : sys_handle_grant(0, reply, 0, RIGHT_SEND);

	if (keep < 0) {
		if (td > 0)
			sys_handle_close((uint64_t)td);
		pager_log("pid %ld (%s) killed by SIGKILL: a forwarded fault: out of handles\n",
			  (long)c->pid, c->name);
		/* Unlinks the waiter; the holder's call, saved as its reply,
		 * is refused (-ERR_SRCH) with it. */
		proc_end(c, PAGER_SIGKILL);
		return PFWD_ENDED;
	}
	*saved = c->wait_reply;
	c->wait_reply = (uint64_t)td;
	if (c->fwd_reply)
		sys_handle_close(c->fwd_reply);
	c->fwd_reply = (uint64_t)keep;
	return PFWD_FILL;
}

int64_t forward_resolve(struct proc *c, struct ipc_msg *f, uint64_t reply, uint64_t *status,
			uint64_t *saved)
{
	uint64_t addr = f->w[0], page = addr & ~(PAGE_SIZE - 1), before = frame_before(c, addr);
	int64_t how = PFWD_RESUMED;
	int err = 0;

	*saved = 0;
	if (c->wait_reply)
		return -ERR_BUSY;	/* its thread already waits on a fill */
	/* What main.c does before a fault: frames first, and now and then
	 * the process's resident limit (forwarded faults must not escape it). */
	if (page_nfree < OOM_RESERVE_FRAMES)
		proc_oom_reclaim(OOM_RESERVE_FRAMES);
	if (!--rss_countdown) {
		rss_countdown = RSS_CHECK_FORWARDS;
		proc_rss_enforce(c);
	}
	bool now = c->state == PROC_LIVE && fault_handle(f);

	if (c->state != PROC_LIVE) {
		*status = (uint64_t)c->status;
		return PFWD_ENDED;
	}
	if (!now)	/* waits for a fill, or a handler was entered (signal.c) */
		return c->wait_reply ? suspended(c, reply, saved) : PFWD_SIGNAL;
	switch (ipc_label(f->info)) {
	case FAULT_REPLY_MAP:
		how = resolved_how(c, addr, before, f->w[0]);
		err = (int)sys_map(c->task, f->w[0], f->w[1], (uint32_t)f->w[2]);
		break;
	case FAULT_REPLY_MAP_RUN:	/* fault-around: the faulting page is inside */
		how = resolved_how(c, addr, before, f->w[0] + (page - f->w[1]));
		err = (int)sys_map_run(c->task, f->w[0], f->w[1], (uint32_t)f->w[2], f->w[3]);
		break;
	}
	if (err == -ERR_NOMEM) {	/* its kernel-memory quota: as THREAD_EXIT_NOMEM ends it */
		pager_log("pid %ld (%s) killed by SIGKILL: fault at %p: out of kernel memory\n",
			  (long)c->pid, c->name, (void *)addr);
		proc_end(c, PAGER_SIGKILL);
		*status = PAGER_SIGKILL;
		return PFWD_ENDED;
	}
	/* Any other failure maps nothing: the thread faults again. */
	f->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
	if (ipc_reply(reply, f) < 0)
		return -ERR_INVAL;	/* spent, or nobody's: mapped all the same */
	return how;
}

/* The death message of c's thread, forwarded: c ends as fault.c ends a
 * process whose thread died. (The thread an exec replaced dies to us,
 * not to the holder: proc_exec.) */
static int64_t forward_death(struct proc *c, uint64_t *status)
{
	pager_log("pid %ld (%s) killed: its thread died under its pager (pid %ld)\n",
		  (long)c->pid, c->name, (long)c->pager_holder);
	proc_end(c, PAGER_SIGKILL);
	*status = PAGER_SIGKILL;
	return PFWD_ENDED;
}

bool forward_request(struct proc *p, struct ipc_msg *m, uint64_t grant, int64_t *r)
{
	struct proc *c = proc_get(m->w[4]);
	uint64_t kind = m->w[3], status = 0, saved = 0;

	if (!c || c->pager_holder != p->pid || c == p) {
		*r = -ERR_PERM;
		return false;
	}
	if (c->state != PROC_LIVE) {
		*r = -ERR_SRCH;
		return false;
	}
	if (kind == FAULT_KIND_EXIT) {
		*r = forward_death(c, &status);
	} else if (!grant || kind == 0 || kind > FAULT_KIND_ACCESS || m->w[1] > FAULT_EXEC) {
		*r = -ERR_INVAL;
		return false;
	} else {
		struct ipc_msg f = {
			.info = ipc_info(FAULT_LABEL, 0, IPC_KERNEL),
			.w = { m->w[0], m->w[1], m->w[2], kind, 0, 0 },
			.badge = PAGER_FAULT_BADGE(c->pid),
		};
		*r = forward_resolve(c, &f, grant, &status, &saved);
	}
	m->w[1] = status;
	if (!saved)
		return false;
	/* The holder's call was saved as the fill's waiter: answer it here. */
	struct ipc_msg a = { .info = ipc_info(0, 0, 0), .w = { (uint64_t)*r, status } };
	ipc_reply(saved, &a);
	sys_handle_close(saved);
	return true;
}

/* Nobody can answer p's per-task children any more: p ended, or its
 * exec took the endpoint they fault to with the old image (the new
 * program never had it). They end as its children end at its death. */
void forward_holder_gone(struct proc *p)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *c = proc_at(i);
		if (c->state != PROC_LIVE || c->pager_holder != p->pid || c == p)
			continue;
		pager_log("pid %ld (%s) killed by SIGKILL: its pager (pid %ld) ended or exec'd\n",
			  (long)c->pid, c->name, (long)p->pid);
		proc_end(c, PAGER_SIGKILL);
	}
}

void forward_proc_ended(struct proc *p)
{
	if (p->fwd_reply) {
		sys_handle_close(p->fwd_reply);	/* answered, or refused with it */
		p->fwd_reply = 0;
	}
	if (p->fwd_ep) {
		sys_handle_close(p->fwd_ep);
		p->fwd_ep = 0;
	}
	forward_holder_gone(p);
}
