/*
 * Reply objects: one-shot reply rights. A call links its caller to the
 * receiving thread (thread.reply_to); SYS_REPLY_SAVE moves that link into
 * a reply object named by a handle, so the answer can come later, from any
 * thread holding the handle, in any task it is granted to. The first reply
 * through it answers the caller; the object is then spent. Closing its
 * last handle unanswered refuses the call: the caller's call fails with
 * -ERR_SRCH, and a faulting caller is stopped as FAULT_REPLY_KILL would.
 *
 * The object holds no reference on its client: the client points back at
 * it (thread.reply_cap) and a dying client clears both links.
 */
#include "abi/fault.h"
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"
#include "syscall.h"

/* Turn t's pending caller into a reply handle in t's task. */
int64_t reply_save(struct thread *t)
{
	struct thread *c = t->reply_to;
	struct reply *r;
	int h;

	if (!c)
		return -ERR_SRCH;
	r = kobj_alloc_q(t->task->as.kq, sizeof(*r));
	if (!r)
		return -ERR_NOMEM;
	r->hdr.type = KOBJ_REPLY;
	r->kq = t->task->as.kq;
	h = handle_install(t->task, &r->hdr, RIGHT_SEND | RIGHT_GRANT, 0);
	if (h < 0) {
		kobj_free_q(r->kq, r, sizeof(*r));
		return h;
	}
	t->reply_to = NULL;
	c->reply_server = NULL;
	c->reply_cap = r;
	r->client = c;
	return h;
}

/* Answer r's client with the message in t's registers (already checked
 * by msg_check). */
int64_t reply_send(struct thread *t, struct reply *r)
{
	struct thread *c = r->client;

	if (!c)
		return r->used ? -ERR_INVAL : -ERR_SRCH;
	KASSERT(c->state == TS_REPLY && c->reply_cap == r);
	if (ipc_reply_deliver(t, c, r))
		sched_ready(c);
	return 0;
}

/*
 * SYS_REPLY_BOUND: narrow what a fault reply through r may do, so the
 * right can be granted to a pager that is no ancestor of the faulting
 * task (a per-region delegate, docs/fault-protocol.md). The first bound
 * is set by a task that could map into the faulting task itself (it
 * gives away no more than it has); after that any holder may only
 * narrow it (intersection; lo == hi: nothing may be mapped). -ERR_SRCH
 * once answered or the client is gone, which is how a holder asks
 * whether the fault is still pending.
 */
int64_t reply_bound(struct thread *t, struct reply *r, uint64_t lo, uint64_t hi, uint64_t rights)
{
	struct thread *c = r->client;

	if (!c)
		return -ERR_SRCH;
	if (!c->fault_pending || ((lo | hi) & (PAGE_SIZE - 1)) || lo > hi || hi > USER_TOP ||
	    (rights & ~(uint64_t)(MAP_R | MAP_W | MAP_X)))
		return -ERR_INVAL;
	if (!r->bounded) {
		if (!task_within(c->task, t->task))
			return -ERR_PERM;
		r->bounded = true;
		r->lo = lo;
		r->hi = hi;
		r->max_rights = (uint32_t)rights;
		return 0;
	}
	r->lo = lo > r->lo ? lo : r->lo;
	r->hi = hi < r->hi ? hi : r->hi;
	if (r->hi < r->lo)
		r->hi = r->lo;
	r->max_rights &= (uint32_t)rights;
	return 0;
}

/* A bounded reply may resume or kill the thread, or map a page or run
 * (the replier's own: vm_map_from takes the source from its space) that
 * lies inside [lo, hi) with no right beyond max_rights; never set its
 * registers. */
bool reply_bound_allows(const struct reply *r, uint64_t label, const uint64_t *w)
{
	uint64_t n = label == FAULT_REPLY_MAP ? 1 : w[3];

	if (label == FAULT_REPLY_RESUME || label == FAULT_REPLY_KILL)
		return true;
	if (label != FAULT_REPLY_MAP && label != FAULT_REPLY_MAP_RUN)
		return false;
	return n >= 1 && n <= MAP_RUN_MAX && w[1] >= r->lo && w[1] < r->hi &&
	       n <= (r->hi - w[1]) >> PAGE_SHIFT && !(w[2] & ~(uint64_t)r->max_rights);
}

void reply_client_gone(struct thread *client)
{
	if (client->reply_cap) {
		client->reply_cap->client = NULL;
		client->reply_cap = NULL;
	}
}

/* The last handle is gone: a caller still waiting is refused. */
void reply_free(struct reply *r)
{
	struct thread *c = r->client;

	if (c) {
		r->client = NULL;
		c->reply_cap = NULL;
		if (c->fault_pending) {
			c->fault_pending = false;
			c->exit_reason = THREAD_EXIT_FAULT_KILL;	/* as FAULT_REPLY_KILL */
			thread_kill(c);
		} else {
			c->regs.x[R_A0] = (uint64_t)(int64_t)-ERR_SRCH;
			c->regs.x[R_A1] = 0;
			sched_ready(c);
		}
	}
	kobj_free_q(r->kq, r, sizeof(*r));
}
