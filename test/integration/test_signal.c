/*
 * Signals, one assertion per mode, in the style of the POSIX conformance
 * suites: init runs the mode's assertion in a child, whose exit status is
 * 0 pass, 1 fail, 2 unresolved; then the pager's checker must pass, and
 * "PASS: signal_<mode>" is printed. Assertions that need a process to die
 * run it in a grandchild.
 *
 *   segv_maperr      SA_SIGINFO handler: SIGSEGV, SEGV_MAPERR, si_addr
 *   segv_accerr      write to a read-only page: SEGV_ACCERR, si_addr
 *   segv_retry       the handler mprotects the page and returns: the store
 *                    runs again and succeeds
 *   segv_exit        the handler _exits: the exit status is the handler's
 *   siglongjmp_mask  the handler runs with SIGSEGV blocked; siglongjmp out
 *                    of it restores the mask sigsetjmp saved
 *   segv_default     no handler: WIFSIGNALED, WTERMSIG == SIGSEGV
 *   segv_blocked     a handler, but SIGSEGV blocked: the fault kills
 *   segv_ignored     SIG_IGN for a fault: the fault kills
 *   segv_in_handler  a fault inside the SIGSEGV handler (blocked there) kills
 *   resethand        SA_RESETHAND: the action is SIG_DFL once caught
 *   nodefer          SA_NODEFER: the signal is not blocked in its handler;
 *                    without it, it is, and stays pending until return
 *   kill_handler     kill(child, SIGUSR1) runs the child's handler; pause
 *                    returns -1 EINTR
 *   kill_default     kill(child, SIGTERM) without a handler ends it
 *                    (WTERMSIG == SIGTERM); SIGUSR1 too; SIGCHLD does not
 *   sigkill          SIGKILL cannot be caught, blocked or ignored
 *   mask_pending     sigprocmask + raise: pending, seen by sigpending;
 *                    sigsuspend runs the handler with the old mask back after
 *   alarm_pause      alarm(1) + pause: the handler ran, EINTR; alarm's
 *                    return value; SIGALRM's default ends the process
 *   waitpid_eintr    waitpid interrupted by a caught signal: -1 EINTR
 *   waitpid_restart  ... restarted with SA_RESTART: it returns the child
 *   sigchld          SIGCHLD handler with si_pid, through sigsuspend
 *   signal_raise     signal() and raise(): the handler runs before raise
 *                    returns; signal() returns the old handler
 *   fpregs           a handler using the FP registers leaves the
 *                    interrupted code's FP registers intact
 *   no_spurious_eintr  signals flooding a process busy with pager calls:
 *                    no call fails (a call cut short by the delivery before
 *                    the pager received it is sent again by libsys)
 *   cost             instructions per delivery (run under -icount), printed
 * Attacks (each must end only the attacker, or fail with an error):
 *   attack_frame     sigreturn with garbage, a forged cookie, a pc past
 *                    USER_TOP, sp past USER_TOP: SIGSEGV each
 *   attack_handler   a handler address in non-executable / unmapped memory
 *   attack_stack     a signal (a fault, then kill) while sp is unmapped
 *   attack_perm      kill() of a non-descendant: EPERM; bad numbers: EINVAL
 *   attack_flood     10000 signals to a blocked child: one pending bit, one
 *                    handler run; the pager's memory is unchanged
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi/signal.h"
#include "libsys.h"
#include "t.h"

#define PASS 0
#define FAIL 1
#define UNRESOLVED 2
#define EXPECT(c) do { if (!(c)) { printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			return FAIL; } } while (0)
#define SETUP(c) do { if (!(c)) { printf("UNRESOLVED: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			return UNRESOLVED; } } while (0)

extern const char __psig_return[];

/* Kept in a volatile so the compiler cannot see the null pointer. */
static volatile uintptr_t null_addr = 8;
static volatile int hits, last_sig, last_code, nested, max_nested;
static volatile void *last_addr;
static volatile pid_t last_pid;
static volatile int last_status;
static volatile sigset_t mask_in_handler;
static sigjmp_buf jb;
static char *page;

static int64_t pcall(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { w0, w1, w2 } };

	return pager_call(&m);
}

/* Fork fn in a child; its wait status. */
static int run_child(int (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static int killed_by(int st, int sig)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_addr = si->si_addr;
	last_pid = si->si_pid;
	last_status = si->si_status;
	sigprocmask(SIG_BLOCK, NULL, (sigset_t *)&mask_in_handler);
}

static void on_info_jump(int sig, siginfo_t *si, void *uc)
{
	on_info(sig, si, uc);
	siglongjmp(jb, 1);
}

static void on_plain(int sig)
{
	hits++;
	last_sig = sig;
	sigprocmask(SIG_BLOCK, NULL, (sigset_t *)&mask_in_handler);
}

static int catch(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static int catch_plain(int sig, void (*h)(int), int flags)
{
	struct sigaction sa = { .sa_handler = h, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static char *map(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- synchronous ---- */

static int segv_maperr(void)
{
	char *p = map(PROT_READ | PROT_WRITE);

	SETUP(p && munmap(p, 4096) == 0);
	SETUP(catch(SIGSEGV, on_info_jump, 0) == 0);
	if (sigsetjmp(jb, 1) == 0) {
		(void)*(volatile char *)(p + 123);
		EXPECT(!"the read went on");
	}
	EXPECT(hits == 1 && last_sig == SIGSEGV);
	EXPECT(last_code == SEGV_MAPERR);
	EXPECT(last_addr == p + 123);
	return PASS;
}

static int segv_accerr(void)
{
	char *p = map(PROT_READ);

	SETUP(p);
	SETUP(catch(SIGSEGV, on_info_jump, 0) == 0);
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile char *)(p + 8) = 1;
		EXPECT(!"the write went on");
	}
	EXPECT(hits == 1 && last_sig == SIGSEGV && last_code == SEGV_ACCERR);
	EXPECT(last_addr == p + 8);
	return PASS;
}

static void fix_page(int sig, siginfo_t *si, void *uc)
{
	on_info(sig, si, uc);
	if (mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0)
		_exit(UNRESOLVED);
}

static int segv_retry(void)
{
	page = map(PROT_READ);
	SETUP(page);
	SETUP(catch(SIGSEGV, fix_page, 0) == 0);
	*(volatile int *)(page + 16) = 42;	/* faults once, then goes on */
	EXPECT(hits == 1 && last_code == SEGV_ACCERR && last_addr == page + 16);
	EXPECT(*(volatile int *)(page + 16) == 42);
	sigset_t now;
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && !sigismember(&now, SIGSEGV));
	return PASS;
}

static void exit_handler(int sig)
{
	_exit(sig == SIGSEGV ? 42 : 43);
}

static int segv_exit_child(void)
{
	if (catch_plain(SIGSEGV, exit_handler, 0) != 0)
		return UNRESOLVED;
	return *(volatile int *)null_addr;
}

static int segv_exit(void)
{
	int st = run_child(segv_exit_child);

	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	return PASS;
}

static int siglongjmp_mask(void)
{
	sigset_t before, after;

	SETUP(catch(SIGSEGV, on_info_jump, 0) == 0);
	SETUP(sigemptyset(&before) == 0 && sigaddset(&before, SIGUSR2) == 0);
	SETUP(sigprocmask(SIG_SETMASK, &before, NULL) == 0);
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile int *)null_addr;
	EXPECT(hits == 1);
	EXPECT(sigismember((sigset_t *)&mask_in_handler, SIGSEGV) == 1);	/* blocked inside */
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &after) == 0);
	EXPECT(after == before);	/* SIGSEGV unblocked again, SIGUSR2 still blocked */
	/* Without savemask the handler's mask stays. */
	if (sigsetjmp(jb, 0) == 0)
		(void)*(volatile int *)null_addr;
	EXPECT(hits == 2);
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &after) == 0 && sigismember(&after, SIGSEGV));
	return PASS;
}

static int fault_child(void)
{
	return *(volatile int *)null_addr;
}

static int segv_default(void)
{
	EXPECT(killed_by(run_child(fault_child), SIGSEGV));
	return PASS;
}

static int blocked_fault_child(void)
{
	sigset_t s;

	if (catch(SIGSEGV, on_info, 0) != 0 || sigemptyset(&s) || sigaddset(&s, SIGSEGV) ||
	    sigprocmask(SIG_BLOCK, &s, NULL))
		return UNRESOLVED;
	return *(volatile int *)null_addr;
}

static int segv_blocked(void)
{
	EXPECT(killed_by(run_child(blocked_fault_child), SIGSEGV));
	return PASS;
}

static void faulting_handler(int sig)
{
	(void)sig;
	hits++;
	(void)*(volatile int *)null_addr;	/* SIGSEGV is blocked in here */
}

static int fault_in_handler_child(void)
{
	if (catch_plain(SIGSEGV, faulting_handler, 0) != 0)
		return UNRESOLVED;
	return *(volatile int *)null_addr;
}

static int segv_in_handler(void)
{
	EXPECT(killed_by(run_child(fault_in_handler_child), SIGSEGV));
	return PASS;
}

static int ignored_fault_child(void)
{
	if (signal(SIGSEGV, SIG_IGN) == SIG_ERR)
		return UNRESOLVED;
	return *(volatile int *)null_addr;
}

static int segv_ignored(void)
{
	EXPECT(killed_by(run_child(ignored_fault_child), SIGSEGV));
	return PASS;
}

/* ---- actions and masks ---- */

static int resethand_child(void)
{
	struct sigaction old;

	if (catch_plain(SIGUSR1, on_plain, SA_RESETHAND) != 0)
		return UNRESOLVED;
	raise(SIGUSR1);
	if (hits != 1 || sigaction(SIGUSR1, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
		return FAIL;
	raise(SIGUSR1);	/* the default: the end */
	return FAIL;
}

static int resethand(void)
{
	EXPECT(killed_by(run_child(resethand_child), SIGUSR1));
	return PASS;
}

static void nest_handler(int sig)
{
	(void)sig;
	hits++;
	nested++;
	if (nested > max_nested)
		max_nested = nested;
	sigprocmask(SIG_BLOCK, NULL, (sigset_t *)&mask_in_handler);
	if (hits == 1) {
		raise(SIGUSR1);
		if (!sigismember((sigset_t *)&mask_in_handler, SIGUSR1)) {
			nested--;
			return;	/* SA_NODEFER: it ran inside */
		}
		sigset_t p;
		if (sigpending(&p) || !sigismember(&p, SIGUSR1))
			_exit(FAIL);
	}
	nested--;
}

static int nodefer(void)
{
	SETUP(catch_plain(SIGUSR1, nest_handler, SA_NODEFER) == 0);
	EXPECT(raise(SIGUSR1) == 0);
	EXPECT(hits == 2 && max_nested == 2);
	EXPECT(!sigismember((sigset_t *)&mask_in_handler, SIGUSR1));
	/* Without SA_NODEFER: blocked inside, pending, run after return. */
	hits = max_nested = 0;
	SETUP(catch_plain(SIGUSR1, nest_handler, 0) == 0);
	EXPECT(raise(SIGUSR1) == 0);
	EXPECT(hits == 2 && max_nested == 1);
	sigset_t p;
	EXPECT(sigpending(&p) == 0 && !sigismember(&p, SIGUSR1));
	return PASS;
}

/* ---- asynchronous ---- */

static volatile int want_sig;
static volatile pid_t sender_pid;	/* the parent, as the child's copy says */

static int pause_child(void)
{
	int r = pause();

	return r == -1 && errno == EINTR && hits == 1 && last_sig == want_sig &&
	       last_code == SI_USER && last_pid == sender_pid ? PASS : FAIL;
}

static int kill_handler(void)
{
	static const int sigs[] = { SIGUSR1, SIGTERM, SIGUSR2, SIGINT };
	int st;

	sender_pid = getpid();
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		want_sig = sigs[i];
		SETUP(catch(sigs[i], on_info, 0) == 0);	/* the child inherits it */
		pid_t pid = fork();
		if (pid == 0)
			_exit(pause_child());
		SETUP(pid > 0);
		for (int n = 0; n < 100; n++)	/* let it reach pause (or not: pending) */
			sys_yield();
		EXPECT(kill(pid, sigs[i]) == 0);
		EXPECT(waitpid(pid, &st, 0) == pid);
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == PASS);
	}
	return PASS;
}

static int spin_child(void)
{
	for (;;)
		sys_yield();
	return FAIL;
}

static int kill_default(void)
{
	static const int sigs[] = { SIGTERM, SIGUSR1, SIGINT, SIGPIPE };
	int st;

	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(spin_child());
		SETUP(pid > 0);
		EXPECT(kill(pid, SIGCHLD) == 0);	/* ignored by default */
		EXPECT(kill(pid, 0) == 0);	/* still there */
		EXPECT(kill(pid, sigs[i]) == 0);
		EXPECT(waitpid(pid, &st, 0) == pid);
		EXPECT(killed_by(st, sigs[i]));
	}
	return PASS;
}

static int sigkill(void)
{
	sigset_t all;
	int st;

	EXPECT(catch(SIGKILL, on_info, 0) == -1 && errno == EINVAL);
	EXPECT(signal(SIGKILL, SIG_IGN) == SIG_ERR && errno == EINVAL);
	EXPECT(catch(SIGSTOP, on_info, 0) == -1 && errno == EINVAL);
	SETUP(sigfillset(&all) == 0);
	EXPECT(sigprocmask(SIG_BLOCK, &all, NULL) == 0);
	sigset_t now;
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && !sigismember(&now, SIGKILL));
	pid_t pid = fork();	/* everything blocked, inherited */
	if (pid == 0)
		_exit(spin_child());
	SETUP(pid > 0);
	EXPECT(kill(pid, SIGKILL) == 0);
	EXPECT(waitpid(pid, &st, 0) == pid && killed_by(st, SIGKILL));
	return PASS;
}

static int mask_pending(void)
{
	sigset_t s, p, empty, now;

	SETUP(catch(SIGUSR1, on_info, 0) == 0);
	SETUP(sigemptyset(&s) == 0 && sigaddset(&s, SIGUSR1) == 0 && sigemptyset(&empty) == 0);
	EXPECT(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	EXPECT(raise(SIGUSR1) == 0);
	EXPECT(hits == 0);
	EXPECT(sigpending(&p) == 0 && sigismember(&p, SIGUSR1) == 1);
	EXPECT(sigsuspend(&empty) == -1 && errno == EINTR);
	EXPECT(hits == 1 && last_sig == SIGUSR1 && last_pid == getpid());
	EXPECT(sigpending(&p) == 0 && !sigismember(&p, SIGUSR1));
	EXPECT(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && now == s);	/* the old mask */
	/* Unblocking a pending signal delivers it before sigprocmask returns. */
	EXPECT(raise(SIGUSR1) == 0 && hits == 1);
	EXPECT(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
	EXPECT(hits == 2);
	EXPECT(sigprocmask(99, &s, NULL) == -1 && errno == EINVAL);
	return PASS;
}

static int alarm_default_child(void)
{
	signal(SIGALRM, SIG_DFL);	/* not the parent's handler */
	alarm(1);
	pause();
	return FAIL;
}

static int alarm_pause(void)
{
	SETUP(catch(SIGALRM, on_info, 0) == 0);
	EXPECT(alarm(100) == 0);
	unsigned left = alarm(1);
	EXPECT(left >= 99 && left <= 100);
	EXPECT(pause() == -1 && errno == EINTR);
	EXPECT(hits == 1 && last_sig == SIGALRM);
	EXPECT(alarm(0) == 0);
	EXPECT(killed_by(run_child(alarm_default_child), SIGALRM));
	return PASS;
}

static int pause_forever(void)
{
	for (;;)
		pause();
	return FAIL;
}

static int waitpid_eintr(void)
{
	int st;

	SETUP(catch(SIGALRM, on_info, 0) == 0);	/* no SA_RESTART */
	pid_t pid = fork();
	if (pid == 0)
		_exit(pause_forever());
	SETUP(pid > 0);
	alarm(1);
	EXPECT(waitpid(pid, &st, 0) == -1 && errno == EINTR);
	EXPECT(hits == 1);
	EXPECT(kill(pid, SIGKILL) == 0);
	EXPECT(waitpid(pid, &st, 0) == pid && killed_by(st, SIGKILL));
	return PASS;
}

static int waitpid_restart(void)
{
	int st;

	SETUP(catch(SIGALRM, on_info, SA_RESTART) == 0);
	alarm(1);	/* fires in the wait, which then goes on */
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(2);	/* dies of SIGALRM a second later */
		pause();
		_exit(FAIL);
	}
	SETUP(pid > 0);
	EXPECT(waitpid(pid, &st, 0) == pid);
	EXPECT(killed_by(st, SIGALRM));
	EXPECT(hits == 1 && last_sig == SIGALRM);	/* during the wait */
	return PASS;
}

static int sigchld(void)
{
	sigset_t s, empty;
	int st;

	SETUP(catch(SIGCHLD, on_info, 0) == 0);
	SETUP(sigemptyset(&s) == 0 && sigaddset(&s, SIGCHLD) == 0 && sigemptyset(&empty) == 0);
	SETUP(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	SETUP(pid > 0);
	EXPECT(sigsuspend(&empty) == -1 && errno == EINTR);
	EXPECT(hits == 1 && last_sig == SIGCHLD && last_pid == pid);
	EXPECT(last_code == CLD_EXITED && last_status == 3);
	EXPECT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3);
	return PASS;
}

static int signal_raise(void)
{
	EXPECT(signal(SIGUSR2, on_plain) == SIG_DFL);
	EXPECT(raise(SIGUSR2) == 0);
	EXPECT(hits == 1 && last_sig == SIGUSR2);
	EXPECT(signal(SIGUSR2, SIG_IGN) == on_plain);
	EXPECT(raise(SIGUSR2) == 0 && hits == 1);
	EXPECT(signal(SIGUSR2, SIG_DFL) == SIG_IGN);
	EXPECT(signal(0, SIG_IGN) == SIG_ERR && errno == EINVAL);
	EXPECT(signal(NSIG, SIG_IGN) == SIG_ERR && errno == EINVAL);
	return PASS;
}

static volatile double fp_sink;

static void fp_handler(int sig)
{
	volatile double x = 1.5;

	for (int i = 0; i < 10; i++)
		x = x * 3.25 + sig;
	fp_sink = x;
	hits++;
}

static int fpregs(void)
{
	volatile double a = 2.0, b = 0.5;
	double keep = a * b + 7.0;	/* likely kept in an FP register */

	SETUP(catch_plain(SIGUSR1, fp_handler, 0) == 0);
	EXPECT(raise(SIGUSR1) == 0 && hits == 1);
	EXPECT(keep == 8.0);
	return PASS;
}

/* ---- attacks ---- */

static __attribute__((noreturn)) void sigreturn_at(void *sp)
{
	__asm__ volatile("mv sp, %0\n\tjr %1" : : "r"(sp), "r"(__psig_return) : "memory");
	__builtin_unreachable();
}

static uint64_t frame_buf[PSIG_FRAME_SIZE / 8 + 64] __attribute__((aligned(16)));
static volatile int frame_attack;

/* In a SIGUSR1 handler: copy our real frame, spoil it as frame_attack
 * says, and sigreturn from the copy. */
static void forge_handler(int sig, siginfo_t *si, void *ucp)
{
	struct psig_frame *f = (struct psig_frame *)((char *)ucp - offsetof(struct psig_frame, uc));
	struct psig_frame *copy = (struct psig_frame *)frame_buf;

	(void)sig;
	(void)si;
	memcpy(copy, f, sizeof(*copy));
	switch (frame_attack) {
	case 0: memset(copy, 0x5a, sizeof(*copy)); break;	/* garbage */
	case 1: copy->cookie ^= 1; break;			/* forged cookie */
	case 2: copy->uc.gregs[0] = USER_TOP; break;		/* pc past user space */
	case 3: sigreturn_at((void *)(USER_TOP + 4096));	/* sp past user space */
	case 4: sigreturn_at((void *)0x8000);			/* sp unmapped */
	case 5: break;	/* a faithful copy: allowed, it is our own context */
	}
	sigreturn_at(copy);
}

static int forge_child(void)
{
	if (catch(SIGUSR1, forge_handler, 0) != 0)
		return UNRESOLVED;
	raise(SIGUSR1);
	return frame_attack == 5 ? 77 : FAIL;
}

static int garbage_child(void)
{
	if (catch(SIGUSR1, forge_handler, 0) != 0)	/* registers the return point */
		return UNRESOLVED;
	memset(frame_buf, 0xa5, sizeof(frame_buf));
	sigreturn_at(frame_buf);
}

static int attack_frame(void)
{
	int st;

	EXPECT(killed_by(run_child(garbage_child), SIGSEGV));
	for (frame_attack = 0; frame_attack <= 4; frame_attack++) {
		st = run_child(forge_child);
		if (!killed_by(st, SIGSEGV)) {
			printf("FAIL: forged frame %d: status %#x\n", frame_attack, st);
			return FAIL;
		}
	}
	st = run_child(forge_child);	/* frame_attack == 5 */
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 77);
	/* A sigreturn with no frame ever delivered, no handler registered:
	 * just a breakpoint, which ends the process too. */
	return PASS;
}

static uint64_t not_code[8] = { 0 };

static int data_handler_child(void)
{
	struct sigaction sa = { .sa_handler = (_sig_func_ptr)not_code };

	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return UNRESOLVED;
	raise(SIGUSR1);
	return FAIL;
}

static int unmapped_handler_child(void)
{
	struct sigaction sa = { .sa_handler = (_sig_func_ptr)0x30000000ul };

	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return UNRESOLVED;
	return *(volatile int *)null_addr;
}

static int attack_handler(void)
{
	struct sigaction sa = { .sa_handler = (_sig_func_ptr)USER_TOP };

	EXPECT(killed_by(run_child(data_handler_child), SIGSEGV));
	EXPECT(killed_by(run_child(unmapped_handler_child), SIGSEGV));
	EXPECT(sigaction(SIGUSR1, &sa, NULL) == -1 && errno == EINVAL);
	return PASS;
}

static int bad_sp_fault_child(void)
{
	if (catch(SIGSEGV, on_info, 0) != 0)
		return UNRESOLVED;
	__asm__ volatile("li sp, 0x8000\n\tld t0, 8(zero)" : : : "memory");
	return FAIL;
}

static int bad_sp_spin_child(void)
{
	if (catch(SIGUSR1, on_info, 0) != 0)
		return UNRESOLVED;
	__asm__ volatile("li sp, 0x3ff0000000\n1:\tj 1b" : : : "memory");
	return FAIL;
}

static int attack_stack(void)
{
	int st;

	EXPECT(killed_by(run_child(bad_sp_fault_child), SIGSEGV));
	pid_t pid = fork();
	if (pid == 0)
		_exit(bad_sp_spin_child());
	SETUP(pid > 0);
	for (int i = 0; i < 100; i++)
		sys_yield();
	EXPECT(kill(pid, SIGUSR1) == 0);
	EXPECT(waitpid(pid, &st, 0) == pid);
	EXPECT(killed_by(st, SIGSEGV));
	return PASS;
}

static int attack_perm(void)
{
	EXPECT(kill(1, SIGTERM) == -1 && errno == EPERM);	/* init: our parent */
	EXPECT(kill(1, 0) == -1 && errno == EPERM);
	EXPECT(kill(getpid(), NSIG) == -1 && errno == EINVAL);
	EXPECT(kill(getpid(), -1) == -1 && errno == EINVAL);
	EXPECT(kill(12345, SIGTERM) == -1 && errno == ESRCH);
	EXPECT(pcall(PAGER_KILL, (uint64_t)getpid(), 32, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_KILL, (uint64_t)getpid(), ~0ul, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_KILL, (uint64_t)getpid(), SIGUSR1, 2) == -ERR_INVAL);
	EXPECT(pcall(PAGER_KILL, 1, SIGUSR1, 0) == -ERR_PERM);
	EXPECT(pcall(PAGER_SIGACTION, 0, 0, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_SIGACTION, 32 | PSIGACT_SET, 0, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_SIGACTION, 1ul << 40, 0, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_SIGACTION, SIGUSR1 | PSIGACT_SET, 0x10000, 0) == -ERR_INVAL);	/* no entry */
	EXPECT(pcall(PAGER_SIGPROCMASK, 99, 0, 0) == -ERR_INVAL);
	EXPECT(pcall(PAGER_ALARM, 1ul << 40, 0, 0) == -ERR_INVAL);
	EXPECT(sigaction(0, NULL, NULL) == -1 && errno == EINVAL);
	EXPECT(sigaction(NSIG, NULL, NULL) == -1 && errno == EINVAL);
	sigset_t s;
	EXPECT(sigemptyset(&s) == 0 && sigaddset(&s, 0) == -1 && errno == EINVAL);
	EXPECT(sigaddset(&s, NSIG) == -1 && errno == EINVAL);
	return PASS;
}

static volatile uint64_t *shared;

static int flood_child(void)
{
	sigset_t both, only1, p;

	if (catch(SIGUSR1, on_info, 0) || catch(SIGUSR2, on_info, 0) || sigemptyset(&both) ||
	    sigaddset(&both, SIGUSR1) || sigaddset(&both, SIGUSR2) || sigemptyset(&only1) ||
	    sigaddset(&only1, SIGUSR1) || sigprocmask(SIG_BLOCK, &both, NULL))
		return UNRESOLVED;
	shared[0] = 1;	/* ready */
	if (sigsuspend(&only1) != -1 || errno != EINTR || hits != 1 || last_sig != SIGUSR2)
		return FAIL;
	if (sigpending(&p) || !sigismember(&p, SIGUSR1))
		return FAIL;
	if (sigprocmask(SIG_UNBLOCK, &both, NULL) || hits != 2 || last_sig != SIGUSR1)
		return FAIL;
	return PASS;
}

static int attack_flood(void)
{
	int st;
	struct ipc_msg m0 = { .info = ipc_info(PAGER_MEMINFO, 0, 0) }, m1 = m0;

	shared = (volatile uint64_t *)mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(shared != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0)
		_exit(flood_child());
	SETUP(pid > 0);
	for (long n = 0; !shared[0] && n < 2000000; n++)
		sys_yield();
	SETUP(shared[0]);
	SETUP(pager_call(&m0) >= 0);
	for (int i = 0; i < 10000; i++)
		EXPECT(kill(pid, SIGUSR1) == 0);
	SETUP(pager_call(&m1) >= 0);
	EXPECT(kill(pid, SIGUSR2) == 0);
	EXPECT(waitpid(pid, &st, 0) == pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == PASS);
	EXPECT(m1.w[1] == m0.w[1]);	/* free pages: the signals took none */
	return PASS;
}

static int busy_child(void)
{
	long errors = 0, calls = 0;
	sigset_t p;

	if (catch(SIGUSR1, on_info, 0) != 0)
		return UNRESOLVED;
	shared[0] = 1;	/* ready */
	while (!shared[1]) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		int e1 = m == MAP_FAILED ? errno : 0, e2 = 0, e3 = 0;
		if (m != MAP_FAILED && munmap(m, 4096) != 0)
			e2 = errno;
		if (sigpending(&p) != 0)
			e3 = errno;
		if (e1 || e2 || e3) {
			printf("signal: call %ld failed: mmap %d munmap %d sigpending %d\n", calls,
			       e1, e2, e3);
			errors++;
		}
		calls += 3;
	}
	printf("signal: %ld pager calls beside %d handler runs, %ld failed\n", calls, hits, errors);
	return errors == 0 && hits > 0 ? PASS : FAIL;
}

static int no_spurious_eintr(void)
{
	int st;

	shared = (volatile uint64_t *)mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(shared != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0)
		_exit(busy_child());
	SETUP(pid > 0);
	for (long n = 0; !shared[0] && n < 2000000; n++)
		sys_yield();
	SETUP(shared[0]);
	for (int i = 0; i < 5000; i++) {
		EXPECT(kill(pid, SIGUSR1) == 0);
		if (i % 8 == 0)
			sys_yield();	/* let it run, and be caught in its calls */
	}
	shared[1] = 1;
	EXPECT(waitpid(pid, &st, 0) == pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == PASS);
	return PASS;
}

static void count_handler(int sig)
{
	(void)sig;
	hits++;
}

static int cost(void)
{
	enum { N = 1000 };
	sigset_t none;
	uint64_t t0, t1, t2;

	SETUP(catch_plain(SIGUSR1, count_handler, 0) == 0 && sigemptyset(&none) == 0);
	t0 = rdinstret();
	for (int i = 0; i < N; i++)
		sigprocmask(SIG_BLOCK, &none, NULL);	/* a pager round trip */
	t1 = rdinstret();
	for (int i = 0; i < N; i++)
		raise(SIGUSR1);	/* round trip + frame + handler + sigreturn */
	t2 = rdinstret();
	EXPECT(hits == N);
	printf("signal: instructions per sigprocmask %lu, per raise with its handler %lu\n",
	       (unsigned long)((t1 - t0) / N), (unsigned long)((t2 - t1) / N));
	return PASS;
}

static const struct mode {
	const char *name;
	int (*fn)(void);
} modes[] = {
	{ "segv_maperr", segv_maperr }, { "segv_accerr", segv_accerr },
	{ "segv_retry", segv_retry }, { "segv_exit", segv_exit },
	{ "siglongjmp_mask", siglongjmp_mask }, { "segv_default", segv_default },
	{ "segv_blocked", segv_blocked }, { "segv_ignored", segv_ignored },
	{ "segv_in_handler", segv_in_handler },
	{ "resethand", resethand }, { "nodefer", nodefer },
	{ "kill_handler", kill_handler }, { "kill_default", kill_default },
	{ "sigkill", sigkill }, { "mask_pending", mask_pending },
	{ "alarm_pause", alarm_pause }, { "waitpid_eintr", waitpid_eintr },
	{ "waitpid_restart", waitpid_restart }, { "sigchld", sigchld },
	{ "signal_raise", signal_raise }, { "fpregs", fpregs },
	{ "attack_frame", attack_frame }, { "attack_handler", attack_handler },
	{ "attack_stack", attack_stack }, { "attack_perm", attack_perm },
	{ "attack_flood", attack_flood }, { "no_spurious_eintr", no_spurious_eintr },
	{ "cost", cost },
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";
	char pass_name[64];
	int st = -1;

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(name, modes[i].name))
			continue;
		pid_t pid = fork();
		if (pid == 0)
			_exit(modes[i].fn());
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == UNRESOLVED)
			printf("FAIL: %s: unresolved\n", name);
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != PASS)
			printf("FAIL: %s: status %#x\n", name, st);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == PASS);
		CHECK_EQ(pcall(PAGER_CHECK, 0, 0, 0), 0);	/* the pager is sound */
		snprintf(pass_name, sizeof(pass_name), "signal_%s", name);
		return t_done(pass_name);
	}
	printf("FAIL: test_signal: unknown mode \"%s\"\n", name);
	return 1;
}
