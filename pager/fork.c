/*
 * fork: the child gets a new task with a copy of the parent's VMAs. Private
 * memory is shared copy-on-write: each private object is cloned (sharing
 * its page map, O(1)) and the parent's writable pages are write-protected,
 * so the first write on either side copies that one page. MAP_SHARED
 * objects are simply shared. The child's page tables start empty and fill
 * on demand. Its IPC buffer is a fresh page: the kernel writes there.
 */
#include <string.h>
#include "abi/pager.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "kquota.h"
#include "pager.h"

/* A parent object and its clone, so split VMAs sharing one object keep
 * sharing one clone in the child. */
struct clone_pair {
	struct memobj *from, *to;
};

#define MAX_PAIRS 64

static struct memobj *child_object(struct vma *v, struct clone_pair *pairs, int *npairs)
{
	struct memobj *o;

	if (v->flags & VMA_SHARED || !v->obj->ops->clone) {
		memobj_ref(v->obj);
		return v->obj;
	}
	for (int i = 0; i < *npairs; i++) {
		if (pairs[i].from == v->obj) {
			memobj_ref(pairs[i].to);
			return pairs[i].to;
		}
	}
	if (!(o = v->obj->ops->clone(v->obj)))
		return NULL;
	if (*npairs < MAX_PAIRS) {
		pairs[*npairs].from = v->obj;
		pairs[(*npairs)++].to = o;
	}
	return o;
}

static int copy_vmas(struct proc *p, struct proc *c)
{
	struct clone_pair pairs[MAX_PAIRS];
	int npairs = 0, err;

	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
		struct memobj *o;
		if (v->flags & VMA_IPCBUF) {
			o = anon_create();
		} else {
			o = child_object(v, pairs, &npairs);
			/* Private and writable: the parent's next write copies. */
			if (o && !(v->flags & VMA_SHARED) && (v->prot & MAP_W))
				sys_protect(p->task, v->node.start, vma_pages(v), v->prot & ~MAP_W);
		}
		if (!o)
			return -ERR_NOMEM;
		struct vma *cv = vma_add(&c->vmas, v->node.start, v->node.end, v->prot,
					 v->flags, o, v->obj_index, &err);
		if (!cv) {
			memobj_unref(o);
			return err;
		}
		if ((v->flags & VMA_IPCBUF) && (err = populate(c, cv, cv->node.start, cv->node.end)) < 0)
			return err;
	}
	return 0;
}

int64_t proc_fork(struct proc *p, uint64_t pc, uint64_t sp, uint64_t a0)
{
	struct proc *c = proc_alloc();
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
	c->brk_start = p->brk_start;
	c->brk = p->brk;
	c->limit_pages = p->limit_pages;
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
