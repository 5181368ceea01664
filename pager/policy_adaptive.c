/*
 * Backing-store policy "adaptive" (policy.h), after Linux's readahead: a
 * fill that continues the mapping's last one (the fault lands at or
 * inside the window read last time) doubles the window, up to
 * ADAPTIVE_MAX pages; any other fault starts again at ADAPTIVE_INIT. So a
 * sequential scan soon reads big windows (several requests at once, one
 * round trip to the server for all), and a random one reads little it
 * does not use. madvise(MADV_SEQUENTIAL) reads ADAPTIVE_SEQ pages from
 * the first fault on; MADV_RANDOM one page.
 *
 * Its state is the VMA's ra_start / ra_next (the last window): a hint,
 * not part of what the VMA means, so it is kept through the const
 * pointer the hook gets, and a split or a fork simply starts again.
 */
#include "abi/pager.h"
#include "policy.h"

#define ADAPTIVE_INIT	4	/* pages: Linux's smallest initial window */
#define ADAPTIVE_MAX	64	/* 256 KiB */
#define ADAPTIVE_SEQ	256	/* 1 MiB under MADV_SEQUENTIAL */

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

struct backing_policy backing_policy_adaptive = {
	.name = "adaptive",
	.id = PPOLICY_ADAPTIVE,
	.fill_pages = adaptive_fill_pages,
	.dirty_expire = POLICY_DIRTY_EXPIRE,
	.writeback_batch = POLICY_WRITEBACK_BATCH,
};
