/*
 * Thread control, for holders of a thread handle with RIGHT_CONTROL:
 * read and write its registers (or only pc and sp), suspend and resume
 * it, set its pager (the pointer itself is kept by thread_set_pager in
 * thread.c).
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

static int64_t thread_regs_read(struct thread *t, struct thread *x, uint64_t buf)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	return copy_to_user(&t->task->as, buf, x->regs.x, sizeof(struct user_regs));
}

/* Only a suspended thread's registers can be written: a running or blocked
 * one is in the middle of something that also writes them. */
static int64_t thread_regs_write(struct thread *t, struct thread *x, uint64_t buf)
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

/*
 * Only the pc and sp of a suspended thread, every other register left as
 * it is. A thread awaiting a reply stays linked to its server while
 * suspended, and the reply may land in its a0..a7 and t1 at any moment,
 * between its controller's SYS_THREAD_REGS_READ and _WRITE too (the
 * controller preempted in between, the server run): a write of the whole
 * set then put back the registers of the call as it was made, and the call
 * "returned" its own request (a0 the handle, a1 its info, a2.. its words).
 * Redirecting the thread (the pager starting a signal handler) needs pc
 * and sp only, and this cannot undo a reply.
 */
static int64_t thread_pc_sp_write(struct thread *x, uint64_t pc, uint64_t sp)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	if (!x->suspended)
		return -ERR_BUSY;
	if (pc >= USER_TOP)
		return -ERR_INVAL;
	x->regs.x[R_PC] = pc;
	x->regs.x[R_SP] = sp;
	return 0;
}

/* The caller is t; suspending itself ends its time slice. */
static int64_t thread_suspend(struct thread *t, struct thread *x)
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

static int64_t thread_resume(struct thread *x)
{
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	x->suspended = false;
	if (x->state == TS_SUSPENDED)
		sched_ready(x);
	return 0;
}

/* The syscalls: every one needs the thread handle's RIGHT_CONTROL. */

static struct thread *control_thread(struct thread *t, uint64_t h, int *err)
{
	struct kobj *o = handle_get(t->task, h, KOBJ_THREAD, RIGHT_CONTROL, NULL, err);

	return o ? container_of(o, struct thread, hdr) : NULL;
}

int64_t sys_thread_regs(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct thread *x = control_thread(t, a[0], &err);

	if (!x)
		return err;
	if (t->regs.x[R_T0] == SYS_THREAD_REGS_READ)
		return thread_regs_read(t, x, a[1]);
	return thread_regs_write(t, x, a[1]);
}

int64_t sys_thread_pc_sp(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct thread *x = control_thread(t, a[0], &err);

	if (!x)
		return err;
	return thread_pc_sp_write(x, a[1], a[2]);
}

int64_t sys_thread_suspend(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct thread *x = control_thread(t, a[0], &err);

	if (!x)
		return err;
	if (t->regs.x[R_T0] == SYS_THREAD_SUSPEND)
		return thread_suspend(t, x);
	return thread_resume(x);
}

int64_t sys_thread_set_pager(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct thread *x = control_thread(t, a[0], &err);
	struct endpoint *pager = NULL;
	uint64_t pager_badge = 0;

	if (!x)
		return err;
	if (a[1] && !(pager = (struct endpoint *)handle_get(t->task, a[1], KOBJ_ENDPOINT,
							      RIGHT_SEND, &pager_badge, &err)))
		return err;
	if (x->state == TS_DEAD)
		return -ERR_SRCH;
	/* The same rule as SYS_THREAD_CREATE: a badged handle's badge wins. */
	thread_set_pager(x, pager, pager_badge ? pager_badge : a[2]);
	return 0;
}
