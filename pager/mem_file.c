/*
 * File objects: the page cache (backing.h, docs/page-cache.md). Two kinds
 * of memory object:
 *  - "file": one per key; its page map holds the file's cached pages,
 *    which every MAP_SHARED mapping maps. A read fault maps a page
 *    read-only even in a writable VMA; a write fault marks it dirty and
 *    maps it writable (dirty tracking by write-protect faults). A missing
 *    page is MEMOBJ_SUSPEND (fault.c asks backing.c for a fill); a page
 *    wholly past EOF is MEMOBJ_SIGBUS.
 *  - "fpriv": a MAP_PRIVATE mapping's anonymous pages over the file's, at
 *    the same page indices: a page it does not have reads the file's
 *    frame (read-only, so later changes to the file show), a write copies
 *    it (copy-on-write); fork clones it like an anonymous object.
 * Page records (struct fpage) in one hash table by (object, index) carry
 * what a cached page has beyond its frame: busy (a fill in flight) and
 * dirty, with the object's and the global dirty lists. The reverse map is
 * each file object's list of VMAs (vma.rnext), kept by vma_add/remove.
 */
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "proc.h"
#include "ptimer.h"
#include "recpool.h"

#define PAGE_MASK (PAGE_SIZE - 1)

/* ---- the key table: every live file object ---- */

#define KEY_BUCKETS 256
static struct file_obj *key_table[KEY_BUCKETS];
/* Objects taken out of the table (their server ended) but still used. */
static struct file_obj *orphans;

static struct file_obj **key_bucket(const struct bsrv *s, uint32_t key)
{
	return &key_table[((key ^ (uint32_t)((uintptr_t)s >> 4)) * 0x9e3779b1u) >> 24];
}

struct file_obj *file_lookup(struct bsrv *s, uint32_t key)
{
	for (struct file_obj *fo = *key_bucket(s, key); fo; fo = fo->hnext)
		if (fo->key == key && fo->srv == s)
			return fo;
	return NULL;
}

static void key_unlink(struct file_obj *fo)
{
	struct file_obj **pp = fo->hashed ? key_bucket(fo->srv, fo->key) : &orphans;

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == fo) {
			*pp = fo->hnext;
			break;
		}
	fo->hnext = NULL;
}

/* fo stays usable by its mappers, but a new mapping of its key makes a
 * new object (the server that made it is gone). */
static void key_orphan(struct file_obj *fo)
{
	key_unlink(fo);
	fo->hashed = false;
	fo->srv = NULL;
	fo->hnext = orphans;
	orphans = fo;
}

struct file_obj *file_first(void)
{
	for (int b = 0; b < KEY_BUCKETS; b++)
		if (key_table[b])
			return key_table[b];
	return orphans;
}

struct file_obj *file_next(struct file_obj *fo)
{
	if (fo->hnext)
		return fo->hnext;
	if (!fo->hashed)
		return NULL;
	for (int b = (int)(key_bucket(fo->srv, fo->key) - key_table) + 1; b < KEY_BUCKETS; b++)
		if (key_table[b])
			return key_table[b];
	return orphans;
}

/* ---- page records ---- */

static struct fpage **fp_table;
static uint64_t fp_buckets, fp_count;

static uint64_t fp_hash(const struct file_obj *fo, uint64_t index)
{
	return (((uint64_t)fo >> 4) ^ (index * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
}

static struct fpage **fp_bucket(const struct file_obj *fo, uint64_t index)
{
	return &fp_table[(fp_hash(fo, index) >> 32) & (fp_buckets - 1)];
}

struct fpage *fpage_find(struct file_obj *fo, uint64_t index)
{
	if (!fp_count)
		return NULL;
	for (struct fpage *fp = *fp_bucket(fo, index); fp; fp = fp->hnext)
		if (fp->fo == fo && fp->index == index)
			return fp;
	return NULL;
}

/* Double the table when it is as full as it is long (a heap failure
 * leaves it as it was: longer chains, still correct). */
static void fp_grow(void)
{
	uint64_t n = fp_buckets ? fp_buckets * 2 : 256, old = fp_buckets;
	struct fpage **t = calloc(n, sizeof(*t)), **ot = fp_table;

	if (!t)
		return;
	fp_table = t;
	fp_buckets = n;
	for (uint64_t b = 0; b < old; b++)
		for (struct fpage *fp = ot[b], *next; fp; fp = next) {
			next = fp->hnext;
			struct fpage **pp = fp_bucket(fp->fo, fp->index);
			fp->hnext = *pp;
			*pp = fp;
		}
	free(ot);
}

/* Records come from a pool (recpool.h): a write fault on a clean page makes
 * one, and malloc cost ~190 instructions of it. */
static struct recpool fp_pool = RECPOOL_INIT(struct fpage);

static inline __attribute__((always_inline)) struct fpage *fp_make(struct file_obj *fo,
								     uint64_t index)
{
	struct fpage *fp, **pp;

	if (fp_count >= fp_buckets)
		fp_grow();
	if (!fp_buckets)
		return NULL;
	if (!(fp = recpool_get(&fp_pool)))
		return NULL;
	*fp = (struct fpage){ 0 };
	fp->fo = fo;
	fp->index = index;
	pp = fp_bucket(fo, index);
	fp->hnext = *pp;
	*pp = fp;
	fp_count++;
	return fp;
}

struct fpage *fpage_get(struct file_obj *fo, uint64_t index)
{
	struct fpage *fp = fpage_find(fo, index);

	return fp ? fp : fp_make(fo, index);
}

void fpage_put(struct fpage *fp)
{
	if (fp->flags)
		return;
	for (struct fpage **pp = fp_bucket(fp->fo, fp->index); *pp; pp = &(*pp)->hnext)
		if (*pp == fp) {
			*pp = fp->hnext;
			break;
		}
	fp_count--;
	recpool_put(&fp_pool, fp);
}

struct fpage *dirty_oldest;
static struct fpage *dirty_newest;

void fpage_set_dirty(struct fpage *fp)
{
	struct file_obj *fo = fp->fo;

	if (fp->flags & FP_DIRTY)
		return;
	fp->flags |= FP_DIRTY;
	fp->since = rd_time();
	fp->dprev = NULL;
	fp->dnext = fo->dirty;
	if (fo->dirty)
		fo->dirty->dprev = fp;
	fo->dirty = fp;
	fo->ndirty++;
	fp->gnext = NULL;	/* newest last: the list stays in age order */
	fp->gprev = dirty_newest;
	if (dirty_newest) {
		dirty_newest->gnext = fp;
	} else {
		dirty_oldest = fp;
		ptimer_arm();	/* the first dirty page: write-back on time, idle or not */
	}
	dirty_newest = fp;
}

void fpage_clear_dirty(struct fpage *fp)
{
	struct file_obj *fo = fp->fo;

	if (!(fp->flags & FP_DIRTY))
		return;
	fp->flags &= ~FP_DIRTY;
	if (fp->dprev)
		fp->dprev->dnext = fp->dnext;
	else
		fo->dirty = fp->dnext;
	if (fp->dnext)
		fp->dnext->dprev = fp->dprev;
	fo->ndirty--;
	if (fp->gprev)
		fp->gprev->gnext = fp->gnext;
	else
		dirty_oldest = fp->gnext;
	if (fp->gnext)
		fp->gnext->gprev = fp->gprev;
	else
		dirty_newest = fp->gprev;
}

/* ---- the reverse map ---- */

static struct proc *vma_proc(const struct vma *v)
{
	return (struct proc *)((char *)v->set - __builtin_offsetof(struct proc, vmas));
}

/* [lo, hi) of object indices, clipped to v: its addresses in *a, *b. */
static bool vma_clip(const struct vma *v, uint64_t lo, uint64_t hi, uint64_t *a, uint64_t *b)
{
	uint64_t vlo = v->obj_index, vhi = v->obj_index + vma_pages(v);

	if (lo < vlo)
		lo = vlo;
	if (hi > vhi)
		hi = vhi;
	if (lo >= hi)
		return false;
	*a = v->node.start + ((lo - vlo) << PAGE_SHIFT);
	*b = v->node.start + ((hi - vlo) << PAGE_SHIFT);
	return true;
}

void rmap_unmap(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	uint64_t a, b;

	for (struct vma *v = fo->mappers; v; v = v->rnext) {
		struct proc *p = vma_proc(v);
		if (p->state == PROC_LIVE && vma_clip(v, lo, hi, &a, &b))
			sys_unmap(p->task, a, (b - a) >> PAGE_SHIFT);
	}
}

void rmap_protect(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	uint64_t a, b;

	for (struct vma *v = fo->mappers; v; v = v->rnext) {
		struct proc *p = vma_proc(v);
		if ((v->flags & VMA_SHARED) && (v->prot & MAP_W) && p->state == PROC_LIVE &&
		    vma_clip(v, lo, hi, &a, &b))
			sys_protect(p->task, a, (b - a) >> PAGE_SHIFT, v->prot & ~MAP_W);
	}
}

static void rmap_link(struct file_obj *fo, struct vma *v)
{
	v->rprev = NULL;
	v->rnext = fo->mappers;
	if (fo->mappers)
		fo->mappers->rprev = v;
	fo->mappers = v;
}

static void rmap_unlink(struct file_obj *fo, struct vma *v)
{
	if (v->rprev)
		v->rprev->rnext = v->rnext;
	else
		fo->mappers = v->rnext;
	if (v->rnext)
		v->rnext->rprev = v->rprev;
	v->rnext = v->rprev = NULL;
}

/* ---- the "file" kind ---- */

static struct file_obj *fo_of(struct memobj *o)
{
	return (struct file_obj *)o;
}

static int file_fault(struct memobj *o, struct fault_req *req)
{
	struct file_obj *fo = fo_of(o);
	uint64_t pfn;
	struct fpage *fp;

	if (req->index >= file_pages(fo))
		return MEMOBJ_SIGBUS;
	pfn = pagemap_get(&o->pages, req->index);
	if (pfn == PAGEMAP_NONE)
		return MEMOBJ_SUSPEND;
	req->pfn = pfn;
	req->writable = false;	/* clean or not: a read maps it read-only */
	if (req->access == FAULT_WRITE) {
		if (!(fp = fpage_get(fo, req->index)))
			return -ERR_NOMEM;
		fpage_set_dirty(fp);
		req->writable = true;
		if (__builtin_expect(fp->flags & FP_WATCH, 0)) {	/* a write watch fires */
			fp->flags &= ~FP_WATCH;
			fo->nwatch--;
			backing_queue_notice(fo->srv, BACKING_WRITTEN, fo->key, req->index);
		}
	}
	return 0;
}

static uint64_t file_resident(struct memobj *o, uint64_t lo, uint64_t hi)
{
	return pagemap_count_range(&o->pages, lo, hi);
}

static void file_destroy(struct memobj *o)
{
	file_maybe_free(fo_of(o));	/* it may live on for its write-back */
}

static void file_link(struct memobj *o, struct vma *v)
{
	rmap_link(fo_of(o), v);
}

static void file_unlink(struct memobj *o, struct vma *v)
{
	rmap_unlink(fo_of(o), v);
}

const struct memobj_ops file_ops = {
	.kind = "file",
	.fault = file_fault,
	.resident = file_resident,
	.destroy = file_destroy,
	.resident_run = pagemap_resident_run,
	.link = file_link,
	.unlink = file_unlink,
};

struct file_obj *file_create(struct bsrv *s, uint32_t key, uint64_t size)
{
	struct file_obj *fo = calloc(1, sizeof(*fo));
	struct file_obj **b = key_bucket(s, key);

	if (!fo)
		return NULL;
	fo->obj.ops = &file_ops;
	fo->key = key;
	fo->size = size;
	fo->srv = s;
	fo->hashed = true;
	fo->hnext = *b;
	*b = fo;
	return fo;
}

/* Drop cached page idx (dirty or not; a fill in flight for it is marked
 * stale by the caller, backing_fills_stale). */
static void drop_page(struct file_obj *fo, uint64_t idx)
{
	struct fpage *fp = fpage_find(fo, idx);

	if (fp) {
		fpage_clear_dirty(fp);
		if (fp->flags & FP_WATCH)
			fo->nwatch--;
		fp->flags &= ~FP_WATCH;
		fpage_put(fp);
	}
	pagemap_set(&fo->obj.pages, idx, PAGEMAP_NONE);
}

static void zero_tail(struct file_obj *fo, uint64_t size)
{
	uint64_t pfn;

	if (!(size & PAGE_MASK))
		return;
	pfn = pagemap_get(&fo->obj.pages, size >> PAGE_SHIFT);
	if (pfn != PAGEMAP_NONE)
		memset((char *)page_va(pfn) + (size & PAGE_MASK), 0, PAGE_SIZE - (size & PAGE_MASK));
}

void file_set_size(struct file_obj *fo, uint64_t size)
{
	uint64_t old = file_pages(fo), keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (size >= fo->size) {	/* grow: what a mapping stored past EOF goes */
		zero_tail(fo, fo->size);
		fo->size = size;
		return;
	}
	fo->size = size;
	if (keep < old) {
		rmap_unmap(fo, keep, old);
		for (struct vma *v = fo->mappers; v; v = v->rnext)
			if (!(v->flags & VMA_SHARED) && v->obj->ops->discard)
				v->obj->ops->discard(v->obj, keep, PAGEMAP_MAX_INDEX);
		for (uint64_t i = keep; i < old; i++)
			drop_page(fo, i);
		backing_fills_stale(fo, keep, old);
	}
	zero_tail(fo, size);
}

uint64_t file_drop_clean(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0, end = file_pages(fo);
	bool released = false;

	if (hi > end)
		hi = end;
	if (lo >= hi || !pagemap_count_range(&fo->obj.pages, lo, hi))
		return 0;
	rmap_unmap(fo, lo, hi);
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t pfn = pagemap_get(&fo->obj.pages, i);
		struct fpage *fp;
		if (pfn != PAGEMAP_NONE && page_refcount(pfn) != 1 && fo->srv && !released) {
			backing_windows_release(fo->srv);	/* its answered slots' refs */
			released = true;
		}
		if (pfn == PAGEMAP_NONE || page_refcount(pfn) != 1)
			continue;	/* absent, or pinned (write-back, peek) */
		if ((fp = fpage_find(fo, i)) && (fp->flags & FP_DIRTY))
			continue;
		pagemap_set(&fo->obj.pages, i, PAGEMAP_NONE);
		n++;
	}
	return n;
}

void file_maybe_free(struct file_obj *fo)
{
	if (fo->obj.refs || fo->priv_refs || fo->nbusy || fo->nwb || fo->sync_inflight || fo->syncs)
		return;
	if (fo->held) {	/* external, unmapped everywhere: its server gets the stores now */
		if (fo->ndirty && fo->srv)
			backing_writeback_all(fo);
		return;
	}
	if (fo->ndirty) {
		/* The last mapping went: write back what it left (munmap,
		 * exit). Without a server the data has nowhere to go. */
		if (fo->srv && backing_writeback_all(fo) == 0 &&
		    fo->nwb)
			return;
		while (fo->dirty) {
			struct fpage *fp = fo->dirty;
			fpage_clear_dirty(fp);
			fpage_put(fp);
		}
	}
	if (fo->kept && fo->hashed)
		return;	/* the server keeps its cache for the next open */
	if (fo->nwatch)
		file_unwatch_all(fo);
	pagemap_destroy(&fo->obj.pages, NULL, NULL);
	key_unlink(fo);
	if (!backing_obj_freed(fo))
		free(fo);
}

uint64_t file_reclaim(uint64_t want)
{
	uint64_t freed = 0;

	for (struct file_obj *fo = file_first(); fo && page_free_count() < want; fo = file_next(fo))
		freed += file_drop_clean(fo, 0, file_pages(fo));
	return freed;
}

/* Server s ended: each of its objects stays for its mappers, but is no
 * longer found by key (and never sends RELEASE); the server's holds go. */
void backing_orphan_all(struct bsrv *s)
{
	struct file_obj *held = NULL, *fo, *next;

	for (int b = 0; b < KEY_BUCKETS; b++)
		for (fo = key_table[b]; fo; fo = next) {
			next = fo->hnext;
			if (fo->srv != s)
				continue;
			key_orphan(fo);
			if (fo->held || fo->kept) {	/* freed below, once the walk is over */
				fo->held = false;
				fo->kept = false;
				fo->priv_refs++;	/* kept alive while listed */
				fo->check_next = held;
				held = fo;
			}
		}
	for (; held; held = next) {
		next = held->check_next;
		held->check_next = NULL;
		held->priv_refs--;
		file_maybe_free(held);
	}
}

void file_invalidate(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	uint64_t end = file_pages(fo);

	if (hi > end)
		hi = end;
	if (lo >= hi)
		return;
	rmap_unmap(fo, lo, hi);
	for (uint64_t i = lo; i < hi; i++)
		if (pagemap_get(&fo->obj.pages, i) != PAGEMAP_NONE || fpage_find(fo, i))
			drop_page(fo, i);
	backing_fills_stale(fo, lo, hi);
}

void file_unwatch_all(struct file_obj *fo)
{
	for (uint64_t i = 0, end = file_pages(fo); i < end && fo->nwatch; i++) {
		struct fpage *fp = fpage_find(fo, i);
		if (fp && (fp->flags & FP_WATCH)) {
			fp->flags &= ~FP_WATCH;
			fo->nwatch--;
			fpage_put(fp);
		}
	}
	fo->nwatch = 0;
}


/* ---- the "fpriv" kind ---- */

static struct fpriv_obj *fpriv_of(struct memobj *o)
{
	return (struct fpriv_obj *)o;
}

struct file_obj *file_of(struct memobj *o)
{
	return o->ops == &fpriv_ops ? fpriv_of(o)->fo : fo_of(o);
}

static int fpriv_fault(struct memobj *o, struct fault_req *req)
{
	struct file_obj *fo = fpriv_of(o)->fo;
	uint64_t *slot, pfn = pagemap_get(&o->pages, req->index), file_pfn;
	int64_t fresh;

	if (pfn != PAGEMAP_NONE && req->access != FAULT_WRITE) {	/* its own page */
		req->pfn = pfn;
		req->writable = page_refcount(pfn) == 1 && pagemap_path_private(&o->pages, req->index);
		return 0;
	}
	if (pfn == PAGEMAP_NONE) {
		if (req->index >= file_pages(fo))
			return MEMOBJ_SIGBUS;
		file_pfn = pagemap_get(&fo->obj.pages, req->index);
		if (file_pfn == PAGEMAP_NONE)
			return MEMOBJ_SUSPEND;
		if (req->access != FAULT_WRITE) {	/* the file's page, read-only */
			req->pfn = file_pfn;
			req->writable = false;
			return 0;
		}
	}
	if (!(slot = pagemap_slot(&o->pages, req->index, 1)))
		return -ERR_NOMEM;
	if (*slot) {
		pfn = *slot - 1;
		if (page_refcount(pfn) > 1) {	/* shared with a fork: copy */
			if ((fresh = page_alloc()) < 0)
				return (int)fresh;
			page_copy(page_va((uint64_t)fresh), page_va(pfn));
			*slot = (uint64_t)fresh + 1;
			page_unref(pfn);
			pfn = (uint64_t)fresh;
		}
	} else {	/* first write: copy the file's page */
		file_pfn = pagemap_get(&fo->obj.pages, req->index);
		if (file_pfn == PAGEMAP_NONE)
			return MEMOBJ_SUSPEND;
		if ((fresh = page_alloc()) < 0)
			return (int)fresh;
		page_copy(page_va((uint64_t)fresh), page_va(file_pfn));
		pfn = (uint64_t)fresh;
		*slot = pfn + 1;
		pagemap_slot_filled(&o->pages);
	}
	req->pfn = pfn;
	req->writable = true;
	return 0;
}

/* Fault-around for a private mapping: a page it has not written is the
 * file's, so the run follows its own page or else the file's, whichever
 * the page would map (read-only either way: the faulting page's rights
 * in a private VMA have no W here). Looked up one by one. */
static uint64_t fpriv_resident_run(struct memobj *o, uint64_t index, uint64_t pfn, int dir,
				   uint64_t max)
{
	struct file_obj *fo = fpriv_of(o)->fo;
	uint64_t n = 0, end = file_pages(fo);

	for (; n < max; n++) {
		uint64_t idx = dir > 0 ? index + 1 + n : index - 1 - n;
		uint64_t want = dir > 0 ? pfn + 1 + n : pfn - 1 - n, got;
		if ((dir < 0 && index < 1 + n) || (dir < 0 && pfn < 1 + n) || idx >= end)
			break;
		got = pagemap_get(&o->pages, idx);
		if (got == PAGEMAP_NONE)
			got = pagemap_get(&fo->obj.pages, idx);
		if (got != want)
			break;
	}
	return n;
}

static void fpriv_discard(struct memobj *o, uint64_t lo, uint64_t hi)
{
	pagemap_clear_range(&o->pages, lo, hi, NULL, NULL);
}

static uint64_t fpriv_resident(struct memobj *o, uint64_t lo, uint64_t hi)
{
	return pagemap_count_range(&o->pages, lo, hi);
}

static void fpriv_destroy(struct memobj *o)
{
	struct file_obj *fo = fpriv_of(o)->fo;

	pagemap_destroy(&o->pages, NULL, NULL);
	free(o);
	fo->priv_refs--;
	file_maybe_free(fo);
}

static struct memobj *fpriv_clone(struct memobj *o)
{
	struct memobj *c = fpriv_create(fpriv_of(o)->fo);

	if (c && pagemap_clone(&c->pages, &o->pages) < 0) {
		fpriv_destroy(c);
		c = NULL;
	}
	return c;
}

static void fpriv_link(struct memobj *o, struct vma *v)
{
	rmap_link(fpriv_of(o)->fo, v);
}

static void fpriv_unlink(struct memobj *o, struct vma *v)
{
	rmap_unlink(fpriv_of(o)->fo, v);
}

const struct memobj_ops fpriv_ops = {
	.kind = "fpriv",
	.fault = fpriv_fault,
	.discard = fpriv_discard,
	.clone = fpriv_clone,
	.resident = fpriv_resident,
	.destroy = fpriv_destroy,
	.resident_run = fpriv_resident_run,
	.link = fpriv_link,
	.unlink = fpriv_unlink,
};

struct memobj *fpriv_create(struct file_obj *fo)
{
	struct fpriv_obj *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->obj.ops = &fpriv_ops;
	f->obj.refs = 1;
	f->fo = fo;
	fo->priv_refs++;
	return &f->obj;
}

/* rmap_protect of each of pages[0..n) (scattered over the file, a
 * write-back's): a mapper's pages lose W in one kernel entry per 64
 * (SYS_PROTECT_LIST), not one each. */
void rmap_protect_pages(struct file_obj *fo, struct fpage *const *pages, uint64_t n)
{
	enum { LIST_MAX = 64 };
	uint64_t list[LIST_MAX], a, b;

	for (struct vma *v = fo->mappers; v; v = v->rnext) {
		struct proc *p = vma_proc(v);
		uint64_t rights = v->prot & ~MAP_W, nl = 0;
		if (!(v->flags & VMA_SHARED) || !(v->prot & MAP_W) || p->state != PROC_LIVE)
			continue;
		for (uint64_t i = 0; i < n; i++) {
			if (!vma_clip(v, pages[i]->index, pages[i]->index + 1, &a, &b))
				continue;
			if (!rights)	/* write-only: losing W is an unmap */
				sys_protect(p->task, a, 1, 0);
			else if ((list[nl++] = a, nl == LIST_MAX))
				sys_protect_list(p->task, list, nl, rights), nl = 0;
		}
		if (nl)
			sys_protect_list(p->task, list, nl, rights);
	}
}
