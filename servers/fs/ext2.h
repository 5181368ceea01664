/*
 * The ext2 engine: a file system over a block device, as a library with no
 * kernel or IPC dependency. The file server (later) and the host unit tests
 * are its two users: each supplies a block device (an ops table that reads
 * and writes ranges of blocks), memory for the block cache, a clock, a log
 * line sink, and the "is this inode still open?" question that lets an
 * unlinked file live until its last user closes it.
 *
 * Every function returns 0 (or a count) on success and a negated ERR_*
 * code from abi/kernel.h on failure. A damaged disk gives -ERR_IO and one
 * log line; the rest of the file system keeps working. Paths are
 * absolute from the root ("/a/b" and "a/b" are the same), never follow
 * symbolic links, and have at most EXT2_PATH_DEPTH components.
 *
 * One caller at a time: the engine has no locks (the server is single
 * threaded).
 */
#ifndef EXT2_H
#define EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ext2_disk.h"

#define EXT2_PATH_MAX		4096	/* bytes, NUL excluded */
#define EXT2_PATH_DEPTH		64	/* components in one path */
#define EXT2_CACHE_MAX		1024	/* block buffers at most */
#define EXT2_CACHE_MIN		16	/* the most one operation pins, and then some */
#define EXT2_CACHE_HASH		256

/*
 * The block device. Blocks are of the file system's block size (bsize;
 * 1024 while the superblock is being read). A request covers `count`
 * consecutive blocks from `blk`, scattered over `bufs[0..count)` (one
 * buffer of bsize bytes each), so a driver can pass a run of cache buffers
 * as one disk request. Each returns 0 or a negated ERR_* (a device error is
 * -ERR_IO). flush makes every completed write durable.
 */
struct ext2_blockdev_ops {
	int (*read)(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		    void *const bufs[]);
	int (*write)(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		     const void *const bufs[]);
	int (*flush)(void *ctx);
};

/* What the user of the engine provides at mount. */
struct ext2_env {
	const struct ext2_blockdev_ops *dev;
	void *dev_ctx;
	uint64_t dev_bytes;		/* device size; the image must fit */
	void *cache_mem;		/* block buffers (8-byte aligned) */
	size_t cache_bytes;
	void *ctx;			/* passed to the callbacks below */
	uint32_t (*now)(void *ctx);	/* seconds since 1970 (NULL: 0) */
	void (*log)(void *ctx, const char *line);	/* NULL: silent */
	/* Does anyone still have inode `ino` open? NULL: never. An inode whose
	 * last link goes while it is open is kept until ext2_inode_release. */
	bool (*is_open)(void *ctx, uint32_t ino);
};

/* One cached block. refs > 0: pinned by the running operation. */
struct ext2_buf {
	uint64_t blk;
	uint8_t *data;
	uint32_t refs;
	uint32_t last_use;
	int16_t hash_next;		/* index, or -1 */
	bool valid;
	bool dirty;
	bool in_flight;			/* reserved for an asynchronous read */
	bool stale;			/* in flight, but the block was read or
					   written meanwhile: drop at completion */
};

struct ext2_fs {
	struct ext2_env env;
	struct ext2_super_block sb;	/* the primary superblock, in memory */
	bool sb_dirty;
	bool read_only;
	uint32_t bsize;			/* block size in bytes */
	uint32_t inode_size;
	uint32_t groups;
	uint32_t ptrs_per_block;	/* bsize / 4 */
	uint32_t gdt_block;		/* first block of the group descriptors */
	uint64_t max_size;		/* largest file size */
	/* block cache (cache.c) */
	struct ext2_buf bufs[EXT2_CACHE_MAX];
	int16_t hash[EXT2_CACHE_HASH];
	uint32_t nbufs;
	uint32_t clock;
	struct ext2_buf *writeback[EXT2_CACHE_MAX];	/* cache_write_back's list */
	/* asynchronous reads (ext2_set_nowait) */
	bool nowait_wanted;		/* the user asked for nowait */
	bool nowait;			/* in force: a read-only call is running */
	uint64_t wanted_blk;		/* after -ERR_AGAIN: the block needed */
	uint32_t wanted_count;		/* and how many after it are worth reading */
	uint32_t in_flight_count;
	/* statistics: blocks the device moved, requests made */
	uint64_t blocks_read, blocks_written, dev_reads, dev_writes, flushes;
};

#define EXT2_MOUNT_RDONLY	0x1

/* stat fields */
struct ext2_stat {
	uint32_t ino;
	uint16_t mode;			/* EXT2_S_IF* | permission bits */
	uint16_t nlink;
	uint16_t uid, gid;
	uint64_t size;
	uint64_t blocks;		/* 512-byte units */
	uint32_t blksize;
	uint32_t atime, mtime, ctime;
};

struct ext2_dirent {
	uint32_t ino;
	uint8_t type;			/* EXT2_FT_* */
	uint8_t name_len;
	char name[EXT2_NAME_LEN + 1];	/* NUL-terminated */
};

/* super.c */
int ext2_mount(struct ext2_fs *fs, const struct ext2_env *env, unsigned flags);
int ext2_sync(struct ext2_fs *fs);
int ext2_unmount(struct ext2_fs *fs);

/* namei.c: names */
int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);
int ext2_create(struct ext2_fs *fs, const char *path, uint16_t perm, bool excl,
		uint32_t *ino);
int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t perm,
	       uint32_t *ino);
int ext2_unlink(struct ext2_fs *fs, const char *path);
int ext2_rmdir(struct ext2_fs *fs, const char *path);
int ext2_link(struct ext2_fs *fs, const char *oldpath, const char *newpath);
int ext2_rename(struct ext2_fs *fs, const char *oldpath, const char *newpath);

/* file.c: inodes by number */
int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf,
		  size_t len);
int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off,
		   const void *buf, size_t len);
int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);
int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);
int ext2_fsync(struct ext2_fs *fs, uint32_t ino);
int ext2_inode_release(struct ext2_fs *fs, uint32_t ino);

/*
 * Asynchronous reads (cache.c), for a server that keeps answering from its
 * cache while the disk works:
 *   1. ext2_set_nowait(fs, true). The read-only calls (ext2_lookup,
 *      ext2_read, ext2_stat, ext2_readdir) then never wait for the device:
 *      one that needs an uncached block returns -ERR_AGAIN having changed
 *      nothing, and ext2_wanted() names the block (and a run after it).
 *      ext2_read returns a short count instead if some bytes were cached.
 *      The calls that change the file system still read synchronously.
 *   2. ext2_cache_reserve() hands out cache buffers for the run; the server
 *      starts the device read into them and serves other requests.
 *   3. ext2_cache_complete() when the read ends; then the request is
 *      retried from the start, and gets further (or finishes).
 * A block read synchronously meanwhile wins: the late copy is dropped.
 */
void ext2_set_nowait(struct ext2_fs *fs, bool on);
void ext2_wanted(const struct ext2_fs *fs, uint64_t *blk, uint32_t *count);
int ext2_cache_reserve(struct ext2_fs *fs, uint64_t blk, uint32_t count,
		       void *bufs[]);
void ext2_cache_complete(struct ext2_fs *fs, uint64_t blk, uint32_t count,
			 int status);

/* dir.c: the next entry at or after *cursor (0 to start); returns 1 and
 * advances *cursor, or 0 at the end. "." and ".." are included. */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cursor,
		 struct ext2_dirent *out);

#endif
