/*
 * Per-region pagers: PAGER_DELEGATE makes a region of a process's space
 * (its own or a descendant's) whose faults another process, the delegate,
 * serves; the default pager keeps the rest. The region is a VMA whose
 * object ("delegate") has no pages of ours: a fault there is forwarded.
 *
 * Forwarding keeps the reply right: the pager saves the fault's reply
 * (SYS_REPLY_SAVE), bounds it to the region and the VMA's rights
 * (SYS_REPLY_BOUND) and grants a copy into the delegate's handle table.
 * The delegate answers the faulting thread directly with FAULT_REPLY_MAP
 * or MAP_RUN of its own pages; the kernel refuses anything outside the
 * bound (abi/fault.h). The pages it maps are derived from its own, so its
 * unmap, its death or the client's munmap takes them away.
 *
 * The pager never waits on the delegate (BRIEF invariant 9): the delegate
 * asks for work (PAGER_DELEGATE_FETCH, answered when a fault comes), and
 * the pager keeps its own copy of each forwarded reply right until the
 * fault is answered: a delegate that dies, or does not answer within
 * DELEGATE_TIMEOUT, leaves the fault to the pager, which ends it with
 * SIGBUS (a handler runs if the process has one). Whether a fault is still
 * pending is asked of the kernel: SYS_REPLY_BOUND on a spent reply is
 * -ERR_SRCH.
 *
 * fork: the child shares the region's object (no clone op), so its copy
 * is delegated too, to the same delegate, which sees the child's pid.
 */
#include <stdio.h>
#include <stdlib.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "delegate.h"
#include "libsys.h"
#include "mmap.h"
#include "pager.h"
#include "ptimer.h"
#include "signals.h"

struct dregion {
	struct memobj obj;	/* first: the VMA's object */
	int64_t delegate_pid;
	uint64_t timeout;	/* rdtime ticks a forwarded fault may wait */
	struct dregion *next, **prevp;	/* every region, for FETCH */
};

static struct dregion *regions;

/* A forwarded fault whose reply right we still hold a copy of. */
struct dfault {
	bool used;
	bool sent;		/* given to the delegate (else queued) */
	int64_t client_pid, delegate_pid;
	uint64_t reply;		/* our handle to the bounded reply object */
	uint64_t lo, hi, rights;	/* its bound */
	uint64_t deadline;
	struct ipc_msg fault;	/* the fault as received */
};

static struct dfault pending[DELEGATE_PENDING_MAX];
/* Delegates blocked in PAGER_DELEGATE_FETCH, by pid (0: free). */
static int64_t fetching[DELEGATE_PENDING_MAX];

static int delegate_fault_op(struct memobj *o, struct fault_req *req)
{
	(void)o;
	(void)req;
	return MEMOBJ_DELEGATE;
}

static void delegate_destroy(struct memobj *o)
{
	struct dregion *r = (struct dregion *)o;

	if ((*r->prevp = r->next))
		r->next->prevp = r->prevp;
	free(r);
}

/* Whether some region names pid its delegate. */
static bool delegate_of_some(int64_t pid)
{
	for (struct dregion *r = regions; r; r = r->next)
		if (r->delegate_pid == pid)
			return true;
	return false;
}

static const struct memobj_ops delegate_ops = {
	.kind = "delegate",
	.fault = delegate_fault_op,
	.destroy = delegate_destroy,
};

static struct proc *live(int64_t pid)
{
	struct proc *p = pid > 0 ? proc_get((uint64_t)pid) : NULL;

	return p && p->state == PROC_LIVE ? p : NULL;
}

/* End client's fault f with SIGBUS: a handler runs if it has one. */
static void bus(struct proc *client, const struct ipc_msg *f, const char *why)
{
	if (signal_fault(client, f, PAGER_SIGBUS))
		return;
	pager_log("pid %ld (%s) killed by SIGBUS: fault at %p: %s\n", (long)client->pid,
		  client->name, (void *)f->w[0], why);
	proc_end(client, PAGER_SIGBUS);
}

/* Whether f's fault still waits for its answer (the kernel knows). */
static bool still_pending(const struct dfault *f)
{
	return sys_reply_bound(f->reply, f->lo, f->hi, f->rights) == 0;
}

static void release(struct dfault *f)
{
	sys_handle_close(f->reply);
	f->used = false;
}

/* Free the records of faults already answered (or whose client died). */
static void reap(int64_t delegate_pid)
{
	for (int i = 0; i < DELEGATE_PENDING_MAX; i++)
		if (pending[i].used && pending[i].sent &&
		    (!delegate_pid || pending[i].delegate_pid == delegate_pid) &&
		    !still_pending(&pending[i]))
			release(&pending[i]);
}

/* The record was taken off the table by the caller (f is a copy): end
 * its fault with SIGBUS if it is still pending. */
static void fail(struct dfault f, const char *why)
{
	struct proc *c = live(f.client_pid);

	/* Answered before our handle goes: were it the last, closing it
	 * would stop the thread without the SIGBUS a handler may take. */
	if (c && still_pending(&f))
		bus(c, &f.fault, why);
	sys_handle_close(f.reply);
}

/* Give f to delegate d, blocked in FETCH at slot k: a handle to the
 * bounded reply in d's table, and the fault's words. */
static void hand_over(struct dfault *f, struct proc *d, int k)
{
	struct ipc_msg r = { .info = ipc_info(0, 0, 0) };
	int64_t h = sys_handle_grant(d->task, f->reply, 0, RIGHT_SEND);

	if (h < 0) {	/* its table is full: that fault cannot be served */
		struct dfault copy = *f;
		f->used = false;
		fail(copy, "the delegate's handle table is full");
		return;
	}
	r.w[0] = (uint64_t)h;
	r.w[1] = f->fault.w[0];
	r.w[2] = f->fault.w[1];
	r.w[3] = f->fault.w[2];
	r.w[4] = (uint64_t)f->client_pid;
	r.w[5] = f->lo;
	fetching[k] = 0;
	/* Not waiting any more (a signal cut its call short): the fault
	 * stays queued for its next fetch (the handle given is its own). */
	f->sent = ipc_reply(d->thread, &r) == 0;
}

static int fetch_slot(int64_t pid)
{
	for (int k = 0; k < DELEGATE_PENDING_MAX; k++)
		if (fetching[k] == pid)
			return k;
	return -1;
}

bool delegate_forward(struct proc *client, struct vma *v, struct ipc_msg *m, int64_t delegate_pid)
{
	struct proc *d = live(delegate_pid ? delegate_pid : ((struct dregion *)v->obj)->delegate_pid);
	struct dfault *f = NULL;
	int64_t h;
	int k;

	if (!d || d == client) {
		bus(client, m, "the region's delegate is gone");
		return false;
	}
	for (int pass = 0; pass < 2 && !f; pass++) {
		for (int i = 0; i < DELEGATE_PENDING_MAX && !f; i++)
			if (!pending[i].used)
				f = &pending[i];
		if (!f && pass == 0)
			reap(0);
	}
	if (!f) {
		bus(client, m, "too many faults forwarded to delegates");
		return false;
	}
	if ((h = sys_reply_save()) < 0) {	/* out of kernel memory: try again */
		m->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
		return true;
	}
	f->reply = (uint64_t)h;
	f->lo = v->node.start;
	f->hi = v->node.end;
	f->rights = v->prot;
	if (sys_reply_bound(f->reply, f->lo, f->hi, f->rights) < 0) {
		sys_handle_close(f->reply);
		bus(client, m, "its reply could not be bounded");
		return false;
	}
	f->used = true;
	f->sent = false;
	f->client_pid = client->pid;
	f->delegate_pid = d->pid;
	f->fault = *m;
	f->deadline = sys_time() + (v->obj->ops == &delegate_ops ?
				    ((struct dregion *)v->obj)->timeout : DELEGATE_TIMEOUT);
	ptimer_arm();
	if ((k = fetch_slot(d->pid)) >= 0)
		hand_over(f, d, k);
	return false;
}

/* PAGER_DELEGATE: w0 pid (0: the caller), w1 address or hint, w2 length,
 * w3 prot, w4 PMAP_FIXED / PMAP_FIXED_NOREPLACE or 0 in its low half and
 * the timeout in milliseconds (0: DELEGATE_TIMEOUT) in its high half, w5
 * delegate pid. */
static int64_t delegate_create(struct proc *p, const uint64_t *w)
{
	struct proc *t = w[0] ? live((int64_t)w[0]) : p, *d = live((int64_t)w[5]);
	uint64_t flags = w[4] & 0xffffffffu, ms = w[4] >> 32;
	struct dregion *r;

	if (!t || !d)
		return -ERR_SRCH;
	if (!proc_is_descendant(t, p))
		return -ERR_PERM;
	if (d == t || (w[3] & ~(uint64_t)(MAP_R | MAP_W | MAP_X)) ||
	    (flags & ~(uint64_t)(PMAP_FIXED | PMAP_FIXED_NOREPLACE)) || !w[2] ||
	    ms > DELEGATE_TIMEOUT_MAX_MS)
		return -ERR_INVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return -ERR_NOMEM;
	r->obj.ops = &delegate_ops;
	r->obj.refs = 1;
	r->delegate_pid = d->pid;
	/* rdtime runs at QEMU virt's 10 MHz: 10,000 ticks a millisecond. */
	r->timeout = ms ? ms * 10000 : DELEGATE_TIMEOUT;
	if ((r->next = regions))
		regions->prevp = &r->next;
	r->prevp = &regions;
	regions = r;
	return mm_map_object(t, w[1], w[2], w[3], PMAP_SHARED | flags, &r->obj, 0, VMA_SHARED);
}

/* PAGER_DELEGATE_FETCH: w0 PDELEGATE_NOWAIT or 0. The oldest fault
 * queued for the caller, or wait for one. */
static bool delegate_fetch(struct proc *p, struct ipc_msg *m, int64_t *r)
{
	struct dfault *oldest = NULL;
	int k;

	reap(p->pid);
	for (int i = 0; i < DELEGATE_PENDING_MAX; i++) {
		struct dfault *f = &pending[i];
		if (f->used && !f->sent && f->delegate_pid == p->pid &&
		    (!oldest || f->deadline < oldest->deadline))
			oldest = f;
	}
	if ((k = fetch_slot(p->pid)) >= 0)
		fetching[k] = 0;	/* an earlier fetch cut short by a signal */
	if (!oldest && !delegate_of_some(p->pid)) {
		*r = -ERR_SRCH;	/* nothing would ever come: do not wait */
		return true;
	}
	if (!oldest && (m->w[0] & PDELEGATE_NOWAIT)) {
		*r = -ERR_AGAIN;
		return true;
	}
	if ((k = fetch_slot(0)) < 0) {
		*r = -ERR_NOSPC;
		return true;
	}
	fetching[k] = p->pid;
	if (oldest)
		hand_over(oldest, p, k);	/* answers through its thread */
	return false;
}

bool delegate_request(struct proc *p, struct ipc_msg *m, int64_t *r)
{
	if (ipc_label(m->info) == PAGER_DELEGATE) {
		*r = delegate_create(p, m->w);
		return true;
	}
	return delegate_fetch(p, m, r);
}

void delegate_proc_gone(struct proc *p)
{
	int k = fetch_slot(p->pid);

	if (k >= 0)
		fetching[k] = 0;
	for (int i = 0; i < DELEGATE_PENDING_MAX; i++) {
		struct dfault *f = &pending[i];
		if (!f->used || (f->delegate_pid != p->pid && f->client_pid != p->pid))
			continue;
		struct dfault copy = *f;	/* fail may end another process */
		f->used = false;
		if (copy.client_pid == p->pid)
			sys_handle_close(copy.reply);
		else
			fail(copy, "its delegate ended");
	}
}

void delegate_tick(void)
{
	uint64_t now = sys_time();

	for (int i = 0; i < DELEGATE_PENDING_MAX; i++) {
		struct dfault *f = &pending[i];
		if (!f->used || f->deadline > now)
			continue;
		struct dfault copy = *f;
		f->used = false;
		fail(copy, "its delegate did not answer in time");
	}
}

uint64_t delegate_next_due(void)
{
	uint64_t due = 0;

	for (int i = 0; i < DELEGATE_PENDING_MAX; i++)
		if (pending[i].used && (!due || pending[i].deadline < due))
			due = pending[i].deadline;
	return due;
}
