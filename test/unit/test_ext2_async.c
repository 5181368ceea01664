/*
 * unit.ext2_async: the nowait mode a server uses to keep answering from
 * its cache while the disk works. With nowait on, lookup, read, stat and
 * readdir never touch the device: each either completes from the cache or
 * returns -ERR_AGAIN naming the block it needs (with a run after it for
 * sequential reads); the test plays the server: reserves buffers, reads
 * them itself, completes, retries. Checks: the answers equal the ones of a
 * synchronous mount; reads come in runs; a failed read is asked for again;
 * a block read synchronously by a write while its asynchronous read is in
 * flight keeps the newer copy; changing calls still work; with room for
 * trials, changing calls in nowait mode are undone on a miss and retried;
 * read-ahead names runs without copying; a device's batch around the
 * write-back of a sync; no pins leak.
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
	{
		/* Read-ahead (a file server's, for mapped files): it names
		 * uncached runs and copies nothing, so once served the read
		 * needs no round; with nowait off it does nothing. */
		unsigned before = rounds;
		uint64_t off = BIG_SIZE / 2, len = 32 * bsize;

		ext2_set_nowait(m.fs, false);
		CHECK(ext2_readahead(m.fs, ino, off, len) == 0 && sync_reads == 0);
		ext2_set_nowait(m.fs, true);
		CHECK(SERVE(&m, ext2_readahead(m.fs, ino, off, len)) == 0);
		CHECK(rounds > before && rounds <= before + 4);
		before = rounds;
		CHECK(ext2_read(m.fs, ino, off, buf, len) == (int64_t)len && rounds == before);
		CHECK(is_pat(buf, off, len, 1));
		CHECK(ext2_readahead(m.fs, ino, BIG_SIZE + 10, 100) == 0);	/* past the end */
		CHECK(ext2_readahead(m.fs, ino, off, len) == 0);		/* all cached */
	}
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

/* Changes in nowait mode, with room for trials: a change that meets a
 * missing block is undone whole (free counts, names, superblock as
 * before) and done once the block is there; one too big for the room
 * runs synchronously; nothing stays pinned. */
static void check_trials(const char *img, unsigned bsize)
{
	static uint8_t buf[200000];
	uint32_t free_b, free_i, ino, ino2;
	struct mnt m;
	unsigned before;
	int r;

	test_shadow_bytes = 16 * bsize;
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	test_shadow_bytes = 0;
	if (!m.fs)
		return;
	ext2_set_nowait(m.fs, true);
	free_b = m.fs->sb.s_free_blocks_count;
	free_i = m.fs->sb.s_free_inodes_count;
	/* Cold: the first try misses and changes nothing. */
	r = ext2_mkdir(m.fs, "/sub/deeper/newdir", 0755, &ino);
	CHECK(r == -ERR_AGAIN);
	CHECK(m.fs->sb.s_free_blocks_count == free_b &&
	      m.fs->sb.s_free_inodes_count == free_i);
	CHECK(no_pins(m.fs));
	before = rounds;
	CHECK(SERVE(&m, ext2_mkdir(m.fs, "/sub/deeper/newdir", 0755, &ino)) == 0);
	CHECK(rounds > before);
	CHECK(m.fs->sb.s_free_inodes_count == free_i - 1);
	CHECK(SERVE(&m, ext2_create(m.fs, "/sub/deeper/newdir/f", 0644, true,
				    &ino2)) == 0);
	/* Bigger than 16 saved blocks: run synchronously, all of it. */
	fill_pat(buf, 0, sizeof(buf), 12);
	CHECK(SERVE(&m, ext2_write(m.fs, ino2, 0, buf, sizeof(buf))) ==
	      (int64_t)sizeof(buf));
	CHECK(read_all(&m, ino2, buf, sizeof(buf)) == (int64_t)sizeof(buf));
	CHECK(is_pat(buf, 0, sizeof(buf), 12));
	CHECK(SERVE(&m, ext2_rename(m.fs, "/sub/deeper/newdir", "/moved")) == 0);
	CHECK(SERVE(&m, ext2_unlink(m.fs, "/big.bin")) == 0);
	CHECK(SERVE(&m, ext2_truncate(m.fs, ino2, 5000)) == 0);
	CHECK(no_pins(m.fs));
	settle_img(m.fs, img);
	CHECK(umount_img(&m) == 0);
	CHECK(fsck_clean(img));
	{
		size_t n;
		uint8_t *got = debugfs_cat(img, "/moved/f", &n);

		CHECK(got && n == 5000 && is_pat(got, 0, 5000, 12));
		free(got);
	}
}

/* The device's optional batch around a write-back: every write of a sync
 * comes between batch_begin and batch_end, and batch_end's error is the
 * sync's. */
static unsigned batch_depth, batches, writes_in_batch, writes_outside;
static int batch_result;

static int batch_write(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		       const void *const bufs[])
{
	if (batch_depth)
		writes_in_batch++;
	else
		writes_outside++;
	return fd_write(ctx, blk, bsize, count, bufs);
}

static void batch_begin(void *ctx)
{
	(void)ctx;
	batch_depth++;
	batches++;
}

static int batch_end(void *ctx)
{
	(void)ctx;
	batch_depth--;
	return batch_result;
}

static const struct ext2_blockdev_ops batched = {
	.read = fd_read, .write = batch_write, .flush = fd_flush,
	.batch_begin = batch_begin, .batch_end = batch_end,
};

static void check_batch(const char *img)
{
	static uint8_t buf[8192];
	struct mnt m;
	uint32_t ino;

	CHECK(mount_img(&m, img, 0, 256 * 1024) == 0);
	if (!m.fs)
		return;
	m.fs->env.dev = &batched;
	memset(buf, 'b', sizeof(buf));
	CHECK(ext2_create(m.fs, "/batch-a", 0644, true, &ino) == 0);
	CHECK(ext2_write(m.fs, ino, 0, buf, sizeof(buf)) == (int64_t)sizeof(buf));
	CHECK(ext2_write(m.fs, ino, 100000, buf, 10) == 10);	/* a second run */
	CHECK(ext2_sync(m.fs) == 0);
	CHECK(batches == 1 && batch_depth == 0 && writes_in_batch >= 2 && writes_outside == 0);
	CHECK(ext2_write(m.fs, ino, 0, "x", 1) == 1);
	batch_result = -ERR_IO;
	CHECK(ext2_sync(m.fs) == -ERR_IO);
	CHECK(logged("failed in a batch"));
	batch_result = 0;
	CHECK(ext2_sync(m.fs) == 0);		/* nothing dirty: no batch */
	CHECK(batches == 2);
	m.fs->env.dev = &filedev_ops;
	CHECK(umount_img(&m) == 0);
	CHECK(fsck_clean(img));
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
	CHECK(make_image("trial1024.img", 1024, 8192, NULL, "tree"));
	check_trials("trial1024.img", 1024);
	CHECK(make_image("trial4096.img", 4096, 8192, NULL, "tree"));
	check_trials("trial4096.img", 4096);
	CHECK(make_image("batch1024.img", 1024, 8192, NULL, "tree"));
	check_batch("batch1024.img");
	return check_report();
}
