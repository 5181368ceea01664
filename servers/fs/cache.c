/*
 * The block cache: up to EXT2_CACHE_MAX buffers of one block each, carved
 * from the memory the engine's user gave at mount, found by a hash of the
 * block number. An operation pins the buffers it uses (bget ... bput);
 * an unpinned buffer is replaced least recently used first. Dirty buffers
 * go to the disk in runs of consecutive blocks, one device request per
 * run, when a dirty buffer must be replaced or on sync (the write-back
 * order is by block number, never by use). Runs read from the disk go
 * in adjacent buffers when it can be arranged. Asynchronous reads are
 * async.c's; trials (trial.c) hook into get() and cache_forget().
 */
#include <string.h>
#include "ext2_int.h"

static uint32_t hash_of(uint64_t blk)
{
	return (uint32_t)(blk * 2654435761u) % EXT2_CACHE_HASH;
}

/* Carve the buffers from env.cache_mem. -ERR_NOMEM under EXT2_CACHE_MIN. */
int cache_init(struct ext2_fs *fs)
{
	uintptr_t mem = ((uintptr_t)fs->env.cache_mem + 7) & ~(uintptr_t)7;
	size_t lost = mem - (uintptr_t)fs->env.cache_mem;
	size_t n = fs->env.cache_bytes > lost ?
		   (fs->env.cache_bytes - lost) / fs->bsize : 0;

	if (n > EXT2_CACHE_MAX)
		n = EXT2_CACHE_MAX;
	if (n < EXT2_CACHE_MIN)
		return -ERR_NOMEM;
	fs->nbufs = (uint32_t)n;
	fs->ndirty_list = 0;
	for (uint32_t i = 0; i < EXT2_CACHE_HASH; i++)
		fs->hash[i] = fs->flight_hash[i] = -1;
	for (uint32_t i = 0; i < fs->nbufs; i++) {
		struct ext2_buf *b = &fs->bufs[i];

		memset(b, 0, sizeof(*b));
		b->data = (uint8_t *)mem + (size_t)i * fs->bsize;
		b->hash_next = -1;
		b->flight_next = -1;
	}
	return 0;
}

static struct ext2_buf *lookup(struct ext2_fs *fs, uint64_t blk)
{
	for (int16_t i = fs->hash[hash_of(blk)]; i >= 0; i = fs->bufs[i].hash_next)
		if (fs->bufs[i].blk == blk && fs->bufs[i].valid)
			return &fs->bufs[i];
	return NULL;
}

static void unhash(struct ext2_fs *fs, struct ext2_buf *b)
{
	int16_t *link = &fs->hash[hash_of(b->blk)];
	int16_t self = (int16_t)(b - fs->bufs);

	while (*link >= 0 && *link != self)
		link = &fs->bufs[*link].hash_next;
	if (*link == self)
		*link = b->hash_next;
	b->hash_next = -1;
	b->valid = false;
}

static void rehash(struct ext2_fs *fs, struct ext2_buf *b, uint64_t blk)
{
	uint32_t h = hash_of(blk);

	b->blk = blk;
	b->valid = true;
	b->dirty = false;
	b->hash_next = fs->hash[h];
	fs->hash[h] = (int16_t)(b - fs->bufs);
}

/* Write `count` buffers holding consecutive blocks in one request. */
static int write_run(struct ext2_fs *fs, struct ext2_buf **run, uint32_t count)
{
	const void *bufs[CACHE_RUN_MAX];
	int r;

	for (uint32_t i = 0; i < count; i++)
		bufs[i] = run[i]->data;
	r = fs->env.dev->write(fs->env.dev_ctx, run[0]->blk, fs->bsize, count,
			       bufs);
	if (r < 0) {
		fs_log(fs, "device write failed at block", run[0]->blk);
		return r;
	}
	fs->dev_writes++;
	fs->blocks_written += count;
	for (uint32_t i = 0; i < count; i++)
		run[i]->dirty = false;
	return 0;
}

/* Every dirty buffer to the disk, in block order, consecutive blocks as
 * one request; with `flush` and a device that can (batch_flush), the
 * device flush too, in the same wait (*flushed says so). */
static int write_back(struct ext2_fs *fs, bool flush, bool *flushed)
{
	struct ext2_buf **dirty = fs->writeback;	/* not 8 KiB of stack */
	uint32_t n = 0;
	int err = 0;

	/* The dirty list, not the whole cache: a sync after one write
	 * looks at two buffers, not 511. */
	for (uint32_t i = 0; i < fs->ndirty_list; i++) {
		struct ext2_buf *b = &fs->bufs[fs->dirty_list[i]];

		b->listed = false;
		if (b->valid && b->dirty)
			dirty[n++] = b;
	}
	fs->ndirty_list = 0;
	/* Shell sort by block number. */
	for (uint32_t gap = n / 2; gap > 0; gap /= 2)
		for (uint32_t i = gap; i < n; i++)
			for (uint32_t j = i; j >= gap &&
			     dirty[j - gap]->blk > dirty[j]->blk; j -= gap) {
				struct ext2_buf *t = dirty[j];

				dirty[j] = dirty[j - gap];
				dirty[j - gap] = t;
			}
	/* The runs in flight together where the device can (batch_*): no
	 * buffer here changes until the batch ends. */
	if (n && fs->env.dev->batch_begin)
		fs->env.dev->batch_begin(fs->env.dev_ctx);
	for (uint32_t i = 0; i < n;) {
		uint32_t len = 1;
		int r;

		while (i + len < n && len < CACHE_RUN_MAX &&
		       dirty[i + len]->blk == dirty[i]->blk + len)
			len++;
		r = write_run(fs, &dirty[i], len);
		if (r < 0 && err == 0)
			err = r;
		i += len;
	}
	if (n && fs->env.dev->batch_end) {
		bool both = flush && fs->env.dev->batch_flush;
		int r = both ? fs->env.dev->batch_flush(fs->env.dev_ctx) :
			       fs->env.dev->batch_end(fs->env.dev_ctx);
		*flushed = both;
		if (r < 0 && err == 0) {
			fs_log(fs, both ? "device write or flush failed in a batch" :
					  "device write failed in a batch", 0);
			err = r;
		}
	}
	/* What failed stays dirty: listed again, for the next write-back. */
	for (uint32_t i = 0; err && i < n; i++)
		if (dirty[i]->dirty)
			cache_note_dirty(fs, dirty[i]);
	return err;
}

/* Does not flush the device. */
int cache_write_back(struct ext2_fs *fs)
{
	bool flushed;

	return write_back(fs, false, &flushed);
}

int cache_write_back_flush(struct ext2_fs *fs)
{
	bool flushed = false;
	int r = write_back(fs, true, &flushed);

	if (r < 0 || flushed)
		return r;
	if ((r = fs->env.dev->flush(fs->env.dev_ctx)) < 0)
		fs_log(fs, "device flush failed", 0);
	return r;
}

/* An unpinned buffer to reuse, written back first if dirty. */
static int victim(struct ext2_fs *fs, struct ext2_buf **out)
{
	struct ext2_buf *best = NULL;

	for (uint32_t i = 0; i < fs->nbufs; i++) {
		struct ext2_buf *b = &fs->bufs[i];

		if (b->refs)
			continue;
		if (!b->valid) {
			best = b;
			break;
		}
		if (!best || b->last_use < best->last_use)
			best = b;
	}
	if (!best) {
		fs_log(fs, "block cache: every buffer is pinned", fs->nbufs);
		return -ERR_NOMEM;
	}
	if (best->valid && best->dirty) {
		/* Write every dirty block now: one batch instead of one
		 * request per replaced buffer. */
		int r = cache_write_back(fs);

		if (r < 0)
			return r;
	}
	if (best->valid)
		unhash(fs, best);
	*out = best;
	return 0;
}

/*
 * Block blk-1 is cached: if the buffer after its buffer is free (unpinned,
 * clean, older than it), take that one, so that blocks read or written in
 * sequence sit in adjacent memory and their write-back run is one range.
 */
static struct ext2_buf *next_to_previous(struct ext2_fs *fs, uint64_t blk)
{
	struct ext2_buf *prev = blk > 0 ? lookup(fs, blk - 1) : NULL, *b;

	if (!prev || prev + 1 >= fs->bufs + fs->nbufs)
		return NULL;
	b = prev + 1;
	if (b->refs || b->in_flight || (b->valid &&
	    (b->dirty || b->last_use > prev->last_use)))
		return NULL;
	if (b->valid)
		unhash(fs, b);
	return b;
}

/* zero: the block is about to be overwritten (never read); fill: zero it
 * first (false: the caller overwrites every byte at once). */
static int get(struct ext2_fs *fs, uint64_t blk, bool zero, bool fill,
	       struct ext2_buf **out)
{
	struct ext2_buf *b = lookup(fs, blk);
	int r;

	if (!fs_block_valid(fs, blk) && fs->sb.s_magic == EXT2_SUPER_MAGIC)
		return fs_corrupt(fs, "block number out of range", blk);
	if (!b && !zero && fs->nowait) {
		fs->wanted_blk = blk;		/* the caller will fetch it */
		fs->wanted_count = 1;
		return -ERR_AGAIN;
	}
	if (b && fs->trial) {
		r = trial_touch(fs, b, false);	/* saved before any change */
		if (r < 0)
			return r;
	}
	if (!b && fs->in_flight_count) {
		/* This copy will be newer than an asynchronous read of the
		 * same block still under way (which may even be overtaken by
		 * our write-back): that one must not land in the cache. */
		struct ext2_buf *f = cache_in_flight(fs, blk);

		if (f)
			f->stale = true;
	}
	if (!b) {
		b = next_to_previous(fs, blk);
		if (!b) {
			r = victim(fs, &b);
			if (r < 0)
				return r;
		}
		if (!zero) {
			void *bufs[1] = { b->data };

			r = fs->env.dev->read(fs->env.dev_ctx, blk, fs->bsize,
					      1, bufs);
			if (r < 0) {
				fs_log(fs, "device read failed at block", blk);
				return r;
			}
			fs->dev_reads++;
			fs->blocks_read++;
		}
		rehash(fs, b, blk);
		if (fs->trial) {
			r = trial_touch(fs, b, true);
			if (r < 0) {
				unhash(fs, b);
				return r;
			}
		}
	}
	if (zero) {
		if (fill)
			memset(b->data, 0, fs->bsize);
		b->dirty = true;
	}
	b->refs++;
	b->last_use = ++fs->clock;
	*out = b;
	return 0;
}

/* The buffer of block blk, read from the disk if not cached; pinned. */
int bget(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out)
{
	return get(fs, blk, false, false, out);
}

/* The buffer of a block about to be overwritten whole: zero-filled and
 * dirty, never read. */
int bget_zero(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out)
{
	return get(fs, blk, true, true, out);
}

/* The buffer of a block the caller overwrites whole at once (a full-block
 * write): dirty, never read, and not zeroed first (4 KiB of stores the
 * copy would undo). */
int bget_whole(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out)
{
	return get(fs, blk, true, false, out);
}

/* Make buffer b hold block blk, valid and clean (async.c). */
void cache_install(struct ext2_fs *fs, struct ext2_buf *b, uint64_t blk)
{
	rehash(fs, b, blk);
	b->last_use = ++fs->clock;
}

/* Drop buffer b from the cache (its contents are not wanted). */
void cache_drop(struct ext2_fs *fs, struct ext2_buf *b)
{
	if (b->valid)
		unhash(fs, b);
}

/* Is block blk cached (no device request needed to bget it)? */
bool cache_has(struct ext2_fs *fs, uint64_t blk)
{
	return lookup(fs, blk) != NULL;
}

/* b is dirty (or may be): on the list cache_write_back looks at. */
void cache_note_dirty(struct ext2_fs *fs, struct ext2_buf *b)
{
	if (!b->listed) {
		b->listed = true;
		fs->dirty_list[fs->ndirty_list++] = (int16_t)(b - fs->bufs);
	}
}

/* Unpin b. A buffer is dirtied only while pinned (bdirty, bget_zero), so
 * its last unpin puts it on the dirty list. */
void bput(struct ext2_fs *fs, struct ext2_buf *b)
{
	if (b && b->dirty)
		cache_note_dirty(fs, b);
	if (b && b->refs)
		b->refs--;
}

void bdirty(struct ext2_buf *b)
{
	b->dirty = true;
}

/* A freed block: its contents no longer matter, so never write them. */
void cache_forget(struct ext2_fs *fs, uint64_t blk)
{
	struct ext2_buf *b = lookup(fs, blk);

	/* In a trial the block may yet stay allocated: keep what undo needs
	 * (if there is no room, keeping the stale copy is harmless). */
	if (b && fs->trial && trial_touch(fs, b, false) < 0)
		return;
	if (b && b->refs == 0)
		unhash(fs, b);
	else if (b)
		b->dirty = false;
}

/* n adjacent buffers, none pinned or in flight, the least recently used
 * such window (its newest buffer the oldest); -ERR_NOMEM if there is none.
 * Written back first if dirty. One pass: the newest buffer of each window
 * comes from a queue of candidates (indexes, their ages decreasing), so a
 * 64-block run costs a walk of the cache, not 64 of them. */
static int adjacent_victims(struct ext2_fs *fs, uint32_t n,
			    struct ext2_buf **run)
{
	static uint16_t q[EXT2_CACHE_MAX];	/* the candidates, oldest index first */
	uint32_t best = 0, best_age = UINT32_MAX, head = 0, tail = 0, start = 0;
	bool found = false, dirty = false;

	for (uint32_t i = 0; i < fs->nbufs; i++) {
		struct ext2_buf *b = &fs->bufs[i];

		if (b->refs || b->in_flight) {	/* no window holds buffer i */
			head = tail = 0;
			start = i + 1;
			continue;
		}
		uint32_t age = b->valid ? b->last_use : 0;
		while (tail > head && (fs->bufs[q[tail - 1]].valid ?
				       fs->bufs[q[tail - 1]].last_use : 0) <= age)
			tail--;
		q[tail++] = (uint16_t)i;
		if (i + 1 < start + n)
			continue;
		uint32_t first = i + 1 - n;	/* the window [first, i] */
		while (q[head] < first)
			head++;
		uint32_t newest = fs->bufs[q[head]].valid ? fs->bufs[q[head]].last_use : 0;
		if (!found || newest < best_age) {
			found = true;
			best = first;
			best_age = newest;
		}
	}
	if (!found)
		return -ERR_NOMEM;
	for (uint32_t k = 0; k < n; k++)
		dirty |= fs->bufs[best + k].valid && fs->bufs[best + k].dirty;
	if (dirty) {
		int r = cache_write_back(fs);

		if (r < 0)
			return r;
	}
	for (uint32_t k = 0; k < n; k++) {
		run[k] = &fs->bufs[best + k];
		if (run[k]->valid)
			unhash(fs, run[k]);
	}
	return 0;
}

/*
 * n adjacent buffers for a run, found the cheap way: from where the last
 * run's ended on (a hand going round the cache), the first window whose
 * buffers are unpinned, clean, not in flight and not used within the last
 * nbufs uses of the cache. A sequential read then recycles its own old
 * blocks in O(n) a request, where adjacent_victims' least-recently-used
 * window costs a walk of every buffer (~1,000 instructions a page of a
 * cold read); blocks in use (block maps, inode tables, read-ahead not yet
 * copied) are recent, so the hand steps over them. -ERR_NOMEM after one
 * turn round the cache: the caller falls back to adjacent_victims.
 */
static int hand_victims(struct ext2_fs *fs, uint32_t n, struct ext2_buf **run)
{
	uint32_t first = fs->run_hand, looked = 0, k = 0;

	while (looked < fs->nbufs) {
		if (first + n > fs->nbufs) {
			looked += fs->nbufs - first;
			first = 0;
			k = 0;
			continue;
		}
		for (; k < n; k++) {
			struct ext2_buf *b = &fs->bufs[first + k];

			if (b->refs || b->in_flight ||
			    (b->valid && (b->dirty || fs->clock - b->last_use < fs->nbufs)))
				break;
		}
		if (k == n)
			break;
		looked += k + 1;
		first += k + 1;
		k = 0;
	}
	if (k != n)
		return -ERR_NOMEM;
	for (k = 0; k < n; k++) {
		run[k] = &fs->bufs[first + k];
		if (run[k]->valid)
			unhash(fs, run[k]);
	}
	fs->run_hand = first + n;
	return 0;
}

/*
 * Pinned buffers for blocks blk, blk+1, ... : as many of the first count
 * as are neither cached nor being read, up to the first that is. Adjacent
 * in memory if the cache has such a window free, so that a driver that
 * reads into one contiguous range needs one request; else one by one.
 * Returns how many (0: blk itself is cached or being read), or < 0.
 */
int cache_grab_run(struct ext2_fs *fs, uint64_t blk, uint32_t count,
		   struct ext2_buf **run)
{
	uint32_t n = 0;
	int r;

	if (count > CACHE_RUN_MAX)
		count = CACHE_RUN_MAX;
	if (count > fs->nbufs / 4)
		count = fs->nbufs / 4;
	while (n < count && fs_block_valid(fs, blk + n) && !lookup(fs, blk + n) &&
	       !cache_in_flight(fs, blk + n))
		n++;
	if (n == 0)
		return 0;
	if (n > 1 && (hand_victims(fs, n, run) == 0 || adjacent_victims(fs, n, run) == 0)) {
		for (uint32_t i = 0; i < n; i++)
			run[i]->refs = 1;
		return (int)n;
	}
	for (uint32_t i = 0; i < n; i++) {
		r = victim(fs, &run[i]);
		if (r < 0) {
			if (i == 0)
				return r;
			return (int)i;
		}
		run[i]->refs = 1;	/* keep it from being chosen again */
	}
	return (int)n;
}

/*
 * Read the uncached blocks among [blk, blk+count) that follow blk
 * (stopping at the first cached one) in one device request, so a
 * sequential read costs one request per run instead of one per block.
 */
int cache_prefetch(struct ext2_fs *fs, uint64_t blk, uint32_t count)
{
	struct ext2_buf *run[CACHE_RUN_MAX];
	void *bufs[CACHE_RUN_MAX];
	int n, r;

	if (fs->nowait) {
		if (lookup(fs, blk))
			return 0;
		fs->wanted_blk = blk;
		fs->wanted_count = count ? count : 1;
		return -ERR_AGAIN;
	}
	n = cache_grab_run(fs, blk, count, run);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++)
		bufs[i] = run[i]->data;
	r = fs->env.dev->read(fs->env.dev_ctx, blk, fs->bsize, (uint32_t)n, bufs);
	if (r < 0) {
		fs_log(fs, "device read failed at block", blk);
	} else {
		fs->dev_reads++;
		fs->blocks_read += (uint32_t)n;
	}
	for (int i = 0; i < n; i++) {
		run[i]->refs = 0;
		if (r == 0) {
			rehash(fs, run[i], blk + (uint64_t)i);
			run[i]->last_use = ++fs->clock;
		}
	}
	return r;
}
