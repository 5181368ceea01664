/*
 * The block map of an inode: which disk block holds file block `lblk`.
 *
 *   i_block[0..11]  direct               file blocks 0 .. 11
 *   i_block[12]     single indirect      12 .. 12+p-1           (p = bsize/4)
 *   i_block[13]     double indirect      .. + p*p
 *   i_block[14]     triple indirect      .. + p*p*p
 *
 * A zero pointer is a hole (reads as zeros). bmap() walks the map and, when
 * asked, fills holes with new blocks (new indirect blocks start zeroed);
 * bmap_truncate() frees every block past a length, indirect blocks whose
 * entries all went included; a block it cannot free (a bitmap it cannot
 * read) stays mapped, so the file is never left pointing at a free block.
 * bmap_prepare_free() reads, before a deletion changes anything, every
 * block the deletion will need, so that a read error stops it up front.
 * i_blocks counts every block, in 512-byte units.
 * Every pointer read from the disk is checked against the file system's size.
 */
#include "ext2_int.h"

/* Split lblk into the path of indexes from i_block down; returns the
 * number of indirect levels (0..3), or -ERR_FBIG past the triple block. */
static int block_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t idx[4])
{
	uint64_t p = fs->ptrs_per_block;

	if (lblk < EXT2_NDIR_BLOCKS) {
		idx[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < p) {
		idx[0] = EXT2_IND_BLOCK;
		idx[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= p;
	if (lblk < p * p) {
		idx[0] = EXT2_DIND_BLOCK;
		idx[1] = (uint32_t)(lblk / p);
		idx[2] = (uint32_t)(lblk % p);
		return 2;
	}
	lblk -= p * p;
	if (lblk < p * p * p) {
		idx[0] = EXT2_TIND_BLOCK;
		idx[1] = (uint32_t)(lblk / (p * p));
		idx[2] = (uint32_t)(lblk / p % p);
		idx[3] = (uint32_t)(lblk % p);
		return 3;
	}
	return -ERR_FBIG;
}

static bool data_block_valid(const struct ext2_fs *fs, uint32_t blk)
{
	return blk >= fs->sb.s_first_data_block && blk < fs->sb.s_blocks_count;
}

/* Allocate a block for the inode near goal, counting it in i_blocks. */
static int alloc_counted(struct ext2_fs *fs, struct ext2_inode *in,
			 uint32_t goal, uint32_t *out)
{
	uint32_t units = fs->bsize / 512;

	if (in->i_blocks > UINT32_MAX - units)
		return -ERR_FBIG;
	int r = alloc_block(fs, goal, out);

	if (r == 0)
		in->i_blocks += units;
	return r;
}

/* Free a block of the inode; on failure it stays the inode's. */
static int free_counted(struct ext2_fs *fs, struct ext2_inode *in,
			uint32_t blk)
{
	uint32_t units = fs->bsize / 512;
	int r = free_block(fs, blk);

	if (r == 0)
		in->i_blocks = in->i_blocks > units ? in->i_blocks - units : 0;
	return r;
}

/*
 * The disk block of file block lblk in *pblk (0: a hole, when !alloc).
 * With alloc, a hole gets a new block and *fresh says so: its contents are
 * garbage and the caller must overwrite or zero it. Changes *in (i_block,
 * i_blocks) without storing it.
 */
int bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
	 uint64_t lblk, bool alloc, uint32_t *pblk, bool *fresh)
{
	uint32_t idx[4], cur, goal;
	int depth = block_path(fs, lblk, idx), r;
	struct ext2_buf *b;

	if (fresh)
		*fresh = false;
	*pblk = 0;
	if (depth < 0)
		return depth;
	cur = in->i_block[idx[0]];
	if (cur && !data_block_valid(fs, cur))
		return fs_corrupt(fs, "block number out of range in inode", ino);
	if (!cur) {
		if (!alloc)
			return 0;
		goal = idx[0] > 0 && in->i_block[idx[0] - 1] ?
		       in->i_block[idx[0] - 1] + 1 : inode_group_goal(fs, ino);
		r = alloc_counted(fs, in, goal, &cur);
		if (r < 0)
			return r;
		in->i_block[idx[0]] = cur;
		if (depth > 0) {
			r = bget_zero(fs, cur, &b);
			if (r < 0)
				return r;
			bput(fs, b);
		} else if (fresh) {
			*fresh = true;
		}
	}
	for (int level = 1; level <= depth; level++) {
		uint32_t *ptrs, next;

		r = bget(fs, cur, &b);
		if (r < 0)
			return r;
		ptrs = (uint32_t *)b->data;
		next = ptrs[idx[level]];
		if (next && !data_block_valid(fs, next)) {
			bput(fs, b);
			return fs_corrupt(fs, "block number out of range in indirect block",
					  cur);
		}
		if (!next) {
			if (!alloc) {
				bput(fs, b);
				return 0;
			}
			goal = idx[level] > 0 && ptrs[idx[level] - 1] ?
			       ptrs[idx[level] - 1] + 1 : cur + 1;
			r = alloc_counted(fs, in, goal, &next);
			if (r < 0) {
				bput(fs, b);
				return r;
			}
			ptrs[idx[level]] = next;
			bdirty(b);
			if (level < depth) {
				struct ext2_buf *nb;

				r = bget_zero(fs, next, &nb);
				if (r < 0) {
					bput(fs, b);
					return r;
				}
				bput(fs, nb);
			} else if (fresh) {
				*fresh = true;
			}
		}
		bput(fs, b);
		cur = next;
	}
	*pblk = cur;
	return 0;
}

/* Free the entries of indirect block blk (`level` 1: entries are data
 * blocks) that map file blocks >= start, counted from the first block this
 * one maps. Returns 1 if every entry is now zero, 0 if not, < 0 on error. */
static int trunc_tree(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk,
		      int level, uint64_t start)
{
	uint64_t span = 1;
	uint32_t *ptrs, p = fs->ptrs_per_block;
	struct ext2_buf *b;
	bool empty = true;
	int r, err = 0;

	for (int i = 1; i < level; i++)
		span *= p;
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	ptrs = (uint32_t *)b->data;
	for (uint64_t i = start / span; i < p; i++) {
		uint32_t c = ptrs[i];

		if (!c)
			continue;
		if (!data_block_valid(fs, c)) {
			err = fs_corrupt(fs, "block number out of range in indirect block",
					 blk);
			continue;
		}
		if (level > 1) {
			uint64_t sub = i == start / span ? start - i * span : 0;

			r = trunc_tree(fs, in, c, level - 1, sub);
			if (r < 0) {
				err = r;
				continue;
			}
			if (r == 0)
				continue;
		}
		r = free_counted(fs, in, c);
		if (r < 0) {
			err = r;	/* kept: a retry frees it */
			continue;
		}
		ptrs[i] = 0;
		bdirty(b);
	}
	for (uint32_t i = 0; i < p && empty; i++)
		empty = ptrs[i] == 0;
	bput(fs, b);
	return err < 0 ? err : empty;
}

/* Free every block mapping file blocks >= nblocks. */
int bmap_truncate(struct ext2_fs *fs, struct ext2_inode *in, uint64_t nblocks)
{
	uint64_t p = fs->ptrs_per_block, base = EXT2_NDIR_BLOCKS, span = p;
	int r, err = 0;

	for (uint64_t i = nblocks; i < EXT2_NDIR_BLOCKS; i++) {
		if (!in->i_block[i])
			continue;
		if (data_block_valid(fs, in->i_block[i])) {
			r = free_counted(fs, in, in->i_block[i]);
			if (r < 0) {
				err = r;
				continue;
			}
		} else {
			err = fs_corrupt(fs, "block number out of range in inode",
					 in->i_block[i]);
		}
		in->i_block[i] = 0;
	}
	for (int level = 1; level <= 3; level++) {
		uint32_t *top = &in->i_block[EXT2_NDIR_BLOCKS + level - 1];

		if (nblocks < base + span && *top) {
			uint64_t start = nblocks > base ? nblocks - base : 0;

			if (!data_block_valid(fs, *top)) {
				err = fs_corrupt(fs, "block number out of range in inode",
						 *top);
				*top = 0;
			} else {
				r = trunc_tree(fs, in, *top, level, start);
				if (r < 0)
					err = r;
				if (r == 1) {
					r = free_counted(fs, in, *top);
					if (r < 0)
						err = r;
					else
						*top = 0;
				}
			}
		}
		base += span;
		span *= p;
	}
	return err;
}

/* Read the block bitmap (and group descriptor) covering blk. */
static int touch_bitmap(struct ext2_fs *fs, uint32_t blk)
{
	uint32_t g = (blk - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
	struct ext2_group_desc *gd;
	struct ext2_buf *gb, *mb;
	int r = fs_group_desc(fs, g, &gb, &gd);

	if (r < 0)
		return r;
	r = bget(fs, gd->bg_block_bitmap, &mb);
	bput(fs, gb);
	if (r == 0)
		bput(fs, mb);
	return r;
}

static int prepare_tree(struct ext2_fs *fs, uint32_t blk, int level)
{
	struct ext2_buf *b;
	uint32_t *ptrs;
	int r = touch_bitmap(fs, blk);

	if (r < 0 || level == 0)
		return r;
	r = bget(fs, blk, &b);
	if (r < 0)
		return r;
	ptrs = (uint32_t *)b->data;
	for (uint32_t i = 0; i < fs->ptrs_per_block && r == 0; i++)
		if (ptrs[i] && data_block_valid(fs, ptrs[i]))
			r = prepare_tree(fs, ptrs[i], level - 1);
	bput(fs, b);
	return r;
}

/* Read every indirect block of the inode and every block bitmap its
 * blocks lie under. Out-of-range pointers are left to bmap_truncate. */
int bmap_prepare_free(struct ext2_fs *fs, const struct ext2_inode *in)
{
	int r = 0;

	for (int i = 0; i < EXT2_N_BLOCKS && r == 0; i++) {
		uint32_t blk = in->i_block[i];

		if (blk && data_block_valid(fs, blk))
			r = prepare_tree(fs, blk, i < EXT2_NDIR_BLOCKS ? 0 :
					 i - EXT2_NDIR_BLOCKS + 1);
	}
	return r;
}

/*
 * bmap for reading, by runs: *pblk as bmap gives it (never allocating),
 * and *run, how many blocks from lblk on (at most max) follow it on the
 * disk within the same map block (1 for a hole). A sequential read walks
 * the map once per run, not once per block.
 */
int bmap_run(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk,
	     uint32_t max, uint32_t *pblk, uint32_t *run)
{
	uint32_t idx[4], cur, n = 1, last;
	const uint32_t *ptrs;
	struct ext2_buf *b = NULL;
	int depth = block_path(fs, lblk, idx), r;

	*run = 1;
	if ((r = bmap(fs, ino, in, lblk, false, pblk, NULL)) < 0 || !*pblk || max <= 1)
		return r;
	if (depth == 0) {
		ptrs = in->i_block;
		last = EXT2_NDIR_BLOCKS;
	} else {
		/* The walk bmap just made: every block on it is cached. */
		cur = in->i_block[idx[0]];
		for (int level = 1; level <= depth; level++) {
			if ((r = bget(fs, cur, &b)) < 0)
				return 0;	/* *pblk stands; the run ends here */
			if (level < depth) {
				cur = ((const uint32_t *)b->data)[idx[level]];
				bput(fs, b);
			}
		}
		ptrs = (const uint32_t *)b->data;
		last = fs->ptrs_per_block;
	}
	while (n < max && idx[depth] + n < last && ptrs[idx[depth] + n] == *pblk + n &&
	       data_block_valid(fs, *pblk + n))
		n++;
	if (b)
		bput(fs, b);
	*run = n;
	return 0;
}
