/*
 * Direct reads: which pages of a file the disk may write straight into
 * the caller's memory instead of into the block cache (the file server's
 * fills into the pager's frames, docs/file-server.md "Fills straight from
 * the disk"). A page qualifies only when the disk holds its newest bytes
 * and nothing in the cache could be newer or arrive later:
 *  - it lies wholly inside the file (the partial last page is copied, so
 *    its tail is zeroed as always);
 *  - its blocks are allocated (a hole reads as zeros: copied) and follow
 *    each other on the disk;
 *  - none of its blocks is in the cache (a cached block may be dirty: the
 *    disk is then stale) or in flight to it.
 * What may change the disk's meaning while the read is under way (a
 * write, a truncate, a block freed and given to another file) bumps
 * fs->changes; the caller compares it before and after, and copies the
 * pages again the usual way if it moved.
 */
#include "ext2_int.h"

int ext2_direct_map(struct ext2_fs *fs, uint32_t ino, uint64_t page, uint32_t npages,
		    uint32_t *pblk)
{
	uint32_t per = (uint32_t)(EXT2_PAGE_SIZE / fs->bsize), run_pblk = 0, run_n = 0;
	uint64_t run_lblk = 0, size;
	struct ext2_inode in;
	int r;

	for (uint32_t i = 0; i < npages; i++)
		pblk[i] = 0;
	if (fs->bsize > EXT2_PAGE_SIZE || EXT2_PAGE_SIZE % fs->bsize)
		return 0;
	nowait_begin(fs);
	if ((r = inode_load(fs, ino, &in)) < 0)
		goto out;
	size = inode_size(&in);
	if (is_dir(&in) || !inode_has_blocks(&in))
		goto out;
	for (uint32_t i = 0; i < npages; i++) {
		uint64_t p = page + i, lblk = p * per;
		uint32_t first = 0;
		bool ok = true;
		if ((p + 1) * EXT2_PAGE_SIZE > size)
			break;		/* the last page, or past it */
		for (uint32_t k = 0; k < per && ok; k++) {
			uint64_t l = lblk + k;
			uint32_t b;
			if (run_n && l >= run_lblk && l - run_lblk < run_n) {
				b = run_pblk ? run_pblk + (uint32_t)(l - run_lblk) : 0;
			} else {
				uint64_t want = (uint64_t)(npages - i) * per - k;
				if ((r = bmap_run(fs, ino, &in, l, want < 1024 ? (uint32_t)want : 1024,
						  &run_pblk, &run_n)) < 0)
					goto out;
				run_lblk = l;
				b = run_pblk;
			}
			if (k == 0)
				first = b;
			ok = b && b == first + k && !cache_has(fs, b) && !cache_in_flight(fs, b);
		}
		if (ok)
			pblk[i] = first;
	}
	r = 0;
out:
	nowait_end(fs);
	return r;
}
