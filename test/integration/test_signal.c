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
 *
 * This file has main, the table of modes and the handlers and helpers
 * they share (signal_test.h); the modes are in signal_sync.c,
 * signal_async.c and signal_attack.c.
 */
#include "signal_test.h"

/* Kept in a volatile so the compiler cannot see the null pointer. */
volatile uintptr_t null_addr = 8;
volatile int hits, last_sig, last_code, nested, max_nested;
volatile void *last_addr;
volatile pid_t last_pid;
volatile int last_status;
volatile sigset_t mask_in_handler;

int64_t pcall(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { w0, w1, w2 } };

	return pager_call(&m);
}

/* Fork fn in a child; its wait status. */
int run_child(int (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int killed_by(int st, int sig)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

void on_info(int sig, siginfo_t *si, void *uc)
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

void on_plain(int sig)
{
	hits++;
	last_sig = sig;
	sigprocmask(SIG_BLOCK, NULL, (sigset_t *)&mask_in_handler);
}

int catch(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int catch_plain(int sig, void (*h)(int), int flags)
{
	struct sigaction sa = { .sa_handler = h, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

char *map(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
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
