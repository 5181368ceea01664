/*
 * unit.ext2_async: the nowait mode a server uses to keep answering from
 * its cache while the disk works. With nowait on, lookup, read, stat and
 * readdir never touch the device: each either completes from the cache or
 * returns -ERR_AGAIN naming the block it needs (with a run after it for
 * sequential reads); the test plays the server: reserves buffers, reads
 * them itself, completes, retries. Checks: the answers equal the ones of a
 * synchronous mount; reads come in runs; a failed read is asked for again;
 * a block read synchronously by a write while its asynchronous read is in
 * flight keeps the newer copy; changing calls still work; no pins leak.
 */
#include "ext2_host.h"
#include "ext2_int.h"

/* The device as the engine sees it in nowait mode: it must not read. */
static unsigned sync_reads;
static int no_read(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		   void *const bufs[])
{
	sync_reads++;
	return fd_read(ctx, blk, bsize, count, bufs);
}

static const struct ext2_blockdev_ops watched = {
	.read = no_read, .write = fd_write, .flush = fd_flush,
};

static unsigned rounds, longest_run;

/* Fetch what the last -ERR_AGAIN asked for, as a server would. */
static void fetch(struct mnt *m)
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
static int64_t read_all(struct mnt *m, uint32_t ino, uint8_t *buf, size_t len)
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

static bool no_pins(struct ext2_fs *fs)
{
	for (uint32_t i = 0; i < fs->nbufs; i++)
		if (fs->bufs[i].refs || fs->bufs[i].in_flight)
			return false;
	return true;
}

static void check_async(const char *img, unsigned bsize)
{
	static uint8_t buf[BIG_SIZE + 100];
	struct ext2_dirent d;
	struct ext2_stat st;
	uint64_t cursor = 0, blk;
	uint32_t ino, count;
	unsigned entries = 0;
	struct mnt m;
	void *bufs[4];

	CHECK(mount_img(&m, img, 0, 256 * bsize) == 0);
	if (!m.fs)
		return;
	m.fs->env.dev = &watched;
	ext2_set_nowait(m.fs, true);
	sync_reads = rounds = longest_run = 0;

	/* A cold lookup takes several rounds, one block each. */
	CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino) == -ERR_AGAIN);
	CHECK(SERVE(&m, ext2_lookup(m.fs, "/sub/nested.txt", &ino)) == 0);
	CHECK(rounds >= 3 && sync_reads == 0);
	CHECK(read_all(&m, ino, buf, 6000) == 5000);
	CHECK(is_pat(buf, 0, 5000, 2));
	/* A big sequential read arrives in runs. */
	rounds = 0;
	CHECK(SERVE(&m, ext2_lookup(m.fs, "/big.bin", &ino)) == 0);
	CHECK(read_all(&m, ino, buf, sizeof(buf)) == BIG_SIZE);
	CHECK(is_pat(buf, 0, BIG_SIZE, 1));
	CHECK(longest_run > 8 && rounds < BIG_SIZE / bsize / 4 + 4);
	CHECK(SERVE(&m, ext2_stat(m.fs, ino, &st)) == 0 && st.size == BIG_SIZE);
	while (SERVE(&m, ext2_readdir(m.fs, EXT2_ROOT_INO, &cursor, &d)) == 1)
		entries++;
	CHECK(entries == 10 && sync_reads == 0);
	/* The end of the file is cached now: no round needed. */
	rounds = 0;
	CHECK(ext2_read(m.fs, ino, BIG_SIZE - 100, buf, 100) == 100 && rounds == 0);
	/* Already cached: nothing to reserve. */
	CHECK(ext2_cache_reserve(m.fs, m.fs->gdt_block, 1, bufs) == 0);

	/* A failed read is asked for again. */
	CHECK(SERVE(&m, ext2_lookup(m.fs, "/hello.txt", &ino)) == 0);
	CHECK(ext2_read(m.fs, ino, 0, buf, 100) == -ERR_AGAIN);
	ext2_wanted(m.fs, &blk, &count);
	CHECK(ext2_cache_reserve(m.fs, blk, 1, bufs) == 1);
	CHECK(ext2_cache_reserve(m.fs, blk, 1, bufs + 1) == 0);	/* in flight */
	ext2_cache_complete(m.fs, blk, 1, -ERR_IO);
	CHECK(logged("device read failed"));
	CHECK(ext2_read(m.fs, ino, 0, buf, 100) == -ERR_AGAIN);
	{
		uint64_t again;

		ext2_wanted(m.fs, &again, &count);
		CHECK(again == blk);
	}

	/* In flight while a write reads the same block synchronously: the
	 * late asynchronous copy (old bytes) must not replace the new one. */
	CHECK(ext2_cache_reserve(m.fs, blk, 1, bufs) == 1);
	CHECK(fd_read(&m.dev, blk, bsize, 1, bufs) == 0);	/* old contents */
	CHECK(ext2_write(m.fs, ino, 0, "HELLO", 5) == 5);	/* reads it itself */
	CHECK(sync_reads == 1);
	ext2_cache_complete(m.fs, blk, 1, 0);
	CHECK(ext2_read(m.fs, ino, 0, buf, 100) == 12);
	CHECK(memcmp(buf, "HELLO, ext2\n", 12) == 0);

	/* The same, but the write's copy is written back and dropped from
	 * the cache before the asynchronous read completes: the late copy
	 * still must not come back. */
	CHECK(ext2_cache_reserve(m.fs, blk, 1, bufs) == 0);	/* cached */
	cache_forget(m.fs, blk);
	CHECK(ext2_cache_reserve(m.fs, blk, 1, bufs) == 1);
	CHECK(fd_read(&m.dev, blk, bsize, 1, bufs) == 0);	/* "HELLO..." */
	CHECK(ext2_write(m.fs, ino, 0, "howdy", 5) == 5);
	CHECK(ext2_sync(m.fs) == 0);
	cache_forget(m.fs, blk);
	ext2_cache_complete(m.fs, blk, 1, 0);
	CHECK(SERVE(&m, ext2_read(m.fs, ino, 0, buf, 100)) == 12);
	CHECK(memcmp(buf, "howdy, ext2\n", 12) == 0);

	/* Changing calls work in nowait mode (they read synchronously). */
	CHECK(ext2_create(m.fs, "/sub/deeper/made", 0644, true, &ino) == 0);
	CHECK(ext2_write(m.fs, ino, 0, "async", 5) == 5);
	CHECK(ext2_rename(m.fs, "/sub/deeper/made", "/made") == 0);
	CHECK(SERVE(&m, ext2_lookup(m.fs, "/made", &ino)) == 0);
	CHECK(no_pins(m.fs));
	CHECK(umount_img(&m) == 0);
	CHECK(fsck_clean(img));
	{
		size_t n;
		uint8_t *got = debugfs_cat(img, "/made", &n);

		CHECK(got && n == 5 && memcmp(got, "async", 5) == 0);
		free(got);
	}
}

int main(int argc, char **argv)
{
	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	CHECK(make_image("async1024.img", 1024, 8192, NULL, "tree"));
	check_async("async1024.img", 1024);
	CHECK(make_image("async4096.img", 4096, 8192, NULL, "tree"));
	check_async("async4096.img", 4096);
	return check_report();
}
