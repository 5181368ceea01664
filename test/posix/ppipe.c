/*
 * A plain POSIX program (standard headers only, built by posix_program):
 * pipes between a parent and its children. Ping-pong, end of file, EPIPE
 * and SIGPIPE (default, ignored, caught), 1 MiB intact, PIPE_BUF-sized
 * writes from two writers never interleaved, O_NONBLOCK and fcntl, the
 * errors a pipe gives, and blocked reads and writes cut short by a caught
 * signal (EINTR) or carried on (SA_RESTART). argv[1] names one part;
 * none: all. Exit status 0 if every check passed, else 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define EXPECT(c) do { if (!(c)) { printf("ppipe: FAILED %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

static int reaped(pid_t pid)
{
	int status = -1;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int exited_ok(pid_t pid)
{
	int st = reaped(pid);

	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* All of n bytes, or fewer at EOF. */
static size_t read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n && (r = read(fd, (char *)buf + got, n - got)) > 0)
		got += (size_t)r;
	return got;
}

static void pingpong(void)
{
	int down[2], up[2];
	pid_t pid;

	EXPECT(pipe(down) == 0 && pipe(up) == 0);
	pid = fork();
	if (pid == 0) {
		int v;
		close(down[1]);
		close(up[0]);
		while (read(down[0], &v, sizeof(v)) == sizeof(v)) {
			v++;
			if (write(up[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		_exit(0);	/* EOF: the parent closed its end */
	}
	close(down[0]);
	close(up[1]);
	int v = 0, ok = 1;
	for (int i = 0; i < 200 && ok; i++) {
		int w = v;
		ok = write(down[1], &w, sizeof(w)) == sizeof(w) &&
		     read(up[0], &v, sizeof(v)) == sizeof(v) && v == w + 1;
	}
	EXPECT(ok && v == 200);
	close(down[1]);
	EXPECT(exited_ok(pid));
	EXPECT(read(up[0], &v, sizeof(v)) == 0);	/* the child's end closed when it ended */
	close(up[0]);
}

static void eof(void)
{
	int p[2];
	char buf[16];
	pid_t pid;

	/* What is in the pipe is read after the writer closed; then 0. */
	EXPECT(pipe(p) == 0);
	EXPECT(write(p[1], "hello", 5) == 5);
	close(p[1]);
	EXPECT(read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0);
	EXPECT(read(p[0], buf, sizeof(buf)) == 0);
	close(p[0]);

	/* A blocked reader wakes with 0 when the last writer goes: the child
	 * and the parent both held the write end. */
	EXPECT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		usleep(100000);
		_exit(0);	/* its end closes as it ends */
	}
	close(p[1]);
	EXPECT(read(p[0], buf, sizeof(buf)) == 0);
	EXPECT(exited_ok(pid));
	close(p[0]);

	/* A process killed while it holds the write end closes it too. */
	EXPECT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (;;)
			pause();
	}
	close(p[1]);
	usleep(50000);
	kill(pid, SIGKILL);
	EXPECT(read(p[0], buf, sizeof(buf)) == 0);
	int st = reaped(pid);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(p[0]);
}

static volatile sig_atomic_t caught;

static void count(int sig)
{
	(void)sig;
	caught++;
}

static void broken(void)
{
	int p[2];
	pid_t pid;

	/* SIGPIPE's default action ends the writer. */
	EXPECT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (;;)	/* until the parent's read end closes too */
			write(p[1], "x", 1);
	}
	close(p[0]);
	close(p[1]);
	int st = reaped(pid);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);

	/* Ignored: EPIPE. */
	EXPECT(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	EXPECT(write(p[1], "x", 1) == -1 && errno == EPIPE);
	/* Caught: the handler runs, then EPIPE. */
	struct sigaction sa = { .sa_handler = count };
	sigemptyset(&sa.sa_mask);
	EXPECT(sigaction(SIGPIPE, &sa, NULL) == 0);
	caught = 0;
	errno = 0;
	EXPECT(write(p[1], "xy", 2) == -1 && errno == EPIPE && caught == 1);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);

	/* A writer blocked on a full pipe whose reader dies: EPIPE. */
	EXPECT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		usleep(100000);
		_exit(0);	/* reads nothing */
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	static char big[64 * 1024];
	errno = 0;
	ssize_t n = write(p[1], big, sizeof(big));
	EXPECT(n >= 0 ? n < (ssize_t)sizeof(big) : errno == EPIPE);
	signal(SIGPIPE, SIG_DFL);
	EXPECT(exited_ok(pid));
	close(p[1]);
}

/* The byte at offset i of the stream. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + (i >> 12) * 13) & 0xff);
}

static void large(void)
{
	const size_t total = 1 << 20;
	static unsigned char buf[9000];
	size_t got = 0, bad = 0;
	int p[2];
	pid_t pid;

	EXPECT(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (size_t off = 0; off < total;) {
			size_t n = total - off < 7001 ? total - off : 7001;	/* odd sizes */
			for (size_t i = 0; i < n; i++)
				buf[i] = pattern(off + i);
			if (write(p[1], buf, n) != (ssize_t)n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		size_t want = 1 + (got * 31) % sizeof(buf);
		ssize_t r = read(p[0], buf, want);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			bad += buf[i] != pattern(got + (size_t)i);
		got += (size_t)r;
	}
	printf("ppipe: large: %zu bytes, %zu wrong\n", got, bad);
	EXPECT(got == total && bad == 0);
	EXPECT(exited_ok(pid));
	close(p[0]);
}

/* Two writers, each `records` writes of `size` bytes all its own letter:
 * the stream is whole records, never two writers' bytes in one. */
static void atomic(size_t size, int records)
{
	static char rec[4096];
	int p[2], counts[2] = { 0, 0 }, mixed = 0;
	pid_t pids[2];

	EXPECT(pipe(p) == 0);
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(p[0]);
			memset(rec, 'a' + k, size);
			for (int i = 0; i < records; i++)
				if (write(p[1], rec, size) != (ssize_t)size)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	while (read_all(p[0], rec, size) == size) {
		int k = rec[0] - 'a';
		for (size_t i = 1; i < size; i++)
			mixed += rec[i] != rec[0];
		if (k == 0 || k == 1)
			counts[k]++;
		else
			mixed++;
	}
	printf("ppipe: atomic %zu: %d + %d records, %d bytes out of place\n", size, counts[0],
	       counts[1], mixed);
	EXPECT(counts[0] == records && counts[1] == records && mixed == 0);
	EXPECT(exited_ok(pids[0]) && exited_ok(pids[1]));
	close(p[0]);
}

static void nonblock(void)
{
	int p[2], fl;
	char buf[512];
	size_t filled = 0;
	ssize_t r;
	struct stat st;

	EXPECT(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	errno = 0;
	EXPECT(read(p[0], buf, sizeof(buf)) == -1 && errno == EAGAIN);
	memset(buf, 'n', sizeof(buf));
	while ((r = write(p[1], buf, sizeof(buf))) > 0)
		filled += (size_t)r;
	EXPECT(r == -1 && errno == EAGAIN);
	printf("ppipe: a pipe holds %zu bytes\n", filled);
	EXPECT(filled >= PIPE_BUF);
	EXPECT(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	EXPECT(((fl = fcntl(p[1], F_GETFL)) & O_NONBLOCK) && (fl & O_ACCMODE) == O_WRONLY);
	/* Blocking again: a read makes room, the write goes through. */
	EXPECT(fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK) == 0);
	EXPECT(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	EXPECT(read(p[0], buf, sizeof(buf)) == sizeof(buf));
	EXPECT(write(p[1], buf, sizeof(buf)) == sizeof(buf));
	close(p[0]);
	close(p[1]);

	/* The errors a pipe gives. */
	EXPECT(pipe(p) == 0);
	errno = 0;
	EXPECT(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE);
	errno = 0;
	EXPECT(read(p[1], buf, 1) == -1 && errno == EBADF);
	errno = 0;
	EXPECT(write(p[0], buf, 1) == -1 && errno == EBADF);
	errno = 0;
	EXPECT(pread(p[0], buf, 1, 0) == -1 && errno == ESPIPE);
	errno = 0;
	EXPECT(pipe2(p, 0x1000000) == -1 && errno == EINVAL);
	/* dup'ed: the write end lives while a copy does. */
	int d = dup(p[1]);
	EXPECT(d >= 0);
	close(p[1]);
	EXPECT(write(d, "z", 1) == 1 && read(p[0], buf, 1) == 1 && buf[0] == 'z');
	close(d);
	EXPECT(read(p[0], buf, 1) == 0);
	close(p[0]);
}

/* Signals come from children ending (SIGCHLD): a process may signal only
 * its descendants here. A child that ends after ms milliseconds; with
 * data, a second one that writes a byte to fd after 3 ms and ends well
 * after. *writer: the second (or 0). */
static pid_t nudge(int fd, int ms, int data, pid_t *writer)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	*writer = 0;
	if (data && (*writer = fork()) == 0) {
		usleep((useconds_t)ms * 3000);
		write(fd, "r", 1);
		usleep(500000);
		_exit(0);
	}
	return pid;
}

static void interrupted(void)
{
	struct sigaction sa = { .sa_handler = count };
	pid_t pid, writer;
	char buf[8];
	int p[2];

	/* A blocked read, a caught signal without SA_RESTART: EINTR, after
	 * the handler ran. */
	sigemptyset(&sa.sa_mask);
	EXPECT(sigaction(SIGCHLD, &sa, NULL) == 0);
	EXPECT(pipe(p) == 0);
	caught = 0;
	pid = nudge(p[1], 250, 0, &writer);
	errno = 0;
	EXPECT(read(p[0], buf, sizeof(buf)) == -1 && errno == EINTR && caught == 1);
	EXPECT(exited_ok(pid));

	/* The same with SA_RESTART: the handler runs, the read carries on
	 * and returns the byte written later. */
	sa.sa_flags = SA_RESTART;
	EXPECT(sigaction(SIGCHLD, &sa, NULL) == 0);
	caught = 0;
	pid = nudge(p[1], 250, 1, &writer);
	EXPECT(read(p[0], buf, sizeof(buf)) == 1 && buf[0] == 'r' && caught == 1);
	EXPECT(exited_ok(pid) && exited_ok(writer));

	/* alarm() on a blocked read. */
	signal(SIGCHLD, SIG_DFL);
	sa.sa_flags = 0;
	EXPECT(sigaction(SIGALRM, &sa, NULL) == 0);
	caught = 0;
	alarm(1);
	errno = 0;
	EXPECT(read(p[0], buf, sizeof(buf)) == -1 && errno == EINTR && caught == 1);

	/* A blocked write (the pipe full) cut short: EINTR, nothing of the
	 * blocked piece written. */
	int fl = fcntl(p[1], F_GETFL);
	static char fill[4096];
	EXPECT(fcntl(p[1], F_SETFL, fl | O_NONBLOCK) == 0);
	while (write(p[1], fill, sizeof(fill)) > 0)
		;
	EXPECT(fcntl(p[1], F_SETFL, fl) == 0);
	EXPECT(sigaction(SIGCHLD, &sa, NULL) == 0);
	caught = 0;
	pid = nudge(p[1], 250, 0, &writer);
	errno = 0;
	EXPECT(write(p[1], fill, sizeof(fill)) == -1 && errno == EINTR && caught == 1);
	EXPECT(exited_ok(pid));
	/* With SA_RESTART the write goes through once a read makes room. */
	sa.sa_flags = SA_RESTART;
	EXPECT(sigaction(SIGCHLD, &sa, NULL) == 0);
	caught = 0;
	pid = fork();
	if (pid == 0) {
		usleep(700000);
		_exit(read(p[0], fill, sizeof(fill)) == sizeof(fill) ? 0 : 1);
	}
	pid_t early = nudge(p[1], 250, 0, &writer);
	EXPECT(write(p[1], fill, sizeof(fill)) == sizeof(fill) && caught >= 1);
	EXPECT(exited_ok(pid) && exited_ok(early));
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);

	/* A signal caught while not blocked does not cut short a read that
	 * starts after its handler. */
	EXPECT(pipe(p) == 0);
	sa.sa_flags = 0;
	EXPECT(sigaction(SIGUSR2, &sa, NULL) == 0);
	caught = 0;
	raise(SIGUSR2);
	EXPECT(caught == 1);
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		write(p[1], "s", 1);
		usleep(100000);
		_exit(0);
	}
	EXPECT(read(p[0], buf, 1) == 1 && buf[0] == 's');
	EXPECT(exited_ok(pid));
	signal(SIGUSR2, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	const char *part = argc > 1 ? argv[1] : "all";
	int all = !strcmp(part, "all");

	if (all || !strcmp(part, "pingpong"))
		pingpong();
	if (all || !strcmp(part, "eof"))
		eof();
	if (all || !strcmp(part, "broken"))
		broken();
	if (all || !strcmp(part, "large"))
		large();
	if (all || !strcmp(part, "atomic")) {
		atomic(PIPE_BUF, 300);
		atomic(4096, 60);
	}
	if (all || !strcmp(part, "nonblock"))
		nonblock();
	if (all || !strcmp(part, "intr"))
		interrupted();
	printf("ppipe: %s: %s\n", part, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
