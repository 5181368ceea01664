/*
 * /bin/xprobe: what test_exec runs from the disk. argv[1] says what to do:
 *   check PID PPID FD N after an execve: the pid and parent are PID and
 *                       PPID, FD is still open with "exec-fd" at its start,
 *                       N descriptors are open (none more: not the program's),
 *                       SIGUSR1 (caught before) is back to the default,
 *                       SIGINT (ignored before) still ignored, SIGUSR2
 *                       blocked and pending, XTEST=yes in the environment,
 *                       argv as given, nothing mapped at 0x2000000000;
 *                       exits 0, or the number of the first check that failed
 *   hold                touch every page of its table, make /tmp/ready.PID,
 *                       then wait for a kill
 *   touch N             read page N of its big table, exit 0
 *   sig DFL|IGN         SIGINT's handler is that and SIGUSR2 blocked iff
 *                       argv[3] is "masked": exit 0, else 1
 *   write FD CLOSED     write "spawned" to FD; CLOSED must not be open
 *   reexec N            exec /bin/xprobe exit N
 *   loop N              exec itself with N - 1, down to 0: exit 0
 *   exit N              exit with N
 *   waitany N           wait for a child (forked before the exec), which
 *                       must exit with N: exit 0
 *   bench               the exec_hello and spawn_hello_posix figures
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"

#define BIG_PAGES	256

/* In the text segment (read-only data): 1 MiB of the file that a
 * process touching one page of must not read whole. */
static const uint8_t big[BIG_PAGES * 4096] = { 1, 2, 3 };
#define BIG(i)	(((const volatile uint8_t *)big)[i])

/* Descriptors open beyond the console's. */
static int count_fds(void)
{
	struct stat st;
	int n = 0;

	for (int fd = 3; fd < 64; fd++)
		n += fstat(fd, &st) == 0;
	return n;
}

static int check(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set;
	char buf[8] = { 0 };
	int fd;

	if (argc != 6)
		return 1;
	if (count_fds() != atoi(argv[5]))
		return 11;	/* one lost, or the program file's leaked */
	if (getpid() != atoi(argv[2]))
		return 2;
	if (getppid() != atoi(argv[3]))
		return 3;
	fd = atoi(argv[4]);
	if (pread(fd, buf, 7, 0) != 7 || strcmp(buf, "exec-fd") != 0)
		return 4;
	if (sigaction(SIGUSR1, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
		return 5;
	if (sigaction(SIGINT, NULL, &sa) < 0 || sa.sa_handler != SIG_IGN)
		return 6;
	if (sigprocmask(SIG_BLOCK, NULL, &set) < 0 || sigismember(&set, SIGUSR2) != 1)
		return 7;
	if (sigpending(&set) < 0 || sigismember(&set, SIGUSR2) != 1)
		return 8;
	if (!getenv("XTEST") || strcmp(getenv("XTEST"), "yes") != 0)
		return 9;
	struct ipc_msg m = { .info = ipc_info(PAGER_VMA_LIST, 0, 0), .w = { 0x2000000000ul, 0 } };
	int64_t n = pager_call(&m);
	const struct pager_vma_info *v = ipcbuf();
	if (n < 0 || (n > 0 && v[0].start <= 0x2000000000ul))
		return 10;	/* the old image's mapping is still there */
	return 0;
}

static int sigs(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set;

	if (argc != 4 || sigaction(SIGINT, NULL, &sa) < 0 || sigprocmask(SIG_BLOCK, NULL, &set) < 0)
		return 1;
	if ((sa.sa_handler == SIG_IGN) != !strcmp(argv[2], "IGN"))
		return 1;
	if ((sigismember(&set, SIGUSR2) == 1) != !strcmp(argv[3], "masked"))
		return 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *t, int n, const char *what)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_u64);
	printf("bench: %s %lu instructions (%s; median of %d, spread %lu - %lu)\n", name,
	       (unsigned long)t[n / 2], what, n, (unsigned long)t[0], (unsigned long)t[n - 1]);
}

#define BENCH_RUNS 21	/* samples, the figure is their median: the first few are cheaper
			 * than the steady state after them, and a tick lands in some */

/* fork + exec and posix_spawn of /bin/hello from a small program (this
 * one: its table is never touched here), to exit and wait. */
static int bench(void)
{
	char *argv[] = { "hello", NULL };
	uint64_t t[BENCH_RUNS], t0;
	pid_t pid;
	int st, bad = 0;

	for (int i = 0; i < BENCH_RUNS; i++) {
		t0 = rdinstret();
		if ((pid = fork()) == 0) {
			execv("/bin/hello", argv);
			_exit(99);
		}
		waitpid(pid, &st, 0);
		t[i] = rdinstret() - t0;
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 7;
	}
	report("exec_hello", t, BENCH_RUNS, "fork, execv of /bin/hello from the disk, exit, waitpid; "
	       "from a small program");
	for (int i = 0; i < BENCH_RUNS; i++) {
		t0 = rdinstret();
		bad += posix_spawn(&pid, "/bin/hello", NULL, NULL, argv, NULL) != 0;
		waitpid(pid, &st, 0);
		t[i] = rdinstret() - t0;
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 7;
	}
	report("spawn_hello_posix", t, BENCH_RUNS, "posix_spawn of /bin/hello, exit, waitpid; "
	       "from a small program");
	return bad;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	unsigned sum = 0;

	if (!strcmp(what, "check"))
		return check(argc, argv);
	if (!strcmp(what, "bench"))
		return bench();
	if (!strcmp(what, "sig"))
		return sigs(argc, argv);
	if (!strcmp(what, "hold")) {
		char ready[32];
		for (int i = 0; i < BIG_PAGES; i++)
			sum += BIG(i * 4096);
		snprintf(ready, sizeof(ready), "/tmp/ready.%d", (int)getpid());
		close(open(ready, O_WRONLY | O_CREAT, 0644));	/* for the test to see */
		for (;;)
			pause();
	}
	if (!strcmp(what, "touch") && argc > 2)
		return BIG(atoi(argv[2]) % BIG_PAGES * 4096) == (atoi(argv[2]) ? 0 : 1) ? 0 : 1;
	if (!strcmp(what, "write") && argc > 3) {
		struct stat st;
		if (write(atoi(argv[2]), "spawned", 7) != 7)
			return 1;
		return fstat(atoi(argv[3]), &st) < 0 && errno == EBADF ? 0 : 2;
	}
	if (!strcmp(what, "loop") && argc > 2) {	/* exec ourselves N times */
		char next[16];
		int n = atoi(argv[2]);
		if (n <= 0)
			return 0;
		snprintf(next, sizeof(next), "%d", n - 1);
		execl("/bin/xprobe", "xprobe", "loop", next, (char *)NULL);
		return 99;
	}
	if (!strcmp(what, "reexec") && argc > 2) {
		execl("/bin/xprobe", "xprobe", "exit", argv[2], (char *)NULL);
		return 99;
	}
	if (!strcmp(what, "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(what, "waitany") && argc > 2) {	/* a child from before our exec */
		int st;
		return wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == atoi(argv[2]) ? 0 : 1;
	}
	return 100 + (int)(sum & 1);
}
