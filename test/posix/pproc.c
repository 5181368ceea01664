/*
 * A plain POSIX program (standard headers only, built by posix_program):
 * system options, the environment, atexit, wait and the status macros.
 * argv[1], if given, is its parent's pid; argv[2] the value the parent
 * put in PPROC_VALUE. Exit status 0 if every check passed,
 * else 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int failures;

#define EXPECT(c) do { if (!(c)) { printf("pproc: FAILED %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

static const char *marker = "/tmp/pproc.atexit";

static void second(void)
{
	int fd = open(marker, O_WRONLY | O_APPEND);

	if (fd >= 0) {
		write(fd, "2", 1);
		close(fd);
	}
}

static void first(void)
{
	int fd = open(marker, O_WRONLY | O_APPEND);

	if (fd >= 0) {
		write(fd, "1", 1);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	int status, found = 0;
	pid_t pid;
	char buf[8];

#if !defined(_POSIX_MAPPED_FILES) || !defined(_POSIX_MEMORY_PROTECTION) || \
    !defined(_POSIX_SYNCHRONIZED_IO) || !defined(_POSIX_FSYNC) || !defined(_POSIX_VERSION)
	EXPECT(!"the _POSIX_ options are defined");
#endif
	EXPECT(sysconf(_SC_PAGESIZE) == 4096 && sysconf(_SC_PAGE_SIZE) == 4096);
	EXPECT(getpagesize() == 4096);
	EXPECT(sysconf(_SC_OPEN_MAX) > 3);
	EXPECT(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
	EXPECT(sysconf(_SC_MAPPED_FILES) > 0 && sysconf(_SC_MONOTONIC_CLOCK) > 0);
	errno = 0;
	EXPECT(sysconf(-5) == -1 && errno == EINVAL);

	/* The environment: the defaults, and what our parent set. */
	EXPECT(getenv("PATH") && getenv("HOME") && getenv("TMPDIR"));
	for (char **e = environ; *e; e++)
		found += strncmp(*e, "PATH=", 5) == 0;
	EXPECT(found == 1);
	if (argc > 2)
		EXPECT(getenv("PPROC_VALUE") && strcmp(getenv("PPROC_VALUE"), argv[2]) == 0);
	EXPECT(setenv("PPROC_MINE", "x", 1) == 0 && strcmp(getenv("PPROC_MINE"), "x") == 0);
	if (argc > 1)
		EXPECT(getppid() == (pid_t)atoi(argv[1]));
	EXPECT(getpid() > 0 && getpid() != getppid());

	/* atexit: a child registers two, returns from its main(), and they
	 * run in reverse order. */
	close(creat(marker, 0644));
	pid = fork();
	if (pid == 0) {
		atexit(second);
		atexit(first);
		exit(0);
	}
	EXPECT(pid > 0);
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int fd = open(marker, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	EXPECT(fd >= 0 && read(fd, buf, sizeof(buf)) == 2 && strcmp(buf, "12") == 0);
	close(fd);
	unlink(marker);

	/* wait, exit codes and death by a signal. */
	pid = fork();
	if (pid == 0)
		_exit(42);
	EXPECT(wait(&status) == pid);
	EXPECT(WIFEXITED(status) && !WIFSIGNALED(status) && WEXITSTATUS(status) == 42);
	pid = fork();
	if (pid == 0)
		for (;;)
			sleep(1);
	EXPECT(waitpid(pid, &status, WNOHANG) == 0);
	EXPECT(kill(pid, SIGKILL) == 0);
	EXPECT(waitpid(pid, &status, 0) == pid);
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !WIFEXITED(status));
	errno = 0;
	EXPECT(wait(&status) == -1 && errno == ECHILD);
	return failures ? 1 : 0;
}
