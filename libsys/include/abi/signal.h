/*
 * Signals on the wire (docs/signals.md): the numbers, the sigaction flags
 * and si_codes the pager knows, and the signal frame it writes on a
 * process's stack. The pager (pager/signal.c) writes the frame; libsys
 * (src/signal_entry.S, src/signal.c) runs the handler from it and hands it
 * back at sigreturn. <sys/signal.h> gives the same things their POSIX
 * names and checks that its siginfo_t and ucontext_t match these layouts.
 *
 * The numbers are picolibc's (its <sys/signal.h>), so that a program's
 * SIGBUS is the pager's.
 */
#ifndef ABI_SIGNAL_H
#define ABI_SIGNAL_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define PSIG_HUP	1
#define PSIG_INT	2
#define PSIG_QUIT	3
#define PSIG_ILL	4
#define PSIG_TRAP	5
#define PSIG_ABRT	6
#define PSIG_EMT	7
#define PSIG_FPE	8
#define PSIG_KILL	9
#define PSIG_BUS	10
#define PSIG_SEGV	11
#define PSIG_SYS	12
#define PSIG_PIPE	13
#define PSIG_ALRM	14
#define PSIG_TERM	15
#define PSIG_URG	16
#define PSIG_STOP	17
#define PSIG_TSTP	18
#define PSIG_CONT	19
#define PSIG_CHLD	20
#define PSIG_TTIN	21
#define PSIG_TTOU	22
#define PSIG_IO		23
#define PSIG_XCPU	24
#define PSIG_XFSZ	25
#define PSIG_VTALRM	26
#define PSIG_PROF	27
#define PSIG_WINCH	28
#define PSIG_LOST	29
#define PSIG_USR1	30
#define PSIG_USR2	31
#define PSIG_COUNT	32	/* numbers 1 .. 31; a mask is bit (1 << n) */

#define PSIG_BIT(n)	(1u << (n))
/* Never blocked, caught or ignored. */
#define PSIG_UNBLOCKABLE	(PSIG_BIT(PSIG_KILL) | PSIG_BIT(PSIG_STOP))

/* Handler values besides an address. */
#define PSIG_DFL	0
#define PSIG_IGN	1

/* sigaction flags the pager acts on (Linux's values). */
#define PSA_NOCLDSTOP	0x00000001u
#define PSA_SIGINFO	0x00000004u
#define PSA_ONSTACK	0x08000000u
#define PSA_RESTART	0x10000000u
#define PSA_NODEFER	0x40000000u
#define PSA_RESETHAND	0x80000000u
#define PSA_KNOWN	(PSA_NOCLDSTOP | PSA_SIGINFO | PSA_ONSTACK | PSA_RESTART | PSA_NODEFER | \
			 PSA_RESETHAND)

/* sigaltstack (PAGER_SIGALTSTACK): ss_flags, and the least size. */
#define PSS_ONSTACK	1
#define PSS_DISABLE	2
#define PSIG_MINSTKSZ	2048

/* si_code values (Linux's). */
#define PSI_USER	0
#define PSI_KERNEL	0x80
#define PSI_TIMER	(-2)
#define PSEGV_MAPERR	1
#define PSEGV_ACCERR	2
#define PBUS_ADRALN	1
#define PBUS_ADRERR	2
#define PBUS_OBJERR	3
#define PCLD_EXITED	1
#define PCLD_KILLED	2

#ifndef __ASSEMBLER__
/* siginfo_t as the frame holds it. */
struct psig_info {
	int32_t signo;
	int32_t code;
	int32_t err;
	int32_t pid;		/* the sender (kill), or the child (SIGCHLD) */
	uint32_t uid;
	int32_t status;		/* SIGCHLD: the child's exit code or signal */
	uint64_t addr;		/* SIGSEGV, SIGBUS: the faulting address */
	uint64_t value;
	int64_t band;
};

/* ucontext_t as the frame holds it: gregs[0] is the pc, gregs[1..31]
 * x1..x31 (struct user_regs's order); fpregs f0..f31 and fcsr (written
 * and read back by libsys's entry code, not by the pager). */
struct psig_ucontext {
	uint64_t flags;
	uint64_t link;
	uint64_t stack_sp;
	int32_t stack_flags;
	int32_t pad;
	uint64_t stack_size;
	uint64_t sigmask;
	uint64_t gregs[32];
	uint64_t fpregs[33];
};

/*
 * The frame: at the new sp (16-byte aligned) when the thread starts at the
 * libsys entry point. The pager fills everything but entry_regs and fpregs
 * (zeroed). flags PSIGF_LIVE: the registers a0..a7 and t1 may have changed
 * after the pager wrote uc (a reply from another server landed): the entry
 * code takes them from its own registers (saved in entry_regs) instead.
 * cookie: the process's frame cookie, checked at sigreturn.
 */
struct psig_frame {
	uint64_t handler;
	uint64_t signo;
	uint64_t flags;
	uint64_t cookie;
	uint64_t entry_regs[10];	/* a0..a7, t1, spare */
	struct psig_info info;
	struct psig_ucontext uc;
	uint64_t ipc_keep;		/* bytes of the IPC buffer to keep (below) */
};
#endif
#define PSIGF_LIVE	1

/*
 * ipc_keep: how many bytes at the start of the thread's IPC buffer the
 * interrupted code may still need, which the entry code copies to its
 * stack before the handler and back after it (a handler doing IPC with a
 * payload would overwrite them). The pager says: the length of the reply
 * it delivers with the frame (or of the request to issue again) when the
 * thread is in a call to it; the whole buffer when the thread may be
 * anywhere (a fault, or interrupted where it ran or waited elsewhere).
 */

/* Offsets for the assembly entry code (checked in libsys/src/signal.c). */
#define PSIG_FRAME_HANDLER	0
#define PSIG_FRAME_ENTRY_REGS	32
#define PSIG_FRAME_INFO		112
#define PSIG_FRAME_UC		160
#define PSIG_UC_GREGS		48
#define PSIG_UC_FPREGS		304
#define PSIG_FRAME_IPC_KEEP	728
#define PSIG_FRAME_SIZE		736	/* sizeof, a multiple of 16 */

#endif
