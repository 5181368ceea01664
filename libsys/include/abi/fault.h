/*
 * The fault message: what the kernel sends to a thread's pager endpoint when
 * the thread takes a page fault or any other exception, and the replies the
 * pager may give. One fault = one IPC call made by the kernel on the
 * thread's behalf + one reply; the thread stays blocked until the reply.
 *
 * Fault message (info has IPC_KERNEL set, label FAULT_LABEL, length 0):
 *   w[0] address   stval: faulting virtual address (0 for non-memory faults)
 *   w[1] access    FAULT_READ, FAULT_WRITE or FAULT_EXEC
 *   w[2] pc        sepc of the faulting instruction
 *   w[3] kind      FAULT_KIND_*
 *   w[4] cause     raw scause, for reports
 *   badge          the fault badge the thread was created with
 *
 * Replies (label):
 *   FAULT_REPLY_MAP     w[0] page in the pager's own space, w[1] page to map
 *                       in the faulting space, w[2] MAP_* rights; then resume
 *   FAULT_REPLY_MAP_RUN as FAULT_REPLY_MAP for a run of pages: w[0] first
 *                       source page, w[1] first page to map, w[2] MAP_*
 *                       rights for all, w[3] number of pages (1 ..
 *                       MAP_RUN_MAX); all or nothing (see SYS_MAP_RUN)
 *   FAULT_REPLY_RESUME  resume; the pager fixed things by other means
 *   FAULT_REPLY_KILL    the thread is stopped and never runs again
 *   FAULT_REPLY_REGS    resume at new registers: w[0] pc, w[1] sp, w[2] ra,
 *                       w[3..5] a0..a2 (every other register unchanged);
 *                       how a signal handler is entered
 * A malformed reply (bad label, unmapped source page, bad rights or page
 * count, out of kernel memory, a faulting task that is not the pager's
 * own or one it created, a REGS pc or sp outside user space) maps nothing
 * and stops the
 * thread as FAULT_REPLY_KILL would. (A RESUME, or a MAP of some other page,
 * simply faults again: avoiding that loop is the pager's business.)
 */
#ifndef ABI_FAULT_H
#define ABI_FAULT_H

#include "kernel.h"

#define FAULT_LABEL		0xfa17

#define FAULT_READ		1
#define FAULT_WRITE		2
#define FAULT_EXEC		4

#define FAULT_KIND_PAGE		1	/* page fault: address is meaningful */
#define FAULT_KIND_ILLEGAL	2	/* illegal instruction */
#define FAULT_KIND_MISALIGNED	3	/* misaligned access */
#define FAULT_KIND_BREAKPOINT	4	/* ebreak */
#define FAULT_KIND_ACCESS	5	/* access fault (PMP / bus) */
#define FAULT_KIND_EXIT		6	/* not a fault: a death message (below) */

#define FAULT_REPLY_MAP		1
#define FAULT_REPLY_RESUME	2
#define FAULT_REPLY_KILL	3
#define FAULT_REPLY_REGS	4
#define FAULT_REPLY_MAP_RUN	5

/*
 * Death message: when a thread with a pager endpoint dies, however it
 * dies, the kernel queues the dead thread itself on that endpoint as a
 * kernel-made message (nothing is allocated, nothing can be lost). The
 * pager receives it like a fault and does not reply.
 *   info  IPC_KERNEL, label THREAD_EXIT_LABEL, length 0
 *   w[0]  reason       THREAD_EXIT_*
 *   w[1]  pc           where the thread stopped
 *   w[2]  address      its last fault address (0 if it never faulted)
 *   w[3]  kind         FAULT_KIND_EXIT, so a pager that looks only at the
 *                      kind sees something other than a page fault
 *   w[4]  thread id    the kernel's id, for reports
 *   badge              the thread's fault badge
 * Messages for threads the pager itself killed (by destroying their task)
 * arrive too; a pager matches them by badge and ignores those it expects.
 */
#define THREAD_EXIT_LABEL	0xdead

#define THREAD_EXIT_SELF	1	/* SYS_THREAD_EXIT */
#define THREAD_EXIT_KILLED	2	/* its task was destroyed */
#define THREAD_EXIT_FAULT_KILL	3	/* the pager replied FAULT_REPLY_KILL */
#define THREAD_EXIT_BAD_REPLY	4	/* a malformed fault reply */
#define THREAD_EXIT_PAGER_GONE	5	/* the pager thread holding its fault died */
#define THREAD_EXIT_NOMEM	6	/* a fault reply's map did not fit the
					   task's kernel-memory quota */

struct fault_msg {
	uint64_t addr;
	uint64_t access;
	uint64_t pc;
	uint64_t kind;
	uint64_t cause;
	uint64_t badge;
};

/*
 * Bounded replies (SYS_REPLY_BOUND, kernel/reply.c): a pager that saved a
 * fault's reply (SYS_REPLY_SAVE) may bound it to [lo, hi) and MAP_*
 * rights before granting it to another pager (a per-region delegate,
 * docs/fault-protocol.md). A reply through a bounded handle is then
 * checked against the bound instead of the "own task or one it created"
 * rule: FAULT_REPLY_MAP / MAP_RUN only of the replier's own pages (a
 * derived mapping: the replier's unmap takes it back), only to pages
 * inside [lo, hi), only with rights within the bound; RESUME and KILL as
 * usual; REGS never. Anything else is a malformed reply (maps nothing,
 * THREAD_EXIT_BAD_REPLY). The first bound needs a task that could map
 * there itself; later calls only narrow it (lo == hi: no map at all).
 */

#endif
