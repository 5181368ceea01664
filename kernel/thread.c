/*
 * Threads and the scheduler: one run queue, round robin with a timer
 * quantum; IPC switches directly from caller to callee without it. FP
 * registers are switched lazily: only the thread whose values are in the
 * FP registers (fp_owner) runs with sstatus.FS on; another thread's first
 * FP instruction traps and loads its own.
 *
 * A killed thread's death message goes to its pager (ipc.c); the current
 * thread, killed inside its own system call, stays allocated until the next
 * schedule(). Idle time and timer ticks also work off dying tasks (task.c).
 */
#include "abi/fault.h"
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"
#include "sbi.h"

struct thread *current;
static struct thread_queue runq;
static struct thread *fp_owner;
static uint64_t nthreads, next_id = 1;
uint64_t timer_quantum;

void fp_save(uint64_t *fregs);
void fp_load(const uint64_t *fregs);

void tq_push(struct thread_queue *q, struct thread *t)
{
	KASSERT(!t->qprev && q->head != t);
	t->qnext = NULL;
	t->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = t;
	else
		q->head = t;
	q->tail = t;
}

void tq_remove(struct thread_queue *q, struct thread *t)
{
	KASSERT(t->qprev || q->head == t);
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		q->head = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		q->tail = t->qprev;
	t->qnext = t->qprev = NULL;
}

struct thread *tq_pop(struct thread_queue *q)
{
	struct thread *t = q->head;

	if (t)
		tq_remove(q, t);
	return t;
}

struct thread *thread_create(struct task *task, uint64_t pc, uint64_t sp, uint64_t arg,
			     struct kquota *kq)
{
	struct thread *t = kobj_alloc_q(kq, sizeof(*t));

	if (!t)
		return NULL;
	t->kq = kq;
	t->hdr.type = KOBJ_THREAD;
	t->hdr.refs = 1;	/* alive */
	t->task = task;
	kobj_ref(&task->hdr);
	t->task_next = task->threads;
	task->threads = t;
	task->nthreads++;
	t->regs.x[R_PC] = pc;
	t->regs.x[R_SP] = sp;
	t->regs.x[R_A0] = arg;
	t->id = next_id++;
	nthreads++;
	sched_ready(t);
	return t;
}

void thread_set_pager(struct thread *t, struct endpoint *ep, uint64_t badge)
{
	struct endpoint *old = t->pager;

	/* The new pager first: dropping the old one may free it, which
	 * kills t if its fault is still queued there (nobody can take it),
	 * and the kill must see t's pager as the new one. */
	if (ep)
		kobj_ref(&ep->hdr);
	t->pager = ep;
	t->fault_badge = badge;
	if (old)
		kobj_unref(&old->hdr);
}

static struct thread *dying_self;	/* current thread killed in its syscall */

/* Drop the reference that kept a thread killed inside its own system call
 * allocated until the call was over. */
static void reap_self(void)
{
	struct thread *t = dying_self;

	dying_self = NULL;
	kobj_unref(&t->hdr);
}

/* Kill t; returns the next thread to kill (one whose fault t held). */
static struct thread *thread_kill_one(struct thread *t)
{
	struct task *task = t->task;
	struct endpoint *pager = t->pager;
	struct thread *orphan = ipc_thread_unlink(t);

	if (t->state == TS_READY && t != current)
		tq_remove(&runq, t);
	t->state = TS_DEAD;
	for (struct thread **p = &task->threads; *p; p = &(*p)->task_next) {
		if (*p == t) {
			*p = t->task_next;
			break;
		}
	}
	task->nthreads--;
	nthreads--;
	if (t == current) {
		/* The syscall or trap still running for t may use it: it
		 * stays allocated until the next schedule(). */
		if (dying_self)
			reap_self();
		kobj_ref(&t->hdr);
		dying_self = t;
		current = NULL;
	}
	if (t == fp_owner)
		fp_owner = NULL;
	if (!t->exit_reason)
		t->exit_reason = THREAD_EXIT_KILLED;
	/* The pager hears of every death: the thread itself carries the
	 * message (no allocation), holding its "alive" reference until the
	 * pager takes it or the endpoint goes. */
	t->pager = NULL;
	t->task = NULL;
	kobj_unref(&task->hdr);
	if (!pager || !ipc_death_post(t, pager))
		kobj_unref(&t->hdr);
	if (pager)
		kobj_unref(&pager->hdr);	/* may free it, and t with it */
	return orphan;
}

/* A chain of threads each holding the next one's fault (pagers that
 * faulted while serving) dies in this loop, not by recursion. */
void thread_kill(struct thread *t)
{
	while (t && t->state != TS_DEAD)
		t = thread_kill_one(t);
}

void thread_free(struct thread *t)
{
	KASSERT(t->state == TS_DEAD);
	kobj_free_q(t->kq, t, sizeof(*t));
}

/* Whether a thread waits on the run queue (fastpath.c: a deferred
 * answer does not overtake it). */
bool sched_queued(void)
{
	return runq.head != NULL;
}

void sched_ready(struct thread *t)
{
	if (unlikely(t->suspended)) {
		t->state = TS_SUSPENDED;
		return;
	}
	t->state = TS_READY;
	tq_push(&runq, t);
}

static inline void switch_finish(struct thread *t)
{
	if (t == fp_owner)
		csr_set(sstatus, SSTATUS_FS_INIT << 1);	/* clean */
	vm_activate(&t->task->as);
	current = t;
}

/* The rare parts of a switch, out of the hot path: the state check, and
 * saving FP registers changed since they were loaded. */
static __attribute__((noinline)) void switch_slow(struct thread *t)
{
	KASSERT(t->state == TS_READY);
	if ((csr_read(sstatus) & SSTATUS_FS) == SSTATUS_FS && fp_owner) {
		fp_save(fp_owner->fregs);
	}
	csr_clear(sstatus, SSTATUS_FS);
	switch_finish(t);
}

void switch_to(struct thread *t)
{
	if (unlikely(t->state != TS_READY ||
		     (csr_read(sstatus) & SSTATUS_FS) == SSTATUS_FS)) {
		switch_slow(t);
		return;
	}
	csr_clear(sstatus, SSTATUS_FS);
	switch_finish(t);
}

/* The current thread's first FP instruction since it last lost the FP
 * registers: load its values and let it retry. */
void fp_trap_switch(void)
{
	csr_set(sstatus, SSTATUS_FS_INIT << 1);	/* clean: FP usable again */
	fp_load(current->fregs);
	fp_owner = current;
}

static void idle(void)
{
	current = NULL;
	vm_activate_kernel();
	while (!runq.head) {
		if (teardown_pending()) {	/* idle time goes to teardown */
			teardown_step();
		} else if (nthreads == 0) {
			kprintf("kernel: no threads left; shutting down\n");
			sbi_shutdown(0);
		} else if (!idle_message()) {	/* the pager's deferred work first */
			wfi();
		}
		uint64_t sip = csr_read(sip);
		bool fired;
		if (sip & SIP_STIP)
			timer_interrupt(&fired);	/* wakes sleepers */
		if (sip & SIP_SEIP)
			irq_handle();
	}
}

void schedule(void)
{
	struct thread *t;

	if (dying_self)
		reap_self();
	while (!(t = tq_pop(&runq)))
		idle();
	switch_to(t);
}

void sched_yield(void)
{
	if (!runq.head)
		return;
	tq_push(&runq, current);
	schedule();
}

/* Teardown steps each timer tick does, so a dying tree whose destroyer
 * is gone still comes apart while other threads run. */
#define TICK_TEARDOWN_STEPS 32

void sched_timer_tick(void)
{
	bool fired, tick = timer_interrupt(&fired);

	if (tick) {
		for (int n = 0; n < TICK_TEARDOWN_STEPS && teardown_pending(); n++)
			teardown_step();
	}
	/* A timer that woke a thread lets it run soon, not a quantum later. */
	if (current && (tick || fired))
		sched_yield();
}

uint64_t thread_count(void)
{
	return nthreads;
}

void sched_unready(struct thread *t)
{
	tq_remove(&runq, t);
}
