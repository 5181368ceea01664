/*
 * execve and its family: replace this process's program with one from
 * the disk (PAGER_EXEC through exec_file.c). What survives is what POSIX
 * keeps: the pid and parent, open descriptors (the file server holds
 * them by pid) but the close-on-exec ones (cloexec.c), the signal mask and pending signals, ignored signals,
 * the working directory (passed on like the environment); caught
 * signals go back to the default and every mapping goes. On an error
 * the old program goes on with -1 and errno: ENOENT, EACCES, ENOEXEC,
 * E2BIG (argv and environment past PROC_SPAWN_ARGS_MAX bytes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

#define EXECL_ARGS_MAX	64

extern char **environ;

/* Run the program x opened (argv, or just its name if argv is empty);
 * returns only on failure, as -1 with errno. */
static int exec_opened(int64_t r, struct exec_file *x, const char *name, char *const argv[],
		       char *const envp[])
{
	const char *only[2] = { name, NULL };
	const char *const *args = argv && argv[0] ? (const char *const *)argv : only;

	if (r == 0) {
		fflush(stdout);	/* as _exit does: the console sees it in order */
		r = cloexec_exec(x, args, envp);
		exec_file_close(x);
	}
	errno = (int)-r;
	return -1;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	struct exec_file x;

	return exec_opened(exec_file_open(path, &x), &x, path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

int64_t exec_file_find(const char *file, struct exec_file *x)
{
	const char *path, *dir, *end;
	char buf[FS_PATH_MAX + 1];
	bool denied = false;
	int64_t r;

	if (!file || !*file)
		return -ENOENT;
	if (strchr(file, '/'))
		return exec_file_open(file, x);
	if (!(path = getenv("PATH")))
		path = "/bin:/usr/bin";
	for (dir = path; ; dir = end + 1) {
		size_t dl, fl = strlen(file);
		end = strchr(dir, ':');
		dl = end ? (size_t)(end - dir) : strlen(dir);
		if (dl == 0)	/* an empty entry is the current directory */
			dir = ".", dl = 1;
		if (dl + 1 + fl <= FS_PATH_MAX) {
			memcpy(buf, dir, dl);
			buf[dl] = '/';
			memcpy(buf + dl + 1, file, fl + 1);
			if ((r = exec_file_open(buf, x)) == 0)
				return 0;
			if (r == -EACCES)
				denied = true;
			else if (r != -ENOENT && r != -ENOTDIR && r != -ENAMETOOLONG)
				return r;	/* found, but it cannot run */
		}
		if (!end)
			break;
	}
	return denied ? -EACCES : -ENOENT;
}

/* The directories of PATH in turn for a file name without '/'. */
int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct exec_file x;

	return exec_opened(exec_file_find(file, &x), &x, file, argv, envp);
}

int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl's arguments up to the NULL into args; envp (execle) after it. */
static int collect(const char *arg0, va_list ap, char *args[EXECL_ARGS_MAX + 1], char ***envp)
{
	int n = 0;

	for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
		if (n == EXECL_ARGS_MAX) {
			errno = E2BIG;
			return -1;
		}
		args[n++] = (char *)a;
	}
	args[n] = NULL;
	if (envp)
		*envp = va_arg(ap, char **);
	return 0;
}

int execl(const char *path, const char *arg0, ...)
{
	char *args[EXECL_ARGS_MAX + 1];
	va_list ap;
	int r;

	va_start(ap, arg0);
	r = collect(arg0, ap, args, NULL);
	va_end(ap);
	return r < 0 ? r : execve(path, args, environ);
}

int execle(const char *path, const char *arg0, ...)
{
	char *args[EXECL_ARGS_MAX + 1], **envp;
	va_list ap;
	int r;

	va_start(ap, arg0);
	r = collect(arg0, ap, args, &envp);
	va_end(ap);
	return r < 0 ? r : execve(path, args, envp);
}

int execlp(const char *file, const char *arg0, ...)
{
	char *args[EXECL_ARGS_MAX + 1];
	va_list ap;
	int r;

	va_start(ap, arg0);
	r = collect(arg0, ap, args, NULL);
	va_end(ap);
	return r < 0 ? r : execvp(file, args);
}
