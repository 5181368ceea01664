/*
 * Kernel-memory quotas and the kernel pool, the pager's side. The kernel
 * charges every kernel object and page table to a task's account; the
 * pager's account (the root's) is the whole pool, and each process's task
 * gets an account of its own carved from it (kquota_give). A carve is a
 * reservation: the sum of all carves never exceeds the pool, so a process
 * within its quota never finds the pool empty because of another.
 *
 * So that the pool is not a fixed slice of RAM, the pager donates frames
 * to it (SYS_KMEM_DONATE) whenever the uncommitted part of its account
 * would drop below KQ_HEADROOM pages: at start for init and a few
 * processes, then at spawn and fork, KQ_CHUNK pages at a time, taken as
 * the frame allocator hands them out (from the top of the window, away
 * from the pager's heap, which grows upward into the frames after it) and
 * given in contiguous runs. Donated frames never come back (the pool
 * keeps its high-water mark), so the total donated is capped at 1/8 of
 * the window.
 */
#include <stdbool.h>
#include <stdio.h>
#include "abi/kernel.h"
#include "kquota.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"

#define KQ_HEADROOM	128	/* uncommitted pages kept for our own objects */
#define KQ_CHUNK	512	/* pages per donation */
#define KQ_START_PROCS	16	/* processes the start-up donation covers */

static uint64_t donated;

/* The donated frames, as runs: the sanity checker counts them as used
 * (their reference stays 1 forever). Adjacent runs merge. */
#define KQ_RUNS 256
static struct { uint64_t pfn, n; } runs[KQ_RUNS];
static int nruns;

static uint64_t donate_cap(void)
{
	return page_total_count() / 8;
}

uint64_t kquota_donated(void)
{
	return donated;
}

uint64_t kquota_proc_pages(void)
{
	return 64 + (page_total_count() + 511) / 512;
}

uint64_t kquota_init_pages(void)
{
	uint64_t pages = page_total_count() / 32;

	return pages < 512 ? 512 : pages;
}

/* Whether [pfn, pfn + n) joins the last recorded run. */
static bool run_joins(uint64_t pfn, uint64_t n)
{
	return nruns && (runs[nruns - 1].pfn + runs[nruns - 1].n == pfn ||
			 pfn + n == runs[nruns - 1].pfn);
}

void kquota_count_refs(uint32_t *counts)
{
	for (int i = 0; i < nruns; i++)
		for (uint64_t j = 0; j < runs[i].n; j++)
			counts[runs[i].pfn + j]++;
}

/* Give the kernel n frames starting at pfn (ours, just allocated). */
static int64_t donate_run(uint64_t pfn, uint64_t n)
{
	int64_t r = -ERR_NOMEM;

	if ((nruns < KQ_RUNS || run_joins(pfn, n)) &&
	    (r = sys_kmem_donate((uint64_t)page_va(pfn), n)) == 0) {
		if (!run_joins(pfn, n)) {
			runs[nruns].pfn = pfn;
			runs[nruns++].n = 0;
		}
		if (runs[nruns - 1].pfn == pfn + n)
			runs[nruns - 1].pfn = pfn;
		runs[nruns - 1].n += n;
		donated += n;
		return 0;
	}
	for (uint64_t i = 0; i < n; i++)
		page_unref(pfn + i);
	return r;
}

/* Donate n frames as the allocator hands them out (from the top of the
 * window down, away from the heap's growth), in contiguous runs. */
static int64_t donate(uint64_t n)
{
	uint64_t lo = 0, len = 0;
	int64_t pfn = 0, r;

	for (uint64_t i = 0; i < n; i++) {
		if ((pfn = page_alloc()) < 0)
			break;
		if (len == KMEM_DONATE_MAX) {	/* one call's worth */
			if ((r = donate_run(lo, len)) < 0) {
				page_unref((uint64_t)pfn);
				return r;
			}
			len = 0;
		}
		if (len && (uint64_t)pfn + 1 == lo) {
			lo = (uint64_t)pfn;
			len++;
			continue;
		}
		if (len && (uint64_t)pfn == lo + len) {
			len++;
			continue;
		}
		if (len && (r = donate_run(lo, len)) < 0) {
			page_unref((uint64_t)pfn);
			return r;
		}
		lo = (uint64_t)pfn;
		len = 1;
	}
	r = len ? donate_run(lo, len) : 0;
	return r < 0 ? r : pfn < 0 ? pfn : 0;
}

/* Make our account's uncommitted part at least pages + KQ_HEADROOM. */
static int64_t ensure_room(uint64_t pages)
{
	uint64_t limit = 0, want = pages + KQ_HEADROOM, n;
	int64_t used = sys_task_quota(0, -1, &limit);

	if (used < 0)
		return used;
	if (limit >= (uint64_t)used && limit - (uint64_t)used >= want)
		return 0;
	n = want - (limit - (uint64_t)used);
	n = (n + KQ_CHUNK - 1) / KQ_CHUNK * KQ_CHUNK;
	if (donated + n > donate_cap() || n > page_free_count() / 2)
		return -ERR_NOMEM;
	return donate(n);
}

void kquota_init(void)
{
	uint64_t limit = 0;

	/* On a small machine the cap may allow only init's share. */
	if (ensure_room(kquota_init_pages() + KQ_START_PROCS * kquota_proc_pages()) < 0 &&
	    ensure_room(kquota_init_pages()) < 0)
		pager_log("cannot grow the kernel pool\n");
	sys_task_quota(0, -1, &limit);
	pager_log("kernel pool %lu pages (%lu donated)\n", (unsigned long)limit,
		  (unsigned long)donated);
}

int64_t kquota_give(uint64_t task, uint64_t pages)
{
	int64_t r = ensure_room(pages);

	if (r < 0)
		return r;
	r = sys_task_quota(task, (int64_t)pages, NULL);
	return r < 0 ? r : 0;
}

uint64_t kquota_fork_pages(uint64_t parent_task)
{
	uint64_t limit = 0;
	int64_t used = sys_task_quota(parent_task, -1, &limit);
	uint64_t want = used > 0 ? (uint64_t)used + kquota_proc_pages() / 4 : kquota_proc_pages();

	if (want > limit)
		want = limit;
	return want > kquota_proc_pages() ? want : kquota_proc_pages();
}
