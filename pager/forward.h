/*
 * Per-task pagers (forward.c, abi/pager.h's PSPAWN_PAGER and
 * PAGER_FAULT_FORWARD, docs/custom-pager.md): a child whose faults go to
 * the process that started it, and faults that process forwards back to
 * us with their reply handles.
 */
#ifndef PAGER_FORWARD_H
#define PAGER_FORWARD_H

#include <stdbool.h>
#include <stdint.h>
#include "proc.h"

/* PAGER_SPAWN / PAGER_SPAWN_IMAGE with these PSPAWN_* flags from p, the
 * request's granted handle grant: 0 if the spawn may go on (then
 * forward_spawn_end(result) after it), or -ERR_*. The handle the child
 * itself should get (0 for a per-task child: the endpoint is its pager). */
int64_t forward_spawn_begin(struct proc *p, uint64_t flags, uint64_t grant, uint64_t *child_grant);
void forward_spawn_end(int64_t pid);
/* spawn's hook: the endpoint child's thread faults to (ours, or the
 * holder's while a PSPAWN_PAGER spawn by parent runs). */
uint64_t forward_new_thread_pager(const struct proc *p);
/* The endpoint a new thread of existing process p faults to (an exec's,
 * say): its holder's for a per-task child, else ours. */
uint64_t forward_thread_pager(const struct proc *p);

/*
 * Resolve fault f (a fault message's words, badge PAGER_FAULT_BADGE of
 * c's pid) of live process c as if its thread had faulted to us, and
 * answer the thread through the reply handle `reply` (which need not be
 * ours to keep: it is used now or duplicated). Mappings go into c's task
 * directly and the thread is only resumed through the handle, so a handle
 * that names some other thread gains it nothing. Returns PFWD_* (w1 of
 * *out: the wait status for PFWD_ENDED) or -ERR_*. If the fault waits for
 * a file page (PFWD_FILL), *saved is the reply handle fault.c saved for
 * the message being served (the caller's: answer and close it), else 0.
 * Reusable by anything that receives faults for our processes (a
 * delegated region's pager).
 */
int64_t forward_resolve(struct proc *c, struct ipc_msg *f, uint64_t reply, uint64_t *status,
			uint64_t *saved);

/* PAGER_FAULT_FORWARD from p with the granted handle (0: none). True if
 * the caller was answered already (no reply now); else *r is the result
 * and m's words the rest of the reply. */
bool forward_request(struct proc *p, struct ipc_msg *m, uint64_t grant, int64_t *r);

/* p can no longer answer its per-task children (it ended, or exec'd):
 * they end with SIGKILL. */
void forward_holder_gone(struct proc *p);
/* p ended: its per-task children end (SIGKILL), and a reply handle kept
 * for its own suspended fault goes. */
void forward_proc_ended(struct proc *p);

#endif
