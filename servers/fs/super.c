/*
 * Mount, sync and unmount; the superblock and the group descriptors; log
 * lines and the clock. The primary superblock lives in fs->sb while
 * mounted (its free counts change with every allocation) and is copied
 * into its block at sync. Group descriptors stay in the block cache and are
 * checked each time one is used, so one damaged group fails alone.
 *
 * Supported: revision 1, blocks of 1, 2 or 4 KiB, INCOMPAT filetype,
 * RO_COMPAT sparse_super and large_file; any COMPAT feature is ignored
 * (dir_index: directories we change lose their index flag, as the
 * feature allows). Anything else INCOMPAT refuses the mount; anything else
 * RO_COMPAT mounts read-only.
 */
#include <string.h>
#include "ext2_int.h"

static void put_num(char *line, size_t *n, size_t cap, uint64_t v, bool hex)
{
	char digits[24];
	int k = 0;

	if (hex && *n + 2 < cap) {
		line[(*n)++] = '0';
		line[(*n)++] = 'x';
	}
	do {
		unsigned d = (unsigned)(v % (hex ? 16 : 10));

		digits[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= hex ? 16 : 10;
	} while (v);
	while (k > 0 && *n + 1 < cap)
		line[(*n)++] = digits[--k];
}

static void log_line(struct ext2_fs *fs, const char *what, uint64_t num,
		     bool hex)
{
	char line[128];
	size_t n = 0, w = strlen(what);

	if (!fs->env.log)
		return;
	memcpy(line, "ext2: ", 6);
	n = 6;
	if (w > sizeof(line) - 32)
		w = sizeof(line) - 32;
	memcpy(line + n, what, w);
	n += w;
	line[n++] = ' ';
	put_num(line, &n, sizeof(line), num, hex);
	line[n] = '\0';
	fs->env.log(fs->env.ctx, line);
}

void fs_log(struct ext2_fs *fs, const char *what, uint64_t num)
{
	log_line(fs, what, num, false);
}

/* A damaged disk: one log line, and the error the operation returns. The
 * superblock records it (EXT2_ERROR_FS, kept past unmount) so that the
 * next e2fsck run checks the disk. */
int fs_corrupt(struct ext2_fs *fs, const char *what, uint64_t num)
{
	log_line(fs, what, num, false);
	if (!(fs->mount_state & EXT2_ERROR_FS)) {
		fs->mount_state |= EXT2_ERROR_FS;
		fs->sb.s_state |= EXT2_ERROR_FS;
		fs->sb_dirty = true;
	}
	return -ERR_IO;
}

uint32_t fs_now(struct ext2_fs *fs)
{
	return fs->env.now ? fs->env.now(fs->env.ctx) : 0;
}

bool fs_block_valid(const struct ext2_fs *fs, uint64_t blk)
{
	return blk < fs->sb.s_blocks_count;
}

void fs_super_dirty(struct ext2_fs *fs)
{
	fs->sb_dirty = true;
}

/* Group g's descriptor, pinned in *b (bput it; bdirty it if changed).
 * -ERR_IO if its bitmaps or inode table lie outside the file system. */
int fs_group_desc(struct ext2_fs *fs, uint32_t group, struct ext2_buf **b,
		  struct ext2_group_desc **gd)
{
	uint32_t per = fs->bsize / sizeof(struct ext2_group_desc);
	uint32_t table_blocks = (uint32_t)(((uint64_t)fs->sb.s_inodes_per_group *
				 fs->inode_size + fs->bsize - 1) / fs->bsize);
	struct ext2_group_desc *d;
	int r;

	if (group >= fs->groups)
		return fs_corrupt(fs, "group number out of range", group);
	r = bget(fs, fs->gdt_block + group / per, b);
	if (r < 0)
		return r;
	d = (struct ext2_group_desc *)(*b)->data + group % per;
	if (d->bg_block_bitmap < fs->sb.s_first_data_block ||
	    !fs_block_valid(fs, d->bg_block_bitmap) ||
	    d->bg_inode_bitmap < fs->sb.s_first_data_block ||
	    !fs_block_valid(fs, d->bg_inode_bitmap) ||
	    d->bg_inode_table < fs->sb.s_first_data_block ||
	    !fs_block_valid(fs, (uint64_t)d->bg_inode_table + table_blocks - 1)) {
		bput(fs, *b);
		return fs_corrupt(fs, "group descriptor damaged, group", group);
	}
	*gd = d;
	return 0;
}

/* Check the superblock's geometry; fill in the derived fields. */
static int check_geometry(struct ext2_fs *fs)
{
	struct ext2_super_block *sb = &fs->sb;
	uint64_t data_blocks, gdt_bytes;

	if (sb->s_log_block_size > 2)
		return fs_corrupt(fs, "unsupported block size, log", sb->s_log_block_size);
	fs->bsize = 1024u << sb->s_log_block_size;
	fs->ptrs_per_block = fs->bsize / 4;
	fs->inode_size = sb->s_inode_size;
	if (fs->inode_size < 128 || fs->inode_size > fs->bsize ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return fs_corrupt(fs, "bad inode size", fs->inode_size);
	if (sb->s_first_data_block != (fs->bsize == 1024 ? 1u : 0u))
		return fs_corrupt(fs, "bad first data block", sb->s_first_data_block);
	if (sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > fs->bsize * 8 ||
	    sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > fs->bsize * 8)
		return fs_corrupt(fs, "bad blocks or inodes per group",
				  sb->s_blocks_per_group);
	if (sb->s_blocks_count <= sb->s_first_data_block)
		return fs_corrupt(fs, "bad block count", sb->s_blocks_count);
	if ((uint64_t)sb->s_blocks_count * fs->bsize > fs->env.dev_bytes)
		return fs_corrupt(fs, "file system larger than the device, blocks",
				  sb->s_blocks_count);
	data_blocks = sb->s_blocks_count - sb->s_first_data_block;
	fs->groups = (uint32_t)((data_blocks + sb->s_blocks_per_group - 1) /
				sb->s_blocks_per_group);
	if ((uint64_t)fs->groups * sb->s_inodes_per_group != sb->s_inodes_count)
		return fs_corrupt(fs, "inode count does not match the groups",
				  sb->s_inodes_count);
	if (sb->s_first_ino <= EXT2_ROOT_INO || sb->s_first_ino > sb->s_inodes_count)
		return fs_corrupt(fs, "bad first inode", sb->s_first_ino);
	fs->gdt_block = sb->s_first_data_block + 1;
	gdt_bytes = (uint64_t)fs->groups * sizeof(struct ext2_group_desc);
	if (fs->gdt_block + (gdt_bytes + fs->bsize - 1) / fs->bsize >
	    sb->s_blocks_count)
		return fs_corrupt(fs, "group descriptors past the end", fs->groups);
	return 0;
}

/* Largest file: what the block map can address, capped so that i_blocks
 * (32 bits of 512-byte units) cannot overflow, and at 2 GiB - 1 without
 * large_file (which we set when a file passes it). */
static uint64_t max_file_size(const struct ext2_fs *fs)
{
	uint64_t p = fs->ptrs_per_block;
	uint64_t blocks = EXT2_NDIR_BLOCKS + p + p * p + p * p * p;
	uint64_t by_map = blocks * fs->bsize;
	uint64_t by_count = ((uint64_t)1 << 41) - ((uint64_t)64 << 20);

	return by_map < by_count ? by_map : by_count;
}

int ext2_mount(struct ext2_fs *fs, const struct ext2_env *env, unsigned flags)
{
	static uint8_t raw[1024] __attribute__((aligned(8)));
	void *bufs[1] = { raw };
	struct ext2_super_block *sb = &fs->sb;
	uint32_t unknown;
	int r;

	memset(fs, 0, sizeof(*fs));
	if (!env || !env->dev || !env->dev->read || !env->dev->write ||
	    !env->dev->flush)
		return -ERR_INVAL;
	fs->env = *env;
	if (env->dev_bytes < 2048)
		return fs_corrupt(fs, "device too small for a superblock",
				  env->dev_bytes);
	/* Block 1 of 1 KiB is the superblock whatever the block size. */
	r = env->dev->read(env->dev_ctx, 1, 1024, 1, bufs);
	if (r < 0) {
		fs_log(fs, "device read failed at block", 1);
		return r;
	}
	memcpy(sb, raw, sizeof(*sb));
	if (sb->s_magic != EXT2_SUPER_MAGIC) {
		r = fs_corrupt(fs, "bad magic number", sb->s_magic);
		sb->s_magic = 0;
		return r;
	}
	if (sb->s_rev_level != EXT2_DYNAMIC_REV) {
		fs_log(fs, "unsupported revision", sb->s_rev_level);
		return -ERR_NOTSUP;
	}
	unknown = sb->s_feature_incompat & ~(uint32_t)EXT2_INCOMPAT_SUPPORTED;
	if (unknown) {
		log_line(fs, "refusing to mount: unknown incompatible features",
			 unknown, true);
		return -ERR_NOTSUP;
	}
	r = check_geometry(fs);
	if (r < 0)
		return r;
	fs->read_only = (flags & EXT2_MOUNT_RDONLY) != 0;
	unknown = sb->s_feature_ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPPORTED;
	if (unknown) {
		log_line(fs, "mounting read-only: unknown read-only features",
			 unknown, true);
		fs->read_only = true;
	}
	fs->max_size = max_file_size(fs);
	r = cache_init(fs);
	if (r < 0)
		return r;
	trial_init(fs);
	{
		struct ext2_inode root;

		r = inode_load(fs, EXT2_ROOT_INO, &root);
		if (r < 0)
			return r;
		if (!is_dir(&root))
			return fs_corrupt(fs, "root inode is not a directory, mode",
					  root.i_mode);
	}
	if (!fs->read_only) {
		/* As Linux's ext2: "not clean" on disk while mounted, so that
		 * a crash is seen; the state found comes back at unmount. */
		fs->mount_state = sb->s_state;
		if (!(sb->s_state & EXT2_VALID_FS))
			fs_log(fs, "mounting a file system not cleanly unmounted, state",
			       sb->s_state);
		if (sb->s_state & EXT2_ERROR_FS)
			fs_log(fs, "mounting a file system with errors, state",
			       sb->s_state);
		sb->s_state &= (uint16_t)~EXT2_VALID_FS;
		sb->s_mnt_count++;
		sb->s_mtime = fs_now(fs);
		fs->sb_dirty = true;
		r = ext2_sync(fs);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every dirty block to the disk, then a device flush. */
int ext2_sync(struct ext2_fs *fs)
{
	uint32_t blk = EXT2_SUPERBLOCK_OFFSET / fs->bsize;
	uint32_t off = EXT2_SUPERBLOCK_OFFSET % fs->bsize;
	struct ext2_buf *b;
	int r;

	if (fs->read_only)
		return 0;
	if (fs->sb_dirty) {
		fs->sb.s_wtime = fs_now(fs);
		r = bget(fs, blk, &b);
		if (r < 0)
			return r;
		memcpy(b->data + off, &fs->sb, sizeof(fs->sb));
		bdirty(b);
		bput(fs, b);
		fs->sb_dirty = false;
	}
	r = cache_write_back_flush(fs);
	if (r < 0)
		return r;
	fs->flushes++;
	return 0;
}

int ext2_unmount(struct ext2_fs *fs)
{
	if (!fs->read_only) {
		fs->sb.s_state = fs->mount_state;
		fs->sb_dirty = true;
	}
	return ext2_sync(fs);
}
