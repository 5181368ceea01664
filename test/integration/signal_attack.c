/*
 * test_signal's attacks (test_signal.c lists them): forged sigreturn
 * frames, bad handler addresses and stacks, kill of others and bad
 * numbers, a flood of signals; and signals flooding a process busy with
 * pager calls (no call may fail).
 */
#include "signal_test.h"

extern const char __psig_return[];

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

int attack_frame(void)
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

int attack_handler(void)
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

int attack_stack(void)
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

int attack_perm(void)
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

int attack_flood(void)
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

int no_spurious_eintr(void)
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
