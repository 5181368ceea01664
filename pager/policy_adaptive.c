/*
 * Backing-store policy "adaptive" (policy.h), after Linux's readahead: a
 * fill that continues the mapping's last one (the fault lands at or
 * inside the window read last time) doubles the window, up to
 * ADAPTIVE_MAX pages; any other fault starts again at ADAPTIVE_INIT; a
 * fault that catches up with the window being read queues the next one
 * (adaptive_ahead). So a sequential scan soon reads big windows, several
 * requests at once and ahead of the scan, and a random one reads little
 * it does not use. madvise(MADV_SEQUENTIAL) reads ADAPTIVE_SEQ pages from
 * the first fault on; MADV_RANDOM one page.
 *
 * Its state is the VMA's ra_start / ra_next (the last window): a hint,
 * not part of what the VMA means, so it is kept through the const
 * pointer the hook gets, and a split or a fork simply starts again.
 */
#include "abi/pager.h"
#include "policy.h"

#define ADAPTIVE_INIT	4	/* pages: Linux's smallest initial window */
#define ADAPTIVE_MAX	32	/* 128 KiB: Linux's default read_ahead_kb */
#define ADAPTIVE_SEQ	64	/* 256 KiB under MADV_SEQUENTIAL (Linux doubles) */

static uint64_t adaptive_fill_pages(const struct vma *cv, uint64_t idx)
{
	struct vma *v = (struct vma *)cv;	/* the ramp's state only */
	uint32_t hint = VMA_ADVICE_HINT(v->advice);
	uint64_t last = v->ra_next - v->ra_start, w;

	if (hint == PADV_RANDOM)
		return 1;
	if (hint == PADV_SEQUENTIAL)
		w = ADAPTIVE_SEQ;
	else if (last && idx >= v->ra_start && idx <= v->ra_next)
		w = last * 2 > ADAPTIVE_MAX ? ADAPTIVE_MAX : last * 2;
	else
		w = ADAPTIVE_INIT;
	v->ra_start = idx;
	v->ra_next = idx + w;
	return w;
}

/* A fault waits on a page of the last window being read: once the scan
 * is in that window's second half, read the next one (twice as big, as
 * a sequential miss would) now, so reads stay ahead of the scan (Linux's
 * asynchronous readahead, marked by its PG_readahead page). */
static uint64_t adaptive_ahead(const struct vma *cv, uint64_t idx, uint64_t *from)
{
	struct vma *v = (struct vma *)cv;
	uint64_t last = v->ra_next - v->ra_start, w;

	if (VMA_ADVICE_HINT(v->advice) == PADV_RANDOM || !last || idx < v->ra_start + last / 2 ||
	    idx >= v->ra_next)
		return 0;
	w = VMA_ADVICE_HINT(v->advice) == PADV_SEQUENTIAL ? ADAPTIVE_SEQ :
	    last * 2 > ADAPTIVE_MAX ? ADAPTIVE_MAX : last * 2;
	*from = v->ra_next;
	v->ra_start = v->ra_next;
	v->ra_next += w;
	return w;
}

struct backing_policy backing_policy_adaptive = {
	.name = "adaptive",
	.id = PPOLICY_ADAPTIVE,
	.fill_pages = adaptive_fill_pages,
	.ahead = adaptive_ahead,
	.dirty_expire = POLICY_DIRTY_EXPIRE,
	.writeback_batch = POLICY_WRITEBACK_BATCH,
};
