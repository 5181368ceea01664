/*
 * The block device under the ext2 engine: the engine's cache lives in the
 * blk driver's DMA pool, so a cache buffer's pool offset is what a disk
 * request names and the data never moves through a message. Synchronous
 * requests (the engine's device calls) wait for their completions by
 * receiving on our endpoint: completions come as calls from the relay,
 * and a client request that arrives meanwhile is queued, never lost and
 * never waited on. Asynchronous reads (nowait mode) are submitted and
 * left; their completion is handed to the engine between requests.
 */
#include <string.h>
#include "libsys.h"
#include "fsd.h"

enum { TAG_FREE, TAG_SYNC, TAG_ASYNC, TAG_DIRECT };
#define AOPS 32	/* engine reads and direct fills (a stream window is 8) */

static struct blk_client bc;
uint64_t blk_notif;
bool deaths_pending;

static struct {
	uint8_t kind;
	bool done;
	bool plugged;		/* a write of a batch: batch_end waits for it */
	bool read;
	int8_t op;
	uint32_t ops;		/* TAG_DIRECT: the aops (fills) one request serves */
	int32_t status;
} tags[BLK_SLOTS];

/* Between the engine's batch_begin and batch_end, writes are submitted
 * and not waited for one by one. */
static bool plug;
static unsigned nplugged;
static int plug_status;

/* An asynchronous read of blocks [blk, blk+count): its pieces in flight. */
static struct aop {
	bool used, finished;
	void *direct;		/* a direct read's owner (backing.c); NULL: the engine's */
	uint64_t blk;
	uint32_t count;
	int left;
	int status;
} aops[AOPS];

/* Ops finished and not yet handed over (disk_finish_async): the main loop
 * asks every time round, so it is a count, not a walk of aops. */
static unsigned nfinished;

static void aop_finish(struct aop *a)
{
	a->finished = true;
	nfinished++;
}

/*
 * Whether the driver may hold completions we have not reaped: set by each
 * relayed wake (the driver notifies after recording a completion, and the
 * relay turns every notification into a message to us), cleared by a
 * reap that found no more. Without it every collect asked the driver once
 * more for nothing: two of the four calls a disk request cost.
 */
static bool blk_pending = true;
/* Requests we submitted and have not reaped (the driver refuses more than
 * bc.info.inflight): counted by submit and complete_tag. A request
 * submitted elsewhere and not counted only makes the driver say
 * -ERR_AGAIN, which submit still handles. */
static unsigned inflight;
/* Reads keep to a share's worth (BLK_CLIENT_INFLIGHT) even when the
 * driver grants more: the extra slots are for a sync's scattered writes.
 * More reads at once only made each fill's read land later (a cold
 * sequential scan through a mapping waited, idle, three times as long). */
static unsigned rinflight;

static void complete_tag(int64_t t, int32_t res);

/* Move the driver's completions into tags[] and aops[]; never waits. */
static void collect(void)
{
	int32_t res;
	int64_t t, n;

	if (!blk_pending)
		return;
	blk_pending = false;	/* a completion after the reap wakes us again */
	do {
		n = blk_reap(&bc);
		while ((t = blk_take(&bc, &res)) >= 0)
			complete_tag(t, res);
	} while (n >= BLK_REAP_MAX);
}

static void ops_done(uint32_t ops, int res);

static void complete_tag(int64_t t, int32_t res)
{
	if (t >= BLK_SLOTS)
		return;
	if (inflight)
		inflight--;
	if (tags[t].read && rinflight)
		rinflight--;
	tags[t].read = false;
	if (tags[t].kind == TAG_SYNC && tags[t].plugged) {
		if (res < 0 && !plug_status)
			plug_status = res;
		tags[t].kind = TAG_FREE;
		tags[t].plugged = false;
		nplugged--;
	} else if (tags[t].kind == TAG_SYNC) {
		tags[t].done = true;
		tags[t].status = res;
	} else if (tags[t].kind == TAG_ASYNC) {
		struct aop *a = &aops[tags[t].op];
		if (res < 0)
			a->status = res;
		if (--a->left == 0)
			aop_finish(a);
		tags[t].kind = TAG_FREE;
	} else if (tags[t].kind == TAG_DIRECT) {
		ops_done(tags[t].ops, res);
		tags[t].kind = TAG_FREE;
	}
}

void disk_completions(void)
{
	blk_pending = true;
	collect();
}

/* Receive one message while the engine waits: a relayed completion or
 * death notice is noted (relays send: nothing to answer), a client's
 * request queued. */
static void wait_event(void)
{
	struct ipc_msg m = { 0 };

	fsd_unlink_caller();	/* this receive would break the link */
	if (ipc_recv(fs_ep, &m) < 0)
		return;
	if (m.badge == FS_RELAY_BLK) {
		blk_pending = true;
	} else if (m.badge == FS_RELAY_DEATH) {
		deaths_pending = true;
	} else {
		fsd_accept(&m);
	}
	collect();
}

/* Submit one request, waiting for a completion if our limit is reached. */
static int64_t submit(uint64_t label, uint64_t sector, uint64_t count, uint64_t off, int kind,
		      int op)
{
	/* At our limit: wait for a completion first, rather than a call the
	 * driver refuses (two a request while a long write-back waits). */
	while ((bc.info.inflight && inflight >= bc.info.inflight) ||
	       (label == BLK_READ && rinflight >= BLK_CLIENT_INFLIGHT)) {
		if (blk_pending)
			collect();
		else
			wait_event();
	}
	for (bool collected = false;; collected = true) {
		int64_t t = blk_submit(&bc, label, sector, count, off);
		if (t >= 0 && t < BLK_SLOTS) {
			inflight++;
			tags[t].read = label == BLK_READ;
			rinflight += tags[t].read;
			tags[t].kind = (uint8_t)kind;
			tags[t].done = false;
			tags[t].plugged = false;
			tags[t].op = (int8_t)op;
			tags[t].status = 0;
			return t;
		}
		if (t != -ERR_AGAIN)
			return t < 0 ? t : -ERR_IO;
		if (!collected)
			collect();	/* reaping frees our in-flight count */
		else
			wait_event();
	}
}

/* Wait for the synchronous tags in mask; the first error, or 0. */
static int wait_tags(uint64_t mask)
{
	int status = 0;

	for (;;) {
		collect();
		bool all = true;
		for (uint64_t m = mask; m && all; m &= m - 1)	/* each tag of mask */
			all = tags[__builtin_ctzl(m)].done;
		if (all)
			break;
		wait_event();
	}
	for (uint64_t m = mask; m; m &= m - 1) {
		int t = __builtin_ctzl(m);
		if (tags[t].status < 0 && !status)
			status = tags[t].status;
		tags[t].kind = TAG_FREE;
	}
	return status;
}

/* bufs[0..count) scattered in the pool: one request per run of buffers
 * that lie next to each other in memory; all waited for. */
static int dev_io(uint64_t label, uint64_t blk, uint32_t bsize, uint32_t count,
		  void *const bufs[])
{
	uint64_t spb = bsize / BLK_SECTOR_SIZE;
	uint64_t mask = 0;
	int status = 0;

	for (uint32_t i = 0; i < count;) {
		uint32_t n = 1;
		if ((uint8_t *)bufs[i] < pool || (uint8_t *)bufs[i] + bsize > pool + cache_bytes) {
			/* Not a cache buffer (mount's superblock): through the
			 * bounce area past the cache, one block at a time. */
			uint8_t *bounce = pool + cache_bytes;
			if (label == BLK_WRITE)
				memcpy(bounce, bufs[i], bsize);
			int64_t t = submit(label, (blk + i) * spb, spb, cache_bytes, TAG_SYNC, 0);
			int r = t < 0 ? (int)t : wait_tags(1ul << t);
			if (r < 0 && !status)
				status = r;
			if (r == 0 && label == BLK_READ)
				memcpy(bufs[i], bounce, bsize);
			i++;
			continue;
		}
		while (i + n < count && (uint8_t *)bufs[i + n] == (uint8_t *)bufs[i] + n * bsize)
			n++;
		int64_t t = submit(label, (blk + i) * spb, n * spb, (uint64_t)((uint8_t *)bufs[i] - pool),
				   TAG_SYNC, 0);
		if (t < 0) {
			status = (int)t;
			break;
		}
		if (plug && label == BLK_WRITE) {	/* waited for by batch_end */
			tags[t].plugged = true;
			nplugged++;
		} else {
			mask |= 1ul << t;
		}
		i += n;
	}
	int r = wait_tags(mask);
	return status ? status : r;
}

static int dev_read(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count, void *const bufs[])
{
	(void)ctx;
	return dev_io(BLK_READ, blk, bsize, count, bufs);
}

static int dev_write(void *ctx, uint64_t blk, uint32_t bsize, uint32_t count,
		     const void *const bufs[])
{
	(void)ctx;
	return dev_io(BLK_WRITE, blk, bsize, count, (void *const *)bufs);
}

/* The engine writes its dirty buffers back (and touches none of them
 * until it is done): submit them all, then wait for them all, instead of
 * a round trip each. */
static void dev_batch_begin(void *ctx)
{
	(void)ctx;
	plug = true;
}

static int dev_batch_end(void *ctx)
{
	int r;

	(void)ctx;
	plug = false;
	for (collect(); nplugged; collect())
		wait_event();
	r = plug_status;
	plug_status = 0;
	return r;
}

/* The batch, then a flush: submitted at once, as the driver starts a
 * flush only when the client's writes before it have completed; one wait
 * (the flush's completion wakes us, not each write's) for all. */
static int dev_batch_flush(void *ctx)
{
	int64_t t;
	int r;

	plug = false;
	if ((t = submit(BLK_FLUSH, 0, 0, 0, TAG_SYNC, 0)) < 0) {
		r = dev_batch_end(ctx);
		return r < 0 ? r : (int)t;
	}
	for (collect(); nplugged || !tags[t].done; collect())
		wait_event();
	r = plug_status;
	plug_status = 0;
	int fr = wait_tags(1ul << t);	/* done: its status, its tag freed */
	return r < 0 ? r : fr;
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	int64_t t = submit(BLK_FLUSH, 0, 0, 0, TAG_SYNC, 0);

	return t < 0 ? (int)t : wait_tags(1ul << t);
}

const struct ext2_blockdev_ops fsd_blockdev = {
	.read = dev_read, .write = dev_write, .flush = dev_flush,
	.batch_begin = dev_batch_begin, .batch_end = dev_batch_end, .batch_flush = dev_batch_flush,
};

int disk_start_async(void)
{
	void *bufs[64];
	uint64_t blk;
	uint32_t count;
	int op = -1, n;

	for (int i = 0; i < AOPS; i++)
		if (!aops[i].used)
			op = i;
	if (op < 0)
		return fs.in_flight_count ? 0 : -ERR_AGAIN;
	ext2_wanted(&fs, &blk, &count);
	if (count > 64)
		count = 64;
	n = ext2_cache_reserve(&fs, blk, count ? count : 1, bufs);
	if (n < 0)
		return n;
	if (n == 0)	/* already in flight: wait for that read */
		return fs.in_flight_count ? 0 : -ERR_AGAIN;
	struct aop *a = &aops[op];
	*a = (struct aop){ .used = true, .blk = blk, .count = (uint32_t)n, .left = 1 };
	uint64_t spb = fs.bsize / BLK_SECTOR_SIZE;
	for (int i = 0; i < n;) {
		int k = 1;
		while (i + k < n && (uint8_t *)bufs[i + k] == (uint8_t *)bufs[i] + (uint64_t)k * fs.bsize)
			k++;
		a->left++;
		int64_t t = submit(BLK_READ, (blk + (uint64_t)i) * spb, (uint64_t)k * spb,
				   (uint64_t)((uint8_t *)bufs[i] - pool), TAG_ASYNC, op);
		if (t < 0) {
			a->status = (int)t;
			a->left--;
		}
		i += k;
	}
	if (--a->left == 0)
		aop_finish(a);
	return 0;
}

bool disk_async_ready(void)
{
	return nfinished != 0;
}

bool disk_finish_async(void)
{
	bool any = false;

	if (!nfinished)
		return false;
	for (int i = 0; i < AOPS; i++) {
		struct aop *a = &aops[i];
		if (!a->used || !a->finished)
			continue;
		a->used = false;
		nfinished--;
		if (a->direct)
			backing_direct_done(a->direct, a->status);
		else
			ext2_cache_complete(&fs, a->blk, a->count, a->status);
		any = true;
	}
	return any;
}

/*
 * Direct reads (backing.c): the disk writes a fill's pages straight into
 * the pager's frames, named by the physical addresses the kernel gave us
 * for our window. One aop per fill; a BLK_READ_PAGES per run of pages
 * consecutive on the disk, which may serve several fills (backing.c
 * gathers fills that follow each other); an owner hears when every read
 * of its fill has completed
 * (disk_finish_async), never before: until then the frames are the
 * device's, and the fill stays unanswered.
 */
int disk_direct_begin(void *owner)
{
	for (int i = 0; i < AOPS; i++)
		if (!aops[i].used) {
			aops[i] = (struct aop){ .used = true, .direct = owner, .left = 1 };
			return i;
		}
	return -ERR_AGAIN;
}

/* One read of the aops' in ops (each counted by disk_direct_hold). */
int disk_direct_submit(uint32_t ops, uint64_t sector, const uint64_t *pa, unsigned npages)
{
	/* Reads, counted as submit counts them (a share's worth at once). */
	while ((bc.info.inflight && inflight >= bc.info.inflight) ||
	       rinflight >= BLK_CLIENT_INFLIGHT) {
		if (blk_pending)
			collect();
		else
			wait_event();
	}
	for (bool collected = false;; collected = true) {
		int64_t t = blk_submit_pages(&bc, sector, npages, pa);
		if (t >= 0 && t < BLK_SLOTS) {
			inflight++;
			rinflight++;
			tags[t] = (typeof(tags[0])){ .kind = TAG_DIRECT, .ops = ops, .read = true };
			return 0;
		}
		if (t != -ERR_AGAIN) {
			int e = t < 0 ? (int)t : -ERR_IO;
			ops_done(ops, e);	/* never submitted: done, failed */
			return e;
		}
		if (!collected)
			collect();	/* reaping frees our in-flight count */
		else
			wait_event();
	}
}

void disk_direct_hold(int op)
{
	aops[op].left++;
}

static void ops_done(uint32_t ops, int res)
{
	for (int i = 0; ops; i++, ops >>= 1) {
		if (!(ops & 1))
			continue;
		struct aop *a = &aops[i];
		if (res < 0)
			a->status = res;
		if (--a->left == 0)
			aop_finish(a);
	}
}

void disk_direct_end(int op)
{
	if (--aops[op].left == 0)
		aop_finish(&aops[op]);
}

int disk_init(uint64_t blk_ep)
{
	int64_t r;

	if ((r = blk_set_pool(blk_ep, pool_pa, pool_len)) < 0)
		return (int)r;
	if ((r = blk_attach_inflight(&bc, blk_ep, BLK_SLOTS)) < 0)	/* all it may have */
		return (int)r;
	blk_notif = bc.notif;
	return 0;
}

uint64_t disk_bytes(void)
{
	return bc.info.capacity * BLK_SECTOR_SIZE;
}
