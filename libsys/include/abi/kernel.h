/*
 * The kernel ABI: syscall numbers, register convention, error codes, handle
 * rights, the IPC message layout and the boot information handed to the
 * pager. Included by the kernel and by user code alike; this file is the
 * single definition. docs/syscalls.md describes every call.
 */
#ifndef ABI_KERNEL_H
#define ABI_KERNEL_H

#include <stdint.h>

/*
 * Register convention (every syscall, entered with `ecall` from U-mode):
 *   t0       syscall number (SYS_*)
 *   a0..a5   arguments
 *   a0       result on return: >= 0 success, < 0 a negated ERR_* code
 * IPC syscalls (SYS_IPC_*) carry a message instead:
 *   a0       handle in, status out
 *   a1       info (see IPC_INFO_*) in and out
 *   a2..a7   message words 0..5 in and out
 *   t1       badge of the sender, on return from a receive
 * Every other register is preserved.
 */
enum sys_number {
	SYS_DEBUG_WRITE = 0,	/* (buf, len) -> len */
	SYS_YIELD,		/* () -> 0 */
	SYS_SHUTDOWN,		/* (power, code): power off, does not return */
	SYS_IPC_CALL,		/* send, then wait for the reply */
	SYS_IPC_SEND,		/* send, blocking until received */
	SYS_IPC_RECV,		/* wait for a message */
	SYS_IPC_REPLY_RECV,	/* reply to the last caller, then wait */
	SYS_IPC_REPLY,		/* reply through a reply handle, or to a thread
				   (handle) awaiting one */
	SYS_IPCBUF_SET,		/* (va): the calling thread's IPC buffer page */
	SYS_ENDPOINT_CREATE,	/* () -> handle */
	SYS_NOTIF_CREATE,	/* () -> handle */
	SYS_NOTIFY,		/* (h): OR the handle's badge into the word */
	SYS_WAIT,		/* (h) -> bits, cleared */
	SYS_TASK_CREATE,	/* () -> handle */
	SYS_TASK_DESTROY,	/* (task): kill its threads, free its tables */
	SYS_TASK_INFO,		/* (task, struct task_info *) -> 0 */
	SYS_THREAD_CREATE,	/* (task, pc, sp, arg, pager ep, fault badge) -> h;
				   a badged pager handle's badge wins */
	SYS_THREAD_EXIT,	/* (): the calling thread ends */
	SYS_HANDLE_CLOSE,	/* (h) -> 0 */
	SYS_HANDLE_GRANT,	/* (task or 0 = self, h, badge, rights) -> handle */
	SYS_MAP,		/* (task, src va, dst va, rights) -> 0; task must
				   be the caller's or one it created */
	SYS_UNMAP,		/* (task, va, npages) -> pages unmapped */
	SYS_PROTECT,		/* (task, va, npages, rights) -> pages changed */
	SYS_MAP_DEVICE,		/* (device, task or 0 = self, pa, va, rights) -> 0;
				   pa must be one of the device's pages */
	SYS_IRQ_BIND,		/* (irq, notif or 0 = unbind) -> 0 */
	SYS_IRQ_ACK,		/* (irq) -> 0 */
	SYS_KERNEL_INFO,	/* (struct kernel_info *) -> 0 */
	SYS_DEVICE_INFO,	/* (device, struct device_info *) -> 0 */
	SYS_IPC_RECV_SLOT,	/* (slot or 0): where a granted handle may land */
	SYS_REPLY_SAVE,		/* () -> reply handle for the pending caller */
	SYS_THREAD_REGS_READ,	/* (thread, struct user_regs *) -> 0 */
	SYS_THREAD_REGS_WRITE,	/* (thread, const struct user_regs *) -> 0;
				   the thread must be suspended */
	SYS_THREAD_SUSPEND,	/* (thread) -> 0 */
	SYS_THREAD_RESUME,	/* (thread) -> 0 */
	SYS_THREAD_SET_PAGER,	/* (thread, pager ep or 0, fault badge) -> 0;
				   a badged pager handle's badge wins */
	SYS_MAP_RUN,		/* (task, src va, dst va, rights, npages) -> 0: SYS_MAP
				   of 1..MAP_RUN_MAX pages, all or nothing */
	SYS_TASK_QUOTA,		/* (task or 0 = self, limit pages or -1 = read)
				   -> pages used, a1 = limit; set: own child only */
	SYS_KMEM_DONATE,	/* (va, npages) -> 0: the pager's pages join the
				   kernel pool (root task only) */
	SYS_TIMER_SET,		/* (notif, deadline in time ticks or 0 = cancel)
				   -> 0: one-shot, notifies at the deadline */
	SYS_IDLE_NOTIFY,	/* (endpoint or 0, label) -> 0: one kernel message
				   to a receiver there when the hart next idles
				   (root task only) */
	SYS_REPLY_BOUND,	/* (reply, lo, hi, max MAP_* rights) -> 0: a fault reply
				   through it may then map only the replier's pages
				   into [lo, hi) (abi/fault.h); -ERR_SRCH: spent */
	SYS_IPC_REPLY_TO_RECV,	/* (endpoint, t1 = reply or thread handle): SYS_IPC_REPLY
				   through t1, then SYS_IPC_RECV on the endpoint;
				   nothing happens if either handle is refused */
	SYS_TASK_DMA,		/* (task) -> 0: the task may use SYS_VM_PHYS (root
				   task only; docs/syscalls.md "DMA") */
	SYS_VM_PHYS,		/* (va, npages, uint64_t *out) -> npages: the physical
				   address of each of the caller's own pages, each
				   mapped user R/W RAM (all or nothing; DMA tasks only) */
	SYS_MAP_LIST,		/* (task, list va, dst va, rights, npages) -> 0: SYS_MAP of
				   the caller's page list[i] at dst + i pages, 1..MAP_RUN_MAX;
				   on an error the pages before the failing one stay mapped */
	SYS_PROTECT_LIST,	/* (task, list va, npages, rights) -> pages changed: SYS_PROTECT
				   of each listed page, 1..MAP_RUN_MAX; rights not 0 */
	SYS_THREAD_PC_SP_WRITE,	/* (thread, pc, sp) -> 0: only those two registers of a
				   suspended thread; a reply landing in a0..a7, t1 stays */
	SYS_COUNT
};

/*
 * Error codes, returned negated. The values are those of picolibc's errno
 * so the POSIX layer in libsys passes them through unchanged.
 */
#define ERR_PERM	1	/* handle lacks the right for this operation */
#define ERR_NOENT	2	/* no such object or name */
#define ERR_SRCH	3	/* no such task or thread */
#define ERR_INTR	4	/* a blocking call cut short by a suspend */
#define ERR_IO		5
#define ERR_NOEXEC	8	/* not an executable we can load */
#define ERR_BADF	9	/* invalid handle, or a handle of the wrong type */
#define ERR_CHILD	10
#define ERR_AGAIN	11
#define ERR_NOMEM	12	/* kernel or pager memory exhausted */
#define ERR_ACCES	13
#define ERR_FAULT	14	/* user pointer not mapped, not user, misaligned,
				   or on a device page */
#define ERR_BUSY	16	/* a notification already has a waiter */
#define ERR_EXIST	17
#define ERR_NODEV	19
#define ERR_INVAL	22	/* bad argument value */
#define ERR_NOSPC	28	/* a table is full */
#define ERR_NOSYS	88	/* no such syscall / request */
#define ERR_NOTSUP	134
/* File-system errors (servers/fs), picolibc's values too. */
#define ERR_NOTDIR	20	/* a path component is not a directory */
#define ERR_ISDIR	21	/* a directory where a file was wanted */
#define ERR_FBIG	27	/* file would pass the largest size */
#define ERR_ROFS	30	/* file system mounted read-only */
#define ERR_MLINK	31	/* too many links to an inode */
#define ERR_NOTEMPTY	90	/* directory not empty */
#define ERR_NAMETOOLONG	91	/* path or name component too long */

/* Rights held by a handle, and rights of a mapping. */
#define RIGHT_SEND	0x1u	/* endpoint: call/send; notification: notify */
#define RIGHT_RECV	0x2u	/* endpoint: receive; notification: wait */
#define RIGHT_GRANT	0x4u	/* may be copied into another task */
#define RIGHT_CONTROL	0x8u	/* task/thread: map, create, destroy;
				   thread: registers, suspend, pager */
#define RIGHTS_ALL	0xfu

#define MAP_R		0x1u	/* page mapping rights for SYS_MAP, SYS_PROTECT */
#define MAP_W		0x2u	/* W implies R (Sv39 has no write-only pages) */
#define MAP_X		0x4u

#define MAP_RUN_MAX	512	/* pages per SYS_MAP_RUN / FAULT_REPLY_MAP_RUN */
#define VM_PHYS_MAX	64	/* pages per SYS_VM_PHYS */
#define KMEM_DONATE_MAX	4096	/* pages per SYS_KMEM_DONATE */

/*
 * IPC message info word (register a1):
 *   bits  0..12  length in bytes of the IPC-buffer payload (0..4096)
 *   bit  13      IPC_GRANT: word 5 is a handle to copy to the receiver's
 *                receive slot (SYS_IPC_RECV_SLOT); the receiver sees the
 *                slot's number there (or a negative error)
 *   bit  14      IPC_KERNEL: the message was made by the kernel (a fault);
 *                set only by the kernel, cleared from user-sent infos
 *   bits 16..63  label, the message's operation or result code
 */
#define IPC_LEN_MASK	0x1fffu
#define IPC_GRANT	(1u << 13)
#define IPC_KERNEL	(1u << 14)
#define IPC_LABEL_SHIFT	16
#define IPC_WORDS	6
#define IPC_BUF_SIZE	4096

static inline uint64_t ipc_info(uint64_t label, uint64_t len, uint64_t flags)
{
	return (label << IPC_LABEL_SHIFT) | flags | (len & IPC_LEN_MASK);
}
static inline uint64_t ipc_label(uint64_t info) { return info >> IPC_LABEL_SHIFT; }
static inline uint64_t ipc_len(uint64_t info) { return info & IPC_LEN_MASK; }

/* A message as user code sees it; the stubs move it in and out of a1..a7. */
struct ipc_msg {
	uint64_t info;
	uint64_t w[IPC_WORDS];
	uint64_t badge;		/* filled on receive */
};

/* User virtual address space (Sv39 lower half). */
#define PAGE_SIZE	4096ul
#define PAGE_SHIFT	12
#define USER_TOP	0x4000000000ul	/* first address past user space */

/* Handles the kernel puts in the pager's table at boot. */
#define H_SELF_TASK	1
#define H_SELF_THREAD	2
#define H_POWER		3	/* shutdown (SYS_SHUTDOWN), nothing else */
#define H_DEVCTL	H_POWER	/* its old name */
/* Then, from 4 on, one handle per device and per device IRQ the kernel
 * found, as listed in boot_info.devices. */

/*
 * The pager's address space at boot: its ELF image, its stack below
 * PAGER_STACK_TOP, the boot information page, the boot image (read-only)
 * and every free page of RAM in one linear window at PAGER_RAM_VA.
 */
#define PAGER_BOOTINFO_VA	0x0800000000ul
#define PAGER_INITRD_VA		0x1000000000ul
#define PAGER_RAM_VA		0x2000000000ul
#define PAGER_STACK_TOP		0x0700000000ul
#define PAGER_STACK_SIZE	(64ul * 1024)

#define BOOT_MAX_VIRTIO	8
#define BOOT_ARGS_MAX	256
#define BOOT_MAX_DEVICES 16

/*
 * A device the kernel found in the device tree and made a capability for
 * (SYS_DEVICE_INFO, boot_info.devices). Only these kinds are ever handed
 * out: never the interrupt controller, the timer (CLINT), the power/reset
 * device, or any memory.
 */
#define DEV_VIRTIO_MMIO	1	/* one virtio-mmio slot, present or not */
#define DEV_UART	2	/* ns16550a (the kernel also prints on it) */
#define DEV_RTC		3	/* goldfish real-time clock */

struct device_info {
	uint64_t pa;		/* first register page */
	uint64_t size;		/* bytes, a whole number of pages */
	uint32_t irq;		/* its interrupt (PLIC source), 0 if none */
	uint32_t kind;		/* DEV_* */
};

/* A device capability the kernel put in the pager's handle table. */
struct boot_device {
	struct device_info info;
	uint32_t handle;	/* the device (SYS_MAP_DEVICE, SYS_DEVICE_INFO) */
	uint32_t irq_handle;	/* its IRQ (SYS_IRQ_BIND/ACK), 0 if it has none */
};

/* What the kernel found and hands to the pager (a0 at its entry). */
struct boot_info {
	uint64_t ram_base_pa;	/* physical address of window offset 0 */
	uint64_t ram_size;	/* bytes mapped at PAGER_RAM_VA */
	uint64_t ram_used;	/* bytes at the window start already in use */
	uint64_t initrd_size;	/* bytes mapped at PAGER_INITRD_VA */
	uint64_t mem_total;	/* RAM found in the device tree */
	uint64_t timebase_hz;
	uint32_t nharts;
	uint32_t nvirtio;
	struct { uint64_t pa; uint32_t irq; uint32_t pad; } virtio[BOOT_MAX_VIRTIO];
	uint64_t rtc_pa;	/* goldfish RTC, 0 if none */
	uint32_t rtc_irq;
	uint32_t pad;
	char bootargs[BOOT_ARGS_MAX];	/* /chosen/bootargs, NUL-terminated */
	uint32_t ndevices;
	uint32_t pad2;
	struct boot_device devices[BOOT_MAX_DEVICES];
};

/* A thread's registers (SYS_THREAD_REGS_READ / _WRITE): x[0] is the pc,
 * x[1..31] the integer registers x1..x31 (ra, sp, gp, tp, t0, ...). */
struct user_regs {
	uint64_t x[32];
};

/* SYS_TASK_INFO result. */
struct task_info {
	uint64_t pt_pages;	/* page-table pages, root included */
	uint64_t mapped_pages;	/* leaf mappings present */
	uint64_t nthreads;
	/* Kernel-memory quota, in pages, of the account the task charges:
	 * its own (quota_own 1) or the one it was created under. */
	uint64_t quota_used;	/* rounded up */
	uint64_t quota_limit;
	uint64_t quota_own;
};

/* SYS_KERNEL_INFO result. */
struct kernel_info {
	uint64_t kmem_free_pages;	/* kernel object pool */
	uint64_t kmem_total_pages;
	uint64_t nthreads;
	uint64_t ntasks;
	uint64_t mapping_records;	/* mapping database nodes (derived mappings) */
	uint64_t timebase_hz;		/* `time` CSR ticks per second */
};

#endif
