/*
 * What a process inherits beyond its memory: the environment (environ,
 * with a default one), the current directory and the parent's pid. A fork
 * child has them by copy; a spawned child gets them from its parent in one
 * extra argument string that libsys_start takes off before main (see
 * posix_spawn_extra), so the pager's spawn protocol stays argv only. A
 * posix_spawn child also gets the number of a file-server snapshot of its
 * parent's descriptors there, and claims it as a fork child does.
 *
 * The current directory lives here, not in the file server: a relative
 * path is joined to it before a request leaves (posix_path_into), and
 * the server resolves "." and ".." itself (ext2 directories hold both).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

/* The default environment. Writable strings: picolibc's setenv may
 * overwrite a value in place. */
static char env_path[] = "PATH=/bin";
static char env_home[] = "HOME=/";
static char env_tmpdir[] = "TMPDIR=/tmp";
static char *default_env[] = { env_path, env_home, env_tmpdir, NULL };
char **environ = default_env;	/* in place of picolibc's empty one */

/* The working directory; empty means "/" (so it is zero-filled memory,
 * not a 1 KiB data page every program's start must load). */
static char cwd_buf[FS_PATH_MAX + 1];

static const char *cwd_now(void)
{
	return cwd_buf[0] ? cwd_buf : "/";
}
static uint64_t ppid;

/* The extra argument: this marker, then fields separated by
 * POSIX_EXTRA_SEP: the parent's pid, the directory, one field per
 * environment string. */
#define ENV_SMALL	32	/* variables kept without malloc */
#define EXTRA_MARK	"\x1b" "posix:"
#define EXTRA_SEP	'\x1e'

pid_t getppid(void)
{
	return (pid_t)ppid;
}

/* fork: the child's parent is the process that forked. */
void posix_fork_child(uint64_t parent_pid)
{
	ppid = parent_pid;
}

/* posix_spawn (spawn.c): the file server's snapshot of our descriptors
 * for the next child to claim at its start (0: none). */
int64_t posix_spawn_snapshot;

int64_t posix_spawn_extra(char *buf, uint64_t len, uint64_t max)
{
	uint64_t n = len;
	char num[24];
	int k = 0;
	uint64_t v = libsys_start_info.pid;

	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
#define PUT(s, l) do {								\
		if (n + (l) + 1 > max)						\
			return -7;	/* E2BIG: argv and environment too long */ \
		memcpy(buf + n, (s), (l));					\
		n += (l);							\
	} while (0)
	PUT(EXTRA_MARK, sizeof(EXTRA_MARK) - 1);
	while (k > 0) {
		char c = num[--k];
		PUT(&c, 1);
	}
	if (posix_spawn_snapshot > 0) {	/* ",N": a snapshot to claim */
		v = (uint64_t)posix_spawn_snapshot;
		do
			num[k++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		PUT(",", 1);
		while (k > 0) {
			char c = num[--k];
			PUT(&c, 1);
		}
	}
	char sep = EXTRA_SEP;
	PUT(&sep, 1);
	PUT(cwd_now(), strlen(cwd_now()));
	for (char **e = environ; e && *e; e++) {
		if (strchr(*e, EXTRA_SEP))
			continue;	/* cannot be carried: left out */
		PUT(&sep, 1);
		PUT(*e, strlen(*e));
	}
#undef PUT
	buf[n++] = '\0';
	return (int64_t)n;
}

int posix_start(int argc, char **argv)
{
	char *s, *f, **env;
	int nenv = 0;

	if (argc < 2 || strncmp(argv[argc - 1], EXTRA_MARK, sizeof(EXTRA_MARK) - 1) != 0)
		return argc;
	s = argv[--argc] + sizeof(EXTRA_MARK) - 1;
	argv[argc] = NULL;
	ppid = strtoull(s, &f, 10);
	if (*f == ',') {	/* posix_spawn: our parent's descriptors, shared */
		int64_t snap = strtoll(f + 1, &f, 10);
		if (snap > 0)
			fs_fork_child(snap);
	}
	if (*f != EXTRA_SEP)
		return argc;
	s = f + 1;
	f = strchr(s, EXTRA_SEP);
	if (f)
		*f = '\0';
	if (s[0] == '/' && strlen(s) <= FS_PATH_MAX)
		strcpy(cwd_buf, s);
	if (!f)
		return argc;
	for (char *p = f + 1; p; p = strchr(p, EXTRA_SEP))
		nenv++, p++;
	/* A usual environment fits a static table: no malloc (its first
	 * call grows the heap, a pager call and a fault) at every start. */
	static char *env_small[ENV_SMALL + 1];
	if (nenv <= ENV_SMALL)
		env = env_small;
	else if (!(env = malloc(sizeof(char *) * (size_t)(nenv + 1))))
		return argc;	/* keep the default */
	nenv = 0;
	for (s = f + 1; s; s = f) {
		if ((f = strchr(s, EXTRA_SEP)))
			*f++ = '\0';
		env[nenv++] = s;
	}
	env[nenv] = NULL;
	environ = env;
	return argc;
}

int64_t posix_path_into(char *out, const char *path)
{
	size_t n, c;

	if (!path)
		return -ERR_FAULT;
	n = strlen(path);
	if (path[0] == '/' || n == 0) {	/* "" stays "": the server says ENOENT */
		if (n > FS_PATH_MAX)
			return -ERR_NAMETOOLONG;
		memcpy(out, path, n);
		return (int64_t)n;
	}
	const char *cwd = cwd_now();
	c = strlen(cwd);
	if (c + 1 + n > FS_PATH_MAX)
		return -ERR_NAMETOOLONG;
	memcpy(out, cwd, c);
	if (c > 1)
		out[c++] = '/';
	memcpy(out + c, path, n);
	return (int64_t)(c + n);
}

/* Make the absolute path p (in place) canonical: no "", "." or ".."
 * components, no trailing slash. ".." of the root is the root, as on
 * disk. */
static void normalize(char *p)
{
	char *out = p, *s = p;

	while (*s) {
		while (*s == '/')
			s++;
		char *e = s;
		while (*e && *e != '/')
			e++;
		size_t l = (size_t)(e - s);
		if (l == 0 || (l == 1 && s[0] == '.')) {
			/* nothing */
		} else if (l == 2 && s[0] == '.' && s[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, s, l);
			out += l;
		}
		s = e;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

int chdir(const char *path)
{
	char buf[FS_PATH_MAX + 1];
	struct stat st;
	int64_t n = posix_path_into(buf, path);

	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	buf[n] = '\0';
	if (stat(buf, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	normalize(buf);
	strcpy(cwd_buf, buf);
	return 0;
}

char *getcwd(char *buf, size_t size)
{
	const char *cwd = cwd_now();
	size_t n = strlen(cwd) + 1;

	if (!buf) {	/* the common extension: allocate (size 0: as needed) */
		if (size == 0)
			size = n;
		if (size < n) {
			errno = ERANGE;
			return NULL;
		}
		if (!(buf = malloc(size))) {
			errno = ENOMEM;
			return NULL;
		}
	} else if (size == 0) {
		errno = EINVAL;
		return NULL;
	} else if (size < n) {
		errno = ERANGE;
		return NULL;
	}
	memcpy(buf, cwd, n);
	return buf;
}
