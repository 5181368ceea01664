/*
 * Thread control, for holders of a thread handle with RIGHT_CONTROL:
 * read and write its registers, suspend and resume it. (Setting its pager
 * is thread_set_pager in thread.c.)
 *
 * Suspension is a flag beside the thread state. A ready thread leaves the
 * run queue. A thread blocked in send, receive or wait is taken off its
 * queue and its call cut short: on resume it returns -ERR_INTR, or, if it
 * was sending a fault, retries the faulting instruction (faulting again).
 * A thread awaiting a reply stays linked to its server; the reply is
 * delivered into its registers, and it runs only once resumed. Whatever
 * would make a suspended thread ready parks it in TS_SUSPENDED instead
 * (sched_ready), so nothing but resume puts it back in the run queue, and
 * a suspended thread can be killed like any other: it is on no queue.
 */
#include "abi/kernel.h"
#include "lib.h"
#include "object.h"
#include "syscall.h"

int64_t thread_regs_read(struct thread *t, struct thread *x, uint64_t buf)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	return copy_to_user(&t->task->as, buf, x->regs.x, sizeof(struct user_regs));
}

/* Only a suspended thread's registers can be written: a running or blocked
 * one is in the middle of something that also writes them. */
int64_t thread_regs_write(struct thread *t, struct thread *x, uint64_t buf)
{
	struct user_regs ur;

	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	if (!x->suspended)
		return -ERR_BUSY;
	if (copy_from_user(&t->task->as, &ur, buf, sizeof(ur)) < 0)
		return -ERR_FAULT;
	if (ur.x[R_PC] >= USER_TOP)
		return -ERR_INVAL;
	memcpy(x->regs.x, ur.x, sizeof(ur));
	return 0;
}

/* The caller is t; suspending itself ends its time slice. */
int64_t thread_suspend(struct thread *t, struct thread *x)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	if (x->suspended)
		return 0;
	x->suspended = true;
	switch (x->state) {
	case TS_READY:
		if (x == t) {
			x->state = TS_SUSPENDED;
			x->regs.x[R_A0] = 0;
			schedule();
			return SYS_NORESULT;
		}
		sched_unready(x);
		break;
	case TS_SEND:
		tq_remove(&x->blocked_ep->senders, x);
		break;
	case TS_RECV:
		tq_remove(&x->blocked_ep->receivers, x);
		break;
	case TS_NOTIF:
		if (x->blocked_notif->waiter == x)
			x->blocked_notif->waiter = NULL;
		break;
	default:	/* TS_REPLY: stays linked; the reply parks it */
		return 0;
	}
	if (x->fault_pending) {
		x->fault_pending = false;	/* pc is still the faulting one */
	} else if (x->state != TS_READY) {
		x->regs.x[R_A0] = (uint64_t)(int64_t)-ERR_INTR;
		x->regs.x[R_A1] = 0;
	}
	x->state = TS_SUSPENDED;
	return 0;
}

int64_t thread_resume(struct thread *x)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	x->suspended = false;
	if (x->state == TS_SUSPENDED)
		sched_ready(x);
	return 0;
}
