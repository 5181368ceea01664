/*
 * The servers of the backing-store protocol (backing.h struct bsrv;
 * abi/pager.h; docs/page-cache.md, docs/external-pagers.md): the file
 * server and every external pager alike. Here: handing requests out
 * (PAGER_OBJ_FETCH, a parked PAGER_MO_WAIT) with their pages mapped in
 * the server's window and a token each, the answers (PAGER_OBJ_DONE,
 * PAGER_MO_WAIT), the server's other PAGER_OBJ_* calls, servers coming
 * and going, and the timeouts of servers that do not answer.
 *
 * Tokens name requests across servers: a slot of one table in the low
 * TOKEN_BITS bits, a generation above, so a stale or forged token names
 * nothing; each request remembers its server, so one server cannot
 * answer another's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi/pager.h"
#include "backing.h"
#include "breq.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "slotmap.h"

#define PAGE_MASK (PAGE_SIZE - 1)
#define MAX_FILE_BYTES ((uint64_t)PAGEMAP_MAX_INDEX << PAGE_SHIFT)

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

struct bsrv *backing_server_of(const struct proc *p)
{
	return p ? p->bsrv : NULL;	/* set and cleared with s->proc */
}


/* n consecutive free window pages: the first, or -1 (slotmap.h). */
static int64_t slots_take(struct bsrv *s, uint32_t n)
{
	return slotmap_take(s->slot_bits, BACKING_REQ_PAGES, n);
}

static void slots_free(struct bsrv *s, uint32_t first, uint32_t n)
{
	slotmap_free(s->slot_bits, first, n);
}

/* Slots [first, first + n) map something else now, or nothing: the
 * frames they kept (linger) lose the window's reference. */
static void slots_unlinger(struct bsrv *s, uint32_t first, uint32_t n)
{
	for (uint32_t j = first; j < first + n; j++)
		if (s->linger[j]) {
			page_unref(s->linger[j] - 1);
			s->linger[j] = 0;
			s->nlinger--;
		}
}

/*
 * A request's slots once it is answered: they keep mapping its frames,
 * with a reference of the window's, until the next request that takes
 * them maps its own frames over them (one map where a map and an unmap
 * were, ~270 instructions a request). The server can still see a frame it
 * was handed, but never one used for anything else: the reference keeps
 * the frame from being freed and reused while any slot maps it; dropping
 * clean pages releases the slots first (backing_windows_release).
 */
static void slots_linger(struct bsrv *s, const struct breq *b)
{
	/* The file server's slots are unmapped at the answer, as before: its
	 * fills wait on the disk, so keeping them gains it little, and runs
	 * with them kept showed worse disk-bound figures in test_filemap
	 * bench (docs/benchmarks.md, branch extfast: confounded with a fast
	 * path that overtook the run queue, since fixed). */
	if (!s->external) {
		if (b->r.count) {
			sys_unmap(s->proc->task, b->r.window, b->r.count);
			slots_unlinger(s, b->slot, b->r.count);
		}
		slots_free(s, b->slot, b->r.count);
		return;
	}
	for (uint32_t k = 0; k < b->r.count; k++) {
		uint64_t *l = &s->linger[b->slot + k];
		page_ref(b->pfn[k]);
		if (*l)	/* what the slot kept before a map left to the answer */
			page_unref(*l - 1);
		else
			s->nlinger++;
		*l = b->pfn[k] + 1;
	}
	slots_free(s, b->slot, b->r.count);
}

static void window_release(struct bsrv *s)
{
	if (!s->nlinger)
		return;
	/* Free slots only: one in use maps its request's pages (or will). */
	for (uint32_t i = 0, n; i < BACKING_REQ_PAGES; i += n + 1) {
		for (n = 0; i + n < BACKING_REQ_PAGES && s->linger[i + n] &&
			    !((s->slot_bits[(i + n) / 64] >> ((i + n) % 64)) & 1); n++)
			;
		if (!n)
			continue;
		if (s->proc)
			sys_unmap(s->proc->task, s->window_va + ((uint64_t)i << PAGE_SHIFT), n);
		slots_unlinger(s, i, n);
	}
}

void backing_windows_release(struct bsrv *s)
{
	if (s) {
		window_release(s);
		return;
	}
	for (unsigned i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (servers[i])
			window_release(servers[i]);
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

/* ---- the servers' calls ---- */

/* Frames list[0..n) at window page `at` of s: one kernel entry. */
static int64_t map_scattered(struct bsrv *s, const uint64_t *list, uint32_t n, uint64_t at,
			     uint32_t rights)
{
	if (n <= 1)
		return n ? sys_map(s->proc->task, list[0], at, rights) : 0;
	return sys_map_list(s->proc->task, list, at, rights, n);
}

/* Map b's frames at its slots now: a run of consecutive frames in one
 * SYS_MAP_RUN, the single frames between runs (a write-back's scattered
 * pages) gathered into SYS_MAP_LIST calls (a SYS_MAP each cost a kernel
 * entry a page). On an error nothing of it stays mapped. */
static int window_map(struct bsrv *s, struct breq *b, uint32_t rights)
{
	enum { LIST_MAX = 64 };
	uint64_t list[LIST_MAX], list_at = 0;
	uint32_t k, n, nlist = 0;
	int64_t r = 0;

	for (k = 0; k < b->r.count; k += n) {
		uint64_t src = (uint64_t)page_va(b->pfn[k]), at = b->r.window + ((uint64_t)k << PAGE_SHIFT);
		for (n = 1; k + n < b->r.count && b->pfn[k + n] == b->pfn[k] + n; n++)
			;
		if (n == 1) {
			if (!nlist)
				list_at = at;
			list[nlist++] = src;
			if (nlist < LIST_MAX)
				continue;
		}
		if ((r = map_scattered(s, list, nlist, list_at, rights)) < 0)
			break;
		nlist = 0;
		if (n > 1 && (r = sys_map_run(s->proc->task, src, at, rights, n)) < 0)
			break;
	}
	if (r >= 0)
		r = map_scattered(s, list, nlist, list_at, rights);
	if (r < 0)
		sys_unmap(s->proc->task, b->r.window, b->r.count);
	slots_unlinger(s, b->slot, b->r.count);	/* mapped over, or unmapped */
	return (int)r;
}

/*
 * Or leave the map to the answer that hands b to its parked server: the
 * kernel maps in the same entry (SYS_IPC_REPLY_TO_RECV's map item, in
 * item[0], item[1]; ~200 instructions less than a SYS_MAP). Only for one
 * run of frames whose slots all map a frame now, so that their page tables
 * exist and the map cannot fail. The frames the slots keep stay in linger,
 * referenced, until b's answer (slots_linger) or withdrawal: until then
 * they may still be mapped (the answer not gone yet, or refused).
 */
static bool window_map_later(struct bsrv *s, struct breq *b, uint32_t rights, uint64_t *item)
{
	uint32_t n = b->r.count;

	if (n > 1 && b->pfn[n - 1] != b->pfn[0] + n - 1)
		return false;
	for (const uint64_t *l = &s->linger[b->slot], *end = l + n; l < end; l++)
		if (!*l)
			return false;
	item[0] = (uint64_t)page_va(b->pfn[0]) | (n - 1);
	item[1] = b->r.window | rights;
	return true;
}

/* Hand out s's first queued request: a token, its pages mapped in the
 * window. 1: handed out (in *out), 0: none can go now (none queued, the
 * window or the token table full), -1: it failed (completed) or was a
 * notice that needs no answer (in *out, freed): look again. */
static int hand_out(struct bsrv *s, struct pager_backing_req *out, uint64_t *item)
{
	struct breq *b = s->queue_head;
	uint32_t i = 0;

	if (s->owed) {	/* RELEASEs owed (backing_obj_freed): the object's work is done */
		struct file_obj *fo = s->owed;
		s->owed = fo->hnext;
		*out = (struct pager_backing_req){ .op = BACKING_RELEASE, .key = fo->key };
		free(fo);
		return 2;
	}
	if (!b)
		return 0;
	if (!b->r.token && (b->r.op == BACKING_RELEASE || b->r.op == BACKING_WRITTEN)) {
		*out = breq_dequeue(s)->r;	/* no answer: done once fetched */
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
		uint32_t rights = b->r.op == BACKING_FILL ? MAP_R | MAP_W : MAP_R;
		if (slot < 0)
			return 0;	/* the window is full: answers free it */
		b->slot = (uint32_t)slot;
		b->r.window = s->window_va + ((uint64_t)slot << PAGE_SHIFT);
		if (item && window_map_later(s, b, rights, item))
			;	/* mapped by the answer that hands it out */
		else if (window_map(s, b, rights) < 0) {	/* the server's kernel quota: fail it */
			slots_free(s, b->slot, b->r.count);
			breq_complete(breq_dequeue(s), -ERR_IO);
			return -1;
		}
	}
	breq_dequeue(s);
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

	while (n < PAGER_OBJ_FETCH_MAX && (r = hand_out(s, &out[n], NULL)) != 0)
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

/*
 * A request for a parked server: answer its PAGER_MO_WAIT. The call was
 * left unanswered (deferred, docs/syscalls.md) rather than saved: the
 * pager answers it through the server's thread handle, as PAGER_WAIT's,
 * two syscalls (save, close) fewer a request. Only the thread we made
 * calls with the server's badge, and only it parks; if it is not waiting
 * after all (a signal handler runs), the request stays handed out and
 * meets the server's timeout, as one it never answered.
 */
bool bserver_deliver(struct bsrv *s)
{
	struct pager_backing_req q;
	struct ipc_msg *m;
	uint64_t item[2] = { 0, 0 };
	int r;
	while ((r = hand_out(s, &q, item)) < 0)
		;
	if (!r)
		return false;
	s->parked = false;
	/* sent with the pager's next receive, with the window map if left to it */
	m = reply_later_map(s->proc->thread, s->proc->task, item[0], item[1]);
	m->info = ipc_info(0, 0, 0);
	wait_words(m, &q);
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
	slots_linger(s, b);
	breq_complete(b, (int)(int64_t)result);
	return 0;
}

bool backing_wait(struct bsrv *s, struct ipc_msg *m, int64_t *r)
{
	struct pager_backing_req q;
	int got = 0;

	if (s->parked)
		return *r = -ERR_BUSY, false;
	if (m->w[0] && (*r = backing_done(s, m->w[0], m->w[1])) < 0)
		return false;
	/* (nothing queued, the common case after an answer: no call). A
	 * request that could not be mapped (-1) was failed: look again; with
	 * nothing left, nothing is handed out (got 0, not -1: q is unset). */
	do
		got = s->queue_head || s->owed ? hand_out(s, &q, NULL) : 0;
	while (got < 0);
	if (got) {
		wait_words(m, &q);
		*r = 1;
		return false;
	}
	s->parked = true;	/* no reply now: bserver_deliver answers it */
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

/* PAGER_OBJ_KEEP: the file server keeps a recently closed file's object
 * (and its cached pages, which reclaim may still take) past its last
 * mapping, so that the next open finds them; letting go frees it if
 * unmapped. */
static int64_t obj_keep(struct bsrv *s, uint64_t key, uint64_t keep)
{
	struct file_obj *fo;

	if (!key || key > UINT32_MAX || keep > 1)
		return -ERR_INVAL;
	if (!(fo = file_lookup(s, (uint32_t)key)))
		return -ERR_NOENT;
	fo->kept = keep;
	if (!keep)
		file_maybe_free(fo);
	return 0;
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
		r = obj_fetch(s, out_len);
		w[2] = s->queue_head || s->owed;	/* more: fetch again */
		return r;
	case PAGER_OBJ_DONE:
		r = backing_done(s, w[0], w[1]);
		/* The file server answers up to BACKING_DONE_MAX at once
		 * (abi/pager.h), in order; every pair is taken. */
		for (unsigned k = 1; !s->external && k < BACKING_DONE_MAX && w[2 * k]; k++) {
			int64_t r2 = backing_done(s, w[2 * k], w[2 * k + 1]);
			if (r2 < 0 && r == 0)
				r = r2;
		}
		if (r == 0 && (s->queue_head || s->owed))
			backing_kick(s);	/* the window has room again */
		/* More queued (a completion may queue more: a RELEASE after
		 * the last write-back): a draining server fetches again. */
		w[1] = s->queue_head || s->owed;
		return r;
	case PAGER_OBJ_SIZE:
		return obj_size(s, w[0], w[1]);
	case PAGER_OBJ_PEEK:
		return s->external ? -ERR_PERM : obj_peek(s, m);
	case PAGER_OBJ_FLUSH:
		return obj_flush(s, w[0]);
	case PAGER_OBJ_KEEP:	/* unmapped objects count against no quota */
		return s->external ? -ERR_PERM : obj_keep(s, w[0], w[1]);
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
	p->bsrv = s;
	s->external = external;
	s->window_va = (uint64_t)r;
	s->next_key = 1;
	servers[i] = s;
	if (!external)
		backing_fs = s;
	*window = s->window_va;
	return s;
}

/*
 * The quarantine: frames of fills the file server had fetched when it
 * died. It names fill frames to the disk by physical address (fsd's
 * direct fills, docs/file-server.md), so a read into one may still be in
 * the device's hands: such a frame is never reused. Bounded by the fills
 * one server can hold fetched, and only a file server's death (the
 * system's end in practice) fills it. External pagers have no device.
 */
static uint64_t *quarantine;
static uint32_t nquarantine, quarantine_cap;

static void quarantine_fill(struct breq *b)
{
	if (nquarantine + b->r.count > quarantine_cap) {
		uint32_t cap = quarantine_cap ? 2 * quarantine_cap : 256;
		while (cap < nquarantine + b->r.count)
			cap *= 2;
		uint64_t *q = realloc(quarantine, cap * sizeof(*q));
		if (!q) {	/* no room to list them: leaked all the same */
			b->frames_kept = true;
			return;
		}
		quarantine = q;
		quarantine_cap = cap;
	}
	for (uint32_t k = 0; k < b->r.count; k++)
		quarantine[nquarantine++] = b->pfn[k];
	b->frames_kept = true;
}

uint32_t backing_quarantined(void)
{
	return nquarantine;
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
	if (s->proc)
		s->proc->bsrv = NULL;
	s->proc = NULL;	/* its task is gone (or its handle closed): nothing to unmap */
	unpin(s);
	slots_unlinger(s, 0, BACKING_REQ_PAGES);
	s->parked = false;
	for (uint32_t i = 0; i < INFLIGHT_MAX; i++)
		if ((b = inflight[i]) && b->srv == s) {
			inflight[i] = NULL;
			if (!s->external && b->r.op == BACKING_FILL)
				quarantine_fill(b);
			b->next = list;
			list = b;
		}
	while ((b = breq_dequeue(s))) {
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
		breq_complete(b, -ERR_IO);
	}
	while (s->owed) {	/* RELEASEs owed to nobody now */
		struct file_obj *fo = s->owed;
		s->owed = fo->hnext;
		free(fo);
	}
	if (s->external && s->notif)
		sys_handle_close(s->notif);
	free(s);
}

bool backing_obj_freed(struct file_obj *fo)
{
	struct bsrv *s = fo->srv;

	if (!s)
		return false;
	if (s->external) {
		s->nobjs--;
		s->pages -= file_pages(fo) < s->pages ? file_pages(fo) : s->pages;
	}
	if (!fo->announced || backing_queue_notice(s, BACKING_RELEASE, fo->key, 0) == 0 ||
	    s->external)
		return false;
	/* No memory for the request: fo itself carries the RELEASE, to the
	 * next fetch (hand_out), so the file server never holds the inode
	 * forever. Bounded: an object already allocated, kept a while. */
	fo->hnext = s->owed;
	s->owed = fo;
	backing_kick(s);
	return true;
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
		/* Its answer may still wait for the pager's next receive with
		 * the window map left to it (bserver_deliver): sent now, so that
		 * the unmap below takes that map too and no slot is left mapping
		 * a frame the request is about to let go. */
		reply_later_flush();
		inflight[b->r.token & (INFLIGHT_MAX - 1)] = NULL;
		if (b->r.count) {
			sys_unmap(s->proc->task, b->r.window, b->r.count);
			slots_unlinger(s, b->slot, b->r.count);
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
		/* One queued since `now` (by a completion below) is not due:
		 * its since is past now, and the difference would wrap. */
		while (s && s->timeout && (b = s->oldest) && b->since <= now &&
		       now - b->since >= s->timeout) {
			pager_log("pid %ld (%s) did not answer request %u (object %u) in time\n",
				  (long)s->proc->pid, s->proc->name, b->r.op, b->r.key);
			withdraw(s, b);
			breq_complete(b, -ERR_IO);	/* unlinks it from s->oldest */
			s = servers[i];	/* a SIGBUS may have ended the server itself */
		}
	}
}

void backing_count_refs(uint32_t *counts)
{
	for (uint32_t i = 0; i < nquarantine; i++)
		counts[quarantine[i]]++;
	for (unsigned i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct bsrv *s = servers[i];
		if (!s)
			continue;
		for (unsigned j = 0; j < s->npins; j++)
			counts[s->pins[j].pfn]++;
		for (unsigned j = 0; j < BACKING_REQ_PAGES; j++)
			if (s->linger[j])
				counts[s->linger[j] - 1]++;
		for (struct breq *b = s->queue_head; b; b = b->next)
			if (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK ||
			    b->r.op == BACKING_WRITEBACK_RUNS)
				for (uint32_t k = 0; k < b->r.count; k++)
					counts[b->pfn[k]]++;
	}
	for (uint32_t i = 0; i < INFLIGHT_MAX; i++) {
		struct breq *b = inflight[i];
		if (b && (b->r.op == BACKING_FILL || b->r.op == BACKING_WRITEBACK ||
			  b->r.op == BACKING_WRITEBACK_RUNS))
			for (uint32_t k = 0; k < b->r.count; k++)
				counts[b->pfn[k]]++;
	}
}
