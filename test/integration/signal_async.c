/*
 * test_signal's asynchronous modes (test_signal.c lists them): signals
 * sent by kill, alarm and child exits, pending and masked, interrupting
 * pause and waitpid; a handler's FP registers; and the cost per delivery.
 */
#include "signal_test.h"

/* ---- asynchronous ---- */

static volatile int want_sig;
static volatile pid_t sender_pid;	/* the parent, as the child's copy says */

static int pause_child(void)
{
	int r = pause();

	return r == -1 && errno == EINTR && hits == 1 && last_sig == want_sig &&
	       last_code == SI_USER && last_pid == sender_pid ? PASS : FAIL;
}

int kill_handler(void)
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

int kill_default(void)
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

int sigkill(void)
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

int mask_pending(void)
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

int alarm_pause(void)
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

int waitpid_eintr(void)
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

int waitpid_restart(void)
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

int sigchld(void)
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

int signal_raise(void)
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

int fpregs(void)
{
	volatile double a = 2.0, b = 0.5;
	double keep = a * b + 7.0;	/* likely kept in an FP register */

	SETUP(catch_plain(SIGUSR1, fp_handler, 0) == 0);
	EXPECT(raise(SIGUSR1) == 0 && hits == 1);
	EXPECT(keep == 8.0);
	return PASS;
}

static void count_handler(int sig)
{
	(void)sig;
	hits++;
}

int cost(void)
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
