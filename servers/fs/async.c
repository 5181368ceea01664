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

/* The buffer reserved for block blk's asynchronous read, or NULL. */
struct ext2_buf *cache_in_flight(struct ext2_fs *fs, uint64_t blk)
{
	if (fs->in_flight_count == 0)
		return NULL;
	for (uint32_t i = 0; i < fs->nbufs; i++)
		if (fs->bufs[i].in_flight && fs->bufs[i].blk == blk)
			return &fs->bufs[i];
	return NULL;
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
		b->in_flight = false;
		b->refs = 0;
		fs->in_flight_count--;
		/* A copy read synchronously meanwhile is newer: keep it. */
		if (status == 0 && !b->stale && !cache_has(fs, blk + i))
			cache_install(fs, b, blk + i);
	}
}
