/*
 * Tasks: an address space plus a handle table, and the threads running in
 * it; and their teardown. Destroying a task (or dropping its last
 * reference) marks it dead and puts it on the dying_tasks list; the list is
 * worked off one bounded step at a time (kill a thread, kill a child,
 * close a handle, free the page tables), from SYS_TASK_DESTROY (which
 * restarts itself when an interrupt is pending), from every timer tick and
 * from the idle loop. So teardown never recurses, never runs long with
 * interrupts off, and any graph of tasks and handles comes apart without
 * a hang. The task struct itself lives on while references name it.
 *
 * Also the kernel-memory accounts embedded in tasks: who is charged for a
 * task, handing a child a limit of its own, and freeing an account only
 * once nothing charged to it remains.
 */
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "mapdb.h"
#include "object.h"
#include "riscv.h"

static uint64_t ntasks;
struct task *dying_tasks;	/* a stack through td_next: depth first */

/* Most handle slots one step looks at for one to close. */
#define TD_SCAN 256

static void child_link(struct task *parent, struct task *t)
{
	t->parent = parent;
	t->sibling_prev = NULL;
	t->sibling = parent->children;
	if (parent->children)
		parent->children->sibling_prev = t;
	parent->children = t;
}

static void child_unlink(struct task *t)
{
	if (t->sibling_prev)
		t->sibling_prev->sibling = t->sibling;
	else
		t->parent->children = t->sibling;
	if (t->sibling)
		t->sibling->sibling_prev = t->sibling_prev;
	t->sibling = t->sibling_prev = NULL;
}

/* What a task costs its account itself: the struct and its handle table
 * (the root's boot-time table is outside the pool). */
static uint64_t self_cost(const struct task *t)
{
	return kmem_cost(sizeof(*t)) + (t->nhandles == HANDLES_PER_PAGE ? PAGE_SIZE : 0);
}

/*
 * A new task charges the account of its creator (parent->as.kq) for its
 * struct, handle table and page tables, until its parent gives it one of
 * its own (task_quota_set). The root (parent NULL, the pager) is its own
 * account; boot.c sets its limit to the pool.
 */
struct task *task_create(struct task *parent, void *handle_pages, uint32_t nhandles)
{
	struct kquota *q = parent ? parent->as.kq : NULL;
	struct task *t;

	if (parent && parent->dead)
		return NULL;
	if (!(t = q ? kobj_alloc_q(q, sizeof(*t)) : kobj_alloc(sizeof(*t))))
		return NULL;
	if (!q) {
		q = &t->kq;
		q->limit = ~0ul;
		q->used = kmem_cost(sizeof(*t));
	}
	t->as.kq = q;
	t->hdr.type = KOBJ_TASK;
	if (vm_create(&t->as) < 0) {
		kobj_free_q(q, t, sizeof(*t));
		return NULL;
	}
	if (handle_table_init(t, nhandles, handle_pages) < 0) {
		vm_destroy(&t->as);
		kobj_free_q(q, t, sizeof(*t));
		return NULL;
	}
	if (parent)
		child_link(parent, t);
	ntasks++;
	return t;
}

bool task_within(const struct task *t, const struct task *ancestor)
{
	for (; t; t = t->parent)
		if (t == ancestor)
			return true;
	return false;
}

static void dying_push(struct task *t)
{
	t->td_next = dying_tasks;
	dying_tasks = t;
	t->td_listed = true;
}

void task_kill(struct task *t)
{
	if (t->dead)
		return;
	t->dead = true;
	t->td_phase = TD_THREADS;
	t->td_cursor = 1;
	kobj_ref(&t->hdr);	/* the dying_tasks list's, dropped when done */
	if (t->parent) {	/* the parent is done only after us */
		child_unlink(t);
		t->parent->ndying++;
	}
	dying_push(t);
}

/* All of t is gone: tell its parent, drop the list's reference. */
static void task_done(struct task *t)
{
	struct task *p = t->parent;

	t->td_phase = TD_DONE;
	t->parent = NULL;
	/* Its handle table is empty now: it goes, so a struct that handles
	 * elsewhere keep alive pins as little of its account as it can. */
	if (t->nhandles == HANDLES_PER_PAGE) {
		kpage_free(t->handles);
		t->handles = NULL;
		t->nhandles = 0;
		if (t->as.kq == &t->kq)
			t->kq.keep -= PAGE_SIZE;
		kq_uncharge(t->as.kq, PAGE_SIZE);
	}
	if (p && --p->ndying == 0 && p->td_phase == TD_WAIT && !p->td_listed)
		dying_push(p);
	kobj_unref(&t->hdr);
}

/* One bounded piece of work on the task on top of the dying_tasks list. Work
 * that kills a task pushes it above, so a tree goes depth first and the
 * list, not the stack, holds the depth. */
void teardown_step(void)
{
	struct task *t = dying_tasks;

	if (!t)
		return;
	switch (t->td_phase) {
	case TD_THREADS:
		if (t->threads) {
			thread_kill(t->threads);
			return;
		}
		t->td_phase = TD_CHILDREN;
		/* fall through */
	case TD_CHILDREN:
		if (t->children) {
			task_kill(t->children);
			return;
		}
		t->td_phase = TD_HANDLES;
		/* fall through */
	case TD_HANDLES:
		for (uint32_t n = 0; t->td_cursor < t->nhandles && n < TD_SCAN; n++) {
			uint32_t h = t->td_cursor++;
			if (t->handles[h].obj) {
				handle_close(t, h);	/* may push more work above */
				return;
			}
		}
		if (t->td_cursor < t->nhandles)
			return;
		t->td_phase = TD_VM;
		return;
	case TD_VM:
		if (!current)	/* its root may be the one satp still names */
			vm_activate_kernel();
		if (!vm_destroy_step(&t->as))	/* bounded: big spaces take many steps */
			return;
		t->td_phase = TD_WAIT;
		return;
	case TD_WAIT:
		dying_tasks = t->td_next;
		t->td_listed = false;
		if (t->ndying == 0)	/* else the last child to finish lists it */
			task_done(t);
		return;
	default:
		panic("teardown: task in phase %u on the dying_tasks list", t->td_phase);
	}
}

bool preempt_pending(void)
{
	return (csr_read(sip) & (SIP_STIP | SIP_SEIP)) != 0;
}

int task_destroy(struct task *target, struct thread *self)
{
	int r;

	kobj_ref(&target->hdr);
	task_kill(target);
	/* At least one step per call, so an interrupt that stays pending
	 * cannot stop progress; steps go on even if self died (it is kept). */
	while (target->td_phase != TD_DONE) {
		KASSERT(dying_tasks);	/* a dead task not done has work listed */
		teardown_step();
		if (preempt_pending())
			break;
	}
	r = self->state == TS_DEAD ? 1 : target->td_phase == TD_DONE ? 0 : -ERR_AGAIN;
	kobj_unref(&target->hdr);
	return r;
}

void teardown_help(void)
{
	while (dying_tasks && !preempt_pending())
		teardown_step();
}

void task_free(struct task *t)
{
	if (!t->dead) {		/* last reference: tear down, then free */
		task_kill(t);
		return;
	}
	KASSERT(t->td_phase == TD_DONE && t->nthreads == 0 && !t->children);
	ntasks--;
	if (t->as.kq != &t->kq) {	/* charged to the account it shares */
		struct kquota *q = t->as.kq;
		uint64_t cost = self_cost(t);	/* the table went in task_done */
		kobj_free(t, sizeof(*t));
		kq_uncharge(q, cost);
		return;
	}
	/* An account of its own stays while objects it paid for live on
	 * (endpoints, threads, tasks others still hold): it goes, and its
	 * carve returns to its parent, when the last of them goes. */
	t->kq.orphan = true;
	if (t->kq.limit > t->kq.used) {	/* keep only what is in use */
		uint64_t spare = t->kq.limit - t->kq.used;
		t->kq.limit = t->kq.used;
		kq_uncharge(t->kq.parent, spare);
	}
	if (t->kq.used == t->kq.keep)
		task_account_release(&t->kq);
}

/* A loop, not recursion: returning a carve can empty an orphan above. */
void task_account_release(struct kquota *q)
{
	while (q && q->orphan && q->used == q->keep) {
		struct task *t = container_of(q, struct task, kq);
		struct kquota *p = q->parent;
		uint64_t carve = q->limit;

		kobj_free(t, sizeof(*t));
		KASSERT(p && p->used >= carve);
		p->used -= carve;
		q = p;
	}
}

int task_quota_set(struct task *by, struct task *t, uint64_t limit)
{
	struct kquota *from, *old = t->as.kq;

	if (old != &t->kq) {
		/* Its first own limit: what it has so far moves into it. */
		uint64_t own = self_cost(t) + t->as.pt_pages * PAGE_SIZE +
			       t->as.mdb_nodes * mapdb_record_cost();
		from = by->as.kq;
		if (limit < own)
			return -ERR_INVAL;
		if (limit > from->limit - from->used + (old == from ? own : 0))
			return -ERR_NOMEM;
		kq_uncharge(old, own);
		from->used += limit;
		t->kq.used = own;
		t->kq.limit = limit;
		t->kq.keep = self_cost(t);
		t->kq.parent = from;
		t->kq.orphan = false;
		t->as.kq = &t->kq;
		return 0;
	}
	from = t->kq.parent;
	if (limit < t->kq.used)
		return -ERR_INVAL;
	if (limit > t->kq.limit) {
		if (kq_charge(from, limit - t->kq.limit) < 0)
			return -ERR_NOMEM;
	} else {
		kq_uncharge(from, t->kq.limit - limit);
	}
	t->kq.limit = limit;
	return 0;
}

uint64_t task_count(void)
{
	return ntasks;
}
