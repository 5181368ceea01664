/*
 * An invariant checker (as Minix's map_sanitycheck): recount the bitmaps
 * and compare them with the group descriptors' and the superblock's free
 * counts, and count the directories in each group's inode table against
 * bg_used_dirs_count. For tests where e2fsck cannot run (the target);
 * the host tests run it beside e2fsck.
 */
#include "ext2_int.h"

static uint32_t count_clear(const uint8_t *map, uint32_t nbits)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < nbits; i++)
		n += !(map[i / 8] & (1u << (i & 7)));
	return n;
}

/* Directories in use among group g's inodes (links > 0, mode directory,
 * bitmap bit set). */
static int count_dirs(struct ext2_fs *fs, uint32_t g, const uint8_t *imap,
		      uint32_t *dirs)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;

	*dirs = 0;
	for (uint32_t i = 0; i < ipg; i++) {
		struct ext2_inode in;
		int r;

		if (!(imap[i / 8] & (1u << (i & 7))))
			continue;
		r = inode_load(fs, g * ipg + i + 1, &in);
		if (r < 0)
			return r;
		*dirs += is_dir(&in) && in.i_links_count > 0;
	}
	return 0;
}

int ext2_check_counts(struct ext2_fs *fs)
{
	uint64_t free_blocks = 0, free_inodes = 0;

	for (uint32_t g = 0; g < fs->groups; g++) {
		uint64_t start = fs->sb.s_first_data_block +
				 (uint64_t)g * fs->sb.s_blocks_per_group;
		uint32_t nblocks = fs->sb.s_blocks_per_group, fb, fi, dirs;
		struct ext2_buf *gb, *bb, *ib;
		struct ext2_group_desc *gd;
		int r = fs_group_desc(fs, g, &gb, &gd);

		if (r < 0)
			return r;
		if (fs->sb.s_blocks_count - start < nblocks)
			nblocks = (uint32_t)(fs->sb.s_blocks_count - start);
		r = bget(fs, gd->bg_block_bitmap, &bb);
		if (r == 0) {
			r = bget(fs, gd->bg_inode_bitmap, &ib);
			if (r < 0)
				bput(fs, bb);
		}
		if (r < 0) {
			bput(fs, gb);
			return r;
		}
		fb = count_clear(bb->data, nblocks);
		fi = count_clear(ib->data, fs->sb.s_inodes_per_group);
		r = count_dirs(fs, g, ib->data, &dirs);
		if (r == 0 && fb != gd->bg_free_blocks_count)
			r = fs_corrupt(fs, "check: free block count wrong, group", g);
		if (r == 0 && fi != gd->bg_free_inodes_count)
			r = fs_corrupt(fs, "check: free inode count wrong, group", g);
		if (r == 0 && dirs != gd->bg_used_dirs_count)
			r = fs_corrupt(fs, "check: directory count wrong, group", g);
		bput(fs, ib);
		bput(fs, bb);
		bput(fs, gb);
		if (r < 0)
			return r;
		free_blocks += fb;
		free_inodes += fi;
	}
	if (free_blocks != fs->sb.s_free_blocks_count)
		return fs_corrupt(fs, "check: superblock free blocks wrong",
				  fs->sb.s_free_blocks_count);
	if (free_inodes != fs->sb.s_free_inodes_count)
		return fs_corrupt(fs, "check: superblock free inodes wrong",
				  fs->sb.s_free_inodes_count);
	return 0;
}
