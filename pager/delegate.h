/*
 * Per-region pagers (delegate.c, docs/pager-protocol.md): a region of a
 * process's space whose faults another process serves, L4Re's region
 * mapper style. The fault is forwarded with its reply right, bounded by
 * the kernel to the region (SYS_REPLY_BOUND), so the delegate answers the
 * faulting thread itself.
 */
#ifndef PAGER_DELEGATE_H
#define PAGER_DELEGATE_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"
#include "proc.h"

/* ops->fault's result for a delegated region: forward it (fault.c). */
#define MEMOBJ_DELEGATE	(-ERR_NOTSUP)

/* A delegate that has not answered a forwarded fault this long after it
 * was forwarded: the faulting process gets SIGBUS (rdtime ticks, 1 s at
 * QEMU virt's 10 MHz). The default: a region may set its own. */
#define DELEGATE_TIMEOUT	10000000ul
/* The longest timeout a region may ask for (PAGER_DELEGATE), in ms. */
#define DELEGATE_TIMEOUT_MAX_MS	60000
/* The longest a region may set (PAGER_DELEGATE w4's high half), in ms. */
#define DELEGATE_TIMEOUT_MAX_MS	60000
/* Forwarded faults held at once. A process has one thread the pager
 * serves, so one fault pending at most: with answered ones reaped when
 * the table is full, it never is (a fault past it would get SIGBUS), and
 * no client or delegate can take another's room. */
#define DELEGATE_PENDING_MAX	MAX_PROCS

/* Forward client's fault m (as received; its reply right is still ours,
 * implicitly) at v's delegated region to the region's delegate, or to
 * delegate_pid if that is not 0 (another forwarding pager may reuse
 * this). Whether to reply now (m then holds the reply). */
bool delegate_forward(struct proc *client, struct vma *v, struct ipc_msg *m, int64_t delegate_pid);
/* PAGER_DELEGATE and PAGER_DELEGATE_FETCH from p. Whether to reply now
 * (false: a fetch waits for a fault). *r: the result word. */
bool delegate_request(struct proc *p, struct ipc_msg *m, int64_t *r);
/* p ended: faults forwarded to it end in SIGBUS, its own are forgotten. */
void delegate_proc_gone(struct proc *p);
/* The timer: faults unanswered past their deadline end in SIGBUS. */
void delegate_tick(void);
/* The earliest deadline of a pending forwarded fault, 0: none. */
uint64_t delegate_next_due(void);

#endif
