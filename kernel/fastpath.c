/*
 * IPC fast paths, in seL4's shape: a list of guards, each sending the call
 * to the general path (syscall.c, ipc.c) when it does not hold, then the
 * commit, which cannot fail. They cover the two hot cases:
 *   call        to an endpoint with a receiver waiting, registers only;
 *   reply_recv  to a caller (or a faulting thread, with FAULT_REPLY_MAP)
 *               when no sender is queued, registers only.
 * Either switches straight to the other thread. The general path gives the
 * same result for these cases, only slower.
 */
#include "abi/fault.h"
#include "abi/kernel.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"

extern struct task *root_task;	/* the system pager's task (boot.c) */

/* The endpoint behind handle h if it carries `right`, else NULL. */
static inline struct endpoint *fast_endpoint(struct task *task, uint64_t h,
					     uint64_t right, uint64_t *badge)
{
	struct handle *e;
	struct kobj *o;

	if (unlikely(h - 1 >= (uint64_t)task->nhandles - 1))
		return NULL;
	e = &task->handles[h];
	o = e->obj;
	if (unlikely(!o || o->type != KOBJ_ENDPOINT || !(e->rights & right)))
		return NULL;
	*badge = e->badge;
	return (struct endpoint *)o;
}

static inline void copy_words(uint64_t *rx, const uint64_t *sx)
{
	rx[R_A2] = sx[R_A2];
	rx[R_A2 + 1] = sx[R_A2 + 1];
	rx[R_A2 + 2] = sx[R_A2 + 2];
	rx[R_A2 + 3] = sx[R_A2 + 3];
	rx[R_A2 + 4] = sx[R_A2 + 4];
	rx[R_A2 + 5] = sx[R_A2 + 5];
}

/* The end of both call-like commits: t waits for r's reply; r runs. A
 * caller r left unanswered (deferred: answered later through its thread
 * handle) loses its link to r, as the general path's reply_link does. */
static inline void call_switch(struct thread *t, struct thread *r)
{
	if (r->reply_to)
		r->reply_to->reply_server = NULL;
	r->reply_to = t;
	t->reply_server = r;
	t->state = TS_REPLY;
	r->state = TS_READY;
	switch_to(r);
}

bool fastpath_call(struct thread *t)
{
	uint64_t *x = t->regs.x, info = x[R_A1], badge;
	struct endpoint *ep;
	struct thread *r;

	if (unlikely(info & (IPC_LEN_MASK | IPC_GRANT)))
		return false;
	ep = fast_endpoint(t->task, x[R_A0], RIGHT_SEND, &badge);
	if (unlikely(!ep))
		return false;
	r = ep->receivers.head;
	if (unlikely(!r))
		return false;

	/* Commit. */
	tq_remove(&ep->receivers, r);
	uint64_t *rx = r->regs.x;
	rx[R_A0] = 0;
	rx[R_A1] = info & ~(uint64_t)IPC_KERNEL;
	copy_words(rx, x);
	rx[R_T1] = badge;
	t->send_badge = badge;
	t->send_is_call = true;
	call_switch(t, r);
	return true;
}

/* The answer in t's registers, delivered to c: its words, or for a fault
 * the page or run mapped (anything else, or a map that fails, goes the
 * general way, which also reports and stops the thread). False: nothing
 * was done. */
static inline bool fast_answer(struct thread *t, struct thread *c, uint64_t info)
{
	uint64_t *x = t->regs.x, label = ipc_label(info);

	if (c->fault_pending) {
		/* The root task (the system pager) holds every task: no
		 * walk up the faulting task's ancestors for it. */
		if (unlikely(t->task != root_task && !task_within(c->task, t->task)))
			return false;
		if (likely(label == FAULT_REPLY_MAP)) {
			if (unlikely(vm_map_from(&t->task->as, x[R_A2], &c->task->as,
						 x[R_A2 + 1], x[R_A2 + 2]) != 0))
				return false;
		} else if (label != FAULT_REPLY_MAP_RUN ||
			   vm_map_run(&t->task->as, x[R_A2], &c->task->as, x[R_A2 + 1],
				      x[R_A2 + 2], x[R_A2 + 3]) != 0) {
			return false;
		}
		c->fault_pending = false;
	} else {
		uint64_t *cx = c->regs.x;
		cx[R_A0] = 0;
		cx[R_A1] = info & ~(uint64_t)IPC_KERNEL;
		copy_words(cx, x);
		cx[R_T1] = 0;
	}
	return true;
}

/* The commit both reply-and-receive paths end with, once c's server has
 * let go of it: c (answered) runs, t waits on ep. Inlined: these are the
 * fast path's last stores, the same code as written out in each. */
static inline __attribute__((always_inline)) void answered_then_recv(struct thread *t,
								     struct thread *c,
								     struct endpoint *ep)
{
	c->reply_server = NULL;
	c->state = TS_READY;
	t->state = TS_RECV;
	t->blocked_ep = ep;
	tq_push(&ep->receivers, t);
	switch_to(c);
}

bool fastpath_reply_recv(struct thread *t)
{
	uint64_t *x = t->regs.x, info = x[R_A1], badge;
	struct endpoint *ep;
	struct thread *c = t->reply_to;

	if (unlikely(!c || c->suspended || (info & (IPC_LEN_MASK | IPC_GRANT))))
		return false;
	ep = fast_endpoint(t->task, x[R_A0], RIGHT_RECV, &badge);
	if (unlikely(!ep || ep->senders.head))
		return false;
	if (unlikely(!fast_answer(t, c, info)))
		return false;

	/* Commit. */
	t->reply_to = NULL;
	answered_then_recv(t, c, ep);
	return true;
}

/* t2 = source | (pages - 1), t3 = destination | rights; t2 = 0: none.
 * The rules of a fault reply's map: c's task is the caller's or one it
 * made, the source the caller's own; all or nothing. */
int64_t reply_map_item(struct thread *t, struct thread *c)
{
	uint64_t *x = t->regs.x, n = (x[R_T2] & (PAGE_SIZE - 1)) + 1;
	uint64_t src = x[R_T2] & ~(PAGE_SIZE - 1), dst = x[R_T3] & ~(PAGE_SIZE - 1);
	uint64_t rights = x[R_T3] & (PAGE_SIZE - 1);

	if (!x[R_T2])
		return 0;
	if (t->task != root_task && !task_within(c->task, t->task))
		return -ERR_PERM;
	if (c->task->dead)
		return -ERR_SRCH;
	if (n == 1)
		return vm_map_from(&t->task->as, src, &c->task->as, dst, rights);
	return vm_map_run(&t->task->as, src, &c->task->as, dst, rights, n);
}

/* SYS_IPC_REPLY_TO_RECV through a thread handle (a deferred caller) when
 * no sender is queued: the answer as reply_recv's, then t receives and
 * the answered thread runs. Reply objects go the general way. */
bool fastpath_reply_to_recv(struct thread *t)
{
	uint64_t *x = t->regs.x, info = x[R_A1], h = x[R_T1], badge;
	struct task *task = t->task;
	struct endpoint *ep;
	struct handle *e;
	struct thread *c;

	if (unlikely((info & (IPC_LEN_MASK | IPC_GRANT)) || h - 1 >= (uint64_t)task->nhandles - 1))
		return false;
	e = &task->handles[h];
	if (unlikely(!e->obj || e->obj->type != KOBJ_THREAD || !(e->rights & RIGHT_CONTROL)))
		return false;
	c = container_of(e->obj, struct thread, hdr);
	if (unlikely(c->state != TS_REPLY || c->suspended || c->reply_cap))
		return false;
	ep = fast_endpoint(task, x[R_A0], RIGHT_RECV, &badge);
	if (unlikely(!ep || ep->senders.head || sched_queued()))
		return false;	/* (ready threads go first, as the general path has it) */
	/* A map item that fails is the general path's to report (it maps
	 * nothing); one that succeeded there is done again, the same. */
	if (unlikely(x[R_T2] && reply_map_item(t, c) != 0) || unlikely(!fast_answer(t, c, info)))
		return false;

	/* Commit. */
	if (c->reply_server)
		c->reply_server->reply_to = NULL;
	answered_then_recv(t, c, ep);
	return true;
}

/* A page fault (scause 12, 13 or 15) when the thread's pager is waiting:
 * the fault message goes straight into the pager's registers. */
bool fastpath_fault(struct thread *t, uint64_t cause)
{
	struct endpoint *ep = t->pager;
	struct thread *r;

	if (unlikely(!ep))
		return false;
	r = ep->receivers.head;
	if (unlikely(!r))
		return false;

	/* Commit. */
	uint64_t *rx = r->regs.x;
	uint64_t addr = csr_read(stval);
	tq_remove(&ep->receivers, r);
	t->fault[0] = addr;	/* kept for reports if the pager goes away */
	t->fault_pending = true;
	rx[R_A0] = 0;
	rx[R_A1] = ipc_info(FAULT_LABEL, 0, IPC_KERNEL);
	rx[R_A2] = addr;
	rx[R_A2 + 1] = cause == EXC_STORE_PAGE ? FAULT_WRITE :
		       cause == EXC_INST_PAGE ? FAULT_EXEC : FAULT_READ;
	rx[R_A2 + 2] = t->regs.x[R_PC];
	rx[R_A2 + 3] = FAULT_KIND_PAGE;
	rx[R_A2 + 4] = cause;
	rx[R_A7] = 0;
	rx[R_T1] = t->fault_badge;
	call_switch(t, r);
	return true;
}
