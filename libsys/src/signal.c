/*
 * POSIX signals on top of the pager (docs/signals.md): sigaction and
 * signal, sigprocmask, sigpending, sigsuspend, pause, raise, alarm, the
 * sigset_t functions, sigsetjmp/siglongjmp's mask, and __psig_dispatch,
 * which signal_entry.S calls to run a handler from its frame. These
 * replace picolibc's signal() and raise(), which only emulate signals
 * inside the process. kill() is in process.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include "abi/signal.h"
#include "libsys.h"

_Static_assert(sizeof(siginfo_t) == sizeof(struct psig_info) &&
	       offsetof(siginfo_t, si_addr) == offsetof(struct psig_info, addr) &&
	       offsetof(siginfo_t, si_pid) == offsetof(struct psig_info, pid),
	       "siginfo_t is struct psig_info");
_Static_assert(sizeof(ucontext_t) == sizeof(struct psig_ucontext) &&
	       offsetof(ucontext_t, uc_sigmask) == offsetof(struct psig_ucontext, sigmask) &&
	       offsetof(ucontext_t, uc_mcontext) == PSIG_UC_GREGS &&
	       offsetof(struct psig_ucontext, fpregs) == PSIG_UC_FPREGS,
	       "ucontext_t is struct psig_ucontext");
_Static_assert(sizeof(struct psig_frame) == PSIG_FRAME_SIZE && PSIG_FRAME_SIZE % 16 == 0 &&
	       offsetof(struct psig_frame, ipc_keep) == PSIG_FRAME_IPC_KEEP &&
	       offsetof(struct psig_frame, entry_regs) == PSIG_FRAME_ENTRY_REGS &&
	       offsetof(struct psig_frame, info) == PSIG_FRAME_INFO &&
	       offsetof(struct psig_frame, uc) == PSIG_FRAME_UC,
	       "signal_entry.S's offsets");
_Static_assert(SIGBUS == PSIG_BUS && SIGUSR2 == PSIG_USR2 && SIGCHLD == PSIG_CHLD &&
	       (unsigned)SA_SIGINFO == PSA_SIGINFO && (unsigned)SA_RESTART == PSA_RESTART &&
	       (unsigned)SA_NODEFER == PSA_NODEFER && (unsigned)SA_RESETHAND == PSA_RESETHAND &&
	       SIG_BLOCK == PSIG_BLOCK && SIG_UNBLOCK == PSIG_UNBLOCK &&
	       SIG_SETMASK == PSIG_SETMASK && SEGV_ACCERR == PSEGV_ACCERR &&
	       (unsigned)SA_ONSTACK == PSA_ONSTACK && SS_ONSTACK == PSS_ONSTACK &&
	       SS_DISABLE == PSS_DISABLE && MINSIGSTKSZ == PSIG_MINSTKSZ &&
	       BUS_ADRERR == PBUS_ADRERR, "abi/signal.h's numbers");

extern const char __psig_entry[], __psig_return[];

static int result(int64_t r)
{
	if (r >= 0)
		return (int)r;
	errno = (int)-r;
	return -1;
}

static int64_t call(uint64_t label, uint64_t w0, uint64_t w1, struct ipc_msg *m)
{
	m->info = ipc_info(label, 0, 0);
	m->w[0] = w0;
	m->w[1] = w1;
	return pager_call(m);
}

/* The IPC buffer's words (n a multiple of 8), 32 bytes a step: picolibc's
 * memcpy copies bytes, and a 4 KiB copy each way is every asynchronous
 * delivery's cost. Kept from becoming a memcpy call. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_words(uint64_t *d, const uint64_t *s, uint64_t n)
{
	for (; n >= 32; n -= 32, d += 4, s += 4) {
		uint64_t a = s[0], b = s[1], c = s[2], e = s[3];
		d[0] = a;
		d[1] = b;
		d[2] = c;
		d[3] = e;
	}
	for (; n; n -= 8)
		*d++ = *s++;
}

/*
 * Called by __psig_entry with sp at the frame. The part of the IPC buffer
 * the interrupted code may still need (the pager says how much: a reply
 * that landed before we ran, a request being written or to be sent
 * again) is kept on our stack while the handler runs: a handler that
 * reads a file or prints would overwrite it. A handler left by
 * siglongjmp abandons the interrupted code and the copy with it.
 */
void __psig_dispatch(struct psig_frame *f);
void __psig_dispatch(struct psig_frame *f)
{
	void (*h)(int, siginfo_t *, void *) = (void (*)(int, siginfo_t *, void *))f->handler;
	uint64_t *buf = ipcbuf();
	uint64_t keep = buf ? (f->ipc_keep + 7) & ~7ul : 0;

	if (keep > IPC_BUF_SIZE)
		keep = IPC_BUF_SIZE;
	uint64_t saved[keep ? keep / 8 : 1];
	if (keep)
		copy_words(saved, buf, keep);

	if (f->flags & PSIGF_LIVE) {	/* a0..a7, t1 as they were at entry */
		for (int i = 0; i < 8; i++)
			f->uc.gregs[10 + i] = f->entry_regs[i];
		f->uc.gregs[6] = f->entry_regs[8];
	}
	h((int)f->signo, (siginfo_t *)&f->info, &f->uc);
	if (keep)
		copy_words(buf, saved, keep);
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_SIGACTION, 0, 0) };
	int64_t r;

	if (sig <= 0 || sig >= NSIG)
		return result(-ERR_INVAL);
	m.w[0] = (uint64_t)sig;
	if (act) {
		m.w[0] |= PSIGACT_SET;
		m.w[1] = (uint64_t)act->sa_handler;
		m.w[2] = (uint32_t)act->sa_flags;
		m.w[3] = act->sa_mask;
		m.w[4] = (uint64_t)__psig_entry;
		m.w[5] = (uint64_t)__psig_return;
	}
	if ((r = pager_call(&m)) < 0)
		return result(r);
	if (old) {
		old->sa_handler = (_sig_func_ptr)m.w[1];
		old->sa_flags = (int)m.w[2];
		old->sa_mask = m.w[3];
	}
	return 0;
}

/* BSD and glibc semantics: the handler stays, and calls restart. */
_sig_func_ptr signal(int sig, _sig_func_ptr handler)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;

	sa.sa_mask = 0;
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* The alternate stack for SA_ONSTACK handlers (a stack overflow's
 * SIGSEGV needs one): kept by the pager, which writes frames there. */
int sigaltstack(const stack_t *restrict ss, stack_t *restrict old)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_SIGALTSTACK, 0, 0) };
	uint64_t sp;
	int64_t r;

	__asm__ volatile("mv %0, sp" : "=r"(sp));
	if (ss) {
		m.w[0] = PSIGACT_SET;
		m.w[1] = (uint64_t)ss->ss_sp;
		m.w[2] = ss->ss_size;
		m.w[3] = (uint64_t)(unsigned)ss->ss_flags;
	}
	m.w[4] = sp;
	if ((r = pager_call(&m)) < 0)
		return result(r);
	if (old) {
		old->ss_sp = (void *)m.w[1];
		old->ss_size = m.w[2];
		old->ss_flags = (int)m.w[3];
	}
	return 0;
}

int raise(int sig)
{
	return kill(getpid(), sig);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	struct ipc_msg m;
	int64_t r;

	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return result(-ERR_INVAL);
	r = call(PAGER_SIGPROCMASK, set ? (uint64_t)how : PSIG_QUERY, set ? *set : 0, &m);
	if (r < 0)
		return result(r);
	if (old)
		*old = m.w[1];
	return 0;
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	return sigprocmask(how, set, old) < 0 ? errno : 0;
}

int sigpending(sigset_t *set)
{
	struct ipc_msg m;
	int64_t r = call(PAGER_SIGPENDING, 0, 0, &m);

	if (r < 0)
		return result(r);
	*set = m.w[1];
	return 0;
}

int sigsuspend(const sigset_t *mask)
{
	struct ipc_msg m;

	return result(call(PAGER_SIGSUSPEND, *mask, 0, &m));
}

int pause(void)
{
	sigset_t now;

	if (sigprocmask(SIG_BLOCK, NULL, &now) < 0)
		return -1;
	return sigsuspend(&now);
}

unsigned alarm(unsigned secs)
{
	struct ipc_msg m;
	int64_t r = call(PAGER_ALARM, secs, 0, &m);

	return r < 0 ? 0 : (unsigned)r;
}

static int bad_signal(int sig)
{
	return sig <= 0 || sig >= NSIG;
}

int sigemptyset(sigset_t *set)
{
	*set = 0;
	return 0;
}

int sigfillset(sigset_t *set)
{
	*set = ~1ul & 0xfffffffful;	/* signals 1 .. 31 */
	return 0;
}

int sigaddset(sigset_t *set, const int sig)
{
	if (bad_signal(sig))
		return result(-ERR_INVAL);
	*set |= 1ul << sig;
	return 0;
}

int sigdelset(sigset_t *set, const int sig)
{
	if (bad_signal(sig))
		return result(-ERR_INVAL);
	*set &= ~(1ul << sig);
	return 0;
}

int sigismember(const sigset_t *set, int sig)
{
	if (bad_signal(sig))
		return result(-ERR_INVAL);
	return (*set >> sig) & 1;
}

int siginterrupt(int sig, int flag)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0)
		return -1;
	if (flag)
		sa.sa_flags &= ~SA_RESTART;
	else
		sa.sa_flags |= SA_RESTART;
	return sigaction(sig, &sa, NULL);
}

void __sigsetjmp_save(sigjmp_buf env, int savemask)
{
	env[0].__saved = savemask && sigprocmask(SIG_BLOCK, NULL, &env[0].__mask) == 0;
}

void siglongjmp(sigjmp_buf env, int val)
{
	if (env[0].__saved)
		sigprocmask(SIG_SETMASK, &env[0].__mask, NULL);
	longjmp(env[0].__jb, val);
}
