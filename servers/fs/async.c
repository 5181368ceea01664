/*
 * Asynchronous reads into the cache (the nowait mode, ext2.h): the user
 * reserves buffers for the blocks an operation asked for, has the device
 * read into them while it does other work, and completes them. A reserved
 * buffer is pinned, unhashed and marked in flight until then; a block
 * fetched synchronously meanwhile makes the late copy stale (cache.c).
 */
#include "ext2_int.h"

void ext2_set_nowait(struct ext2_fs *fs, bool on)
{
	fs->nowait_wanted = on;
}

void ext2_wanted(const struct ext2_fs *fs, uint64_t *blk, uint32_t *count)
{
	*blk = fs->wanted_blk;
	*count = fs->wanted_count;
}

/* Buffers in flight are chained by block number (flight_hash), so that
 * finding one costs a short chain, not a walk of the whole cache: a
 * 64-block read's reserve and completion look up each of its blocks. */
static int16_t *flight_chain(struct ext2_fs *fs, uint64_t blk)
{
	return &fs->flight_hash[(uint32_t)(blk * 2654435761u) % EXT2_CACHE_HASH];
}

/* The buffer reserved for block blk's asynchronous read, or NULL. */
struct ext2_buf *cache_in_flight(struct ext2_fs *fs, uint64_t blk)
{
	if (fs->in_flight_count == 0)
		return NULL;
	for (int16_t i = *flight_chain(fs, blk); i >= 0; i = fs->bufs[i].flight_next)
		if (fs->bufs[i].blk == blk)
			return &fs->bufs[i];
	return NULL;
}

static void flight_unlink(struct ext2_fs *fs, struct ext2_buf *b)
{
	int16_t *link = flight_chain(fs, b->blk), self = (int16_t)(b - fs->bufs);

	while (*link >= 0 && *link != self)
		link = &fs->bufs[*link].flight_next;
	if (*link == self)
		*link = b->flight_next;
	b->flight_next = -1;
}

/*
 * Buffers for the device to read blocks blk, blk+1, ... into: as many of
 * the first `count` as are neither cached nor already being read, up to
 * the first that is. Returns how many (0: nothing to read), or < 0.
 * Replacing a dirty buffer writes the dirty ones back first (synchronous).
 */
int ext2_cache_reserve(struct ext2_fs *fs, uint64_t blk, uint32_t count,
		       void *bufs[])
{
	struct ext2_buf *run[CACHE_RUN_MAX];
	int n = cache_grab_run(fs, blk, count, run);

	for (int i = 0; i < n; i++) {
		run[i]->in_flight = true;
		run[i]->stale = false;
		run[i]->blk = blk + (uint64_t)i;
		int16_t *chain = flight_chain(fs, run[i]->blk);
		run[i]->flight_next = *chain;
		*chain = (int16_t)(run[i] - fs->bufs);
		bufs[i] = run[i]->data;
		fs->in_flight_count++;
	}
	return n;
}

/* The read of blocks [blk, blk+count) ended with status (0 or < 0). */
void ext2_cache_complete(struct ext2_fs *fs, uint64_t blk, uint32_t count,
			 int status)
{
	if (status == 0) {
		fs->dev_reads++;
		fs->blocks_read += count;
	} else {
		fs_log(fs, "device read failed at block", blk);
	}
	for (uint32_t i = 0; i < count; i++) {
		struct ext2_buf *b = cache_in_flight(fs, blk + i);

		if (!b)
			continue;
		flight_unlink(fs, b);
		b->in_flight = false;
		b->refs = 0;
		fs->in_flight_count--;
		/* A copy read synchronously meanwhile is newer: keep it. */
		if (status == 0 && !b->stale && !cache_has(fs, blk + i))
			cache_install(fs, b, blk + i);
	}
}
