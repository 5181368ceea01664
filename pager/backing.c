/*
 * The backing-store protocol, the pager's side (abi/pager.h, PAGER_OBJ_*;
 * docs/page-cache.md): the queue of requests for the file server, its
 * window, the faults suspended on fills, and the server's PAGER_OBJ_MAP /
 * FETCH / DONE / SIZE / PEEK calls.
 *
 * The pager never waits on the server (BRIEF invariant 9): a request is
 * queued and the server's notification signalled; the server fetches
 * requests (PAGER_OBJ_FETCH), which maps their frames into its window, and
 * answers each (PAGER_OBJ_DONE). A fault on a missing page saves its reply
 * (SYS_REPLY_SAVE) on the page's record; the fill's DONE answers every
 * fault waiting on the page, so two faults on one page cost one read.
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

#define PAGE_MASK (PAGE_SIZE - 1)
#define MAX_FILE_BYTES ((uint64_t)PAGEMAP_MAX_INDEX << PAGE_SHIFT)

/* One request for the server, from queueing to its DONE. */
struct breq {
	struct breq *next;		/* the queue */
	struct pager_backing_req r;
	struct file_obj *fo;		/* NULL for RELEASE */
	uint32_t slot;			/* first window page (FILL, WRITEBACK) */
	int err;			/* SYNC: a write-back error to report */
	uint64_t pfn[BACKING_FILL_MAX];	/* FILL, WRITEBACK: the frames */
	struct fpage *pg[BACKING_FILL_MAX];	/* FILL: the busy pages */
	struct sync_link *syncs;	/* SYNC: the msyncs waiting */
};

struct proc *backing_server;
uint32_t backing_gen;
static uint64_t window_va;
static uint64_t slot_bits[(BACKING_REQ_PAGES + 63) / 64];
static struct breq *queue_head, *queue_tail;

/* Fetched requests by token: slot in the low TOKEN_BITS bits, a
 * generation above, so a stale or forged token names nothing. */
#define TOKEN_BITS	10
#define INFLIGHT_MAX	(1u << TOKEN_BITS)
static struct breq *inflight[INFLIGHT_MAX];
static uint32_t inflight_gen[INFLIGHT_MAX];
static uint32_t inflight_cursor;

/* Pages PAGER_OBJ_PEEK mapped for the server, until its next call. */
static struct { uint64_t pfn, va; } pins[64];
static unsigned npins;


static void enqueue(struct breq *b)
{
	bool was_empty = !queue_head;

	b->next = NULL;
	if (queue_tail)
		queue_tail->next = b;
	else
		queue_head = b;
	queue_tail = b;
	if (was_empty)
		fsconn_kick();
}

static struct breq *dequeue(void)
{
	struct breq *b = queue_head;

	if (b && !(queue_head = b->next))
		queue_tail = NULL;
	return b;
}

/* n consecutive free window pages: the first, or -1. Whole words in
 * use are skipped, so a full window costs 7 steps. */
static int64_t slots_take(uint32_t n)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < BACKING_REQ_PAGES; i++) {
		if (!(i % 64) && slot_bits[i / 64] == ~0ul) {
			run = 0;
			i += 63;
			continue;
		}
		if ((slot_bits[i / 64] >> (i % 64)) & 1) {
			run = 0;
			continue;
		}
		if (++run == n) {
			for (uint32_t j = i + 1 - n; j <= i; j++)
				slot_bits[j / 64] |= 1ul << (j % 64);
			return (int64_t)(i + 1 - n);
		}
	}
	return -1;
}

static void slots_free(uint32_t first, uint32_t n)
{
	for (uint32_t j = first; j < first + n; j++)
		slot_bits[j / 64] &= ~(1ul << (j % 64));
}

static void unpin(void)
{
	for (unsigned i = 0; i < npins; i++) {
		if (backing_server)
			sys_unmap(backing_server->task, pins[i].va, 1);
		page_unref(pins[i].pfn);
	}
	npins = 0;
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
		pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: the file could not be read\n",
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
}

/* Queue a fill for idx of fo (a fault in v): read-around as the policy
 * says, up to the VMA's end, EOF, or a page already there. */
static int fill_start(struct file_obj *fo, struct vma *v, uint64_t idx)
{
	uint64_t max = backing_policy->fill_pages(v, idx), end = v->obj_index + vma_pages(v), n;
	struct breq *b;
	struct fpage *fp;

	if (end > file_pages(fo))
		end = file_pages(fo);
	if (max > end - idx)
		max = end - idx;
	if (max > BACKING_FILL_MAX)
		max = BACKING_FILL_MAX;
	if (!max || !(b = calloc(1, sizeof(*b))))
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
		free(b);
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
	enqueue(b);
	return 0;
}

int backing_fetch(struct proc *p, struct vma *v, uint64_t page)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);
	struct fpage *fp = fpage_find(fo, idx);

	if (fp && (fp->flags & FP_BUSY))
		return 1;
	if (!backing_server || fo->gen != backing_gen || p == backing_server)
		return -ERR_IO;
	return fill_start(fo, v, idx);
}

bool backing_fault_missing(struct proc *p, struct vma *v, uint64_t page, uint64_t access,
			   struct ipc_msg *m)
{
	struct file_obj *fo = file_of(v->obj);
	uint64_t idx = vma_index(v, page);
	struct fpage *fp = fpage_find(fo, idx);
	int64_t h;
	int err;

	if (!fp || !(fp->flags & FP_BUSY)) {
		/* The server cannot wait on itself: its own fault on a
		 * missing file page would never be answered. */
		if (!backing_server || fo->gen != backing_gen || p == backing_server) {
			pager_log("pid %ld (%s) killed by SIGBUS: %s at %p: the file server is gone\n",
				  (long)p->pid, p->name, access == FAULT_WRITE ? "write" : "read",
				  (void *)page);
			proc_end(p, PAGER_SIGBUS);
			return false;
		}
		if ((err = fill_start(fo, v, idx)) < 0) {
			pager_log("pid %ld (%s) killed by SIGKILL: fault at %p: out of memory\n",
				  (long)p->pid, p->name, (void *)page);
			proc_end(p, PAGER_SIGKILL);
			return false;
		}
		fp = fpage_find(fo, idx);
	}
	if ((h = sys_reply_save()) < 0) {
		/* No reply object: the thread faults again and joins. */
		m->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
		return true;
	}
	p->wait_reply = (uint64_t)h;
	p->wait_va = page;
	p->wait_access = access;
	p->wait_page = fp;
	p->wait_next = fp->waiters;
	fp->waiters = p;
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
	signal_refetch();
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

static void complete(struct breq *b, int err)
{
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
	free(b);
}

/* ---- queueing write-back, sync, release ---- */

static int by_index(const void *a, const void *b)
{
	uint64_t x = (*(struct fpage *const *)a)->index, y = (*(struct fpage *const *)b)->index;

	return x < y ? -1 : x > y;
}

int backing_writeback(struct file_obj *fo, struct fpage **pages, uint64_t n)
{
	if (!backing_server || fo->gen != backing_gen)
		return -ERR_IO;
	if (n > 1)
		qsort(pages, n, sizeof(*pages), by_index);
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
		if (!(b = calloc(1, sizeof(*b))))
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
		enqueue(b);
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
	if (!backing_server || fo->gen != backing_gen || !(b = calloc(1, sizeof(*b)))) {
		msync_sync_done(links, backing_server ? -ERR_NOMEM : -ERR_IO);
		return;
	}
	b->fo = fo;
	b->syncs = links;
	b->err = fo->wb_error ? -ERR_IO : 0;
	fo->wb_error = false;
	fo->unsynced = false;
	fo->sync_inflight++;
	b->r = (struct pager_backing_req){ .op = BACKING_SYNC, .key = fo->key };
	enqueue(b);
}

void backing_queue_release(uint32_t key)
{
	struct breq *b;

	if (!backing_server)
		return;
	if (!(b = calloc(1, sizeof(*b)))) {
		pager_log("no memory to release file %u\n", key);
		return;
	}
	b->r = (struct pager_backing_req){ .op = BACKING_RELEASE, .key = key };
	enqueue(b);
}

uint64_t backing_next_due(void)
{
	return dirty_oldest ? dirty_oldest->since + backing_policy->dirty_expire : 0;
}

uint64_t backing_tick(void)
{
	uint64_t now = rd_time(), done = 0;
	struct fpage *batch[64];

	while (done < backing_policy->writeback_batch && dirty_oldest &&
	       now - dirty_oldest->since >= backing_policy->dirty_expire) {
		struct file_obj *fo = dirty_oldest->fo;
		uint64_t n = 0;
		for (struct fpage *fp = fo->dirty; fp && n < 64; fp = fp->dnext)
			if (now - fp->since >= backing_policy->dirty_expire)
				batch[n++] = fp;
		if (backing_writeback(fo, batch, n) < 0)
			return done;	/* no server, or no memory: later */
		done += n;
	}
	return done;
}

/* ---- the server's calls ---- */

static int64_t obj_fetch(uint64_t *out_len)
{
	struct pager_backing_req *out = ipcbuf();
	uint64_t n = 0;
	struct breq *b;

	while ((b = queue_head) && n < PAGER_OBJ_FETCH_MAX) {
		uint32_t i = 0;
		if (b->r.op == BACKING_RELEASE) {	/* no answer: done once fetched */
			out[n++] = dequeue()->r;
			free(b);
			continue;
		}
		for (; i < INFLIGHT_MAX && inflight[(inflight_cursor + i) % INFLIGHT_MAX]; i++)
			;
		if (i == INFLIGHT_MAX)
			break;
		i = (inflight_cursor + i) % INFLIGHT_MAX;
		b->r.window = 0;
		if (b->r.count) {
			int64_t s = slots_take(b->r.count);
			uint32_t rights = b->r.op == BACKING_FILL ? MAP_R | MAP_W : MAP_R, k;
			if (s < 0)
				break;	/* the window is full: DONEs free it */
			b->slot = (uint32_t)s;
			b->r.window = window_va + ((uint64_t)s << PAGE_SHIFT);
			for (k = 0; k < b->r.count; k++)
				if (sys_map(backing_server->task, (uint64_t)page_va(b->pfn[k]),
					    b->r.window + ((uint64_t)k << PAGE_SHIFT), rights) < 0)
					break;
			if (k < b->r.count) {	/* the server's kernel quota: fail it */
				sys_unmap(backing_server->task, b->r.window, b->r.count);
				slots_free(b->slot, b->r.count);
				complete(dequeue(), -ERR_IO);
				continue;
			}
		}
		dequeue();
		inflight_gen[i] = (inflight_gen[i] + 1) & ((1u << (32 - TOKEN_BITS)) - 1);
		b->r.token = i | (inflight_gen[i] << TOKEN_BITS);
		inflight[i] = b;
		inflight_cursor = i + 1;
		out[n++] = b->r;
	}
	*out_len = n * sizeof(*out);
	return (int64_t)n;
}

static int64_t obj_done(uint64_t token, uint64_t result)
{
	uint32_t i = token & (INFLIGHT_MAX - 1);
	struct breq *b = inflight[i];

	if (token > UINT32_MAX || !b || b->r.token != token)
		return -ERR_INVAL;
	if ((int64_t)result > 0 || (int64_t)result < -4095)
		return -ERR_INVAL;
	inflight[i] = NULL;
	if (b->r.count) {
		sys_unmap(backing_server->task, b->r.window, b->r.count);
		slots_free(b->slot, b->r.count);
	}
	complete(b, (int)(int64_t)result);
	if (queue_head)
		fsconn_kick();	/* the window has room again */
	return 0;
}

static int64_t obj_size(uint64_t key, uint64_t size)
{
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || size > MAX_FILE_BYTES)
		return -ERR_INVAL;
	if ((fo = file_lookup((uint32_t)key)))
		file_set_size(fo, size);
	return 0;
}

/* fsync: every dirty page of key's object to the server now. */
static int64_t obj_flush(uint64_t key)
{
	struct file_obj *fo;
	uint64_t n;
	int err;

	if (!key || key > UINT32_MAX)
		return -ERR_INVAL;
	if (!(fo = file_lookup((uint32_t)key)) || !(n = fo->ndirty))
		return 0;
	if ((err = backing_writeback_all(fo)) < 0)
		return err;
	return (int64_t)n;
}

/* PAGER_OBJ_KEEP: the server keeps a recently closed file's object (and
 * its cached pages, which reclaim may still take) past its last mapping,
 * so that the next open finds them; letting go frees it if unmapped. */
static int64_t obj_keep(uint64_t key, uint64_t keep)
{
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || keep > 1)
		return -ERR_INVAL;
	if (!(fo = file_lookup((uint32_t)key)))
		return -ERR_NOENT;
	fo->kept = keep;
	if (!keep)
		file_maybe_free(fo);
	return 0;
}

static int64_t obj_peek(struct ipc_msg *m)
{
	uint64_t key = m->w[0], first = m->w[1], n = m->w[2], va = m->w[3], mask = 0;
	uint64_t lo = window_va + ((uint64_t)BACKING_REQ_PAGES << PAGE_SHIFT);
	uint64_t hi = window_va + ((uint64_t)BACKING_WINDOW_PAGES << PAGE_SHIFT);
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || !n || n > 64 || (va & PAGE_MASK) || va < lo || va >= hi ||
	    n > (hi - va) >> PAGE_SHIFT)
		return -ERR_INVAL;
	m->w[1] = 0;
	if (!(fo = file_lookup((uint32_t)key)) || first >= PAGEMAP_MAX_INDEX)
		return 0;
	for (uint64_t i = 0; i < n && first + i < PAGEMAP_MAX_INDEX; i++) {
		uint64_t pfn = pagemap_get(&fo->obj.pages, first + i), at = va + (i << PAGE_SHIFT);
		if (pfn == PAGEMAP_NONE ||
		    sys_map(backing_server->task, (uint64_t)page_va(pfn), at, MAP_R | MAP_W) < 0)
			continue;
		page_ref(pfn);
		pins[npins].pfn = pfn;
		pins[npins++].va = at;
		mask |= 1ul << i;
	}
	m->w[1] = mask;	/* w0 too; w1 for a mask with bit 63 set */
	return (int64_t)mask;
}

static int64_t obj_map(struct proc *srv, struct ipc_msg *m)
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
	if (!(fo = file_lookup((uint32_t)a.key))) {
		if (!(fo = file_create((uint32_t)a.key, a.size)))
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
	uint64_t *w = m->w;

	if (!backing_server || p != backing_server)
		return -ERR_PERM;
	unpin();
	switch (ipc_label(m->info)) {
	case PAGER_OBJ_MAP:
		return obj_map(p, m);
	case PAGER_OBJ_FETCH:
		w[1] = fsconn_deaths_pending();
		return obj_fetch(out_len);
	case PAGER_OBJ_DONE:
		return obj_done(w[0], w[1]);
	case PAGER_OBJ_SIZE:
		return obj_size(w[0], w[1]);
	case PAGER_OBJ_PEEK:
		return obj_peek(m);
	case PAGER_OBJ_FLUSH:
		return obj_flush(w[0]);
	case PAGER_OBJ_KEEP:
		return obj_keep(w[0], w[1]);
	}
	return -ERR_NOSYS;
}

int backing_server_up(struct proc *p, uint64_t *window)
{
	int64_t r;

	if (backing_server)
		return -ERR_EXIST;
	if ((r = mm_map_window(p, BACKING_WINDOW_PAGES)) < 0)
		return (int)r;
	backing_server = p;
	backing_gen++;
	window_va = (uint64_t)r;
	memset(slot_bits, 0, sizeof(slot_bits));
	*window = window_va;
	return 0;
}

void backing_server_gone(void)
{
	struct breq *list = NULL, *b;

	backing_server = NULL;	/* its task is gone: nothing to unmap */
	unpin();
	backing_orphan_all();
	for (uint32_t i = 0; i < INFLIGHT_MAX; i++)
		if ((b = inflight[i])) {
			inflight[i] = NULL;
			b->next = list;
			list = b;
		}
	while ((b = dequeue())) {
		if (b->r.op == BACKING_RELEASE) {
			free(b);
			continue;
		}
		b->next = list;
		list = b;
	}
	while ((b = list)) {
		list = b->next;
		complete(b, -ERR_IO);
	}
}

void backing_count_refs(uint32_t *counts)
{
	for (unsigned i = 0; i < npins; i++)
		counts[pins[i].pfn]++;
	for (int pass = 0; pass < 2; pass++) {
		struct breq *b = pass ? queue_head : NULL;
		for (uint32_t i = 0; !pass && i < INFLIGHT_MAX; i++)
			if ((b = inflight[i]) && (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK))
				for (uint32_t k = 0; k < b->r.count; k++)
					counts[b->pfn[k]]++;
		for (; pass && b; b = b->next)
			if (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK)
				for (uint32_t k = 0; k < b->r.count; k++)
					counts[b->pfn[k]]++;
	}
}
