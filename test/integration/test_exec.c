/*
 * Programs from the disk, demand-paged (pager/exec.c), execve and
 * posix_spawn (libsys/src/exec*.c, spawn.c), as init over the disk image
 * (test/exec-run.sh; /bin/xprobe is apps/disk/xprobe.c). argv[1]:
 *   share   two processes running one program: the second start fills no
 *           page (FS_MAPSTATS) and takes fewer frames than its text has;
 *           a copy of the program touching one page of its 1 MiB table
 *           makes the server fill far fewer pages than the file has
 *   exec    execve keeps pid, parent, descriptors, ignored signals, mask
 *           and pending; resets caught ones; argv and envp arrive; old
 *           mappings are gone; children stay; errors (ENOENT, EACCES, ENOEXEC, E2BIG)
 *           leave the caller running as it was; execv, execl, execvp's
 *           PATH search
 *   spawn   posix_spawn/posix_spawnp with file actions and attributes
 *   posix   /bin/pexec, a plain POSIX program (apps/disk/pexec.c) that
 *           uses posix_spawnp, fork + execvp and execl
 *   attack  malformed ELF files on the disk (ENOEXEC from spawn_path and
 *           execve), and raw PAGER_SPAWN_FILE / PAGER_EXEC requests with
 *           lying segment lists the pager must refuse; PAGER_CHECK after
 *   race    exec racing the parent's kill; exec of a file being written
 *   bench   fork_exec_hello, posix_spawn_hello, spawn_path_hello (-icount)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define PROBE	"/bin/xprobe"

static int64_t pcall(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { w0, w1, w2 } };

	return pager_call(&m);
}

static void map_stats(uint64_t *fills, uint64_t *pages)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(FS_MAPSTATS, &m, 0), 0);
	*fills = m.w[1];
	*pages = m.w[2];
}

static uint64_t free_pages(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };

	pager_call(&m);
	return m.w[1];
}

/* Resident pages of pid's executable VMAs (its text). */
static uint64_t text_resident(int64_t pid, uint64_t *pages)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_VMA_LIST, 0, 0), .w = { 0, (uint64_t)pid } };
	const struct pager_vma_info *v = ipcbuf();
	uint64_t res = 0, all = 0;
	int64_t n = pager_call(&m);

	for (int64_t i = 0; i < n; i++)
		if (v[i].prot & MAP_X) {
			res += v[i].resident;
			all += (v[i].end - v[i].start) >> 12;
		}
	if (pages)
		*pages = all;
	return res;
}

static void yield_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait until xprobe pid has touched its table (it makes
 * /tmp/ready.PID then); false after ~5 s. */
static bool wait_ready(int64_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/ready.%d", (int)pid);
	for (int i = 0; i < 500; i++) {
		if (stat(path, &st) == 0) {
			unlink(path);
			return true;
		}
		yield_ms(10);
	}
	return false;
}

static int exit_status(int64_t pid)
{
	int st = -1;

	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

/* ---- share ---- */

static int copy_file(const char *from, const char *to)
{
	static char buf[4096];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	close(out);
	return 0;
}

static void share(void)
{
	const char *hold[] = { PROBE, "hold", NULL };
	uint64_t f0, p0, f1, p1, text, free0, free1, pa;

	map_stats(&f0, &pa);
	int64_t a = spawn_path(hold, 0);
	CHECK(a > 0);
	CHECK(wait_ready(a));
	text_resident(a, &text);
	CHECK(text > 256);
	map_stats(&f0, &p0);
	printf("exec: first start: %lu pages filled\n", (unsigned long)(p0 - pa));
	CHECK(p0 - pa >= 256);	/* it read its table */
	free0 = free_pages();
	int64_t b = spawn_path(hold, 0);
	CHECK(b > 0);
	CHECK(wait_ready(b));
	map_stats(&f1, &p1);
	free1 = free_pages();
	printf("exec: second start of %s (%lu text pages, all touched): %lu fills, "
	       "%lu pages filled, %lu frames taken\n", PROBE, (unsigned long)text,
	       (unsigned long)(f1 - f0), (unsigned long)(p1 - p0), (unsigned long)(free0 - free1));
	CHECK_EQ(p1 - p0, 0);		/* no text block read again */
	CHECK(free0 - free1 < 64);	/* its 256+ text pages are A's frames */
	kill((pid_t)a, SIGKILL);
	kill((pid_t)b, SIGKILL);
	CHECK_EQ(exit_status(a), SIGKILL);
	CHECK_EQ(exit_status(b), SIGKILL);

	/* A copy no one has mapped: touching one page of the 1 MiB table
	 * fills a read-around's worth, not the file. */
	CHECK_EQ(copy_file(PROBE, "/tmp/xcopy"), 0);
	const char *touch[] = { "/tmp/xcopy", "touch", "200", NULL };
	map_stats(&f0, &p0);
	int64_t c = spawn_path(touch, 0);
	CHECK(c > 0);
	int st = exit_status(c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	map_stats(&f1, &p1);
	printf("exec: a start touching 1 page of 256: %lu pages filled\n", (unsigned long)(p1 - p0));
	CHECK(p1 - p0 > 0);
	CHECK(p1 - p0 < 80);
	unlink("/tmp/xcopy");
}

/* ---- exec ---- */

static volatile int usr1_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen++; }

static char *xenv[] = { "XTEST=yes", "PATH=/bin", NULL };

static void exec_keeps(void)
{
	int64_t parent = getpid();
	int64_t c = fork();

	if (c == 0) {
		char pid[24], ppid[24], fds[24], nfds[24];
		int fd = open("/tmp/xfd", O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "exec-fd", 7) != 7)
			_exit(50);
		signal(SIGUSR1, on_usr1);
		signal(SIGINT, SIG_IGN);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR2);	/* pending across the exec */
		if (mmap((void *)0x2000000000ul, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			_exit(51);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		snprintf(ppid, sizeof(ppid), "%d", (int)getppid());
		snprintf(fds, sizeof(fds), "%d", fd);
		struct stat st;
		int n = 0;
		for (int k = 3; k < 64; k++)
			n += fstat(k, &st) == 0;
		snprintf(nfds, sizeof(nfds), "%d", n);
		char *argv[] = { "xprobe", "check", pid, ppid, fds, nfds, NULL };
		execve(PROBE, argv, xenv);
		_exit(52);
	}
	CHECK(c > 0);
	int st = exit_status(c);
	printf("exec: execve'd child status %#x\n", st);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	(void)parent;
}

static int errors_heap_marker = 12345;

static void exec_errors(void)
{
	char *argv[] = { "x", NULL };
	int fd = open("/tmp/text", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *heap = malloc(64);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "#!/bin/sh\necho not elf\n", 23), 23);
	strcpy(heap, "still here");
#define EXEC_ERR(path, e) do { errno = 0; CHECK_EQ(execve((path), argv, xenv), -1); \
		CHECK_EQ(errno, (e)); } while (0)
	EXEC_ERR("/nope", ENOENT);
	EXEC_ERR("/bin", EACCES);
	EXEC_ERR("/tmp/text", ENOEXEC);
	EXEC_ERR("", ENOENT);
	static char big[1200];
	memset(big, 'a', sizeof(big) - 1);
	char *bigv[] = { "x", big, NULL };
	errno = 0;
	CHECK_EQ(execve(PROBE, bigv, xenv), -1);
	CHECK_EQ(errno, E2BIG);
	static char *manyv[PROC_SPAWN_ARGC_MAX + 2];	/* short strings, too many */
	for (int i = 0; i < PROC_SPAWN_ARGC_MAX + 1; i++)
		manyv[i] = "m";
	errno = 0;
	CHECK_EQ(execve(PROBE, manyv, xenv), -1);
	CHECK_EQ(errno, E2BIG);
	/* Still us: data, heap, descriptor, pid. */
	CHECK_EQ(errors_heap_marker, 12345);
	CHECK(!strcmp(heap, "still here"));
	char buf[4] = { 0 };
	CHECK_EQ(pread(fd, buf, 2, 0), 2);
	CHECK(!strcmp(buf, "#!"));
	CHECK_EQ(getpid(), 1);
	close(fd);
	free(heap);
}

static void exec_family(void)
{
	int64_t c;

	/* execv: the environment is ours (XTEST is not set here). */
	if ((c = fork()) == 0) {
		char *argv[] = { "xprobe", "exit", "21", NULL };
		execv(PROBE, argv);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 21);
	if ((c = fork()) == 0) {
		execl(PROBE, "xprobe", "exit", "22", (char *)NULL);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 22);
	/* execvp searches PATH, skipping what is not there. */
	if ((c = fork()) == 0) {
		setenv("PATH", "/nonexistent:/tmp:/bin", 1);
		char *argv[] = { "xprobe", "exit", "23", NULL };
		execvp("xprobe", argv);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 23);
	if ((c = fork()) == 0) {
		setenv("PATH", "/nonexistent:/bin", 1);
		execlp("xprobe", "xprobe", "exit", "24", (char *)NULL);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 24);
	/* Not found anywhere: ENOENT, and the caller goes on. */
	if ((c = fork()) == 0) {
		char *argv[] = { "nothere", NULL };
		setenv("PATH", "/bin:/tmp", 1);
		execvp("nothere", argv);
		_exit(errno == ENOENT ? 25 : 98);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 25);
	/* An exec'd program (its image from a file) execs again: PAGER_EXEC
	 * replaces an image that PAGER_EXEC made. */
	if ((c = fork()) == 0) {
		execl(PROBE, "xprobe", "reexec", "26", (char *)NULL);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 26);
	/* Children stay ours across exec: the new program waits for one
	 * forked before it. */
	if ((c = fork()) == 0) {
		if (fork() == 0)
			_exit(5);
		execl(PROBE, "xprobe", "waitany", "5", (char *)NULL);
		_exit(99);
	}
	CHECK_EQ(WEXITSTATUS(exit_status(c)), 0);
}

/* ---- spawn ---- */

static void spawn_tests(void)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid;
	char buf[16] = { 0 };

	/* open at 10, dup2 10 -> 11, close 10: the child writes to 11 and
	 * finds 10 closed. */
	CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
	CHECK_EQ(posix_spawn_file_actions_addopen(&fa, 10, "/tmp/sp.out",
						  O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
	CHECK_EQ(posix_spawn_file_actions_adddup2(&fa, 10, 11), 0);
	CHECK_EQ(posix_spawn_file_actions_addclose(&fa, 10), 0);
	CHECK_EQ(posix_spawn_file_actions_addclose(&fa, -1), EBADF);
	char *wargv[] = { "xprobe", "write", "11", "10", NULL };
	CHECK_EQ(posix_spawn(&pid, PROBE, &fa, NULL, wargv, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 0);
	posix_spawn_file_actions_destroy(&fa);
	int fd = open("/tmp/sp.out", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 7);
	CHECK(!strcmp(buf, "spawned"));
	close(fd);

	/* Attributes: SIGINT ignored here stays ignored, unless
	 * SETSIGDEF names it; SETSIGMASK gives the child its mask. */
	signal(SIGINT, SIG_IGN);
	char *s1[] = { "xprobe", "sig", "IGN", "open", NULL };
	CHECK_EQ(posix_spawn(&pid, PROBE, NULL, NULL, s1, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 0);
	CHECK_EQ(posix_spawnattr_init(&at), 0);
	sigset_t def, mask;
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	CHECK_EQ(posix_spawnattr_setsigdefault(&at, &def), 0);
	CHECK_EQ(posix_spawnattr_setsigmask(&at, &mask), 0);
	CHECK_EQ(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETPGROUP), 0);
	char *s2[] = { "xprobe", "sig", "DFL", "masked", NULL };
	CHECK_EQ(posix_spawnp(&pid, "xprobe", NULL, &at, s2, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 0);
	CHECK_EQ(posix_spawnattr_setflags(&at, 0x4000), EINVAL);
	CHECK_EQ(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDULER), 0);
	CHECK_EQ(posix_spawn(&pid, PROBE, NULL, &at, s2, xenv), ENOSYS);
	posix_spawnattr_destroy(&at);
	signal(SIGINT, SIG_DFL);

	/* Without file actions there is no fork (spawn_direct): the child
	 * still has our descriptors (a file-server snapshot it claims), the
	 * mask the attribute gives, our ignored signals; an error comes back
	 * from the call itself. */
	int k = open("/tmp/sp2.out", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char ks[8];
	CHECK(k >= 0);
	snprintf(ks, sizeof(ks), "%d", k);
	char *w2[] = { "xprobe", "write", ks, "30", NULL };
	CHECK_EQ(posix_spawn(&pid, PROBE, NULL, NULL, w2, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(pread(k, buf, sizeof(buf), 0), 7);
	CHECK(!strcmp(buf, "spawned"));
	close(k);
	CHECK_EQ(posix_spawnattr_init(&at), 0);
	CHECK_EQ(posix_spawnattr_setsigmask(&at, &mask), 0);
	CHECK_EQ(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK), 0);
	signal(SIGINT, SIG_IGN);
	char *s3[] = { "xprobe", "sig", "IGN", "masked", NULL };
	CHECK_EQ(posix_spawnp(&pid, "xprobe", NULL, &at, s3, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 0);
	sigset_t now;
	CHECK_EQ(sigprocmask(SIG_BLOCK, NULL, &now), 0);
	CHECK_EQ(sigismember(&now, SIGUSR2), 0);	/* ours is as it was */
	signal(SIGINT, SIG_DFL);
	posix_spawnattr_destroy(&at);
	char *n[] = { "nope", NULL };
	CHECK_EQ(posix_spawn(&pid, "/bin/nope", NULL, NULL, n, xenv), ENOENT);
	CHECK_EQ(posix_spawnp(&pid, "nope", NULL, NULL, n, xenv), ENOENT);
	/* Through a fork (a file action): the child ends with 127. */
	CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
	CHECK_EQ(posix_spawn_file_actions_addclose(&fa, 20), 0);
	CHECK_EQ(posix_spawn(&pid, "/bin/nope", &fa, NULL, n, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 127);
	posix_spawn_file_actions_destroy(&fa);
	/* A failing file action too. */
	CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
	CHECK_EQ(posix_spawn_file_actions_addopen(&fa, 5, "/no/such/dir/f", O_RDONLY, 0), 0);
	CHECK_EQ(posix_spawn(&pid, PROBE, &fa, NULL, wargv, xenv), 0);
	CHECK_EQ(WEXITSTATUS(exit_status(pid)), 127);
	posix_spawn_file_actions_destroy(&fa);
}

int exec_attacks(void);
int exec_races(void);
int exec_bench(void);

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "share";
	const struct proc_start *ps = &libsys_start_info;

	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	if (!strcmp(what, "share")) {
		share();
	} else if (!strcmp(what, "exec")) {
		exec_keeps();
		exec_errors();
		exec_family();
	} else if (!strcmp(what, "spawn")) {
		spawn_tests();
	} else if (!strcmp(what, "posix")) {
		const char *argv[] = { "/bin/pexec", NULL };
		int64_t pid = spawn_path(argv, 0);
		CHECK(pid > 0);
		CHECK_EQ(exit_status(pid), 0);
	} else if (!strcmp(what, "attack")) {
		exec_attacks();
	} else if (!strcmp(what, "race")) {
		exec_races();
	} else if (!strcmp(what, "bench")) {
		exec_bench();
	} else {
		CHECK(!"unknown mode");
	}
	CHECK_EQ(pcall(PAGER_CHECK, 0, 0, 0), 0);
	char name[32];
	snprintf(name, sizeof(name), "exec_%s", what);
	return t_done(name);
}
