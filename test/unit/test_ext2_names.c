/*
 * unit.ext2_names: the operations on names, each with its errors: create
 * (plain and O_EXCL), mkdir, unlink, rmdir, link, rename (to a new name,
 * over a file, of a directory to another parent with ".." updated, over an
 * empty directory, into its own subtree), readdir of a directory grown to
 * several blocks and emptied again, EMLINK. Link counts and free counts are
 * checked by value; e2fsck -fn after every group of writes. Images: 1 KiB
 * blocks with 128-byte inodes, 4 KiB, 1 KiB with a 16-buffer cache, and
 * 4 KiB without the filetype feature.
 */
#include "ext2_host.h"
#include "ext2_int.h"

static const char *img;

static void settle(struct ext2_fs *fs)
{
	settle_img(fs, img);
}

static uint16_t nlink(struct ext2_fs *fs, const char *path)
{
	struct ext2_stat st;
	uint32_t ino;

	if (ext2_lookup(fs, path, &ino) < 0 || ext2_stat(fs, ino, &st) < 0)
		return 0xffff;
	return st.nlink;
}

static void check_create(struct ext2_fs *fs)
{
	char name[300];
	uint32_t ino, ino2;
	struct ext2_stat st;

	CHECK(ext2_create(fs, "/sub/new.txt", 0640, true, &ino) == 0);
	CHECK(ext2_stat(fs, ino, &st) == 0);
	CHECK(st.mode == (EXT2_S_IFREG | 0640) && st.nlink == 1 && st.size == 0);
	CHECK(ext2_create(fs, "/sub/new.txt", 0640, true, &ino2) == -ERR_EXIST);
	CHECK(ext2_create(fs, "/sub/new.txt", 0640, false, &ino2) == 0 && ino2 == ino);
	CHECK(ext2_create(fs, "/sub", 0640, false, &ino2) == -ERR_ISDIR);
	CHECK(ext2_create(fs, "/sub", 0640, true, &ino2) == -ERR_EXIST);
	CHECK(ext2_create(fs, "/", 0640, false, &ino2) == -ERR_ISDIR);
	CHECK(ext2_create(fs, "/sub/.", 0640, false, &ino2) == -ERR_ISDIR);
	CHECK(ext2_create(fs, "/nodir/x", 0640, false, &ino2) == -ERR_NOENT);
	CHECK(ext2_create(fs, "/hello.txt/x", 0640, false, &ino2) == -ERR_NOTDIR);
	CHECK(ext2_create(fs, "/newfile/", 0640, false, &ino2) == -ERR_ISDIR);
	/* A trailing slash with create is EISDIR whatever is there (Linux). */
	CHECK(ext2_create(fs, "/hello.txt/", 0640, false, &ino2) == -ERR_ISDIR);
	CHECK(ext2_create(fs, "/sub/", 0640, true, &ino2) == -ERR_ISDIR);
	memset(name, 'n', 256);
	name[0] = '/';
	name[257] = '\0';
	name[256] = 'n';
	CHECK(ext2_create(fs, name, 0640, false, &ino2) == -ERR_NAMETOOLONG);
	name[256] = '\0';	/* 255 bytes: the longest name */
	CHECK(ext2_create(fs, name, 0640, true, &ino2) == 0);
	CHECK(ext2_lookup(fs, name, &ino) == 0 && ino == ino2);
	CHECK(ext2_unlink(fs, name) == 0);
	settle(fs);
}

static void check_dirs(struct ext2_fs *fs)
{
	uint32_t ino, free_dirs = fs->sb.s_free_inodes_count;
	uint16_t root_links = nlink(fs, "/");

	CHECK(ext2_mkdir(fs, "/d1", 0755, &ino) == 0);
	CHECK(ext2_mkdir(fs, "/d1/d2", 0700, &ino) == 0);
	CHECK(nlink(fs, "/") == root_links + 1 && nlink(fs, "/d1") == 3 &&
	      nlink(fs, "/d1/d2") == 2);
	CHECK(ext2_lookup(fs, "/d1/d2/..", &ino) == 0);
	CHECK(ext2_mkdir(fs, "/d1", 0755, &ino) == -ERR_EXIST);
	CHECK(ext2_mkdir(fs, "/", 0755, &ino) == -ERR_EXIST);
	CHECK(ext2_mkdir(fs, "/d1/..", 0755, &ino) == -ERR_EXIST);
	CHECK(ext2_mkdir(fs, "/nodir/x", 0755, &ino) == -ERR_NOENT);
	CHECK(ext2_mkdir(fs, "/hello.txt/x", 0755, &ino) == -ERR_NOTDIR);
	settle(fs);
	/* rmdir: not empty, not a directory, the root, "." and "..". */
	CHECK(ext2_rmdir(fs, "/d1") == -ERR_NOTEMPTY);
	CHECK(ext2_rmdir(fs, "/hello.txt") == -ERR_NOTDIR);
	CHECK(ext2_rmdir(fs, "/") == -ERR_BUSY);
	CHECK(ext2_rmdir(fs, "/d1/.") == -ERR_INVAL);
	CHECK(ext2_rmdir(fs, "/d1/d2/..") == -ERR_NOTEMPTY);
	CHECK(ext2_rmdir(fs, "/nope") == -ERR_NOENT);
	CHECK(ext2_unlink(fs, "/d1") == -ERR_ISDIR);
	CHECK(ext2_unlink(fs, "/") == -ERR_ISDIR);
	CHECK(ext2_rmdir(fs, "/d1/d2") == 0);
	CHECK(nlink(fs, "/d1") == 2);
	CHECK(ext2_rmdir(fs, "/d1/") == 0);
	CHECK(nlink(fs, "/") == root_links);
	CHECK(fs->sb.s_free_inodes_count == free_dirs);
	settle(fs);
}

static void check_links(struct ext2_fs *fs)
{
	uint32_t ino, ino2;
	uint8_t buf[16];

	CHECK(ext2_link(fs, "/hello.txt", "/sub/hello2") == 0);
	CHECK(nlink(fs, "/hello.txt") == 2);
	CHECK(ext2_lookup(fs, "/hello.txt", &ino) == 0);
	CHECK(ext2_lookup(fs, "/sub/hello2", &ino2) == 0 && ino == ino2);
	CHECK(ext2_link(fs, "/hello.txt", "/sub/hello2") == -ERR_EXIST);
	CHECK(ext2_link(fs, "/sub", "/sublink") == -ERR_PERM);
	CHECK(ext2_link(fs, "/nope", "/x") == -ERR_NOENT);
	CHECK(ext2_link(fs, "/hello.txt", "/nodir/x") == -ERR_NOENT);
	CHECK(ext2_link(fs, "/hello.txt", "/") == -ERR_EXIST);
	CHECK(ext2_link(fs, "/hello.txt", "/newname/") == -ERR_NOENT);
	CHECK(ext2_link(fs, "/sub", "/hello.txt") == -ERR_EXIST);	/* name first */
	settle(fs);
	CHECK(ext2_unlink(fs, "/hello.txt") == 0);
	CHECK(nlink(fs, "/sub/hello2") == 1);
	CHECK(ext2_read(fs, ino, 0, buf, sizeof(buf)) == 12);
	CHECK(ext2_unlink(fs, "/hello.txt") == -ERR_NOENT);
	CHECK(ext2_unlink(fs, "/sub/hello2/") == -ERR_NOTDIR);
	CHECK(ext2_link(fs, "/sub/hello2", "/hello.txt") == 0);
	CHECK(ext2_unlink(fs, "/sub/hello2") == 0);
	/* Symbolic links made by mke2fs are unlinked like files (their
	 * block, for the long one, freed). */
	CHECK(ext2_unlink(fs, "/short_link") == 0);
	CHECK(ext2_unlink(fs, "/long_link") == 0);
	settle(fs);
}

static void check_rename(struct ext2_fs *fs)
{
	uint32_t ino, ino2, free_in = fs->sb.s_free_inodes_count;
	uint16_t root_links = nlink(fs, "/");
	struct ext2_stat st;
	uint8_t buf[16];

	/* A file to a new name in another directory. */
	CHECK(ext2_create(fs, "/r1", 0644, true, &ino) == 0);
	CHECK(ext2_write(fs, ino, 0, "r1", 2) == 2);
	CHECK(ext2_rename(fs, "/r1", "/sub/r1moved") == 0);
	CHECK(ext2_lookup(fs, "/r1", &ino2) == -ERR_NOENT);
	CHECK(ext2_lookup(fs, "/sub/r1moved", &ino2) == 0 && ino2 == ino);
	/* Over an existing file: the old target is freed. */
	CHECK(ext2_create(fs, "/r2", 0644, true, &ino2) == 0);
	CHECK(ext2_write(fs, ino2, 0, "old target", 10) == 10);
	CHECK(ext2_rename(fs, "/sub/r1moved", "/r2") == 0);
	CHECK(ext2_lookup(fs, "/r2", &ino2) == 0 && ino2 == ino);
	CHECK(ext2_read(fs, ino2, 0, buf, sizeof(buf)) == 2);
	CHECK(fs->sb.s_free_inodes_count == free_in - 1);
	/* Two names of one inode: nothing happens. */
	CHECK(ext2_link(fs, "/r2", "/r2b") == 0);
	CHECK(ext2_rename(fs, "/r2", "/r2b") == 0);
	CHECK(nlink(fs, "/r2") == 2);
	CHECK(ext2_unlink(fs, "/r2b") == 0);
	settle(fs);
	/* Directories: to another parent ("..", link counts), over an
	 * empty directory, not over a full one, not into itself. */
	CHECK(ext2_mkdir(fs, "/da", 0755, &ino) == 0);
	CHECK(ext2_mkdir(fs, "/da/inner", 0755, &ino2) == 0);
	CHECK(ext2_rename(fs, "/da", "/sub/deeper/da") == 0);
	CHECK(ext2_lookup(fs, "/sub/deeper/da/inner/../..", &ino2) == 0);
	CHECK(nlink(fs, "/") == root_links && nlink(fs, "/sub/deeper") == 3);
	settle(fs);
	CHECK(ext2_rename(fs, "/sub/deeper/da", "/sub/deeper/da/inner/x") == -ERR_INVAL);
	CHECK(ext2_rename(fs, "/sub/deeper/da", "/sub/deeper/da") == 0);
	CHECK(ext2_rename(fs, "/sub", "/sub/deeper/da/inner") == -ERR_INVAL);
	CHECK(ext2_rename(fs, "/sub/deeper/da", "/sub") == -ERR_NOTEMPTY);
	CHECK(ext2_rename(fs, "/sub/deeper/da", "/hello.txt") == -ERR_NOTDIR);
	CHECK(ext2_rename(fs, "/hello.txt", "/empty") == -ERR_ISDIR);
	CHECK(ext2_rename(fs, "/r2", "/hello.txt/") == -ERR_NOTDIR);
	CHECK(ext2_rename(fs, "/r2", "/r2/") == -ERR_NOTDIR);	/* before "same" */
	CHECK(ext2_rename(fs, "/sub/deeper", "/sub") == -ERR_NOTEMPTY);	/* over its parent */
	CHECK(ext2_rename(fs, "/nope", "/x") == -ERR_NOENT);
	CHECK(ext2_rename(fs, "/r2", "/nodir/x") == -ERR_NOENT);
	CHECK(ext2_rename(fs, "/", "/x") == -ERR_BUSY);
	CHECK(ext2_rename(fs, "/r2", "/sub/.") == -ERR_BUSY);
	CHECK(ext2_rename(fs, "/sub/deeper/da", "/empty") == 0);
	CHECK(ext2_lookup(fs, "/empty/inner/../..", &ino2) == 0 &&
	      ino2 == EXT2_ROOT_INO);
	CHECK(ext2_lookup(fs, "/empty", &ino2) == 0 && ino2 == ino);
	CHECK(nlink(fs, "/") == root_links && nlink(fs, "/sub/deeper") == 2);
	CHECK(ext2_stat(fs, ino, &st) == 0 && st.nlink == 3);
	/* Within one directory; and over an empty sibling, which takes
	 * its parent's link from the replaced ".." with it. */
	CHECK(ext2_rename(fs, "/empty", "/renamed") == 0);
	CHECK(nlink(fs, "/") == root_links);
	CHECK(ext2_mkdir(fs, "/sib", 0755, &ino2) == 0);
	CHECK(nlink(fs, "/") == root_links + 1);
	CHECK(ext2_rename(fs, "/renamed", "/sib") == 0);
	CHECK(nlink(fs, "/") == root_links);
	CHECK(ext2_lookup(fs, "/sib/inner", &ino2) == 0);
	CHECK(ext2_lookup(fs, "/renamed", &ino2) == -ERR_NOENT);
	settle(fs);
}

/* EMLINK: the link counts are set near the limit by hand (32000 real
 * links would take minutes), then put back. */
static void check_mlink(struct ext2_fs *fs)
{
	struct ext2_inode in;
	uint32_t file, dir, ino;
	uint16_t saved;

	CHECK(ext2_create(fs, "/many_links", 0644, true, &file) == 0);
	CHECK(inode_load(fs, file, &in) == 0);
	in.i_links_count = EXT2_LINK_MAX - 1;
	CHECK(inode_store(fs, file, &in) == 0);
	CHECK(ext2_link(fs, "/many_links", "/one_more") == 0);
	CHECK(ext2_link(fs, "/many_links", "/too_many") == -ERR_MLINK);
	CHECK(ext2_unlink(fs, "/one_more") == 0);
	CHECK(inode_load(fs, file, &in) == 0 && in.i_links_count == EXT2_LINK_MAX - 1);
	in.i_links_count = 1;
	CHECK(inode_store(fs, file, &in) == 0);
	CHECK(ext2_unlink(fs, "/many_links") == 0);

	/* A directory with the most subdirectories: no mkdir, no move in. */
	CHECK(ext2_mkdir(fs, "/full_dir", 0755, &dir) == 0);
	CHECK(ext2_mkdir(fs, "/mover", 0755, &ino) == 0);
	CHECK(inode_load(fs, dir, &in) == 0);
	saved = in.i_links_count;
	in.i_links_count = EXT2_LINK_MAX;
	CHECK(inode_store(fs, dir, &in) == 0);
	CHECK(ext2_mkdir(fs, "/full_dir/sub", 0755, &ino) == -ERR_MLINK);
	CHECK(ext2_rename(fs, "/mover", "/full_dir/mover") == -ERR_MLINK);
	CHECK(ext2_create(fs, "/full_dir/file", 0644, true, &ino) == 0);
	CHECK(ext2_unlink(fs, "/full_dir/file") == 0);
	CHECK(inode_load(fs, dir, &in) == 0);
	in.i_links_count = saved;
	CHECK(inode_store(fs, dir, &in) == 0);
	CHECK(ext2_rename(fs, "/mover", "/full_dir/mover") == 0);
	CHECK(ext2_rmdir(fs, "/full_dir/mover") == 0);
	CHECK(ext2_rmdir(fs, "/full_dir") == 0);
	settle(fs);
}

/* Enough entries to take several blocks, then all removed again. */
static void check_big_dir(struct ext2_fs *fs)
{
	const unsigned n = 300;
	uint32_t ino, free0 = fs->sb.s_free_inodes_count;
	struct ext2_dirent d;
	uint64_t cursor = 0;
	unsigned count = 0;
	char path[64];

	CHECK(ext2_mkdir(fs, "/many", 0755, &ino) == 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/many/file-with-a-longish-name-%u", i);
		CHECK(ext2_create(fs, path, 0644, true, &ino) == 0);
	}
	CHECK(ext2_lookup(fs, "/many", &ino) == 0);
	cursor = 0;
	while (ext2_readdir(fs, ino, &cursor, &d) == 1)
		count++;
	CHECK(count == n + 2);
	settle(fs);
	/* Remove every other one, then check the others, then the rest. */
	for (unsigned i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "/many/file-with-a-longish-name-%u", i);
		CHECK(ext2_unlink(fs, path) == 0);
	}
	for (unsigned i = 1; i < n; i += 2) {
		snprintf(path, sizeof(path), "/many/file-with-a-longish-name-%u", i);
		CHECK(ext2_lookup(fs, path, &ino) == 0);
	}
	settle(fs);
	/* Names reuse the freed room. */
	for (unsigned i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "/many/again-%u", i);
		CHECK(ext2_create(fs, path, 0644, true, &ino) == 0);
	}
	settle(fs);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), i % 2 ? "/many/file-with-a-longish-name-%u" :
			 "/many/again-%u", i);
		CHECK(ext2_unlink(fs, path) == 0);
	}
	CHECK(ext2_rmdir(fs, "/many") == 0);
	CHECK(fs->sb.s_free_inodes_count == free0);
	settle(fs);
}

int main(int argc, char **argv)
{
	const unsigned sizes[] = { 1024, 4096, 1024, 4096 };
	const char *opts[] = { "-I 128", NULL, NULL, "-O ^filetype" };

	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	for (unsigned i = 0; i < 4; i++) {
		struct mnt m;
		char name[64];

		snprintf(name, sizeof(name), "names%u_%u.img", sizes[i], i);
		img = name;
		CHECK(make_image(img, sizes[i], 8192, opts[i], "tree"));
		CHECK(mount_img(&m, img, 0, (i == 2 ? EXT2_CACHE_MIN : 128) *
				sizes[i]) == 0);
		if (!m.fs)
			continue;
		check_create(m.fs);
		check_dirs(m.fs);
		check_links(m.fs);
		check_rename(m.fs);
		check_big_dir(m.fs);
		check_mlink(m.fs);
		CHECK(umount_img(&m) == 0);
		CHECK(fsck_clean(img));
	}
	return check_report();
}
