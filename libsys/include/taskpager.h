/*
 * Per-task pagers, the holder's side (libsys/src/taskpager.c; the
 * protocol: abi/pager.h's PSPAWN_PAGER and PAGER_FAULT_FORWARD;
 * docs/custom-pager.md). Start a child whose faults come to an endpoint
 * of ours, receive them, and forward each to the pager or answer it.
 */
#ifndef LIBSYS_TASKPAGER_H
#define LIBSYS_TASKPAGER_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/fault.h"
#include "abi/pager.h"

/* Start argv[0] (a path with '/': from the disk; else from the boot
 * image) with endpoint ep (ours, to receive on) as its pager. Its pid or
 * -ERR_*. */
int64_t taskpager_start(const char *const argv[], uint64_t ep);

/* A message received on the endpoint: a fault or a death message of one
 * of our children (m->badge: PAGER_FAULT_BADGE(pid) unless ep was
 * badged), or anything else (not from the kernel: not ours to serve). */
static inline bool taskpager_is_fault(const struct ipc_msg *m)
{
	return (m->info & IPC_KERNEL) && ipc_label(m->info) == FAULT_LABEL;
}
static inline bool taskpager_is_death(const struct ipc_msg *m)
{
	return (m->info & IPC_KERNEL) && ipc_label(m->info) == THREAD_EXIT_LABEL;
}
static inline int64_t taskpager_pid(const struct ipc_msg *m)
{
	return (int64_t)PAGER_BADGE_PID(m->badge);
}

/* Forward fault m (just received: we hold its reply) of child pid to the
 * pager, which answers the child's thread. PFWD_* (how it was resolved;
 * *status: the wait status for PFWD_ENDED) or -ERR_*. */
int64_t taskpager_forward(const struct ipc_msg *m, int64_t pid, uint64_t *status);
/* Tell the pager child pid's thread died (m a death message we got):
 * the child ends, as if the pager had seen it. PFWD_ENDED or -ERR_*. */
int64_t taskpager_forward_death(int64_t pid);
/* Answer the fault just received ourselves: FAULT_REPLY_KILL (the thread
 * stops; its death message comes to us next) or FAULT_REPLY_RESUME. */
int64_t taskpager_answer(uint64_t label);

#endif
