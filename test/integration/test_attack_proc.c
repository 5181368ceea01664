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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "taskpager.h"
#include "pool.h"
#include "t.h"

#define PS	4096ul
#define PROBE	"/bin/xprobe"

static int status_of(int64_t pid)
{
	int st = -1;

	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

/* pid's status within about two seconds, or -1 (then it is killed and
 * reaped: the caller's check fails, the test goes on). */
static int status_soon(int64_t pid)
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

static void pipestats(uint64_t *pipes, uint64_t *waiting)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_PIPESTATS, &m, 0), 0);
	*pipes = m.w[1];
	*waiting = m.w[2];
}

/* ---- per-task pagers and exec ---- */

/* The holder forks, starts a per-task child, takes its first fault and
 * holds it, then execs /bin/xprobe hold (which waits for a kill): the
 * child must end now, not when that program does. */
static void holder_exec(void)
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

static void child_exec(void)
{
	int64_t ep = sys_endpoint_create();

	CHECK(ep > 0);
	for (int i = 0; i < 3; i++)
		child_exec_once((uint64_t)ep);
	sys_handle_close((uint64_t)ep);
}

/* A holder serving a child that execs itself 200 times is killed part
 * way: the child ends (SIGKILL) or had finished (0); nothing hangs. */
static void holder_killed(void)
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

/* ---- exec's argument strings ---- */

/* PAGER_EXEC of x's segments with arglen bytes of args, the message
 * claiming claim bytes of strings (arglen: the truth). */
static int64_t raw_exec_len(const struct exec_file *x, const char *args, uint64_t arglen,
			    uint64_t claim)
{
	struct pager_exec_seg seg[PAGER_EXEC_SEGS_MAX];
	uint64_t n = x->img.nsegments, segbytes = n * sizeof(seg[0]);
	uint8_t *buf = ipcbuf();
	struct ipc_msg m = { 0 };

	for (uint64_t i = 0; i < n; i++)
		seg[i] = (struct pager_exec_seg){ x->img.seg[i].vaddr, x->img.seg[i].memsz,
						  x->img.seg[i].offset, x->img.seg[i].filesz,
						  x->img.seg[i].prot };
	memcpy(buf, seg, segbytes);
	memcpy(buf + segbytes, args, arglen);
	m.info = ipc_info(PAGER_EXEC, segbytes + claim, 0);
	m.w[0] = (uint64_t)x->map;
	m.w[1] = x->img.entry;
	m.w[2] = n;
	return pager_call(&m);
}

static int64_t raw_exec(const struct exec_file *x, const char *args, uint64_t arglen)
{
	return raw_exec_len(x, args, arglen, arglen);
}

static void exec_args(void)
{
	int p[2];

	CHECK_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		static char args[3000];
		struct exec_file x;
		int bad = 0;
		close(p[0]);
		if (exec_file_open(PROBE, &x) < 0)
			_exit(90);
		/* The bss page's file part cached (the pager never waits). */
		for (uint64_t i = 0; i < x.img.nsegments; i++)
			(void)*(volatile uint8_t *)(x.map + ((x.img.seg[i].offset +
							      x.img.seg[i].filesz) & ~4095ul));
		memset(args, 'a', sizeof(args));
		bad += raw_exec(&x, args, 40) != -ERR_INVAL;		/* no NUL at the end */
		bad += raw_exec(&x, "\0xprobe", 8) != -ERR_INVAL;	/* empty name */
		for (int i = 0; i < 40; i++)				/* 40 strings */
			args[2 * i + 1] = '\0';
		bad += raw_exec(&x, args, 80) != -ERR_INVAL;
		args[sizeof(args) - 1] = '\0';				/* past the limit */
		for (int i = 0; i < 40; i++)
			args[2 * i + 1] = 'b';
		bad += raw_exec(&x, args, sizeof(args)) != -ERR_INVAL;
		/* Longer than the message can carry: the kernel or we say no. */
		bad += raw_exec_len(&x, args, 8, 4096) >= 0;
		bad += raw_exec_len(&x, args, 8, ~0ul >> 1) >= 0;
		if (bad)
			_exit(80 + bad);
		/* Still our program; now a good one, keeping the pipe. */
		char fd[8];
		snprintf(fd, sizeof(fd), "%d", p[1]);
		char *argv[] = { "xprobe", "write", fd, "99", NULL };
		execv(PROBE, argv);
		_exit(98);
	}
	CHECK(c > 0);
	close(p[1]);
	char buf[16] = { 0 };
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	CHECK(n == 7 && !strcmp(buf, "spawned"));
	int st = status_of(c);
	printf("attack_proc: exec_args child status %#x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
}

/* Descriptors open beyond the console's. */
static int count_fds(void)
{
	struct stat st;
	int n = 0;

	for (int fd = 3; fd < 3 + FS_FD_MAX; fd++)
		n += fstat(fd, &st) == 0;
	return n;
}

/* Failing execs and spawns, many times: no descriptor (the program
 * file's) and no fork snapshot stays behind; fork and spawn still work. */
static void exec_fails(void)
{
	static const uint8_t junk[200] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	int fd = open("/tmp/junk", O_WRONLY | O_CREAT | O_TRUNC, 0755);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	int before = count_fds();
	char *argv[] = { "x", NULL };
	const char *paths[] = { "/tmp/junk", "/bin", "/no/such", "" };
	for (int i = 0; i < 120; i++) {
		const char *path = paths[i % 4];
		errno = 0;
		CHECK_EQ(execv(path, argv), -1);
		CHECK(errno == ENOEXEC || errno == EACCES || errno == ENOENT);
		pid_t pid = 0;
		int e = posix_spawn(&pid, path, NULL, NULL, argv, NULL);
		CHECK(e == ENOEXEC || e == EACCES || e == ENOENT);
	}
	CHECK_EQ(count_fds(), before);
	/* Snapshots: a good spawn and a fork still go through. */
	pid_t pid = 0;
	char *good[] = { "xprobe", "exit", "3", NULL };
	CHECK_EQ(posix_spawn(&pid, PROBE, NULL, NULL, good, NULL), 0);
	CHECK_EQ(WEXITSTATUS(status_of(pid)), 3);
	pid = fork();
	if (pid == 0)
		_exit(4);
	CHECK_EQ(WEXITSTATUS(status_of(pid)), 4);
	unlink("/tmp/junk");
}

/* ---- descriptors that are not the caller's ---- */

static void fds(void)
{
	int p[2], v[2];
	struct ipc_msg m;

	/* A victim with a pipe at known numbers; we ask for the same ones. */
	CHECK_EQ(pipe(v), 0);
	pid_t c = fork();
	if (c == 0) {
		/* Closes its copies, then reads what the parent's write brings. */
		char ch = 0;
		close(v[1]);
		_exit(read(v[0], &ch, 1) == 1 && ch == 'v' ? 0 : 1);
	}
	CHECK(c > 0);
	close(v[0]);
	int64_t wild[] = { -1, -2, FS_FD_MAX, FS_FD_MAX + 1, INT32_MAX, (int64_t)1 << 32,
			   INT64_MIN, -(int64_t)FS_FD_MAX };
	for (unsigned i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		uint64_t labels[] = { FS_READ, FS_WRITE, FS_CLOSE, FS_FSTAT, FS_GETFL, FS_SETFL,
				      FS_LSEEK, FS_PREAD };
		for (unsigned k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
			m = (struct ipc_msg){ .w = { (uint64_t)wild[i], 1 } };
			int64_t r = fs_call(labels[k], &m, labels[k] == FS_WRITE ? 1 : 0);
			if (r != -ERR_BADF)
				printf("FAIL: fd %ld label %lu: %ld\n", (long)wild[i],
				       (unsigned long)labels[k], (long)r), t_failures++;
		}
	}
	/* The read end is closed here (the child's is its own): a read of
	 * that number is EBADF, and huge counts on our own end are refused. */
	m = (struct ipc_msg){ .w = { (uint64_t)(v[0] - FD_BASE), 1 } };
	CHECK_EQ(fs_call(FS_READ, &m, 0), -ERR_BADF);
	m = (struct ipc_msg){ .w = { (uint64_t)(v[1] - FD_BASE), ~0ul } };
	CHECK_EQ(fs_call(FS_WRITE, &m, 8), -ERR_INVAL);
	m = (struct ipc_msg){ .w = { (uint64_t)(v[1] - FD_BASE), (uint64_t)1 << 63 } };
	CHECK_EQ(fs_call(FS_WRITE, &m, 8), -ERR_INVAL);
	CHECK_EQ(write(v[1], "v", 1), 1);
	CHECK_EQ(WEXITSTATUS(status_of(c)), 0);
	close(v[1]);
	/* Ours still work. */
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "ok", 2), 2);
	char b[2];
	CHECK(read(p[0], b, 2) == 2 && b[0] == 'o');
	close(p[0]);
	close(p[1]);
}

/* ---- signal notices flooded ---- */

static void on_usr1(int sig) { (void)sig; }

/* fork, again while the server keeps too many of our forks unclaimed. */
static pid_t fork_again(void)
{
	pid_t pid;

	for (int i = 0; i < 1000; i++) {
		if ((pid = fork()) >= 0 || errno != EAGAIN)
			return pid;
		usleep(2000);
	}
	return -1;
}

#define VICTIMS	4
#define BUSY	2
#define FLOOD	3000

/*
 * Victims block reading empty pipes, each with a SIGUSR1 handler (no
 * SA_RESTART): the signal must cut the read short (EINTR). Meanwhile
 * we flood the pager's notices to the file server with signals to busy
 * children (each delivery to a process outside a pager call is one
 * notice): a victim's notice among them must still reach the server.
 */
static void intr_flood(void)
{
	int vp[VICTIMS][2], done[2];
	pid_t victim[VICTIMS], busy[BUSY];
	uint64_t pipes, waiting;

	signal(SIGUSR1, on_usr1);	/* inherited by the children */
	CHECK_EQ(pipe(done), 0);
	for (int k = 0; k < BUSY; k++) {
		busy[k] = fork_again();
		if (busy[k] == 0)
			for (;;)
				;
	}
	for (int v = 0; v < VICTIMS; v++) {
		CHECK_EQ(pipe(vp[v]), 0);
		victim[v] = fork_again();
		if (victim[v] == 0) {
			struct sigaction sa = { .sa_handler = on_usr1 };
			char c;
			sigaction(SIGUSR1, &sa, NULL);
			close(vp[v][1]);
			close(done[0]);
			ssize_t n = read(vp[v][0], &c, 1);
			char r = n == -1 && errno == EINTR ? 'i' : 'x';
			write(done[1], &r, 1);
			_exit(0);
		}
		close(vp[v][0]);
	}
	close(done[1]);
	/* Every victim waits in the server. */
	for (int i = 0; i < 2000; i++) {
		pipestats(&pipes, &waiting);
		if (waiting == VICTIMS)
			break;
		sys_yield();
	}
	CHECK_EQ(waiting, VICTIMS);
	for (int i = 0; i < FLOOD; i++) {
		kill(busy[i % BUSY], SIGUSR1);
		if (i % (FLOOD / VICTIMS) == FLOOD / VICTIMS - 1)
			kill(victim[i / (FLOOD / VICTIMS)], SIGUSR1);
	}
	/* Each victim's read returned EINTR, soon. */
	int intr = 0;
	for (int v = 0; v < VICTIMS; v++) {
		int st = status_soon(victim[v]);
		CHECK(st == 0);
	}
	char r;
	for (int v = 0; v < VICTIMS && read(done[0], &r, 1) == 1; v++)
		intr += r == 'i';
	printf("attack_proc: %d of %d victims saw EINTR through a flood of %d signals\n",
	       intr, VICTIMS, FLOOD);
	CHECK_EQ(intr, VICTIMS);
	for (int k = 0; k < BUSY; k++) {
		kill(busy[k], SIGKILL);
		status_of(busy[k]);
	}
	for (int v = 0; v < VICTIMS; v++)
		close(vp[v][1]);
	close(done[0]);
	signal(SIGUSR1, SIG_DFL);
}

/*
 * A signal racing the write that wakes a blocked reader: the read gives
 * the byte, or EINTR and the byte is still there for the next read;
 * never lost, never twice. And a writer killed while its reader wakes.
 */
static void pipe_race(void)
{
	uint64_t pipes, waiting;

	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 60; i++) {
		int p[2], back[2];
		CHECK_EQ(pipe(p), 0);
		CHECK_EQ(pipe(back), 0);
		pid_t c = fork_again();
		if (c == 0) {
			struct sigaction sa = { .sa_handler = on_usr1 };
			char b = 0, got[4];
			int n = 0, intr = 0;
			sigaction(SIGUSR1, &sa, NULL);
			close(p[1]);
			close(back[0]);
			for (;;) {
				ssize_t r = read(p[0], &b, 1);
				if (r == 1 && n < 4)
					got[n++] = b;
				else if (r == -1 && errno == EINTR)
					intr++;
				else
					break;	/* EOF */
			}
			char rep[2] = { (char)n, n ? got[0] : 0 };
			write(back[1], rep, 2);
			_exit(intr > 1 ? 2 : 0);
		}
		CHECK(c > 0);
		close(p[0]);
		close(back[1]);
		for (volatile int k = 0; k < (i % 12) * 2500; k++)
			;
		if (i & 1) {
			CHECK_EQ(write(p[1], "z", 1), 1);
			kill(c, SIGUSR1);
		} else {
			kill(c, SIGUSR1);
			CHECK_EQ(write(p[1], "z", 1), 1);
		}
		close(p[1]);
		char rep[2] = { 0, 0 };
		CHECK_EQ(read(back[0], rep, 2), 2);
		if (rep[0] != 1 || rep[1] != 'z')
			printf("FAIL: round %d: the reader got %d byte(s)\n", i, rep[0]), t_failures++;
		CHECK_EQ(WEXITSTATUS(status_of(c)), 0);
		close(back[0]);
	}
	signal(SIGUSR1, SIG_DFL);
	/* A writer killed while its blocked reader is being woken. */
	for (int i = 0; i < 30; i++) {
		int p[2];
		CHECK_EQ(pipe(p), 0);
		pid_t r = fork_again();
		if (r == 0) {
			static char buf[70000];
			size_t got = 0;
			ssize_t n;
			close(p[1]);
			while ((n = read(p[0], buf, sizeof(buf))) > 0)
				got += (size_t)n;
			_exit(n == 0 && got <= sizeof(buf) ? 0 : 1);
		}
		pid_t w = fork_again();
		if (w == 0) {
			static char buf[65536];
			close(p[0]);
			for (;;)
				write(p[1], buf, sizeof(buf));
		}
		close(p[0]);
		close(p[1]);
		for (volatile int k = 0; k < (i % 10) * 4000; k++)
			;
		kill(w, SIGKILL);
		CHECK_EQ(WTERMSIG(status_of(w)), SIGKILL);
		kill(r, SIGKILL);	/* it may still be reading what was written */
		status_of(r);
	}
	pipestats(&pipes, &waiting);
	CHECK_EQ(pipes, 0);
	CHECK_EQ(waiting, 0);
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
