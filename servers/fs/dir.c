/*
 * Directories: a directory's blocks hold a chain of entries, each reaching
 * the next with rec_len, the last running to the end of its block.
 *
 *   | inode | rec_len | name_len | file_type | name ... pad | next entry ...
 *
 * An unused entry has inode 0 (only as the first of a block; elsewhere
 * removal merges an entry into the one before it). Every entry is checked
 * before use: one that runs past its block, or a name longer than its
 * record, ends the scan of that block with -ERR_IO and a log line, and the
 * scan goes on with the next block, so the other names stay reachable.
 * Functions taking `din` change it (size, times, index flag) and store it.
 */
#include <string.h>
#include "ext2_int.h"

uint8_t dir_type_of(uint16_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:	return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR:	return EXT2_FT_DIR;
	case EXT2_S_IFCHR:	return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK:	return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO:	return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK:	return EXT2_FT_SOCK;
	case EXT2_S_IFLNK:	return EXT2_FT_SYMLINK;
	default:		return EXT2_FT_UNKNOWN;
	}
}

static bool has_filetype(const struct ext2_fs *fs)
{
	return fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
}

/* The entry at byte off of a directory block, or NULL (and a log line)
 * if it does not fit in the block. */
static struct ext2_dir_entry_2 *entry_at(struct ext2_fs *fs, uint32_t dir,
					 uint8_t *data, uint32_t off)
{
	struct ext2_dir_entry_2 *e = (struct ext2_dir_entry_2 *)(data + off);

	if (off + EXT2_DIR_ENTRY_HEADER > fs->bsize ||
	    e->rec_len < EXT2_DIR_ENTRY_HEADER ||
	    (e->rec_len & 3) || off + e->rec_len > fs->bsize ||
	    (uint32_t)e->name_len + EXT2_DIR_ENTRY_HEADER > e->rec_len ||
	    (!has_filetype(fs) && e->file_type != 0)) {
		fs_corrupt(fs, "directory entry runs past its block, directory", dir);
		return NULL;
	}
	return e;
}

/* The disk block of directory block lblk, pinned. */
static int dir_block(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
		     uint64_t lblk, struct ext2_buf **b)
{
	uint32_t pblk;
	int r = bmap(fs, dir, din, lblk, false, &pblk, NULL);

	if (r < 0)
		return r;
	if (pblk == 0)
		return fs_corrupt(fs, "hole in directory", dir);
	return bget(fs, pblk, b);
}

/* Blocks to scan: what i_size says, capped by the blocks the inode has
 * (i_blocks, indirect ones included), so that a damaged size costs no
 * more than the directory's real length. */
static uint64_t dir_nblocks(const struct ext2_fs *fs,
			    const struct ext2_inode *din)
{
	uint64_t by_size = din->i_size / fs->bsize;
	uint64_t by_count = (uint64_t)din->i_blocks * 512 / fs->bsize;

	return by_size < by_count ? by_size : by_count;
}

static void touch(struct ext2_fs *fs, struct ext2_inode *din)
{
	din->i_mtime = din->i_ctime = fs_now(fs);
	din->i_flags &= ~(uint32_t)EXT2_INDEX_FL;	/* we keep no hash index */
}

/* The entry named name[0..len) in directory dir: where it is and what it
 * names. -ERR_NOENT if absent; -ERR_IO if absent and a block could not be
 * searched, or if it names an inode out of range. */
int dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	     const char *name, uint32_t len, struct dir_slot *slot)
{
	uint64_t nblocks = dir_nblocks(fs, din);
	int err = -ERR_NOENT;

	for (uint64_t lblk = 0; lblk < nblocks; lblk++) {
		struct ext2_buf *b;
		uint32_t off = 0, prev = 0;
		int r = dir_block(fs, dir, din, lblk, &b);

		if (r < 0) {
			if (err != -ERR_AGAIN)	/* a retry may yet find it */
				err = r;
			continue;
		}
		while (off < fs->bsize) {
			struct ext2_dir_entry_2 *e = entry_at(fs, dir, b->data, off);

			if (!e) {
				if (err != -ERR_AGAIN)
					err = -ERR_IO;
				break;
			}
			if (e->inode && e->name_len == len &&
			    memcmp(e->name, name, len) == 0) {
				if (e->inode > fs->sb.s_inodes_count) {
					bput(fs, b);
					return fs_corrupt(fs, "directory entry names an inode out of range",
							  e->inode);
				}
				slot->lblk = lblk;
				slot->off = off;
				slot->prev_off = prev;
				slot->ino = e->inode;
				slot->type = e->file_type;
				bput(fs, b);
				return 0;
			}
			prev = off;
			off += e->rec_len;
		}
		bput(fs, b);
	}
	return err;
}

/* Write an entry's fields (its rec_len is set by the caller). */
static void fill(struct ext2_fs *fs, struct ext2_dir_entry_2 *e,
		 const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
	e->inode = ino;
	e->name_len = (uint8_t)len;
	e->file_type = has_filetype(fs) ? type : 0;
	memcpy(e->name, name, len);
}

/* A new entry name -> ino (the caller checked the name is absent): in the
 * first gap big enough, else in a new block. -ERR_NOSPC, -ERR_IO (the
 * directory's size does not match its blocks). */
int dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	    const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
	uint32_t need = EXT2_DIR_REC_LEN(len), pblk;
	uint64_t nblocks = dir_nblocks(fs, din);
	struct ext2_dir_entry_2 *e;
	struct ext2_buf *b;
	bool fresh;
	int r;

	for (uint64_t lblk = 0; lblk < nblocks; lblk++) {
		uint32_t off = 0;

		if (dir_block(fs, dir, din, lblk, &b) < 0)
			continue;
		while (off < fs->bsize && (e = entry_at(fs, dir, b->data, off))) {
			uint32_t used = e->inode ? EXT2_DIR_REC_LEN(e->name_len) : 0;

			if (e->rec_len - used >= need) {
				struct ext2_dir_entry_2 *n = e;

				if (used) {
					n = (struct ext2_dir_entry_2 *)
					    (b->data + off + used);
					n->rec_len = (uint16_t)(e->rec_len - used);
					e->rec_len = (uint16_t)used;
				}
				fill(fs, n, name, len, ino, type);
				bdirty(b);
				bput(fs, b);
				touch(fs, din);
				return inode_store(fs, dir, din);
			}
			off += e->rec_len;
		}
		bput(fs, b);
	}
	/* No room: one more block, holding just this entry. */
	if (din->i_size % fs->bsize || nblocks != din->i_size / fs->bsize)
		return fs_corrupt(fs, "directory size does not match its blocks, directory",
				  dir);
	r = bmap(fs, dir, din, nblocks, true, &pblk, &fresh);
	if (r == 0)
		r = bget_zero(fs, pblk, &b);
	if (r < 0)	/* no block past the size, indirect ones included */
		(void)bmap_truncate(fs, din, nblocks);
	if (r == 0) {
		e = (struct ext2_dir_entry_2 *)b->data;
		e->rec_len = (uint16_t)fs->bsize;
		fill(fs, e, name, len, ino, type);
		bput(fs, b);
		din->i_size += fs->bsize;
	}
	touch(fs, din);
	{
		int r2 = inode_store(fs, dir, din);	/* bmap may have added blocks */

		return r < 0 ? r : r2;
	}
}

/* Remove the entry at slot (from dir_find, with nothing changed since):
 * merged into the entry before it, or cleared if first in its block. */
int dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	       const struct dir_slot *slot)
{
	struct ext2_dir_entry_2 *e, *prev;
	struct ext2_buf *b;
	int r = dir_block(fs, dir, din, slot->lblk, &b);

	if (r < 0)
		return r;
	e = (struct ext2_dir_entry_2 *)(b->data + slot->off);
	if (slot->off == slot->prev_off) {
		e->inode = 0;
	} else {
		prev = (struct ext2_dir_entry_2 *)(b->data + slot->prev_off);
		prev->rec_len = (uint16_t)(prev->rec_len + e->rec_len);
	}
	bdirty(b);
	bput(fs, b);
	touch(fs, din);
	return inode_store(fs, dir, din);
}

/* Point an existing entry at another inode (rename over a name, "..") */
int dir_retarget(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
		 const struct dir_slot *slot, uint32_t ino, uint8_t type)
{
	struct ext2_dir_entry_2 *e;
	struct ext2_buf *b;
	int r = dir_block(fs, dir, din, slot->lblk, &b);

	if (r < 0)
		return r;
	e = (struct ext2_dir_entry_2 *)(b->data + slot->off);
	e->inode = ino;
	e->file_type = has_filetype(fs) ? type : 0;
	bdirty(b);
	bput(fs, b);
	touch(fs, din);
	return inode_store(fs, dir, din);
}

/* 1 if the directory holds nothing but "." and "..", 0 if it holds more. */
int dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din)
{
	uint64_t nblocks = dir_nblocks(fs, din);

	for (uint64_t lblk = 0; lblk < nblocks; lblk++) {
		struct ext2_buf *b;
		uint32_t off = 0;
		int r = dir_block(fs, dir, din, lblk, &b);

		if (r < 0)
			return r;
		while (off < fs->bsize) {
			struct ext2_dir_entry_2 *e = entry_at(fs, dir, b->data, off);

			if (!e) {
				bput(fs, b);
				return -ERR_IO;
			}
			if (e->inode && !(e->name_len == 1 && e->name[0] == '.') &&
			    !(e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.')) {
				bput(fs, b);
				return 0;
			}
			off += e->rec_len;
		}
		bput(fs, b);
	}
	return 1;
}

/* A new directory's first block: "." and "..". din is fresh (inode_init). */
int dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	     uint32_t parent)
{
	struct ext2_dir_entry_2 *e;
	struct ext2_buf *b;
	uint32_t pblk;
	bool fresh;
	int r = bmap(fs, dir, din, 0, true, &pblk, &fresh);

	if (r == 0)
		r = bget_zero(fs, pblk, &b);
	if (r == 0) {
		e = (struct ext2_dir_entry_2 *)b->data;
		e->rec_len = 12;
		fill(fs, e, ".", 1, dir, EXT2_FT_DIR);
		e = (struct ext2_dir_entry_2 *)(b->data + 12);
		e->rec_len = (uint16_t)(fs->bsize - 12);
		fill(fs, e, "..", 2, parent, EXT2_FT_DIR);
		bput(fs, b);
		din->i_size = fs->bsize;
	}
	din->i_links_count = 2;
	{
		int r2 = inode_store(fs, dir, din);

		return r < 0 ? r : r2;
	}
}

static int readdir_at(struct ext2_fs *fs, uint32_t dir, uint64_t *cursor,
		      struct ext2_dirent *out)
{
	struct ext2_inode din;
	uint64_t pos = *cursor;
	int r = inode_load(fs, dir, &din);

	if (r < 0)
		return r;
	if (!is_dir(&din))
		return -ERR_NOTDIR;
	while (pos / fs->bsize < dir_nblocks(fs, &din)) {
		uint64_t lblk = pos / fs->bsize;
		uint32_t from = (uint32_t)(pos % fs->bsize), off = 0;
		struct ext2_buf *b;

		r = dir_block(fs, dir, &din, lblk, &b);
		if (r == -ERR_AGAIN)
			return r;
		*cursor = (lblk + 1) * fs->bsize;	/* past a bad block */
		if (r < 0)
			return r;
		while (off < fs->bsize) {
			struct ext2_dir_entry_2 *e = entry_at(fs, dir, b->data, off);

			if (!e) {
				bput(fs, b);
				return -ERR_IO;
			}
			if (off >= from && e->inode) {
				out->ino = e->inode;
				out->type = e->file_type;
				out->name_len = e->name_len;
				memcpy(out->name, e->name, e->name_len);
				out->name[e->name_len] = '\0';
				*cursor = lblk * fs->bsize + off + e->rec_len;
				bput(fs, b);
				return 1;
			}
			off += e->rec_len;
		}
		bput(fs, b);
		pos = (lblk + 1) * fs->bsize;
	}
	*cursor = pos;
	return 0;
}

int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cursor,
		 struct ext2_dirent *out)
{
	int r;

	nowait_begin(fs);
	r = readdir_at(fs, dir, cursor, out);
	nowait_end(fs);
	return r;
}
