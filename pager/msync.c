/*
 * msync (PAGER_MSYNC, docs/page-cache.md): write back the dirty pages of a
 * range's shared file mappings; with PMS_SYNC, answer only once the server
 * has them on the disk (a BACKING_SYNC queued behind the object's
 * write-backs: the file server runs it after them; an external pager's
 * after their answers), through a saved reply. The cost follows the dirty
 * pages: each object's dirty list is walked, never the range's pages, and
 * an object that is clean and synced costs a comparison. PMS_INVALIDATE
 * drops the range's clean cached pages (dirty ones are written back first
 * and stay). Anonymous and private ranges: nothing to do.
 */
#include <stdlib.h>
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "mmap.h"
#include "pager.h"

#define PAGE_MASK (PAGE_SIZE - 1)

struct msync_wait {
	struct msync_wait *next;	/* every deferred msync */
	struct proc *p;			/* NULL once it ended */
	uint64_t reply;			/* its saved reply */
	uint32_t pending;		/* SYNCs not answered yet */
	int err;
};

static struct msync_wait *waits;

static void finish(struct msync_wait *w)
{
	for (struct msync_wait **pp = &waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->p) {
		struct ipc_msg m = { .info = 0, .w = { (uint64_t)(int64_t)w->err } };
		ipc_reply(w->reply, &m);
		sys_handle_close(w->reply);
	}
	free(w);
}

void msync_sync_done(struct sync_link *links, int err)
{
	while (links) {
		struct sync_link *l = links;
		links = l->next;
		if (err)
			l->w->err = err;
		if (--l->w->pending == 0)
			finish(l->w);
		free(l);
	}
}

void msync_proc_ended(struct proc *p)
{
	for (struct msync_wait *w = waits; w; w = w->next)
		if (w->p == p) {
			sys_handle_close(w->reply);
			w->p = NULL;
		}
}

/* Queue the write-back of fo's dirty pages in [lo, hi). */
static int write_dirty(struct file_obj *fo, uint64_t lo, uint64_t hi)
{
	struct fpage **pages;
	uint64_t n = 0;
	int err;

	if (!(pages = malloc(fo->ndirty * sizeof(*pages))))
		return -ERR_NOMEM;
	for (struct fpage *fp = fo->dirty; fp; fp = fp->dnext)
		if (fp->index >= lo && fp->index < hi)
			pages[n++] = fp;
	err = n ? backing_writeback(fo, pages, n) : 0;
	free(pages);
	return err;
}

bool msync_request(struct proc *p, struct ipc_msg *m, int64_t *r)
{
	uint64_t addr = m->w[0], len = m->w[1], flags = m->w[2], hi;
	struct msync_wait *w = NULL;
	int err = 0;
	int64_t h;

	if ((addr & PAGE_MASK) || (flags & ~(uint64_t)(PMS_ASYNC | PMS_SYNC | PMS_INVALIDATE)) ||
	    (flags & (PMS_ASYNC | PMS_SYNC)) == (PMS_ASYNC | PMS_SYNC)) {
		*r = -ERR_INVAL;
		return false;
	}
	*r = 0;
	if (!len)
		return false;
	if (addr >= USER_TOP || len > USER_TOP - addr ||
	    !vma_covered(&p->vmas, addr, hi = (addr + len + PAGE_MASK) & ~PAGE_MASK)) {
		*r = -ERR_NOMEM;
		return false;
	}
	for (struct vma *v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = vma_next(v)) {
		struct file_obj *fo;
		uint64_t lo, end;
		int e;
		if (!(v->flags & VMA_FILE))
			continue;
		fo = file_of(v->obj);
		lo = vma_index(v, v->node.start > addr ? v->node.start : addr);
		end = vma_index(v, v->node.end < hi ? v->node.end : hi);
		if (!(v->flags & VMA_SHARED)) {
			if (flags & PMS_INVALIDATE)
				file_drop_clean(fo, lo, end);
			continue;
		}
		if (fo->ndirty && (e = write_dirty(fo, lo, end)) < 0)
			err = e;
		if (flags & PMS_INVALIDATE)
			file_drop_clean(fo, lo, end);
		if (!(flags & PMS_SYNC)) {
			if (fo->wb_error) {	/* reported once, as fsync does */
				fo->wb_error = false;
				err = -ERR_IO;
			}
			continue;
		}
		if (!fo->nwb && !fo->unsynced && !fo->sync_inflight && !fo->wb_error)
			continue;	/* clean and on the disk already */
		struct sync_link *l = calloc(1, sizeof(*l));
		if (!w && !(w = calloc(1, sizeof(*w)))) {
			free(l);
			err = -ERR_NOMEM;
			break;
		}
		if (!w->pending)
			w->pending = 1;	/* ours, until every object is queued */
		if (!l) {
			err = -ERR_NOMEM;
			break;
		}
		l->w = w;
		l->next = fo->syncs;
		fo->syncs = l;
		w->pending++;
		/* To the file server at once, behind the write-backs just queued
		 * (it runs a file's SYNC after them): one fetch for both. An
		 * external pager answers in any order: its SYNC waits here
		 * for the write-backs' answers. */
		if (!fo->nwb || (fo->srv && !fo->srv->external))
			backing_queue_sync(fo);
	}
	if (!w) {
		*r = err;
		return false;
	}
	if (err)
		w->err = err;
	if (--w->pending == 0 || (h = sys_reply_save()) < 0) {
		/* Every SYNC answered already (or no reply object: answer
		 * now; the SYNCs still in flight find no one to tell). */
		*r = w->err;
		if (w->pending) {
			w->p = NULL;
			w->next = waits;
			waits = w;
		} else {
			free(w);
		}
		return false;
	}
	w->p = p;
	w->reply = (uint64_t)h;
	w->next = waits;
	waits = w;
	return true;
}
