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
	if (ipc_reply_deliver(t, c))
		sched_ready(c);
	return 0;
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
