/*
 * Close-on-exec (docs/posix.md "Close-on-exec"): the flag is the file
 * server's, a bit per descriptor (FS_GETFD/FS_SETFD; open and pipe2 set it
 * with O_CLOEXEC). An exec hides the flagged descriptors in the server
 * just before PAGER_EXEC (FS_EXEC_HIDE: out of the table, still open) and
 * puts them back if the exec fails (FS_EXEC_RESTORE); once it has
 * happened the pager tells the server, which closes them. So the new
 * program never sees them and a failed exec loses none. This image only
 * asks the server if it ever set the flag (a fork child inherits the
 * knowledge with our memory; a new program starts with no flag set).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

bool cloexec_used;

int64_t cloexec_hide(void)
{
	struct ipc_msg m = { 0 };

	if (!cloexec_used || !fs_connected())
		return 0;
	return fs_call(FS_EXEC_HIDE, &m, 0);
}

void cloexec_restore(int64_t hidden)
{
	struct ipc_msg m = { 0 };

	if (hidden > 0)
		fs_call(FS_EXEC_RESTORE, &m, 0);
}

int cloexec_set(int fd, bool on)
{
	struct ipc_msg m = { .w = { (uint64_t)(fd - FD_BASE), on ? FS_FD_CLOEXEC : 0 } };
	int64_t r;

	if (fd >= 0 && fd < FD_BASE)
		return 0;	/* the console's: never closed */
	if (on)
		cloexec_used = true;
	if ((r = fs_call(FS_SETFD, &m, 0)) < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

int cloexec_get(int fd)
{
	struct ipc_msg m = { .w = { (uint64_t)(fd - FD_BASE) } };
	int64_t r;

	if (fd >= 0 && fd < FD_BASE)
		return 0;
	if ((r = fs_call(FS_GETFD, &m, 0)) < 0) {
		errno = (int)-r;
		return -1;
	}
	return r & FS_FD_CLOEXEC ? FD_CLOEXEC : 0;
}

/* dup2 that can set the flag; the same descriptor twice is EINVAL. */
int dup3(int fd, int fd2, int flags)
{
	if (flags & ~O_CLOEXEC || fd == fd2) {
		errno = EINVAL;
		return -1;
	}
	if (dup2(fd, fd2) < 0)
		return -1;
	if ((flags & O_CLOEXEC) && cloexec_set(fd2, true) < 0) {
		int e = errno;
		close(fd2);
		errno = e;
		return -1;
	}
	return fd2;
}

/* PAGER_EXEC (exec.c) with the flagged descriptors hidden meanwhile: it
 * returns only if the exec failed, and then they come back. */
int64_t cloexec_exec(const struct exec_file *x, const char *const argv[], char *const envp[])
{
	int64_t hidden = cloexec_hide();
	int64_t r = exec_file_call(PAGER_EXEC, x, argv, envp, (uint64_t)getppid(), 0, 0, 0);

	cloexec_restore(hidden);
	return r;
}
