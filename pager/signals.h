/*
 * Signals (pager/signal.c, docs/signals.md): per process the actions, the
 * blocked and pending sets and the alarm; delivery by a frame the pager
 * writes on the process's stack. Named signals.h, not signal.h: the
 * pager's directory is on the include path, where <signal.h> must stay
 * picolibc's.
 */
#ifndef PAGER_SIGNALS_H
#define PAGER_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"
#include "abi/signal.h"

struct proc;

#define VALID_MASK	(~1u)	/* signal bits 1 .. 31 */

struct proc_sigaction {
	uint64_t handler;	/* PSIG_DFL, PSIG_IGN or an address */
	uint32_t flags;		/* PSA_* */
	uint32_t mask;		/* blocked while the handler runs */
};

struct proc_signals {
	struct proc_sigaction act[PSIG_COUNT];
	int32_t sender[PSIG_COUNT];	/* who sent each pending signal (si_pid) */
	uint32_t blocked, pending;
	uint32_t suspend_mask;	/* the mask sigsuspend replaced */
	int chld_status;	/* wait status of the child a pending SIGCHLD is about */
	bool suspended;		/* in PAGER_SIGSUSPEND, reply deferred */
	bool refetch;		/* a frame waits for a file page's fill */
	uint8_t refetches;	/* fills waited for since the last delivery */
	uint64_t entry, ret;	/* libsys's frame entry and sigreturn point */
	uint64_t cookie;	/* written in every frame, checked at sigreturn */
	uint64_t alarm_at;	/* `time` deadline of alarm(), 0: none */
	uint64_t alt_base, alt_size;	/* sigaltstack; alt_size 0: none */
	/* PADV_EOF_RESUME's pc: a fault past EOF in a VMA_EOF_RESUME range
	 * resumes there, a0 the address (libsys's read window), not SIGBUS */
	uint64_t eof_resume;
};

/* The pager's timer relay calls with this badge (no pid has it). */
#define PAGER_TIMER_BADGE	(1ul << 61)

/* fault.c, where a fault would end p with sig: a handler runs instead
 * (FAULT_REPLY_REGS sent through p's thread handle), or, for the
 * breakpoint at p's sigreturn point, the frame is restored. True if
 * handled (nothing more to do: no reply), false for the default action. */
bool signal_fault(struct proc *p, const struct ipc_msg *m, int sig);

/* fault.c: the stack VMA grown down to addr, if the rules allow (a
 * frame is written as a fault would grow the stack), or NULL. */
struct vma *stack_grow(struct proc *p, uint64_t addr);

/* serve.c: the caller of the request being served, whose delivery waits
 * for signal_reply; NULL between requests. */
extern struct proc *signal_caller;
/* signal.c, for signal_req.c: whether sig does nothing to p (ignored, or
 * a default that ignores); deliver what is ready for t (reply: t is the
 * caller being served); PAGER_ALARM. */
bool signal_ignored(const struct proc *p, int sig);
void signal_deliver_pending(struct proc *t, const struct ipc_msg *reply);
int64_t signal_alarm_set(struct proc *p, uint64_t secs);
/* PAGER_SIGACTION .. PAGER_ALARM. *defer: no reply now. */
int64_t signal_request(struct proc *p, struct ipc_msg *m, bool *defer);
/* PAGER_KILL of pid by caller: -ERR_SRCH (none, or ended), -ERR_PERM (not
 * caller's to signal: may_signal in signal_req.c), -ERR_INVAL. */
int64_t signal_kill(struct proc *caller, uint64_t pid, uint64_t sig, uint64_t flags);
/* Before replying m to p: if a signal is ready for p, the reply goes out
 * now with the handler set to run after it (or p ends). True if so (the
 * caller must not reply). */
bool signal_reply(struct proc *p, struct ipc_msg *m);
/* The earliest alarm deadline of any process (0: none), and delivering
 * those that are due (ptimer.c calls both). */
uint64_t signal_next_alarm(void);
void signal_alarms_due(void);

/* proc.c: a new process's signal state from its parent (fork: all of
 * it but pending signals and the alarm), exec-like start (caught
 * signals back to their default), and p's end (SIGCHLD to parent). */
void signal_inherit(struct proc *child, const struct proc *parent);
void signal_exec(struct proc *p);
void signal_child_ended(struct proc *parent, int64_t child_pid, int status);
/* Post sig from sender to t and deliver what is ready. */
void signal_post(struct proc *t, int sig, int32_t sender);
/* backing.c, after a fill: deliver again the signals whose frame went
 * to a file page that was not resident (signal.c started its fill). */
void signal_refetch(void);

#endif
