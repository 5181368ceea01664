/*
 * Gaps closed in the POSIX layer (docs/signals.md, docs/posix.md), as init
 * over the disk image (test/psxgaps-run.sh). argv[1]:
 *   sigipc    signal handlers that do IPC with payloads (a file read,
 *             fstat, access: a path) run while the main code reads files
 *             and a pipe and checks every byte: a storm of SIGUSR1 from
 *             init and SIGCHLD from short-lived children. The interrupted code's
 *             IPC buffer (a reply not yet copied out) survives the
 *             handler; without that the main code copies the handler's
 *             data.
 *   cloexec   FD_CLOEXEC: open(O_CLOEXEC), pipe2(O_CLOEXEC), F_SETFD,
 *             F_DUPFD_CLOEXEC, dup3; execve closes those (/bin/pfdcheck
 *             says which are open), a failed execve leaves them open,
 *             posix_spawn (both paths) closes them, fork keeps the flag,
 *             dup clears it; a pipe's write end marked close-on-exec
 *             gives its reader EOF once the writer execs; attacks: bad
 *             words, hiding again and again (one set held at most), a
 *             restore into a refilled table (what does not fit closes)
 *   forkkill  a parent that ends right after PAGER_FORK, before it binds
 *             its descriptor snapshot (fork's steps by hand), and parents
 *             killed at random points of a fork loop: every child still
 *             gets the descriptors (the pager's FS_NOTE_FORK)
 *   altstack  sigaltstack and SA_ONSTACK: its errors (ENOMEM, EINVAL,
 *             EPERM on the stack in use), a handler on it (uc_stack,
 *             SS_ONSTACK) or not without SA_ONSTACK, a stack overflow's
 *             SIGSEGV caught there and left by siglongjmp (twice), fork
 *             keeps it, disabled the overflow ends the process
 */
#define _GNU_SOURCE	/* pipe2, dup3 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "psx_attack.h"

/* ---- sigipc ---- */

#define FILE_A		"/tmp/sigipc.a"
#define FILE_B		"/tmp/sigipc.b"
#define A_BYTES		(64 * 1024)
#define PIPE_BYTES	(256 * 1024)

static int fd_b = -1;
static volatile int handled, handler_bad;

static uint8_t a_byte(uint64_t i) { return (uint8_t)(i * 7 + i / 4096 + 1); }
static uint8_t p_byte(uint64_t i) { return (uint8_t)(i * 13 + i / 251); }

/* Both signals: IPC whose replies and requests carry payloads. */
static void busy_handler(int sig)
{
	uint8_t b[4096];
	struct stat st;
	int saved = errno;

	(void)sig;
	if (fd_b < 0)
		return;	/* init, or the reader before it opened */
	handled++;
	if (pread(fd_b, b, sizeof(b), 0) != (ssize_t)sizeof(b) || b[0] != 0x5a || b[4095] != 0x5a)
		handler_bad++;
	if (fstat(fd_b, &st) != 0 || st.st_size != 4096)
		handler_bad++;
	if (access(FILE_A, R_OK) != 0)	/* a path as the request's payload */
		handler_bad++;
	errno = saved;
}

static int make_file(const char *path, int size, int fill)
{
	static uint8_t buf[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int off = 0; fd >= 0 && off < size; off += (int)sizeof(buf)) {
		for (int i = 0; i < (int)sizeof(buf); i++)
			buf[i] = fill >= 0 ? (uint8_t)fill : a_byte((uint64_t)(off + i));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	}
	return fd;
}

static pid_t pipe_writer(int wr)
{
	pid_t pid = fork();

	if (pid == 0) {
		static uint8_t buf[3000];	/* odd pieces: reads end anywhere */
		for (uint64_t s = 0; s < PIPE_BYTES; ) {
			size_t n = PIPE_BYTES - s < sizeof(buf) ? PIPE_BYTES - s : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = p_byte(s + i);
			if (write(wr, buf, n) != (ssize_t)n)
				_exit(1);
			s += n;
		}
		_exit(0);
	}
	return pid;
}

/* The reader, in a child of init's (which storms it with SIGUSR1): file
 * and pipe reads checked byte by byte; every 16th round a child that
 * ends at once (SIGCHLD). Exit status 0 if every byte was right. */
static int reader(void)
{
	static uint8_t buf[4096];
	int fd_a, p[2], file_bad = 0, pipe_bad = 0, round = 0, st;
	uint64_t got = 0, file_reads = 0;
	pid_t writer;

	if ((fd_a = open(FILE_A, O_RDONLY)) < 0 || (fd_b = open(FILE_B, O_RDONLY)) < 0 ||
	    pipe(p) != 0)
		return 2;
	if ((writer = pipe_writer(p[1])) < 0)
		return 2;
	close(p[1]);
	while (got < PIPE_BYTES) {
		/* A file read: 4 KiB through the IPC buffer, every byte checked. */
		int k = round % (A_BYTES / 4096);
		if (pread(fd_a, buf, sizeof(buf), (off_t)k * 4096) != (ssize_t)sizeof(buf))
			file_bad++;
		for (int i = 0; i < (int)sizeof(buf); i++)
			if (buf[i] != a_byte((uint64_t)k * 4096 + (uint64_t)i)) {
				if (file_bad++ == 0)
					printf("sigipc: file byte %d of block %d: %u, not %u\n", i,
					       k, buf[i], a_byte((uint64_t)k * 4096 + (uint64_t)i));
				break;
			}
		file_reads++;
		/* A pipe read: what the writer has sent so far, checked. */
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n <= 0)
			pipe_bad++, got = PIPE_BYTES;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != p_byte(got + (uint64_t)i)) {
				if (pipe_bad++ == 0)
					printf("sigipc: pipe byte %lu: %u, not %u\n",
					       (unsigned long)(got + (uint64_t)i), buf[i],
					       p_byte(got + (uint64_t)i));
				break;
			}
		if (n > 0)
			got += (uint64_t)n;
		if (++round % 16 == 0 && fork() == 0)
			_exit(0);
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
	}
	printf("sigipc: %lu file reads, %lu pipe bytes, %d handlers run, %d bad in them\n",
	       (unsigned long)file_reads, (unsigned long)got, handled, handler_bad);
	while (waitpid(-1, &st, 0) > 0)
		;
	if (file_bad || pipe_bad || handler_bad)
		return 1;
	return handled >= 30 ? 0 : 2;	/* too few: the test showed nothing */
}

static void sigipc(void)
{
	int fd, st = -1;
	pid_t pid;
	long sent = 0;
	struct sigaction sa = { .sa_handler = busy_handler, .sa_flags = SA_RESTART };

	CHECK((fd = make_file(FILE_A, A_BYTES, -1)) >= 0);
	close(fd);
	CHECK((fd = make_file(FILE_B, 4096, 0x5a)) >= 0);
	close(fd);
	sigemptyset(&sa.sa_mask);
	/* Caught before the reader runs (inherited), ignored here after. */
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK_EQ(sigaction(SIGCHLD, &sa, NULL), 0);
	if ((pid = fork()) == 0)
		_exit(reader());
	CHECK(pid > 0);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGUSR1);
		sent++;
		for (int i = 0; i < 2; i++)
			sys_yield();
	}
	printf("sigipc: %ld SIGUSR1 sent\n", sent);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	unlink(FILE_A);
	unlink(FILE_B);
}

/* ---- cloexec ---- */

#define CX_FILE		"/tmp/cloexec"
#define EXPECT(c) do { if (!(c)) { printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			return 1; } } while (0)

static int fd_flag(int fd) { return fcntl(fd, F_GETFD); }

static int status_of(pid_t pid)
{
	int st = -1;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* In a child of init's (init keeps its program): exit status 0 if every
 * check passed. */
static int cloexec_child(void)
{
	char na[12], nd[12], ng[12], big[1200];
	int a, b, c, d, e, g, p[2];
	pid_t pid;

	EXPECT((a = open(CX_FILE, O_RDONLY)) >= 0);
	EXPECT((b = open(CX_FILE, O_RDONLY | O_CLOEXEC)) >= 0);
	EXPECT(fd_flag(a) == 0 && fd_flag(b) == FD_CLOEXEC);
	EXPECT((fcntl(b, F_GETFL) & O_CLOEXEC) == 0);	/* a descriptor's, not the file's */
	EXPECT(pipe2(p, O_CLOEXEC) == 0);
	EXPECT(fd_flag(p[0]) == FD_CLOEXEC && fd_flag(p[1]) == FD_CLOEXEC);
	EXPECT((c = open(CX_FILE, O_RDONLY)) >= 0);
	EXPECT(fcntl(c, F_SETFD, FD_CLOEXEC) == 0 && fd_flag(c) == FD_CLOEXEC);
	EXPECT((d = dup(b)) >= 0 && fd_flag(d) == 0);	/* dup clears it */
	EXPECT((e = fcntl(a, F_DUPFD_CLOEXEC, 20)) == 20 && fd_flag(e) == FD_CLOEXEC);
	EXPECT(dup3(a, 25, O_CLOEXEC) == 25 && fd_flag(25) == FD_CLOEXEC);
	EXPECT(dup3(a, 25, 0x4) == -1 && errno == EINVAL);
	EXPECT(dup2(a, 26) == 26 && fd_flag(26) == 0);
	EXPECT(fcntl(c, F_DUPFD, 27) == 27 && fd_flag(27) == 0);
	EXPECT((g = open(CX_FILE, O_RDONLY | O_CLOEXEC)) >= 0);
	EXPECT(fcntl(g, F_SETFD, 0) == 0 && fd_flag(g) == 0);
	EXPECT(fcntl(99, F_GETFD) == -1 && errno == EBADF);
	EXPECT(fcntl(40, F_SETFD, FD_CLOEXEC) == -1 && errno == EBADF);
	EXPECT(fd_flag(1) == 0);	/* the console's: never closed */
	/* fork keeps the flag */
	if ((pid = fork()) == 0)
		_exit(fd_flag(b) == FD_CLOEXEC && fd_flag(d) == 0 ? 0 : 1);
	EXPECT(pid > 0 && status_of(pid) == 0);
	snprintf(na, sizeof(na), "%d", a);
	snprintf(nd, sizeof(nd), "%d", d);
	snprintf(ng, sizeof(ng), "%d", g);
	/* What survives: a, d, g, 26, 27. */
	char *keep[] = { "pfdcheck", na, nd, ng, "26", "27", NULL };
	/* A failed exec leaves them all open, flags as they were: E2BIG
	 * comes after the descriptors were hidden. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char *too_big[] = { "pfdcheck", big, NULL };
	EXPECT(execv("/bin/pfdcheck", too_big) == -1 && errno == E2BIG);
	EXPECT(execv("/bin/no-such-program", keep) == -1 && errno == ENOENT);
	EXPECT(fd_flag(b) == FD_CLOEXEC && fd_flag(c) == FD_CLOEXEC && fd_flag(p[1]) == FD_CLOEXEC);
	EXPECT(fd_flag(20) == FD_CLOEXEC && fd_flag(25) == FD_CLOEXEC && fd_flag(a) == 0);
	char x;
	EXPECT(pread(b, &x, 1, 0) == 1 && x == 'c');
	/* posix_spawn without a fork (no file actions): the snapshot leaves
	 * them out; with a file action: fork, then exec. */
	EXPECT(posix_spawn(&pid, "/bin/pfdcheck", NULL, NULL, keep, NULL) == 0);
	EXPECT(status_of(pid) == 0);
	posix_spawn_file_actions_t fa;
	EXPECT(posix_spawn_file_actions_init(&fa) == 0);
	EXPECT(posix_spawn_file_actions_addclose(&fa, 30) == 0);
	EXPECT(posix_spawn(&pid, "/bin/pfdcheck", &fa, NULL, keep, NULL) == 0);
	EXPECT(status_of(pid) == 0);
	posix_spawn_file_actions_destroy(&fa);
	/* A fork child that execs: the same. */
	if ((pid = fork()) == 0) {
		execv("/bin/pfdcheck", keep);
		_exit(3);
	}
	EXPECT(pid > 0 && status_of(pid) == 0);
	/* Ourselves at last (status 0 from pfdcheck is ours). */
	execv("/bin/pfdcheck", keep);
	printf("FAIL: execv: errno %d\n", errno);
	return 1;
}

/* A pipe's write end close-on-exec in a writer that execs a program that
 * lives on: its reader sees EOF while that program still runs. */
static int cloexec_eof(void)
{
	int p[2], st;
	char c;
	pid_t pid;

	EXPECT(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		char *argv[] = { "pfdcheck", "-s", "3", NULL };
		close(p[0]);
		if (fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0 || write(p[1], "w", 1) != 1)
			_exit(4);
		execv("/bin/pfdcheck", argv);
		_exit(3);
	}
	EXPECT(pid > 0);
	close(p[1]);
	EXPECT(read(p[0], &c, 1) == 1 && c == 'w');
	EXPECT(read(p[0], &c, 1) == 0);	/* EOF: the exec closed it */
	EXPECT(waitpid(pid, &st, WNOHANG) == 0);	/* and pfdcheck still runs */
	EXPECT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	return 0;
}

/* Open descriptions in the whole server (FS_STATFS w5). */
static uint64_t descriptions(void)
{
	struct ipc_msg m = { 0 };

	return fs_call(FS_STATFS, &m, 0) == 0 ? m.w[5] : 0;
}

/* An unprivileged process abusing the requests: bad words get errors;
 * hiding again and again holds one set at most; a restore into a table
 * refilled meanwhile closes what does not fit; nothing is left after. */
static int cloexec_attack(void)
{
	struct ipc_msg m = { 0 };
	uint64_t before;
	int n;

	fs_call(FS_SYNC, &m, 0);	/* ended processes' files closed first */
	before = descriptions();

	m = (struct ipc_msg){ .w = { 40, FS_FD_CLOEXEC } };
	EXPECT(fs_call(FS_SETFD, &m, 0) == -ERR_BADF);
	m = (struct ipc_msg){ .w = { (uint64_t)-1, 0 } };
	EXPECT(fs_call(FS_GETFD, &m, 0) == -ERR_BADF);
	int fd = open(CX_FILE, O_RDONLY);
	EXPECT(fd >= 0);
	m = (struct ipc_msg){ .w = { (uint64_t)(fd - FD_BASE), 2 } };
	EXPECT(fs_call(FS_SETFD, &m, 0) == -ERR_INVAL);
	m = (struct ipc_msg){ 0 };
	EXPECT(fs_call(FS_EXEC_RESTORE, &m, 0) == 0);	/* nothing hidden */
	for (int round = 0; round < 20; round++) {
		for (n = 0; open(CX_FILE, O_RDONLY | O_CLOEXEC) >= 0; n++)
			;
		EXPECT(errno == EMFILE && n > 0);
		m = (struct ipc_msg){ 0 };
		EXPECT(fs_call(FS_EXEC_HIDE, &m, 0) == n);
		/* Held, not in the table: the table has room again. */
		EXPECT(descriptions() <= before + 1 + 2 * FS_FD_MAX);
	}
	for (n = 0; open(CX_FILE, O_RDONLY) >= 0; n++)
		;
	m = (struct ipc_msg){ 0 };
	EXPECT(fs_call(FS_EXEC_RESTORE, &m, 0) == 0);	/* no room: closed */
	EXPECT(descriptions() == before + FS_FD_MAX);
	for (int k = FD_BASE; k < FD_BASE + FS_FD_MAX; k++)
		close(k);
	EXPECT(descriptions() == before);
	return 0;
}

static void cloexec(void)
{
	int fd = open(CX_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	pid_t pid;

	CHECK(fd >= 0 && write(fd, "cloexec", 7) == 7);
	close(fd);
	if ((pid = fork()) == 0)
		_exit(cloexec_child());
	CHECK(pid > 0);
	CHECK_EQ(status_of(pid), 0);
	if ((pid = fork()) == 0)
		_exit(cloexec_eof());
	CHECK(pid > 0);
	CHECK_EQ(status_of(pid), 0);
	if ((pid = fork()) == 0)
		_exit(cloexec_attack());
	CHECK(pid > 0);
	CHECK_EQ(status_of(pid), 0);
	unlink(CX_FILE);
}

/* ---- altstack ---- */

static uint8_t alt_mem[4 * SIGSTKSZ] __attribute__((aligned(16)));
static sigjmp_buf alt_jb;
static volatile uintptr_t alt_local;
static volatile int alt_flags, alt_perm;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
	volatile int here = 0;
	stack_t now, again = { .ss_sp = alt_mem, .ss_size = sizeof(alt_mem) };

	(void)si;
	alt_local = (uintptr_t)&here;
	alt_flags = sigaltstack(NULL, &now) == 0 ? now.ss_flags : -1;
	/* Changing the stack it runs on: EPERM. */
	alt_perm = sigaltstack(&again, NULL) == -1 && errno == EPERM;
	if (((ucontext_t *)uc)->uc_stack.ss_sp != alt_mem)
		alt_perm = 0;
	if (sig == SIGSEGV)
		siglongjmp(alt_jb, 1);
}

static volatile int depth, never;

/* Deeper until the stack can grow no more. */
static int overflow(int n)
{
	volatile char pad[1024];

	if (never)
		return 0;
	pad[0] = (char)n;
	depth = n;
	return overflow(n + 1) + pad[0];
}

static bool on_alt(uintptr_t a)
{
	return a >= (uintptr_t)alt_mem && a < (uintptr_t)alt_mem + sizeof(alt_mem);
}

static int altstack_child(void)
{
	struct sigaction sa = { .sa_sigaction = alt_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { 0 }, old;
	int st;
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	EXPECT(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE);
	ss.ss_sp = alt_mem;
	ss.ss_size = MINSIGSTKSZ - 1;
	EXPECT(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM);
	ss.ss_size = sizeof(alt_mem);
	ss.ss_flags = 0x10;
	EXPECT(sigaltstack(&ss, NULL) == -1 && errno == EINVAL);
	ss.ss_flags = 0;
	EXPECT(sigaltstack(&ss, NULL) == 0);
	EXPECT(sigaltstack(NULL, &old) == 0 && old.ss_sp == alt_mem &&
	       old.ss_size == sizeof(alt_mem) && old.ss_flags == 0);
	/* A signal sent to us, SA_ONSTACK: the handler runs there. */
	EXPECT(sigaction(SIGUSR1, &sa, NULL) == 0);
	EXPECT(raise(SIGUSR1) == 0);
	EXPECT(on_alt(alt_local) && alt_flags == SS_ONSTACK && alt_perm);
	/* Without SA_ONSTACK: on the usual stack. */
	sa.sa_flags = SA_SIGINFO;
	EXPECT(sigaction(SIGUSR1, &sa, NULL) == 0);
	alt_local = 0;
	EXPECT(raise(SIGUSR1) == 0);
	EXPECT(alt_local && !on_alt(alt_local) && alt_flags == 0);
	/* A stack overflow: caught on the alternate stack, left by siglongjmp. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	EXPECT(sigaction(SIGSEGV, &sa, NULL) == 0);
	alt_local = 0;
	if (sigsetjmp(alt_jb, 1) == 0) {
		overflow(0);
		EXPECT(!"the overflow returned");
	}
	printf("altstack: overflow caught at depth %d\n", depth);
	EXPECT(on_alt(alt_local) && alt_flags == SS_ONSTACK && depth > 8);
	/* Again: the handler's mask came back with siglongjmp. */
	alt_local = 0;
	if (sigsetjmp(alt_jb, 1) == 0)
		overflow(0);
	EXPECT(on_alt(alt_local));
	/* A fork child keeps it. */
	if ((pid = fork()) == 0)
		_exit(sigaltstack(NULL, &old) == 0 && old.ss_sp == alt_mem ? 0 : 1);
	EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Disabled: the overflow ends the process with SIGSEGV. */
	ss.ss_flags = SS_DISABLE;
	EXPECT(sigaltstack(&ss, NULL) == 0);
	EXPECT(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE);
	if ((pid = fork()) == 0) {
		overflow(0);
		_exit(0);
	}
	EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	return 0;
}

static void altstack(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(altstack_child());
	CHECK(pid > 0);
	CHECK_EQ(status_of(pid), 0);
}

/* ---- forkkill ---- */

#define FK_FILE		"/tmp/forkkill"
#define FK_ROUNDS	20

/* Forks for ever; each child exits 0 if it has our descriptor fd. */
static _Noreturn void fork_forever(int fd)
{
	for (;;) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(fcntl(fd, F_GETFD) >= 0 ? 0 : 1);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/* Init's children that ended (its drivers and the file server never
 * do): each counted good or bad by its status, until none has ended for
 * 0.3 seconds. */
static void reap_orphans(int *good, int *bad)
{
	struct timespec last, now;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		pid_t w = waitpid(-1, &st, WNOHANG);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (w > 0) {
			*(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? good : bad) += 1;
			last = now;
		} else if ((now.tv_sec - last.tv_sec) * 1000000000L + now.tv_nsec - last.tv_nsec >
			   300000000L) {
			return;
		} else {
			sys_yield();
		}
	}
}

static void forkkill(void)
{
	int fd = open(FK_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644), st, good = 0, bad = 0;
	pid_t pid;

	CHECK(fd >= 0);
	/* Deterministic: the parent ends between the fork and the bind. */
	for (int round = 0; round < 5; round++) {
		if ((pid = fork()) == 0) {
			if (fork_unbound() == 0)
				_exit(fcntl(fd, F_GETFD) >= 0 ? 0 : 1);
			raise(SIGKILL);
			_exit(2);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		reap_orphans(&good, &bad);
	}
	printf("forkkill: parents ended before binding: %d children had the descriptor, "
	       "%d did not\n", good, bad);
	CHECK_EQ(good, 5);
	/* Killed at random points of a fork loop. */
	for (int round = 0; round < FK_ROUNDS; round++) {
		if ((pid = fork()) == 0)
			fork_forever(fd);
		CHECK(pid > 0);
		for (int i = 0; i < 20 + round * 7 % 23; i++)
			sys_yield();
		CHECK_EQ(kill(pid, SIGKILL), 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		/* Its children are ours now, the one it forked last among them. */
		reap_orphans(&good, &bad);
	}
	printf("forkkill: %d children had the descriptor, %d did not\n", good, bad);
	CHECK_EQ(bad, 0);
	CHECK(good > FK_ROUNDS);
	close(fd);
	unlink(FK_FILE);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "sigipc";
	const struct proc_start *ps = &libsys_start_info;

	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	if (!strcmp(what, "sigipc"))
		sigipc();
	else if (!strcmp(what, "cloexec"))
		cloexec();
	else if (!strcmp(what, "forkkill"))
		forkkill();
	else if (!strcmp(what, "altstack"))
		altstack();
	else
		CHECK(!"unknown mode");
	return psx_done("psxgaps", what);
}
