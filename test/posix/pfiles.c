/*
 * A plain POSIX program (standard headers only, built by posix_program):
 * the current directory, relative paths, temporary files, truncate,
 * access, lstat, fork and waitpid. argv[1], if given, is the directory
 * it should start in (its parent's). Exit status 0 if every check
 * passed, else 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define EXPECT(c) do { if (!(c)) { printf("pfiles: FAILED %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

int main(int argc, char **argv)
{
	char cwd[256], name[64], buf[32];
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int fd, status;
	pid_t pid;

	EXPECT(getcwd(cwd, sizeof(cwd)) != NULL);
	if (argc > 1)
		EXPECT(strcmp(cwd, argv[1]) == 0);
	EXPECT(tmp != NULL);
	if (!tmp)
		tmp = "/tmp";
	EXPECT(chdir(tmp) == 0);
	snprintf(name, sizeof(name), "pfiles.%d", (int)getpid());
	EXPECT(mkdir(name, 0755) == 0);
	EXPECT(chdir(name) == 0);
	EXPECT(getcwd(cwd, sizeof(cwd)) != NULL);
	printf("pfiles: working in %s\n", cwd);
	EXPECT(strncmp(cwd, tmp, strlen(tmp)) == 0);

	/* Relative names, made and checked. */
	fd = creat("a.txt", 0644);
	EXPECT(fd >= 0);
	EXPECT(write(fd, "hello, posix\n", 13) == 13);
	EXPECT(fdatasync(fd) == 0);
	EXPECT(close(fd) == 0);
	EXPECT(access("a.txt", F_OK) == 0);
	EXPECT(access("a.txt", R_OK | W_OK) == 0);
	errno = 0;
	EXPECT(access("missing", F_OK) == -1 && errno == ENOENT);
	EXPECT(lstat("a.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 13);
	EXPECT(truncate("a.txt", 5) == 0);
	EXPECT(stat("./a.txt", &st) == 0 && st.st_size == 5);
	fd = open("../pfiles-link-check", O_CREAT | O_WRONLY, 0600);	/* ".." works */
	EXPECT(fd >= 0);
	close(fd);
	snprintf(buf, sizeof(buf), "%s/pfiles-link-check", tmp);
	EXPECT(access(buf, F_OK) == 0);
	EXPECT(unlink(buf) == 0);

	/* mkstemp: a new file, open for reading and writing. */
	char templ[] = "tmpXXXXXX";
	fd = mkstemp(templ);
	EXPECT(fd >= 0 && strcmp(templ, "tmpXXXXXX") != 0);
	EXPECT(write(fd, "abc", 3) == 3);
	EXPECT(lseek(fd, 0, SEEK_SET) == 0);
	EXPECT(read(fd, buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
	EXPECT(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600);
	close(fd);
	EXPECT(unlink(templ) == 0);

	/* A fork child shares the directory and knows its parent. */
	pid_t me = getpid();
	pid = fork();
	if (pid == 0) {
		int ok = getppid() == me && getcwd(buf, sizeof(buf)) && access("a.txt", F_OK) == 0;
		int f = creat("child.txt", 0644);
		_exit(ok && f >= 0 ? 0 : 3);
	}
	EXPECT(pid > 0);
	while (waitpid(pid, &status, WNOHANG) == 0)
		usleep(1000);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(access("child.txt", F_OK) == 0);
	errno = 0;
	EXPECT(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);

	/* Clean up, relative to the directory above. */
	EXPECT(unlink("a.txt") == 0 && unlink("child.txt") == 0);
	EXPECT(chdir("..") == 0);
	EXPECT(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, tmp) == 0);
	EXPECT(rmdir(name) == 0);
	errno = 0;
	EXPECT(chdir(name) == -1 && errno == ENOENT);
	errno = 0;
	EXPECT(getcwd(cwd, 2) == NULL && errno == ERANGE);
	return failures ? 1 : 0;
}
