/*
 * unit.ext2_ioerr: a device that fails reads. For every block that a
 * series of changing operations reads, in turn, a fresh mount (cold cache)
 * whose device fails every read of that block runs the operations
 * (create, write, mkdir, link, rename, unlink, truncate, rmdir). Any of
 * them may fail with -ERR_IO, none may crash, and once the device is well
 * again and the cache written back, e2fsck -fn must find the file system
 * consistent: a read error never leaves half an operation on the disk.
 */
#include "ext2_host.h"

static const char *img = "ioerr.img";

static void operations(struct ext2_fs *fs)
{
	static uint8_t buf[20000];
	uint32_t ino = 0, dino;

	fill_pat(buf, 0, sizeof(buf), 7);
	if (ext2_create(fs, "/sub/new", 0644, true, &ino) == 0)
		(void)ext2_write(fs, ino, 100, buf, sizeof(buf));
	(void)ext2_mkdir(fs, "/sub/d", 0755, &dino);
	(void)ext2_link(fs, "/hello.txt", "/sub/d/hello");
	(void)ext2_rename(fs, "/sub/d", "/empty/d");
	(void)ext2_rename(fs, "/sub/new", "/hello.txt");
	(void)ext2_unlink(fs, "/sub/nested.txt");
	if (ext2_lookup(fs, "/big.bin", &ino) == 0) {
		(void)ext2_truncate(fs, ino, 20000);
		(void)ext2_write(fs, ino, 70000, buf, sizeof(buf));
	}
	(void)ext2_unlink(fs, "/empty/d/hello");
	(void)ext2_rmdir(fs, "/empty/d");
	(void)ext2_unlink(fs, "/long_link");
	(void)ext2_mkdir(fs, "/e2", 0755, &dino);
	(void)ext2_rename(fs, "/sub/deeper", "/e2");	/* over an empty one */
	(void)ext2_rename(fs, "/big.bin", "/e2/big");
}

/* Which blocks do the operations read? Run them once on a cold cache,
 * watching the device. */
static uint8_t was_read[1 << 16];
static int watch_read(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		      void *const bufs[])
{
	for (uint32_t i = 0; i < count; i++)
		if (blk + i < sizeof(was_read))
			was_read[blk + i] = 1;
	return fd_read(ctx, blk, bsize, count, bufs);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *b = read_file(from, &len);
	FILE *f = fopen(to, "wb");

	CHECK(b && f && fwrite(b, 1, len, f) == len);
	if (f)
		fclose(f);
	free(b);
}

static void sweep(unsigned bsize)
{
	static const struct ext2_blockdev_ops watched = {
		.read = watch_read, .write = fd_write, .flush = fd_flush,
	};
	unsigned tried = 0, failed_ops = 0, clean = 0;
	struct mnt m;

	CHECK(make_image("pristine.img", bsize, 4096, "-N 64", "tree"));
	copy_file("pristine.img", img);
	memset(was_read, 0, sizeof(was_read));
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	if (!m.fs)
		return;
	m.fs->env.dev = &watched;
	operations(m.fs);
	CHECK(umount_img(&m) == 0);
	CHECK(fsck_clean(img));

	for (unsigned blk = 0; blk < sizeof(was_read); blk++) {
		if (!was_read[blk])
			continue;
		tried++;
		copy_file("pristine.img", img);
		if (mount_img(&m, img, 0, 64 * bsize) < 0)
			continue;
		m.dev.fail_blk = blk;
		m.dev.fail_reads = true;
		log_lines = 0;
		operations(m.fs);
		failed_ops += log_lines > 0;
		m.dev.fail_reads = false;
		CHECK(umount_img(&m) == 0);
		if (fsck_clean(img))
			clean++;
		else
			fprintf(stderr, "  after read errors at block %u (%u-byte blocks)\n",
				blk, bsize);
	}
	printf("%u-byte blocks: %u blocks read, each failed in turn: %u runs "
	       "hit errors, %u clean\n", bsize, tried, failed_ops, clean);
	CHECK(tried > 5 && failed_ops * 2 > tried && clean == tried);
}

int main(int argc, char **argv)
{
	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	sweep(1024);
	sweep(4096);
	return check_report();
}
