/*
 * The POSIX file calls over the file server (abi/fs.h): a descriptor is
 * the server's descriptor plus FD_BASE (0, 1 and 2 are the console), the
 * offset and access mode live in the server's open file description, so
 * dup and fork share them. The first call connects: the pager hands out a
 * handle to the server badged with our pid (PAGER_FS_CONNECT). Data moves
 * through the IPC buffer, at most FS_IO_MAX bytes a call.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

static uint64_t fs_handle;
static uint64_t fs_handle_pid;	/* the pid that connected: a fork child reconnects */

static int64_t fail(int64_t r)
{
	errno = (int)-r;
	return -1;
}

/* The handle to the file server, connecting on first use. */
int64_t fs_conn(void)
{
	if (fs_handle && fs_handle_pid == libsys_start_info.pid)
		return (int64_t)fs_handle;
	struct ipc_msg m = { .info = ipc_info(PAGER_FS_CONNECT, 0, 0) };
	int64_t r = pager_call(&m);
	if (r < 0)
		return r == -ERR_NOENT ? -ERR_NOSYS : r;
	fs_handle = (uint64_t)r;
	fs_handle_pid = libsys_start_info.pid;
	return r;
}

bool fs_connected(void)
{
	return fs_handle && fs_handle_pid == libsys_start_info.pid;
}

/* One request: label, words, payload (already in the IPC buffer, len
 * bytes). The result (w0) or a negated ERR_*; *m holds the reply. A busy
 * server (-ERR_AGAIN: every request slot taken) is asked again. */
int64_t fs_call(uint64_t label, struct ipc_msg *m, uint64_t len)
{
	int64_t h = fs_conn(), r;
	uint64_t w[IPC_WORDS];

	if (h < 0)
		return h;
	memcpy(w, m->w, sizeof(w));
	for (;;) {
		m->info = ipc_info(label, len, 0);
		r = ipc_call((uint64_t)h, m);
		if (r == -ERR_INTR) {	/* cut short by a signal before the server saw it */
			memcpy(m->w, w, sizeof(w));
			continue;
		}
		if (r < 0)
			return r;
		if (ipc_label(m->info) != FS_REPLY_BUSY)
			break;
		/* The server's slots are full: the request was not seen. */
		sys_yield();
		memcpy(m->w, w, sizeof(w));
	}
	return (int64_t)m->w[0];
}

/* A relative path is made absolute against our current directory
 * (posix_env.c) on its way into the request. */
static int64_t path_call(uint64_t label, const char *path, struct ipc_msg *m)
{
	int64_t n = posix_path_into(ipcbuf(), path);

	if (n < 0)
		return n;
	return fs_call(label, m, (uint64_t)n);
}

static int64_t sfd(int fd)
{
	return fd < FD_BASE ? -1 : (int64_t)fd - FD_BASE;
}

int open(const char *path, int flags, ...)
{
	struct fs_open_req q = { .flags = (uint64_t)(unsigned)flags };
	struct ipc_msg m = { 0 };
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		q.mode = (uint64_t)va_arg(ap, int);
		va_end(ap);
	}
	if (flags & O_CLOEXEC)
		cloexec_used = true;	/* exec asks the server (cloexec.c) */
	memcpy(m.w, &q, sizeof(q));
	int64_t r = path_call(FS_OPEN, path, &m);
	return r < 0 ? (int)fail(r) : (int)(r + FD_BASE);
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

static int64_t fd_call(uint64_t label, int fd, int64_t fd2, struct ipc_msg *m)
{
	struct fs_fd_req q = { .fd = sfd(fd), .fd2 = fd2 };

	if (q.fd < 0)
		return -ERR_BADF;
	memcpy(m->w, &q, sizeof(q));
	return fs_call(label, m, 0);
}

int close(int fd)
{
	struct ipc_msg m = { 0 };
	int64_t r;

	if (fd >= 0 && fd < FD_BASE)
		return 0;
	r = fd_call(FS_CLOSE, fd, 0, &m);
	file_window_drop(fd);	/* after the server's close: the cache stays kept */
	return r < 0 ? (int)fail(r) : 0;
}

/* Reads and writes in FS_IO_MAX pieces; short at end of file. */
static ssize_t rw(uint64_t label, int fd, void *buf, size_t count, off_t off)
{
	size_t done = 0;

	if (sfd(fd) < 0)
		return fail(-ERR_BADF);
	while (done < count) {
		size_t n = count - done < FS_IO_MAX ? count - done : FS_IO_MAX;
		struct fs_io_req q = { .fd = sfd(fd), .count = n, .offset = (uint64_t)off + done };
		struct ipc_msg m = { 0 };
		bool writing = label == FS_WRITE || label == FS_PWRITE;
		memcpy(m.w, &q, sizeof(q));
		if (writing)
			file_copy(ipcbuf(), (char *)buf + done, n);
		int64_t r = fs_call(label, &m, writing ? n : 0);
		if (r == -ERR_INTR && ipc_label(m.info) == FS_REPLY_RESTART)
			continue;	/* a pipe wait cut short, SA_RESTART: again */
		if (r == -ERR_PIPE && writing)
			raise(SIGPIPE);	/* no reader: the signal, then EPIPE */
		if (r < 0)
			return done ? (ssize_t)done : fail(r);
		if (!writing)
			file_copy((char *)buf + done, ipcbuf(), (size_t)r);
		done += (size_t)r;
		/* A pipe gives what it has; a write to one under O_NONBLOCK
		 * may stop short. */
		if ((size_t)r == 0 || (m.w[1] == FS_IO_STREAM && (!writing || (size_t)r < n)))
			break;
	}
	return (ssize_t)done;
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (fd == 0)
		return 0;
	if (fd >= FD_BASE) {
		ssize_t r = file_read_mapped(fd, buf, count);
		if (r != FILE_READ_IPC)
			return r;
	}
	return rw(FS_READ, fd, buf, count, 0);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (fd == 1 || fd == 2) {
		fflush(stdout);
		sys_debug_write(buf, count);
		return (ssize_t)count;
	}
	return rw(FS_WRITE, fd, (void *)buf, count, 0);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	if (off < 0)
		return fail(-ERR_INVAL);
	return rw(FS_PREAD, fd, buf, count, off);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	if (off < 0)
		return fail(-ERR_INVAL);
	return rw(FS_PWRITE, fd, (void *)buf, count, off);
}

off_t lseek(int fd, off_t off, int whence)
{
	struct fs_seek_req q = { .fd = sfd(fd), .offset = off, .whence = (uint64_t)whence };
	struct ipc_msg m = { 0 };

	if (q.fd < 0)
		return fail(fd >= 0 && fd < FD_BASE ? -29 /* ESPIPE */ : -ERR_BADF);
	memcpy(m.w, &q, sizeof(q));
	int64_t r = fs_call(FS_LSEEK, &m, 0);
	return r < 0 ? fail(r) : r;
}

int ftruncate(int fd, off_t size)
{
	struct fs_io_req q = { .fd = sfd(fd), .offset = (uint64_t)size };
	struct ipc_msg m = { 0 };

	if (q.fd < 0)
		return (int)fail(-ERR_BADF);
	if (size < 0)
		return (int)fail(-ERR_INVAL);
	memcpy(m.w, &q, sizeof(q));
	int64_t r = fs_call(FS_FTRUNCATE, &m, 0);
	return r < 0 ? (int)fail(r) : 0;
}

static void to_stat(const struct fs_stat *s, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)s->ino;
	st->st_mode = s->mode;
	st->st_nlink = (nlink_t)s->nlink;
	st->st_uid = (uid_t)s->uid;
	st->st_gid = (gid_t)s->gid;
	st->st_size = (off_t)s->size;
	st->st_blocks = (blkcnt_t)s->blocks;
	st->st_blksize = (blksize_t)s->blksize;
	st->st_atime = s->atime;
	st->st_mtime = s->mtime;
	st->st_ctime = s->ctime;
}

int fstat(int fd, struct stat *st)
{
	struct ipc_msg m = { 0 };
	struct fs_stat s;
	int64_t r;

	if (fd >= 0 && fd < FD_BASE) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFCHR | 0600;
		return 0;
	}
	if ((r = fd_call(FS_FSTAT, fd, 0, &m)) < 0)
		return (int)fail(r);
	memcpy(&s, ipcbuf(), sizeof(s));
	to_stat(&s, st);
	return 0;
}

int stat(const char *path, struct stat *st)
{
	struct ipc_msg m = { 0 };
	struct fs_stat s;
	int64_t r = path_call(FS_STAT, path, &m);

	if (r < 0)
		return (int)fail(r);
	memcpy(&s, ipcbuf(), sizeof(s));
	to_stat(&s, st);
	return 0;
}

static int simple_path(uint64_t label, const char *path, uint64_t mode)
{
	struct fs_path_req q = { .mode = mode };
	struct ipc_msg m = { 0 };

	memcpy(m.w, &q, sizeof(q));
	int64_t r = path_call(label, path, &m);
	return r < 0 ? (int)fail(r) : 0;
}

int unlink(const char *path) { return simple_path(FS_UNLINK, path, 0); }
int rmdir(const char *path) { return simple_path(FS_RMDIR, path, 0); }
int mkdir(const char *path, mode_t mode) { return simple_path(FS_MKDIR, path, mode); }

static int two_paths(uint64_t label, const char *a, const char *b)
{
	struct fs_path_req q = { 0 };
	struct ipc_msg m = { 0 };
	int64_t la, lb;

	if ((la = posix_path_into(ipcbuf(), a)) < 0)
		return (int)fail(la);
	((char *)ipcbuf())[la] = '\0';
	if ((lb = posix_path_into((char *)ipcbuf() + la + 1, b)) < 0)
		return (int)fail(lb);
	q.old_len = (uint64_t)la;
	memcpy(m.w, &q, sizeof(q));
	int64_t r = fs_call(label, &m, (uint64_t)(la + 1 + lb));
	return r < 0 ? (int)fail(r) : 0;
}

int link(const char *a, const char *b) { return two_paths(FS_LINK, a, b); }
int rename(const char *a, const char *b) { return two_paths(FS_RENAME, a, b); }

int fsync(int fd)
{
	struct ipc_msg m = { 0 };
	int64_t r = fd_call(FS_FSYNC, fd, 0, &m);

	return r < 0 ? (int)fail(r) : 0;
}

void sync(void)
{
	struct ipc_msg m = { 0 };

	if (fs_connected())
		fs_call(FS_SYNC, &m, 0);
}

int dup(int fd)
{
	struct ipc_msg m = { 0 };
	int64_t r = fd_call(FS_DUP, fd, 0, &m);

	return r < 0 ? (int)fail(r) : (int)(r + FD_BASE);
}

int dup2(int fd, int fd2)
{
	struct ipc_msg m = { 0 };
	int64_t r;

	if (fd2 < FD_BASE || fd2 >= FD_BASE + FS_FD_MAX)
		return (int)fail(-ERR_BADF);
	r = fd_call(FS_DUP2, fd, fd2 - FD_BASE, &m);
	if (r >= 0 && fd2 != fd)
		file_window_drop(fd2);	/* fd2 names another file now */
	return r < 0 ? (int)fail(r) : (int)(r + FD_BASE);
}

/* fork (libsys/src/fork.c): a snapshot of our table before, bound to the
 * child after (or cancelled), claimed by the child first thing. */
int64_t fs_fork_prepare(void)
{
	struct ipc_msg m = { 0 };

	return fs_call(FS_FORK_PREPARE, &m, 0);
}

void fs_fork_parent(int64_t snap, int64_t child)
{
	struct ipc_msg m = { .w = { (uint64_t)snap, (uint64_t)child } };

	fs_call(child > 0 ? FS_FORK_BIND : FS_FORK_CANCEL, &m, 0);
}

/* The claim waits for our parent's FS_FORK_BIND (-ERR_AGAIN until then:
 * an unbound snapshot could be named by any child of its owner). A
 * parent that never binds (it ended, or forks by hand) leaves us without
 * its descriptors after a while, as a parent that ended unbound does. */
#define CLAIM_TRIES	100000

void fs_fork_child(int64_t snap)
{
	for (int i = 0; i < CLAIM_TRIES; i++) {
		struct ipc_msg m = { .w = { (uint64_t)snap } };
		if (fs_call(FS_FORK_CLAIM, &m, 0) != -ERR_AGAIN)
			return;
		sys_yield();
	}
}

int64_t fs_readdir_raw(int fd, struct fs_dirent *d)
{
	struct ipc_msg m = { 0 };
	int64_t r = fd_call(FS_READDIR, fd, 0, &m);

	if (r > 0)
		memcpy(d, ipcbuf(), sizeof(*d));
	return r;
}
