/*
 * <sys/signal.h> for this system, in place of picolibc's (whose <signal.h>
 * includes this one and keeps declaring sig_atomic_t, SIG_DFL, SIG_IGN,
 * SIG_ERR, signal, raise and psignal). picolibc's has no sa_sigaction,
 * SA_* flags but one, si_addr or ucontext_t; this one has what POSIX
 * signals need, with picolibc's signal numbers (abi/signal.h gives the
 * same numbers and layouts to the pager; libsys/src/signal.c checks they
 * agree). The calls are libsys's: docs/signals.md.
 */
#ifndef _SYS_SIGNAL_H
#define _SYS_SIGNAL_H

#include "_ansi.h"
#include <sys/cdefs.h>
#include <sys/features.h>
#include <sys/types.h>
#include <sys/_sigset.h>
#include <sys/_timespec.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(_SIGSET_T_DECLARED)
#define _SIGSET_T_DECLARED
typedef __sigset_t sigset_t;
#endif

typedef void (*_sig_func_ptr)(int);

#define SIGHUP		1
#define SIGINT		2
#define SIGQUIT		3
#define SIGILL		4
#define SIGTRAP		5
#define SIGIOT		6
#define SIGABRT		6
#define SIGEMT		7
#define SIGFPE		8
#define SIGKILL		9	/* cannot be caught, blocked or ignored */
#define SIGBUS		10
#define SIGSEGV		11
#define SIGSYS		12
#define SIGPIPE		13
#define SIGALRM		14
#define SIGTERM		15
#define SIGURG		16
#define SIGSTOP		17	/* cannot be caught or blocked; no job control: ignored */
#define SIGTSTP		18
#define SIGCONT		19
#define SIGCHLD		20
#define SIGCLD		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGIO		23
#define SIGPOLL		SIGIO
#define SIGXCPU		24
#define SIGXFSZ		25
#define SIGVTALRM	26
#define SIGPROF		27
#define SIGWINCH	28
#define SIGLOST		29
#define SIGUSR1		30
#define SIGUSR2		31
#define NSIG		32	/* signal 0 implied */

union sigval {
	int sival_int;
	void *sival_ptr;
};

#define SIGEV_NONE	1
#define SIGEV_SIGNAL	2
#define SIGEV_THREAD	3

struct sigevent {
	int sigev_notify;
	int sigev_signo;
	union sigval sigev_value;
};

/* struct psig_info's layout. */
typedef struct {
	int si_signo;
	int si_code;
	int si_errno;
	pid_t si_pid;
	unsigned int si_uid;
	int si_status;
	void *si_addr;
	union sigval si_value;
	long si_band;
} siginfo_t;

/* si_code values. */
#define SI_USER		0	/* kill(), raise() */
#define SI_KERNEL	0x80	/* alarm() */
#define SI_QUEUE	(-1)
#define SI_TIMER	(-2)
#define SI_MESGQ	(-3)
#define SI_ASYNCIO	(-4)
#define SEGV_MAPERR	1	/* address not mapped */
#define SEGV_ACCERR	2	/* access not allowed by the mapping */
#define BUS_ADRALN	1
#define BUS_ADRERR	2	/* past the end of a mapped file */
#define BUS_OBJERR	3
#define ILL_ILLOPC	1
#define FPE_INTDIV	1
#define TRAP_BRKPT	1
#define CLD_EXITED	1
#define CLD_KILLED	2
#define CLD_DUMPED	3
#define CLD_TRAPPED	4
#define CLD_STOPPED	5
#define CLD_CONTINUED	6

struct sigaction {
	union {
		_sig_func_ptr sa_handler;
		void (*sa_sigaction)(int, siginfo_t *, void *);
	};
	sigset_t sa_mask;
	int sa_flags;
};

#define SA_NOCLDSTOP	0x00000001
#define SA_NOCLDWAIT	0x00000002	/* accepted, no effect */
#define SA_SIGINFO	0x00000004
#define SA_ONSTACK	0x08000000	/* on the sigaltstack, if one is set */
#define SA_RESTART	0x10000000
#define SA_NODEFER	0x40000000
#define SA_RESETHAND	0x80000000

#define MINSIGSTKSZ	2048
#define SIGSTKSZ	8192
#define SS_ONSTACK	0x1
#define SS_DISABLE	0x2

typedef struct sigaltstack {
	void *ss_sp;
	int ss_flags;
	size_t ss_size;
} stack_t;

/* The saved registers: __gregs[REG_PC] the pc, __gregs[n] register xn
 * (n 1..31); __fpregs f0..f31 then fcsr. */
#define REG_PC	0
#define REG_RA	1
#define REG_SP	2
#define REG_A0	10
typedef struct {
	unsigned long __gregs[32];
	unsigned long __fpregs[33];
} mcontext_t;

/* struct psig_ucontext's layout. */
typedef struct ucontext {
	unsigned long uc_flags;
	struct ucontext *uc_link;
	stack_t uc_stack;
	sigset_t uc_sigmask;
	mcontext_t uc_mcontext;
} ucontext_t;

#define SIG_SETMASK	0
#define SIG_BLOCK	1
#define SIG_UNBLOCK	2

int sigprocmask(int, const sigset_t *, sigset_t *);
int pthread_sigmask(int, const sigset_t *, sigset_t *);
int kill(pid_t, int);
int killpg(pid_t, int);
int sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int sigaddset(sigset_t *, const int);
int sigdelset(sigset_t *, const int);
int sigismember(const sigset_t *, int);
int sigfillset(sigset_t *);
int sigemptyset(sigset_t *);
int sigpending(sigset_t *);
int sigsuspend(const sigset_t *);
int sigwait(const sigset_t *, int *);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int siginterrupt(int, int);

#ifdef __cplusplus
}
#endif

#ifndef _SIGNAL_H_
/* As in glibc, <sys/signal.h> is <signal.h>. */
#include <signal.h>
#endif

#endif
