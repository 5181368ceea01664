/*
 * Zeroing at idle. Every new anonymous page must be zero-filled, 512
 * stores; done while the hart would otherwise sit in wfi, a fault takes a
 * frame already zeroed (page.c's pool) instead. The kernel tells us when
 * the hart idles with one message per arming (SYS_IDLE_NOTIFY, kernel/
 * idle.c): each zeroes ZEROPOOL_BATCH frames at most, then asks again
 * while the pool is below ZEROPOOL_TARGET, so the pager keeps receiving
 * between batches and nothing waits behind more than one batch. Taking a
 * zeroed frame asks again too (zeropool_used), a syscall once per refill,
 * not per fault.
 *
 * The work is not free, only moved: PAGER_ZEROPOOL reports what the
 * batches cost (docs/benchmarks.md prints it beside anon_fault). A pool
 * frame is a free frame: any allocation takes it once the free list is
 * empty, so the pool never holds memory anyone needs.
 */
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "zeropool.h"

bool zeropool_armed;

static uint64_t zeroed;		/* frames zeroed at idle, ever */
static uint64_t batches;	/* idle messages taken */
static uint64_t spent;		/* instructions in the batches (ours) */
static uint64_t gap_min = UINT64_MAX;	/* the kernel's part, see below */
static uint64_t last_end;	/* end of a batch that asked for another */

void zeropool_arm(void)
{
	if (page_zeroed_count() >= ZEROPOOL_TARGET)
		return;
	zeropool_armed = sys_idle_notify(pager_ep, PAGER_IDLE_LABEL) == 0;
}

void zeropool_idle(void)
{
	uint64_t t0 = rdinstret(), n = 0;

	zeropool_armed = false;
	/* From the end of the last batch (which asked for this one) to now:
	 * our receive, the kernel finding nothing to run and delivering the
	 * message, and the switch back. The least of these is that kernel
	 * round alone; larger ones had other work (or real idle) between. */
	if (last_end && t0 - last_end < gap_min)
		gap_min = t0 - last_end;
	while (n < ZEROPOOL_BATCH && page_zeroed_count() < ZEROPOOL_TARGET && page_zero_one())
		n++;
	zeroed += n;
	batches++;
	last_end = 0;
	/* A short batch means the pool is full or the free list empty: no
	 * more until a zeroed frame is taken, or the hart would never rest. */
	if (n == ZEROPOOL_BATCH)
		zeropool_arm();
	uint64_t t1 = rdinstret();
	spent += t1 - t0;
	if (zeropool_armed)
		last_end = t1;
}

void zeropool_stats(uint64_t *w)
{
	w[0] = page_zeroed_count();
	w[1] = zeroed;
	w[2] = batches;
	w[3] = spent;
	w[4] = gap_min == UINT64_MAX ? 0 : gap_min;
}
