/*
 * Fills straight from the disk (docs/file-server.md), the file server's
 * half: which pages of a fill go direct, the physical addresses of their
 * frames, gathering fills into disk reads, and the end of a direct fill.
 * backing.c runs the requests and answers them.
 *
 * The pages of a fill
 * whose blocks the block cache does not hold (ext2_direct_map says which)
 * are read by the disk into the pager's frames themselves, named by the
 * physical addresses the kernel reports for our window (SYS_VM_PHYS); the
 * others (holes, the partial last page, blocks cached, maybe dirty) are
 * copied first, as run_fill does. The fill is answered when every read
 * has completed (backing_direct_done), never before: the pager frees a
 * failed fill's frames, so none may still be the device's. Off for good
 * if the driver or the kernel refuses (an older driver, no DMA right).
 */
#include <string.h>
#include "libsys.h"
#include "abi/pager.h"
#include "fsd.h"

static bool direct_off;
/* FS_DIRECTSTATS: pages the disk read straight into frames, the reads,
 * the fills copied again. */
static uint64_t pages_direct, direct_reads, direct_redone;

/* Copy pages [first, first + n) of q's fill from the file (run_fill's
 * way, for part of the window). */
static int64_t copy_pages(const struct pager_backing_req *q, uint32_t first, uint32_t n)
{
	uint64_t off = (q->index + first) << PAGE_SHIFT, len = (uint64_t)n << PAGE_SHIFT, done = 0;
	uint8_t *dst = (uint8_t *)q->window + ((uint64_t)first << PAGE_SHIFT);
	int64_t r = 0;

	while (done < len && (r = ext2_read(&fs, q->key, off + done, dst + done, len - done)) > 0)
		done += (uint64_t)r;
	if (r < 0)
		return r;
	memset(dst + done, 0, len - done);
	return 0;
}

/*
 * The disk read being gathered: the fills of one fetch come as a stream's
 * windows (the pager's read-ahead, 8 fills of 16 pages), usually one
 * after the other on the disk, so they go as one BLK_READ_PAGES of up to
 * BLK_PAGES_MAX pages instead of one each (a disk request costs about 5,000
 * instructions). Sent when the next piece does not follow it, when it
 * is full, and at the end of every fetch and retry (run_flush).
 */
static struct {
	uint64_t sector;
	uint32_t npages;
	uint32_t ops;		/* the fills' disk ops it serves */
	uint64_t pa[BLK_PAGES_MAX];
} run;

static void run_flush(void)
{
	int r;

	if (!run.npages)
		return;
	r = disk_direct_submit(run.ops, run.sector, run.pa, run.npages);
	if (r == -ERR_NOSYS || r == -ERR_PERM)
		direct_off = true;	/* an older driver: copy from now on */
	if (r == 0) {
		direct_reads++;
		fs.dev_reads++;	/* the disk's figures count these too */
		fs.blocks_read += (uint64_t)run.npages * (PAGE_SIZE / fs.bsize);
	}
	run.npages = 0;
	run.ops = 0;
}

static void run_add(int op, uint64_t sector, const uint64_t *pa, uint32_t n)
{
	const uint64_t spp = PAGE_SIZE / BLK_SECTOR_SIZE;

	if (run.npages && (sector != run.sector + run.npages * spp || run.npages + n > BLK_PAGES_MAX))
		run_flush();
	if (!run.npages)
		run.sector = sector;
	memcpy(run.pa + run.npages, pa, n * sizeof(pa[0]));
	run.npages += n;
	if (!(run.ops & (1u << op))) {
		run.ops |= 1u << op;
		disk_direct_hold(op);
	}
}

int64_t direct_fill_start(void *owner, struct direct_fill *d, const struct pager_backing_req *q,
			  bool allowed)
{
	uint32_t pblk[BACKING_FILL_MAX], per = PAGE_SIZE / fs.bsize, spb = fs.bsize / BLK_SECTOR_SIZE;
	uint64_t pa[BACKING_FILL_MAX];
	uint32_t n = 0;
	int64_t r;
	int op;

	if (!allowed || direct_off || d->no_direct || !fs.nowait_wanted || q->count > BACKING_FILL_MAX)
		return 0;
	/* A small file (a program, say) is likely read again after the pager
	 * drops it: through the block cache, its blocks stay for that. A file
	 * of a quarter of the cache or more would only push the rest out. */
	if (q->bytes < cache_bytes / 4)
		return 0;
	if ((r = ext2_direct_map(&fs, q->key, q->index, q->count, pblk)) < 0)
		return r;
	for (uint32_t i = 0; i < q->count; i++)
		n += pblk[i] != 0;
	if (!n)
		return 0;
	for (uint32_t i = 0; i < q->count;) {	/* the pages to copy, by runs */
		uint32_t k = i;
		while (k < q->count && !pblk[k])
			k++;
		if (k > i && (r = copy_pages(q, i, k - i)) < 0)
			return r;
		i = k + 1;
	}
	if ((r = sys_vm_phys(q->window, q->count, pa)) < 0) {
		if (r == -ERR_PERM || r == -ERR_NOSYS)
			direct_off = true;	/* not a DMA user: copy, always */
		return 0;
	}
	if ((op = disk_direct_begin(owner)) < 0)
		return 0;
	d->changes = fs.changes;
	for (uint32_t i = 0; i < q->count;) {	/* the pages to read, by disk runs */
		uint32_t k = i + 1;
		if (!pblk[i]) {
			i++;
			continue;
		}
		while (k < q->count && pblk[k] && pblk[k] == pblk[k - 1] + per)
			k++;
		run_add(op, (uint64_t)pblk[i] * spb, pa + i, k - i);
		i = k;
	}
	disk_direct_end(op);
	return 1;
}

int direct_fill_end(struct direct_fill *d, uint32_t count, int status)
{
	if (status == 0 && d->changes != fs.changes) {
		/* A write or truncate ran meanwhile: what the disk gave may be
		 * older than the cache. Copy it all again, the usual way. */
		direct_redone++;
		d->no_direct = true;
		return 1;
	}
	if (status == 0)
		pages_direct += count;
	return status;
}

void direct_fill_flush(void)
{
	run_flush();
}

int64_t backing_direct_stats(struct ipc_msg *reply)
{
	reply->w[1] = pages_direct;
	reply->w[2] = direct_reads;
	reply->w[3] = direct_redone;
	return 0;
}

