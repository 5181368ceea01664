/*
 * Kernel objects and the handle tables that name them. Every object starts
 * with a struct kobj (type and reference count); a reference is held by each
 * handle naming it and by each kernel structure pointing at it:
 *   task      handles + its live threads + 1 while being torn down
 *   thread    handles + 1 while alive or while its death message waits on
 *             its pager endpoint + 1 while it is the current thread dying
 *             inside its own system call (dropped at the next schedule)
 *   endpoint  handles + threads whose pager it is
 *   notif     handles + IRQs bound to it
 *   reply     handles only (its client points back at it, weakly)
 * Every object (and page table) was charged to a kernel-memory account
 * when it was made (kmem.h; an object keeps a pointer to it) and is
 * uncharged there when freed.
 * An object is freed when its count reaches zero. Freeing never recurses
 * into another task: a task whose count reaches zero, or that is
 * destroyed, joins the dying list (task.c), which is worked off in bounded
 * steps, so no kernel entry does unbounded teardown work.
 */
#ifndef KERNEL_OBJECT_H
#define KERNEL_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kmem.h"
#include "vm.h"

#define container_of(p, T, m) ((T *)((char *)(p) - __builtin_offsetof(T, m)))

/* KOBJ_DEVCTL is the power object (shutdown only); KOBJ_DEVICE and KOBJ_IRQ
 * are device.c's. All three are static and never freed. */
enum kobj_type { KOBJ_NONE, KOBJ_TASK, KOBJ_THREAD, KOBJ_ENDPOINT, KOBJ_NOTIF, KOBJ_DEVCTL,
		 KOBJ_DEVICE, KOBJ_IRQ, KOBJ_REPLY };

struct kobj {
	uint32_t type;
	uint32_t refs;
};

struct handle {
	struct kobj *obj;	/* NULL: free slot */
	uint64_t rights;
	uint64_t badge;
	uint64_t pad;
};

#define HANDLES_PER_PAGE (4096 / sizeof(struct handle))

struct thread;

/* A FIFO of threads, linked through thread.qnext/qprev. */
struct thread_queue {
	struct thread *head, *tail;
};

struct task {
	struct kobj hdr;
	struct aspace as;
	/* The task tree: destroying a task destroys the tasks it created, so a
	 * page mapped into a task (only ever by an ancestor) is unmapped by the
	 * time its owner can free it. */
	struct task *parent;
	struct task *children;	/* live ones, linked through sibling */
	struct task *sibling, *sibling_prev;
	struct handle *handles;	/* slot 0 is never used */
	uint32_t nhandles;
	uint32_t nthreads;
	struct thread *threads;	/* linked through thread.task_next */
	bool dead;		/* being torn down: no new threads, maps, handles */
	bool dma;		/* may learn its pages' physical addresses (dma.c) */
	/* Teardown (task.c): a dead task is unlinked from its parent's
	 * children (parent keeps counting it in ndying until it is done). */
	uint8_t td_phase;	/* TD_* */
	bool td_listed;		/* on the dying list */
	uint32_t td_cursor;	/* next handle slot to close */
	uint64_t ndying;	/* dead children not yet done */
	struct task *td_next;	/* dying list link */
	/* Its own kernel-memory account, once its parent gave it a limit
	 * (as.kq then points here); until then as.kq is the account it was
	 * created under. See task_quota_set. */
	struct kquota kq;
};

/* Teardown phases, in order; a task is done when it reaches TD_DONE. */
enum { TD_LIVE, TD_THREADS, TD_CHILDREN, TD_HANDLES, TD_VM, TD_WAIT, TD_DONE };

struct endpoint {
	struct kobj hdr;
	struct kquota *kq;		/* charged for it: its creator's account */
	struct thread_queue senders;	/* blocked in send or call; dead threads
					 * carrying their death message */
	struct thread_queue receivers;	/* blocked in receive */
	struct endpoint *free_next;	/* endpoint_free's list of endpoints to free */
};

struct notif {
	struct kobj hdr;
	struct kquota *kq;		/* charged for it */
	uint64_t bits;
	struct thread *waiter;
	/* Its timer (timer.c): the deadline (0: not armed), the bits it ORs
	 * in, and its links in the tree of armed timers. */
	uint64_t timer_at;
	uint64_t timer_bits;
	struct notif *timer_left, *timer_right;
};

/* Register indices in struct regs (x[0] holds the pc). */
enum { R_PC = 0, R_RA = 1, R_SP = 2, R_T0 = 5, R_T1 = 6, R_T2 = 7, R_A0 = 10, R_A1 = 11,
       R_A2 = 12, R_A7 = 17, R_T3 = 28 };

struct regs {
	uint64_t x[32];
};

enum thread_state {
	TS_READY,		/* running or in the run queue */
	TS_SEND,		/* in an endpoint's senders */
	TS_RECV,		/* in an endpoint's receivers */
	TS_REPLY,		/* waiting for reply_server to reply */
	TS_NOTIF,		/* waiting on a notification */
	TS_DEAD,
	TS_SUSPENDED,		/* suspended; would otherwise be ready */
};

/* A one-shot reply right (reply.c): the right to answer one blocked
 * caller once, from any thread that holds a handle to it. */
struct reply {
	struct kobj hdr;
	struct kquota *kq;		/* charged for it: the saving task's account */
	struct thread *client;	/* awaiting this reply; NULL once answered or dead */
	bool used;		/* answered (as opposed to: client died) */
	/* SYS_REPLY_BOUND: a fault reply through it may map only the
	 * replier's own pages into [lo, hi) with at most max_rights. */
	bool bounded;
	uint32_t max_rights;
	uint64_t lo, hi;
};

struct thread {
	struct regs regs;	/* first: trap_entry saves here via sscratch */
	struct kobj hdr;
	struct task *task;
	struct thread *task_next;
	enum thread_state state;
	struct thread *qnext, *qprev;	/* run queue or endpoint queue */
	struct endpoint *blocked_ep;	/* TS_SEND / TS_RECV: whose queue */
	struct notif *blocked_notif;
	struct thread *reply_to;	/* server: caller awaiting our reply */
	struct thread *reply_server;	/* client: server holding our reply */
	uint64_t send_badge;		/* badge of the handle of a pending send */
	bool send_is_call;
	bool fault_pending;		/* blocked on a fault: message in fault[] */
	uint64_t fault[5];		/* addr, access, pc, kind, cause */
	struct endpoint *pager;
	uint64_t fault_badge;
	uint64_t ipcbuf;		/* user address of the IPC buffer page or 0 */
	uint64_t fregs[33];		/* f0..f31, fcsr */
	uint64_t id;
	struct reply *reply_cap;	/* client: the reply object naming us */
	uint64_t recv_slot;		/* where a granted handle may land; 0: nowhere */
	bool suspended;			/* threadctl.c: kept from running */
	uint64_t exit_reason;		/* THREAD_EXIT_* for its death message */
	bool exit_pending;		/* dead; death message queued on pager */
	struct kquota *kq;		/* charged for it: its creator's account */
};

/* handle.c */
int handle_table_init(struct task *t, uint32_t nhandles, void *pages);
/* Look up handle h of `type` with all of `rights`: the object, or NULL with
 * *err = -ERR_BADF (no such handle / wrong type) or -ERR_PERM (rights). */
struct kobj *handle_get(struct task *t, uint64_t h, uint32_t type,
			uint64_t rights, uint64_t *badge, int *err);
/* Install a new handle: its number, or -ERR_NOSPC. Takes a reference. */
int handle_install(struct task *t, struct kobj *obj, uint64_t rights, uint64_t badge);
int handle_close(struct task *t, uint64_t h);
int handle_install_at(struct task *t, uint64_t h, struct kobj *obj, uint64_t rights,
		      uint64_t badge);
void kobj_ref(struct kobj *o);
void kobj_unref(struct kobj *o);

/* task.c */
/* A task with an empty address space and handle table (of nhandles in
 * handle_pages if given, else one pool page). NULL if out of memory. */
struct task *task_create(struct task *parent, void *handle_pages, uint32_t nhandles);
/* Whether t is `ancestor` or one of the tasks it created, transitively. */
bool task_within(const struct task *t, const struct task *ancestor);
/* Start tearing t down (no-op if already dead): it joins the dying list. */
void task_kill(struct task *t);
/* SYS_TASK_DESTROY's work: kill target and work the dying list until it is
 * all gone or an interrupt is pending. 1 if self died in it (it stays
 * allocated till the next schedule), else 0 when target is all gone or
 * -ERR_AGAIN (call again). */
int task_destroy(struct task *target, struct thread *self);
void task_free(struct task *t);
/* Give t (a child of `by`) a kernel-memory limit of its own of `limit`
 * bytes, carved from by's account (the first time: t's page tables,
 * records, struct and handle table move into it), or change it. 0,
 * -ERR_NOMEM (the giver has not that much left), -ERR_INVAL (below what t
 * already uses). */
int task_quota_set(struct task *by, struct task *t, uint64_t limit);
/* Teardown work: whether any is queued, and one bounded step of it. */
extern struct task *dying_tasks;
static inline bool teardown_pending(void) { return dying_tasks != NULL; }
void teardown_step(void);
/* Work the dying list until it is empty or an interrupt is pending: what a syscall that may drop references (handle close, IPC with
 * its killing fault replies) does before returning, so teardown it caused
 * is normally over when it returns; if preempted, ticks and the idle loop
 * finish it. The current thread stays allocated even if this kills it. */
void teardown_help(void);
/* Whether an interrupt is pending: long kernel work stops to let it in. */
bool preempt_pending(void);

/* thread.c */
extern struct thread *current;
/* A ready thread in t, charged to account kq (its creator's). */
struct thread *thread_create(struct task *t, uint64_t pc, uint64_t sp, uint64_t arg,
			     struct kquota *kq);
/* Kill t; its death message (reason t->exit_reason) goes to its pager. The
 * current thread stays allocated until the next schedule(). */
void thread_kill(struct thread *t);
void thread_free(struct thread *t);
void thread_set_pager(struct thread *t, struct endpoint *ep, uint64_t badge);
/* Make t runnable (a suspended thread is parked in TS_SUSPENDED instead). */
void sched_ready(struct thread *t);
bool sched_queued(void);
/* Take a ready thread (not the current one) out of the run queue. */
void sched_unready(struct thread *t);
void sched_yield(void);
/* Pick the next thread to run (idling until one is ready) and switch. */
void schedule(void);
void switch_to(struct thread *t);
void sched_timer_tick(void);
void fp_trap_switch(void);
uint64_t thread_count(void);
uint64_t task_count(void);

void tq_push(struct thread_queue *q, struct thread *t);
struct thread *tq_pop(struct thread_queue *q);
void tq_remove(struct thread_queue *q, struct thread *t);

/* ipc.c */
struct endpoint *endpoint_create(struct kquota *kq);
void endpoint_free(struct endpoint *ep);
void ipc_call(struct thread *t, struct endpoint *ep, uint64_t badge);
void ipc_send(struct thread *t, struct endpoint *ep, uint64_t badge);
void ipc_recv(struct thread *t, struct endpoint *ep);
void ipc_reply_recv(struct thread *t, struct endpoint *ep);
/* Reply from t to a thread blocked awaiting a reply (from t or a deferred
 * one). 0, or -ERR_INVAL if the client is not awaiting a reply. */
int ipc_reply(struct thread *t, struct thread *client);
void ipc_fault(struct thread *t, uint64_t addr, uint64_t access, uint64_t kind, uint64_t cause);
/* Take t out of every queue and reply link. Returns the thread whose
 * fault t held unanswered (it cannot be served now: the caller kills it),
 * or NULL. */
struct thread *ipc_thread_unlink(struct thread *t);
/* A dead thread: deliver its death message to a receiver on its pager
 * endpoint, or queue t there as the message. False if not posted. */
bool ipc_death_post(struct thread *t, struct endpoint *pager);
bool ipc_kernel_post(struct endpoint *ep, uint64_t label);
/* idle.c */
int64_t sys_idle_notify(struct thread *t, const uint64_t *a);
/* dma.c */
int64_t sys_task_dma(struct thread *t, const uint64_t *a);
int64_t sys_vm_phys(struct thread *t, const uint64_t *a);
/* From the idle loop: deliver the armed idle message; true if a thread
 * became ready. */
bool idle_message(void);

/* Deliver server's reply (its registers) to client; true if the client
 * may run now (not yet queued). via: the reply object it goes through
 * (a bounded one's bound applies), or NULL. */
bool ipc_reply_deliver(struct thread *server, struct thread *client, const struct reply *via);

/* reply.c */
int64_t reply_save(struct thread *t);
int64_t reply_send(struct thread *t, struct reply *r);
int64_t reply_bound(struct thread *t, struct reply *r, uint64_t lo, uint64_t hi, uint64_t rights);
/* Whether a fault reply (label, words w) keeps within bounded reply r. */
bool reply_bound_allows(const struct reply *r, uint64_t label, const uint64_t *w);
void reply_free(struct reply *r);
void reply_client_gone(struct thread *client);

/* threadctl.c: the thread-control syscalls (a: the argument registers) */
int64_t sys_thread_regs(struct thread *t, const uint64_t *a);
int64_t sys_thread_suspend(struct thread *t, const uint64_t *a);
int64_t sys_thread_pc_sp(struct thread *t, const uint64_t *a);
int64_t sys_thread_set_pager(struct thread *t, const uint64_t *a);

/* fastpath.c: true if the call was done (false: take the general path,
 * nothing has changed). */
bool fastpath_call(struct thread *t);
bool fastpath_reply_recv(struct thread *t);
bool fastpath_reply_to_recv(struct thread *t);
/* SYS_IPC_REPLY_TO_RECV's map item (t2, t3; abi/kernel.h): the caller's pages
 * mapped into the task of c, the thread it answers. 0, or an error with
 * nothing mapped. */
int64_t reply_map_item(struct thread *t, struct thread *c);
bool fastpath_fault(struct thread *t, uint64_t cause);

/* notif.c */
struct notif *notif_create(struct kquota *kq);
void notif_free(struct notif *n);
bool notif_signal(struct notif *n, uint64_t bits);	/* true: it woke a waiter */
void notif_wait(struct thread *t, struct notif *n);
void irq_init(uint64_t plic_pa, uint64_t hartid);
int irq_bind(uint32_t irq, struct notif *n, uint64_t bits);
int irq_ack(uint32_t irq);
void irq_handle(void);

/* timer.c */
/* Program the first tick; at boot, once timer_quantum is known. */
void timer_start(uint64_t hz);
extern uint64_t timebase_hz;	/* `time` ticks per second */
/* The timer interrupt: fire due timers (*fired: some did); true if the
 * scheduler's quantum is over. */
bool timer_interrupt(bool *fired);
/* Disarm n's timer, if armed (notif_free does). */
void timer_cancel(struct notif *n);
int64_t sys_timer_set(struct thread *t, const uint64_t *a);

#endif
