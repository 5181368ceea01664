/*
 * Helpers for the ext2 engine's host tests: a block device over an image
 * file (with request statistics and injectable errors), images made by
 * mke2fs -d from a directory the test writes, e2fsck -fn and debugfs cat
 * on the results, and mounting with a test clock, a log that keeps the
 * last line, and an "open inodes" set for the unlink-while-open cases.
 * Tool paths come from CMake as mke2fs=..., e2fsck=..., debugfs=...
 */
#ifndef EXT2_HOST_H
#define EXT2_HOST_H

#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "ext2.h"
#include "abi/kernel.h"

static const char *tool_mke2fs, *tool_e2fsck, *tool_debugfs;

struct filedev {
	int fd;
	uint64_t fail_blk;	/* a request touching this block fails */
	bool fail_reads, fail_writes;
	uint32_t max_run;	/* most blocks seen in one request */
	uint64_t requests;
	uint64_t adjacent_runs;	/* multi-block reads into one memory range */
	uint64_t adjacent_writes;	/* and writes from one */
};

static inline int fd_read(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		   void *const bufs[])
{
	struct filedev *d = ctx;

	d->requests++;
	if (count > d->max_run)
		d->max_run = count;
	if (count > 1) {
		uint32_t i = 1;

		while (i < count && (uint8_t *)bufs[i] == (uint8_t *)bufs[0] + i * bsize)
			i++;
		d->adjacent_runs += i == count;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (d->fail_reads && blk + i == d->fail_blk)
			return -ERR_IO;
		if (pread(d->fd, bufs[i], bsize, (off_t)((blk + i) * bsize)) !=
		    (ssize_t)bsize)
			return -ERR_IO;
	}
	return 0;
}

static inline int fd_write(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		    const void *const bufs[])
{
	struct filedev *d = ctx;

	d->requests++;
	if (count > d->max_run)
		d->max_run = count;
	if (count > 1) {
		uint32_t i = 1;

		while (i < count &&
		       (const uint8_t *)bufs[i] == (const uint8_t *)bufs[0] + i * bsize)
			i++;
		d->adjacent_writes += i == count;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (d->fail_writes && blk + i == d->fail_blk)
			return -ERR_IO;
		if (pwrite(d->fd, bufs[i], bsize, (off_t)((blk + i) * bsize)) !=
		    (ssize_t)bsize)
			return -ERR_IO;
	}
	return 0;
}

static inline int fd_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static const struct ext2_blockdev_ops filedev_ops = {
	.read = fd_read, .write = fd_write, .flush = fd_flush,
};

/* The environment the tests mount with. */
static uint32_t test_clock = 1000000;
static char last_log[256];
static unsigned log_lines;
static uint32_t open_inodes[8];

static inline uint32_t clock_now(void *ctx)
{
	(void)ctx;
	return test_clock;
}

static inline void log_keep(void *ctx, const char *line)
{
	(void)ctx;
	snprintf(last_log, sizeof(last_log), "%s", line);
	log_lines++;
	if (getenv("EXT2_TEST_VERBOSE"))
		printf("  log: %s\n", line);
}

static inline bool ino_open(void *ctx, uint32_t ino)
{
	(void)ctx;
	for (unsigned i = 0; i < 8; i++)
		if (open_inodes[i] == ino)
			return true;
	return false;
}

static inline bool logged(const char *what)
{
	return strstr(last_log, what) != NULL;
}

/* One mounted image: the file system, its device and its cache memory
 * (and room for nowait changes, if test_shadow_bytes says so). */
struct mnt {
	struct ext2_fs *fs;
	struct filedev dev;
	void *cache, *shadow;
};
static size_t test_shadow_bytes;

static inline int mount_img(struct mnt *m, const char *img, unsigned flags,
		     size_t cache_bytes)
{
	struct ext2_env env = {
		.dev = &filedev_ops, .dev_ctx = &m->dev,
		.now = clock_now, .log = log_keep, .is_open = ino_open,
	};
	struct stat st;
	int r;

	memset(m, 0, sizeof(*m));
	m->dev.fd = open(img, O_RDWR);
	if (m->dev.fd < 0 || fstat(m->dev.fd, &st) < 0)
		return -ERR_NOENT;
	m->fs = calloc(1, sizeof(*m->fs));
	m->cache = malloc(cache_bytes);
	env.dev_bytes = (uint64_t)st.st_size;
	env.cache_mem = m->cache;
	env.cache_bytes = cache_bytes;
	m->shadow = test_shadow_bytes ? malloc(test_shadow_bytes) : NULL;
	env.shadow_mem = m->shadow;
	env.shadow_bytes = test_shadow_bytes;
	r = ext2_mount(m->fs, &env, flags);
	if (r < 0) {
		close(m->dev.fd);
		free(m->fs);
		free(m->cache);
		free(m->shadow);
		m->fs = NULL;
	}
	return r;
}

static inline int umount_img(struct mnt *m)
{
	int r = 0;

	if (!m->fs)
		return 0;
	r = ext2_unmount(m->fs);
	close(m->dev.fd);
	free(m->fs);
	free(m->cache);
	free(m->shadow);
	m->fs = NULL;
	return r;
}

static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* mke2fs an ext2 image of size_kb KiB from directory src (NULL: empty),
 * with our feature list plus `extra` options. */
static inline bool make_image(const char *img, unsigned bsize, unsigned size_kb,
		       const char *extra, const char *src)
{
	unlink(img);
	return sh("'%s' -q -F -t ext2 -b %u -O ^dir_index,^resize_inode -m 0 %s "
		  "%s%s '%s' %uk >/dev/null 2>&1", tool_mke2fs, bsize,
		  extra ? extra : "", src ? "-d " : "", src ? src : "", img,
		  size_kb) == 0;
}

/* e2fsck -fn: no change needed: exit 0, and no question answered "no"
 * (a wrong superblock free count is asked about but leaves the exit
 * status 0). Prints its report otherwise. */
static inline bool fsck_clean(const char *img)
{
	int r = sh("'%s' -fn '%s' > '%s.fsck' 2>&1", tool_e2fsck, img, img);

	if (r == 0 && sh("grep -q -e '? no' -e 'wrong' -e 'WARNING' '%s.fsck'",
			 img) == 0)
		r = 100;

	if (r != 0) {
		char cmd[600];

		fprintf(stderr, "e2fsck -fn %s exit %d:\n", img, r);
		snprintf(cmd, sizeof(cmd), "cat '%s.fsck' >&2", img);
		(void)!system(cmd);
	}
	return r == 0;
}

/* debugfs -R 'cat path': the file's bytes as e2fsprogs reads them. */
static inline uint8_t *debugfs_cat(const char *img, const char *path, size_t *len)
{
	char out[600];

	snprintf(out, sizeof(out), "%s.cat", img);
	if (sh("'%s' -R 'cat %s' '%s' > '%s' 2>/dev/null", tool_debugfs, path,
	       img, out) != 0)
		return NULL;
	uint8_t *data = read_file(out, len);

	unlink(out);
	return data;
}

/* The test pattern: byte at file offset i of a file with this seed. */
static inline uint8_t pat(uint64_t i, unsigned seed)
{
	return (uint8_t)(i * 7 + i / 251 + seed);
}

static inline void fill_pat(uint8_t *buf, uint64_t off, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(off + i, seed);
}

static inline bool is_pat(const uint8_t *buf, uint64_t off, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pat(off + i, seed))
			return false;
	return true;
}

static inline bool write_host_file(const char *path, uint64_t off, size_t len,
			    unsigned seed)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	uint8_t *buf = malloc(len ? len : 1);
	bool ok;

	fill_pat(buf, off, len, seed);
	ok = fd >= 0 && pwrite(fd, buf, len, (off_t)off) == (ssize_t)len;
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The tree every image starts from. */
#define BIG_SIZE	(300u * 1024 + 123)	/* single and double indirect at 1 KiB */
#define SPARSE_SIZE	(8u << 20)
#define SPARSE_DATA	(5u << 20)		/* 8 KiB of data here, holes around */
static inline bool make_tree(const char *dir)
{
	char p[512];
	bool ok = true;

	sh("rm -rf '%s'", dir);
	ok &= sh("mkdir -p '%s/sub/deeper' '%s/empty'", dir, dir) == 0;
	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	FILE *f = fopen(p, "w");
	ok &= f && fputs("hello, ext2\n", f) >= 0;
	if (f)
		fclose(f);
	snprintf(p, sizeof(p), "%s/big.bin", dir);
	ok &= write_host_file(p, 0, BIG_SIZE, 1);
	snprintf(p, sizeof(p), "%s/sub/nested.txt", dir);
	ok &= write_host_file(p, 0, 5000, 2);
	snprintf(p, sizeof(p), "%s/sparse.bin", dir);
	ok &= write_host_file(p, SPARSE_DATA, 8192, 3) &&
	      truncate(p, SPARSE_SIZE) == 0;
	ok &= sh("ln -s hello.txt '%s/short_link'", dir) == 0;
	ok &= sh("ln -s '%0100d/long/target/name/past/sixty/bytes' '%s/long_link'",
		 0, dir) == 0;
	return ok;
}

/* No buffer left pinned: every bget had its bput. */
static inline bool no_pins(struct ext2_fs *fs)
{
	for (uint32_t i = 0; i < fs->nbufs; i++)
		if (fs->bufs[i].refs || fs->bufs[i].in_flight)
			return false;
	return true;
}

/* After a run of writes: no pins, the engine's own recount agrees, and
 * once synced e2fsck -fn finds nothing. */
static inline void settle_img(struct ext2_fs *fs, const char *img)
{
	CHECK(no_pins(fs));
	CHECK(ext2_check_counts(fs) == 0);
	CHECK(ext2_sync(fs) == 0);
	CHECK(fsck_clean(img));
}

static unsigned rounds, longest_run;

/* Nowait mode: fetch what the last -ERR_AGAIN asked for, as a server
 * would (reserve, read, complete); SERVE(m, call) repeats call until it
 * is not -ERR_AGAIN (a GNU statement expression). */
static inline void fetch(struct mnt *m)
{
	void *bufs[64];
	uint64_t blk;
	uint32_t count;
	int n;

	ext2_wanted(m->fs, &blk, &count);
	n = ext2_cache_reserve(m->fs, blk, count, bufs);
	CHECK(n >= 1);
	if (n < 1)
		return;
	if ((unsigned)n > longest_run)
		longest_run = (unsigned)n;
	for (int i = 1; i < n; i++)	/* reserved runs are adjacent */
		CHECK((uint8_t *)bufs[i] == (uint8_t *)bufs[0] + i * m->fs->bsize);
	ext2_cache_complete(m->fs, blk, (uint32_t)n,
			    fd_read(&m->dev, blk, m->fs->bsize, (uint32_t)n, bufs));
	rounds++;
}

#define SERVE(m, call) ({						\
	int64_t r_;							\
	unsigned tries_ = 0;						\
	while ((r_ = (call)) == -ERR_AGAIN && tries_++ < 1000)		\
		fetch(m);						\
	r_; })

/* A whole read through nowait: short counts continue where they ended
 * (a read larger than the cache could otherwise never finish). */
static inline int64_t read_all(struct mnt *m, uint32_t ino, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		int64_t n = SERVE(m, ext2_read(m->fs, ino, done, buf + done,
					       len - done));

		if (n <= 0)
			return n < 0 ? n : (int64_t)done;
		done += (size_t)n;
	}
	return (int64_t)done;
}

static inline bool tools_found(int argc, char **argv)
{
	tool_mke2fs = test_arg(argc, argv, "mke2fs");
	tool_e2fsck = test_arg(argc, argv, "e2fsck");
	tool_debugfs = test_arg(argc, argv, "debugfs");
	return tool_mke2fs && tool_e2fsck && tool_debugfs;
}

#endif
