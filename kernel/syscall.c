/*
 * Syscall dispatch. Every argument is checked here before any object is
 * touched: handles through handle_get (type and rights), user pointers
 * through the page tables (copy_from_user / copy_to_user), addresses for
 * alignment and range. A bad argument returns a negated ERR_* code and has
 * no other effect.
 */
#include "abi/fault.h"
#include "abi/kernel.h"
#include "device.h"
#include "kmem.h"
#include "lib.h"
#include "mapdb.h"
#include "object.h"
#include "riscv.h"
#include "sbi.h"
#include "syscall.h"

#define GET(type, h, rights, badge) \
	handle_get(t->task, (h), (type), (rights), (badge), &err)

static bool page_range_ok(uint64_t va, uint64_t npages)
{
	return !(va & (PAGE_SIZE - 1)) && va < USER_TOP &&
	       npages <= (USER_TOP - va) / PAGE_SIZE;
}

static bool rights_ok(uint64_t r)
{
	return r && !(r & ~(uint64_t)(MAP_R | MAP_W | MAP_X)) &&
	       (!(r & MAP_W) || (r & MAP_R));
}

/* Copy a user buffer to the console, all or nothing: it is checked whole
 * before anything is printed. */
static __attribute__((noinline)) int64_t write_user(struct aspace *as, uint64_t buf, uint64_t len)
{
	char chunk[128];

	for (uint64_t off = 0; off < len; off += sizeof(chunk)) {
		uint64_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		if (copy_from_user(as, chunk, buf + off, n) < 0)
			return -ERR_FAULT;
	}
	for (uint64_t off = 0; off < len; off += sizeof(chunk)) {
		uint64_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		copy_from_user(as, chunk, buf + off, n);
		console_write(chunk, n);
	}
	return (int64_t)len;
}

static int64_t sys_debug_write(struct thread *t, const uint64_t *a)
{
	if (a[1] > 4096)
		return -ERR_INVAL;
	return a[1] ? write_user(&t->task->as, a[0], a[1]) : 0;
}

/* The checks an outgoing message needs beyond the handle. */
static int64_t msg_check(struct thread *t, uint64_t info)
{
	if (likely(!(info & (IPC_LEN_MASK | IPC_GRANT))))
		return 0;
	if (ipc_len(info) > IPC_BUF_SIZE)
		return -ERR_INVAL;
	if (ipc_len(info)) {
		uint64_t pa, flags;
		if (!t->ipcbuf || !vm_lookup(&t->task->as, t->ipcbuf, &pa, &flags) ||
		    !(flags & PTE_U) || !(flags & PTE_R) || !phys_is_ram(pa))
			return -ERR_FAULT;
	}
	return 0;
}

/* SYS_IPC_REPLY's target, named by h: a reply object (RIGHT_SEND) or a
 * thread awaiting a deferred reply (RIGHT_CONTROL). With `item`, the map
 * item of SYS_IPC_REPLY_TO_RECV goes first: if it fails, nothing else
 * happens. */
static int64_t reply_to_handle(struct thread *t, uint64_t h, bool item)
{
	int err = 0;
	int64_t r;
	struct kobj *o = GET(KOBJ_REPLY, h, RIGHT_SEND, NULL);
	struct thread *c;

	if (o) {
		c = ((struct reply *)o)->client;
		if (item && c && (r = reply_map_item(t, c)) < 0)
			return r;
		return reply_send(t, (struct reply *)o);
	}
	if (err == -ERR_PERM)
		return err;
	o = GET(KOBJ_THREAD, h, RIGHT_CONTROL, NULL);
	if (!o)
		return err;
	c = container_of(o, struct thread, hdr);
	if (item && c->state == TS_REPLY && (r = reply_map_item(t, c)) < 0)
		return r;
	return ipc_reply(t, c);
}

/* IPC calls: the message is in the registers (abi/kernel.h). */
static int64_t sys_ipc(struct thread *t, const uint64_t *a)
{
	uint64_t *x = t->regs.x, badge, nr = x[R_T0];

	(void)a;	/* the same registers, as x */
	int err = 0;
	int64_t r;
	uint64_t need = nr == SYS_IPC_CALL || nr == SYS_IPC_SEND ? RIGHT_SEND : RIGHT_RECV;
	struct endpoint *ep;

	if (nr != SYS_IPC_RECV && (r = msg_check(t, x[R_A1])) < 0)
		return r;
	if (unlikely(nr == SYS_IPC_REPLY)) {
		r = reply_to_handle(t, x[R_A0], false);
		teardown_help();	/* a fault reply may have killed a task */
		return r;
	}
	if (unlikely(nr == SYS_IPC_REPLY_TO_RECV)) {
		/* Both handles checked before anything is done. */
		ep = (struct endpoint *)GET(KOBJ_ENDPOINT, x[R_A0], RIGHT_RECV, &badge);
		if (!ep)
			return err;
		r = reply_to_handle(t, x[R_T1], true);
		if (r == 0 && t->state != TS_DEAD)
			ipc_recv(t, ep);
		teardown_help();
		return r ? r : SYS_NORESULT;
	}
	ep = (struct endpoint *)GET(KOBJ_ENDPOINT, x[R_A0], need, &badge);
	if (unlikely(!ep))
		return err;
	switch (nr) {
	case SYS_IPC_CALL:
		ipc_call(t, ep, badge);
		break;
	case SYS_IPC_SEND:
		ipc_send(t, ep, badge);
		break;
	case SYS_IPC_RECV:
		ipc_recv(t, ep);
		break;
	default:
		ipc_reply_recv(t, ep);
		break;
	}
	teardown_help();
	return SYS_NORESULT;
}

static int64_t install_new(struct thread *t, struct kobj *o, uint64_t rights,
			   void (*undo)(struct kobj *))
{
	int h;

	if (!o)
		return -ERR_NOMEM;
	h = handle_install(t->task, o, rights, 0);
	if (h < 0)
		undo(o);
	return h;
}

static void undo_endpoint(struct kobj *o) { endpoint_free((struct endpoint *)o); }
static void undo_notif(struct kobj *o) { notif_free((struct notif *)o); }
static void undo_task(struct kobj *o) { task_free((struct task *)o); }

static int64_t sys_thread_create(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = (struct task *)GET(KOBJ_TASK, a[0], RIGHT_CONTROL, NULL);
	struct endpoint *pager = NULL;
	uint64_t pager_badge = 0;
	struct thread *nt;
	int h;

	if (!task)
		return err;
	if (task->dead)
		return -ERR_SRCH;
	if (a[4] && !(pager = (struct endpoint *)GET(KOBJ_ENDPOINT, a[4], RIGHT_SEND, &pager_badge)))
		return err;
	if (a[1] >= USER_TOP || a[2] >= USER_TOP)
		return -ERR_INVAL;
	nt = thread_create(task, a[1], a[2], a[3], t->task->as.kq);	/* the caller pays */
	if (!nt)
		return -ERR_NOMEM;
	/* A badged pager handle fixes the fault badge: nobody can make the
	 * pager take their faults for someone else's. */
	thread_set_pager(nt, pager, pager_badge ? pager_badge : a[5]);
	h = handle_install(t->task, &nt->hdr, RIGHTS_ALL, 0);
	if (h < 0) {
		thread_set_pager(nt, NULL, 0);	/* never ran: no death message */
		thread_kill(nt);
	}
	return h;
}

/* Task handle 0 names the caller's own task where that grants nothing new
 * (minting a handle copy, mapping a device the caller holds). */
static struct task *task_or_self(struct thread *t, uint64_t h, int *err)
{
	if (h == 0)
		return t->task;
	return (struct task *)handle_get(t->task, h, KOBJ_TASK, RIGHT_CONTROL, NULL, err);
}

static int64_t sys_handle_grant(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = task_or_self(t, a[0], &err);
	struct handle *src;

	if (!task)
		return err;
	if (task->dead)
		return -ERR_SRCH;
	if (a[1] == 0 || a[1] >= t->task->nhandles || !(src = &t->task->handles[a[1]])->obj)
		return -ERR_BADF;
	if (!(src->rights & RIGHT_GRANT))
		return -ERR_PERM;
	if (a[3] & ~(uint64_t)RIGHTS_ALL)
		return -ERR_INVAL;
	return handle_install(task, src->obj, src->rights & a[3], src->badge ? src->badge : a[2]);
}

/* The target task of SYS_MAP / SYS_MAP_RUN: a live task the caller holds
 * with the control right, its own or one it created; else NULL, *err. */
static struct task *map_target(struct thread *t, uint64_t h, int *err)
{
	struct task *task = (struct task *)handle_get(t->task, h, KOBJ_TASK, RIGHT_CONTROL,
						      NULL, err);

	if (task && task->dead)
		*err = -ERR_SRCH, task = NULL;
	else if (task && !task_within(task, t->task))
		*err = -ERR_PERM, task = NULL;
	return task;
}

static int64_t sys_map(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = map_target(t, a[0], &err);

	return task ? vm_map_from(&t->task->as, a[1], &task->as, a[2], a[3]) : err;
}

static int64_t sys_map_run(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = map_target(t, a[0], &err);

	return task ? vm_map_run(&t->task->as, a[1], &task->as, a[2], a[3], a[4]) : err;
}

/* SYS_MAP_LIST: SYS_MAP for pages scattered in the caller (a pager's
 * frames for a server's window) in one kernel entry. The list is read a
 * few entries at a time; each page is checked and mapped as SYS_MAP's. */
static int64_t sys_map_list(struct thread *t, const uint64_t *a)
{
	uint64_t src[16], n = a[4], dst = a[2];
	int err = 0;
	struct task *task = map_target(t, a[0], &err);

	if (!task)
		return err;
	if (n == 0 || n > MAP_RUN_MAX || (a[1] & 7) || (dst & (PAGE_SIZE - 1)) ||
	    dst >= USER_TOP || n > (USER_TOP - dst) >> PAGE_SHIFT)
		return -ERR_INVAL;
	for (uint64_t i = 0, k; i < n; i += k) {
		k = n - i < 16 ? n - i : 16;
		if ((err = copy_from_user(&t->task->as, src, a[1] + i * 8, k * 8)) < 0)
			return err;
		for (uint64_t j = 0; j < k; j++)
			if ((err = vm_map_from(&t->task->as, src[j], &task->as,
					       dst + ((i + j) << PAGE_SHIFT), a[3])) < 0)
				return err;
	}
	return 0;
}

static int64_t sys_range(struct thread *t, const uint64_t *a, bool protect)
{
	int err = 0;
	struct task *task = (struct task *)GET(KOBJ_TASK, a[0], RIGHT_CONTROL, NULL);

	if (!task)
		return err;
	if (!page_range_ok(a[1], a[2]) || (protect && a[3] && !rights_ok(a[3])))
		return -ERR_INVAL;
	if (task->dead)
		return -ERR_SRCH;
	if (!protect || !a[3])
		return (int64_t)vm_unmap(&task->as, a[1], a[2]);
	return (int64_t)vm_protect(&task->as, a[1], a[2], vm_user_flags(a[3]) & PTE_LEAF);
}

/* SYS_PROTECT_LIST: SYS_PROTECT of pages scattered in a task (a file's
 * pages taken for write-back) in one kernel entry. Never to no rights:
 * that would be an unmap, which has its own call. */
static int64_t sys_protect_list(struct thread *t, const uint64_t *a)
{
	uint64_t va[16], n = a[2], changed = 0;
	int err = 0;
	struct task *task = (struct task *)GET(KOBJ_TASK, a[0], RIGHT_CONTROL, NULL);

	if (!task)
		return err;
	if (n == 0 || n > MAP_RUN_MAX || (a[1] & 7) || !a[3] || !rights_ok(a[3]))
		return -ERR_INVAL;
	if (task->dead)
		return -ERR_SRCH;
	for (uint64_t i = 0, k; i < n; i += k) {
		k = n - i < 16 ? n - i : 16;
		if ((err = copy_from_user(&t->task->as, va, a[1] + i * 8, k * 8)) < 0)
			return err;
		for (uint64_t j = 0; j < k; j++) {
			if (!page_range_ok(va[j], 1))
				return -ERR_INVAL;
			changed += vm_protect(&task->as, va[j], 1, vm_user_flags(a[3]) & PTE_LEAF);
		}
	}
	return (int64_t)changed;
}

/* Map one register page of a device: the handle names the device, and pa
 * must be one of its pages (anything else, RAM included, is -ERR_PERM). */
static int64_t sys_map_device(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct device *d = (struct device *)GET(KOBJ_DEVICE, a[0], 0, NULL);
	struct task *task;

	if (!d)
		return err;
	if (!(task = task_or_self(t, a[1], &err)))
		return err;
	if ((a[2] & (PAGE_SIZE - 1)) || !page_range_ok(a[3], 1) || !rights_ok(a[4]) ||
	    (a[4] & MAP_X))
		return -ERR_INVAL;
	if (!device_has_page(d, a[2]) || !task_within(task, t->task))
		return -ERR_PERM;
	if (task->dead)
		return -ERR_SRCH;
	return vm_map(&task->as, a[3], a[2], vm_user_flags(a[4]));
}

/* Bind or acknowledge the interrupt an IRQ handle names. */
static int64_t sys_irq(struct thread *t, const uint64_t *a)
{
	uint64_t nr = t->regs.x[R_T0];
	int err = 0;
	uint64_t badge = 0;
	struct notif *n = NULL;
	struct irq_line *l = (struct irq_line *)GET(KOBJ_IRQ, a[0], 0, NULL);

	if (!l)
		return err;
	if (nr == SYS_IRQ_ACK)
		return irq_ack(l->irq);
	if (a[1] && !(n = (struct notif *)GET(KOBJ_NOTIF, a[1], RIGHT_SEND, &badge)))
		return err;
	return irq_bind(l->irq, n, notif_bits(badge));
}

static int64_t sys_device_info(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct device *d = (struct device *)GET(KOBJ_DEVICE, a[0], 0, NULL);

	if (!d)
		return err;
	return copy_to_user(&t->task->as, a[1], &d->info, sizeof(d->info));
}

static int64_t sys_kernel_info(struct thread *t, const uint64_t *a)
{
	struct kernel_info ki = {
		.kmem_free_pages = kmem_free_pages(),
		.kmem_total_pages = kmem_total_pages(),
		.nthreads = thread_count(),
		.ntasks = task_count(),
		.mapping_records = mapdb_count(),
		.timebase_hz = timebase_hz,
	};

	return copy_to_user(&t->task->as, a[0], &ki, sizeof(ki));
}

static uint64_t pages_up(uint64_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

static int64_t sys_task_info(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = (struct task *)GET(KOBJ_TASK, a[0], 0, NULL);
	struct task_info ti;

	if (!task)
		return err;
	ti.pt_pages = task->as.pt_pages;
	ti.mapped_pages = task->as.mapped;
	ti.nthreads = task->nthreads;
	ti.quota_used = pages_up(task->as.kq->used);
	ti.quota_limit = task->as.kq->limit / PAGE_SIZE;
	ti.quota_own = task->as.kq == &task->kq;
	return copy_to_user(&t->task->as, a[1], &ti, sizeof(ti));
}

static int64_t sys_yield(struct thread *t, const uint64_t *a)
{
	(void)t, (void)a;
	sched_yield();
	return 0;
}

static int64_t sys_shutdown(struct thread *t, const uint64_t *a)
{
	int err = 0;

	if (!GET(KOBJ_DEVCTL, a[0], 0, NULL))
		return err;
	sbi_shutdown(a[1] != 0);
}

static int64_t sys_ipcbuf_set(struct thread *t, const uint64_t *a)
{
	if ((a[0] & (PAGE_SIZE - 1)) || a[0] >= USER_TOP)
		return -ERR_INVAL;
	t->ipcbuf = a[0];
	return 0;
}

static int64_t sys_endpoint_create(struct thread *t, const uint64_t *a)
{
	(void)a;
	return install_new(t, (struct kobj *)endpoint_create(t->task->as.kq),
			   RIGHT_SEND | RIGHT_RECV | RIGHT_GRANT, undo_endpoint);
}

static int64_t sys_notif_create(struct thread *t, const uint64_t *a)
{
	(void)a;
	return install_new(t, (struct kobj *)notif_create(t->task->as.kq),
			   RIGHT_SEND | RIGHT_RECV | RIGHT_GRANT, undo_notif);
}

static int64_t sys_notify(struct thread *t, const uint64_t *a)
{
	int err = 0;
	uint64_t badge;
	struct notif *n = (struct notif *)GET(KOBJ_NOTIF, a[0], RIGHT_SEND, &badge);

	if (!n)
		return err;
	notif_signal(n, notif_bits(badge));
	return 0;
}

static int64_t sys_wait(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct notif *n = (struct notif *)GET(KOBJ_NOTIF, a[0], RIGHT_RECV, NULL);

	if (!n)
		return err;
	notif_wait(t, n);	/* sets a0 now, or when woken */
	return SYS_NORESULT;
}

static int64_t sys_task_create(struct thread *t, const uint64_t *a)
{
	(void)a;
	if (t->task->dead)
		return -ERR_SRCH;
	return install_new(t, (struct kobj *)task_create(t->task, NULL, 0), RIGHTS_ALL, undo_task);
}

/* Teardown is preemptible: with an interrupt pending the call restarts
 * (pc back on the ecall) and goes on where it stopped once we run again. */
static int64_t sys_task_destroy(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct kobj *o = GET(KOBJ_TASK, a[0], RIGHT_CONTROL, NULL);
	int r;

	if (!o)
		return err;
	r = task_destroy((struct task *)o, t);	/* t stays allocated if it died */
	if (r == 1)
		return SYS_NORESULT;
	if (r == -ERR_AGAIN) {
		t->regs.x[R_PC] -= 4;
		return SYS_NORESULT;
	}
	return 0;
}

static int64_t sys_thread_exit(struct thread *t, const uint64_t *a)
{
	(void)a;
	t->exit_reason = THREAD_EXIT_SELF;
	thread_kill(t);
	teardown_help();	/* its task, if this was its last reference */
	return SYS_NORESULT;
}

static int64_t sys_handle_close(struct thread *t, const uint64_t *a)
{
	int64_t r = handle_close(t->task, a[0]);

	teardown_help();
	return r;
}

static int64_t sys_unmap(struct thread *t, const uint64_t *a)
{
	return sys_range(t, a, false);
}

static int64_t sys_protect(struct thread *t, const uint64_t *a)
{
	return sys_range(t, a, true);
}

/* Receive slots and reply objects (reply.c). */

static int64_t sys_ipc_recv_slot(struct thread *t, const uint64_t *a)
{
	if (a[0] >= t->task->nhandles)
		return -ERR_INVAL;
	t->recv_slot = a[0];
	return 0;
}

static int64_t sys_reply_save(struct thread *t, const uint64_t *a)
{
	(void)a;
	return reply_save(t);
}

static int64_t sys_reply_bound(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct kobj *o = GET(KOBJ_REPLY, a[0], RIGHT_SEND, NULL);

	return o ? reply_bound(t, (struct reply *)o, a[1], a[2], a[3]) : err;
}

/* Kernel-memory quotas and the pool (docs/architecture.md). */

/* (task or 0 = self, new limit in pages or -1 to read) -> pages used (of
 * the account the task charges), a1 = its limit in pages. Setting needs
 * the task's control right and that the caller created it. */
static int64_t sys_task_quota(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = a[0] ? (struct task *)GET(KOBJ_TASK, a[0], 0, NULL) : t->task;
	struct kquota *q;

	if (!task)
		return err;
	if (a[1] != ~0ul) {
		if (!a[0] || !GET(KOBJ_TASK, a[0], RIGHT_CONTROL, NULL))
			return a[0] ? err : -ERR_PERM;
		if (task->parent != t->task)
			return -ERR_PERM;
		if (task->dead)
			return -ERR_SRCH;
		if (a[1] > (1ul << 40))
			return -ERR_INVAL;
		if ((err = task_quota_set(t->task, task, a[1] * PAGE_SIZE)) < 0)
			return err;
	}
	q = task->as.kq;
	t->regs.x[R_A1] = q->limit / PAGE_SIZE;
	return (int64_t)pages_up(q->used);
}

extern struct task *root_task;

/* (va, npages): the pager gives pages of its own to the kernel pool. They
 * are unmapped from it and never mapped anywhere again. Root task only;
 * each page must be a present, writable RAM page of its space with no
 * mapping records (so nothing was derived from it). All or nothing. */
static int64_t sys_kmem_donate(struct thread *t, const uint64_t *a)
{
	struct aspace *as = &t->task->as;
	uint64_t pa, flags;

	if (t->task != root_task)
		return -ERR_PERM;
	if (!page_range_ok(a[0], a[1]) || a[1] == 0 || a[1] > KMEM_DONATE_MAX)
		return -ERR_INVAL;
	for (uint64_t i = 0; i < a[1]; i++) {
		uint64_t va = a[0] + i * PAGE_SIZE;
		if (!vm_lookup(as, va, &pa, &flags) || !phys_is_ram(pa) || (flags & PTE_MDB) ||
		    (flags & (PTE_U | PTE_R | PTE_W)) != (PTE_U | PTE_R | PTE_W))
			return -ERR_INVAL;
	}
	/* 4 KiB leaves to unmap: split the window's 2 MiB pages (at most
	 * two partial ones per 2 MiB of the run). */
	for (uint64_t i = 0; i < a[1]; i++)
		if (vm_split_mega(as, a[0] + i * PAGE_SIZE) < 0)
			return -ERR_NOMEM;
	for (uint64_t i = 0; i < a[1]; i++) {
		uint64_t va = a[0] + i * PAGE_SIZE;
		vm_lookup(as, va, &pa, &flags);
		vm_unmap(as, va, 1);
		kmem_add(pa, 1);
	}
	t->task->kq.limit += a[1] * PAGE_SIZE;	/* the root's account is the pool */
	return 0;
}

typedef int64_t (*syscall_fn)(struct thread *t, const uint64_t *a);

static const syscall_fn syscalls[SYS_COUNT] = {
	[SYS_DEBUG_WRITE] = sys_debug_write,
	[SYS_YIELD] = sys_yield,
	[SYS_SHUTDOWN] = sys_shutdown,
	[SYS_IPC_CALL] = sys_ipc,
	[SYS_IPC_SEND] = sys_ipc,
	[SYS_IPC_RECV] = sys_ipc,
	[SYS_IPC_REPLY_RECV] = sys_ipc,
	[SYS_IPC_REPLY] = sys_ipc,
	[SYS_IPCBUF_SET] = sys_ipcbuf_set,
	[SYS_ENDPOINT_CREATE] = sys_endpoint_create,
	[SYS_NOTIF_CREATE] = sys_notif_create,
	[SYS_NOTIFY] = sys_notify,
	[SYS_WAIT] = sys_wait,
	[SYS_TASK_CREATE] = sys_task_create,
	[SYS_TASK_DESTROY] = sys_task_destroy,
	[SYS_TASK_INFO] = sys_task_info,
	[SYS_THREAD_CREATE] = sys_thread_create,
	[SYS_THREAD_EXIT] = sys_thread_exit,
	[SYS_HANDLE_CLOSE] = sys_handle_close,
	[SYS_HANDLE_GRANT] = sys_handle_grant,
	[SYS_MAP] = sys_map,
	[SYS_UNMAP] = sys_unmap,
	[SYS_PROTECT] = sys_protect,
	[SYS_MAP_DEVICE] = sys_map_device,
	[SYS_IRQ_BIND] = sys_irq,
	[SYS_IRQ_ACK] = sys_irq,
	[SYS_KERNEL_INFO] = sys_kernel_info,
	[SYS_DEVICE_INFO] = sys_device_info,
	[SYS_IPC_RECV_SLOT] = sys_ipc_recv_slot,
	[SYS_REPLY_SAVE] = sys_reply_save,
	[SYS_THREAD_REGS_READ] = sys_thread_regs,	/* threadctl.c */
	[SYS_THREAD_REGS_WRITE] = sys_thread_regs,
	[SYS_THREAD_SUSPEND] = sys_thread_suspend,
	[SYS_THREAD_RESUME] = sys_thread_suspend,
	[SYS_THREAD_SET_PAGER] = sys_thread_set_pager,
	[SYS_MAP_RUN] = sys_map_run,
	[SYS_TASK_QUOTA] = sys_task_quota,
	[SYS_KMEM_DONATE] = sys_kmem_donate,
	[SYS_TIMER_SET] = sys_timer_set,	/* timer.c */
	[SYS_IDLE_NOTIFY] = sys_idle_notify,	/* idle.c */
	[SYS_REPLY_BOUND] = sys_reply_bound,	/* reply.c */
	[SYS_IPC_REPLY_TO_RECV] = sys_ipc,
	[SYS_TASK_DMA] = sys_task_dma,	/* dma.c */
	[SYS_VM_PHYS] = sys_vm_phys,
	[SYS_MAP_LIST] = sys_map_list,
	[SYS_PROTECT_LIST] = sys_protect_list,
	[SYS_THREAD_PC_SP_WRITE] = sys_thread_pc_sp,	/* threadctl.c */
};

/*
 * Handle the current thread's ecall (the IPC fast paths having passed it
 * on). A handler returns the value for a0, or SYS_NORESULT when it has set
 * the registers itself, blocked the thread or ended it.
 */
void syscall_dispatch(struct thread *t)
{
	uint64_t nr = t->regs.x[R_T0];
	int64_t r = nr < SYS_COUNT ? syscalls[nr](t, &t->regs.x[R_A0]) : -ERR_NOSYS;

	if (r != SYS_NORESULT)
		t->regs.x[R_A0] = (uint64_t)r;
}
