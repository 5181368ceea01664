/*
 * posix_spawn and posix_spawnp, with picolibc's <spawn.h> (its types are
 * pointers to structures it leaves to the system: ours are here). The
 * child is a fork that carries out the attributes and file actions in
 * order and then execs; it inherits the parent's descriptors, as POSIX
 * says, which a PAGER_SPAWN_FILE child would not. An error found after
 * the fork (a failed file action, exec failing) ends the child with
 * status 127, as POSIX allows; what can be checked before (bad flags,
 * scheduling attributes we do not have) is returned by the call.
 *
 * Attributes: POSIX_SPAWN_SETSIGMASK, POSIX_SPAWN_SETSIGDEF;
 * POSIX_SPAWN_SETPGROUP and POSIX_SPAWN_RESETIDS do nothing (there are
 * no process groups or user ids); the scheduling ones are ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

#define FD_MAX_SPAWN	(FD_BASE + FS_FD_MAX)	/* descriptors a process can have */

extern char **environ;
int execvpe(const char *file, char *const argv[], char *const envp[]);

enum { ACT_OPEN, ACT_CLOSE, ACT_DUP2 };

struct spawn_action {
	int kind;
	int fd, fd2;		/* OPEN: fd; CLOSE: fd; DUP2: fd onto fd2 */
	int oflag;
	mode_t mode;
	char *path;		/* OPEN: our copy */
};

struct __posix_spawn_file_actions {
	int n, cap;
	struct spawn_action *a;
};

struct __posix_spawnattr {
	short flags;
	pid_t pgroup;
	sigset_t mask, def;
};

#define SPAWN_FLAGS_KNOWN	(POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | \
				 POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER | \
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	if (!(*fa = calloc(1, sizeof(**fa))))
		return ENOMEM;
	return 0;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	if (!fa || !*fa)
		return EINVAL;
	for (int i = 0; i < (*fa)->n; i++)
		free((*fa)->a[i].path);
	free((*fa)->a);
	free(*fa);
	*fa = NULL;
	return 0;
}

static struct spawn_action *action_add(posix_spawn_file_actions_t *fa, int fd)
{
	struct __posix_spawn_file_actions *f = *fa;

	if (fd < 0 || fd >= FD_MAX_SPAWN)
		return NULL;
	if (f->n == f->cap) {
		int cap = f->cap ? 2 * f->cap : 4;
		struct spawn_action *a = realloc(f->a, (size_t)cap * sizeof(*a));
		if (!a)
			return NULL;
		f->a = a;
		f->cap = cap;
	}
	memset(&f->a[f->n], 0, sizeof(f->a[0]));
	return &f->a[f->n++];
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *restrict fa, int fd,
				     const char *restrict path, int oflag, mode_t mode)
{
	struct spawn_action *a;
	char *copy;

	if (!fa || !*fa || fd < 0 || fd >= FD_MAX_SPAWN)
		return EBADF;
	if (!(copy = strdup(path)))
		return ENOMEM;
	if (!(a = action_add(fa, fd))) {
		free(copy);
		return ENOMEM;
	}
	*a = (struct spawn_action){ .kind = ACT_OPEN, .fd = fd, .oflag = oflag, .mode = mode,
				    .path = copy };
	return 0;
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
{
	struct spawn_action *a;

	if (!fa || !*fa || fd < 0 || fd >= FD_MAX_SPAWN)
		return EBADF;
	if (!(a = action_add(fa, fd)))
		return ENOMEM;
	*a = (struct spawn_action){ .kind = ACT_CLOSE, .fd = fd };
	return 0;
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int fd2)
{
	struct spawn_action *a;

	if (!fa || !*fa || fd < 0 || fd >= FD_MAX_SPAWN || fd2 < 0 || fd2 >= FD_MAX_SPAWN)
		return EBADF;
	if (!(a = action_add(fa, fd)))
		return ENOMEM;
	*a = (struct spawn_action){ .kind = ACT_DUP2, .fd = fd, .fd2 = fd2 };
	return 0;
}

int posix_spawnattr_init(posix_spawnattr_t *at)
{
	if (!(*at = calloc(1, sizeof(**at))))
		return ENOMEM;
	return 0;
}

int posix_spawnattr_destroy(posix_spawnattr_t *at)
{
	if (!at || !*at)
		return EINVAL;
	free(*at);
	*at = NULL;
	return 0;
}

int posix_spawnattr_setflags(posix_spawnattr_t *at, short flags)
{
	if (!at || !*at || (flags & ~SPAWN_FLAGS_KNOWN))
		return EINVAL;
	(*at)->flags = flags;
	return 0;
}

int posix_spawnattr_getflags(const posix_spawnattr_t *restrict at, short *restrict flags)
{
	if (!at || !*at)
		return EINVAL;
	*flags = (*at)->flags;
	return 0;
}

int posix_spawnattr_setpgroup(posix_spawnattr_t *at, pid_t pgroup)
{
	if (!at || !*at)
		return EINVAL;
	(*at)->pgroup = pgroup;
	return 0;
}

int posix_spawnattr_getpgroup(const posix_spawnattr_t *restrict at, pid_t *restrict pgroup)
{
	if (!at || !*at)
		return EINVAL;
	*pgroup = (*at)->pgroup;
	return 0;
}

int posix_spawnattr_setsigmask(posix_spawnattr_t *restrict at, const sigset_t *restrict mask)
{
	if (!at || !*at)
		return EINVAL;
	(*at)->mask = *mask;
	return 0;
}

int posix_spawnattr_getsigmask(const posix_spawnattr_t *restrict at, sigset_t *restrict mask)
{
	if (!at || !*at)
		return EINVAL;
	*mask = (*at)->mask;
	return 0;
}

int posix_spawnattr_setsigdefault(posix_spawnattr_t *restrict at, const sigset_t *restrict def)
{
	if (!at || !*at)
		return EINVAL;
	(*at)->def = *def;
	return 0;
}

int posix_spawnattr_getsigdefault(const posix_spawnattr_t *restrict at, sigset_t *restrict def)
{
	if (!at || !*at)
		return EINVAL;
	*def = (*at)->def;
	return 0;
}

int posix_spawnattr_setschedparam(posix_spawnattr_t *restrict at,
				  const struct sched_param *restrict param)
{
	(void)at, (void)param;
	return ENOSYS;
}

int posix_spawnattr_getschedparam(const posix_spawnattr_t *restrict at,
				  struct sched_param *restrict param)
{
	(void)at, (void)param;
	return ENOSYS;
}

int posix_spawnattr_setschedpolicy(posix_spawnattr_t *at, int policy)
{
	(void)at, (void)policy;
	return ENOSYS;
}

int posix_spawnattr_getschedpolicy(const posix_spawnattr_t *restrict at, int *restrict policy)
{
	(void)at, (void)policy;
	return ENOSYS;
}

/* In the child: the attributes, then the file actions in order. */
static int child_setup(const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at)
{
	if (at && *at && ((*at)->flags & POSIX_SPAWN_SETSIGDEF))
		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP && sigismember(&(*at)->def, s) == 1)
				signal(s, SIG_DFL);
	if (at && *at && ((*at)->flags & POSIX_SPAWN_SETSIGMASK) &&
	    sigprocmask(SIG_SETMASK, &(*at)->mask, NULL) < 0)
		return -1;
	for (int i = 0; fa && *fa && i < (*fa)->n; i++) {
		const struct spawn_action *a = &(*fa)->a[i];
		int fd;
		switch (a->kind) {
		case ACT_OPEN:
			if ((fd = open(a->path, a->oflag, a->mode)) < 0)
				return -1;
			if (fd != a->fd) {
				if (dup2(fd, a->fd) < 0)
					return -1;
				close(fd);
			}
			break;
		case ACT_CLOSE:
			close(a->fd);	/* one not open is no error (POSIX 2008 TC2) */
			break;
		case ACT_DUP2:
			if (a->fd != a->fd2 && dup2(a->fd, a->fd2) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/*
 * Without file actions or attributes that need the child's own code
 * (SETSIGDEF), no fork: PAGER_SPAWN_FILE starts the program, which gets
 * our signal mask (or the attribute's: ours meanwhile) and ignored
 * signals from the pager, our directory and envp through the inherited
 * string, and our descriptors through a file-server snapshot it claims
 * at its start, as a fork child would. Errors (ENOENT, ENOEXEC, ...) are
 * returned here.
 */
static int spawn_direct(pid_t *pid, const char *path, const posix_spawnattr_t *at,
			char *const argv[], char *const envp[], bool search)
{
	const sigset_t *mask = at && *at && ((*at)->flags & POSIX_SPAWN_SETSIGMASK) ?
			       &(*at)->mask : NULL;
	const char *only[2] = { path, NULL };
	struct exec_file x;
	sigset_t old;
	int64_t r, snap = 0;

	if ((r = search ? exec_file_find(path, &x) : exec_file_open(path, &x)) < 0)
		return (int)-r;
	/* The snapshot leaves close-on-exec descriptors out, as exec would. */
	struct ipc_msg sm = { .w = { FS_SNAP_EXEC } };
	if (fs_connected() && (snap = fs_call(FS_FORK_PREPARE, &sm, 0)) < 0) {
		exec_file_close(&x);
		return (int)-snap;	/* the file server keeps no more copies */
	}
	if (mask && sigprocmask(SIG_SETMASK, mask, &old) < 0)
		mask = NULL;
	posix_spawn_snapshot = snap;
	r = exec_file_call(PAGER_SPAWN_FILE, &x, argv[0] ? (const char *const *)argv : only,
			   envp ? envp : environ, libsys_start_info.pid, 0, 0, snap);
	posix_spawn_snapshot = 0;
	if (snap > 0)
		fs_fork_parent(snap, r);	/* bound to the child, or cancelled */
	if (mask)
		sigprocmask(SIG_SETMASK, &old, NULL);
	exec_file_close(&x);
	if (r < 0)
		return (int)-r;
	if (pid)
		*pid = (pid_t)r;
	return 0;
}

static int spawn_common(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *at, char *const argv[], char *const envp[],
			bool search)
{
	pid_t c;

	if (at && *at && ((*at)->flags & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER)))
		return ENOSYS;
	if (!path || !argv)
		return EINVAL;
	if ((!fa || !*fa || !(*fa)->n) &&
	    !(at && *at && ((*at)->flags & POSIX_SPAWN_SETSIGDEF)))
		return spawn_direct(pid, path, at, argv, envp, search);
	if ((c = fork()) < 0)
		return errno;
	if (c == 0) {
		char *const *env = envp ? envp : environ;
		if (child_setup(fa, at) == 0) {
			if (search)
				execvpe(path, argv, env);
			else
				execve(path, argv, env);
		}
		_exit(127);
	}
	if (pid)
		*pid = c;
	return 0;
}

int posix_spawn(pid_t *restrict pid, const char *restrict path,
		const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *restrict at,
		char *const argv[], char *const envp[])
{
	return spawn_common(pid, path, fa, at, argv, envp, false);
}

int posix_spawnp(pid_t *restrict pid, const char *restrict file,
		 const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *restrict at,
		 char *const argv[], char *const envp[])
{
	return spawn_common(pid, file, fa, at, argv, envp, true);
}
