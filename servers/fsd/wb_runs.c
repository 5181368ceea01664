/*
 * BACKING_WRITEBACK_RUNS' run table, checked (wb_runs.h). The pager
 * writes it; fsd trusts no field of it: every count is bounded before it
 * is added or shifted, so nothing wraps, and every piece lies inside the
 * request's window pages.
 */
#include "wb_runs.h"

int wb_runs_check(const struct pager_backing_req *q, const struct pager_backing_run *t,
		  struct ext2_wpiece *v)
{
	uint64_t pages = 0, next = 0;

	if (!q->bytes || q->bytes > BACKING_RUNS_MAX || q->count < 2 ||
	    q->count > 1 + BACKING_RUNS_PAGES)
		return -ERR_INVAL;
	for (uint64_t i = 0; i < q->bytes; i++) {
		struct pager_backing_run run = t[i];	/* read once */
		if (!run.pages || run.pages > q->count - 1 - pages || !run.last ||
		    run.last > PAGE_SIZE || run.index < next ||
		    run.index > (UINT64_MAX >> PAGE_SHIFT) - run.pages)
			return -ERR_INVAL;
		v[i] = (struct ext2_wpiece){ .off = run.index << PAGE_SHIFT,
			.buf = (const void *)(q->window + ((1 + pages) << PAGE_SHIFT)),
			.len = ((uint64_t)(run.pages - 1) << PAGE_SHIFT) + run.last };
		pages += run.pages;
		next = run.index + run.pages;
	}
	if (pages != q->count - 1)
		return -ERR_INVAL;
	return (int)q->bytes;
}
