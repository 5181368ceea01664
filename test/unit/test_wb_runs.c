/*
 * fsd's check of a BACKING_WRITEBACK_RUNS run table (servers/fsd/wb_runs.c):
 * good tables become the right pieces; every malformed one (counts zero,
 * too big or not adding up, runs out of order, overlapping or wrapping,
 * `last` out of a page) is -ERR_INVAL and yields no piece past the table.
 */
#include "check.h"
#include "wb_runs.h"

#define WIN 0x4000000000ul

static struct pager_backing_req req(uint32_t count, uint64_t runs)
{
	return (struct pager_backing_req){ .op = BACKING_WRITEBACK_RUNS, .key = 12,
					   .index = 0, .count = count, .window = WIN,
					   .bytes = runs };
}

static void good(void)
{
	struct pager_backing_run t[3] = { { 2, 1, 4096 }, { 10, 3, 4096 }, { 40, 2, 100 } };
	struct ext2_wpiece v[BACKING_RUNS_MAX];
	struct pager_backing_req q = req(1 + 6, 3);

	CHECK(wb_runs_check(&q, t, v) == 3);
	CHECK(v[0].off == 2 * 4096ul && v[0].len == 4096 && v[0].buf == (const void *)(WIN + 4096));
	CHECK(v[1].off == 10 * 4096ul && v[1].len == 3 * 4096ul &&
	      v[1].buf == (const void *)(WIN + 2 * 4096));
	CHECK(v[2].off == 40 * 4096ul && v[2].len == 4096 + 100ul &&
	      v[2].buf == (const void *)(WIN + 5 * 4096));
	/* Adjacent runs (no gap) are fine; the largest request too. */
	struct pager_backing_run adj[2] = { { 5, 1, 4096 }, { 6, 1, 4096 } };
	q = req(3, 2);
	CHECK(wb_runs_check(&q, adj, v) == 2);
	static struct pager_backing_run many[BACKING_RUNS_MAX];
	for (int i = 0; i < BACKING_RUNS_MAX; i++)
		many[i] = (struct pager_backing_run){ (uint64_t)i * 3, BACKING_RUNS_PAGES / BACKING_RUNS_MAX, 4096 };
	q = req(1 + BACKING_RUNS_PAGES, BACKING_RUNS_MAX);
	CHECK(wb_runs_check(&q, many, v) == BACKING_RUNS_MAX);
}

static void malformed(void)
{
	struct ext2_wpiece v[BACKING_RUNS_MAX];
	struct pager_backing_run one = { 7, 2, 4096 };
	struct pager_backing_req q;

	/* Counts: no runs, too many, no data page, too many pages. */
	q = req(3, 0);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(3, BACKING_RUNS_MAX + 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(1, 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(0, 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(2 + BACKING_RUNS_PAGES, 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(UINT32_MAX, 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(3, UINT64_MAX);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	/* Pages: zero, more than the request has, fewer than it has, or a
	 * count that would wrap the sum. */
	struct pager_backing_run zero = { 7, 0, 4096 }, big = { 7, 3, 4096 };
	struct pager_backing_run wrap[2] = { { 7, 1, 4096 }, { 9, UINT32_MAX, 4096 } };
	q = req(3, 1);
	CHECK(wb_runs_check(&q, &zero, v) == -ERR_INVAL);
	CHECK(wb_runs_check(&q, &big, v) == -ERR_INVAL);
	q = req(4, 1);
	CHECK(wb_runs_check(&q, &one, v) == -ERR_INVAL);
	q = req(3, 2);
	CHECK(wb_runs_check(&q, wrap, v) == -ERR_INVAL);
	/* last: 0, past a page. */
	struct pager_backing_run l0 = { 7, 2, 0 }, l1 = { 7, 2, 4097 };
	q = req(3, 1);
	CHECK(wb_runs_check(&q, &l0, v) == -ERR_INVAL);
	CHECK(wb_runs_check(&q, &l1, v) == -ERR_INVAL);
	/* Order: descending, overlapping, the same run twice. */
	struct pager_backing_run desc[2] = { { 9, 1, 4096 }, { 3, 1, 4096 } };
	struct pager_backing_run over[2] = { { 3, 2, 4096 }, { 4, 1, 4096 } };
	struct pager_backing_run twice[2] = { { 3, 1, 4096 }, { 3, 1, 4096 } };
	q = req(3, 2);
	CHECK(wb_runs_check(&q, desc, v) == -ERR_INVAL);
	CHECK(wb_runs_check(&q, twice, v) == -ERR_INVAL);
	q = req(4, 2);
	CHECK(wb_runs_check(&q, over, v) == -ERR_INVAL);
	/* Offsets: an index whose byte offset or end would wrap. */
	struct pager_backing_run far = { UINT64_MAX >> 12, 1, 4096 };
	struct pager_backing_run farther = { UINT64_MAX, 1, 4096 };
	struct pager_backing_run edge = { (UINT64_MAX >> 12) - 1, 2, 4096 };
	q = req(2, 1);
	CHECK(wb_runs_check(&q, &far, v) == -ERR_INVAL);
	CHECK(wb_runs_check(&q, &farther, v) == -ERR_INVAL);
	q = req(3, 1);
	CHECK(wb_runs_check(&q, &edge, v) == -ERR_INVAL);
	struct pager_backing_run last_ok = { (UINT64_MAX >> 12) - 2, 2, 4096 };
	CHECK(wb_runs_check(&q, &last_ok, v) == 1);
}

int main(void)
{
	good();
	malformed();
	return check_report();
}
