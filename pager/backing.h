/*
 * File-backed memory: the page cache (file objects, pager/mem_file.c) and
 * the backing-store protocol with the file server (pager/backing.c,
 * pager/msync.c). docs/page-cache.md describes the design.
 *
 * A file object is a memory object of kind "file", one per key (the
 * server's inode number). Its page map is THE page cache: every MAP_SHARED
 * mapping of the file maps those frames, and a MAP_PRIVATE mapping's
 * object (kind "fpriv") reads through to them until it writes. A resident
 * page with more state than "clean" has a record (struct fpage: dirty,
 * watched); pages being read are the fill requests' (struct breq, on the
 * object's `fills`, with the faults waiting for them). The
 * object knows every VMA that maps it (the reverse map), shared or
 * private, to write-protect or unmap a page everywhere.
 *
 * The pager never waits on the server: a fault on a missing page is
 * suspended (its reply saved with SYS_REPLY_SAVE), a request is queued and
 * the server notified; the answer comes with PAGER_OBJ_DONE.
 */
#ifndef PAGER_BACKING_H
#define PAGER_BACKING_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"
#include "abi/pager.h"
#include "memobj.h"
#include "proc.h"

struct file_obj;
struct msync_wait;

#define FP_DIRTY	0x2u	/* written through a mapping since its last write-back */
#define FP_WATCH	0x8u	/* external: the next store sends the server BACKING_WRITTEN */

struct fpage {
	struct fpage *hnext;		/* hash chain (mem_file.c) */
	struct file_obj *fo;
	uint64_t index;
	uint32_t flags;			/* FP_* */
	uint64_t since;			/* FP_DIRTY: rdtime when it became dirty */
	struct fpage *dnext, *dprev;	/* the object's dirty pages */
	struct fpage *gnext, *gprev;	/* every dirty page, oldest first */
};

/* msync(MS_SYNC) waiting for an object's write-back to drain. */
struct sync_link {
	struct sync_link *next;
	struct msync_wait *w;
};

struct file_obj {
	struct memobj obj;		/* first; obj.pages is the cache */
	struct file_obj *hnext;		/* the key table's chain */
	uint32_t key;
	bool hashed;			/* in the key table (new mappings find it) */
	bool announced;			/* the server took a hold: RELEASE at the end */
	bool unsynced;			/* written back since the last BACKING_SYNC */
	bool wb_error;			/* a write-back failed since the last msync saw it */
	struct bsrv *srv;		/* its server (NULL: the server ended) */
	uint64_t secret;		/* external: the token PAGER_MO_MAP must name */
	bool held;			/* external: the server holds it (until PAGER_MO_CLOSE) */
	uint32_t nwatch;		/* external: FP_WATCH records */
	struct file_obj *check_next;	/* scratch list (backing_orphan_all) */
	bool kept;			/* PAGER_OBJ_KEEP: lives on unmapped (the server's LRU) */
	uint64_t size;			/* bytes */
	uint32_t priv_refs;		/* fpriv objects backed by it */
	uint32_t sync_inflight;		/* BACKING_SYNCs queued or in flight */
	uint64_t ndirty;		/* dirty pages (records on `dirty`) */
	uint64_t nbusy;			/* fills in flight, pages */
	struct breq *fills;		/* fills in flight (breq.fnext), newest first */
	uint64_t nwb;			/* pages in write-back requests */
	struct fpage *dirty;		/* its dirty pages */
	struct vma *mappers;		/* the reverse map (vma.rnext) */
	struct sync_link *syncs;	/* msync(MS_SYNC)s waiting for nwb == 0 */
	/* Write-backs to the file server carry a sequence number; a SYNC queued
	 * behind write-backs in flight (an early one, backing_queue_sync)
	 * covers those numbered below its own and waits for their answers. */
	uint64_t wb_seq;		/* the next write-back request's number */
	uint32_t nwb_reqs;		/* write-back requests queued or in flight */
	struct breq *early;		/* early SYNCs queued or in flight (breq.enext) */
};

/* A private file mapping's object: anonymous pages over the file's. */
struct fpriv_obj {
	struct memobj obj;
	struct file_obj *fo;		/* a priv_refs reference */
};

/* mem_file.c: file objects and the cache. */
extern const struct memobj_ops file_ops, fpriv_ops;
static inline bool memobj_is_file(const struct memobj *o)
{
	return o->ops == &file_ops || o->ops == &fpriv_ops;
}
/* The file object behind a file-backed VMA's object. */
struct file_obj *file_of(struct memobj *o);
struct file_obj *file_lookup(struct bsrv *s, uint32_t key);
/* A new object for key of server s (hashed, no VMA), or NULL. */
struct file_obj *file_create(struct bsrv *s, uint32_t key, uint64_t size);
struct memobj *fpriv_create(struct file_obj *fo);
static inline uint64_t file_pages(const struct file_obj *fo)
{
	return (fo->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}
struct fpage *fpage_find(struct file_obj *fo, uint64_t index);
/* The record for index, made if absent: NULL out of memory. */
struct fpage *fpage_get(struct file_obj *fo, uint64_t index);
/* Free fp if it carries no state any more. */
void fpage_put(struct fpage *fp);
void fpage_set_dirty(struct fpage *fp);
void fpage_clear_dirty(struct fpage *fp);
/* The oldest dirty page anywhere, or NULL. */
extern struct fpage *dirty_oldest;
/* Reverse map: every mapper of [lo, hi) (object indices) unmaps those
 * pages / loses W on them (shared mappers; private ones never have W on
 * a file frame). */
void rmap_unmap(struct file_obj *fo, uint64_t lo, uint64_t hi);
void rmap_protect(struct file_obj *fo, uint64_t lo, uint64_t hi);
/* The same for scattered pages: each of pages[0..n). */
void rmap_protect_pages(struct file_obj *fo, struct fpage *const *pages, uint64_t n);
/* Apply a new size: shrink drops pages past the end everywhere, grow
 * zeroes the old last page's tail. */
void file_set_size(struct file_obj *fo, uint64_t size);
/* Drop clean, unpinned cached pages of [lo, hi) (unmapped everywhere
 * first). Pages dropped. */
uint64_t file_drop_clean(struct file_obj *fo, uint64_t lo, uint64_t hi);
/* Free fo if nothing holds it (no VMA, no private object, no work in
 * flight); queue the write-back of its dirty pages if only they do. */
void file_maybe_free(struct file_obj *fo);
/* Server s ended: each of its objects leaves the key table (it stays for
 * its mappers; a new server's mappings make new objects), loses its
 * server and the server's hold. */
void backing_orphan_all(struct bsrv *s);
/* Invalidate [lo, hi): every mapper loses the pages, the cache drops
 * them (dirty or not; a fill in flight is discarded at its answer). */
void file_invalidate(struct file_obj *fo, uint64_t lo, uint64_t hi);
/* Forget every FP_WATCH record of fo. */
void file_unwatch_all(struct file_obj *fo);
/* For walks: every file object, hashed or not. */
struct file_obj *file_first(void);
struct file_obj *file_next(struct file_obj *fo);
/* Drop clean cached pages nobody pins until `want` frames are free.
 * Frames freed. */
uint64_t file_reclaim(uint64_t want);

/* backing.c: one server of the backing-store protocol. The file server
 * (PAGER_FS_REGISTER) is the first; every process that calls
 * PAGER_MO_SERVE is another (an external pager, extobj.c). Each has its
 * window, queue, PEEK pins, and for external ones quotas and a timeout. */
struct breq;
struct bsrv {
	struct proc *proc;		/* the server */
	bool external;			/* PAGER_MO_SERVE: quotas, timeout, no PEEK/MAP */
	uint64_t notif;			/* external: ours, signalled on new requests */
	bool parked;		/* in PAGER_MO_WAIT, its reply deferred (bserver.c) */
	uint64_t window_va;
	uint64_t slot_bits[(BACKING_REQ_PAGES + 63) / 64];
	/* A free slot still maps the frame of the request it last carried
	 * (pfn + 1; 0: unmapped), held by a reference of the window's own
	 * until the next request's map replaces it (bserver.c). */
	uint64_t linger[BACKING_REQ_PAGES];
	uint32_t nlinger;		/* slots with a frame in linger */
	struct breq *queue_head, *queue_tail;
	struct breq *oldest, *newest;	/* unanswered requests (not notices), by age */
	struct { uint64_t pfn, va; } pins[64];	/* PAGER_OBJ_PEEK's, until the next call */
	unsigned npins;
	uint32_t nreqs;			/* requests queued or in flight */
	uint32_t nobjs;			/* external: objects it made and not yet freed */
	uint32_t next_key;		/* external: the key of its next object */
	uint64_t pages;			/* external: the sum of its objects' sizes, pages */
	uint64_t timeout;		/* rdtime ticks an answer may take (0: forever) */
	uint64_t dropped;		/* notices dropped at the quota (logged once) */
	/* The file server's RELEASEs no request could be made for (malloc
	 * failed): the objects themselves, linked by hnext, kept until a
	 * fetch hands each out. A lost RELEASE would hold the inode forever. */
	struct file_obj *owed;
};
/* The file server's (NULL: none registered, or it ended). */
extern struct bsrv *backing_fs;
/* The server p is, or NULL. */
struct bsrv *backing_server_of(const struct proc *p);
/* Make p a server (external or the file server): its window's address
 * in *window. The new server, or NULL with *err. */
struct bsrv *backing_server_up(struct proc *p, bool external, uint64_t *window, int *err);
/* The frames s's free window slots still map leave it (every server
 * when s is NULL): before pages are dropped, so that no frame is held
 * only by a window. */
void backing_windows_release(struct bsrv *s);
/* Server s ended: fail everything in flight (SIGBUS for waiting faults),
 * orphan its objects, free s. */
void backing_server_gone(struct bsrv *s);
/* The server for requests about fo (NULL: gone). */
static inline struct bsrv *backing_srv(const struct file_obj *fo)
{
	return fo->srv;
}
/* The object fo is being freed (quotas, RELEASE). true: fo was kept to
 * carry a RELEASE to the file server (no memory for its request): the
 * caller must not free it; the server's next fetch sends it and frees
 * fo (bsrv.owed). */
bool backing_obj_freed(struct file_obj *fo);
/* Queue a no-answer notice (BACKING_RELEASE, BACKING_WRITTEN) for s:
 * 0, or -ERR_NOMEM (dropped). */
int backing_queue_notice(struct bsrv *s, uint32_t op, uint32_t key, uint64_t index);
/* Timeouts (ptimer.c): when the oldest unanswered request of a server
 * with a timeout is due (rdtime), 0 if none; fail every due one. */
uint64_t backing_next_timeout(void);
void backing_timeouts(void);
/* extobj.c: PAGER_MO_* requests. True: the reply is deferred. */
bool extobj_request(struct proc *p, struct ipc_msg *m, int64_t *r, uint64_t *out_len);
/* backing.c's half of PAGER_MO_WAIT: complete token (0: none) with
 * result, then hand out the next request in m's words or park. True:
 * parked (no reply now). */
bool backing_wait(struct bsrv *s, struct ipc_msg *m, int64_t *r);
/* PAGER_OBJ_DONE's checks and completion, for s. */
int64_t backing_done(struct bsrv *s, uint64_t token, uint64_t result);

/* PAGER_OBJ_* requests. out_len: reply payload bytes. */
int64_t backing_request(struct proc *p, struct ipc_msg *m, uint64_t *out_len);
/* Start the fill of v's missing file page (no fault waits on it: a
 * signal frame goes there, signal.c): 0, 1 if one is in flight already,
 * or <0 if it cannot come (the server gone, out of memory). */
int backing_fetch(struct proc *p, struct vma *v, uint64_t page);
/* A read fault found a resident page of a file VMA that reads ahead:
 * the policy may queue its next window (fault.c). */
void backing_fault_ahead(struct proc *p, struct vma *v, uint64_t page);
/* A fault found its file page missing: start or join the page's fill and
 * suspend the thread. True: m holds a reply to send now. */
bool backing_fault_missing(struct proc *p, struct vma *v, uint64_t page, uint64_t access,
			   struct ipc_msg *m);
/* Whether any page of [idx, idx + n) of fo is being read (a fill in flight). */
bool backing_busy(const struct file_obj *fo, uint64_t idx, uint64_t n);
/* Pages [lo, hi) of fo were dropped (invalidated, cut off): what fills in
 * flight read for them is discarded at their answer. */
void backing_fills_stale(struct file_obj *fo, uint64_t lo, uint64_t hi);
/* PAGER_CHECK: fo's fills in flight agree with nbusy, read no page twice
 * nor a resident one, and their waiters wait on them: NULL, or what is
 * wrong (*at: where). */
const char *backing_check_fills(const struct file_obj *fo, uint64_t *at);
/* p ends: its suspended fault and its waiting msyncs are forgotten. */
void backing_proc_ended(struct proc *p);
/* Queue the write-back of dirty page records (each cleared and
 * write-protected), batched into runs; fo's pages. 0 or -ERR_IO (no
 * server) / -ERR_NOMEM. */
int backing_writeback(struct file_obj *fo, struct fpage **pages, uint64_t n);
/* Write back every dirty page of fo. */
int backing_writeback_all(struct file_obj *fo);
/* Queue a BACKING_SYNC for fo with its waiting msyncs. */
void backing_queue_sync(struct file_obj *fo);
/* Background write-back: dirty pages older than the policy's expiry.
 * The pages queued (0: none due, or no server or memory to queue them). */
uint64_t backing_tick(void);
/* When the oldest dirty page is due for it (rdtime), 0 if none is dirty. */
uint64_t backing_next_due(void);
static inline void backing_poll(void)
{
	if (__builtin_expect(dirty_oldest != NULL, 0))
		backing_tick();
}
/* PAGER_CHECK: references the backing layer holds on frames. */
void backing_count_refs(uint32_t *counts);
/* Frames kept from reuse since a file server died with fills fetched. */
uint32_t backing_quarantined(void);
/* msync.c: PAGER_MSYNC: true if the reply is deferred, else *r is it. */
bool msync_request(struct proc *p, struct ipc_msg *m, int64_t *r);
/* A SYNC for the waiters in links finished with err (0 or -ERR_IO). */
void msync_sync_done(struct sync_link *links, int err);
void msync_proc_ended(struct proc *p);

static inline uint64_t rd_time(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

#endif
