/*
 * libsys: syscall stubs and IPC helpers (inline, following the register
 * convention in abi/kernel.h), plus what the C runtime start recorded about
 * this process. Programs include this for anything beyond POSIX.
 */
#ifndef LIBSYS_H
#define LIBSYS_H

#include <stdint.h>
#include "abi/kernel.h"
#include "abi/pager.h"

#define SYSCALL_CLOBBERS "memory"

static inline int64_t syscall6(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			       uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t t0 __asm__("t0") = nr;
	register uint64_t r0 __asm__("a0") = a0;
	register uint64_t r1 __asm__("a1") = a1;
	register uint64_t r2 __asm__("a2") = a2;
	register uint64_t r3 __asm__("a3") = a3;
	register uint64_t r4 __asm__("a4") = a4;
	register uint64_t r5 __asm__("a5") = a5;

	__asm__ volatile("ecall" : "+r"(r0)
			 : "r"(t0), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
			 : SYSCALL_CLOBBERS);
	return (int64_t)r0;
}

#define syscall0(n) syscall6((n), 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) syscall6((n), (uint64_t)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) syscall6((n), (uint64_t)(a), (uint64_t)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) syscall6((n), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) \
	syscall6((n), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), 0, 0)
#define syscall5(n, a, b, c, d, e) \
	syscall6((n), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e), 0)

static inline int64_t sys_debug_write(const void *buf, uint64_t len) { return syscall2(SYS_DEBUG_WRITE, buf, len); }
static inline int64_t sys_yield(void) { return syscall0(SYS_YIELD); }
static inline int64_t sys_shutdown(uint64_t power, int code) { return syscall2(SYS_SHUTDOWN, power, code); }
static inline int64_t sys_ipcbuf_set(uint64_t va) { return syscall1(SYS_IPCBUF_SET, va); }
static inline int64_t sys_endpoint_create(void) { return syscall0(SYS_ENDPOINT_CREATE); }
static inline int64_t sys_notif_create(void) { return syscall0(SYS_NOTIF_CREATE); }
static inline int64_t sys_notify(uint64_t h) { return syscall1(SYS_NOTIFY, h); }
static inline int64_t sys_wait(uint64_t h) { return syscall1(SYS_WAIT, h); }
static inline int64_t sys_task_create(void) { return syscall0(SYS_TASK_CREATE); }
static inline int64_t sys_task_destroy(uint64_t task) { return syscall1(SYS_TASK_DESTROY, task); }
static inline int64_t sys_task_info(uint64_t task, struct task_info *ti) { return syscall2(SYS_TASK_INFO, task, ti); }
static inline int64_t sys_thread_create(uint64_t task, uint64_t pc, uint64_t sp, uint64_t arg,
					uint64_t pager, uint64_t badge)
{
	return syscall6(SYS_THREAD_CREATE, task, pc, sp, arg, pager, badge);
}
static inline int64_t sys_thread_exit(void) { return syscall0(SYS_THREAD_EXIT); }
static inline int64_t sys_handle_close(uint64_t h) { return syscall1(SYS_HANDLE_CLOSE, h); }
static inline int64_t sys_handle_grant(uint64_t task, uint64_t h, uint64_t badge, uint64_t rights)
{
	return syscall4(SYS_HANDLE_GRANT, task, h, badge, rights);
}
static inline int64_t sys_map(uint64_t task, uint64_t src, uint64_t dst, uint64_t rights)
{
	return syscall4(SYS_MAP, task, src, dst, rights);
}
/* SYS_MAP of npages consecutive pages with one set of rights. */
/* SYS_TASK_QUOTA: pages used by the account task charges (task 0: our
 * own); *limit (if not NULL) gets its limit. new_limit -1 reads; else it
 * sets the limit of a task we created (carved from our own account). */
static inline int64_t sys_task_quota(uint64_t task, int64_t new_limit, uint64_t *limit)
{
	register uint64_t t0 __asm__("t0") = SYS_TASK_QUOTA;
	register uint64_t r0 __asm__("a0") = task;
	register uint64_t r1 __asm__("a1") = (uint64_t)new_limit;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(t0) : SYSCALL_CLOBBERS);
	if (limit && (int64_t)r0 >= 0)
		*limit = r1;
	return (int64_t)r0;
}
/* SYS_KMEM_DONATE: the pager's pages [va, va + npages pages) join the
 * kernel pool (the pager only). */
static inline int64_t sys_kmem_donate(uint64_t va, uint64_t npages)
{
	return syscall2(SYS_KMEM_DONATE, va, npages);
}
/* SYS_TIMER_SET: arm notif's one-shot timer for `deadline` (`time` CSR
 * ticks, see sys_time); 0 cancels. A deadline already past notifies now. */
static inline int64_t sys_timer_set(uint64_t notif, uint64_t deadline)
{
	return syscall2(SYS_TIMER_SET, notif, deadline);
}
/* The `time` CSR: ticks since boot (kernel_info.timebase_hz per second). */
static inline uint64_t sys_time(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}
/* SYS_IDLE_NOTIFY: one message (IPC_KERNEL, `label`) to a receiver on ep
 * when the hart next has nothing to run; ep 0 disarms (the pager only). */
static inline int64_t sys_idle_notify(uint64_t ep, uint64_t label)
{
	return syscall2(SYS_IDLE_NOTIFY, ep, label);
}
static inline int64_t sys_map_run(uint64_t task, uint64_t src, uint64_t dst, uint64_t rights,
				  uint64_t npages)
{
	return syscall5(SYS_MAP_RUN, task, src, dst, rights, npages);
}
/* SYS_MAP_LIST: list[i] (our page) at dst + i pages in task, one entry. */
static inline int64_t sys_map_list(uint64_t task, const uint64_t *list, uint64_t dst,
				   uint64_t rights, uint64_t npages)
{
	return syscall5(SYS_MAP_LIST, task, (uint64_t)list, dst, rights, npages);
}
static inline int64_t sys_unmap(uint64_t task, uint64_t va, uint64_t npages) { return syscall3(SYS_UNMAP, task, va, npages); }
static inline int64_t sys_protect(uint64_t task, uint64_t va, uint64_t npages, uint64_t rights)
{
	return syscall4(SYS_PROTECT, task, va, npages, rights);
}
/* SYS_PROTECT_LIST: SYS_PROTECT of each page list[0..n) of task, one entry. */
static inline int64_t sys_protect_list(uint64_t task, const uint64_t *list, uint64_t npages,
				       uint64_t rights)
{
	return syscall4(SYS_PROTECT_LIST, task, (uint64_t)list, npages, rights);
}
static inline int64_t sys_map_device(uint64_t device, uint64_t task, uint64_t pa, uint64_t va, uint64_t rights)
{
	return syscall5(SYS_MAP_DEVICE, device, task, pa, va, rights);
}
static inline int64_t sys_irq_bind(uint64_t irq, uint64_t notif) { return syscall2(SYS_IRQ_BIND, irq, notif); }
static inline int64_t sys_irq_ack(uint64_t irq) { return syscall1(SYS_IRQ_ACK, irq); }
static inline int64_t sys_device_info(uint64_t device, struct device_info *di)
{
	return syscall2(SYS_DEVICE_INFO, device, di);
}
static inline int64_t sys_kernel_info(struct kernel_info *ki) { return syscall1(SYS_KERNEL_INFO, ki); }
/* Where a handle granted to this thread in a message may land (0: refuse
 * grants); the slot must be free when the message arrives. */
static inline int64_t sys_ipc_recv_slot(uint64_t slot) { return syscall1(SYS_IPC_RECV_SLOT, slot); }
/* The pending caller's reply right as a one-shot reply handle. */
static inline int64_t sys_reply_save(void) { return syscall0(SYS_REPLY_SAVE); }
/* Bound a saved fault reply (SYS_REPLY_BOUND, abi/fault.h). */
static inline int64_t sys_reply_bound(uint64_t reply, uint64_t lo, uint64_t hi, uint64_t rights)
{
	return syscall4(SYS_REPLY_BOUND, reply, lo, hi, rights);
}
/* Mark a task a DMA user (root task only), and a DMA user's query of its
 * own pages' physical addresses (kernel/dma.c). */
static inline int64_t sys_task_dma(uint64_t task) { return syscall1(SYS_TASK_DMA, task); }
static inline int64_t sys_vm_phys(uint64_t va, uint64_t npages, uint64_t *out)
{
	return syscall3(SYS_VM_PHYS, va, npages, out);
}
static inline int64_t sys_thread_regs_read(uint64_t thread, struct user_regs *r)
{
	return syscall2(SYS_THREAD_REGS_READ, thread, r);
}
static inline int64_t sys_thread_regs_write(uint64_t thread, const struct user_regs *r)
{
	return syscall2(SYS_THREAD_REGS_WRITE, thread, r);
}
/* Only pc and sp of a suspended thread: a reply landing meanwhile stays. */
static inline int64_t sys_thread_pc_sp_write(uint64_t thread, uint64_t pc, uint64_t sp)
{
	return syscall3(SYS_THREAD_PC_SP_WRITE, thread, pc, sp);
}
static inline int64_t sys_thread_suspend(uint64_t thread) { return syscall1(SYS_THREAD_SUSPEND, thread); }
static inline int64_t sys_thread_resume(uint64_t thread) { return syscall1(SYS_THREAD_RESUME, thread); }
static inline int64_t sys_thread_set_pager(uint64_t thread, uint64_t pager, uint64_t badge)
{
	return syscall3(SYS_THREAD_SET_PAGER, thread, pager, badge);
}

/* IPC: the message goes out of and comes back into *m. Returns the status
 * (0 or a negated ERR_*); on receive m->badge names the sender. */
#define IPC_ASM(nr, h, m)							\
	register uint64_t t0 __asm__("t0") = (nr);				\
	register uint64_t t1 __asm__("t1");					\
	register uint64_t a0 __asm__("a0") = (h);				\
	register uint64_t a1 __asm__("a1") = (m)->info;				\
	register uint64_t a2 __asm__("a2") = (m)->w[0];				\
	register uint64_t a3 __asm__("a3") = (m)->w[1];				\
	register uint64_t a4 __asm__("a4") = (m)->w[2];				\
	register uint64_t a5 __asm__("a5") = (m)->w[3];				\
	register uint64_t a6 __asm__("a6") = (m)->w[4];				\
	register uint64_t a7 __asm__("a7") = (m)->w[5];				\
	__asm__ volatile("ecall"						\
			 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4),	\
			   "+r"(a5), "+r"(a6), "+r"(a7), "=r"(t1)		\
			 : "r"(t0) : "memory");					\
	(m)->info = a1; (m)->w[0] = a2; (m)->w[1] = a3; (m)->w[2] = a4;	\
	(m)->w[3] = a5; (m)->w[4] = a6; (m)->w[5] = a7; (m)->badge = t1;	\
	return (int64_t)a0

static inline int64_t ipc_call(uint64_t h, struct ipc_msg *m) { IPC_ASM(SYS_IPC_CALL, h, m); }
static inline int64_t ipc_send(uint64_t h, struct ipc_msg *m) { IPC_ASM(SYS_IPC_SEND, h, m); }
static inline int64_t ipc_recv(uint64_t h, struct ipc_msg *m) { IPC_ASM(SYS_IPC_RECV, h, m); }
static inline int64_t ipc_reply_recv(uint64_t h, struct ipc_msg *m) { IPC_ASM(SYS_IPC_REPLY_RECV, h, m); }
/* Reply through a reply handle (sys_reply_save), or to a thread (handle
 * with RIGHT_CONTROL) awaiting a reply. */
static inline int64_t ipc_reply(uint64_t h, struct ipc_msg *m) { IPC_ASM(SYS_IPC_REPLY, h, m); }
/* Reply through `reply` (as ipc_reply), then receive on endpoint h into
 * *m: one kernel entry where ipc_reply and ipc_recv take two. With a map
 * item (map_src = our pages | (count - 1), map_dst = where | MAP_* rights;
 * map_src 0: none) the pages are first mapped into the task of the thread
 * answered, as a fault reply maps them. On an error nothing happened.
 * The answer is read from *in, the message received written to *out (the
 * same message, or not: no copy of a kept answer first). */
static inline int64_t ipc_reply_map_to_recv_from(uint64_t h, uint64_t reply,
						 const struct ipc_msg *in, struct ipc_msg *out,
						 uint64_t map_src, uint64_t map_dst)
{
	register uint64_t t0 __asm__("t0") = SYS_IPC_REPLY_TO_RECV;
	register uint64_t t1 __asm__("t1") = reply;
	register uint64_t t2 __asm__("t2") = map_src;
	register uint64_t t3 __asm__("t3") = map_dst;
	register uint64_t a0 __asm__("a0") = h;
	register uint64_t a1 __asm__("a1") = in->info;
	register uint64_t a2 __asm__("a2") = in->w[0];
	register uint64_t a3 __asm__("a3") = in->w[1];
	register uint64_t a4 __asm__("a4") = in->w[2];
	register uint64_t a5 __asm__("a5") = in->w[3];
	register uint64_t a6 __asm__("a6") = in->w[4];
	register uint64_t a7 __asm__("a7") = in->w[5];
	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4),
			   "+r"(a5), "+r"(a6), "+r"(a7), "+r"(t1)
			 : "r"(t0), "r"(t2), "r"(t3) : "memory");
	out->info = a1; out->w[0] = a2; out->w[1] = a3; out->w[2] = a4;
	out->w[3] = a5; out->w[4] = a6; out->w[5] = a7; out->badge = t1;
	return (int64_t)a0;
}

/* The same with *m both the answer and the message received. */
static inline int64_t ipc_reply_map_to_recv(uint64_t h, uint64_t reply, struct ipc_msg *m,
					    uint64_t map_src, uint64_t map_dst)
{
	return ipc_reply_map_to_recv_from(h, reply, m, m, map_src, map_dst);
}

static inline int64_t ipc_reply_to_recv(uint64_t h, uint64_t reply, struct ipc_msg *m)
{
	return ipc_reply_map_to_recv(h, reply, m, 0, 0);
}

/* Cycle-accurate enough under -icount: retired instructions. */
static inline uint64_t rdinstret(void)
{
	uint64_t v;
	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

/* What crt0 was handed (see abi/pager.h). */
extern struct proc_start libsys_start_info;
static inline void *ipcbuf(void) { return (void *)libsys_start_info.ipcbuf; }

/* Calls to the pager: result word 0 (>= 0, or a negated ERR_*). */
int64_t pager_call(struct ipc_msg *m);
/* Start a program from the boot image: argv[0] names it. grant: a handle
 * to give the child (its proc_start.granted), or 0. Returns pid or -ERR_*.
 * (waitpid, getpid, kill and _exit are the POSIX ones, from <sys/wait.h>,
 * <unistd.h> and <signal.h>.) */
int64_t spawn(const char *const argv[], uint64_t grant);
/* The same with PSPAWN_* flags (abi/pager.h): for starting drivers. */
int64_t spawn_flags(const char *const argv[], uint64_t grant, uint64_t flags);

/* Set the program break (the end of the heap): 0, or -1 with ENOMEM. */
int brk(void *addr);

/* Pager statistics and checks (return 0 / >= 0, or a negated ERR_*). */
struct proc_stats {
	uint64_t virtual_pages;		/* pages covered by VMAs */
	uint64_t resident_pages;	/* pages mapped in the page tables */
	uint64_t pt_pages;		/* page-table pages */
};
struct mem_info {
	uint64_t free_pages;		/* frames free in the pager */
	uint64_t total_pages;		/* frames the pager manages */
	uint64_t node_pages;		/* frames used by page maps (not data) */
	uint64_t map_heap_bytes;	/* pager heap used by small page maps */
	uint64_t page_faults;		/* page faults the pager served, all processes */
	uint64_t nprocs;		/* processes, live and zombie (not reaped) */
};
/* pid 0: the caller; else the caller or one of its descendants. */
int64_t proc_stats(int64_t pid, struct proc_stats *st);
int64_t mem_info(struct mem_info *mi);
/* Up to max VMAs of process pid (0: the caller) starting at the first one
 * ending above `from`: the number filled in; *next is where to continue
 * (0: no more). */
int64_t vma_list(int64_t pid, uint64_t from, struct pager_vma_info *out, uint64_t max,
		 uint64_t *next);
/* Run the pager's sanity checker over every process: 0, or -ERR_IO (the
 * pager prints what is wrong). */
int64_t pager_check(void);
/* The same; *kept: frames the pager keeps for good (its heap's growth,
 * frames donated to the kernel pool), so that a leak check can tell them
 * from leaked ones. */
int64_t pager_check_kept(uint64_t *kept);
/* Lower (or restore, with 0) the caller's limit on mapped pages. */
int64_t pager_set_limit(uint64_t pages);
/* Memory a device may reach by physical address: len bytes (whole pages,
 * at most PAGER_DMA_MAX_PAGES) of physically contiguous, zeroed RAM, mapped
 * read/write. Returns its address, *pa the physical address of its first
 * byte; or a negated ERR_*. Freed by munmap or at exit. */
int64_t dma_alloc(uint64_t len, uint64_t *pa);
/* Set / read limit PRLIMIT_* of process pid (0: the caller; else one of
 * its descendants). A limit may not go above the caller's own. */
int64_t pager_setrlimit(int64_t pid, uint64_t resource, uint64_t value);
int64_t pager_getrlimit(int64_t pid, uint64_t resource);

/* Start driver `name` from the boot image with PSPAWN_* flags and give it
 * the first of devs it accepts (device_label, the capability granted;
 * -ERR_NODEV: not its kind), then that device's IRQ (irq_label). Its
 * endpoint (*pid_out: its pid), or an error with nothing left behind
 * (libsys/src/driver.c). */
int64_t driver_spawn(const char *name, const struct proc_device *devs, uint64_t ndevs,
		     uint64_t device_label, uint64_t irq_label, uint64_t flags, int64_t *pid_out);

/* In the driver: if handle h names a device of `kind` (DEV_*), map its
 * registers read/write at va (*di: what it is); -ERR_NODEV if it is
 * another kind (the starter offers the next one). */
int64_t driver_map_device(uint64_t h, uint32_t kind, uint64_t va, struct device_info *di);

/* In the driver: IRQ handle irq's interrupts become calls on ep with
 * `badge` (no client has it) and `label`, through a notification and a
 * relay thread (blk_relay_start); 0, or an error with nothing left. */
int64_t driver_irq_relay(uint64_t irq, uint64_t ep, uint64_t badge, uint64_t label);

/* The receive loop of a small driver server (libsys/src/driver.c):
 * serve fills the reply words (w[0] becomes its result) and the reply
 * payload's length (the bytes already in the IPC buffer), or returns
 * SERVER_DEFERRED to answer later; replied (optional) runs after each
 * answer. Faults of threads clients made on our endpoint are refused.
 * Returns (1) only when the endpoint is gone. */
#define SERVER_DEFERRED	INT64_MIN
struct server_ops {
	int64_t (*serve)(struct ipc_msg *m, uint64_t *w, uint64_t *len);
	void (*replied)(int64_t result, uint64_t len);
};
int server_run(const char *name, uint64_t ep, const struct server_ops *ops);

#endif
