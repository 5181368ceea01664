/*
 * unit.ext2_enospc: a full disk. A file written until the blocks run out
 * gets a short write, then -ERR_NOSPC, with every byte it did write
 * readable; mkdir, a write and a directory that must grow fail with
 * -ERR_NOSPC and leak nothing (free counts unchanged); running out of
 * inodes likewise; a write needing an indirect block and its data with
 * one block left gives the indirect block back. Deleting gives everything
 * back. e2fsck -fn is clean
 * at each step, so ENOSPC never leaves the file system inconsistent.
 */
#include "ext2_host.h"

static const char *img;

static void settle(struct ext2_fs *fs)
{
	settle_img(fs, img);
}

static void fill_blocks(struct ext2_fs *fs)
{
	static uint8_t chunk[50000], back[50000];
	uint32_t free0 = fs->sb.s_free_blocks_count;
	uint32_t ifree0 = fs->sb.s_free_inodes_count;
	uint64_t size = 0;
	uint32_t ino, ino2;
	int64_t n;

	CHECK(ext2_create(fs, "/fill", 0644, true, &ino) == 0);
	for (;;) {
		fill_pat(chunk, size, sizeof(chunk), 8);
		n = ext2_write(fs, ino, size, chunk, sizeof(chunk));
		if (n != (int64_t)sizeof(chunk))
			break;
		size += (uint64_t)n;
	}
	/* The last write was short, or failed outright at a boundary. */
	CHECK(n == -ERR_NOSPC || (n >= 0 && n < (int64_t)sizeof(chunk)));
	if (n > 0) {
		size += (uint64_t)n;
		CHECK(ext2_write(fs, ino, size, chunk, 10) == -ERR_NOSPC);
	}
	CHECK(fs->sb.s_free_blocks_count == 0);
	CHECK(size > (uint64_t)(free0 / 2) * fs->bsize);
	for (uint64_t off = 0; off < size; off += sizeof(back)) {
		size_t want = size - off < sizeof(back) ? size - off : sizeof(back);

		CHECK(ext2_read(fs, ino, off, back, sizeof(back)) == (int64_t)want);
		CHECK(is_pat(back, off, want, 8));
	}
	settle(fs);

	/* Full: what needs a block fails and leaves the counts alone. */
	CHECK(ext2_mkdir(fs, "/nodir", 0755, &ino2) == -ERR_NOSPC);
	CHECK(fs->sb.s_free_inodes_count == ifree0 - 1);
	CHECK(ext2_lookup(fs, "/nodir", &ino2) == -ERR_NOENT);
	CHECK(ext2_create(fs, "/empty_ok", 0644, true, &ino2) == 0);
	CHECK(ext2_write(fs, ino2, 0, "x", 1) == -ERR_NOSPC);
	CHECK(ext2_write(fs, ino2, 1u << 30, "x", 1) == -ERR_NOSPC);
	CHECK(ext2_truncate(fs, ino2, 1u << 20) == 0);	/* a hole: no block */
	settle(fs);
	/* A directory that must grow a block to take a name. */
	{
		char path[300];
		int r = 0;
		unsigned i;

		for (i = 0; i < 1000 && r == 0; i++) {
			snprintf(path, sizeof(path), "/%0200u", i);
			r = ext2_create(fs, path, 0644, true, &ino2);
		}
		CHECK(r == -ERR_NOSPC);
		CHECK(ext2_lookup(fs, path, &ino2) == -ERR_NOENT);
		CHECK(fs->sb.s_free_inodes_count == ifree0 - 2 - (i - 1));
		settle(fs);
		while (--i > 0) {
			snprintf(path, sizeof(path), "/%0200u", i - 1);
			CHECK(ext2_unlink(fs, path) == 0);
		}
	}
	CHECK(ext2_unlink(fs, "/empty_ok") == 0);
	CHECK(ext2_unlink(fs, "/fill") == 0);
	CHECK(fs->sb.s_free_inodes_count == ifree0);
	settle(fs);
}

/* One free block left, and a write that needs two (an indirect block and
 * its data): ENOSPC, and the indirect block is given back. */
static void last_block(struct ext2_fs *fs)
{
	static uint8_t chunk[65536];
	uint32_t direct, filler, extra, free1;
	uint64_t size = 0;
	struct ext2_stat st;
	int64_t n;

	CHECK(ext2_create(fs, "/direct", 0644, true, &direct) == 0);
	CHECK(ext2_write(fs, direct, 0, chunk, 12 * fs->bsize) == 12 * fs->bsize);
	CHECK(ext2_create(fs, "/filler", 0644, true, &filler) == 0);
	while ((n = ext2_write(fs, filler, size, chunk, sizeof(chunk))) > 0)
		size += (uint64_t)n;
	CHECK(fs->sb.s_free_blocks_count == 0);
	CHECK(ext2_truncate(fs, filler, size - fs->bsize) == 0);
	if (fs->sb.s_free_blocks_count == 2) {	/* its indirect block went too */
		CHECK(ext2_create(fs, "/extra", 0644, true, &extra) == 0);
		CHECK(ext2_write(fs, extra, 0, "x", 1) == 1);
	}
	CHECK(fs->sb.s_free_blocks_count == 1);
	free1 = fs->sb.s_free_blocks_count;
	CHECK(ext2_write(fs, direct, 12 * fs->bsize, "y", 1) == -ERR_NOSPC);
	CHECK(fs->sb.s_free_blocks_count == free1);
	CHECK(ext2_stat(fs, direct, &st) == 0 && st.size == 12 * fs->bsize);
	CHECK(st.blocks == 12 * fs->bsize / 512);
	settle(fs);
	(void)ext2_unlink(fs, "/extra");
	CHECK(ext2_unlink(fs, "/filler") == 0);
	CHECK(ext2_unlink(fs, "/direct") == 0);
	settle(fs);
}

static void fill_inodes(struct ext2_fs *fs)
{
	uint32_t free0 = fs->sb.s_free_blocks_count, ino;
	char path[64];
	unsigned n = 0;
	int r = 0;

	CHECK(ext2_mkdir(fs, "/lots", 0755, &ino) == 0);
	while (r == 0 && n < 100000) {
		snprintf(path, sizeof(path), "/lots/%u", n);
		r = ext2_create(fs, path, 0644, true, &ino);
		n += r == 0;
	}
	CHECK(r == -ERR_NOSPC && fs->sb.s_free_inodes_count == 0);
	CHECK(ext2_mkdir(fs, "/lots/d", 0755, &ino) == -ERR_NOSPC);
	settle(fs);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/lots/%u", i);
		CHECK(ext2_unlink(fs, path) == 0);
	}
	CHECK(ext2_rmdir(fs, "/lots") == 0);
	CHECK(fs->sb.s_free_blocks_count == free0);
	settle(fs);
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

		snprintf(name, sizeof(name), "full%u.img", sizes[i]);
		img = name;
		CHECK(make_image(img, sizes[i], sizes[i] == 1024 ? 2048 : 4096,
				 "-N 128", "tree"));
		CHECK(mount_img(&m, img, 0, 64 * sizes[i]) == 0);
		if (!m.fs)
			continue;
		fill_blocks(m.fs);
		last_block(m.fs);
		fill_inodes(m.fs);
		CHECK(umount_img(&m) == 0);
		CHECK(fsck_clean(img));
	}
	return check_report();
}
