/*
 * The file-server protocol: requests a process sends to the file server
 * (servers/fsd) with an IPC call, shared by the server and the libsys
 * POSIX layer (libsys/src/file*.c). docs/fs-protocol.md explains it.
 *
 * Every request: info label = FS_*, the words as the struct of that
 * label, and for the calls that name a path (or carry data) the bytes in
 * the IPC-buffer payload. The reply's w[0] is the result, >= 0 or a
 * negated ERR_* (picolibc's errno values); read-like replies carry their
 * bytes in the reply payload.
 *
 * The badge the server sees is the one the pager minted when the process
 * connected (PAGER_FS_CONNECT): the client's pid and its parent's. The
 * descriptor table is in the server, per client; descriptors name open
 * file descriptions (offset, flags, inode) that dup and fork share.
 */
#ifndef ABI_FS_H
#define ABI_FS_H

#include <stdint.h>
#include "kernel.h"

enum fs_label {
	FS_OPEN = 1,	/* payload path; fs_open_req          w0 fd */
	FS_CLOSE,	/* fs_fd_req                          w0 0 */
	FS_READ,	/* fs_io_req (offset ignored)         w0 n, payload the bytes */
	FS_WRITE,	/* fs_io_req, payload the bytes       w0 n */
	FS_PREAD,	/* fs_io_req                          w0 n, payload */
	FS_PWRITE,	/* fs_io_req, payload                 w0 n */
	FS_LSEEK,	/* fs_seek_req                        w0 the new offset */
	FS_FTRUNCATE,	/* fs_io_req (offset = the size)      w0 0 */
	FS_FSTAT,	/* fs_fd_req                          w0 0, payload fs_stat */
	FS_STAT,	/* payload path; fs_path_req          w0 0, payload fs_stat */
	FS_UNLINK,	/* payload path; fs_path_req          w0 0 */
	FS_LINK,	/* payload old\0new; fs_path_req      w0 0 */
	FS_MKDIR,	/* payload path; fs_path_req (mode)   w0 0 */
	FS_RMDIR,	/* payload path; fs_path_req          w0 0 */
	FS_READDIR,	/* fs_fd_req                          w0 1, payload fs_dirent; 0 at end */
	FS_RENAME,	/* payload old\0new; fs_path_req      w0 0 */
	FS_FSYNC,	/* fs_fd_req                          w0 0: on the disk */
	FS_DUP,		/* fs_fd_req                          w0 the lowest free fd */
	FS_DUP2,	/* fs_fd_req (fd, fd2)                w0 fd2 */
	FS_FORK_PREPARE,/* - (the parent, before PAGER_FORK)  w0 a snapshot's number:
			   a copy of the table kept for the child */
	FS_FORK_BIND,	/* fs_fd_req (fd = snapshot, fd2 =    w0 0
			   the child's pid), after the fork */
	FS_FORK_CLAIM,	/* fs_fd_req (fd = snapshot): the     w0 0: the copy is now
			   child, before anything else         its table */
	FS_FORK_CANCEL,	/* fs_fd_req (fd = snapshot): the     w0 0
			   fork failed */
	FS_STATFS,	/* -                                  w0 0, w1 free blocks, w2 bsize,
			   w3 requests parked for a disk read so far, w4 requests
			   answered while a disk read was in flight, w5 open file
			   descriptions in the server (all clients) */
	FS_SYNC,	/* -                                  w0 0: everything on the disk */
	FS_DISKSTATS,	/* -                                  w0 0, w1 blocks read, w2 blocks
			   written, w3 device reads, w4 device writes, w5 flushes */
	FS_MMAP,	/* fs_mmap_req: map the open file     w0 the address (the server checks
			   the mode and asks the pager, PAGER_OBJ_MAP) */
	FS_MAPSTATS,	/* -                                  w0 0, w1 fills run, w2 pages
			   filled, w3 write-backs run, w4 pages written back,
			   w5 inodes held for the pager's file objects */
	FS_PIPE,	/* fs_open_req (flags: FS_O_NONBLOCK,  w0 0, w1 the read end, w2 the
			   FS_O_CLOEXEC)                       write end (docs/fs-protocol.md) */
	FS_GETFL,	/* fs_fd_req                          w0 the description's FS_O_* flags */
	FS_SETFL,	/* fs_fd_req (fd2 = flags: only       w0 0
			   FS_O_APPEND, FS_O_NONBLOCK change) */
	FS_CLOCK,	/* -                                  w0 0, w1 CLOCK_REALTIME in ns when the
			   time counter read 0 (from the RTC), w2 the RTC's seconds at
			   the server's start; w0 -ERR_NODEV without an RTC */
	FS_PIPESTATS,	/* -                                  w0 0, w1 pipes open, w2 requests
			   waiting on pipes, w3 waits cut short by signals so far */
	FS_READ_CLAIM,	/* fs_io_req (count): claim the next   w0 n (0 at or past EOF), w1 the
			   min(count, size - offset) bytes of  offset they start at, w2 the
			   a regular file, advancing the       inode, w3 the size; -ERR_NOSYS
			   shared offset (read through a       if not a regular file
			   mapping, libsys/src/file_read.c) */
	FS_GETFD,	/* fs_fd_req                          w0 FS_FD_CLOEXEC or 0 */
	FS_SETFD,	/* fs_fd_req (fd2 = FS_FD_CLOEXEC/0)   w0 0 */
	FS_EXEC_HIDE,	/* - (before PAGER_EXEC): the caller's  w0 how many: they are out of
			   close-on-exec descriptors leave its  the table until FS_EXEC_RESTORE
			   table (docs/fs-protocol.md)           (the exec failed) or the pager's
			                                         FS_NOTE_EXEC (it happened) */
	FS_EXEC_RESTORE,/* - (PAGER_EXEC failed): the hidden    w0 how many came back
			   ones back where they were */
	FS_DIRECTSTATS,	/* -                                  w0 0, w1 pages the disk read straight
			   into the pager's frames (docs/file-server.md), w2 such reads,
			   w3 fills copied again (the file changed under them) */
	FS_LABEL_COUNT
};

/* The label of a reply that refuses a request unseen because every
 * request slot of the server is taken (w0 -ERR_AGAIN): ask again. Every
 * other reply has label 0. */
#define FS_REPLY_BUSY	1

/* Open flags on the wire: picolibc's values (fcntl.h), checked by libsys. */
#define FS_O_ACCMODE	3
#define FS_O_RDONLY	0
#define FS_O_WRONLY	1
#define FS_O_RDWR	2
#define FS_O_APPEND	0x0400
#define FS_O_CREAT	0x0040
#define FS_O_TRUNC	0x0200
#define FS_O_EXCL	0x0800
#define FS_O_DIRECTORY	0x200000
#define FS_O_KNOWN	(FS_O_ACCMODE | FS_O_APPEND | FS_O_CREAT | FS_O_TRUNC | FS_O_EXCL | \
			 FS_O_DIRECTORY)

#define FS_SEEK_SET	0
#define FS_SEEK_CUR	1
#define FS_SEEK_END	2

/* Limits. */
#define FS_FD_MAX	32		/* descriptors per client */
#define FS_IO_MAX	IPC_BUF_SIZE	/* bytes per read/write request */
#define FS_PATH_MAX	1024		/* path bytes, NUL excluded */
#define FS_NAME_MAX	255
#define FS_SNAP_MAX	4		/* unclaimed fork snapshots per client */

/* Badges: what the pager mints for a client (FS_BADGE), and the file
 * server's own relays (bits no client badge has). */
#define FS_BADGE(pid, ppid)	((uint64_t)(pid) | ((uint64_t)(ppid) << 32))
#define FS_BADGE_PID(b)		((b) & 0x7fffffffu)
#define FS_BADGE_PPID(b)	(((b) >> 32) & 0x1fffffffu)
#define FS_RELAY_BLK		(1ul << 62)	/* disk completions */
#define FS_RELAY_DEATH		(1ul << 61)	/* the pager's "a client died" */
#define FS_RELAY_LABEL		0xfe

struct fs_open_req {
	uint64_t flags;		/* FS_O_* */
	uint64_t mode;		/* permission bits for O_CREAT */
	uint64_t unused[4];
};

struct fs_path_req {
	uint64_t mode;		/* FS_MKDIR: permission bits */
	uint64_t old_len;	/* FS_LINK/FS_RENAME: bytes of the first path */
	uint64_t unused[4];
};

struct fs_fd_req {
	int64_t fd;
	int64_t fd2;		/* FS_DUP2 */
	uint64_t unused[4];
};

struct fs_io_req {
	int64_t fd;
	uint64_t count;		/* 0 .. FS_IO_MAX */
	uint64_t offset;	/* FS_PREAD/FS_PWRITE; FS_FTRUNCATE: the size */
	uint64_t unused[3];
};

struct fs_seek_req {
	int64_t fd;
	int64_t offset;
	uint64_t whence;	/* FS_SEEK_* */
	uint64_t unused[3];
};

struct fs_mmap_req {
	int64_t fd;
	uint64_t hint, length;
	uint64_t prot;		/* MAP_R / MAP_W / MAP_X */
	uint64_t flags;		/* PMAP_* */
	uint64_t offset;
};

struct fs_stat {
	uint64_t ino;
	uint32_t mode;		/* S_IF* | permission bits (ext2's values = POSIX's) */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units */
	uint32_t blksize;
	uint32_t atime, mtime, ctime;
};

struct fs_dirent {
	uint64_t ino;
	uint32_t type;		/* ext2's EXT2_FT_*: 1 file, 2 directory, 7 symlink */
	uint32_t name_len;
	char name[FS_NAME_MAX + 1];
};

_Static_assert(sizeof(struct fs_open_req) == IPC_WORDS * 8, "fs_open_req is the words");
_Static_assert(sizeof(struct fs_path_req) == IPC_WORDS * 8, "fs_path_req is the words");
_Static_assert(sizeof(struct fs_fd_req) == IPC_WORDS * 8, "fs_fd_req is the words");
_Static_assert(sizeof(struct fs_io_req) == IPC_WORDS * 8, "fs_io_req is the words");
_Static_assert(sizeof(struct fs_seek_req) == IPC_WORDS * 8, "fs_seek_req is the words");
_Static_assert(sizeof(struct fs_mmap_req) == IPC_WORDS * 8, "fs_mmap_req is the words");
_Static_assert(sizeof(struct fs_stat) <= IPC_BUF_SIZE, "fs_stat fits the payload");
_Static_assert(sizeof(struct fs_dirent) <= IPC_BUF_SIZE, "fs_dirent fits the payload");
_Static_assert(2 * (FS_PATH_MAX + 1) <= IPC_BUF_SIZE, "two paths fit the payload");

/* Pipes (servers/fsd/pipe.c, docs/fs-protocol.md "Pipes"). */
#define FS_O_NONBLOCK	0x4000		/* picolibc's O_NONBLOCK */
#define FS_O_CLOEXEC	0x40000		/* picolibc's O_CLOEXEC: accepted, no exec to act on it */
#define FS_PIPE_SIZE	16384		/* bytes a pipe holds */
#define FS_PIPE_ATOMIC	FS_IO_MAX	/* a write of up to this many bytes is never split */
#define FS_IO_STREAM	1		/* FS_READ/FS_WRITE reply w1: a pipe (return what came) */
/* The reply to a wait cut short by a caught signal whose handler has
 * SA_RESTART (w0 -ERR_INTR): the handler ran; send the request again. */
#define FS_REPLY_RESTART	2
#define ERR_SPIPE	29		/* ESPIPE: a pipe has no offset */
#define ERR_PIPE	32		/* EPIPE: no reader */

/* PAGER_FS_DEAD entries that are not ends: "a caught signal was delivered
 * to pid at time T; cut short its waits that began before" (bit 63; bit
 * 62 the handler's SA_RESTART; bits 31..61 T >> 4 modulo 2^31, T the
 * time counter: the server takes the latest such time not after its
 * own; bits 0..30 the pid). */
#define FS_NOTE_INTR		(1ull << 63)
#define FS_NOTE_RESTART		(1ull << 62)
#define FS_NOTE_TIME_SHIFT	31
#define FS_NOTE_TIME_MASK	0x7fffffffull
#define FS_NOTE_TIME_UNIT	4	/* the time's low bits dropped */
#define FS_NOTE_PID(n)		((n) & 0x7fffffffull)

/* Close-on-exec (docs/fs-protocol.md "Close-on-exec"). FS_GETFD/FS_SETFD's
 * flag; FS_FORK_PREPARE with fd = FS_SNAP_EXEC: a snapshot for a new
 * program (posix_spawn without a fork), close-on-exec descriptors left
 * out. A note with FS_NOTE_INTR and FS_NOTE_EXEC (bit 30 of the pid
 * field: pids stay below 2^29, the badge's parent field) says "pid
 * exec'd at time T": the descriptors it hid before T close. */
#define FS_FD_CLOEXEC		1
#define FS_SNAP_EXEC		1
#define FS_NOTE_EXEC		(1ull << 30)
/* A note with FS_NOTE_INTR and FS_NOTE_FORK (bit 29; pid bits 0..28, the
 * time field the snapshot's number modulo 2^31), queued just before a
 * process's end: "its last fork made child pid with snapshot N": bound
 * to that child if the parent ended before FS_FORK_BIND. */
#define FS_NOTE_FORK		(1ull << 29)

#endif
