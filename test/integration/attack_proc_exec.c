/*
 * test_attack_proc's exec modes with per-task pagers: holder_exec (a
 * holder execs while sitting on its child's fault), child_exec (the child
 * execs; the holder sees only its real end), holder_killed.
 */
#include "attack_proc.h"

/* ---- per-task pagers and exec ---- */

/* The holder forks, starts a per-task child, takes its first fault and
 * holds it, then execs /bin/xprobe hold (which waits for a kill): the
 * child must end now, not when that program does. */
void holder_exec(void)
{
	volatile int64_t *shared = mmap(NULL, PS, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(shared != MAP_FAILED);
	shared[0] = shared[1] = 0;
	pid_t holder = fork();
	if (holder == 0) {
		int64_t e = sys_endpoint_create();
		const char *argv[] = { "test_attack_proc", "touch", NULL };
		struct ipc_msg m = { 0 };
		shared[0] = e > 0 ? taskpager_start(argv, (uint64_t)e) : -1;
		if (e > 0 && shared[0] > 0 && ipc_recv((uint64_t)e, &m) == 0)
			shared[1] = 1;
		char *xargv[] = { "xprobe", "hold", NULL };
		execv(PROBE, xargv);
		_exit(99);
	}
	CHECK(holder > 0);
	for (int i = 0; i < 100000 && !shared[1]; i++)
		sys_yield();
	CHECK_EQ(shared[1], 1);
	int64_t child = shared[0];
	CHECK(child > 0);
	/* The holder's child (not ours to wait for yet) ends soon. */
	int gone = 0;
	for (int i = 0; i < 200 && child > 0 && !gone; i++) {
		gone = kill((pid_t)child, 0) == -1 && errno == ESRCH;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	printf("attack_proc: per-task child of an exec'd holder ended: %d\n", gone);
	CHECK(gone);
	/* The holder runs its new program; once it ends, its child is ours. */
	CHECK_EQ(kill(holder, 0), 0);
	kill(holder, SIGKILL);
	int st = status_of(holder);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	if (child > 0) {
		st = status_soon(child);
		CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	char ready[32];
	snprintf(ready, sizeof(ready), "/tmp/ready.%d", (int)holder);
	unlink(ready);	/* hold's, if it got that far */
	munmap((void *)shared, PS);
}

/* The documented holder loop on a child that execs: forward every fault,
 * stop at the first death. Returns the death's forward result. */
static int64_t serve_documented(uint64_t ep, int64_t pid, int *deaths)
{
	struct ipc_msg m = { 0 };

	for (;;) {
		CHECK_EQ(ipc_recv(ep, &m), 0);
		if (taskpager_pid(&m) != pid)
			continue;
		if (taskpager_is_death(&m)) {
			(*deaths)++;
			return taskpager_forward_death(pid);
		}
		if (taskpager_is_fault(&m))
			taskpager_forward(&m, pid, NULL);
	}
}

static void child_exec_once(uint64_t ep)
{
	const char *argv[] = { PROBE, "reexec", "5", NULL };
	int64_t pid = taskpager_start(argv, ep);
	int deaths = 0;

	CHECK(pid > 0);
	if (pid <= 0)
		return;
	int64_t r = serve_documented(ep, pid, &deaths);
	/* The real end: the pager ended it already (its exit), or a death
	 * it ends now; never the replaced image's thread (PFWD_RESUMED). */
	if (r != -ERR_SRCH && r != PFWD_ENDED)
		printf("FAIL: the holder saw a death the child survived: %ld\n", (long)r), t_failures++;
	int st = status_soon(pid);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5);
	CHECK_EQ(deaths, 1);
}

void child_exec(void)
{
	int64_t ep = sys_endpoint_create();

	CHECK(ep > 0);
	for (int i = 0; i < 3; i++)
		child_exec_once((uint64_t)ep);
	sys_handle_close((uint64_t)ep);
}

/* A holder serving a child that execs itself 200 times is killed part
 * way: the child ends (SIGKILL) or had finished (0); nothing hangs. */
void holder_killed(void)
{
	for (int i = 0; i < 8; i++) {
		volatile int64_t *shared = mmap(NULL, PS, PROT_READ | PROT_WRITE,
						MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(shared != MAP_FAILED);
		shared[0] = 0;
		pid_t holder = fork();
		if (holder == 0) {
			int64_t e = sys_endpoint_create();
			const char *argv[] = { PROBE, "loop", "200", NULL };
			int64_t pid = e > 0 ? taskpager_start(argv, (uint64_t)e) : -1;
			struct ipc_msg m = { 0 };
			shared[0] = pid;
			while (pid > 0 && ipc_recv((uint64_t)e, &m) == 0) {
				if (taskpager_is_death(&m)) {
					if (taskpager_forward_death(pid) != PFWD_RESUMED)
						break;
				} else if (taskpager_is_fault(&m)) {
					taskpager_forward(&m, pid, NULL);
				}
			}
			for (;;)
				pause();
		}
		CHECK(holder > 0);
		while (!shared[0])
			sys_yield();
		int64_t child = shared[0];
		for (volatile int k = 0; k < 20000 + i * 37000; k++)
			;
		kill(holder, SIGKILL);
		CHECK_EQ(WTERMSIG(status_of(holder)), SIGKILL);
		if (child > 0) {
			int st = status_soon(child);
			CHECK(st != -1 && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
					   (WIFEXITED(st) && WEXITSTATUS(st) == 0)));
		}
		munmap((void *)shared, PS);
	}
}
