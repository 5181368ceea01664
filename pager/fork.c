/*
 * fork: the child gets a new task with a copy of the parent's VMAs. Private
 * memory is shared copy-on-write: each private object is cloned (sharing
 * its page map, O(1)) and the parent's writable pages are write-protected,
 * so the first write on either side copies that one page; except that a
 * private writable object of a few resident pages is copied for the
 * child at once (child_copy: cheaper than the shared page-map path the
 * first write would copy). MAP_SHARED objects are simply shared. The
 * child's page tables start empty and fill on demand. Its IPC buffer is
 * a fresh page: the kernel writes there.
 */
#include <stdlib.h>
#include <string.h>
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "kquota.h"
#include "pager.h"

/*
 * Parent object -> its clone, so VMAs split from one object share one
 * clone in the child (and can merge again there). An open-addressing
 * table sized for every VMA of the parent, allocated per fork: no fixed
 * number of objects (a table of 64 once made every piece past it a clone
 * of its own).
 */
struct clone_pair {
	struct memobj *from, *to;
};

#define CLONE_MAP_SMALL 64	/* slots on the stack: forks of up to 32 VMAs */

struct clone_map {
	struct clone_pair *slot;
	uint64_t mask;		/* slots - 1, a power of two minus one */
	struct clone_pair small[CLONE_MAP_SMALL];
};

static int clone_map_init(struct clone_map *cm, uint64_t vmas)
{
	uint64_t n = 16;

	while (n < 2 * vmas)	/* at most half full: short probes */
		n <<= 1;
	cm->mask = n - 1;
	if (n <= CLONE_MAP_SMALL) {
		cm->slot = cm->small;
		memset(cm->small, 0, n * sizeof(*cm->slot));
		return 0;
	}
	cm->slot = calloc(n, sizeof(*cm->slot));
	return cm->slot ? 0 : -ERR_NOMEM;
}

/* The slot for `from`: its pair, or the empty slot where it goes. */
static struct clone_pair *clone_map_slot(struct clone_map *cm, const struct memobj *from)
{
	uint64_t h = ((uint64_t)from >> 4) * 0x9e3779b97f4a7c15ull;

	for (uint64_t i = h >> 32;; i++) {
		struct clone_pair *s = &cm->slot[i & cm->mask];
		if (!s->from || s->from == from)
			return s;
	}
}

static struct memobj *child_object(struct vma *v, struct clone_map *cm)
{
	struct clone_pair *s;

	if (v->flags & VMA_SHARED || !v->obj->ops->clone) {
		memobj_ref(v->obj);
		return v->obj;
	}
	s = clone_map_slot(cm, v->obj);
	if (s->from) {
		memobj_ref(s->to);
		return s->to;
	}
	if (!(s->to = v->obj->ops->clone(v->obj)))
		return NULL;
	s->from = v->obj;
	return s->to;
}

/*
 * A private writable VMA whose object holds only a few pages (a stack, a
 * data page, a small heap) is copied for the child now instead of being
 * shared copy-on-write. Sharing costs more here than it saves: the first
 * write on either side copies the page-map path (three 4 KiB nodes for a
 * stack, whose object is indexed from its 8 MiB growth limit) and the
 * page, behind a fault; a fork followed at once by exec pays that and
 * then throws the child's half away. A copy costs one page copy per
 * resident page, and the parent keeps its pages writable (no protect, no
 * fault). Only objects one VMA holds alone, of the anonymous and
 * file-private kinds, over a bounded range.
 */
#define FORK_COPY_PAGES 3	/* resident pages copied at most */
#define FORK_COPY_SPAN 4096	/* pages of range scanned at most (16 MiB) */

static struct memobj *fresh_like(struct memobj *o)
{
	if (o->ops == &fpriv_ops)
		return fpriv_create(file_of(o));
	if (!strcmp(o->ops->kind, "anon"))
		return anon_create();
	return NULL;
}

/* The child's own copy of v's object, or NULL to share it as usual
 * (*err set if the copy failed for want of memory). */
static struct memobj *child_copy(struct vma *v, int *err)
{
	struct memobj *o = v->obj, *c;
	uint64_t lo = v->obj_index, hi = lo + vma_pages(v), first, n;

	*err = 0;
	if ((v->flags & (VMA_SHARED | VMA_IPCBUF)) || !(v->prot & MAP_W) || o->refs != 1 ||
	    vma_pages(v) > FORK_COPY_SPAN || !o->ops->resident ||
	    o->ops->resident(o, lo, hi) > FORK_COPY_PAGES || !(c = fresh_like(o)))
		return NULL;
	for (uint64_t idx = lo; idx < hi;) {
		const uint64_t *slot = pagemap_leaf(&o->pages, idx, &first, &n);
		if (!slot) {
			idx = (idx | 511) + 1;	/* no leaf (512 slots) here */
			continue;
		}
		/* slot stays valid while we fill c: another map. */
		for (uint64_t end = first + n < hi ? first + n : hi; idx < end; idx++) {
			uint64_t e = slot[idx - first];
			int64_t fresh;
			if (!e)
				continue;
			if ((fresh = page_alloc()) < 0)
				goto nomem;
			page_copy(page_va((uint64_t)fresh), page_va(e - 1));
			if (pagemap_set(&c->pages, idx, (uint64_t)fresh) < 0) {
				page_unref((uint64_t)fresh);
				goto nomem;
			}
		}
	}
	return c;
nomem:
	memobj_unref(c);
	*err = -ERR_NOMEM;
	return NULL;
}

static int copy_vmas(struct proc *p, struct proc *c)
{
	struct clone_map cm;
	int err = clone_map_init(&cm, vma_set_count(&p->vmas));

	if (err < 0)
		return err;
	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
		struct memobj *o;
		if (v->flags & VMA_WINDOW)
			continue;	/* the file server's window is its own */
		if (v->flags & VMA_IPCBUF) {
			o = anon_create();
		} else if (!(o = child_copy(v, &err)) && !err) {
			o = child_object(v, &cm);
			/* Private and writable: the parent's next write copies. */
			if (o && !(v->flags & VMA_SHARED) && (v->prot & MAP_W))
				sys_protect(p->task, v->node.start, vma_pages(v), v->prot & ~MAP_W);
		}
		if (!o) {
			err = -ERR_NOMEM;
			break;
		}
		struct vma *cv = vma_add(&c->vmas, v->node.start, v->node.end, v->prot,
					 v->flags, o, v->obj_index, &err);
		if (!cv) {
			memobj_unref(o);
			break;
		}
		cv->advice = v->advice;
		if ((v->flags & VMA_IPCBUF) && (err = populate(c, cv, cv->node.start, cv->node.end)) < 0)
			break;
	}
	if (cm.slot != cm.small)
		free(cm.slot);
	return err;
}

int64_t proc_fork(struct proc *p, uint64_t pc, uint64_t sp, uint64_t a0)
{
	struct proc *c = proc_alloc(p);
	int64_t r;

	if (!c)
		return -ERR_AGAIN;
	if (pc >= USER_TOP || sp >= USER_TOP) {
		r = -ERR_INVAL;
		goto fail;
	}
	if ((r = sys_task_create()) < 0)
		goto fail;
	c->task = (uint64_t)r;
	if ((r = kquota_give(c->task, kquota_fork_pages(p->task))) < 0)
		goto fail;
	c->ppid = p->pid;
	c->dma_ok = p->dma_ok;	/* the same program: a driver's fork is a driver */
	if (c->dma_ok && (r = sys_task_dma(c->task)) < 0)
		goto fail;
	c->brk_start = p->brk_start;
	c->brk = p->brk;
	memcpy(c->name, p->name, sizeof(c->name));
	/* The child's only handle is to us, in the slot its copy of
	 * libsys_start_info names. */
	if ((r = sys_handle_grant(c->task, pager_ep, (uint64_t)c->pid, RIGHT_SEND)) < 0)
		goto fail;
	if ((uint64_t)r != p->pager_handle) {
		r = -ERR_AGAIN;
		goto fail;
	}
	c->pager_handle = (uint64_t)r;
	if ((r = copy_vmas(p, c)) < 0)
		goto fail;
	if ((r = sys_thread_create(c->task, pc, sp, a0, pager_ep, PAGER_FAULT_BADGE(c->pid))) < 0)
		goto fail;
	c->thread = (uint64_t)r;
	return c->pid;
fail:
	proc_discard(c);
	return r;
}
