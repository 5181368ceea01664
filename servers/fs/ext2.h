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
#define EXT2_TRIAL_MAX		64	/* blocks one nowait change may touch */

/*
 * The block device. Blocks are of the file system's block size (bsize;
 * 1024 while the superblock is being read). A request covers `count`
 * consecutive blocks from `blk`, over `bufs[0..count)` (one buffer of
 * bsize bytes each). Reads of a run come in adjacent buffers
 * (bufs[i] == bufs[0] + i * bsize) whenever the cache has such a window
 * free, so a driver that takes one contiguous memory range per request
 * (servers/blk) needs one request; write-back runs are consecutive on the
 * disk but may be scattered in memory: a driver splits them at the gaps
 * (or copies). Each returns 0 or a negated ERR_* (a device error is
 * -ERR_IO). flush makes every completed write durable.
 */
struct ext2_blockdev_ops {
	int (*read)(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		    void *const bufs[]);
	int (*write)(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		     const void *const bufs[]);
	int (*flush)(void *ctx);
	/* Optional (NULL: none). Around a write-back of many buffers that
	 * the engine leaves untouched until batch_end: writes in between
	 * may return before they complete; batch_end waits for all of them
	 * and returns the first error, or 0. */
	void (*batch_begin)(void *ctx);
	int (*batch_end)(void *ctx);
	/* Optional: batch_end followed by flush, in one: the flush goes to the
	 * device behind the batch's writes (the driver starts it when they
	 * completed) and this waits for all; the first error, or 0. */
	int (*batch_flush)(void *ctx);
};

/* What the user of the engine provides at mount. */
struct ext2_env {
	const struct ext2_blockdev_ops *dev;
	void *dev_ctx;
	uint64_t dev_bytes;		/* device size; the image must fit */
	void *cache_mem;		/* block buffers (8-byte aligned) */
	size_t cache_bytes;
	void *shadow_mem;		/* for nowait changes (optional): room to */
	size_t shadow_bytes;		/* save blocks a change touches */
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
	int16_t flight_next;		/* in flight: the in-flight chain, or -1 */
	bool valid;
	bool dirty;
	bool in_flight;			/* reserved for an asynchronous read */
	bool trial;			/* touched by the running nowait change */
	bool trial_new;			/* ... and brought into the cache by it */
	int16_t shadow;			/* its saved copy's slot, or -1 */
	bool stale;			/* in flight, but the block was read or
					   written meanwhile: drop at completion */
	bool listed;			/* on the cache's dirty list (cache_note_dirty) */
};

struct ext2_fs {
	struct ext2_env env;
	struct ext2_super_block sb;	/* the primary superblock, in memory */
	bool sb_dirty;
	bool read_only;
	uint16_t mount_state;		/* s_state to leave at unmount */
	uint32_t bsize;			/* block size in bytes */
	uint32_t inode_size;
	uint32_t groups;
	uint32_t ptrs_per_block;	/* bsize / 4 */
	uint32_t gdt_block;		/* first block of the group descriptors */
	uint64_t max_size;		/* largest file size */
	/* block cache (cache.c) */
	struct ext2_buf bufs[EXT2_CACHE_MAX];
	int16_t hash[EXT2_CACHE_HASH];
	int16_t flight_hash[EXT2_CACHE_HASH];	/* buffers in flight, by block */
	uint32_t nbufs;
	uint32_t clock;
	uint32_t run_hand;		/* where hand_victims looks first (cache.c) */
	struct ext2_buf *writeback[EXT2_CACHE_MAX];	/* cache_write_back's list */
	/* Buffers dirtied since the last write-back (each once: listed): the
	 * write-back looks at these, not the whole cache. */
	int16_t dirty_list[EXT2_CACHE_MAX];
	uint32_t ndirty_list;
	/* asynchronous reads (ext2_set_nowait) */
	bool nowait_wanted;		/* the user asked for nowait */
	bool nowait;			/* in force: a read-only call is running */
	uint64_t wanted_blk;		/* after -ERR_AGAIN: the block needed */
	uint32_t wanted_count;		/* and how many after it are worth reading */
	uint32_t in_flight_count;
	/* nowait changes (trial.c) */
	bool trial, trial_overflow, sb_dirty_saved;
	uint32_t ntrial, trial_cap, nshadow, shadow_slots;
	uint8_t *shadow_mem;
	struct ext2_buf *trial_bufs[EXT2_TRIAL_MAX];
	struct ext2_super_block sb_saved;
	/* Bumped by whatever may change what a file's disk blocks mean (a
	 * write, a truncate, a block freed): direct.c's callers compare it. */
	uint64_t changes;
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

/*
 * The operations. Besides the errors listed, any of them can return
 * -ERR_IO (device error, or damage: one log line says which) and
 * -ERR_AGAIN (nowait mode, read-only calls only; see below).
 */

/* super.c. mount: -ERR_INVAL (env incomplete), -ERR_NOTSUP (revision 0,
 * an unknown INCOMPAT feature), -ERR_NOMEM (cache under EXT2_CACHE_MIN
 * blocks), -ERR_IO (bad magic or geometry, image larger than the device,
 * root not a directory). An unknown RO_COMPAT feature mounts read-only.
 * sync: dirty blocks to the device in runs, the superblock too, then a
 * flush. unmount: sync (the fs struct may then be reused). */
int ext2_mount(struct ext2_fs *fs, const struct ext2_env *env, unsigned flags);
int ext2_sync(struct ext2_fs *fs);
int ext2_unmount(struct ext2_fs *fs);

/* namei.c: names. Path errors for all: -ERR_INVAL (NULL), -ERR_NOENT
 * (empty, or a missing component), -ERR_NOTDIR (a component not a
 * directory), -ERR_NAMETOOLONG (a name over 255 bytes, a path over 4096
 * bytes or EXT2_PATH_DEPTH components). The changing ones: -ERR_ROFS.
 *
 * lookup: the inode the path names.
 * create: a regular file (perm & 07777) and its inode; an existing one is
 *   returned as is unless excl (then -ERR_EXIST). -ERR_ISDIR (a directory,
 *   or "name/"), -ERR_NOSPC.
 * mkdir: -ERR_EXIST, -ERR_MLINK (parent has EXT2_LINK_MAX links), -ERR_NOSPC.
 * unlink: a name of a non-directory; the inode goes with its last link
 *   unless env.is_open says it is open. -ERR_ISDIR.
 * rmdir: -ERR_NOTDIR, -ERR_NOTEMPTY (also for ".."), -ERR_INVAL ("."),
 *   -ERR_BUSY (the root).
 * link: a new name for a non-directory. -ERR_PERM (a directory),
 *   -ERR_EXIST, -ERR_MLINK, -ERR_NOSPC.
 * rename: POSIX rename, replacing a file or an empty directory.
 *   -ERR_ISDIR, -ERR_NOTDIR (type mismatch), -ERR_NOTEMPTY, -ERR_INVAL
 *   (into its own subtree), -ERR_BUSY (the root, "." or ".."), -ERR_MLINK,
 *   -ERR_NOSPC. Two names of one inode: 0, nothing changes. */
int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);
int ext2_create(struct ext2_fs *fs, const char *path, uint16_t perm, bool excl,
		uint32_t *ino);
int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t perm,
	       uint32_t *ino);
int ext2_unlink(struct ext2_fs *fs, const char *path);
int ext2_rmdir(struct ext2_fs *fs, const char *path);
int ext2_link(struct ext2_fs *fs, const char *oldpath, const char *newpath);
int ext2_rename(struct ext2_fs *fs, const char *oldpath, const char *newpath);

/* file.c: inodes by number (an inode number out of range is -ERR_IO).
 * read: bytes copied (0 at or past the end; holes are zeros), -ERR_ISDIR,
 *   -ERR_INVAL (a device node, FIFO or socket). Symbolic links read as
 *   their target.
 * write: bytes written (short when space, the largest size or the device
 *   ran out part way; the bytes counted are in the file),
 *   -ERR_ISDIR, -ERR_INVAL (not a regular file), -ERR_FBIG (at or past the
 *   largest size), -ERR_NOSPC (nothing written), -ERR_ROFS.
 * truncate: grow (a hole) or shrink (blocks freed). -ERR_ISDIR,
 *   -ERR_INVAL, -ERR_FBIG, -ERR_ROFS.
 * stat: the inode's fields. fsync: ext2_sync (every dirty block).
 * inode_release: the last close of ino: frees it if it has no link left
 *   (0 and nothing done otherwise). -ERR_ROFS. */
int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf,
		  size_t len);
int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off,
		   const void *buf, size_t len);
/* A write of pieces scattered in a file (the write-back of a mapping's
 * dirty pages): each piece as ext2_write would, with one inode load and
 * store for all. ext2_write_prepare_v is ext2_write_prepare for them (the
 * first block of a piece that covers it whole is not read). */
struct ext2_wpiece {
	uint64_t off;
	const void *buf;
	uint64_t len;
};
int ext2_write_prepare_v(struct ext2_fs *fs, uint32_t ino, const struct ext2_wpiece *v,
			 uint32_t n, uint64_t *size);
/* The bytes written (all pieces), or < 0 if none were. */
int64_t ext2_write_v(struct ext2_fs *fs, uint32_t ino, const struct ext2_wpiece *v, uint32_t n);
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
 *      The calls that change the file system do the same if env.shadow_mem
 *      was given: each runs as a trial that saves every block it touches
 *      and, on a miss, puts them all back (and the superblock) before
 *      returning -ERR_AGAIN; one that would touch more blocks than the
 *      room allows runs again synchronously. ext2_write may also return a
 *      short count (what it wrote before the miss stays). Without
 *      shadow_mem they read synchronously.
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
/* Read-ahead (file.c): in nowait mode, -ERR_AGAIN and ext2_wanted name
 * the first uncached run of ino's blocks in [off, off+len) (nothing is
 * copied); the server reads it asynchronously as in step 2. 0: none. */
int ext2_readahead(struct ext2_fs *fs, uint32_t ino, uint64_t off, uint64_t len);
/* Before a write of [off, off+len) (file.c): in nowait mode, -ERR_AGAIN and
 * ext2_wanted name a block the write would wait for (the inode's, the
 * block map's down to the first block, the first block, and the last one
 * if the write ends inside it); *size: the file's size. Other errors are
 * the inode's (the write reports its own). */
int ext2_write_prepare(struct ext2_fs *fs, uint32_t ino, uint64_t off, uint64_t len,
		       uint64_t *size);

/* direct.c: for pages [page, page + npages) of ino (EXT2_PAGE_SIZE bytes
 * each), pblk[i] the first disk block of page i if the disk may read it
 * straight into the caller's memory (wholly inside the file, allocated,
 * contiguous on the disk, nothing of it cached or in flight), else 0.
 * 0, -ERR_AGAIN (nowait: a block-map block is not cached), or an inode
 * error. Compare fs->changes before and after such a read. */
#define EXT2_PAGE_SIZE	4096u
int ext2_direct_map(struct ext2_fs *fs, uint32_t ino, uint64_t page, uint32_t npages,
		    uint32_t *pblk);

/* check.c: recount bitmaps, free counts and directories per group; 0 if
 * they all agree, else -ERR_IO and a log line naming the first mismatch. */
int ext2_check_counts(struct ext2_fs *fs);

/* dir.c: the next entry at or after *cursor (0 to start); returns 1 and
 * advances *cursor, or 0 at the end. "." and ".." are included.
 * -ERR_NOTDIR; -ERR_IO for a damaged block, *cursor then past it. */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cursor,
		 struct ext2_dirent *out);

#endif
