/*
 * Block and inode allocation: the bitmaps, and the free counts in the
 * group descriptors and the superblock, changed together so that they stay
 * exact. Blocks are taken near a goal (the inode's group, after the last
 * block of the file) so a file's blocks run together; a directory's inode
 * goes to a roomy group, a file's inode next to its directory.
 */
#include "ext2_int.h"

/* First clear bit in [from, nbits), or -1. */
static int64_t find_clear(const uint8_t *map, uint32_t from, uint32_t nbits)
{
	uint32_t i = from;

	while (i < nbits) {
		if ((i & 7) == 0 && map[i / 8] == 0xff) {
			i += 8;
			continue;
		}
		if (!(map[i / 8] & (1u << (i & 7))))
			return i;
		i++;
	}
	return -1;
}

static uint32_t blocks_in_group(const struct ext2_fs *fs, uint32_t g)
{
	uint64_t start = fs->sb.s_first_data_block +
			 (uint64_t)g * fs->sb.s_blocks_per_group;
	uint64_t left = fs->sb.s_blocks_count - start;

	return left < fs->sb.s_blocks_per_group ? (uint32_t)left :
	       fs->sb.s_blocks_per_group;
}

/* Is blk one of group g's own bitmaps or inode table blocks? */
static bool is_group_metadata(const struct ext2_fs *fs,
			      const struct ext2_group_desc *gd, uint64_t blk)
{
	uint64_t table = ((uint64_t)fs->sb.s_inodes_per_group * fs->inode_size +
			  fs->bsize - 1) / fs->bsize;

	return blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap ||
	       (blk >= gd->bg_inode_table && blk < gd->bg_inode_table + table);
}

/* Take a free block in group g at or after bit `from` (wrapping);
 * 1 if found, 0 if the group is full, < 0 on error. */
static int take_block_in(struct ext2_fs *fs, uint32_t g, uint32_t from,
			 uint32_t *out)
{
	struct ext2_buf *gb, *mb;
	struct ext2_group_desc *gd;
	uint32_t nbits = blocks_in_group(fs, g);
	int64_t bit;
	uint64_t blk;
	int r;

	r = fs_group_desc(fs, g, &gb, &gd);
	if (r < 0)
		return r;
	if (gd->bg_free_blocks_count == 0) {
		bput(fs, gb);
		return 0;
	}
	r = bget(fs, gd->bg_block_bitmap, &mb);
	if (r < 0) {
		bput(fs, gb);
		return r;
	}
	if (from >= nbits)
		from = 0;
	bit = find_clear(mb->data, from, nbits);
	if (bit < 0)
		bit = find_clear(mb->data, 0, from);
	blk = fs->sb.s_first_data_block + (uint64_t)g * fs->sb.s_blocks_per_group +
	      (uint64_t)(bit < 0 ? 0 : bit);
	if (bit < 0 || is_group_metadata(fs, gd, blk)) {
		r = fs_corrupt(fs, bit < 0 ? "free block count wrong, group" :
			       "block bitmap marks metadata free, group", g);
		bput(fs, mb);
		bput(fs, gb);
		return r;
	}
	mb->data[bit / 8] |= (uint8_t)(1u << (bit & 7));
	bdirty(mb);
	gd->bg_free_blocks_count--;
	bdirty(gb);
	fs->sb.s_free_blocks_count--;
	fs_super_dirty(fs);
	bput(fs, mb);
	bput(fs, gb);
	*out = (uint32_t)blk;
	return 1;
}

/* A free block, as near goal as may be. -ERR_NOSPC if none. */
int alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	uint32_t g0 = 0, from = 0;

	if (fs->sb.s_free_blocks_count == 0)
		return -ERR_NOSPC;
	if (goal >= fs->sb.s_first_data_block && goal < fs->sb.s_blocks_count) {
		g0 = (goal - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
		from = (goal - fs->sb.s_first_data_block) % fs->sb.s_blocks_per_group;
	}
	for (uint32_t i = 0; i < fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups;
		int r = take_block_in(fs, g, i == 0 ? from : 0, out);

		/* A damaged group is skipped; the others still serve. A
		 * block to fetch first (nowait) is not damage. */
		if (r == 1)
			return 0;
		if (r == -ERR_AGAIN)
			return r;
	}
	return -ERR_NOSPC;
}

/* Give block blk back. -ERR_IO if it is out of range, one of its group's
 * bitmaps or inode table blocks, or already free (then nothing changes). */
int free_block(struct ext2_fs *fs, uint32_t blk)
{
	struct ext2_buf *gb, *mb;
	struct ext2_group_desc *gd;
	uint32_t g, bit;
	int r;

	fs->changes++;	/* a direct read of blk may be under way (direct.c) */
	if (blk < fs->sb.s_first_data_block || blk >= fs->sb.s_blocks_count)
		return fs_corrupt(fs, "freeing a block out of range", blk);
	g = (blk - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
	bit = (blk - fs->sb.s_first_data_block) % fs->sb.s_blocks_per_group;
	r = fs_group_desc(fs, g, &gb, &gd);
	if (r < 0)
		return r;
	if (is_group_metadata(fs, gd, blk)) {
		bput(fs, gb);
		return fs_corrupt(fs, "freeing a metadata block", blk);
	}
	r = bget(fs, gd->bg_block_bitmap, &mb);
	if (r < 0) {
		bput(fs, gb);
		return r;
	}
	if (!(mb->data[bit / 8] & (1u << (bit & 7)))) {
		r = fs_corrupt(fs, "freeing a free block", blk);
	} else {
		mb->data[bit / 8] &= (uint8_t)~(1u << (bit & 7));
		bdirty(mb);
		gd->bg_free_blocks_count++;
		bdirty(gb);
		fs->sb.s_free_blocks_count++;
		fs_super_dirty(fs);
		cache_forget(fs, blk);
	}
	bput(fs, mb);
	bput(fs, gb);
	return r;
}

/* The group for a new directory: one with at least the average number of
 * free inodes and, among those, the most free blocks. */
static int dir_group(struct ext2_fs *fs, uint32_t *group)
{
	uint32_t avg = fs->sb.s_free_inodes_count / fs->groups;
	uint32_t best = *group, best_blocks = 0;

	for (uint32_t g = 0; g < fs->groups; g++) {
		struct ext2_buf *gb;
		struct ext2_group_desc *gd;
		int r = fs_group_desc(fs, g, &gb, &gd);

		if (r == -ERR_AGAIN)
			return r;
		if (r < 0)
			continue;
		if (gd->bg_free_inodes_count > 0 && gd->bg_free_inodes_count >= avg &&
		    gd->bg_free_blocks_count > best_blocks) {
			best = g;
			best_blocks = gd->bg_free_blocks_count;
		}
		bput(fs, gb);
	}
	*group = best;
	return 0;
}

static int take_inode_in(struct ext2_fs *fs, uint32_t g, bool dir,
			 uint32_t *out)
{
	struct ext2_buf *gb, *mb;
	struct ext2_group_desc *gd;
	uint32_t ipg = fs->sb.s_inodes_per_group;
	int64_t bit = 0;
	int r = 0;

	r = fs_group_desc(fs, g, &gb, &gd);
	if (r < 0)
		return r == -ERR_AGAIN ? r : 0;	/* a damaged group is skipped */
	if (gd->bg_free_inodes_count == 0) {
		bput(fs, gb);
		return 0;
	}
	r = bget(fs, gd->bg_inode_bitmap, &mb);
	if (r < 0) {
		bput(fs, gb);
		return r;
	}
	for (;;) {
		bit = find_clear(mb->data, (uint32_t)bit, ipg);
		if (bit < 0 || (uint64_t)g * ipg + bit + 1 >= fs->sb.s_first_ino)
			break;
		bit++;		/* reserved inodes are never handed out */
	}
	if (bit < 0) {
		r = fs_corrupt(fs, "free inode count wrong, group", g);
	} else {
		mb->data[bit / 8] |= (uint8_t)(1u << (bit & 7));
		bdirty(mb);
		gd->bg_free_inodes_count--;
		if (dir)
			gd->bg_used_dirs_count++;
		bdirty(gb);
		fs->sb.s_free_inodes_count--;
		fs_super_dirty(fs);
		*out = g * ipg + (uint32_t)bit + 1;
		r = 1;
	}
	bput(fs, mb);
	bput(fs, gb);
	return r;
}

/* A free inode for a child of `parent`. -ERR_NOSPC if none. */
int alloc_inode(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *out)
{
	uint32_t g0 = (parent - 1) / fs->sb.s_inodes_per_group;

	if (fs->sb.s_free_inodes_count == 0)
		return -ERR_NOSPC;
	if (g0 >= fs->groups)
		g0 = 0;
	if (dir) {
		int r = dir_group(fs, &g0);

		if (r < 0)
			return r;
	}
	for (uint32_t i = 0; i < fs->groups; i++) {
		int r = take_inode_in(fs, (g0 + i) % fs->groups, dir, out);

		if (r == 1)
			return 0;
		if (r == -ERR_AGAIN)
			return r;
	}
	return -ERR_NOSPC;
}

/* Give inode ino back (dir: one directory less in its group). -ERR_IO if
 * it is already free. */
int free_inode(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;
	uint32_t g = (ino - 1) / ipg, bit = (ino - 1) % ipg;
	struct ext2_buf *gb, *mb;
	struct ext2_group_desc *gd;
	int r;

	r = fs_group_desc(fs, g, &gb, &gd);
	if (r < 0)
		return r;
	r = bget(fs, gd->bg_inode_bitmap, &mb);
	if (r < 0) {
		bput(fs, gb);
		return r;
	}
	if (!(mb->data[bit / 8] & (1u << (bit & 7)))) {
		r = fs_corrupt(fs, "freeing a free inode", ino);
	} else {
		mb->data[bit / 8] &= (uint8_t)~(1u << (bit & 7));
		bdirty(mb);
		gd->bg_free_inodes_count++;
		if (dir && gd->bg_used_dirs_count)
			gd->bg_used_dirs_count--;
		bdirty(gb);
		fs->sb.s_free_inodes_count++;
		fs_super_dirty(fs);
	}
	bput(fs, mb);
	bput(fs, gb);
	return r;
}
