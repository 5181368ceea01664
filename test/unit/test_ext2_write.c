/*
 * unit.ext2_write: file contents through the ext2 engine, 1 KiB and 4 KiB
 * blocks. Writes at offsets (into holes, across block and indirect
 * boundaries, past EOF), a sparse file past the double-indirect limit of
 * 1 KiB blocks (triple indirect) and past 4 GiB (large_file), truncate
 * down and up (blocks freed, indirect ones too; regrown bytes are zero),
 * the large_file feature set by the first file past 2 GiB, s_state,
 * exact free counts, timestamps from the clock, fsync, persistence over a
 * remount, and a device error on write-back. After each step the image is
 * synced and e2fsck -fn must find it clean, and debugfs must read the same
 * bytes we wrote.
 */
#include "ext2_host.h"

static const char *img;

/* Recount, sync, then e2fsck -fn the image while it is still mounted
 * (the engine writes nothing between calls). */
static void settle(struct mnt *m)
{
	settle_img(m->fs, img);
}

/* debugfs sees exactly len bytes of pattern `seed` (zeros where zero). */
static bool debugfs_has(const char *path, const uint8_t *want, size_t len)
{
	size_t n = 0;
	uint8_t *got = debugfs_cat(img, path, &n);
	bool ok = got && n == len && memcmp(got, want, len) == 0;

	if (!ok)
		fprintf(stderr, "debugfs cat %s: %zu bytes, want %zu\n", path, n, len);
	free(got);
	return ok;
}

static void check_small_writes(struct mnt *m)
{
	struct ext2_fs *fs = m->fs;
	static uint8_t want[70000], buf[70000];
	struct ext2_stat st;
	uint32_t ino, free0 = fs->sb.s_free_blocks_count;

	CHECK(ext2_create(fs, "/data.bin", 0644, true, &ino) == 0);
	/* Sequential writes of odd sizes. */
	for (size_t off = 0; off < 40000; off += 3001) {
		size_t n = off + 3001 <= 40000 ? 3001 : 40000 - off;

		fill_pat(want + off, off, n, 9);
		CHECK(ext2_write(fs, ino, off, want + off, n) == (int64_t)n);
	}
	CHECK(ext2_read(fs, ino, 0, buf, sizeof(buf)) == 40000);
	CHECK(memcmp(buf, want, 40000) == 0);
	/* Overwrite in the middle, across a block boundary. */
	memset(want + 1000, 'X', 2100);
	CHECK(ext2_write(fs, ino, 1000, want + 1000, 2100) == 2100);
	/* Past EOF: the gap is a hole and reads as zero. */
	memset(want + 40000, 0, 20000);
	fill_pat(want + 60000, 60000, 10000, 4);
	CHECK(ext2_write(fs, ino, 60000, want + 60000, 10000) == 10000);
	CHECK(ext2_read(fs, ino, 0, buf, sizeof(buf)) == 70000);
	CHECK(memcmp(buf, want, 70000) == 0);
	CHECK(ext2_write(fs, ino, 5, "", 0) == 0);
	m->dev.adjacent_writes = 0;
	m->dev.requests = 0;
	settle(m);
	printf("%u-byte blocks: 70000 bytes written back in %lu requests, "
	       "%lu of them multi-block from adjacent buffers\n", fs->bsize,
	       (unsigned long)m->dev.requests, (unsigned long)m->dev.adjacent_writes);
	CHECK(m->dev.adjacent_writes > 0);	/* sequential data: one range */
	CHECK(debugfs_has("/data.bin", want, 70000));

	/* Truncate down mid-block, then up: the cut bytes come back zero. */
	CHECK(ext2_truncate(fs, ino, 12345) == 0);
	CHECK(ext2_truncate(fs, ino, 30000) == 0);
	memset(want + 12345, 0, 30000 - 12345);
	CHECK(ext2_read(fs, ino, 0, buf, sizeof(buf)) == 30000);
	CHECK(memcmp(buf, want, 30000) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0 && st.size == 30000);
	settle(m);
	CHECK(debugfs_has("/data.bin", want, 30000));
	/* To zero: every block back. */
	CHECK(ext2_truncate(fs, ino, 0) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0 && st.size == 0 && st.blocks == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	settle(m);
	/* Errors: a directory; a bad inode number. */
	CHECK(ext2_lookup(fs, "/sub", &ino) == 0);
	CHECK(ext2_write(fs, ino, 0, "x", 1) == -ERR_ISDIR);
	CHECK(ext2_truncate(fs, ino, 0) == -ERR_ISDIR);
	CHECK(ext2_write(fs, 0, 0, "x", 1) == -ERR_IO);
	CHECK(ext2_lookup(fs, "/short_link", &ino) == 0);
	CHECK(ext2_write(fs, ino, 0, "x", 1) == -ERR_INVAL);
}

/* A sparse file with blocks in each part of the map: direct, single,
 * double, triple indirect (for 1 KiB blocks triple starts near 64 MiB),
 * and past 4 GiB. Then truncated back step by step. */
static void check_big_sparse(struct mnt *m)
{
	struct ext2_fs *fs = m->fs;
	const uint64_t offs[] = { 100, 20 * 1024, 3u << 20, 70u << 20,
				  (5ull << 30) + 12345 };
	uint32_t free0 = fs->sb.s_free_blocks_count, ino;
	uint8_t buf[6000];
	struct ext2_stat st;

	CHECK(ext2_create(fs, "/huge.bin", 0600, true, &ino) == 0);
	for (unsigned i = 0; i < 5; i++) {
		fill_pat(buf, offs[i], sizeof(buf), 5);
		CHECK(ext2_write(fs, ino, offs[i], buf, sizeof(buf)) == sizeof(buf));
	}
	CHECK(ext2_stat(fs, ino, &st) == 0 && st.size == offs[4] + sizeof(buf));
	CHECK(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	for (unsigned i = 0; i < 5; i++) {
		memset(buf, 0xee, sizeof(buf));
		CHECK(ext2_read(fs, ino, offs[i] - 50, buf, sizeof(buf)) == sizeof(buf));
		CHECK(buf[0] == 0 && buf[49] == 0 &&
		      is_pat(buf + 50, offs[i], sizeof(buf) - 50, 5));
	}
	settle(m);
	/* Cut in the triple-indirect part, then in the double, then all. */
	CHECK(ext2_truncate(fs, ino, (70u << 20) + 10) == 0);
	CHECK(ext2_read(fs, ino, 70u << 20, buf, 100) == 10 && is_pat(buf, 70u << 20, 10, 5));
	settle(m);
	{
		size_t n = (70u << 20) + 10;
		uint8_t *want = calloc(1, n);

		for (unsigned i = 0; i < 4; i++)
			fill_pat(want + offs[i], offs[i],
				 offs[i] + 6000 <= n ? 6000 : n - offs[i], 5);
		CHECK(debugfs_has("/huge.bin", want, n));
		free(want);
	}
	CHECK(ext2_truncate(fs, ino, 25 * 1024) == 0);
	settle(m);
	CHECK(ext2_truncate(fs, ino, 0) == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	/* Growing with truncate allocates nothing. */
	CHECK(ext2_truncate(fs, ino, 100u << 20) == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	CHECK(ext2_read(fs, ino, 99u << 20, buf, 10) == 10 && buf[9] == 0);
	/* Past the largest size: EFBIG; up to it: a short write. */
	CHECK(ext2_truncate(fs, ino, fs->max_size + 1) == -ERR_FBIG);
	CHECK(ext2_write(fs, ino, fs->max_size, "x", 1) == -ERR_FBIG);
	CHECK(ext2_unlink(fs, "/huge.bin") == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	settle(m);
}

/* Timestamps come from the clock callback. */
static void check_times(struct mnt *m)
{
	struct ext2_stat st, dst;
	uint32_t ino;

	test_clock = 2000000;
	CHECK(ext2_create(m->fs, "/timed", 0644, true, &ino) == 0);
	CHECK(ext2_stat(m->fs, ino, &st) == 0);
	CHECK(st.atime == 2000000 && st.mtime == 2000000 && st.ctime == 2000000);
	CHECK(ext2_stat(m->fs, EXT2_ROOT_INO, &dst) == 0 && dst.mtime == 2000000);
	test_clock = 2000100;
	CHECK(ext2_write(m->fs, ino, 0, "abc", 3) == 3);
	CHECK(ext2_stat(m->fs, ino, &st) == 0 && st.mtime == 2000100 &&
	      st.atime == 2000000);
	test_clock = 2000200;
	CHECK(ext2_truncate(m->fs, ino, 1) == 0);
	CHECK(ext2_stat(m->fs, ino, &st) == 0 && st.mtime == 2000200 &&
	      st.ctime == 2000200);
	CHECK(ext2_fsync(m->fs, ino) == 0);
	CHECK(ext2_fsync(m->fs, 0) == -ERR_IO);
	CHECK(fsck_clean(img));
}

/* An unlinked file that is still open lives on until released. */
static void check_unlink_open(struct mnt *m)
{
	struct ext2_fs *fs = m->fs;
	uint32_t free0 = fs->sb.s_free_blocks_count;
	uint32_t ifree0 = fs->sb.s_free_inodes_count, ino, ino2;
	uint8_t buf[9000], got[9000];
	struct ext2_stat st;

	fill_pat(buf, 0, sizeof(buf), 6);
	CHECK(ext2_create(fs, "/opened", 0644, true, &ino) == 0);
	CHECK(ext2_write(fs, ino, 0, buf, sizeof(buf)) == sizeof(buf));
	open_inodes[0] = ino;
	CHECK(ext2_unlink(fs, "/opened") == 0);
	CHECK(ext2_lookup(fs, "/opened", &ino2) == -ERR_NOENT);
	CHECK(ext2_stat(fs, ino, &st) == 0 && st.nlink == 0);
	CHECK(ext2_read(fs, ino, 0, got, sizeof(got)) == sizeof(got));
	CHECK(memcmp(got, buf, sizeof(buf)) == 0);
	CHECK(ext2_write(fs, ino, 9000, buf, 100) == 100);	/* still usable */
	CHECK(fs->sb.s_free_inodes_count == ifree0 - 1);
	/* Released while it still counts as open: nothing happens. Then
	 * the last close: the inode and its blocks are free. */
	open_inodes[0] = 0;
	CHECK(ext2_inode_release(fs, ino) == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	CHECK(fs->sb.s_free_inodes_count == ifree0);
	CHECK(ext2_inode_release(fs, ino) == 0);	/* twice: harmless */
	/* A linked file is not freed by release. */
	CHECK(ext2_lookup(fs, "/hello.txt", &ino2) == 0);
	CHECK(ext2_inode_release(fs, ino2) == 0);
	CHECK(ext2_stat(fs, ino2, &st) == 0 && st.nlink == 1);
	settle(m);
}

/* A device that fails writes: sync reports it, and retries once healed. */
static void check_device_error(struct mnt *m)
{
	uint32_t ino;

	CHECK(ext2_create(m->fs, "/devfail", 0644, true, &ino) == 0);
	CHECK(ext2_write(m->fs, ino, 0, "data", 4) == 4);
	m->dev.fail_blk = m->fs->sb.s_first_data_block;	/* the superblock's */
	if (m->fs->bsize == 1024)
		m->dev.fail_blk = 1;
	m->dev.fail_writes = true;
	CHECK(ext2_sync(m->fs) == -ERR_IO);
	CHECK(logged("device write failed"));
	m->dev.fail_writes = false;
	CHECK(ext2_sync(m->fs) == 0);
	CHECK(fsck_clean(img));
}

static uint16_t disk_state(const char *path)
{
	uint16_t state = 0;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0 && pread(fd, &state, 2, 1024 + offsetof(struct ext2_super_block,
							      s_state)) == 2);
	close(fd);
	return state;
}

/* s_state: "not clean" on disk while mounted, clean again at unmount; a
 * crash (no unmount) is reported at the next mount and stays "not clean"
 * (only e2fsck makes it clean); damage found leaves EXT2_ERROR_FS. */
static void check_state(void)
{
	struct mnt m;
	uint32_t ino;

	img = "state.img";
	CHECK(make_image(img, 1024, 4096, NULL, "tree"));
	CHECK(disk_state(img) == EXT2_VALID_FS);
	CHECK(mount_img(&m, img, 0, 64 * 1024) == 0);
	CHECK(disk_state(img) == 0);
	CHECK(umount_img(&m) == 0);
	CHECK(disk_state(img) == EXT2_VALID_FS);
	/* Read-only mounts write nothing. */
	CHECK(mount_img(&m, img, EXT2_MOUNT_RDONLY, 64 * 1024) == 0);
	CHECK(disk_state(img) == EXT2_VALID_FS);
	CHECK(umount_img(&m) == 0);
	/* A crash: synced, never unmounted. */
	CHECK(mount_img(&m, img, 0, 64 * 1024) == 0);
	CHECK(ext2_create(m.fs, "/crash", 0644, true, &ino) == 0);
	CHECK(ext2_sync(m.fs) == 0);
	close(m.dev.fd);
	free(m.fs);
	free(m.cache);
	CHECK(fsck_clean(img));
	CHECK(mount_img(&m, img, 0, 64 * 1024) == 0);
	CHECK(logged("not cleanly unmounted"));
	CHECK(ext2_lookup(m.fs, "/crash", &ino) == 0);
	/* Damage seen: the error state outlives the unmount. */
	CHECK(ext2_stat(m.fs, 0, &(struct ext2_stat){0}) == -ERR_IO);
	CHECK(umount_img(&m) == 0);
	CHECK(disk_state(img) == EXT2_ERROR_FS);	/* still unchecked, too */
	CHECK(mount_img(&m, img, 0, 64 * 1024) == 0);
	CHECK(logged("with errors"));
	CHECK(umount_img(&m) == 0);
}

/* Without large_file, the first file past 2 GiB sets the feature. */
static void check_large_file_feature(void)
{
	struct mnt m;
	uint32_t ino;
	uint8_t buf[10];

	img = "nolarge.img";
	CHECK(make_image(img, 4096, 8192, "-O ^large_file", NULL));
	CHECK(mount_img(&m, img, 0, 64 * 4096) == 0);
	if (!m.fs)
		return;
	CHECK(!(m.fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE));
	CHECK(ext2_create(m.fs, "/small", 0644, true, &ino) == 0);
	CHECK(ext2_write(m.fs, ino, (1u << 31) - 20, "0123456789", 10) == 10);
	CHECK(!(m.fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE));
	CHECK(ext2_write(m.fs, ino, 3ull << 30, "x", 1) == 1);
	CHECK(m.fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	CHECK(ext2_read(m.fs, ino, (1u << 31) - 20, buf, 10) == 10 &&
	      memcmp(buf, "0123456789", 10) == 0);
	settle_img(m.fs, img);
	CHECK(umount_img(&m) == 0);
}

int main(int argc, char **argv)
{
	const unsigned sizes[] = { 1024, 4096 };

	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	for (unsigned i = 0; i < 2; i++) {
		struct mnt m;
		char name[64];
		uint32_t ino;
		uint8_t buf[16];

		snprintf(name, sizeof(name), "write%u.img", sizes[i]);
		img = name;
		CHECK(make_image(img, sizes[i], 32768, NULL, "tree"));
		CHECK(mount_img(&m, img, 0, 128 * sizes[i]) == 0);
		if (!m.fs)
			continue;
		check_small_writes(&m);
		check_big_sparse(&m);
		check_times(&m);
		check_unlink_open(&m);
		check_device_error(&m);
		CHECK(umount_img(&m) == 0);
		/* Everything is there after a remount. */
		CHECK(mount_img(&m, img, 0, 128 * sizes[i]) == 0);
		CHECK(ext2_lookup(m.fs, "/timed", &ino) == 0);
		CHECK(ext2_read(m.fs, ino, 0, buf, sizeof(buf)) == 1 && buf[0] == 'a');
		CHECK(ext2_lookup(m.fs, "/devfail", &ino) == 0);
		CHECK(ext2_read(m.fs, ino, 0, buf, sizeof(buf)) == 4);
		CHECK(umount_img(&m) == 0);
		CHECK(fsck_clean(img));
	}
	check_large_file_feature();
	check_state();
	return check_report();
}
