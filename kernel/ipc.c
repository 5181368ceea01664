/*
 * Synchronous IPC on endpoints, and fault forwarding built on it.
 *
 * A message is the info word and six words in registers, plus optionally
 * up to a page copied between the two threads' IPC buffers and one handle.
 * A call blocks the caller until the receiver replies; the receiver keeps
 * the caller in reply_to until its next reply_recv (or recv). A fault is a
 * call the kernel makes for the faulting thread: its message comes from
 * thread.fault[] and its reply is interpreted here (map, resume or kill)
 * instead of being copied into registers.
 *
 * A server can also take its caller's reply right out of the implicit link
 * as a reply object (reply.c) and answer later from any thread.
 *
 * Fast path: call to a waiting receiver and reply_recv to a caller with no
 * sender queued switch straight to the other thread, bypassing the run
 * queue.
 */
#include "abi/fault.h"
#include "abi/kernel.h"
#include "device.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"
#include "sbi.h"

extern struct task *root_task;

struct endpoint *endpoint_create(struct kquota *kq)
{
	struct endpoint *ep = kobj_alloc_q(kq, sizeof(*ep));

	if (ep) {
		ep->hdr.type = KOBJ_ENDPOINT;
		ep->kq = kq;
	}
	return ep;
}

/* The death message of t was delivered or dropped: let t go. */
static void death_done(struct thread *t)
{
	t->exit_pending = false;
	kobj_unref(&t->hdr);
}

/* Deliver dead thread s's death message (abi/fault.h) into r's registers. */
static void death_deliver(struct thread *s, struct thread *r)
{
	uint64_t *rx = r->regs.x;

	rx[R_A0] = 0;
	rx[R_A1] = ipc_info(THREAD_EXIT_LABEL, 0, IPC_KERNEL);
	rx[R_A2] = s->exit_reason;
	rx[R_A2 + 1] = s->regs.x[R_PC];
	rx[R_A2 + 2] = s->fault[0];
	rx[R_A2 + 3] = FAULT_KIND_EXIT;
	rx[R_A2 + 4] = s->id;
	rx[R_A7] = 0;
	rx[R_T1] = s->fault_badge;
	death_done(s);
}

/* Wake a thread whose partner went away: its syscall fails with err; a
 * thread blocked on a fault cannot be served any more and is stopped. */
static void wake_error(struct thread *t, int err)
{
	if (t->exit_pending) {	/* a death message nobody will take */
		death_done(t);
		return;
	}
	if (t->fault_pending) {
		t->exit_reason = THREAD_EXIT_PAGER_GONE;
		thread_kill(t);
		return;
	}
	t->regs.x[R_A0] = (uint64_t)(int64_t)err;
	t->regs.x[R_A1] = 0;
	sched_ready(t);
}

/*
 * Freeing an endpoint kills the faulting threads queued on it, and a
 * killed thread drops its reference on its own pager endpoint, which may
 * be freed in turn: a user can chain any number of them (thread control
 * gives a thread with a queued fault another pager). So endpoints to free
 * go on a list that the outermost call works off: the kernel stack stays
 * the same for a chain of any length.
 */
static struct endpoint *ep_free_list;
static bool ep_freeing;

void endpoint_free(struct endpoint *ep)
{
	struct thread *t;

	ep->free_next = ep_free_list;
	ep_free_list = ep;
	if (ep_freeing)
		return;
	ep_freeing = true;
	while ((ep = ep_free_list)) {
		ep_free_list = ep->free_next;
		/* A sender is off the queue once popped: one killed here (a
		 * fault queued before its thread was given another pager) must
		 * not be taken off it again by the kill. It is woken or killed
		 * at once. */
		while ((t = tq_pop(&ep->senders))) {
			if (t->state == TS_SEND)
				t->state = TS_SUSPENDED;
			wake_error(t, -ERR_BADF);
		}
		while ((t = tq_pop(&ep->receivers)))
			wake_error(t, -ERR_BADF);
		kobj_free_q(ep->kq, ep, sizeof(*ep));
	}
	ep_freeing = false;
}

/* The page behind a thread's IPC buffer with `need` PTE bits, or 0. */
static void *ipcbuf_page(struct thread *t, uint64_t need)
{
	uint64_t pa, flags;

	if (!t->ipcbuf || !vm_lookup(&t->task->as, t->ipcbuf, &pa, &flags) ||
	    (flags & need) != need || !phys_is_ram(pa))
		return NULL;
	return P2V(pa);
}

/* The rare parts of a transfer: buffer payload and handle grant. Returns
 * the info word the receiver sees. A buffer that cannot be read or written
 * delivers the message with length 0. */
static __attribute__((noinline)) uint64_t transfer_extra(struct thread *s, struct thread *r,
						       uint64_t info)
{
	uint64_t len = ipc_len(info);

	if (len) {
		void *src = ipcbuf_page(s, PTE_U | PTE_R);
		void *dst = ipcbuf_page(r, PTE_U | PTE_W);
		if (src && dst && len <= IPC_BUF_SIZE)
			memcpy(dst, src, len);
		else
			info &= ~(uint64_t)IPC_LEN_MASK;
	}
	if (info & IPC_GRANT) {
		struct handle *h;
		int64_t res = -ERR_BADF;
		uint64_t idx = s->regs.x[R_A7];
		if (idx > 0 && idx < s->task->nhandles && (h = &s->task->handles[idx])->obj) {
			res = !(h->rights & RIGHT_GRANT) ? -ERR_PERM :
			      handle_install_at(r->task, r->recv_slot, h->obj, h->rights, h->badge);
		}
		r->regs.x[R_A7] = (uint64_t)res;
	}
	return info;
}

/* Deliver s's message (or fault) into r's registers. */
static void transfer(struct thread *s, struct thread *r, uint64_t badge)
{
	uint64_t *rx = r->regs.x;

	if (s->fault_pending) {
		rx[R_A1] = ipc_info(FAULT_LABEL, 0, IPC_KERNEL);
		rx[R_A2] = s->fault[0];
		rx[R_A2 + 1] = s->fault[1];
		rx[R_A2 + 2] = s->fault[2];
		rx[R_A2 + 3] = s->fault[3];
		rx[R_A2 + 4] = s->fault[4];
		rx[R_A7] = 0;
		rx[R_T1] = s->fault_badge;
	} else {
		const uint64_t *sx = s->regs.x;
		uint64_t info = sx[R_A1] & ~(uint64_t)IPC_KERNEL;
		for (int i = 0; i < IPC_WORDS; i++)
			rx[R_A2 + i] = sx[R_A2 + i];
		if (unlikely(info & (IPC_LEN_MASK | IPC_GRANT)))
			info = transfer_extra(s, r, info);
		rx[R_A1] = info;
		rx[R_T1] = badge;
	}
	rx[R_A0] = 0;
}

/* A pager's reply to a fault. True if the thread may run again. Through
 * a bounded reply object (reply.c) the bound replaces the rule that the
 * faulting task be the replier's own or one it created. */
static bool fault_resolve(struct thread *pager, struct thread *t, const struct reply *bound)
{
	const uint64_t *px = pager->regs.x;
	uint64_t label = ipc_label(px[R_A1]);
	bool may_map;

	t->fault_pending = false;
	if (unlikely(bound != NULL)) {
		if (!reply_bound_allows(bound, label, px + R_A2))
			label = 0;	/* malformed: nothing is mapped */
		may_map = true;
	} else {
		may_map = task_within(t->task, pager->task);
	}
	if (label == FAULT_REPLY_RESUME)
		return true;
	if (label == FAULT_REPLY_REGS && px[R_A2] < USER_TOP && px[R_A2 + 1] < USER_TOP) {
		uint64_t *tx = t->regs.x;
		tx[R_PC] = px[R_A2];
		tx[R_SP] = px[R_A2 + 1];
		tx[R_RA] = px[R_A2 + 2];
		tx[R_A0] = px[R_A2 + 3];
		tx[R_A1] = px[R_A2 + 4];
		tx[R_A2] = px[R_A2 + 5];
		return true;
	}
	int r = -ERR_INVAL;
	if (label == FAULT_REPLY_MAP && may_map &&
	    (r = vm_map_from(&pager->task->as, px[R_A2], &t->task->as, px[R_A2 + 1],
			     px[R_A2 + 2])) == 0)
		return true;
	if (label == FAULT_REPLY_MAP_RUN && may_map &&
	    (r = vm_map_run(&pager->task->as, px[R_A2], &t->task->as, px[R_A2 + 1], px[R_A2 + 2],
			    px[R_A2 + 3])) == 0)
		return true;
	/* Reported to the pager by the death message, not on the console; a
	 * map the target's kernel-memory quota (or the pool) cannot hold is
	 * THREAD_EXIT_NOMEM, so the pager can say why the process ended. */
	t->exit_reason = label == FAULT_REPLY_KILL ? THREAD_EXIT_FAULT_KILL :
			 r == -ERR_NOMEM ? THREAD_EXIT_NOMEM : THREAD_EXIT_BAD_REPLY;
	thread_kill(t);
	return false;
}

/* The server's pending caller (if any) stays blocked, to be answered later
 * by a holder of its thread handle (SYS_IPC_REPLY): how a server defers an
 * answer. */
static void reply_detach(struct thread *server)
{
	if (server->reply_to) {
		server->reply_to->reply_server = NULL;
		server->reply_to = NULL;
	}
}

static void reply_link(struct thread *server, struct thread *client)
{
	reply_detach(server);
	server->reply_to = client;
	client->reply_server = server;
	client->state = TS_REPLY;
}

/* Reply from server to client; true if the client may run now (not yet
 * queued). The client's reply right is used up, whichever way it was held:
 * the implicit link or a reply object. */
bool ipc_reply_deliver(struct thread *server, struct thread *client, const struct reply *via)
{
	/* Only a reply through the bounded object itself is bounded: a
	 * holder of the thread's handle (RIGHT_CONTROL) is not. */
	const struct reply *bound = via && via->bounded ? via : NULL;

	if (client->reply_server)
		client->reply_server->reply_to = NULL;
	client->reply_server = NULL;
	if (unlikely(client->reply_cap != NULL)) {
		client->reply_cap->client = NULL;
		client->reply_cap->used = true;
		client->reply_cap = NULL;
	}
	if (client->fault_pending) {
		if (!fault_resolve(server, client, bound))
			return false;
	} else {
		transfer(server, client, 0);
	}
	if (unlikely(client->suspended)) {	/* answered, but kept from running */
		client->state = TS_SUSPENDED;
		return false;
	}
	client->state = TS_READY;
	return true;
}

void ipc_call(struct thread *t, struct endpoint *ep, uint64_t badge)
{
	struct thread *r = ep->receivers.head;

	t->send_badge = badge;
	t->send_is_call = true;
	if (likely(r != NULL)) {
		tq_remove(&ep->receivers, r);
		transfer(t, r, badge);
		reply_link(r, t);
		r->state = TS_READY;
		switch_to(r);
		return;
	}
	t->state = TS_SEND;
	t->blocked_ep = ep;
	tq_push(&ep->senders, t);
	schedule();
}

void ipc_send(struct thread *t, struct endpoint *ep, uint64_t badge)
{
	struct thread *r = ep->receivers.head;

	t->send_badge = badge;
	t->send_is_call = false;
	if (r) {
		tq_remove(&ep->receivers, r);
		reply_detach(r);	/* a send has nobody to answer */
		transfer(t, r, badge);
		t->regs.x[R_A0] = 0;
		sched_ready(r);
		return;
	}
	t->state = TS_SEND;
	t->blocked_ep = ep;
	tq_push(&ep->senders, t);
	schedule();
}

/* Take a queued sender's message if there is one; else block t. */
static bool recv_or_block(struct thread *t, struct endpoint *ep)
{
	struct thread *s = tq_pop(&ep->senders);

	if (s && unlikely(s->exit_pending)) {
		reply_detach(t);	/* nobody to answer */
		death_deliver(s, t);
		return true;
	}
	if (s) {
		transfer(s, t, s->send_badge);
		if (s->send_is_call || s->fault_pending) {
			reply_link(t, s);
		} else {
			reply_detach(t);	/* a send has nobody to answer */
			s->regs.x[R_A0] = 0;
			sched_ready(s);
		}
		return true;
	}
	t->state = TS_RECV;
	t->blocked_ep = ep;
	tq_push(&ep->receivers, t);
	return false;
}

void ipc_recv(struct thread *t, struct endpoint *ep)
{
	if (!recv_or_block(t, ep))
		schedule();
}

void ipc_reply_recv(struct thread *t, struct endpoint *ep)
{
	struct thread *c = t->reply_to;
	bool c_ready = c && ipc_reply_deliver(t, c, NULL);

	if (unlikely(t->state == TS_DEAD)) {	/* never queue a dead thread */
		if (c_ready)
			sched_ready(c);
		return;
	}
	if (recv_or_block(t, ep)) {
		if (c_ready)
			sched_ready(c);
		return;
	}
	if (likely(c_ready))
		switch_to(c);
	else
		schedule();
}

int ipc_reply(struct thread *t, struct thread *client)
{
	if (client->state != TS_REPLY)
		return -ERR_INVAL;
	if (ipc_reply_deliver(t, client, NULL))
		sched_ready(client);
	t->regs.x[R_A0] = 0;
	return 0;
}

void ipc_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t kind, uint64_t cause)
{
	t->fault[0] = addr;
	t->fault[1] = access;
	t->fault[2] = t->regs.x[R_PC];
	t->fault[3] = kind;
	t->fault[4] = cause;
	if (!t->pager) {
		if (t->task == root_task) {
			kprintf("kernel: the pager died: cause %lu, addr %p, pc %p\n",
				cause, (void *)addr, (void *)t->fault[2]);
			sbi_shutdown(1);
		}
		thread_kill(t);		/* nobody to tell, nothing to print */
		schedule();
		return;
	}
	t->fault_pending = true;
	ipc_call(t, t->pager, t->fault_badge);
}

bool ipc_death_post(struct thread *t, struct endpoint *ep)
{
	struct thread *r = ep->receivers.head;

	t->exit_pending = true;
	if (r) {
		tq_remove(&ep->receivers, r);
		reply_detach(r);
		death_deliver(t, r);
		sched_ready(r);
		return true;
	}
	t->blocked_ep = ep;
	tq_push(&ep->senders, t);
	return true;
}

/* A message from the kernel itself, with no sender thread: delivered only
 * to a thread already waiting to receive on ep (nothing is queued), as
 * IPC_KERNEL with `label`, badge 0 and every word 0. False if no thread
 * waits. Used by the idle message (idle.c). */
bool ipc_kernel_post(struct endpoint *ep, uint64_t label)
{
	struct thread *r = ep->receivers.head;
	uint64_t *rx;

	if (!r)
		return false;
	tq_remove(&ep->receivers, r);
	reply_detach(r);	/* nobody to answer */
	rx = r->regs.x;
	rx[R_A0] = 0;
	rx[R_A1] = ipc_info(label, 0, IPC_KERNEL);
	for (int i = 0; i < IPC_WORDS; i++)
		rx[R_A2 + i] = 0;
	rx[R_T1] = 0;
	sched_ready(r);
	return true;
}

struct thread *ipc_thread_unlink(struct thread *t)
{
	struct thread *orphan = NULL;

	if (t->state == TS_SEND)
		tq_remove(&t->blocked_ep->senders, t);
	else if (t->state == TS_RECV)
		tq_remove(&t->blocked_ep->receivers, t);
	else if (t->state == TS_NOTIF && t->blocked_notif->waiter == t)
		t->blocked_notif->waiter = NULL;
	if (t->reply_server) {
		t->reply_server->reply_to = NULL;
		t->reply_server = NULL;
	}
	if (t->reply_to) {
		struct thread *c = t->reply_to;
		t->reply_to = NULL;
		c->reply_server = NULL;
		if (c->fault_pending) {	/* the caller kills it: no recursion */
			c->exit_reason = THREAD_EXIT_PAGER_GONE;
			orphan = c;
		} else {
			wake_error(c, -ERR_SRCH);
		}
	}
	reply_client_gone(t);
	t->fault_pending = false;
	return orphan;
}
