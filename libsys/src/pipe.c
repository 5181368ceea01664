/*
 * pipe, pipe2 and fcntl over the file server (abi/fs.h FS_PIPE, FS_GETFL,
 * FS_SETFL; docs/posix.md "Pipes"). A pipe's ends are server descriptors
 * like files: read, write, close, dup and fork need nothing of their own
 * (file.c's read and write stop at what a pipe gives, raise SIGPIPE on
 * EPIPE and send a wait cut short under SA_RESTART again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

static int fail(int64_t r)
{
	errno = (int)-r;
	return -1;
}

int pipe2(int fds[2], int flags)
{
	struct fs_open_req q = { .flags = (uint64_t)(unsigned)flags };
	struct ipc_msg m = { 0 };
	int64_t r;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return fail(-ERR_INVAL);
	_Static_assert(O_NONBLOCK == FS_O_NONBLOCK && O_CLOEXEC == FS_O_CLOEXEC, "wire flags");
	__builtin_memcpy(m.w, &q, sizeof(q));
	if (flags & O_CLOEXEC)
		cloexec_used = true;
	if ((r = fs_call(FS_PIPE, &m, 0)) < 0)
		return fail(r);
	fds[0] = (int)m.w[1] + FD_BASE;
	fds[1] = (int)m.w[2] + FD_BASE;
	return 0;
}

int pipe(int fds[2])
{
	return pipe2(fds, 0);
}

static int fd_req(uint64_t label, int fd, int64_t arg)
{
	struct ipc_msg m = { .w = { (uint64_t)(fd - FD_BASE), (uint64_t)arg } };
	int64_t r = fs_call(label, &m, 0);

	return r < 0 ? fail(r) : (int)r;
}

/* F_GETFL/F_SETFL (O_APPEND and O_NONBLOCK change; O_NONBLOCK matters to
 * pipes), F_GETFD/F_SETFD (FD_CLOEXEC, the server's: cloexec.c), F_DUPFD
 * and F_DUPFD_CLOEXEC. The console's descriptors are read-write, stay so
 * and are never closed by an exec. */
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (fd < 0 || fd >= FD_BASE + FS_FD_MAX)
		return fail(-ERR_BADF);
	switch (cmd) {
	case F_GETFL:
		return fd < FD_BASE ? O_RDWR : fd_req(FS_GETFL, fd, 0);
	case F_SETFL:
		return fd < FD_BASE ? 0 : fd_req(FS_SETFL, fd, arg) < 0 ? -1 : 0;
	case F_GETFD:
		return cloexec_get(fd);
	case F_SETFD:
		return cloexec_set(fd, arg & FD_CLOEXEC);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* The lowest free descriptor at or above arg. */
		if (arg < 0 || arg >= FD_BASE + FS_FD_MAX)
			return fail(-ERR_INVAL);
		for (int k = arg < FD_BASE ? FD_BASE : (int)arg; k < FD_BASE + FS_FD_MAX; k++)
			if (fcntl(k, F_GETFL) < 0 && errno == EBADF)
				return cmd == F_DUPFD ? dup2(fd, k) : dup3(fd, k, O_CLOEXEC);
		return fail(-24 /* EMFILE */);
	}
	return fail(-ERR_INVAL);
}
