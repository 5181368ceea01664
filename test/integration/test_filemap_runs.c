/*
 * Durability of a scattered write-back (BACKING_WRITEBACK_RUNS, two
 * requests of many runs): test_filemap durable_runs. A 300-page file (the
 * last page partial) is written and synced; then stores through MAP_SHARED
 * hit every other page, a run of 60 pages and the partial last page, and
 * msync(MS_SYNC) returns; stores again on every 8th page below 100 (the
 * pages must have lost W: the next msync writes them), msync; the marker
 * line follows and fs-run.sh kills QEMU at once, then compares the file
 * on the image (debugfs) with what was stored (the same formula) and runs
 * e2fsck.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "libsys.h"
#include "t.h"
#include "filemap.h"

#define PS		PAGE_SIZE
#define RUNS_PAGES	300
#define RUNS_SIZE	(RUNS_PAGES * PS - 1000)	/* fs-run.sh map-durable_runs */

/* Which pages get a store, where, and what (fs-run.sh has the same). */
static bool stored(uint64_t pg)
{
	return pg % 2 == 0 || pg == RUNS_PAGES - 1 || (pg >= 100 && pg < 160);
}

void durable_runs(void)
{
	int fd = make_file("/runs.bin", RUNS_SIZE, 1);

	CHECK_EQ(fsync(fd), 0);
	volatile char *p = mmap(NULL, RUNS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED || t_failures)
		return;
	uint64_t m0[6], m1[6];
	mapstats(m0);
	for (uint64_t pg = 0; pg < RUNS_PAGES; pg++)
		if (stored(pg))
			p[pg * PS + pg % 97] = (char)('A' + pg % 26);
	CHECK_EQ(msync((void *)p, RUNS_SIZE, MS_SYNC), 0);
	/* 121 runs, 181 pages: two requests (BACKING_RUNS_PAGES = 128 a request),
	 * not one for each run. */
	mapstats(m1);
	CHECK_EQ(m1[3] - m0[3], 2);
	CHECK_EQ(m1[4] - m0[4], 181);
	/* Stores again on every 8th page below 100: each page was write-protected
	 * when taken (SYS_PROTECT_LIST for a scattered request), so each store
	 * faults and makes its page dirty again, and the next msync writes all
	 * 13 (scattered: one request). */
	for (uint64_t pg = 0; pg < 100; pg += 8)
		p[pg * PS + pg % 97 + 1] = (char)('z' - pg % 26);
	CHECK_EQ(msync((void *)p, RUNS_SIZE, MS_SYNC), 0);
	mapstats(m0);
	CHECK_EQ(m0[3] - m1[3], 1);
	CHECK_EQ(m0[4] - m1[4], 13);
	if (t_failures)
		return;
	printf("filemap: runs msync returned\n");
	for (;;)
		sys_yield();
}
