/*
 * Process calls to the pager: the generic request helper, spawn, and the
 * POSIX ones (_exit, waitpid, getpid, kill), which set errno. The rest
 * of signals is in signal.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"

struct proc_start libsys_start_info;

/* Ordinary programs have it; the pager, which links this file too, not. */
int64_t posix_spawn_extra(char *buf, uint64_t len, uint64_t max) __attribute__((weak));

int64_t pager_call(struct ipc_msg *m)
{
	uint64_t info = m->info;
	int64_t r;

	/* -ERR_INTR from the kernel: a signal's delivery suspended us while
	 * the call waited for the pager, which never saw it
	 * (docs/signals.md): send it again. The cut call zeroed the info. */
	while ((r = ipc_call(libsys_start_info.pager, m)) == -ERR_INTR)
		m->info = info;
	return r < 0 ? r : (int64_t)m->w[0];
}

/* POSIX return convention: -1 and errno for a negated ERR_* code. */
static int64_t posix_result(int64_t r)
{
	if (r >= 0)
		return r;
	errno = (int)-r;	/* ERR_* values are picolibc's errno values */
	return -1;
}

/* picolibc's exit() ends here after running atexit handlers. */
_Noreturn void _exit(int status)
{
	fflush(stdout);
	/* Made again each time: a call cut by a signal's delivery (-ERR_INTR,
	 * pager_call) comes back with its info zeroed, and sent again as it
	 * was it asked for nothing, forever (a process signalled while it
	 * ended never ended: signal.nodefer's timeout). */
	for (;;) {
		struct ipc_msg m = { .info = ipc_info(PAGER_EXIT, 0, 0), .w = { (uint64_t)status } };
		ipc_call(libsys_start_info.pager, &m);
	}
}

int64_t spawn(const char *const argv[], uint64_t grant)
{
	return spawn_flags(argv, grant, 0);
}

int64_t spawn_flags(const char *const argv[], uint64_t grant, uint64_t flags)
{
	char *buf = ipcbuf();
	uint64_t len = 0;
	struct ipc_msg m = { 0 };

	for (int i = 0; argv[i]; i++) {
		uint64_t n = strlen(argv[i]) + 1;
		if (len + n > PROC_SPAWN_ARGS_MAX)
			return -ERR_INVAL;
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	if (posix_spawn_extra) {	/* what the child inherits (posix_env.c) */
		int64_t r = posix_spawn_extra(buf, len, PROC_SPAWN_ARGS_MAX);
		if (r < 0)
			return r;
		len = (uint64_t)r;
	}
	m.info = ipc_info(PAGER_SPAWN, len, grant ? IPC_GRANT : 0);
	m.w[0] = flags;
	m.w[5] = grant;
	return pager_call(&m);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_WAIT, 0, 0),
			     .w = { (uint64_t)(int64_t)pid, (options & WNOHANG) ? WAIT_NOHANG : 0 } };
	int64_t r = pager_call(&m);

	if (r > 0 && status)
		*status = (int)m.w[1];
	return (pid_t)posix_result(r);
}

pid_t getpid(void)
{
	return (pid_t)libsys_start_info.pid;
}

/* Signal 0 only checks (PKILL_PROBE); the rest are the pager's to
 * deliver (docs/signals.md). pid 0 and negative pids (process groups)
 * name no process: ESRCH. */
int kill(pid_t pid, int sig)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_KILL, 0, 0),
			     .w = { (uint64_t)(int64_t)pid, (uint64_t)sig, sig ? 0 : PKILL_PROBE } };

	if (sig < 0 || sig >= NSIG)
		return (int)posix_result(-ERR_INVAL);
	if (sig == 0)
		m.w[1] = SIGKILL;	/* a probe names some signal; w1 0 is the old SIGKILL */
	if (pid <= 0)
		return (int)posix_result(-ERR_SRCH);
	return (int)posix_result(pager_call(&m));
}
