/*
 * unit.ext2_damaged: images damaged by patching bytes of fresh ones. Each
 * kind of damage gives -ERR_IO and a one-line log message naming it, never
 * a crash (ASan/UBSan watch), and the undamaged rest keeps working: bad
 * magic; a directory entry naming an inode out of range; a block number
 * out of range in an inode and in an indirect block; a directory entry
 * running past its block (and rec_len 0, which must not loop); a directory
 * loop (a subdirectory entry naming its ancestor, and a ".." cycle met by
 * rename); a group descriptor whose inode table lies outside the disk; a
 * device read error. Then random byte damage, many times, with a walk of
 * the whole tree and a few writes on each result (every other one in
 * nowait mode, the writes as trials).
 */
#include "ext2_host.h"
#include "ext2_int.h"

static const char *img = "damaged.img";

/* The disk block and byte offset of a directory entry, found with the
 * engine on a healthy image. */
static bool find_entry(const char *dirpath, const char *name, uint64_t *pos)
{
	struct ext2_inode din;
	struct dir_slot slot;
	struct mnt m;
	uint32_t dir, pblk;
	bool ok = false;

	if (mount_img(&m, img, EXT2_MOUNT_RDONLY, 64 * 4096) < 0)
		return false;
	if (ext2_lookup(m.fs, dirpath, &dir) == 0 &&
	    inode_load(m.fs, dir, &din) == 0 &&
	    dir_find(m.fs, dir, &din, name, (uint32_t)strlen(name), &slot) == 0 &&
	    bmap(m.fs, dir, &din, slot.lblk, false, &pblk, NULL) == 0) {
		*pos = (uint64_t)pblk * m.fs->bsize + slot.off;
		ok = true;
	}
	umount_img(&m);
	return ok;
}

static void poke(uint64_t pos, const void *val, size_t n)
{
	int fd = open(img, O_RDWR);

	CHECK(fd >= 0 && pwrite(fd, val, n, (off_t)pos) == (ssize_t)n);
	close(fd);
}

static void poke32(uint64_t pos, uint32_t v) { poke(pos, &v, 4); }
static void poke16(uint64_t pos, uint16_t v) { poke(pos, &v, 2); }

/* The rest of the tree still works: lookups, reads, a create and write. */
static void rest_works(struct ext2_fs *fs, const char *skip)
{
	uint8_t buf[BIG_SIZE];
	uint32_t ino;

	if (strcmp(skip, "big") != 0) {
		CHECK(ext2_lookup(fs, "/big.bin", &ino) == 0);
		CHECK(ext2_read(fs, ino, 0, buf, sizeof(buf)) == BIG_SIZE &&
		      is_pat(buf, 0, BIG_SIZE, 1));
	}
	if (strcmp(skip, "hello") != 0) {
		CHECK(ext2_lookup(fs, "/hello.txt", &ino) == 0);
		CHECK(ext2_read(fs, ino, 0, buf, 100) == 12);
	}
	CHECK(ext2_create(fs, "/after_damage", 0644, false, &ino) == 0);
	CHECK(ext2_write(fs, ino, 0, "still fine", 10) == 10);
	CHECK(ext2_read(fs, ino, 0, buf, 100) == 10);
	CHECK(no_pins(fs));
}

static void fresh(unsigned bsize)
{
	CHECK(make_image(img, bsize, 16384, NULL, "tree"));
}

static void check_cases(unsigned bsize)
{
	struct ext2_inode in;
	struct mnt m;
	uint64_t pos;
	uint32_t ino, ino2;
	uint8_t buf[64];

	/* Bad magic: no mount. */
	fresh(bsize);
	poke16(1024 + offsetof(struct ext2_super_block, s_magic), 0x1234);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == -ERR_IO && logged("bad magic"));

	/* A root inode that is not a directory: no mount. */
	fresh(bsize);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(inode_load(m.fs, EXT2_ROOT_INO, &in) == 0);
	in.i_mode = EXT2_S_IFREG | 0644;
	CHECK(inode_store(m.fs, EXT2_ROOT_INO, &in) == 0);
	umount_img(&m);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == -ERR_IO);
	CHECK(logged("root inode is not a directory"));

	/* The invariant checker sees a free count that is off by one. */
	fresh(bsize);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_check_counts(m.fs) == 0);
	m.fs->sb.s_free_inodes_count++;
	CHECK(ext2_check_counts(m.fs) == -ERR_IO && logged("free inodes wrong"));
	m.fs->sb.s_free_inodes_count--;
	{
		struct ext2_group_desc *gd;
		struct ext2_buf *gb;

		CHECK(fs_group_desc(m.fs, 0, &gb, &gd) == 0);
		gd->bg_used_dirs_count++;
		CHECK(ext2_check_counts(m.fs) == -ERR_IO &&
		      logged("directory count wrong"));
		gd->bg_used_dirs_count--;
		gd->bg_free_blocks_count--;
		CHECK(ext2_check_counts(m.fs) == -ERR_IO &&
		      logged("free block count wrong"));
		gd->bg_free_blocks_count++;
		bput(m.fs, gb);
	}
	CHECK(ext2_check_counts(m.fs) == 0);
	umount_img(&m);

	/* A directory entry naming an inode past the last one. */
	fresh(bsize);
	CHECK(find_entry("/", "hello.txt", &pos));
	poke32(pos, 0x7fffff00);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/hello.txt", &ino) == -ERR_IO);
	CHECK(logged("inode out of range"));
	CHECK(ext2_unlink(m.fs, "/hello.txt") == -ERR_IO);
	rest_works(m.fs, "hello");
	umount_img(&m);

	/* A block number out of range in an inode, then in an indirect
	 * block: the reads that need them fail, the others work. */
	fresh(bsize);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/big.bin", &ino) == 0);
	CHECK(inode_load(m.fs, ino, &in) == 0);
	in.i_block[0] = 0xfffffff0u;
	CHECK(inode_store(m.fs, ino, &in) == 0);
	CHECK(ext2_read(m.fs, ino, 0, buf, 10) == -ERR_IO);
	CHECK(logged("block number out of range"));
	CHECK(ext2_read(m.fs, ino, 5 * bsize, buf, 10) == 10 &&
	      is_pat(buf, 5 * bsize, 10, 1));
	CHECK(ext2_write(m.fs, ino, 0, "x", 1) == -ERR_IO);
	in.i_block[0] = 0;	/* now a hole; break the indirect block */
	CHECK(inode_store(m.fs, ino, &in) == 0);
	pos = (uint64_t)in.i_block[EXT2_IND_BLOCK] * bsize;
	CHECK(ext2_sync(m.fs) == 0);
	umount_img(&m);
	poke32(pos + 4, 0xfffffff0u);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_read(m.fs, ino, (12 + 1) * (uint64_t)bsize, buf, 10) == -ERR_IO);
	CHECK(logged("indirect block"));
	CHECK(ext2_read(m.fs, ino, 0, buf, 10) == 10 && buf[0] == 0);
	CHECK(ext2_truncate(m.fs, ino, 0) == -ERR_IO);	/* frees what it can */
	rest_works(m.fs, "big");
	umount_img(&m);

	/* A directory claiming 4 GiB of size: scanning it costs only the
	 * blocks it has, and a name cannot be added past them. */
	fresh(bsize);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/sub", &ino) == 0);
	CHECK(inode_load(m.fs, ino, &in) == 0);
	in.i_size = 0xfffff000u;
	CHECK(inode_store(m.fs, ino, &in) == 0);
	log_lines = 0;
	CHECK(ext2_lookup(m.fs, "/sub/nope", &ino2) == -ERR_NOENT);
	CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino2) == 0);
	CHECK(log_lines == 0);
	{
		char name[256];
		int r = 0, i;

		for (i = 0; i < 40 && r == 0; i++) {	/* until the block is full */
			snprintf(name, sizeof(name), "/sub/%0200d", i);
			r = ext2_create(m.fs, name, 0644, false, &ino2);
		}
		CHECK(r == -ERR_IO && log_lines == 1 && logged("does not match"));
	}
	rest_works(m.fs, "");
	umount_img(&m);

	/* Directory entries that run past their block, or go nowhere. */
	const uint16_t bad_lens[] = { 0x7ff0, 0, 13, 4 };
	for (unsigned k = 0; k < 4; k++) {
		struct ext2_dirent d;
		uint64_t cursor = 0;
		int r;

		fresh(bsize);
		CHECK(find_entry("/sub", "..", &pos));
		poke16(pos + 4, bad_lens[k]);
		CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
		CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino) == -ERR_IO);
		CHECK(logged("runs past its block"));
		while ((r = ext2_readdir(m.fs, 12, &cursor, &d)) == 1)
			;
		CHECK(ext2_lookup(m.fs, "/sub", &ino) == 0);
		cursor = 0;
		while ((r = ext2_readdir(m.fs, ino, &cursor, &d)) == 1)
			;
		CHECK(r == -ERR_IO);
		CHECK(ext2_readdir(m.fs, ino, &cursor, &d) == 0);	/* past it */
		CHECK(ext2_rmdir(m.fs, "/sub") == -ERR_IO);
		rest_works(m.fs, "");
		umount_img(&m);
	}

	/* A loop: /sub/deeper names /sub itself. */
	fresh(bsize);
	CHECK(mount_img(&m, img, EXT2_MOUNT_RDONLY, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/sub", &ino2) == 0);
	umount_img(&m);
	CHECK(find_entry("/sub", "deeper", &pos));
	poke32(pos, ino2);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/sub/deeper/deeper/nested.txt", &ino) == -ERR_IO);
	CHECK(logged("directory loop"));
	CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino) == 0);
	rest_works(m.fs, "");
	/* A ".." cycle above a directory: rename into it cannot prove
	 * the move safe, and says so. */
	{
		struct ext2_inode a, b;
		struct dir_slot sa, sb;
		uint32_t ia, ib;

		CHECK(ext2_mkdir(m.fs, "/a", 0755, &ia) == 0);
		CHECK(ext2_mkdir(m.fs, "/b", 0755, &ib) == 0);
		CHECK(ext2_mkdir(m.fs, "/c", 0755, &ino) == 0);
		CHECK(inode_load(m.fs, ia, &a) == 0 && inode_load(m.fs, ib, &b) == 0);
		CHECK(dir_find(m.fs, ia, &a, "..", 2, &sa) == 0);
		CHECK(dir_retarget(m.fs, ia, &a, &sa, ib, EXT2_FT_DIR) == 0);
		CHECK(dir_find(m.fs, ib, &b, "..", 2, &sb) == 0);
		CHECK(dir_retarget(m.fs, ib, &b, &sb, ia, EXT2_FT_DIR) == 0);
		CHECK(ext2_rename(m.fs, "/c", "/a/c") == -ERR_IO);
		CHECK(logged("directory loop"));
		CHECK(ext2_lookup(m.fs, "/c", &ino2) == 0 && ino2 == ino);
	}
	umount_img(&m);

	/* A group descriptor pointing its inode table off the disk: that
	 * group's inodes fail, allocation passes over it. Group 1 exists
	 * with 1 KiB blocks (8192 blocks a group, 16 MiB). */
	if (bsize == 1024) {
		uint32_t ipg;

		fresh(bsize);
		CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
		ipg = m.fs->sb.s_inodes_per_group;
		ino = 0;
		for (int i = 0; i < 4 && ino <= ipg; i++) {
			char p[16];

			snprintf(p, sizeof(p), "/g%d", i);
			CHECK(ext2_mkdir(m.fs, p, 0755, &ino) == 0);
		}
		CHECK(ino > ipg);	/* a directory in group 1 */
		umount_img(&m);
		poke32(2048 + 32 + offsetof(struct ext2_group_desc, bg_inode_table),
		       0xffffff00u);
		CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
		CHECK(ext2_stat(m.fs, ino, &(struct ext2_stat){0}) == -ERR_IO);
		CHECK(logged("group descriptor damaged"));
		rest_works(m.fs, "");
		for (int i = 0; i < 20; i++) {
			char p[16];

			snprintf(p, sizeof(p), "/n%d", i);
			CHECK(ext2_mkdir(m.fs, p, 0755, &ino2) == 0 && ino2 <= ipg);
		}
		umount_img(&m);
	}

	/* The device fails a read. */
	fresh(bsize);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	CHECK(ext2_lookup(m.fs, "/sub", &ino) == 0);
	CHECK(inode_load(m.fs, ino, &in) == 0);
	umount_img(&m);
	CHECK(mount_img(&m, img, 0, 64 * bsize) == 0);
	m.dev.fail_blk = in.i_block[0];
	m.dev.fail_reads = true;
	CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino) == -ERR_IO);
	CHECK(logged("device read failed"));
	rest_works(m.fs, "");
	m.dev.fail_reads = false;
	CHECK(ext2_lookup(m.fs, "/sub/nested.txt", &ino) == 0);
	umount_img(&m);
}

/* Read everything reachable from dir, to a bounded depth. */
static void walk_all(struct ext2_fs *fs, const char *path, int depth)
{
	static uint8_t buf[4096];
	struct ext2_dirent d;
	uint64_t cursor = 0;
	uint32_t dir;
	int steps = 0;

	if (depth > 6 || ext2_lookup(fs, path, &dir) < 0)
		return;
	while (steps++ < 2000 && ext2_readdir(fs, dir, &cursor, &d) >= 0) {
		char sub[1024];
		struct ext2_stat st;

		if (cursor == 0 || d.name[0] == '\0')
			break;
		if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d.name);
		if (ext2_stat(fs, d.ino, &st) < 0)
			continue;
		if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
			walk_all(fs, sub, depth + 1);
		else
			for (uint64_t off = 0; off < st.size && off < (1u << 20);
			     off += sizeof(buf))
				(void)ext2_read(fs, d.ino, off, buf, sizeof(buf));
	}
}

static void fuzz(unsigned bsize, unsigned rounds)
{
	uint64_t seed = 0x2545f4914f6cdd1dull * bsize;
	uint8_t *clean, *img_bytes;
	size_t len;

	CHECK(make_image("fuzz_clean.img", bsize, 2048, "-N 64", "tree"));
	clean = read_file("fuzz_clean.img", &len);
	CHECK(clean != NULL);
	if (!clean)
		return;
	img_bytes = malloc(len);
	unsigned mounted = 0;
	for (unsigned round = 0; round < rounds; round++) {
		struct mnt m;
		uint32_t ino = 0;
		FILE *f;
		int r;

		memcpy(img_bytes, clean, len);
		for (int k = 0; k < 24; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* Mostly the metadata at the start, some anywhere. */
			size_t at = k % 4 ? (size_t)(seed >> 8) % (64 * 1024) :
				    (size_t)(seed >> 8) % len;
			img_bytes[at] ^= (uint8_t)(1u << (seed & 7)) | (uint8_t)(seed >> 56);
		}
		f = fopen(img, "wb");
		CHECK(f && fwrite(img_bytes, 1, len, f) == len);
		fclose(f);
		/* Every other round in nowait mode, changes as trials. */
		test_shadow_bytes = round % 2 ? 8 * bsize : 0;
		r = mount_img(&m, img, 0, 32 * bsize);
		test_shadow_bytes = 0;
		if (r < 0)
			continue;
		mounted++;
		ext2_set_nowait(m.fs, round % 2);
		walk_all(m.fs, "", 0);
		(void)SERVE(&m, ext2_create(m.fs, "/fz", 0644, false, &ino));
		(void)SERVE(&m, ext2_write(m.fs, ino, 3000, img_bytes, 9000));
		(void)SERVE(&m, ext2_mkdir(m.fs, "/fzd", 0755, &ino));
		(void)SERVE(&m, ext2_rename(m.fs, "/fz", "/fzd/fz"));
		(void)SERVE(&m, ext2_rename(m.fs, "/sub", "/empty"));
		(void)SERVE(&m, ext2_unlink(m.fs, "/big.bin"));
		(void)SERVE(&m, ext2_truncate(m.fs, ino, 0));
		(void)SERVE(&m, ext2_rmdir(m.fs, "/sub/deeper"));
		ext2_set_nowait(m.fs, false);
		walk_all(m.fs, "", 0);
		(void)ext2_check_counts(m.fs);
		CHECK(no_pins(m.fs));
		umount_img(&m);
	}
	printf("fuzz %u: %u of %u damaged images mounted\n", bsize, mounted,
	       rounds);
	CHECK(mounted > rounds / 4);
	free(img_bytes);
	free(clean);
}

int main(int argc, char **argv)
{
	if (!tools_found(argc, argv))
		return check_report();
	CHECK(make_tree("tree"));
	/* EXT2_FUZZ_SCALE=n runs n times the rounds (by hand, for a hunt). */
	unsigned scale = getenv("EXT2_FUZZ_SCALE") ?
			 (unsigned)atoi(getenv("EXT2_FUZZ_SCALE")) : 1;

	check_cases(1024);
	check_cases(4096);
	fuzz(1024, 300 * scale);
	fuzz(4096, 150 * scale);
	return check_report();
}
