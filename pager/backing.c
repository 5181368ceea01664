/*
 * The backing-store protocol, the pager's side (abi/pager.h, PAGER_OBJ_*,
 * PAGER_MO_WAIT; docs/page-cache.md, docs/external-pagers.md): per server
 * (struct bsrv: the file server and every external pager alike) the queue
 * of requests, its window and PEEK pins; the faults suspended on fills;
 * the servers' FETCH / DONE / WAIT / SIZE / PEEK / FLUSH / MAP calls;
 * timeouts for servers that do not answer.
 *
 * The pager never waits on a server (BRIEF invariant 9): a request is
 * queued and the server told (its notification, or the answer to its
 * parked PAGER_MO_WAIT); the server fetches requests, which maps their
 * frames into its window, and answers each. A fault on a missing page
 * saves its reply (SYS_REPLY_SAVE) on the page's record; the fill's
 * answer answers every fault waiting on the page, so two faults on one
 * page cost one read. Tokens name requests across servers; each request
 * remembers its server, so one server cannot answer another's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "policy.h"
#include "ptimer.h"

#define PAGE_MASK (PAGE_SIZE - 1)
#define MAX_FILE_BYTES ((uint64_t)PAGEMAP_MAX_INDEX << PAGE_SHIFT)

/* One request for a server, from queueing to its answer. */
struct breq {
	struct breq *next;		/* the queue */
	struct pager_backing_req r;
	struct bsrv *srv;
	struct file_obj *fo;		/* NULL for notices */
	uint32_t slot;			/* first window page (FILL, WRITEBACK) */
	int err;			/* SYNC: a write-back error to report */
	uint64_t since;			/* rdtime when queued (timeouts) */
	bool fetched;			/* handed out: in the in-flight table */
	struct breq *onext, *oprev;	/* its server's unanswered requests, oldest first */
	uint64_t pfn[BACKING_FILL_MAX];	/* FILL, WRITEBACK: the frames */
	struct fpage *pg[BACKING_FILL_MAX];	/* FILL: the busy pages */
	struct sync_link *syncs;	/* SYNC: the msyncs waiting */
};

struct bsrv *backing_fs;
/* Every server: the file server's slot first, then external ones. */
static struct bsrv *servers[1 + MO_SERVERS_MAX];

/* Fetched requests by token: slot in the low TOKEN_BITS bits, a
 * generation above, so a stale or forged token names nothing. External
 * servers hold at most MO_SERVERS_MAX * MO_REQS_MAX of them. */
#define TOKEN_BITS	11
#define INFLIGHT_MAX	(1u << TOKEN_BITS)
static struct breq *inflight[INFLIGHT_MAX];
static uint32_t inflight_gen[INFLIGHT_MAX];
static uint32_t inflight_cursor;
/* A signal frame waits for a fill (backing_fetch): each fill's end makes
 * signal.c look (signal_refetch walks every process: not for nothing). */
static bool refetch_armed;

static void complete(struct breq *b, int err);

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
	b->onext = b->oprev = NULL;
	b->syncs = NULL;
	return b;
}

static void breq_put(struct breq *b)
{
	if (breq_cached >= BREQ_CACHE) {
		free(b);
		return;
	}
	b->next = breq_cache;
	breq_cache = b;
	breq_cached++;
}
static bool deliver_parked(struct bsrv *s);

struct bsrv *backing_server_of(const struct proc *p)
{
	for (unsigned i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (servers[i] && servers[i]->proc == p)
			return servers[i];
	return NULL;
}

static void kick(struct bsrv *s)
{
	if (s->parked) {
		deliver_parked(s);
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
			ptimer_arm();
	}
	if (!quiet && (was_empty || s->parked))
		kick(s);
}

static void enqueue(struct bsrv *s, struct breq *b)
{
	enqueue_q(s, b, false);
}

static struct breq *dequeue(struct bsrv *s)
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

/* n consecutive free window pages: the first, or -1. Whole words in
 * use are skipped, so a full window costs 7 steps. */
static int64_t slots_take(struct bsrv *s, uint32_t n)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < BACKING_REQ_PAGES; i++) {
		if (!(i % 64) && s->slot_bits[i / 64] == ~0ul) {
			run = 0;
			i += 63;
			continue;
		}
		if ((s->slot_bits[i / 64] >> (i % 64)) & 1) {
			run = 0;
			continue;
		}
		if (++run == n) {
			for (uint32_t j = i + 1 - n; j <= i; j++)
				s->slot_bits[j / 64] |= 1ul << (j % 64);
			return (int64_t)(i + 1 - n);
		}
	}
	return -1;
}

static void slots_free(struct bsrv *s, uint32_t first, uint32_t n)
{
	for (uint32_t j = first; j < first + n; j++)
		s->slot_bits[j / 64] &= ~(1ul << (j % 64));
}

static void unpin(struct bsrv *s)
{
	for (unsigned i = 0; i < s->npins; i++) {
		if (s->proc)
			sys_unmap(s->proc->task, s->pins[i].va, 1);
		page_unref(s->pins[i].pfn);
	}
	s->npins = 0;
}

/* ---- suspended faults ---- */

/* Answer q's suspended fault: with the mapping, or SIGBUS. */
static void waiter_answer(struct proc *q, bool fail)
{
	uint64_t h = q->wait_reply;
	struct ipc_msg m;

	q->wait_reply = 0;
	q->wait_page = NULL;
	q->wait_next = NULL;
	if (fail) {
		pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: the page could not be read\n",
			  (long)q->pid, q->name, q->wait_access == FAULT_WRITE ? "write" : "read",
			  (void *)q->wait_va);
		proc_end(q, PAGER_SIGBUS);
		sys_handle_close(h);
		return;
	}
	fault_reanswer(q, q->wait_va, q->wait_access, &m);
	ipc_reply(h, &m);
	sys_handle_close(h);
}

/* Answer a chain of waiters (wait_next), after every object change. */
static void waiters_answer(struct proc *chain, bool fail)
{
	while (chain) {
		struct proc *q = chain;
		chain = q->wait_next;
		waiter_answer(q, fail);
	}
}

void backing_proc_ended(struct proc *p)
{
	struct bsrv *s;

	if (p->wait_reply) {
		struct fpage *fp = p->wait_page;
		for (struct proc **pp = fp ? &fp->waiters : NULL; pp && *pp; pp = &(*pp)->wait_next)
			if (*pp == p) {
				*pp = p->wait_next;
				break;
			}
		sys_handle_close(p->wait_reply);
		p->wait_reply = 0;
		p->wait_page = NULL;
	}
	msync_proc_ended(p);
	/* An external pager: its clients' faults end in SIGBUS. (The file
	 * server's end comes through fsconn_proc_ended.) */
	if ((s = backing_server_of(p)) && s->external)
		backing_server_gone(s);
}

/* Queue a fill for idx of fo (a fault in v): read-around as the policy
 * says, up to the VMA's end, EOF, or a page already there. quiet: the
 * caller tells the server (after saving its fault's reply). */
static int fill_start(struct file_obj *fo, struct vma *v, uint64_t idx, bool quiet)
{
	uint64_t max = backing_policy->fill_pages(v, idx), end = v->obj_index + vma_pages(v), n;
	struct breq *b;
	struct fpage *fp;

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
	/* Zeroed, though the server writes every byte of a fill: a freed
	 * frame's old contents (some ended process's) are nobody's to see. */
	for (n = 0; n < max; n++) {
		uint64_t i = idx + n;
		int64_t pfn;
		if (n && (pagemap_get(&fo->obj.pages, i) != PAGEMAP_NONE ||
			  ((fp = fpage_find(fo, i)) && (fp->flags & FP_BUSY)) ||
			  page_free_count() < 2 * OOM_RESERVE_FRAMES))
			break;
		if ((pfn = page_alloc_zeroed()) < 0)
			break;
		if (!(fp = fpage_get(fo, i))) {
			page_unref((uint64_t)pfn);
			break;
		}
		fp->flags |= FP_BUSY;
		b->pg[n] = fp;
		b->pfn[n] = (uint64_t)pfn;
	}
	if (!n) {
		breq_put(b);
		return -ERR_NOMEM;
	}
	/* Ascending frames for ascending pages (the allocator hands them
	 * out downwards): fault-around then maps the fill in one run. */
	for (uint64_t k = 1; k < n; k++)
		for (uint64_t j = k; j && b->pfn[j - 1] > b->pfn[j]; j--) {
			uint64_t t = b->pfn[j];
			b->pfn[j] = b->pfn[j - 1];
			b->pfn[j - 1] = t;
		}
	for (uint64_t k = 0; k < n; k++)
		b->pg[k]->pfn = b->pfn[k];
	fo->nbusy += n;
	b->fo = fo;
	b->r = (struct pager_backing_req){ .op = BACKING_FILL, .key = fo->key, .index = idx,
					   .count = (uint32_t)n, .bytes = fo->size };
	enqueue_q(fo->srv, b, quiet);
	return 0;
}

int backing_fetch(struct proc *p, struct vma *v, uint64_t page)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);
	struct fpage *fp = fpage_find(fo, idx);

	if (fp && (fp->flags & FP_BUSY)) {
		refetch_armed = true;
		return 1;
	}
	if (!fo->srv || p == fo->srv->proc)
		return -ERR_IO;
	refetch_armed = true;
	return fill_start(fo, v, idx, false);
}

bool backing_fault_missing(struct proc *p, struct vma *v, uint64_t page, uint64_t access,
			   struct ipc_msg *m)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);
	struct fpage *fp = fpage_find(fo, idx);
	bool started = false;
	int64_t h;
	int err;

	if (!fp || !(fp->flags & FP_BUSY)) {
		/* A server cannot wait on itself: its own fault on a
		 * missing page of its object would never be answered. */
		if (!fo->srv || p == fo->srv->proc) {
			pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: %s\n",
				  (long)p->pid, p->name, access == FAULT_WRITE ? "write" : "read",
				  (void *)page, fo->srv ? "its own object's page is missing"
							: "the object's server is gone");
			proc_end(p, PAGER_SIGBUS);
			return false;
		}
		if ((err = fill_start(fo, v, idx, true)) < 0) {
			bool busy = err == -ERR_AGAIN;
			pager_log("pid %ld (%s) killed by %s: fault at %p: %s\n", (long)p->pid, p->name,
				  busy ? "SIGBUS" : "SIGKILL", (void *)page,
				  busy ? "its pager has too many requests" : "out of memory");
			proc_end(p, busy ? PAGER_SIGBUS : PAGER_SIGKILL);
			return false;
		}
		started = true;
		fp = fpage_find(fo, idx);
	}
	if ((h = sys_reply_save()) < 0) {
		/* No reply object: the thread faults again and joins. */
		m->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
		if (started)
			kick(fo->srv);
		return true;
	}
	p->wait_reply = (uint64_t)h;
	p->wait_va = page;
	p->wait_access = access;
	p->wait_page = fp;
	p->wait_next = fp->waiters;
	fp->waiters = p;
	/* Told now, with the reply saved: a parked server's answer may
	 * complete the fill before this function returns. */
	if (started)
		kick(fo->srv);
	return false;
}

/* ---- completions ---- */

static void done_fill(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;
	struct proc *ready = NULL;

	for (uint32_t k = 0; k < b->r.count; k++) {
		struct fpage *fp = b->pg[k];
		uint64_t idx = fp->index, pfn = b->pfn[k];
		bool good = !err && !(fp->flags & FP_STALE) && idx < file_pages(fo);
		if (good && idx == fo->size >> PAGE_SHIFT)	/* the part past EOF is zero */
			memset((char *)page_va(pfn) + (fo->size & PAGE_MASK), 0,
			       PAGE_SIZE - (fo->size & PAGE_MASK));
		if (!good || pagemap_set(&fo->obj.pages, idx, pfn) < 0)
			page_unref(pfn);
		fp->flags &= ~(FP_BUSY | FP_STALE);
		fo->nbusy--;
		while (fp->waiters) {	/* onto one chain, answered below */
			struct proc *q = fp->waiters;
			fp->waiters = q->wait_next;
			q->wait_next = ready;
			q->wait_page = NULL;
			ready = q;
		}
		fpage_put(fp);
	}
	file_maybe_free(fo);
	/* A failed read ends its waiters (SIGBUS); otherwise each fault is
	 * resolved again (a page dropped meanwhile makes it fault anew). */
	waiters_answer(ready, err != 0);
	if (refetch_armed) {	/* a signal frame waits for a fill: try them all */
		refetch_armed = false;
		signal_refetch();
	}
}

static void done_writeback(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;
	bool mapped = fo->obj.refs || fo->priv_refs;

	for (uint32_t k = 0; k < b->r.count; k++) {
		uint64_t idx = b->r.index + k;
		struct fpage *fp;
		/* Failed: the page is dirty again (if still cached and
		 * anyone maps the file: else the data is lost, as Linux
		 * loses it, rather than retried forever). */
		if (err && mapped && pagemap_get(&fo->obj.pages, idx) == b->pfn[k] &&
		    (fp = fpage_get(fo, idx)))
			fpage_set_dirty(fp);
		page_unref(b->pfn[k]);
	}
	fo->nwb -= b->r.count;
	if (err)
		fo->wb_error = true;
	else
		fo->unsynced = true;
	if (!fo->nwb && fo->syncs)
		backing_queue_sync(fo);
	file_maybe_free(fo);
}

static void done_sync(struct breq *b, int err)
{
	struct file_obj *fo = b->fo;

	fo->sync_inflight--;
	msync_sync_done(b->syncs, err ? err : b->err);
	file_maybe_free(fo);
}

/* b left its server's queue or the in-flight table: finish it. */
static void complete(struct breq *b, int err)
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

int backing_writeback(struct file_obj *fo, struct fpage **pages, uint64_t n)
{
	if (!fo->srv)
		return -ERR_IO;
	if (n > 1)
		qsort(pages, n, sizeof(*pages), by_index);
	if (fo->srv->external) {	/* room for every run, or none queued */
		uint64_t runs = n ? 1 : 0;
		for (uint64_t i = 1, len = 1; i < n; i++, len++)
			if (pages[i]->index != pages[i - 1]->index + 1 || len == BACKING_FILL_MAX) {
				runs++;
				len = 0;
			}
		if (fo->srv->nreqs + runs > MO_REQS_MAX)
			return -ERR_NOMEM;
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t first = pages[i]->index, cnt = 1;
		struct breq *b;
		while (i + cnt < n && cnt < BACKING_FILL_MAX && pages[i + cnt]->index == first + cnt)
			cnt++;
		if (first >= file_pages(fo)) {	/* cannot happen: shrink drops them */
			fpage_clear_dirty(pages[i]);
			fpage_put(pages[i]);
			i++;
			continue;
		}
		if (first + cnt > file_pages(fo))
			cnt = file_pages(fo) - first;
		/* An external server at its quota: the rest stay dirty,
		 * for the next msync or background pass. */
		if (!has_room(fo->srv) || !(b = breq_new()))
			return -ERR_NOMEM;
		/* Write-protect first: a store from now on refaults and makes
		 * the page dirty again (correct: it is written back later). */
		rmap_protect(fo, first, first + cnt);
		for (uint64_t k = 0; k < cnt; k++) {
			struct fpage *fp = pages[i + k];
			b->pfn[k] = pagemap_get(&fo->obj.pages, fp->index);
			page_ref(b->pfn[k]);	/* the frame outlives a drop until DONE */
			fpage_clear_dirty(fp);
			fpage_put(fp);
		}
		fo->nwb += cnt;
		b->fo = fo;
		uint64_t bytes = fo->size - (first << PAGE_SHIFT);
		b->r = (struct pager_backing_req){ .op = BACKING_WRITEBACK, .key = fo->key,
			.index = first, .count = (uint32_t)cnt,
			.bytes = bytes < (cnt << PAGE_SHIFT) ? bytes : cnt << PAGE_SHIFT };
		enqueue(fo->srv, b);
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
	b->r = (struct pager_backing_req){ .op = BACKING_SYNC, .key = fo->key };
	enqueue(fo->srv, b);
}

void backing_queue_notice(struct bsrv *s, uint32_t op, uint32_t key, uint64_t index)
{
	struct breq *b;

	if (!s)
		return;
	/* An external server that lets its queue fill loses notices (it
	 * can still ask PAGER_MO_DIRTY). */
	if (!has_room(s) || !(b = breq_new())) {
		pager_log("no room to tell pid %ld about object %u\n", (long)s->proc->pid, key);
		return;
	}
	b->r = (struct pager_backing_req){ .op = op, .key = key, .index = index,
					   .count = 0 };
	enqueue(s, b);
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

/* ---- the servers' calls ---- */

/* Hand out s's first queued request: a token, its pages mapped in the
 * window. 1: handed out (in *out), 0: none can go now (none queued, the
 * window or the token table full), -1: it failed (completed) or was a
 * notice that needs no answer (in *out, freed): look again. */
static int hand_out(struct bsrv *s, struct pager_backing_req *out)
{
	struct breq *b = s->queue_head;
	uint32_t i = 0;

	if (!b)
		return 0;
	if (!b->r.token && (b->r.op == BACKING_RELEASE || b->r.op == BACKING_WRITTEN)) {
		*out = dequeue(s)->r;	/* no answer: done once fetched */
		s->nreqs--;
		breq_put(b);
		return 2;
	}
	for (; i < INFLIGHT_MAX && inflight[(inflight_cursor + i) % INFLIGHT_MAX]; i++)
		;
	if (i == INFLIGHT_MAX)
		return 0;
	i = (inflight_cursor + i) % INFLIGHT_MAX;
	b->r.window = 0;
	if (b->r.count) {
		int64_t slot = slots_take(s, b->r.count);
		uint32_t rights = b->r.op == BACKING_FILL ? MAP_R | MAP_W : MAP_R, k;
		if (slot < 0)
			return 0;	/* the window is full: answers free it */
		b->slot = (uint32_t)slot;
		b->r.window = s->window_va + ((uint64_t)slot << PAGE_SHIFT);
		for (k = 0; k < b->r.count; k++)
			if (sys_map(s->proc->task, (uint64_t)page_va(b->pfn[k]),
				    b->r.window + ((uint64_t)k << PAGE_SHIFT), rights) < 0)
				break;
		if (k < b->r.count) {	/* the server's kernel quota: fail it */
			sys_unmap(s->proc->task, b->r.window, b->r.count);
			slots_free(s, b->slot, b->r.count);
			complete(dequeue(s), -ERR_IO);
			return -1;
		}
	}
	dequeue(s);
	inflight_gen[i] = (inflight_gen[i] + 1) & ((1u << (32 - TOKEN_BITS)) - 1);
	if (!inflight_gen[i])
		inflight_gen[i] = 1;	/* token 0 means "none" to PAGER_MO_WAIT */
	b->r.token = i | (inflight_gen[i] << TOKEN_BITS);
	inflight[i] = b;
	b->fetched = true;
	inflight_cursor = i + 1;
	*out = b->r;
	return 1;
}

static int64_t obj_fetch(struct bsrv *s, uint64_t *out_len)
{
	struct pager_backing_req *out = ipcbuf();
	uint64_t n = 0;
	int r;

	while (n < PAGER_OBJ_FETCH_MAX && (r = hand_out(s, &out[n])) != 0)
		if (r > 0)
			n++;
	*out_len = n * sizeof(*out);
	return (int64_t)n;
}

/* The words PAGER_MO_WAIT answers with (abi/pager.h). */
static void wait_words(struct ipc_msg *m, const struct pager_backing_req *q)
{
	m->w[0] = 1;
	m->w[1] = q->op | (uint64_t)q->key << 32;
	m->w[2] = q->index;
	m->w[3] = q->count | (uint64_t)q->token << 32;
	m->w[4] = q->window;
	m->w[5] = q->bytes;
}

/* A request for a parked server: answer its PAGER_MO_WAIT. */
static bool deliver_parked(struct bsrv *s)
{
	struct pager_backing_req q;
	struct ipc_msg m = { .info = ipc_info(0, 0, 0) };
	int r;

	while ((r = hand_out(s, &q)) < 0)
		;
	if (!r)
		return false;
	wait_words(&m, &q);
	ipc_reply(s->parked, &m);
	sys_handle_close(s->parked);
	s->parked = 0;
	return true;
}

int64_t backing_done(struct bsrv *s, uint64_t token, uint64_t result)
{
	uint32_t i = token & (INFLIGHT_MAX - 1);
	struct breq *b = inflight[i];

	if (token > UINT32_MAX || !b || b->r.token != token || b->srv != s)
		return -ERR_INVAL;
	if ((int64_t)result > 0 || (int64_t)result < -4095)
		return -ERR_INVAL;
	inflight[i] = NULL;
	if (b->r.count) {
		sys_unmap(s->proc->task, b->r.window, b->r.count);
		slots_free(s, b->slot, b->r.count);
	}
	complete(b, (int)(int64_t)result);
	return 0;
}

bool backing_wait(struct bsrv *s, struct ipc_msg *m, int64_t *r)
{
	struct pager_backing_req q;
	int64_t h;
	int got;

	if (s->parked)
		return *r = -ERR_BUSY, false;
	if (m->w[0] && (*r = backing_done(s, m->w[0], m->w[1])) < 0)
		return false;
	while ((got = hand_out(s, &q)) < 0)
		;
	if (got) {
		wait_words(m, &q);
		*r = 1;
		return false;
	}
	if ((h = sys_reply_save()) < 0) {
		*r = 0;	/* nothing now: the server asks again */
		m->w[1] = m->w[2] = m->w[3] = m->w[4] = m->w[5] = 0;
		return false;
	}
	s->parked = (uint64_t)h;
	return true;
}

static int64_t obj_size(struct bsrv *s, uint64_t key, uint64_t size)
{
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || size > MAX_FILE_BYTES)
		return -ERR_INVAL;
	if (!(fo = file_lookup(s, (uint32_t)key)))
		return 0;
	if (s->external) {	/* sizes are its page quota */
		uint64_t now = file_pages(fo), want = (size + PAGE_MASK) >> PAGE_SHIFT;
		if (want > now && s->pages + (want - now) > MO_PAGES_MAX)
			return -ERR_NOSPC;
		s->pages = s->pages - now + want;
	}
	file_set_size(fo, size);
	return 0;
}

/* fsync: every dirty page of key's object to the server now. */
static int64_t obj_flush(struct bsrv *s, uint64_t key)
{
	struct file_obj *fo;
	uint64_t n;
	int err;

	if (!key || key > UINT32_MAX)
		return -ERR_INVAL;
	if (!(fo = file_lookup(s, (uint32_t)key)) || !(n = fo->ndirty))
		return 0;
	if ((err = backing_writeback_all(fo)) < 0)
		return err;
	return (int64_t)n;
}

static int64_t obj_peek(struct bsrv *s, struct ipc_msg *m)
{
	uint64_t key = m->w[0], first = m->w[1], n = m->w[2], va = m->w[3], mask = 0;
	uint64_t lo = s->window_va + ((uint64_t)BACKING_REQ_PAGES << PAGE_SHIFT);
	uint64_t hi = s->window_va + ((uint64_t)BACKING_WINDOW_PAGES << PAGE_SHIFT);
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || !n || n > 64 || (va & PAGE_MASK) || va < lo || va >= hi ||
	    n > (hi - va) >> PAGE_SHIFT)
		return -ERR_INVAL;
	m->w[1] = 0;
	if (!(fo = file_lookup(s, (uint32_t)key)) || first >= PAGEMAP_MAX_INDEX)
		return 0;
	for (uint64_t i = 0; i < n && first + i < PAGEMAP_MAX_INDEX; i++) {
		uint64_t pfn = pagemap_get(&fo->obj.pages, first + i), at = va + (i << PAGE_SHIFT);
		if (pfn == PAGEMAP_NONE ||
		    sys_map(s->proc->task, (uint64_t)page_va(pfn), at, MAP_R | MAP_W) < 0)
			continue;
		page_ref(pfn);
		s->pins[s->npins].pfn = pfn;
		s->pins[s->npins++].va = at;
		mask |= 1ul << i;
	}
	m->w[1] = mask;	/* w0 too; w1 for a mask with bit 63 set */
	return (int64_t)mask;
}

static int64_t obj_map(struct bsrv *s, struct proc *srv, struct ipc_msg *m)
{
	const uint64_t known = PMAP_SHARED | PMAP_PRIVATE | PMAP_FIXED | PMAP_POPULATE |
			       PMAP_FIXED_NOREPLACE | PMAP_FILE_RDONLY;
	struct pager_obj_map a;
	struct file_obj *fo;
	struct memobj *o;
	struct proc *c;
	uint64_t kind, pages;
	bool fresh = false;
	int64_t r;

	if (ipc_len(m->info) != sizeof(a))
		return -ERR_INVAL;
	memcpy(&a, ipcbuf(), sizeof(a));
	c = a.pid ? proc_get(a.pid) : NULL;
	if (!c || c->state != PROC_LIVE || c == srv)
		return -ERR_SRCH;
	kind = a.flags & (PMAP_SHARED | PMAP_PRIVATE);
	if (!a.key || a.key > UINT32_MAX || (a.offset & PAGE_MASK) || a.size > MAX_FILE_BYTES ||
	    !a.length || (a.flags & ~known) || (kind != PMAP_SHARED && kind != PMAP_PRIVATE) ||
	    (a.prot & ~(uint32_t)(MAP_R | MAP_W | MAP_X)))
		return -ERR_INVAL;
	if (kind == PMAP_SHARED && (a.flags & PMAP_FILE_RDONLY) && (a.prot & MAP_W))
		return -ERR_ACCES;
	if (a.length > USER_TOP)
		return -ERR_NOMEM;
	pages = (a.length + PAGE_MASK) >> PAGE_SHIFT;
	if (a.offset >> PAGE_SHIFT > PAGEMAP_MAX_INDEX - pages)
		return -ERR_INVAL;	/* Linux: EOVERFLOW */
	if (!(fo = file_lookup(s, (uint32_t)a.key))) {
		if (!(fo = file_create(s, (uint32_t)a.key, a.size)))
			return -ERR_NOMEM;
		fresh = true;
	} else if (fo->size != a.size) {
		file_set_size(fo, a.size);
	}
	if (kind == PMAP_SHARED) {
		o = &fo->obj;
		memobj_ref(o);
	} else if (!(o = fpriv_create(fo))) {
		file_maybe_free(fo);
		return -ERR_NOMEM;
	}
	r = mm_map_object(c, a.hint, a.length, a.prot, a.flags & ~(uint64_t)PMAP_FILE_RDONLY, o,
			  a.offset >> PAGE_SHIFT,
			  VMA_FILE | (kind == PMAP_SHARED ? VMA_SHARED : 0) |
			  (kind == PMAP_SHARED && (a.flags & PMAP_FILE_RDONLY) ? VMA_NOWRITE : 0));
	if (r < 0)
		return r;	/* mm_map_object dropped o: a fresh fo is gone */
	if (fresh)
		fo->announced = true;
	m->w[1] = fresh;
	return r;
}

int64_t backing_request(struct proc *p, struct ipc_msg *m, uint64_t *out_len)
{
	struct bsrv *s = backing_server_of(p);
	uint64_t *w = m->w;
	int64_t r;

	if (!s)
		return -ERR_PERM;
	unpin(s);
	switch (ipc_label(m->info)) {
	case PAGER_OBJ_MAP:
		return s->external ? -ERR_PERM : obj_map(s, p, m);
	case PAGER_OBJ_FETCH:
		w[1] = s->external ? 0 : fsconn_deaths_pending();
		return obj_fetch(s, out_len);
	case PAGER_OBJ_DONE:
		if ((r = backing_done(s, w[0], w[1])) == 0 && s->queue_head)
			kick(s);	/* the window has room again */
		return r;
	case PAGER_OBJ_SIZE:
		return obj_size(s, w[0], w[1]);
	case PAGER_OBJ_PEEK:
		return s->external ? -ERR_PERM : obj_peek(s, m);
	case PAGER_OBJ_FLUSH:
		return obj_flush(s, w[0]);
	}
	return -ERR_NOSYS;
}

/* ---- servers come and go ---- */

struct bsrv *backing_server_up(struct proc *p, bool external, uint64_t *window, int *err)
{
	unsigned i = external ? 1 : 0, end = external ? 1 + MO_SERVERS_MAX : 1;
	struct bsrv *s;
	int64_t r;

	if (backing_server_of(p)) {
		*err = -ERR_EXIST;
		return NULL;
	}
	for (; i < end && servers[i]; i++)
		;
	if (i == end) {
		*err = external ? -ERR_NOSPC : -ERR_EXIST;
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		*err = -ERR_NOMEM;
		return NULL;
	}
	if ((r = mm_map_window(p, BACKING_WINDOW_PAGES)) < 0) {
		free(s);
		*err = (int)r;
		return NULL;
	}
	s->proc = p;
	s->external = external;
	s->window_va = (uint64_t)r;
	s->next_key = 1;
	servers[i] = s;
	if (!external)
		backing_fs = s;
	*window = s->window_va;
	return s;
}

void backing_server_gone(struct bsrv *s)
{
	struct breq *list = NULL, *b;

	if (!s)
		return;
	for (unsigned i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (servers[i] == s)
			servers[i] = NULL;
	if (backing_fs == s)
		backing_fs = NULL;
	unpin(s);	/* its task may be gone: unmapping nothing is harmless */
	if (s->parked)
		sys_handle_close(s->parked);
	s->parked = 0;
	for (uint32_t i = 0; i < INFLIGHT_MAX; i++)
		if ((b = inflight[i]) && b->srv == s) {
			inflight[i] = NULL;
			b->next = list;
			list = b;
		}
	while ((b = dequeue(s))) {
		if (!b->fo) {	/* a notice */
			breq_put(b);
			continue;
		}
		b->next = list;
		list = b;
	}
	/* Its objects lose their server first: completions and the faults
	 * they answer see a server that is gone. */
	backing_orphan_all(s);
	while ((b = list)) {
		list = b->next;
		b->srv = NULL;
		complete(b, -ERR_IO);
	}
	if (s->external && s->notif)
		sys_handle_close(s->notif);
	free(s);
}

void backing_obj_freed(struct file_obj *fo)
{
	struct bsrv *s = fo->srv;

	if (!s)
		return;
	if (s->external) {
		s->nobjs--;
		s->pages -= file_pages(fo) < s->pages ? file_pages(fo) : s->pages;
	}
	if (fo->announced)
		backing_queue_notice(s, BACKING_RELEASE, fo->key, 0);
}

/* ---- timeouts ---- */

uint64_t backing_next_timeout(void)
{
	uint64_t first = 0;

	for (unsigned i = 1; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct bsrv *s = servers[i];
		if (s && s->timeout && s->oldest && (!first || s->oldest->since + s->timeout < first))
			first = s->oldest->since + s->timeout;
	}
	return first;
}

/* Take b (unanswered past its time) out of its queue or the in-flight
 * table; its window pages leave the server. */
static void withdraw(struct bsrv *s, struct breq *b)
{
	if (b->fetched) {
		inflight[b->r.token & (INFLIGHT_MAX - 1)] = NULL;
		if (b->r.count) {
			sys_unmap(s->proc->task, b->r.window, b->r.count);
			slots_free(s, b->slot, b->r.count);
		}
		return;
	}
	s->queue_tail = NULL;
	for (struct breq **pp = &s->queue_head; *pp; pp = &(*pp)->next) {
		if (*pp == b)
			*pp = b->next;
		if (!*pp)
			break;
		s->queue_tail = *pp;
	}
}

void backing_timeouts(void)
{
	uint64_t now = rd_time();

	for (unsigned i = 1; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct bsrv *s = servers[i];
		struct breq *b;
		while (s && s->timeout && (b = s->oldest) && now - b->since >= s->timeout) {
			pager_log("pid %ld (%s) did not answer request %u (object %u) in time\n",
				  (long)s->proc->pid, s->proc->name, b->r.op, b->r.key);
			withdraw(s, b);
			complete(b, -ERR_IO);	/* unlinks it from s->oldest */
			s = servers[i];	/* a SIGBUS may have ended the server itself */
		}
	}
}

void backing_count_refs(uint32_t *counts)
{
	for (unsigned i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct bsrv *s = servers[i];
		if (!s)
			continue;
		for (unsigned j = 0; j < s->npins; j++)
			counts[s->pins[j].pfn]++;
		for (struct breq *b = s->queue_head; b; b = b->next)
			if (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK)
				for (uint32_t k = 0; k < b->r.count; k++)
					counts[b->pfn[k]]++;
	}
	for (uint32_t i = 0; i < INFLIGHT_MAX; i++) {
		struct breq *b = inflight[i];
		if (b && (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK))
			for (uint32_t k = 0; k < b->r.count; k++)
				counts[b->pfn[k]]++;
	}
}
