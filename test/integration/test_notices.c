/*
 * Attacks on the pager's notes to the file server (pager/fsconn.c:
 * signals, execs, forks, ends; docs/fs-protocol.md "What the pager tells
 * the server"), on posix_spawn's snapshot (libsys/src/spawn.c) and on
 * kill's rule (pager/signal.c may_signal), from unprivileged children.
 * Booted as init over a copy of the disk image (test/notices-run.sh).
 * argv[1]:
 *   intr        children blocked reading pipes are signalled, each amid a
 *               burst of signal notes to other processes: every read
 *               ends with EINTR, soon (6 of 16 stayed blocked for good
 *               when the pager's ring dropped signal notes past half full)
 *   exec        children exec with a close-on-exec file open amid bursts
 *               of signal notes and a stream of ends (churners): every
 *               hidden description closes (the server's count is back
 *               where it was)
 *   exits       parents that end between fork and FS_FORK_BIND, and many
 *               children holding pipes that end at once, amid the same
 *               bursts and ends: every child got its descriptors, no
 *               pipe or description stays behind
 *   spawn_kill  a parent that ends between posix_spawn's PAGER_SPAWN_FILE
 *               and its FS_FORK_BIND (by hand, then killed at random
 *               points of a posix_spawn loop): every child started has
 *               the descriptors; no snapshot or description leaks
 *   kill_rule   a child signals its parent and a grandchild its
 *               grandparent (allowed); init, the block driver and the file
 *               server refuse every signal from a child by any pid form
 *               (plain, with high bits, a slot's later pid); a sibling
 *               or an unrelated process is EPERM; pid 0, -1 and -pid name
 *               nobody (ESRCH); a stale pid whose slot now holds another
 *               process reaches no one
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"
#include "t.h"
#include "psx_attack.h"

#define PROBE		"/bin/xprobe"

extern char **environ;

static long ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000L + t.tv_nsec - t0->tv_nsec;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* pid's wait status within `ms`, else -1 (it is killed and reaped). */
static int status_within(pid_t pid, long ms)
{
	struct timespec t0;
	int st = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ns_since(&t0) < ms * 1000000L) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		nap_ms(5);
	}
	printf("FAIL: pid %d still running after %ld ms\n", (int)pid, ms);
	t_failures++;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void on_usr1(int sig) { (void)sig; }

/* waitpid, again when a signal's handler cut it short. */
static pid_t wait_for(pid_t pid, int *st)
{
	pid_t r;

	while ((r = waitpid(pid, st, 0)) < 0 && errno == EINTR)
		;
	return r;
}

/* fork, again while the server keeps too many of our forks unclaimed or
 * the process table is busy. */
static pid_t fork_again(void)
{
	pid_t pid;

	for (int i = 0; i < 2000; i++) {
		if ((pid = fork()) >= 0)
			return pid;
		if (errno != EAGAIN)
			break;
		nap_ms(2);
	}
	printf("FAIL: fork: errno %d\n", errno);	/* (ENOMEM seen under a loaded host) */
	return -1;
}

static void fs_counts(uint64_t *descriptions, uint64_t *pipes, uint64_t *waiting)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	*descriptions = m.w[5];
	m = (struct ipc_msg){ 0 };
	CHECK_EQ(fs_call(FS_PIPESTATS, &m, 0), 0);
	*pipes = m.w[1];
	*waiting = m.w[2];
}

/* ---- the flood: signal notes, as many as unprivileged processes make ---- */

/*
 * Sinks: children blocked in the kernel (a receive on an endpoint of
 * their own), not in a pager call, with a SA_NODEFER handler: every
 * signal to one is delivered at once and is one note for the server.
 * (Processes are few: each has a kernel quota, about 60 fit.) A burst
 * signals each many times; the server fetches the notes later. Before the pager merged notes per process
 * a burst filled its queue and the notes after it were dropped.
 */
#define SINKS		20
#define BURSTS		4

static pid_t sinks[SINKS];
static int nsinks;

static void flood_start(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_NODEFER };

	sigaction(SIGUSR1, &sa, NULL);	/* the sinks inherit it */
	for (nsinks = 0; nsinks < SINKS; nsinks++) {
		pid_t pid = fork_again();
		if (pid == 0) {
			int64_t ep = sys_endpoint_create();
			for (;;) {
				struct ipc_msg m = { 0 };
				if (ep < 0 || ipc_recv((uint64_t)ep, &m) < 0)
					sys_yield();
			}
		}
		if (pid < 0) {
			printf("notices: fork of sink %d: errno %d\n", nsinks, errno);
			break;
		}
		sinks[nsinks] = pid;
	}
	CHECK_EQ(nsinks, SINKS);
	nap_ms(100);	/* every sink waits */
}

static void flood_burst(void)
{
	for (int b = 0; b < BURSTS; b++)
		for (int k = 0; k < nsinks; k++)
			kill(sinks[k], SIGUSR1);
}

/* The sinks end together: a burst of ends. */
static void flood_end(void)
{
	for (int k = 0; k < nsinks; k++)
		kill(sinks[k], SIGKILL);
	for (int k = 0; k < nsinks; k++) {
		int st = status_within(sinks[k], 20000);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	nsinks = 0;
}

/*
 * Churners: each forks children that end at once, for CHURN_NS, by the
 * pager's fork alone (no snapshot: the file server is not asked, so it
 * cannot keep pace by being called): a stream of ends for the server.
 */
#define CHURNERS	8
#define CHURN_NS	1500000000L

static pid_t churners[CHURNERS];

static pid_t fork_raw(void)
{
	jmp_buf jb;
	uint64_t sp;

	if (setjmp(jb))
		return 0;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	struct ipc_msg m = { .info = ipc_info(PAGER_FORK, 0, 0),
			     .w = { (uint64_t)fork_child_entry, (sp - 512) & ~15ul, (uint64_t)&jb } };
	return (pid_t)pager_call(&m);
}

static void churn_start(void)
{
	for (int k = 0; k < CHURNERS; k++) {
		if ((churners[k] = fork_again()) != 0)
			continue;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (ns_since(&t0) < CHURN_NS) {
			pid_t c = fork_raw();
			if (c == 0)
				_exit(0);
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		_exit(0);
	}
}

static void churn_end(void)
{
	for (int k = 0; k < CHURNERS; k++) {
		int st = status_within(churners[k], 20000);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* Close go (the children waiting on it go at once) amid the flood and
 * the churners: the churn starts, a burst, go closes, 16 bursts more. */
static void release_amid_storm(int go[2])
{
	close(go[0]);
	churn_start();
	nap_ms(100);
	flood_burst();
	close(go[1]);
	for (int i = 0; i < 16; i++)
		flood_burst();
}

/* ---- intr ---- */

#define VICTIMS	16	/* each its own pipe and wait in the server */

static void intr(void)
{
	pid_t victim[VICTIMS];
	uint64_t d0, p0, w0, d, p, w;

	fs_counts(&d0, &p0, &w0);
	for (int v = 0; v < VICTIMS; v++) {
		victim[v] = fork_again();
		if (victim[v] == 0) {
			struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
			int fd[2];
			char c;
			sigaction(SIGUSR1, &sa, NULL);
			if (pipe(fd) != 0)
				_exit(3);
			ssize_t n = read(fd[0], &c, 1);	/* nobody writes */
			_exit(n == -1 && errno == EINTR ? 0 : 1);
		}
		CHECK(victim[v] > 0);
	}
	for (int i = 0; i < 4000; i++) {	/* every victim waits in the server */
		fs_counts(&d, &p, &w);
		if (w == w0 + VICTIMS)
			break;
		nap_ms(2);
	}
	CHECK_EQ(w, w0 + VICTIMS);
	flood_start();
	flood_burst();
	for (int v = 0; v < VICTIMS; v++) {	/* each amid sinks' notes */
		CHECK_EQ(kill(victim[v], SIGUSR1), 0);
		flood_burst();
	}
	int good = 0;
	for (int v = 0; v < VICTIMS; v++) {
		int st = status_within(victim[v], 5000);
		good += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	printf("notices: %d of %d blocked readers saw EINTR through the flood\n", good, VICTIMS);
	CHECK_EQ(good, VICTIMS);
	flood_end();
	fs_counts(&d, &p, &w);
	CHECK_EQ(p, p0);
	CHECK_EQ(w, w0);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- exec ---- */

#define EXECS	12

static void exec_flood(void)
{
	pid_t child[EXECS];
	uint64_t d0, p0, w0, d, p, w;
	int fd = open("/tmp/notices.exec", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	int go[2];

	fs_counts(&d0, &p0, &w0);
	flood_start();
	CHECK_EQ(pipe(go), 0);
	for (int i = 0; i < EXECS; i++) {
		child[i] = fork_again();
		if (child[i] == 0) {
			char c;
			close(go[1]);
			read(go[0], &c, 1);	/* EOF: all exec together */
			close(go[0]);
			/* A description of its own, hidden by the exec and to
			 * be closed on the pager's note. */
			if (open("/tmp/notices.exec", O_RDONLY | O_CLOEXEC) < 0)
				_exit(3);
			execl(PROBE, "xprobe", "hold", (char *)NULL);
			_exit(4);
		}
		CHECK(child[i] > 0);
	}
	release_amid_storm(go);
	flood_end();
	churn_end();
	/* Every exec happened (the programs made their ready files) and its
	 * hidden description closed: the count is back where it was. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ready = 0;
	while (ns_since(&t0) < 8000000000L) {
		ready = 0;
		for (int i = 0; i < EXECS; i++) {
			char path[40];
			snprintf(path, sizeof(path), "/tmp/ready.%d", (int)child[i]);
			ready += access(path, F_OK) == 0;
		}
		fs_counts(&d, &p, &w);
		if (ready == EXECS && d == d0)
			break;
		nap_ms(20);
	}
	printf("notices: %d of %d execs ran; descriptions %lu before, %lu after\n", ready, EXECS,
	       (unsigned long)d0, (unsigned long)d);
	CHECK_EQ(ready, EXECS);
	CHECK_EQ(d, d0);
	for (int i = 0; i < EXECS; i++) {
		char path[40];
		kill(child[i], SIGKILL);
		waitpid(child[i], NULL, 0);
		snprintf(path, sizeof(path), "/tmp/ready.%d", (int)child[i]);
		unlink(path);
	}
	close(fd);
	unlink("/tmp/notices.exec");
	signal(SIGUSR1, SIG_DFL);
}

/* ---- exits ---- */

/* Init's children that ended, good or bad by status, until none has
 * for 0.5 s (the drivers and the file server never end). */
static void reap_orphans(int *good, int *bad)
{
	struct timespec last;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &last);
	while (ns_since(&last) < 500000000L) {
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r > 0) {
			*(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? good : bad) += 1;
			clock_gettime(CLOCK_MONOTONIC, &last);
		} else {
			nap_ms(2);
		}
	}
}

#define UNBOUND	6
#define HOLDERS	8

static void exits(void)
{
	int fd = open("/tmp/notices.exits", O_RDWR | O_CREAT | O_TRUNC, 0644), good = 0, bad = 0;
	uint64_t d0, p0, w0, d, p, w;
	pid_t holder[HOLDERS];
	int go[2];

	CHECK(fd >= 0);
	fs_counts(&d0, &p0, &w0);
	flood_start();
	CHECK_EQ(pipe(go), 0);
	/* Parents that end unbound when go closes: each child must still
	 * have fd. */
	for (int i = 0; i < UNBOUND; i++) {
		pid_t pid = fork_again();
		if (pid == 0) {
			char c;
			close(go[1]);
			read(go[0], &c, 1);
			if (fork_unbound() == 0)
				_exit(fcntl(fd, F_GETFD) >= 0 ? 0 : 1);
			raise(SIGKILL);
			_exit(2);
		}
		CHECK(pid > 0);
	}
	/* Holders of a pipe each, ending at once when go closes. */
	for (int i = 0; i < HOLDERS; i++) {
		holder[i] = fork_again();
		if (holder[i] == 0) {
			int mine[2];
			char c;
			close(go[1]);
			if (pipe(mine) != 0)
				_exit(3);
			read(go[0], &c, 1);	/* EOF: all end together */
			_exit(0);
		}
	}
	release_amid_storm(go);
	churn_end();
	flood_end();
	for (int i = 0; i < HOLDERS; i++) {
		int st = status_within(holder[i], 10000);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	reap_orphans(&good, &bad);	/* the unbound parents (SIGKILL) and their children */
	printf("notices: %d children of parents ended unbound had the descriptor; "
	       "%d other ends\n", good, bad);
	CHECK_EQ(good, UNBOUND);
	CHECK_EQ(bad, UNBOUND);	/* the parents, killed */
	for (int i = 0; i < 500; i++) {
		fs_counts(&d, &p, &w);
		if (d == d0 && p == p0)
			break;
		nap_ms(10);
	}
	CHECK_EQ(d, d0);
	CHECK_EQ(p, p0);
	CHECK_EQ(w, w0);
	close(fd);
	unlink("/tmp/notices.exits");
	signal(SIGUSR1, SIG_DFL);
}

/* ---- spawn_kill ---- */

#define SPAWN_ROUNDS	24

/* posix_spawn without a fork as a parent killed right after
 * PAGER_SPAWN_FILE runs it: the snapshot named to the pager (w4) and
 * to the child, no FS_FORK_BIND. The child writes to fd. */
static void spawn_unbound(int fd)
{
	char num[12];
	const char *argv[] = { "xprobe", "write", num, "30", NULL };
	struct exec_file x;
	struct ipc_msg sm = { .w = { FS_SNAP_EXEC } };
	int64_t snap;

	snprintf(num, sizeof(num), "%d", fd);
	if (exec_file_open(PROBE, &x) < 0 || (snap = fs_call(FS_FORK_PREPARE, &sm, 0)) <= 0)
		_exit(5);
	posix_spawn_snapshot = snap;
	int64_t r = exec_file_call(PAGER_SPAWN_FILE, &x, argv, environ, libsys_start_info.pid, 0, 0,
				   snap);
	raise(SIGKILL);
	_exit(r > 0 ? 6 : 7);
}

/* posix_spawn for ever, the children writing to fd. */
static _Noreturn void spawn_forever(int fd)
{
	char num[12];
	char *argv[] = { "xprobe", "write", num, "30", NULL };

	snprintf(num, sizeof(num), "%d", fd);
	for (;;) {
		pid_t c;
		posix_spawn(&c, PROBE, NULL, NULL, argv, environ);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static void spawn_kill(void)
{
	int fd = open("/tmp/notices.spawn", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	int good = 0, bad = 0, st;
	uint64_t d0, p0, w0, d, p, w;
	pid_t pid;

	CHECK(fd >= 0);
	fs_counts(&d0, &p0, &w0);
	for (int round = 0; round < 5; round++) {
		if ((pid = fork_again()) == 0)
			spawn_unbound(fd);
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		reap_orphans(&good, &bad);
	}
	printf("notices: parents ended before binding a spawn's snapshot: %d children "
	       "had the descriptor, %d did not\n", good, bad);
	CHECK_EQ(good, 5);
	CHECK_EQ(bad, 0);
	for (int round = 0; round < SPAWN_ROUNDS; round++) {
		if ((pid = fork_again()) == 0)
			spawn_forever(fd);
		CHECK(pid > 0);
		nap_ms(20 + round * 7 % 40);
		CHECK_EQ(kill(pid, SIGKILL), 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		reap_orphans(&good, &bad);	/* its children are ours now */
	}
	printf("notices: spawning parents killed: %d children had the descriptor, %d did not\n",
	       good, bad);
	CHECK_EQ(bad, 0);
	CHECK(good > 5 + SPAWN_ROUNDS);
	close(fd);
	fs_counts(&d, &p, &w);
	CHECK_EQ(d, d0 - 1);	/* fd closed; no snapshot holds a description */
	unlink("/tmp/notices.spawn");
}

/* ---- kill_rule ---- */

static volatile int usr1s;
static void count_usr1(int sig) { (void)sig; usr1s++; }

/* From a child: each pid refused, whatever the signal or form. */
static int refused_all(const int64_t *pids, int n)
{
	int bad = 0;

	if (kill(0, SIGUSR1) != -1 || errno != ESRCH || kill(-1, SIGUSR1) != -1 || errno != ESRCH)
		bad++;

	for (int i = 0; i < n; i++) {
		uint64_t forms[] = { (uint64_t)pids[i], (uint64_t)pids[i] | (1ull << 32),
				     (uint64_t)pids[i] + 256, (uint64_t)pids[i] + 512,
				     (uint64_t)pids[i] | (1ull << 63) };
		for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			for (int sig = 0; sig < 32; sig++) {
				struct ipc_msg m = { .info = ipc_info(PAGER_KILL, 0, 0),
						     .w = { forms[f], (uint64_t)(sig ? sig : SIGKILL),
							    sig ? 0 : PKILL_PROBE } };
				int64_t r = pager_call(&m);
				if (r != -ERR_PERM && r != -ERR_SRCH) {
					printf("FAIL: kill(%#lx, %d) from pid %d: %ld\n",
					       (unsigned long)forms[f], sig, (int)getpid(), (long)r);
					bad++;
				}
				if (f == 0 && r != -ERR_PERM) {
					printf("FAIL: kill(%ld, %d): %ld, not EPERM\n", (long)pids[i], sig, (long)r);
					bad++;
				}	/* it lives: refused, not unknown */
			}
		}
		if (kill((pid_t)pids[i], SIGKILL) != -1 || errno != EPERM)
			bad++;
		/* No process groups: pid 0, -1 and -pid name nobody. */
		if (kill(-(pid_t)pids[i], SIGKILL) != -1 || errno != ESRCH)
			bad++;
	}
	return bad;
}

static void kill_rule(void)
{
	int64_t protect[8];
	int n = 0, st;

	/* Init and the servers it started (the block driver, the file
	 * server): every live process now. */
	protect[n++] = 1;
	for (int64_t pid = 2; pid < 64 && n < 8; pid++)
		if (kill((pid_t)pid, 0) == 0)
			protect[n++] = pid;
	CHECK(n >= 3);
	signal(SIGUSR1, count_usr1);
	/* A child signals us? We are init: refused. Its child signals it:
	 * allowed; the grandchild signals its grandparent: allowed. */
	pid_t c = fork_again();
	if (c == 0) {
		int bad = refused_all(protect, n);
		int stc;
		usr1s = 0;
		pid_t g = fork_again();
		if (g == 0) {
			int badg = refused_all(protect, n);
			if (kill(getppid(), SIGUSR1) != 0) {
				printf("FAIL: kill(getppid() = %d, SIGUSR1): errno %d\n", (int)getppid(), errno);
				badg += 100;
			}
			_exit(badg > 255 ? 255 : badg);
		}
		if (wait_for(g, &stc) != g || !WIFEXITED(stc) || WEXITSTATUS(stc) != 0)
			bad += 16;
		for (int i = 0; i < 1000 && !usr1s; i++)
			sys_yield();
		if (usr1s != 1)
			bad += 32;
		_exit(bad > 255 ? 255 : bad);
	}
	CHECK(c > 0);
	CHECK_EQ(waitpid(c, &st, 0), c);
	printf("notices: kill_rule child status %#x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Deeper: a grandchild's signal reaches its grandparent (an ancestor
	 * that is not init); a sibling's does not reach its sibling. */
	c = fork_again();
	if (c == 0) {	/* A */
		pid_t a = getpid();
		int hold[2], bad = 0, stb, sts;
		usr1s = 0;
		if (pipe(hold) != 0)
			_exit(9);
		pid_t b = fork_again();
		if (b == 0) {	/* B: its child C signals A; B stays until A lets go */
			char ch;
			int stc;
			close(hold[1]);
			pid_t cc = fork_again();
			if (cc == 0)
				_exit(kill(a, SIGUSR1) == 0 ? 0 : 1);
			read(hold[0], &ch, 1);
			wait_for(cc, &stc);
			_exit(WIFEXITED(stc) ? WEXITSTATUS(stc) : 2);
		}
		close(hold[0]);
		pid_t s = fork_again();	/* B's sibling */
		if (s == 0)
			_exit(kill(b, SIGUSR1) == -1 && errno == EPERM ? 0 : 1);
		wait_for(s, &sts);
		bad += !WIFEXITED(sts) || WEXITSTATUS(sts) != 0;
		for (int i = 0; i < 2000 && !usr1s; i++)
			nap_ms(1);
		bad += usr1s != 1;
		close(hold[1]);
		wait_for(b, &stb);
		bad += !WIFEXITED(stb) || WEXITSTATUS(stb) != 0;
		_exit(bad);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	printf("notices: kill_rule child status %#x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* A stale pid: the attacker's child x ended; a later process Y of
	 * init's lands in x's slot (pid x + 256k). kill(x) must not reach
	 * it, and Y (the attacker's sibling) is not the attacker's either. */
	int ask[2], tell[2];
	CHECK_EQ(pipe(ask), 0);
	CHECK_EQ(pipe(tell), 0);
	pid_t att = fork_again();
	if (att == 0) {
		int64_t x = fork_raw(), y = 0;
		if (x == 0)
			_exit(0);
		wait_for((pid_t)x, &st);
		write(tell[1], &x, sizeof(x));
		if (read(ask[0], &y, sizeof(y)) != sizeof(y))
			_exit(9);
		int bad = 0;
		bad += kill((pid_t)x, SIGKILL) != -1 || errno != ESRCH;
		bad += kill((pid_t)y, SIGKILL) != -1 || errno != EPERM;
		_exit(bad);
	}
	int64_t x = 0, y = 0;
	CHECK_EQ(read(tell[0], &x, sizeof(x)), (long)sizeof(x));
	pid_t keep = -1;
	for (int i = 0; i < 2000 && keep < 0; i++) {
		pid_t c2 = fork_raw();
		if (c2 == 0)
			for (;;)
				pause();	/* until killed (no descriptors: a raw fork) */
		if (c2 > 0 && c2 % 256 == x % 256 && c2 != x)
			keep = c2;
		else if (c2 > 0) {
			kill(c2, SIGKILL);
			wait_for(c2, &st);
		}
	}
	CHECK(keep > 0);
	printf("notices: stale pid %ld, its slot now pid %d\n", (long)x, (int)keep);
	y = keep;
	CHECK_EQ(write(ask[1], &y, sizeof(y)), (long)sizeof(y));
	CHECK_EQ(wait_for(att, &st), att);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(kill(keep, 0), 0);	/* it lives */
	kill(keep, SIGKILL);
	wait_for(keep, &st);
	close(ask[0]);
	close(ask[1]);
	close(tell[0]);
	close(tell[1]);
	/* The servers still run. */
	for (int i = 1; i < n; i++)
		CHECK_EQ(kill((pid_t)protect[i], 0), 0);
	CHECK_EQ(usr1s, 0);	/* nothing reached init */
	signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const struct proc_start *ps = &libsys_start_info;

	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	if (!strcmp(what, "intr"))
		intr();
	else if (!strcmp(what, "exec"))
		exec_flood();
	else if (!strcmp(what, "exits"))
		exits();
	else if (!strcmp(what, "spawn_kill"))
		spawn_kill();
	else if (!strcmp(what, "kill_rule"))
		kill_rule();
	else
		CHECK(!"unknown mode");
	return psx_done("notices", what);
}
