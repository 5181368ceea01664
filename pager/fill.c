/*
 * Fills (backing.c's protocol): a fault on a missing file page starts or
 * joins the fill that reads it. A fill in flight is its pages' busy
 * record: the request sits on its object's `fills` with the faults
 * waiting on any of its pages and a bit per page dropped meanwhile. Here:
 * finding fills, making them (read-around as the VMA's policy says, frames
 * in order, zeroed for an external pager), a fault suspended on one, and
 * the completion that puts the pages in the cache and answers the
 * waiters (fill_answer.c). docs/page-cache.md, docs/external-pagers.md.
 */
#include <stdio.h>
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

#define PAGE_MASK (PAGE_SIZE - 1)

/* A signal frame waits for a fill (backing_fetch): each fill's end makes
 * signal.c look (signal_refetch walks every process: not for nothing). */
static bool refetch_armed;

/* The fill of fo in flight that reads page idx, or NULL. A walk of the
 * object's fills: there are seldom more than a few, and none at all in
 * the common case (nbusy 0), which costs one comparison. */
static struct breq *fill_at(const struct file_obj *fo, uint64_t idx)
{
	if (!fo->nbusy)
		return NULL;
	for (struct breq *b = fo->fills; b; b = b->fnext)
		if (idx - b->r.index < b->r.count)
			return b;
	return NULL;
}

bool backing_busy(const struct file_obj *fo, uint64_t idx, uint64_t n)
{
	for (struct breq *b = fo->nbusy ? fo->fills : NULL; b; b = b->fnext)
		if (b->r.index - idx < n || idx - b->r.index < b->r.count)	/* overlap, without wrapping */
			return true;
	return false;
}

/* The first page at or after idx that a fill in flight reads (UINT64_MAX:
 * none): a new fill stops short of it. */
static uint64_t fill_next_busy(const struct file_obj *fo, uint64_t idx)
{
	uint64_t next = UINT64_MAX;

	for (struct breq *b = fo->nbusy ? fo->fills : NULL; b; b = b->fnext)
		if (b->r.index + b->r.count > idx && b->r.index < next)
			next = b->r.index > idx ? b->r.index : idx;
	return next;
}

void backing_fills_stale(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	for (struct breq *b = fo->nbusy ? fo->fills : NULL; b; b = b->fnext)
		for (uint32_t k = 0; k < b->r.count; k++)
			if (b->r.index + k >= lo && b->r.index + k < hi)
				b->stale |= 1u << k;
}

const char *backing_check_fills(const struct file_obj *fo, uint64_t *at)
{
	uint64_t pages = 0;

	for (const struct breq *b = fo->fills; b; b = b->fnext) {
		*at = b->r.index;
		if (b->r.op != BACKING_FILL || b->fo != fo || !b->r.count ||
		    b->r.count > BACKING_FILL_MAX || (b->fnext && b->fnext->fprev != b) ||
		    (b == fo->fills && b->fprev))
			return "file fills list";
		pages += b->r.count;
		for (const struct breq *o = b->fnext; o; o = o->fnext)
			if (o->r.index - b->r.index < b->r.count || b->r.index - o->r.index < o->r.count)
				return "file fills overlap";
		for (uint32_t k = 0; k < b->r.count; k++)
			if (pagemap_get(&fo->obj.pages, b->r.index + k) != PAGEMAP_NONE) {
				*at = b->r.index + k;
				return "file page resident and being read";
			}
		for (const struct proc *q = b->waiters; q; q = q->wait_next)
			if (q->wait_fill != b || !q->wait_reply || q->state != PROC_LIVE) {
				*at = (uint64_t)q->pid;
				return "file fill waiter";
			}
	}
	*at = pages;
	return pages != fo->nbusy ? "file busy pages" : NULL;
}

static void fill_link(struct file_obj *fo, struct breq *b)
{
	b->fprev = NULL;
	b->fnext = fo->fills;
	if (fo->fills)
		fo->fills->fprev = b;
	fo->fills = b;
	fo->nbusy += b->r.count;
}

static void fill_unlink(struct file_obj *fo, struct breq *b)
{
	if (b->fprev)
		b->fprev->fnext = b->fnext;
	else
		fo->fills = b->fnext;
	if (b->fnext)
		b->fnext->fprev = b->fprev;
	fo->nbusy -= b->r.count;
}

/* Ascending frames for ascending pages, so that fault-around maps a fill
 * in one run. The frames of a fill are mostly a contiguous range in some
 * order (the zeroed pool's, the free list's): then they are written out
 * in order, one pass (an insertion sort of a descending 16 was ~1,000
 * instructions); otherwise sorted. */
static void frames_ascending(uint64_t *pfn, uint64_t n)
{
	uint64_t lo = pfn[0], hi = pfn[0];

	for (uint64_t k = 1; k < n; k++) {
		lo = pfn[k] < lo ? pfn[k] : lo;
		hi = pfn[k] > hi ? pfn[k] : hi;
	}
	if (hi - lo == n - 1) {	/* distinct frames: exactly [lo, hi] */
		for (uint64_t k = 0; k < n; k++)
			pfn[k] = lo + k;
		return;
	}
	for (uint64_t k = 1; k < n; k++)
		for (uint64_t j = k; j && pfn[j - 1] > pfn[j]; j--) {
			uint64_t t = pfn[j];
			pfn[j] = pfn[j - 1];
			pfn[j - 1] = t;
		}
}

/* Queue one fill of up to max pages from idx of fo (a fault in v), up to
 * the VMA's end, EOF, or a page already there or being read (idx itself
 * is neither: the caller looked). The fill is the pages' busy record (the
 * object's `fills`): no record a page. quiet: the caller tells the server
 * (after saving its fault's reply). *first: the fill. */
static int fill_chunk(struct file_obj *fo, struct vma *v, uint64_t idx, uint64_t max, bool quiet,
		      struct breq **first)
{
	uint64_t end = v->obj_index + vma_pages(v), n, free = page_nfree, busy;
	struct breq *b;

	if (!breq_room(fo->srv))
		return -ERR_AGAIN;
	if (end > file_pages(fo))
		end = file_pages(fo);
	if (max > end - idx)
		max = end - idx;
	if (max > BACKING_FILL_MAX)
		max = BACKING_FILL_MAX;
	if (!max || !(b = breq_new()))
		return -ERR_NOMEM;
	/* Past the first page: absent, not being read, frames to spare. */
	if ((busy = fill_next_busy(fo, idx + 1)) - idx < max)
		max = busy - idx;
	if (max > 1)
		max = 1 + pagemap_absent_run(&fo->obj.pages, idx + 1, max - 1);
	if (max > 1 && (free < 2 * OOM_RESERVE_FRAMES || free - 2 * OOM_RESERVE_FRAMES + 1 < max))
		max = free < 2 * OOM_RESERVE_FRAMES ? 1 : free - 2 * OOM_RESERVE_FRAMES + 1;
	/* The file server (ours, trusted with every file) writes every byte
	 * of a fill it answers as done (fsd/backing.c run_fill zeroes what
	 * is past the data), and a failed fill's frames are freed unseen
	 * (done_fill): its frames need no zeroing, which was ~600 a page of
	 * a cold read. An external pager is any process: it could read a
	 * freed frame's old contents (some ended process's) through its
	 * window before writing, so its frames come zeroed. */
	if (fo->srv->external)
		n = page_alloc_zeroed_run(b->pfn, max);
	else
		for (n = 0; n < max; n++) {
			int64_t pfn = page_alloc();
			if (pfn < 0)
				break;
			b->pfn[n] = (uint64_t)pfn;
		}
	if (!n) {
		breq_put(b);
		return -ERR_NOMEM;
	}
	frames_ascending(b->pfn, n);
	b->fo = fo;
	b->waiters = NULL;
	b->stale = 0;
	b->r = (struct pager_backing_req){ .op = BACKING_FILL, .key = fo->key, .index = idx,
					   .count = (uint32_t)n, .bytes = fo->size };
	fill_link(fo, b);
	if (first && !*first)
		*first = b;
	breq_enqueue(fo->srv, b, quiet);
	return 0;
}

/* Whether page i of fo (in v) is one to read: in the VMA and the file,
 * neither cached nor being read, and frames to spare. */
static bool fill_wanted(struct file_obj *fo, struct vma *v, uint64_t i)
{
	return i < v->obj_index + vma_pages(v) && i < file_pages(fo) &&
	       pagemap_get(&fo->obj.pages, i) == PAGEMAP_NONE && !fill_at(fo, i) &&
	       page_nfree >= 2 * OOM_RESERVE_FRAMES;
}

/* Queue fills for want pages from idx, in requests of BACKING_FILL_MAX
 * pages; past the first, best effort, each from a page not there yet. */
static int fill_range(struct file_obj *fo, struct vma *v, uint64_t idx, uint64_t want,
		      bool quiet, struct breq **first)
{
	int err = fill_chunk(fo, v, idx, want, quiet, first);

	for (uint64_t k = BACKING_FILL_MAX; err == 0 && k < want; k += BACKING_FILL_MAX)
		if (!fill_wanted(fo, v, idx + k) ||
		    fill_chunk(fo, v, idx + k, want - k, quiet, NULL) < 0)
			break;
	return err;
}

/* The fills for a fault at idx of fo in v: read-around as v's policy
 * says (policy.h). *first: the one that reads idx. */
static int fill_start(struct file_obj *fo, struct vma *v, uint64_t idx, bool quiet,
		      struct breq **first)
{
	uint64_t want = backing_policy_for(v)->fill_pages(v, idx);

	/* An external pager gets what a fault asks, one fill at most: no
	 * stream window (policy_backing.c), whose speculative requests would
	 * spend its request quota and its time. */
	if (fo->srv && fo->srv->external)
		return fill_chunk(fo, v, idx, want, quiet, first);
	return fill_range(fo, v, idx, want, quiet, first);
}

/* A fault at idx waits for a page being read: the policy may queue the
 * next window now (asynchronous read-ahead: the reads keep ahead of a
 * scan instead of starting when it catches up). */
static void fill_ahead(struct file_obj *fo, struct vma *v, uint64_t idx)
{
	const struct backing_policy *pol;
	uint64_t from = 0, n;

	if (fo->srv && fo->srv->external)
		return;	/* no read-ahead for external pagers (fill_start) */
	pol = backing_policy_for(v);
	if (pol->ahead && (n = pol->ahead(v, idx, &from)) && fill_wanted(fo, v, from))
		fill_range(fo, v, from, n, false, NULL);
}

/* A read fault found page resident in a file VMA with a read-ahead window:
 * the policy may queue the next window now (the first fault in a window
 * read ahead, fault-around having mapped the rest of the last one). */
void backing_fault_ahead(struct proc *p, struct vma *v, uint64_t page)
{
	struct file_obj *fo;

	if (!(v->flags & VMA_FILE) || !(fo = file_of(v->obj)) || !fo->srv || p == fo->srv->proc)
		return;
	fill_ahead(fo, v, vma_index(v, page));
}

int backing_fetch(struct proc *p, struct vma *v, uint64_t page)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);

	if (fill_at(fo, idx)) {
		refetch_armed = true;
		return 1;
	}
	if (!fo->srv || p == fo->srv->proc)
		return -ERR_IO;
	refetch_armed = true;
	return fill_start(fo, v, idx, false, NULL);
}

/*
 * The reply a fault waiting for a fill is answered through. A fault of
 * p's own thread (no holder forwards p's faults: forward.c) is left
 * unanswered (deferred, docs/syscalls.md) and answered through p's thread
 * handle, ours anyway, as PAGER_WAIT is: no reply object to make and
 * close, two syscalls fewer a fill. Only p's thread carries p's fault
 * badge, and it runs nothing until answered. A forwarded fault's linked
 * caller is the holder's call: saved, as forward.c expects.
 */
static int64_t wait_reply_take(struct proc *p)
{
	return p->pager_holder ? sys_reply_save() : (int64_t)p->thread;
}

bool backing_fault_missing(struct proc *p, struct vma *v, uint64_t page, uint64_t access,
			   struct ipc_msg *m)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);
	struct breq *b = fill_at(fo, idx);
	bool started = false;
	int64_t h;
	int err;

	/* A server cannot wait on itself: its own fault on a missing page
	 * of its object would never be answered, nor would one on a page
	 * its fill in flight reads (the answer is its own to give: it and
	 * every client of the fill waited for its timeout). */
	if (!fo->srv || p == fo->srv->proc) {
		pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: %s\n",
			  (long)p->pid, p->name, access == FAULT_WRITE ? "write" : "read",
			  (void *)page, fo->srv ? "its own object's page is missing"
						: "the object's server is gone");
		proc_end(p, PAGER_SIGBUS);
		return false;
	}
	if (!b) {
		if ((err = fill_start(fo, v, idx, true, &b)) < 0) {
			bool busy = err == -ERR_AGAIN;
			pager_log("pid %ld (%s) killed by %s: fault at %p: %s\n", (long)p->pid, p->name,
				  busy ? "SIGBUS" : "SIGKILL", (void *)page,
				  busy ? "its pager has too many requests" : "out of memory");
			proc_end(p, busy ? PAGER_SIGBUS : PAGER_SIGKILL);
			return false;
		}
		started = true;
		if (!fo->srv->external)	/* (external pagers read no further) */
			fill_ahead(fo, v, idx);	/* a stream: the next window too */
	} else if (!fo->srv->external) {
		fill_ahead(fo, v, idx);
	}
	if ((h = wait_reply_take(p)) < 0) {
		/* No reply object: the thread faults again and joins. */
		m->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
		if (started)
			backing_kick(fo->srv);
		return true;
	}
	p->wait_reply = (uint64_t)h;
	p->wait_va = page;
	p->wait_access = access;
	p->wait_fill = b;
	p->wait_next = b->waiters;
	b->waiters = p;
	/* Told now, with the reply saved: a parked server's answer may
	 * complete the fill before this function returns. */
	if (started)
		backing_kick(fo->srv);
	return false;
}

void fill_done(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;
	struct proc *ready = b->waiters;
	uint32_t set = 0;	/* the pages put in the cache, a bit each */
	uint64_t *slot = NULL, nslots = 0, end = file_pages(fo), eof = fo->size >> PAGE_SHIFT;
	/* In locals: the stores to the cache's slots could alias b's fields */
	uint32_t count = b->frames_kept ? 0 : b->r.count, stale = b->stale;
	uint64_t first = b->r.index;

	fill_unlink(fo, b);
	/* frames_kept: a device may still write them, never reused (count 0) */
	for (uint32_t k = 0; k < count; k++) {
		uint64_t idx = first + k, pfn = b->pfn[k];
		if (err || (stale & (1u << k)) || idx >= end) {
			page_unref(pfn);
			nslots = 0;	/* the next page's slot is looked up */
			continue;
		}
		/* The cache's slots, a node at a time. */
		if (!nslots && !(slot = pagemap_slots(&fo->obj.pages, idx, &nslots))) {
			page_unref(pfn);
			continue;
		}
		if (idx == eof)	/* the part past EOF is zero */
			memset((char *)page_va(pfn) + (fo->size & PAGE_MASK), 0,
			       PAGE_SIZE - (fo->size & PAGE_MASK));
		if (*slot)	/* cannot be: a page being read is absent */
			page_unref(*slot - 1);
		*slot++ = pfn + 1;	/* the cache takes the fill's reference */
		nslots--;
		set |= 1u << k;
	}
	for (struct proc *q = ready; q; q = q->wait_next)
		q->wait_fill = NULL;
	file_maybe_free(fo);
	/* A failed read ends its waiters (SIGBUS); otherwise each fault is
	 * resolved again (a page dropped meanwhile makes it fault anew). */
	fill_waiters_answer(ready, err != 0, b, set);
	if (refetch_armed) {	/* a signal frame waits for a fill: try them all */
		refetch_armed = false;
		signal_refetch();
	}
}
