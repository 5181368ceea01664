/*
 * test_signal's synchronous modes (test_signal.c lists them): SIGSEGV
 * from faults, caught, retried, longjmp'd out of, or killing; and the
 * actions and masks around a handler (SA_RESETHAND, SA_NODEFER).
 */
#include "signal_test.h"

static sigjmp_buf jb;
static char *page;

static void on_info_jump(int sig, siginfo_t *si, void *uc)
{
	on_info(sig, si, uc);
	siglongjmp(jb, 1);
}

/* ---- synchronous ---- */

int segv_maperr(void)
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

int segv_accerr(void)
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

int segv_retry(void)
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

int segv_exit(void)
{
	int st = run_child(segv_exit_child);

	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	return PASS;
}

int siglongjmp_mask(void)
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

int segv_default(void)
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

int segv_blocked(void)
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

int segv_in_handler(void)
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

int segv_ignored(void)
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

int resethand(void)
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

int nodefer(void)
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
