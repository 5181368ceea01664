/*
 * The backing-store protocol, the pager's side (abi/pager.h, PAGER_OBJ_*,
 * PAGER_MO_WAIT; docs/page-cache.md, docs/external-pagers.md): per server
 * (struct bsrv: the file server and every external pager alike) the queue
 * of requests; completions; write-back, sync and notices; background
 * write-back. Fills and the faults suspended on them are fill.c and
 * fill_answer.c; the servers' side (their calls, windows, tokens,
 * lifecycle, timeouts) is bserver.c.
 *
 * The pager never waits on a server (BRIEF invariant 9): a request is
 * queued and the server told (its notification, or the answer to its
 * parked PAGER_MO_WAIT); the server fetches requests, which maps their
 * frames into its window, and answers each. A fault on a missing page
 * waits on the fill that reads it (fill.c), whose answer answers every
 * fault waiting on its pages: two faults on one page cost one read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "breq.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "policy.h"
#include "ptimer.h"

#define PAGE_MASK (PAGE_SIZE - 1)



/* Requests are recycled: a fault should not pay malloc and clearing
 * ~400 bytes byte by byte (picolibc's memset). The arrays need no
 * clearing: count says what is valid. */
#define BREQ_CACHE	64
static struct breq *breq_cache;
static unsigned breq_cached;

struct breq *breq_new(void)
{
	struct breq *b = breq_cache;

	if (b) {
		breq_cache = b->next;
		breq_cached--;
	} else if (!(b = malloc(sizeof(*b)))) {
		return NULL;
	}
	b->next = NULL;
	b->r = (struct pager_backing_req){ 0 };
	b->srv = NULL;
	b->fo = NULL;
	b->slot = 0;
	b->err = 0;
	b->since = 0;
	b->fetched = false;
	b->frames_kept = false;
	b->onext = b->oprev = NULL;
	b->syncs = NULL;
	b->seq = 0;
	b->ahead = 0;
	b->enext = NULL;
	return b;
}

void breq_put(struct breq *b)
{
	if (breq_cached >= BREQ_CACHE) {
		free(b);
		return;
	}
	b->next = breq_cache;
	breq_cache = b;
	breq_cached++;
}

void backing_kick(struct bsrv *s)
{
	if (s->parked) {
		bserver_deliver(s);
		return;
	}
	if (s->external)
		sys_notify(s->notif);
	else
		fsconn_kick();
}

/* Queue b for s; tell s unless `quiet` (the caller tells it later). */
void breq_enqueue(struct bsrv *s, struct breq *b, bool quiet)
{
	bool was_empty = !s->queue_head;

	b->next = NULL;
	b->srv = s;
	b->since = rd_time();
	if (s->queue_tail)
		s->queue_tail->next = b;
	else
		s->queue_head = b;
	s->queue_tail = b;
	s->nreqs++;
	if (b->fo) {	/* answers expected: the timeout watches it */
		b->oprev = s->newest;
		if (s->newest)
			s->newest->onext = b;
		else
			s->oldest = b;
		s->newest = b;
		if (s->timeout && s->oldest == b)
			ptimer_arm_by(b->since + s->timeout);
	}
	if (!quiet && (was_empty || s->parked))
		backing_kick(s);
}

static void enqueue(struct bsrv *s, struct breq *b)
{
	breq_enqueue(s, b, false);
}

struct breq *breq_dequeue(struct bsrv *s)
{
	struct breq *b = s->queue_head;

	if (b && !(s->queue_head = b->next))
		s->queue_tail = NULL;
	return b;
}



/* ---- completions ---- */

/* Page idx's write-back from frame pfn ended. Failed: the page is dirty
 * again (if still cached and anyone maps the file: else the data is
 * lost, as Linux loses it, rather than retried forever). */
static void wb_page_done(struct file_obj *fo, uint64_t idx, uint64_t pfn, bool redirty)
{
	struct fpage *fp;

	if (redirty && pagemap_get(&fo->obj.pages, idx) == pfn && (fp = fpage_get(fo, idx)))
		fpage_set_dirty(fp);
	page_unref(pfn);
}

/* b's pages, each with its frame. */
static uint64_t wb_pages_done(struct breq *b, bool redirty)
{
	struct file_obj *fo = b->fo;
	uint32_t at = 1;

	if (b->r.op == BACKING_WRITEBACK) {
		for (uint32_t k = 0; k < b->r.count; k++)
			wb_page_done(fo, b->r.index + k, b->pfn[k], redirty);
		return b->r.count;
	}
	/* The run table is ours (the server has it read-only). */
	const struct pager_backing_run *t = page_va(b->pfn[0]);
	for (uint64_t r = 0; r < b->r.bytes && r < BACKING_RUNS_MAX; r++)
		for (uint32_t j = 0; j < t[r].pages && at < b->r.count; j++)
			wb_page_done(fo, t[r].index + j, b->pfn[at++], redirty);
	page_unref(b->pfn[0]);
	return at - 1;
}

static void done_writeback(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;
	bool covered = false;

	fo->nwb -= wb_pages_done(b, err && (fo->obj.refs || fo->priv_refs));
	fo->nwb_reqs--;
	/* An early SYNC queued behind this write-back reports its result
	 * (and flushes what it wrote): nothing left for a later msync. */
	for (struct breq *s = fo->early; s; s = s->enext)
		if (b->seq < s->seq) {
			s->ahead--;
			if (err)
				s->err = -ERR_IO;
			covered = true;
		}
	if (err && !covered)
		fo->wb_error = true;
	else if (!err && !covered)
		fo->unsynced = true;
	if (!fo->nwb && fo->syncs)
		backing_queue_sync(fo);
	file_maybe_free(fo);
}

static void done_sync(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;

	fo->sync_inflight--;
	for (struct breq **pp = &fo->early; *pp; pp = &(*pp)->enext)
		if (*pp == b) {
			*pp = b->enext;
			/* Answered before the write-backs it covers: the server
			 * broke the order, their data may not be on the disk. */
			if (b->ahead && !err)
				err = -ERR_IO;
			break;
		}
	if (err)
		fo->unsynced = true;	/* not known to be on the disk */
	msync_sync_done(b->syncs, err ? err : b->err);
	file_maybe_free(fo);
}

void breq_complete(struct breq *b, int err)
{
	if (b->srv) {
		struct bsrv *s = b->srv;
		s->nreqs--;
		if (b->fo) {
			if (b->oprev)
				b->oprev->onext = b->onext;
			else
				s->oldest = b->onext;
			if (b->onext)
				b->onext->oprev = b->oprev;
			else
				s->newest = b->oprev;
		}
	}
	switch (b->r.op) {
	case BACKING_FILL:
		fill_done(b, err);
		break;
	case BACKING_WRITEBACK:
	case BACKING_WRITEBACK_RUNS:
		done_writeback(b, err);
		break;
	case BACKING_SYNC:
		done_sync(b, err);
		break;
	}
	breq_put(b);
}

/* ---- queueing write-back, sync, notices ---- */

static int by_index(const void *a, const void *b)
{
	uint64_t x = (*(struct fpage *const *)a)->index, y = (*(struct fpage *const *)b)->index;

	return x < y ? -1 : x > y;
}

/* Pages from pages[i] on (up to max) that follow each other in the file. */
static uint64_t run_len(struct fpage **pages, uint64_t i, uint64_t n, uint64_t max)
{
	uint64_t len = 1;

	while (i + len < n && len < max && pages[i + len]->index == pages[i]->index + len)
		len++;
	return len;
}

/* Hand pages[0..cnt) (one run, from first) to b from window page `at`
 * on: write-protected first (a store from now on refaults and makes the
 * page dirty again: correct, it is written back later), cleared, each
 * frame held until DONE (it outlives a drop). protect false: the caller
 * write-protected them already. */
static void wb_take(struct file_obj *fo, struct breq *b, uint32_t at, struct fpage **pages,
		    uint64_t cnt, bool protect)
{
	if (protect)
		rmap_protect(fo, pages[0]->index, pages[0]->index + cnt);
	for (uint64_t k = 0; k < cnt; k++) {
		struct fpage *fp = pages[k];
		b->pfn[at + k] = pagemap_get(&fo->obj.pages, fp->index);
		page_ref(b->pfn[at + k]);
		fpage_clear_dirty(fp);
		fpage_put(fp);
	}
	fo->nwb += cnt;
}

static void wb_enqueue(struct file_obj *fo, struct breq *b)
{
	b->fo = fo;
	b->seq = fo->wb_seq++;
	fo->nwb_reqs++;
	enqueue(fo->srv, b);
}

/* Bytes of page idx (of fo) to write: short for the file's last page. */
static uint32_t wb_last_bytes(const struct file_obj *fo, uint64_t idx)
{
	uint64_t bytes = fo->size - (idx << PAGE_SHIFT);

	return bytes < PAGE_SIZE ? (uint32_t)bytes : (uint32_t)PAGE_SIZE;
}

/*
 * One BACKING_WRITEBACK_RUNS for the `used` pages of pages[] (nruns
 * runs): one request, one inode load and one answer at the server for
 * pages scattered over the file. The run table goes in a frame of its
 * own, window page 0. false (nothing taken) without a frame for it.
 */
static bool wb_queue_runs(struct file_obj *fo, struct breq *b, struct fpage **pages,
			  uint64_t used, uint64_t nruns)
{
	struct pager_backing_run *t;
	int64_t tpfn;
	uint32_t at = 1;
	bool scattered = nruns * 2 > used;

	if (page_free_count() < 2 * OOM_RESERVE_FRAMES || (tpfn = page_alloc_zeroed()) < 0)
		return false;
	t = page_va((uint64_t)tpfn);
	b->pfn[0] = (uint64_t)tpfn;
	if (scattered)	/* mostly single pages: a list, one kernel entry */
		rmap_protect_pages(fo, pages, used);
	for (uint64_t r = 0, i = 0; r < nruns; r++) {
		uint64_t len = run_len(pages, i, used, BACKING_RUNS_PAGES);
		t[r] = (struct pager_backing_run){ .index = pages[i]->index, .pages = (uint32_t)len,
			.last = wb_last_bytes(fo, pages[i]->index + len - 1) };
		wb_take(fo, b, at, pages + i, len, !scattered);
		at += (uint32_t)len;
		i += len;
	}
	b->r = (struct pager_backing_req){ .op = BACKING_WRITEBACK_RUNS, .key = fo->key,
		.index = t[0].index, .count = at, .bytes = nruns };
	wb_enqueue(fo, b);
	return true;
}

/* Into index order. A dirty list is newest first, so stores in ascending
 * order (a scan, a sequential write) give it descending: reversed in a
 * pass, not sorted. */
static void sort_pages(struct fpage **pages, uint64_t n)
{
	uint64_t i = 1;

	while (i < n && pages[i]->index < pages[i - 1]->index)
		i++;
	if (i == n) {
		for (uint64_t a = 0, b = n - 1; a < b; a++, b--) {
			struct fpage *t = pages[a];
			pages[a] = pages[b];
			pages[b] = t;
		}
		return;
	}
	for (i = 1; i < n; i++)
		if (pages[i]->index < pages[i - 1]->index) {
			qsort(pages, n, sizeof(*pages), by_index);
			return;
		}
}

int backing_writeback(struct file_obj *fo, struct fpage **pages, uint64_t n)
{
	uint64_t kept = 0;

	if (!fo->srv)
		return -ERR_IO;
	sort_pages(pages, n);
	for (uint64_t i = 0; i < n; i++) {
		if (pages[i]->index < file_pages(fo)) {
			pages[kept++] = pages[i];
			continue;
		}
		fpage_clear_dirty(pages[i]);	/* cannot happen: shrink drops them */
		fpage_put(pages[i]);
	}
	n = kept;
	if (fo->srv->external) {	/* room for every run, or none queued */
		uint64_t runs = 0;
		for (uint64_t i = 0; i < n; runs++)
			i += run_len(pages, i, n, BACKING_FILL_MAX);
		if (fo->srv->nreqs + runs > MO_REQS_MAX)
			return -ERR_NOMEM;
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t cnt = run_len(pages, i, n, BACKING_FILL_MAX), used = 0, nruns = 0;
		struct breq *b;
		/* The file server takes scattered runs in one request. */
		while (!fo->srv->external && i + used < n && nruns < BACKING_RUNS_MAX &&
		       used < BACKING_RUNS_PAGES) {
			used += run_len(pages, i + used, n, BACKING_RUNS_PAGES - used);
			nruns++;
		}
		/* An external server at its quota: the rest stay dirty,
		 * for the next msync or background pass. */
		if (!breq_room(fo->srv) || !(b = breq_new()))
			return -ERR_NOMEM;
		if ((nruns > 1 || used > cnt) && wb_queue_runs(fo, b, pages + i, used, nruns)) {
			i += used;
			continue;
		}
		wb_take(fo, b, 0, pages + i, cnt, true);
		uint64_t first = pages[i]->index;
		b->r = (struct pager_backing_req){ .op = BACKING_WRITEBACK, .key = fo->key,
			.index = first, .count = (uint32_t)cnt,
			.bytes = ((cnt - 1) << PAGE_SHIFT) + wb_last_bytes(fo, first + cnt - 1) };
		wb_enqueue(fo, b);
		i += cnt;
	}
	return 0;
}

int backing_writeback_all(struct file_obj *fo)
{
	uint64_t n = 0;
	struct fpage **pages;
	int err;

	if (!fo->ndirty)
		return 0;
	if (!(pages = malloc(fo->ndirty * sizeof(*pages))))
		return -ERR_NOMEM;
	for (struct fpage *fp = fo->dirty; fp; fp = fp->dnext)
		pages[n++] = fp;
	err = backing_writeback(fo, pages, n);
	free(pages);
	return err;
}

void backing_queue_sync(struct file_obj *fo)
{
	struct sync_link *links = fo->syncs;
	struct breq *b;

	fo->syncs = NULL;
	if (!fo->srv || !breq_room(fo->srv) || !(b = breq_new())) {
		msync_sync_done(links, fo->srv ? -ERR_NOMEM : -ERR_IO);
		return;
	}
	b->fo = fo;
	b->syncs = links;
	b->err = fo->wb_error ? -ERR_IO : 0;
	fo->wb_error = false;
	fo->unsynced = false;
	fo->sync_inflight++;
	if (fo->nwb_reqs) {	/* early: behind write-backs in flight (msync.c) */
		b->seq = fo->wb_seq;
		b->ahead = fo->nwb_reqs;
		b->enext = fo->early;
		fo->early = b;
	}
	b->r = (struct pager_backing_req){ .op = BACKING_SYNC, .key = fo->key };
	enqueue(fo->srv, b);
}

int backing_queue_notice(struct bsrv *s, uint32_t op, uint32_t key, uint64_t index)
{
	struct breq *b;

	if (!s)
		return 0;
	/* An external server that lets its queue fill loses notices (it
	 * can still ask PAGER_MO_DIRTY). The file server's RELEASE without
	 * memory for its request is kept by backing_obj_freed instead. */
	if (!breq_room(s) || !(b = breq_new())) {
		if (s->external && !s->dropped++)
			pager_log("pid %ld (%s) takes no more requests: notices about its objects are dropped\n",
				  (long)s->proc->pid, s->proc->name);
		return -ERR_NOMEM;
	}
	b->r = (struct pager_backing_req){ .op = op, .key = key, .index = index,
					   .count = 0 };
	enqueue(s, b);
	return 0;
}

uint64_t backing_next_due(void)
{
	return dirty_oldest ? dirty_oldest->since + backing_policy->dirty_expire : 0;
}

uint64_t backing_tick(void)
{
	uint64_t now = rd_time(), done = 0;
	struct fpage *batch[64];
	unsigned skipped = 0;

	while (done < backing_policy->writeback_batch && dirty_oldest && skipped < 8 &&
	       now - dirty_oldest->since >= backing_policy->dirty_expire) {
		struct file_obj *fo = dirty_oldest->fo;
		uint64_t n = 0;
		for (struct fpage *fp = fo->dirty; fp && n < 64; fp = fp->dnext)
			if (now - fp->since >= backing_policy->dirty_expire)
				batch[n++] = fp;
		if (backing_writeback(fo, batch, n) < 0) {
			if (fo->srv && !fo->srv->external)
				return done;	/* no memory: later */
			/* An external server at its quota, or gone: its pages
			 * go to the back of the line, not in everyone's way. */
			n = 0;
			for (struct fpage *fp = fo->dirty; fp && n < 64; fp = fp->dnext)
				if (now - fp->since >= backing_policy->dirty_expire)
					batch[n++] = fp;
			for (uint64_t k = 0; k < n; k++) {
				fpage_clear_dirty(batch[k]);
				fpage_set_dirty(batch[k]);
			}
			skipped++;
			continue;
		}
		done += n;
	}
	return done;
}

