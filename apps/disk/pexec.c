/*
 * /bin/pexec: a plain POSIX program (standard headers only, built by
 * posix_program without our -Werror) that starts programs the portable
 * ways: posix_spawnp with a file action, fork + execvp through PATH, and
 * execl's ENOENT. test_exec's "posix" mode runs it; it exits 0 when all
 * went as POSIX says, else the number of the step that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(void)
{
	const char *v = getenv("PEXEC");
	char buf[8] = { 0 };

	if (!v || strcmp(v, "1") != 0)
		return 1;
	/* Descriptor 9 was opened by a file action, or inherited. */
	if (pread(9, buf, 5, 0) != 5 || strcmp(buf, "pexec") != 0)
		return 2;
	return 42;
}

static int waited(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	char *cargv[] = { "pexec", "child", NULL };
	char *env[] = { "PEXEC=1", "PATH=/nowhere:/bin", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int fd;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	fd = open("/tmp/pexec.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "pexec", 5) != 5)
		return 10;
	close(fd);
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 9, "/tmp/pexec.txt", O_RDONLY, 0) != 0)
		return 11;
	if (posix_spawnp(&pid, "pexec", &fa, NULL, cargv, env) != 0 || waited(pid) != 42)
		return 12;
	posix_spawn_file_actions_destroy(&fa);

	fd = open("/tmp/pexec.txt", O_RDONLY);
	if (fd < 0 || (fd != 9 && dup2(fd, 9) != 9))
		return 13;
	pid = fork();
	if (pid == 0) {
		setenv("PEXEC", "1", 1);
		setenv("PATH", "/nowhere:/bin", 1);
		execvp("pexec", cargv);
		_exit(99);
	}
	if (pid < 0 || waited(pid) != 42)
		return 14;
	errno = 0;
	if (execl("/nonexistent/prog", "prog", (char *)NULL) != -1 || errno != ENOENT)
		return 15;
	unlink("/tmp/pexec.txt");
	printf("pexec: posix_spawnp, fork + execvp, execl's ENOENT: all as POSIX says\n");
	return 0;
}
