/*
 * unit.ext2_read: the read side of the ext2 engine on images that mke2fs -d
 * made (1 KiB and 4 KiB blocks): path lookup and its errors, reading at
 * offsets (direct, indirect and double indirect blocks, holes), stat,
 * readdir with a cursor, read requests in ranges, a cache of the smallest
 * size, and the mount-time feature checks (an unknown INCOMPAT feature is
 * refused, an unknown RO_COMPAT one mounts read-only, revision 0 refused).
 */
#include "ext2_host.h"

static void check_lookup(struct ext2_fs *fs)
{
	char longname[300], deep[EXT2_PATH_DEPTH * 2 + 8];
	static char huge[EXT2_PATH_MAX + 16];
	uint32_t ino, ino2;

	/* The root, by every spelling. */
	CHECK(ext2_lookup(fs, "/", &ino) == 0 && ino == EXT2_ROOT_INO);
	CHECK(ext2_lookup(fs, "//./", &ino) == 0 && ino == EXT2_ROOT_INO);
	CHECK(ext2_lookup(fs, "/..", &ino) == 0 && ino == EXT2_ROOT_INO);
	/* Names; "." and ".." inside a path; relative spelling. */
	CHECK(ext2_lookup(fs, "/sub/nested.txt", &ino) == 0);
	CHECK(ext2_lookup(fs, "sub/./deeper/../nested.txt", &ino2) == 0 &&
	      ino2 == ino);
	CHECK(ext2_lookup(fs, "/sub/deeper/", &ino) == 0);
	/* Errors: missing name, file in the middle, trailing slash on a
	 * file, empty path, a symlink in the middle (not followed). */
	CHECK(ext2_lookup(fs, "/nope", &ino) == -ERR_NOENT);
	CHECK(ext2_lookup(fs, "/sub/nope/x", &ino) == -ERR_NOENT);
	CHECK(ext2_lookup(fs, "/hello.txt/x", &ino) == -ERR_NOTDIR);
	CHECK(ext2_lookup(fs, "/hello.txt/", &ino) == -ERR_NOTDIR);
	CHECK(ext2_lookup(fs, "", &ino) == -ERR_NOENT);
	CHECK(ext2_lookup(fs, NULL, &ino) == -ERR_INVAL);
	CHECK(ext2_lookup(fs, "/short_link/x", &ino) == -ERR_NOTDIR);
	CHECK(ext2_lookup(fs, "/short_link", &ino) == 0);
	/* A component of 256 bytes, too many components, too long a path. */
	memset(longname, 'a', 256);
	longname[0] = '/';
	longname[257] = '\0';
	longname[256] = 'a';
	CHECK(ext2_lookup(fs, longname, &ino) == -ERR_NAMETOOLONG);
	longname[256] = '\0';	/* 255 bytes: fine, just absent */
	CHECK(ext2_lookup(fs, longname, &ino) == -ERR_NOENT);
	for (int i = 0; i <= EXT2_PATH_DEPTH; i++)
		memcpy(deep + 2 * i, "/.", 2);
	deep[2 * (EXT2_PATH_DEPTH + 1)] = '\0';
	CHECK(ext2_lookup(fs, deep, &ino) == -ERR_NAMETOOLONG);
	deep[2 * EXT2_PATH_DEPTH] = '\0';	/* exactly the most */
	CHECK(ext2_lookup(fs, deep, &ino) == 0 && ino == EXT2_ROOT_INO);
	memset(huge, '/', sizeof(huge) - 1);
	CHECK(ext2_lookup(fs, huge, &ino) == -ERR_NAMETOOLONG);
}

static void check_read(struct ext2_fs *fs, struct filedev *dev)
{
	static uint8_t buf[BIG_SIZE + 4096];
	uint32_t ino;
	int64_t n;

	CHECK(ext2_lookup(fs, "/hello.txt", &ino) == 0);
	n = ext2_read(fs, ino, 0, buf, sizeof(buf));
	CHECK(n == 12 && memcmp(buf, "hello, ext2\n", 12) == 0);
	CHECK(ext2_read(fs, ino, 7, buf, 3) == 3 && memcmp(buf, "ext", 3) == 0);
	CHECK(ext2_read(fs, ino, 12, buf, 10) == 0);	/* at EOF */
	CHECK(ext2_read(fs, ino, 1u << 30, buf, 10) == 0);	/* far past it */

	/* The big file: whole, then at odd offsets across block and
	 * indirect-block boundaries. */
	CHECK(ext2_lookup(fs, "/big.bin", &ino) == 0);
	dev->max_run = 0;
	n = ext2_read(fs, ino, 0, buf, sizeof(buf));
	CHECK(n == BIG_SIZE && is_pat(buf, 0, BIG_SIZE, 1));
	CHECK(dev->max_run > 1);	/* read ahead: ranges, not blocks */
	CHECK(dev->adjacent_runs > 0);	/* into adjacent buffers */
	for (uint64_t off = 1; off < BIG_SIZE; off = off * 3 + 1001) {
		n = ext2_read(fs, ino, off, buf, 5000);
		CHECK(n == (int64_t)(off + 5000 <= BIG_SIZE ? 5000 : BIG_SIZE - off));
		CHECK(n > 0 && is_pat(buf, off, (size_t)n, 1));
	}

	/* Holes read as zeros, the data between them as written. */
	CHECK(ext2_lookup(fs, "/sparse.bin", &ino) == 0);
	memset(buf, 0xee, 8192);
	CHECK(ext2_read(fs, ino, SPARSE_DATA - 8192, buf, 8192) == 8192);
	CHECK(buf[0] == 0 && buf[8191] == 0 && memcmp(buf, buf + 1, 8191) == 0);
	CHECK(ext2_read(fs, ino, SPARSE_DATA - 100, buf, 8292) == 8292);
	CHECK(buf[99] == 0 && is_pat(buf + 100, SPARSE_DATA, 8192, 3));
	CHECK(ext2_read(fs, ino, SPARSE_SIZE - 10, buf, 100) == 10 && buf[9] == 0);

	/* Symbolic links read as their target: a fast one from i_block, a
	 * long one from its block. */
	CHECK(ext2_lookup(fs, "/short_link", &ino) == 0);
	CHECK(ext2_read(fs, ino, 0, buf, 100) == 9 && memcmp(buf, "hello.txt", 9) == 0);
	CHECK(ext2_read(fs, ino, 6, buf, 100) == 3 && memcmp(buf, "txt", 3) == 0);
	CHECK(ext2_lookup(fs, "/long_link", &ino) == 0);
	CHECK(ext2_read(fs, ino, 0, buf, 200) == 134);
	CHECK(buf[0] == '0' && buf[99] == '0' && memcmp(buf + 100, "/long/", 6) == 0);

	/* A directory is not read as a file. */
	CHECK(ext2_lookup(fs, "/sub", &ino) == 0);
	CHECK(ext2_read(fs, ino, 0, buf, 10) == -ERR_ISDIR);
}

static void check_stat(struct ext2_fs *fs)
{
	struct ext2_stat st;
	uint32_t ino;

	CHECK(ext2_lookup(fs, "/big.bin", &ino) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0);
	CHECK(st.ino == ino && (st.mode & EXT2_S_IFMT) == EXT2_S_IFREG);
	CHECK(st.size == BIG_SIZE && st.nlink == 1);
	CHECK(st.blocks * 512 >= BIG_SIZE && st.blksize == fs->bsize);
	CHECK(ext2_lookup(fs, "/sparse.bin", &ino) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0);
	CHECK(st.size == SPARSE_SIZE && st.blocks * 512 < 64 * 1024);
	/* A directory's links: its name, its ".", each child's "..". */
	CHECK(ext2_lookup(fs, "/sub", &ino) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0);
	CHECK((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR && st.nlink == 3);
	CHECK(ext2_lookup(fs, "/short_link", &ino) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0);
	CHECK((st.mode & EXT2_S_IFMT) == EXT2_S_IFLNK && st.size == 9);
	CHECK(ext2_stat(fs, 0, &st) == -ERR_IO);
	CHECK(ext2_stat(fs, 0xffffffffu, &st) == -ERR_IO);
}

static void check_readdir(struct ext2_fs *fs)
{
	const char *want[] = { ".", "..", "lost+found", "hello.txt", "big.bin",
			       "sub", "empty", "sparse.bin", "short_link",
			       "long_link" };
	unsigned seen = 0, n = 0;
	struct ext2_dirent d;
	uint64_t cursor = 0, saved = 0;
	uint32_t ino;
	int r;

	while ((r = ext2_readdir(fs, EXT2_ROOT_INO, &cursor, &d)) == 1) {
		for (unsigned i = 0; i < 10; i++)
			if (strcmp(d.name, want[i]) == 0)
				seen |= 1u << i;
		CHECK(strlen(d.name) == d.name_len && d.ino != 0);
		if (strcmp(d.name, "sub") == 0)
			CHECK(d.type == EXT2_FT_DIR);
		if (strcmp(d.name, "hello.txt") == 0)
			CHECK(d.type == EXT2_FT_REG_FILE);
		if (++n == 3)
			saved = cursor;
	}
	CHECK(r == 0 && n == 10 && seen == 0x3ff);
	/* The cursor resumes where it was, and the end stays the end. */
	CHECK(ext2_readdir(fs, EXT2_ROOT_INO, &cursor, &d) == 0);
	n = 0;
	while (ext2_readdir(fs, EXT2_ROOT_INO, &saved, &d) == 1)
		n++;
	CHECK(n == 7);
	CHECK(ext2_lookup(fs, "/hello.txt", &ino) == 0);
	cursor = 0;
	CHECK(ext2_readdir(fs, ino, &cursor, &d) == -ERR_NOTDIR);
}

/* Set a superblock field of the image file directly. */
static void poke_super(const char *img, unsigned off, uint32_t val, int size)
{
	int fd = open(img, O_RDWR);

	CHECK(fd >= 0 && pwrite(fd, &val, (size_t)size, 1024 + off) == size);
	close(fd);
}

static void check_features(const char *img, unsigned bsize, const char *src)
{
	struct mnt m;
	uint32_t ino;

	/* An INCOMPAT feature we do not know (extents): refused. */
	CHECK(make_image(img, bsize, 4096, NULL, src));
	poke_super(img, offsetof(struct ext2_super_block, s_feature_incompat),
		   EXT2_FEATURE_INCOMPAT_FILETYPE | 0x40, 4);
	CHECK(mount_img(&m, img, 0, 64 * 4096) == -ERR_NOTSUP);
	CHECK(logged("incompatible") && logged("0x40"));

	/* A RO_COMPAT feature we do not know: read-only. Reads work, every
	 * write is EROFS. */
	CHECK(make_image(img, bsize, 4096, NULL, src));
	poke_super(img, offsetof(struct ext2_super_block, s_feature_ro_compat),
		   EXT2_RO_COMPAT_SUPPORTED | 0x1000, 4);
	CHECK(mount_img(&m, img, 0, 64 * 4096) == 0);
	CHECK(logged("read-only") && logged("0x1000"));
	CHECK(ext2_lookup(m.fs, "/hello.txt", &ino) == 0);
	CHECK(ext2_write(m.fs, ino, 0, "x", 1) == -ERR_ROFS);
	CHECK(ext2_truncate(m.fs, ino, 0) == -ERR_ROFS);
	CHECK(ext2_create(m.fs, "/new", 0644, false, &ino) == -ERR_ROFS);
	CHECK(ext2_mkdir(m.fs, "/newdir", 0755, &ino) == -ERR_ROFS);
	CHECK(ext2_unlink(m.fs, "/hello.txt") == -ERR_ROFS);
	CHECK(ext2_rmdir(m.fs, "/empty") == -ERR_ROFS);
	CHECK(ext2_link(m.fs, "/hello.txt", "/h2") == -ERR_ROFS);
	CHECK(ext2_rename(m.fs, "/hello.txt", "/h2") == -ERR_ROFS);
	CHECK(umount_img(&m) == 0);

	/* Revision 0 is not ours; neither is a bad block size. */
	CHECK(make_image(img, bsize, 4096, NULL, src));
	poke_super(img, offsetof(struct ext2_super_block, s_rev_level), 0, 4);
	CHECK(mount_img(&m, img, 0, 64 * 4096) == -ERR_NOTSUP);
	CHECK(logged("revision"));
	CHECK(make_image(img, bsize, 4096, NULL, src));
	poke_super(img, offsetof(struct ext2_super_block, s_log_block_size), 5, 4);
	CHECK(mount_img(&m, img, 0, 64 * 4096) == -ERR_IO);
	CHECK(logged("block size"));

	/* The caller's read-only flag; and a cache too small to mount. */
	CHECK(make_image(img, bsize, 4096, NULL, src));
	CHECK(mount_img(&m, img, EXT2_MOUNT_RDONLY, 64 * 4096) == 0);
	CHECK(ext2_create(m.fs, "/new", 0644, false, &ino) == -ERR_ROFS);
	CHECK(umount_img(&m) == 0);
	CHECK(mount_img(&m, img, 0, 4 * bsize) == -ERR_NOMEM);
	CHECK(fsck_clean(img));
}

int main(int argc, char **argv)
{
	const unsigned sizes[] = { 1024, 4096 };

	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	for (unsigned i = 0; i < 2; i++) {
		struct mnt m;
		char img[64];

		snprintf(img, sizeof(img), "read%u.img", sizes[i]);
		CHECK(make_image(img, sizes[i], 16384, NULL, "tree"));
		CHECK(mount_img(&m, img, EXT2_MOUNT_RDONLY, 256 * 4096) == 0);
		if (!m.fs)
			continue;
		check_lookup(m.fs);
		check_read(m.fs, &m.dev);
		check_stat(m.fs);
		check_readdir(m.fs);
		CHECK(umount_img(&m) == 0);
		/* The smallest cache still reads everything (evictions). */
		CHECK(mount_img(&m, img, EXT2_MOUNT_RDONLY,
				EXT2_CACHE_MIN * sizes[i]) == 0);
		if (m.fs)
			check_read(m.fs, &m.dev);
		CHECK(umount_img(&m) == 0);
		check_features(img, sizes[i], "tree");
	}
	return check_report();
}
