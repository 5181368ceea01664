/*
 * Attacks on exec, per-task pagers across exec, and the file server's
 * descriptors from unprivileged processes (pager/exec.c, proc.c
 * proc_exec, forward.c; servers/fsd). Booted as init over a copy of the
 * disk image (test/attackproc-run.sh). argv[1]:
 *   holder_exec   a holder sitting on its per-task child's fault execs:
 *                 its new program cannot answer (the endpoint went with
 *                 the old image), so the child ends with SIGKILL as at
 *                 the holder's end, instead of waiting forever
 *   child_exec    a per-task child started from a file execs: the holder,
 *                 running the documented loop (stop at the first death
 *                 message), sees only the child's real end; the child
 *                 runs its new program to its exit status
 *   holder_killed the holder is killed while its child execs in a loop:
 *                 the child ends, nothing waits for ever
 *   exec_args     raw PAGER_EXEC with argument strings that lie (no end,
 *                 too many, empty name, too long): refused, the old
 *                 program goes on; exec keeps a pipe across the new image;
 *                 failing execs and posix_spawns (bad ELF, directory, no
 *                 file, empty path) leave no descriptor or fork snapshot
 *   intr_flood    victims blocked reading pipes get their signal's EINTR
 *                 while others flood the pager's notices to the server
 *   pipe_race     a signal racing the write that wakes a blocked reader:
 *                 the byte arrives once (EINTR at most once before it);
 *                 writers killed mid-stream leave no pipe or wait behind
 *   leaks         all of the above again, with the kernel pool, task
 *                 count, pager frames and file-server pipes compared
 *                 before and after
 *   fds           fs requests naming descriptors that are not the
 *                 caller's (negative, huge, another process's number,
 *                 closed): EBADF, nothing of the other process changes
 *
 * This file has the helpers, leaks and main; the other modes are in
 * attack_proc_exec.c, attack_proc_args.c and attack_proc_signals.c.
 */
#include "attack_proc.h"

int status_of(int64_t pid)
{
	int st = -1;

	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

/* pid's status within about two seconds, or -1 (then it is killed and
 * reaped: the caller's check fails, the test goes on). */
int status_soon(int64_t pid)
{
	int st = -1;

	for (int i = 0; i < 200; i++) {
		if (waitpid((pid_t)pid, &st, WNOHANG) == pid)
			return st;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	printf("FAIL: pid %ld still running\n", (long)pid);
	kill((pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, &st, 0);
	return -1;
}

static int64_t pcall(uint64_t label)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0) };

	return pager_call(&m);
}

static uint64_t free_frames(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };

	pager_call(&m);
	return m.w[1];
}

void pipestats(uint64_t *pipes, uint64_t *waiting)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_PIPESTATS, &m, 0), 0);
	*pipes = m.w[1];
	*waiting = m.w[2];
}

/* ---- leaks ---- */

static void leaks(void)
{
	struct kernel_info k0;
	uint64_t pipes, waiting, f0 = 0;

	/* Once to warm (programs cached, first-use tables made), then again
	 * three times: nothing more may stay behind. */
	for (int round = 0; round < 4; round++) {
		if (round == 1) {
			CHECK_EQ(sys_kernel_info(&k0), 0);
			f0 = free_frames();
		}
		holder_exec();
		child_exec();
		exec_args();
		exec_fails();
		holder_killed();
		fds();
		if (round < 2)
			pipe_race();
	}
	uint64_t f1 = free_frames();
	printf("attack_proc: free frames before %lu, after %lu\n", (unsigned long)f0,
	       (unsigned long)f1);
	CHECK(f1 + 8 >= f0);
	pool_back("attack_proc", &k0);
	pipestats(&pipes, &waiting);
	CHECK_EQ(pipes, 0);
	CHECK_EQ(waiting, 0);
}

/* The per-task child's part: fault a few pages, exit 0. */
static int touch(void)
{
	char *p = mmap(NULL, 8 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	for (int i = 0; i < 8; i++)
		p[(size_t)i * PS] = 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const struct proc_start *ps = &libsys_start_info;

	if (!strcmp(what, "touch"))
		return touch();
	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	if (!strcmp(what, "holder_exec"))
		holder_exec();
	else if (!strcmp(what, "child_exec"))
		child_exec();
	else if (!strcmp(what, "holder_killed"))
		holder_killed();
	else if (!strcmp(what, "exec_args")) {
		exec_args();
		exec_fails();
	}
	else if (!strcmp(what, "fds"))
		fds();
	else if (!strcmp(what, "intr_flood"))
		intr_flood();
	else if (!strcmp(what, "pipe_race"))
		pipe_race();
	else if (!strcmp(what, "leaks"))
		leaks();
	else
		CHECK(!"unknown mode");
	CHECK_EQ(pcall(PAGER_CHECK), 0);
	char name[40];
	snprintf(name, sizeof(name), "attack_proc_%s", what);
	return t_done(name);
}
