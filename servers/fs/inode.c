/*
 * Inodes: reading and writing them in the inode table (through the block
 * cache), setting up new ones, and their end. An inode is freed when its
 * last link goes and nobody has it open (env.is_open); an open one stays,
 * with i_links_count 0, until the server's last close calls
 * ext2_inode_release. Until then it is an orphan: e2fsck would report it
 * if the system stopped, as ext2 has no orphan list (docs/ext2.md).
 */
#include <string.h>
#include "ext2_int.h"

#define XATTR_MAGIC 0xEA020000u	/* extended attribute block header */

/* Where inode ino lives: its table block and the byte offset in it. */
static int locate(struct ext2_fs *fs, uint32_t ino, uint64_t *blk,
		  uint32_t *off)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;
	struct ext2_group_desc *gd;
	struct ext2_buf *gb;
	uint64_t byte;
	int r;

	if (ino < 1 || ino > fs->sb.s_inodes_count)
		return fs_corrupt(fs, "inode number out of range", ino);
	r = fs_group_desc(fs, (ino - 1) / ipg, &gb, &gd);
	if (r < 0)
		return r;
	byte = (uint64_t)((ino - 1) % ipg) * fs->inode_size;
	*blk = gd->bg_inode_table + byte / fs->bsize;
	*off = (uint32_t)(byte % fs->bsize);
	bput(fs, gb);
	return 0;
}

/* Copy inode ino (its first 128 bytes) out of the inode table. -ERR_IO if
 * ino is 0 or past s_inodes_count, or its group is damaged. */
int inode_load(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	struct ext2_buf *b;
	uint32_t off;
	uint64_t blk;
	int r = locate(fs, ino, &blk, &off);

	if (r < 0)
		return r;
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	memcpy(in, b->data + off, sizeof(*in));
	bput(fs, b);
	return 0;
}

/* Copy *in back into the inode table (the bytes past 128 untouched). */
int inode_store(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	struct ext2_buf *b;
	uint32_t off;
	uint64_t blk;
	int r = locate(fs, ino, &blk, &off);

	if (r < 0)
		return r;
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	memcpy(b->data + off, in, sizeof(*in));
	bdirty(b);
	bput(fs, b);
	return 0;
}

/* A fresh inode (just allocated) of the given mode: the whole on-disk
 * record zeroed, times now, no links yet. Stored. */
int inode_init(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
	       uint16_t mode)
{
	struct ext2_buf *b;
	uint32_t off, now = fs_now(fs);
	uint64_t blk;
	int r = locate(fs, ino, &blk, &off);

	if (r < 0)
		return r;
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	memset(in, 0, sizeof(*in));
	in->i_mode = mode;
	in->i_atime = in->i_ctime = in->i_mtime = now;
	memset(b->data + off, 0, fs->inode_size);
	if (fs->inode_size > sizeof(*in)) {
		/* i_extra_isize: the ext4 fields after the 128 bytes that
		 * are in use (none of ours; e2fsck wants a sane value). */
		uint16_t extra = 32;

		if (fs->inode_size < sizeof(*in) + extra)
			extra = (uint16_t)(fs->inode_size - sizeof(*in));
		memcpy(b->data + off + sizeof(*in), &extra, sizeof(extra));
	}
	memcpy(b->data + off, in, sizeof(*in));
	bdirty(b);
	bput(fs, b);
	return 0;
}

uint64_t inode_size(const struct ext2_inode *in)
{
	uint64_t size = in->i_size;

	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		size |= (uint64_t)in->i_dir_acl << 32;
	return size;
}

void inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		in->i_dir_acl = (uint32_t)(size >> 32);
	if (size > 0x7fffffffu &&
	    !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
		fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
		fs_super_dirty(fs);
	}
}

/* Do i_block[] hold block pointers? Not for devices, FIFOs, sockets and
 * fast symbolic links (the target text is in i_block itself). */
bool inode_has_blocks(const struct ext2_inode *in)
{
	switch (in->i_mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
	case EXT2_S_IFDIR:
		return true;
	case EXT2_S_IFLNK:
		return in->i_size >= sizeof(in->i_block);
	default:
		return false;
	}
}

/* Where to look first for a block of inode ino: its group's start. */
uint32_t inode_group_goal(struct ext2_fs *fs, uint32_t ino)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;

	return fs->sb.s_first_data_block + g * fs->sb.s_blocks_per_group;
}

/* Drop one reference to the extended attribute block; free it at zero. */
static int release_xattr(struct ext2_fs *fs, uint32_t blk)
{
	struct ext2_buf *b;
	uint32_t *hdr;
	int r;

	if (blk < fs->sb.s_first_data_block || blk >= fs->sb.s_blocks_count)
		return fs_corrupt(fs, "attribute block out of range", blk);
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	hdr = (uint32_t *)b->data;	/* h_magic, h_refcount, ... */
	if (hdr[0] != XATTR_MAGIC) {
		bput(fs, b);
		return fs_corrupt(fs, "bad attribute block", blk);
	}
	if (hdr[1] > 1) {
		hdr[1]--;
		bdirty(b);
		bput(fs, b);
		return 0;
	}
	bput(fs, b);
	return free_block(fs, blk);
}

/*
 * Read everything deleting inode ino will change (its inode bitmap, its
 * indirect and attribute blocks, the block bitmaps over its blocks), so
 * that a name operation that ends in a deletion can fail on a read error
 * before it changes anything.
 */
int inode_prepare_delete(struct ext2_fs *fs, uint32_t ino,
			 const struct ext2_inode *in)
{
	struct ext2_group_desc *gd;
	struct ext2_buf *gb, *b;
	int r = fs_group_desc(fs, (ino - 1) / fs->sb.s_inodes_per_group, &gb, &gd);

	if (r < 0)
		return r;
	r = bget(fs, gd->bg_inode_bitmap, &b);
	bput(fs, gb);
	if (r < 0)
		return r;
	bput(fs, b);
	if (in->i_file_acl && in->i_file_acl < fs->sb.s_blocks_count) {
		r = bget(fs, in->i_file_acl, &b);
		if (r < 0)
			return r;
		bput(fs, b);
	}
	return inode_has_blocks(in) ? bmap_prepare_free(fs, in) : 0;
}

/* The end of an inode: its blocks and its number go back to the free
 * pools; i_dtime records when. If a block cannot be freed, the inode stays
 * allocated with no links (an orphan ext2_inode_release can retry). */
static int inode_delete(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int r = 0;

	in->i_links_count = 0;
	if (inode_has_blocks(in))
		r = bmap_truncate(fs, in, 0);
	if (r == 0 && in->i_file_acl) {
		r = release_xattr(fs, in->i_file_acl);
		if (r == 0) {
			in->i_blocks = in->i_blocks > fs->bsize / 512 ?
				       in->i_blocks - fs->bsize / 512 : 0;
			in->i_file_acl = 0;
		}
	}
	if (r < 0) {
		(void)inode_store(fs, ino, in);
		return r;
	}
	in->i_dtime = fs_now(fs);
	if (in->i_dtime == 0)
		in->i_dtime = 1;	/* 0 would mean "in use" to e2fsck */
	inode_set_size(fs, in, 0);
	r = inode_store(fs, ino, in);
	if (r < 0)
		return r;
	return free_inode(fs, ino, is_dir(in));
}

/* One link less (or, for a directory being removed, all of them: the
 * caller sets i_links_count first and passes in). Frees the inode at zero
 * links unless it is open. Stores *in. */
int inode_drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	if (in->i_links_count > 0)
		in->i_links_count--;
	in->i_ctime = fs_now(fs);
	if (in->i_links_count == 0 &&
	    !(fs->env.is_open && fs->env.is_open(fs->env.ctx, ino)))
		return inode_delete(fs, ino, in);
	return inode_store(fs, ino, in);
}

/* The server's last close of ino: free it if no link is left. */
static int do_inode_release(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode in;
	int r = inode_load(fs, ino, &in);

	if (r < 0)
		return r;
	if (in.i_links_count != 0 || in.i_dtime != 0 || in.i_mode == 0)
		return 0;	/* still linked, or already gone */
	if (fs->read_only)
		return -ERR_ROFS;
	r = inode_prepare_delete(fs, ino, &in);
	if (r < 0)
		return r;
	return inode_delete(fs, ino, &in);
}

int ext2_inode_release(struct ext2_fs *fs, uint32_t ino)
{
	bool trial = trial_begin(fs);
	int r = do_inode_release(fs, ino);

	if (trial && trial_end(fs, r))
		r = do_inode_release(fs, ino);	/* too big for a trial */
	return r;
}
