/*
 * The backing-store protocol, the pager's side (abi/pager.h, PAGER_OBJ_*,
 * PAGER_MO_WAIT; docs/page-cache.md, docs/external-pagers.md): per server
 * (struct bsrv: the file server and every external pager alike) the queue
 * of requests; the faults suspended on fills; completions; write-back,
 * sync and notices; background write-back. The servers' side (their
 * calls, windows, tokens, lifecycle, timeouts) is bserver.c.
 *
 * The pager never waits on a server (BRIEF invariant 9): a request is
 * queued and the server told (its notification, or the answer to its
 * parked PAGER_MO_WAIT); the server fetches requests, which maps their
 * frames into its window, and answers each. A fault on a missing page
 * saves its reply (SYS_REPLY_SAVE) on the page's record; the fill's
 * answer answers every fault waiting on the page, so two faults on one
 * page cost one read.
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

/* A signal frame waits for a fill (backing_fetch): each fill's end makes
 * signal.c look (signal_refetch walks every process: not for nothing). */
static bool refetch_armed;


/* Requests are recycled: a fault should not pay malloc and clearing
 * ~400 bytes byte by byte (picolibc's memset). The arrays need no
 * clearing: count says what is valid. */
#define BREQ_CACHE	64
static struct breq *breq_cache;
static unsigned breq_cached;

static struct breq *breq_new(void)
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
static void enqueue_q(struct bsrv *s, struct breq *b, bool quiet)
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
	enqueue_q(s, b, false);
}

struct breq *breq_dequeue(struct bsrv *s)
{
	struct breq *b = s->queue_head;

	if (b && !(s->queue_head = b->next))
		s->queue_tail = NULL;
	return b;
}

/* May s take one more request? The file server always may. */
static bool has_room(const struct bsrv *s)
{
	return !s->external || s->nreqs < MO_REQS_MAX;
}


/* ---- suspended faults ---- */

/* A read fault's fill brought more pages than its reply maps (the
 * frames of a fill are seldom consecutive, so fault-around stops): map
 * the rest into q now, with the rights a read gets, rather than have it
 * fault for each. */
static void fill_map_rest(struct proc *q, const struct breq *b, const struct ipc_msg *m,
			  struct vma *v)
{
	uint64_t lo = m->w[1], hi = lo + PAGE_SIZE, label = ipc_label(m->info);
	struct file_obj *fo = b->fo;
	uint32_t rights;

	if (q->wait_access == FAULT_WRITE || b->r.count < 2 ||
	    (label != FAULT_REPLY_MAP && label != FAULT_REPLY_MAP_RUN) ||
	    !(v = v ? v : vma_find(&q->vmas, q->wait_va)) || !(v->flags & VMA_FILE) ||
	    file_of(v->obj) != fo ||
	    !(rights = v->prot & (MAP_R | MAP_X)))
		return;
	if (label == FAULT_REPLY_MAP_RUN) {
		hi = lo + (m->w[3] << PAGE_SHIFT);
		if (m->w[3] >= b->r.count && lo == v->node.start +
						((b->r.index - v->obj_index) << PAGE_SHIFT))
			return;	/* the run is the whole fill */
	}
	for (uint32_t k = 0; k < b->r.count; k++) {
		uint64_t idx = b->r.index + k, va;
		if (idx < v->obj_index || idx - v->obj_index >= vma_pages(v))
			continue;
		va = v->node.start + ((idx - v->obj_index) << PAGE_SHIFT);
		if ((va >= lo && va < hi) || pagemap_get(&fo->obj.pages, idx) != b->pfn[k] ||
		    (v->obj != &fo->obj && pagemap_get(&v->obj->pages, idx) != PAGEMAP_NONE))
			continue;	/* mapped already, dropped, or a private copy */
		sys_map(q->task, (uint64_t)page_va(b->pfn[k]), va, rights);
	}
}

/* A reply that maps a run (fault-around) reaches no further than the
 * fill's own pages: the pages around them were resident before, so
 * mapped already or one cheap fault away, and re-mapping a long resident
 * run at every fill of a sequential scan cost more than the fill. */
static void fill_clip_run(struct proc *q, const struct breq *b, struct ipc_msg *m)
{
	uint64_t page = q->wait_va & ~(uint64_t)PAGE_MASK, lo, hi, first, last;
	struct vma *v;

	if (ipc_label(m->info) != FAULT_REPLY_MAP_RUN || !(v = vma_find(&q->vmas, page)) ||
	    b->r.index + b->r.count <= v->obj_index)
		return;
	lo = v->node.start;
	if (b->r.index > v->obj_index)
		lo += (b->r.index - v->obj_index) << PAGE_SHIFT;
	hi = v->node.start + ((b->r.index + b->r.count - v->obj_index) << PAGE_SHIFT);
	first = m->w[1];
	last = first + (m->w[3] << PAGE_SHIFT);
	if (page < lo || page >= hi || page < first || page >= last)
		return;	/* not a page of this fill: left as it is */
	if (first < lo) {
		m->w[0] += lo - first;
		first = lo;
	}
	if (last > hi)
		last = hi;
	m->w[1] = first;
	m->w[3] = (last - first) >> PAGE_SHIFT;
}

/*
 * q's fault, answered from the fill that brought its page (done_fill;
 * `set`: the fill's pages it put in the cache, a bit each): the frame
 * and the run around it are the fill's, so no second look at the page
 * map (fault_in) nor fault-around's walks both ways and the clipping
 * after them. The same answer fault_reanswer, fault_around and
 * fill_clip_run give: a read or exec fault on a page of v's object
 * itself (a private copy's object, a write, anything else: false, and
 * the fault is resolved again), read-only, grown over the fill's
 * consecutive frames within the policy's window and the VMA.
 */
static bool fill_answer(struct proc *q, const struct breq *b, uint32_t set, struct vma *v,
			struct ipc_msg *m)
{
	uint64_t page = q->wait_va, idx, k, up, down, lo, hi, src;
	uint32_t rights;
	const struct fault_policy *pol;

	if (!v || v->obj != &b->fo->obj || q->wait_access == FAULT_WRITE ||
	    q->wait_access > FAULT_EXEC ||
	    !(v->prot & (q->wait_access == FAULT_EXEC ? MAP_X : MAP_R)))
		return false;
	idx = vma_index(v, page);
	if (idx < b->r.index || (k = idx - b->r.index) >= b->r.count || !(set & (1u << k)))
		return false;
	src = (uint64_t)page_va(b->pfn[k]);
	rights = v->prot & ~MAP_W;	/* file_fault: a read maps it read-only */
	m->info = ipc_info(FAULT_REPLY_MAP, 0, 0);
	m->w[0] = src;
	m->w[1] = page;
	m->w[2] = rights;
	if ((pol = fault_policy_for(v)) == &fault_policy_none)
		return true;
	pol->window(v, page, &lo, &hi);
	if (lo < v->node.start)
		lo = v->node.start;
	if (hi > v->node.end)
		hi = v->node.end;
	for (up = 0; k + up + 1 < b->r.count && (set & (1u << (k + up + 1))) &&
		     b->pfn[k + up + 1] == b->pfn[k] + up + 1 &&
		     page + (up + 1) * PAGE_SIZE < hi; up++)
		;
	for (down = 0; down < k && (set & (1u << (k - down - 1))) &&
		       b->pfn[k - down - 1] + down + 1 == b->pfn[k] &&
		       page - (down + 1) * PAGE_SIZE >= lo; down++)
		;
	if (up + down) {
		m->info = ipc_info(FAULT_REPLY_MAP_RUN, 0, 0);
		m->w[0] = src - down * PAGE_SIZE;
		m->w[1] = page - down * PAGE_SIZE;
		m->w[3] = 1 + up + down;
	}
	return true;
}

/* Answer q's suspended fault: with the mapping, or SIGBUS. Its reply is
 * a saved one (ours to close) or q's own thread (wait_reply_take). b:
 * the fill that ended the wait, set its pages cached (done_fill). */
static void waiter_answer(struct proc *q, bool fail, const struct breq *b, uint32_t set)
{
	uint64_t h = q->wait_reply;
	bool saved = h != q->thread;
	struct ipc_msg m, *lm;
	struct vma *v;

	q->wait_reply = 0;
	q->wait_fill = NULL;
	q->wait_next = NULL;
	if (fail) {
		pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: the page could not be read\n",
			  (long)q->pid, q->name, q->wait_access == FAULT_WRITE ? "write" : "read",
			  (void *)q->wait_va);
		proc_end(q, PAGER_SIGBUS);
		if (saved)
			sys_handle_close(h);
		return;
	}
	/* An answer from the fill is written where the next receive sends it
	 * from (fill_answer only computes: nothing in between sends). */
	lm = saved ? &m : reply_later_slot();
	if (b && q->wait_access != FAULT_WRITE &&	/* a write: fault_reanswer marks it dirty */
	    fill_answer(q, b, set, v = vma_find(&q->vmas, q->wait_va), lm)) {
		if (b->r.count > 1)
			fill_map_rest(q, b, lm, v);
		if (!saved) {
			reply_later_map(h, 0, 0, 0);	/* sends *lm as written */
			return;
		}
	} else {
		fault_reanswer(q, q->wait_va, q->wait_access, &m);
		if (b) {
			fill_clip_run(q, b, &m);
			if (b->r.count > 1)
				fill_map_rest(q, b, &m, NULL);
		}
	}
	if (saved) {
		ipc_reply(h, &m);
		sys_handle_close(h);
	} else {
		reply_later(h, &m);	/* sent with the pager's next receive */
	}
}

/* Answer a chain of waiters (wait_next), after every object change. */
static void waiters_answer(struct proc *chain, bool fail, const struct breq *b, uint32_t set)
{
	while (chain) {
		struct proc *q = chain;
		chain = q->wait_next;
		waiter_answer(q, fail, b, set);
	}
}

void backing_proc_ended(struct proc *p)
{
	struct bsrv *s;

	reply_later_drop(p->thread);	/* its thread goes: nobody to answer */
	if (p->wait_reply) {
		struct breq *b = p->wait_fill;
		for (struct proc **pp = b ? &b->waiters : NULL; pp && *pp; pp = &(*pp)->wait_next)
			if (*pp == p) {
				*pp = p->wait_next;
				break;
			}
		if (p->wait_reply != p->thread)
			sys_handle_close(p->wait_reply);
		p->wait_reply = 0;
		p->wait_fill = NULL;
	}
	msync_proc_ended(p);
	/* An external pager: its clients' faults end in SIGBUS. (The file
	 * server's end comes through fsconn_proc_ended.) */
	if ((s = backing_server_of(p)) && s->external)
		backing_server_gone(s);
}

/* ---- fills in flight ---- */

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

	if (!has_room(fo->srv))
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
	enqueue_q(fo->srv, b, quiet);
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

/* ---- completions ---- */

static void done_fill(struct breq *b, int err)
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
	waiters_answer(ready, err != 0, b, set);
	if (refetch_armed) {	/* a signal frame waits for a fill: try them all */
		refetch_armed = false;
		signal_refetch();
	}
}

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
		done_fill(b, err);
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
		if (!has_room(fo->srv) || !(b = breq_new()))
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
	if (!fo->srv || !has_room(fo->srv) || !(b = breq_new())) {
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
	if (!has_room(s) || !(b = breq_new())) {
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

