/*
 * The faults suspended on a fill (backing.c's protocol, fill.c's fills):
 * how each is answered when its fill completes (from the fill itself
 * where it can: its frames and the run around them, fill_answer; else
 * resolved again), the pages of a fill mapped beside the answer, and a
 * waiting process's end. docs/page-cache.md, docs/external-pagers.md.
 */
#include <stdio.h>
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
void fill_waiters_answer(struct proc *chain, bool fail, const struct breq *b, uint32_t set)
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
