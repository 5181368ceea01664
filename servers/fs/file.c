/*
 * File contents by inode number: read and write at an offset, truncate,
 * stat, fsync. Holes read as zeros; a block that a write or truncate makes
 * part of the file is zero outside the written bytes, so the bytes past
 * the end of a file are always zero on the disk and growing a file never
 * shows old data. Access times are not updated on read (as with noatime).
 */
#include <string.h>
#include "ext2_int.h"

#define READ_AHEAD 32	/* blocks fetched in one request on a sequential miss */

/* Count the file blocks after lblk (up to max) whose disk blocks follow
 * pblk without a gap, to fetch them with one request. */
static uint32_t contiguous_run(struct ext2_fs *fs, uint32_t ino,
			       struct ext2_inode *in, uint64_t lblk,
			       uint32_t pblk, uint32_t max)
{
	uint64_t wanted_blk = fs->wanted_blk;
	uint32_t n = 0, next, k, wanted_count = fs->wanted_count;

	while (n < max && bmap_run(fs, ino, in, lblk + n, max - n, &next, &k) == 0 &&
	       next && next == pblk + n)
		n += k;
	if (n == 0)
		n = 1;
	/* An uncached indirect block here only ends the run. */
	fs->wanted_blk = wanted_blk;
	fs->wanted_count = wanted_count;
	return n;
}

static int64_t read_data(struct ext2_fs *fs, uint32_t ino, uint64_t off,
			 void *buf, size_t len)
{
	struct ext2_inode in;
	uint64_t size, done = 0, ext_lblk = 0;
	uint32_t ext_pblk = 0, ext_n = 0;	/* the run bmap_run last gave */
	int r = inode_load(fs, ino, &in);

	if (r < 0)
		return r;
	if (is_dir(&in))
		return -ERR_ISDIR;
	size = inode_size(&in);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (!inode_has_blocks(&in)) {
		/* A fast symbolic link: the target is in i_block itself. */
		if ((in.i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
			return -ERR_INVAL;
		memcpy(buf, (const uint8_t *)in.i_block + off, len);
		return (int64_t)len;
	}
	while (done < len) {
		uint64_t pos = off + done, lblk = pos / fs->bsize;
		uint32_t boff = (uint32_t)(pos % fs->bsize), pblk;
		size_t n = fs->bsize - boff;
		struct ext2_buf *b;

		if (n > len - done)
			n = (size_t)(len - done);
		if (lblk >= ext_lblk && lblk - ext_lblk < ext_n) {
			pblk = ext_pblk ? ext_pblk + (uint32_t)(lblk - ext_lblk) : 0;
		} else {
			uint64_t want = (len - done + boff + fs->bsize - 1) / fs->bsize;
			r = bmap_run(fs, ino, &in, lblk, want < 1024 ? (uint32_t)want : 1024,
				     &pblk, &ext_n);
			if (r < 0)
				break;
			ext_lblk = lblk;
			ext_pblk = pblk;
		}
		if (pblk == 0) {
			memset((uint8_t *)buf + done, 0, n);
		} else {
			uint64_t left = (len - done + boff + fs->bsize - 1) / fs->bsize;

			if (left > 1 && !cache_has(fs, pblk)) {
				uint32_t run = contiguous_run(fs, ino, &in, lblk, pblk,
					left < READ_AHEAD ? (uint32_t)left : READ_AHEAD);

				if (run > 1 &&
				    cache_prefetch(fs, pblk, run) == -ERR_AGAIN) {
					r = -ERR_AGAIN;
					break;
				}
			}
			r = bget(fs, pblk, &b);
			if (r < 0)
				break;
			memcpy((uint8_t *)buf + done, b->data + boff, n);
			bput(fs, b);
		}
		done += n;
	}
	/* nowait: a short count for what was cached, so that a read larger
	 * than the cache still makes progress; -ERR_AGAIN if nothing was. */
	return done > 0 ? (int64_t)done : r;
}

int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf,
		  size_t len)
{
	int64_t r;

	nowait_begin(fs);
	r = read_data(fs, ino, off, buf, len);
	nowait_end(fs);
	return r;
}

/* Block lblk of ino (its map and its data) into the cache; a hole: 0. */
static int prepare_block(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk)
{
	struct ext2_buf *b;
	uint32_t pblk;
	int r = bmap(fs, ino, in, lblk, false, &pblk, NULL);

	if (r < 0 || !pblk)
		return r;
	if ((r = bget(fs, pblk, &b)) < 0)
		return r;
	bput(fs, b);
	return 0;
}

/* What a stat and two one-byte reads did before a write, with one inode
 * load and no copies (the write-back of every page pays it). */
int ext2_write_prepare(struct ext2_fs *fs, uint32_t ino, uint64_t off, uint64_t len,
		       uint64_t *size)
{
	struct ext2_inode in;
	uint64_t end = off + len;
	int r;

	*size = 0;
	nowait_begin(fs);
	r = inode_load(fs, ino, &in);
	if (r < 0)
		goto out;
	*size = inode_size(&in);
	if (is_dir(&in) || !inode_has_blocks(&in) || off >= *size)
		goto out;
	if (end > *size || end < off)
		end = *size;	/* past the end: nothing to read there */
	r = prepare_block(fs, ino, &in, off / fs->bsize);
	if (r == 0 && len && end % fs->bsize &&
	    (end - 1) / fs->bsize != off / fs->bsize)
		r = prepare_block(fs, ino, &in, (end - 1) / fs->bsize);
out:
	nowait_end(fs);
	return r;
}

/*
 * Read-ahead in nowait mode: -ERR_AGAIN names (ext2_wanted) the first run
 * of ino's blocks in [off, off+len) that is not cached, up to
 * CACHE_RUN_MAX blocks consecutive on the disk, for the caller to read
 * asynchronously; nothing is copied. 0 if there is none (cached, holes,
 * past the end) or nowait is off.
 */
int ext2_readahead(struct ext2_fs *fs, uint32_t ino, uint64_t off, uint64_t len)
{
	struct ext2_inode in;
	uint64_t size;
	uint32_t pblk;
	int r;

	if (!fs->nowait_wanted || !len)
		return 0;
	nowait_begin(fs);
	r = inode_load(fs, ino, &in);
	if (r < 0 || is_dir(&in) || !inode_has_blocks(&in) || off >= (size = inode_size(&in)))
		goto out;
	if (len > size - off)
		len = size - off;
	for (uint64_t lblk = off / fs->bsize, last = (off + len - 1) / fs->bsize; lblk <= last;) {
		uint64_t span = last - lblk + 1;
		uint32_t k, j = 0;
		if ((r = bmap_run(fs, ino, &in, lblk, span < 1024 ? (uint32_t)span : 1024,
				  &pblk, &k)) < 0)
			break;
		while (pblk && j < k && cache_has(fs, pblk + j))
			j++;
		if (!pblk || j == k) {
			lblk += k;
			continue;
		}
		lblk += j;
		pblk += j;
		uint64_t left = last - lblk + 1;
		uint32_t run = contiguous_run(fs, ino, &in, lblk, pblk,
					      left < CACHE_RUN_MAX ? (uint32_t)left : CACHE_RUN_MAX);
		fs->wanted_blk = pblk;
		fs->wanted_count = run;
		r = -ERR_AGAIN;
		break;
	}
out:
	nowait_end(fs);
	return r;
}

/* Inode ino for a change of its data: a regular file on a writable file
 * system. 0, -ERR_ROFS, -ERR_ISDIR, -ERR_INVAL (not a regular file) or
 * inode_load's error. */
static int load_writable(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int r;

	if (fs->read_only)
		return -ERR_ROFS;
	r = inode_load(fs, ino, in);
	if (r < 0)
		return r;
	if (is_dir(in))
		return -ERR_ISDIR;
	if ((in->i_mode & EXT2_S_IFMT) != EXT2_S_IFREG)
		return -ERR_INVAL;
	return 0;
}

/* Copy len bytes of buf into ino's blocks from off, allocating as it
 * goes; *done: the bytes copied. 0, or the first error. */
static int write_span(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
		      const void *buf, size_t len, uint64_t *done_out)
{
	uint64_t done = 0;
	int r = 0;

	while (done < len) {
		uint64_t pos = off + done, lblk = pos / fs->bsize;
		uint32_t boff = (uint32_t)(pos % fs->bsize), pblk;
		size_t n = fs->bsize - boff;
		struct ext2_buf *b;
		bool fresh;

		if (n > len - done)
			n = (size_t)(len - done);
		r = bmap(fs, ino, in, lblk, true, &pblk, &fresh);
		if (r < 0)
			break;
		if (n == fs->bsize)
			r = bget_whole(fs, pblk, &b);	/* the memcpy fills it */
		else if (fresh)
			r = bget_zero(fs, pblk, &b);
		else
			r = bget(fs, pblk, &b);
		if (r < 0)
			break;
		memcpy(b->data + boff, (const uint8_t *)buf + done, n);
		bdirty(b);
		bput(fs, b);
		done += n;
	}
	*done_out = done;
	return r;
}

/* After writing up to `end` (done bytes, r the first error): the size,
 * the blocks an error left past the end, the times, the inode stored. */
static int64_t write_finish(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
			    uint64_t end, uint64_t done, int r)
{
	int r2;

	/* Store even after an error: bmap may have added blocks. An indirect
	 * block it added past the end without its data block goes again. */
	if (end > inode_size(in))
		inode_set_size(fs, in, end);
	if (r < 0)
		(void)bmap_truncate(fs, in, (inode_size(in) + fs->bsize - 1) / fs->bsize);
	if (done > 0)
		in->i_mtime = in->i_ctime = fs_now(fs);
	r2 = inode_store(fs, ino, in);
	if (r2 < 0)
		return r2;
	return done > 0 ? (int64_t)done : r;
}

static int64_t do_write(struct ext2_fs *fs, uint32_t ino, uint64_t off,
			const void *buf, size_t len)
{
	struct ext2_inode in;
	uint64_t done = 0;
	int r;

	r = load_writable(fs, ino, &in);
	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	if (off >= fs->max_size)
		return -ERR_FBIG;
	if (len > fs->max_size - off)
		len = (size_t)(fs->max_size - off);
	r = write_span(fs, ino, &in, off, buf, len, &done);
	return write_finish(fs, ino, &in, off + done, done, r);
}

static int64_t do_write_v(struct ext2_fs *fs, uint32_t ino, const struct ext2_wpiece *v,
			  uint32_t n)
{
	struct ext2_inode in;
	uint64_t total = 0, end = 0;
	int r = load_writable(fs, ino, &in);

	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n && r == 0; i++) {
		uint64_t len = v[i].len, done = 0;
		if (!len)
			continue;
		if (v[i].off >= fs->max_size) {
			r = -ERR_FBIG;
			break;
		}
		if (len > fs->max_size - v[i].off)
			len = fs->max_size - v[i].off;
		r = write_span(fs, ino, &in, v[i].off, v[i].buf, (size_t)len, &done);
		total += done;
		if (done && v[i].off + done > end)
			end = v[i].off + done;
	}
	return write_finish(fs, ino, &in, end, total, r);
}

static int do_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	struct ext2_inode in;
	int r, r2;

	r = load_writable(fs, ino, &in);
	if (r < 0)
		return r;
	if (size > fs->max_size)
		return -ERR_FBIG;
	if (size < inode_size(&in)) {
		uint32_t tail = (uint32_t)(size % fs->bsize), pblk;

		r = bmap_truncate(fs, &in, (size + fs->bsize - 1) / fs->bsize);
		if (r == 0 && tail)
			r = bmap(fs, ino, &in, size / fs->bsize, false, &pblk, NULL);
		if (r == 0 && tail && pblk) {
			struct ext2_buf *b;

			/* Zero the cut-off bytes of the last block, so a
			 * later grow reads zeros there. */
			r = bget(fs, pblk, &b);
			if (r == 0) {
				memset(b->data + tail, 0, fs->bsize - tail);
				bdirty(b);
				bput(fs, b);
			}
		}
	}
	/* After an error the size stays: blocks already freed are holes
	 * inside the file, and a retry frees the rest. */
	if (r == 0) {
		inode_set_size(fs, &in, size);
		in.i_mtime = in.i_ctime = fs_now(fs);
	}
	r2 = inode_store(fs, ino, &in);
	return r < 0 ? r : r2;
}

int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
	struct ext2_inode in;
	int r;

	nowait_begin(fs);
	r = inode_load(fs, ino, &in);
	nowait_end(fs);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->ino = ino;
	st->mode = in.i_mode;
	st->nlink = in.i_links_count;
	st->uid = in.i_uid;
	st->gid = in.i_gid;
	st->size = inode_size(&in);
	st->blocks = in.i_blocks;
	st->blksize = fs->bsize;
	st->atime = in.i_atime;
	st->mtime = in.i_mtime;
	st->ctime = in.i_ctime;
	return 0;
}

/* All dirty blocks, not only this file's, then a device flush: simple,
 * and at least as strong as fsync asks. */
int ext2_fsync(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode in;
	int r = inode_load(fs, ino, &in);

	if (r < 0)
		return r;
	return ext2_sync(fs);
}

int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off,
		   const void *buf, size_t len)
{
	fs->changes++;	/* direct.c */
	bool trial = trial_begin(fs);
	int64_t r = do_write(fs, ino, off, buf, len);

	if (trial && trial_end(fs, r))
		r = do_write(fs, ino, off, buf, len);	/* too big for a trial */
	return r;
}

int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	fs->changes++;
	bool trial = trial_begin(fs);
	int r = do_truncate(fs, ino, size);

	if (trial && trial_end(fs, r))
		r = do_truncate(fs, ino, size);	/* too big for a trial */
	return r;
}

int64_t ext2_write_v(struct ext2_fs *fs, uint32_t ino, const struct ext2_wpiece *v, uint32_t n)
{
	fs->changes++;	/* direct.c */
	bool trial = trial_begin(fs);
	int64_t r = do_write_v(fs, ino, v, n);

	if (trial && trial_end(fs, r))
		r = do_write_v(fs, ino, v, n);	/* too big for a trial */
	return r;
}

/* The block map down to block lblk of ino: -ERR_AGAIN in nowait mode if
 * a block of it is not cached. */
static int prepare_map(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk)
{
	uint32_t pblk;

	return bmap(fs, ino, in, lblk, false, &pblk, NULL);
}

int ext2_write_prepare_v(struct ext2_fs *fs, uint32_t ino, const struct ext2_wpiece *v,
			 uint32_t n, uint64_t *size)
{
	struct ext2_inode in;
	int r;

	*size = 0;
	nowait_begin(fs);
	r = inode_load(fs, ino, &in);
	if (r < 0)
		goto out;
	*size = inode_size(&in);
	if (is_dir(&in) || !inode_has_blocks(&in))
		goto out;
	for (uint32_t i = 0; i < n && r == 0; i++) {
		uint64_t off = v[i].off, end = off + v[i].len, first = off / fs->bsize;
		if (off >= *size || !v[i].len)
			continue;
		if (end > *size || end < off)
			end = *size;	/* past the end: nothing to read there */
		/* A block written whole needs its map, not its data. */
		if (off % fs->bsize == 0 && end - off >= fs->bsize)
			r = prepare_map(fs, ino, &in, first);
		else
			r = prepare_block(fs, ino, &in, first);
		if (r == 0 && end % fs->bsize && (end - 1) / fs->bsize != first)
			r = prepare_block(fs, ino, &in, (end - 1) / fs->bsize);
	}
out:
	nowait_end(fs);
	return r;
}
