/*
 * The mmap family on a process's VMAs: mmap, munmap, mprotect, madvise,
 * mremap and brk. Each checks its arguments as POSIX (and Linux, where
 * POSIX is silent) says, changes the VMAs, and brings the page tables in
 * line through the kernel (unmap, protect). Pages are mapped only by faults
 * or by populate: nothing here maps a page it has not checked.
 */
#include "abi/fault.h"
#include "abi/pager.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "policy.h"

#define PAGE_MASK (PAGE_SIZE - 1)

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE_MASK) & ~PAGE_MASK;
}

/* [addr, addr + len) page-aligned and inside user space (len > 0). */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return !(addr & PAGE_MASK) && len && addr >= PAGE_SIZE && addr < USER_TOP &&
	       len <= USER_TOP - addr;
}

/* PROT_* as the page tables can have them: W implies R on RISC-V. */
static uint32_t prot_norm(uint64_t prot)
{
	return (uint32_t)((prot & MAP_W) ? prot | MAP_R : prot);
}

/* Rights for the page tables when changing a VMA's rights: a private
 * VMA's pages get W only through a write fault (copy-on-write). */
static uint32_t pt_rights(const struct vma *v)
{
	/* A shared file page gets W only through a write fault too: that
	 * fault is what marks it dirty. */
	return (v->flags & (VMA_SHARED | VMA_FILE)) == VMA_SHARED ? v->prot : v->prot & ~MAP_W;
}

/* Whether [lo, hi) touches the IPC buffer, which must stay mapped as it
 * is: the kernel copies message payloads straight into it; or the file
 * server's backing window, which only the pager maps. */
static bool touches_ipcbuf(struct proc *p, uint64_t lo, uint64_t hi)
{
	for (struct vma *v = vma_lower_bound(&p->vmas, lo); v && v->node.start < hi; v = vma_next(v))
		if (v->flags & (VMA_IPCBUF | VMA_WINDOW))
			return true;
	return false;
}

/* Pages of [lo, hi) covered by VMAs now. */
static uint64_t pages_in(struct proc *p, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (struct vma *v = vma_lower_bound(&p->vmas, lo); v && v->node.start < hi; v = vma_next(v)) {
		uint64_t s = v->node.start > lo ? v->node.start : lo;
		uint64_t e = v->node.end < hi ? v->node.end : hi;
		n += (e - s) >> PAGE_SHIFT;
	}
	return n;
}

/* Remove the VMAs in [lo, hi), unmapping their pages; drop the pages of
 * private objects too unless `keep`. 0 or -ERR_NOMEM. */
static int unmap_range(struct proc *p, uint64_t lo, uint64_t hi, bool keep)
{
	struct vma *v, *next;
	int err = vma_isolate(&p->vmas, lo, hi);

	if (err < 0)
		return err;
	for (v = vma_lower_bound(&p->vmas, lo); v && v->node.start < hi; v = next) {
		next = vma_next(v);
		sys_unmap(p->task, v->node.start, vma_pages(v));
		if (!keep && !(v->flags & VMA_SHARED) && v->obj->ops->discard)
			v->obj->ops->discard(v->obj, v->obj_index, v->obj_index + vma_pages(v));
		vma_remove(&p->vmas, v);
	}
	return 0;
}

int populate(struct proc *p, struct vma *v, uint64_t lo, uint64_t hi)
{
	return fault_populate(p, v, lo, hi);	/* batched: fault.c */
}

/* Whether a hint [hint, hint + len) may be used as it is: in user space,
 * not below PROC_MMAP_MIN (Linux's mmap_min_addr), free, and not in the
 * guard gap below the stack, where the stack must be able to grow. */
static bool hint_ok(struct proc *p, uint64_t hint, uint64_t len)
{
	struct vma *v;

	if (!hint || hint < PROC_MMAP_MIN || !range_ok(hint, len))
		return false;
	v = vma_lower_bound(&p->vmas, hint);
	if (!v)
		return true;
	if (v->flags & VMA_STACK)
		return v->node.start >= PROC_STACK_GUARD &&
		       hint + len <= v->node.start - PROC_STACK_GUARD;
	return v->node.start >= hint + len;
}

/* Where a mapping of len bytes goes without MAP_FIXED: the hint if
 * hint_ok, else the highest free gap below PROC_MMAP_TOP. */
static int64_t place(struct proc *p, uint64_t hint, uint64_t len)
{
	uint64_t addr;

	if (hint <= UINT64_MAX - PAGE_MASK && hint_ok(p, page_up(hint), len))
		return (int64_t)page_up(hint);
	if (vma_tree_find_gap_top(&p->vmas.tree, len, PROC_TEXT_MIN, PROC_MMAP_TOP, &addr) < 0)
		return -ERR_NOMEM;
	return (int64_t)addr;
}

int64_t mm_mmap(struct proc *p, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags)
{
	const uint64_t known = PMAP_SHARED | PMAP_PRIVATE | PMAP_FIXED | PMAP_ANONYMOUS |
			       PMAP_POPULATE | PMAP_FIXED_NOREPLACE;
	uint64_t kind = flags & (PMAP_SHARED | PMAP_PRIVATE);
	struct memobj *o;

	if (!len || (flags & ~known) || (kind != PMAP_SHARED && kind != PMAP_PRIVATE) ||
	    (prot & ~(uint64_t)(MAP_R | MAP_W | MAP_X)))
		return -ERR_INVAL;
	if (!(flags & PMAP_ANONYMOUS))
		return -ERR_NOTSUP;	/* files: FS_MMAP to the file server */
	if (len > USER_TOP)
		return -ERR_NOMEM;
	if (!(o = anon_create()))
		return -ERR_NOMEM;
	return mm_map_object(p, hint, len, prot, flags, o, 0, kind == PMAP_SHARED ? VMA_SHARED : 0);
}

int64_t mm_map_object(struct proc *p, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags,
		      struct memobj *o, uint64_t obj_index, uint32_t vma_flags)
{
	struct vma *v;
	int64_t addr;
	int err;

	if (len > USER_TOP) {
		err = -ERR_NOMEM;
		goto fail;
	}
	len = page_up(len);
	if (flags & (PMAP_FIXED | PMAP_FIXED_NOREPLACE)) {
		err = -ERR_INVAL;
		if (hint & PAGE_MASK)
			goto fail;
		err = -ERR_PERM;	/* Linux's mmap_min_addr */
		if (hint < PROC_MMAP_MIN)
			goto fail;
		err = -ERR_NOMEM;
		if (!range_ok(hint, len))
			goto fail;
		addr = (int64_t)hint;
		v = vma_lower_bound(&p->vmas, hint);
		err = -ERR_EXIST;
		if ((flags & PMAP_FIXED_NOREPLACE) && v && v->node.start < hint + len)
			goto fail;
	} else if ((addr = place(p, hint, len)) < 0) {
		err = (int)addr;
		goto fail;
	}
	err = -ERR_ACCES;
	if ((flags & PMAP_FIXED) && touches_ipcbuf(p, (uint64_t)addr, (uint64_t)addr + len))
		goto fail;
	/* What MAP_FIXED replaces does not count against the limit. */
	err = -ERR_NOMEM;
	if (vma_set_pages(&p->vmas) - pages_in(p, (uint64_t)addr, (uint64_t)addr + len) +
	    (len >> PAGE_SHIFT) > p->limit_pages)
		goto fail;
	/* MAP_FIXED destroys what was there: everything that can fail is
	 * checked first, so a failed mmap leaves the old mapping as it was.
	 * POPULATE then fills best effort, as Linux does (pages it could not
	 * fill fault in later); without FIXED it is all or nothing. */
	if ((flags & (PMAP_FIXED | PMAP_POPULATE)) == (PMAP_FIXED | PMAP_POPULATE) && prot &&
	    (len >> PAGE_SHIFT) + OOM_RESERVE_FRAMES > page_free_count())
		goto fail;
	if ((flags & PMAP_FIXED) && (err = unmap_range(p, (uint64_t)addr, (uint64_t)addr + len, false)) < 0)
		goto fail;
	v = vma_add(&p->vmas, (uint64_t)addr, (uint64_t)addr + len, prot_norm(prot), vma_flags, o,
		    obj_index, &err);
	if (!v)
		goto fail;
	if ((flags & PMAP_POPULATE) && (err = populate(p, v, v->node.start, v->node.end)) < 0 &&
	    !(flags & PMAP_FIXED)) {
		unmap_range(p, v->node.start, v->node.end, false);
		return err;
	}
	return addr;
fail:
	memobj_unref(o);
	return err;
}

int64_t mm_map_window(struct proc *p, uint64_t pages)
{
	struct memobj *o = anon_create();
	int64_t addr;
	int err;

	if (!o)
		return -ERR_NOMEM;
	if ((addr = place(p, 0, pages << PAGE_SHIFT)) < 0) {
		memobj_unref(o);
		return addr;
	}
	/* No rights: a fault there (the server touching a page the pager
	 * has not mapped for it) is SIGSEGV. */
	if (!vma_add(&p->vmas, (uint64_t)addr, (uint64_t)addr + (pages << PAGE_SHIFT), 0,
		     VMA_WINDOW, o, 0, &err)) {
		memobj_unref(o);
		return err;
	}
	return addr;
}

int64_t mm_munmap(struct proc *p, uint64_t addr, uint64_t len)
{
	if ((addr & PAGE_MASK) || !len || addr >= USER_TOP || len > USER_TOP - addr)
		return -ERR_INVAL;
	if (touches_ipcbuf(p, addr, addr + page_up(len)))
		return -ERR_ACCES;
	return unmap_range(p, addr, addr + page_up(len), false);
}

/* mprotect's and madvise's range: aligned (else -ERR_INVAL) and wholly
 * mapped (else -ERR_NOMEM). 1 with *hi set, or 0 for an empty range. */
static int64_t mapped_range(struct proc *p, uint64_t addr, uint64_t len, uint64_t *hi)
{
	if (addr & PAGE_MASK)
		return -ERR_INVAL;
	if (!len)
		return 0;
	if (addr >= USER_TOP || len > USER_TOP - addr)
		return -ERR_NOMEM;	/* checked before adding: no wrap */
	*hi = addr + page_up(len);
	if (!range_ok(addr, *hi - addr) || !vma_covered(&p->vmas, addr, *hi))
		return -ERR_NOMEM;
	return 1;
}

int64_t mm_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot)
{
	uint64_t hi = 0;
	struct vma *v, *next;
	int64_t r;
	int err;

	if (prot & ~(uint64_t)(MAP_R | MAP_W | MAP_X))
		return -ERR_INVAL;
	if ((r = mapped_range(p, addr, len, &hi)) <= 0)
		return r;
	if (touches_ipcbuf(p, addr, hi))
		return -ERR_ACCES;
	/* A shared mapping of a file its descriptor could not write. */
	for (v = vma_find(&p->vmas, addr); (prot & MAP_W) && v && v->node.start < hi; v = vma_next(v))
		if (v->flags & VMA_NOWRITE)
			return -ERR_ACCES;
	if ((err = vma_isolate(&p->vmas, addr, hi)) < 0)
		return err;
	for (v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = next) {
		v->prot = prot_norm(prot);
		sys_protect(p->task, v->node.start, vma_pages(v), pt_rights(v));
		v = vma_merge(&p->vmas, v);
		next = vma_next(v);
	}
	return 0;
}

/* PADV_EOF_RESUME over [addr, hi): shared file mappings only (another
 * kind has no end of file; a private one's pages are its own). */
static int64_t eof_resume_set(struct proc *p, uint64_t addr, uint64_t hi, uint64_t pc)
{
	struct vma *v;
	int err;

	if (!pc || pc >= USER_TOP)
		return -ERR_INVAL;
	for (v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = vma_next(v))
		if ((v->flags & (VMA_FILE | VMA_SHARED | VMA_WINDOW)) != (VMA_FILE | VMA_SHARED))
			return -ERR_INVAL;
	if ((err = vma_isolate(&p->vmas, addr, hi)) < 0)
		return err;
	for (v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = vma_next(v)) {
		v->flags |= VMA_EOF_RESUME;
		v = vma_merge(&p->vmas, v);
	}
	p->sig.eof_resume = pc;
	return 0;
}

int64_t mm_madvise(struct proc *p, uint64_t addr, uint64_t len, uint64_t advice, uint64_t pc)
{
	uint64_t hi = 0;
	struct vma *v;
	int64_t r;
	int err;

	bool policy = advice >= PADV_POLICY_DEFAULT && advice <= PADV_POLICY_NONE;

	if (advice > PADV_EOF_RESUME && !policy)
		return -ERR_INVAL;
	if ((r = mapped_range(p, addr, len, &hi)) <= 0)
		return r;
	if (advice == PADV_EOF_RESUME)
		return eof_resume_set(p, addr, hi, pc);
	if (advice != PADV_WILLNEED && advice != PADV_DONTNEED) {
		/* NORMAL, RANDOM, SEQUENTIAL: noted on the VMAs (the
		 * read-around policy reads it for file mappings); a
		 * PADV_POLICY_* chooses that policy (policy.h keeps both
		 * in vma.advice). */
		if ((err = vma_isolate(&p->vmas, addr, hi)) < 0)
			return err;
		for (v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = vma_next(v)) {
			v->advice = policy ? VMA_ADVICE_HINT(v->advice) |
					     (uint32_t)(advice - PADV_POLICY_DEFAULT) << 8 :
					     (v->advice & ~0xffu) | (uint32_t)advice;
			v = vma_merge(&p->vmas, v);
		}
		return 0;
	}
	for (v = vma_find(&p->vmas, addr); v && v->node.start < hi; v = vma_next(v)) {
		uint64_t lo = v->node.start > addr ? v->node.start : addr;
		uint64_t end = v->node.end < hi ? v->node.end : hi;
		if (advice == PADV_WILLNEED) {
			if ((err = populate(p, v, lo, end)) < 0)
				return err;
			continue;
		}
		/* DONTNEED: private pages are dropped (read back as zero);
		 * shared ones only leave this page table; the IPC buffer
		 * stays as it is. */
		if (v->flags & (VMA_IPCBUF | VMA_WINDOW))
			continue;
		sys_unmap(p->task, lo, (end - lo) >> PAGE_SHIFT);
		if (!(v->flags & (VMA_SHARED | VMA_IPCBUF)) && v->obj->ops->discard)
			v->obj->ops->discard(v->obj, vma_index(v, lo), vma_index(v, end));
	}
	return 0;
}

/* Whether v's object can take `pages` more pages after v's end: v is its
 * only user, nothing is there (a fork may have left pages of other VMAs
 * at those indices in a cloned object), and the indices stay below
 * PAGEMAP_MAX_INDEX. Without that bound, mremap moving a tail piece and
 * growing it, again and again, pushed indices past what a page map can
 * hold, and the next write was "out of memory" (issue 7). */
static bool can_extend(const struct vma *v, uint64_t pages)
{
	uint64_t end = v->obj_index + vma_pages(v);

	if (v->flags & VMA_FILE)	/* the file's next pages, whoever maps them */
		return end + pages <= PAGEMAP_MAX_INDEX;
	return v->obj->refs == 1 && end + pages <= PAGEMAP_MAX_INDEX &&
	       (!v->obj->ops->resident || !v->obj->ops->resident(v->obj, end, end + pages));
}

/* Extend v by [from, to): in place when its object allows (can_extend),
 * else with a fresh object in a VMA of its own. */
static int grow_after(struct proc *p, struct vma *v, uint64_t from, uint64_t to)
{
	struct memobj *o;
	int err;

	if (v->node.end == from && can_extend(v, (to - from) >> PAGE_SHIFT)) {
		vma_resize(&p->vmas, v, v->node.start, to);
		return 0;
	}
	if (!(o = anon_create()))
		return -ERR_NOMEM;
	if (!vma_add(&p->vmas, from, to, v->prot, v->flags, o, 0, &err)) {
		memobj_unref(o);
		return err;
	}
	return 0;
}

/* Move [old, old_end) (inside one VMA, not the stack, heap or IPC
 * buffer) to addr, where [addr, addr + new_len) is free, growing it to
 * new_len (>= old_len): the same object at the same pages, which follow
 * on their next fault; no data is copied. The new mapping is complete
 * before the old one goes: all or nothing. */
static int64_t move_range(struct proc *p, uint64_t old, uint64_t old_end, uint64_t addr,
			  uint64_t new_len)
{
	uint64_t grow = (new_len - (old_end - old)) >> PAGE_SHIFT;
	struct vma *v, *moved;
	int err;

	if ((err = vma_isolate(&p->vmas, old, old_end)) < 0)
		return err;
	v = vma_find(&p->vmas, old);
	bool whole = !grow || can_extend(v, grow);
	uint64_t moved_end = addr + (whole ? new_len : old_end - old);
	memobj_ref(v->obj);
	moved = vma_add(&p->vmas, addr, moved_end, v->prot, v->flags, v->obj, v->obj_index, &err);
	if (!moved) {
		memobj_unref(v->obj);
		return err;
	}
	if (!whole && (err = grow_after(p, moved, moved_end, addr + new_len)) < 0) {
		vma_remove(&p->vmas, moved);
		return err;
	}
	unmap_range(p, old, old_end, true);	/* keep the pages: moved uses them */
	return (int64_t)addr;
}

/* MREMAP_FIXED: the destination [to, to + new_len) is replaced, as by
 * MAP_FIXED; it may not overlap the old range. */
static int64_t remap_fixed(struct proc *p, uint64_t old, uint64_t old_end, uint64_t new_len,
			   uint64_t to)
{
	uint64_t to_end;
	int err;

	if ((to & PAGE_MASK) || !range_ok(to, new_len))
		return -ERR_INVAL;
	if (to < PROC_MMAP_MIN)
		return -ERR_PERM;
	to_end = to + new_len;
	if (to < old_end && old < to_end)
		return -ERR_INVAL;	/* overlapping ranges */
	if (touches_ipcbuf(p, to, to_end))
		return -ERR_ACCES;
	if (vma_set_pages(&p->vmas) - pages_in(p, to, to_end) + (new_len >> PAGE_SHIFT) >
	    p->limit_pages + ((old_end - old) >> PAGE_SHIFT))
		return -ERR_NOMEM;
	if (new_len < old_end - old) {	/* shrink first, then move what is left */
		if ((err = unmap_range(p, old + new_len, old_end, false)) < 0)
			return err;
		old_end = old + new_len;
	}
	if ((err = unmap_range(p, to, to_end, false)) < 0)
		return err;
	return move_range(p, old, old_end, to, new_len);
}

int64_t mm_mremap(struct proc *p, uint64_t old, uint64_t old_len, uint64_t new_len,
		  uint64_t flags, uint64_t new_addr)
{
	struct vma *v, *next;
	uint64_t old_end, new_end;
	int64_t addr;
	int err;

	if ((old & PAGE_MASK) || !new_len || (flags & ~(uint64_t)(PREMAP_MAYMOVE | PREMAP_FIXED)) ||
	    ((flags & PREMAP_FIXED) && !(flags & PREMAP_MAYMOVE)) ||
	    old_len > USER_TOP || new_len > USER_TOP)
		return -ERR_INVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (old >= USER_TOP || old_len > USER_TOP - old)
		return -ERR_FAULT;	/* no wrap in old_end */
	old_end = old + old_len;
	v = vma_find(&p->vmas, old);
	if (!old_len || !v || old_end > v->node.end)
		return -ERR_FAULT;	/* the old range must lie in one mapping */
	if (v->flags & (VMA_STACK | VMA_IPCBUF | VMA_HEAP | VMA_WINDOW))
		return -ERR_INVAL;
	if (flags & PREMAP_FIXED)
		return remap_fixed(p, old, old_end, new_len, new_addr);
	if (new_len <= old_len)	/* shrink (or stay): drop the tail */
		return (err = unmap_range(p, old + new_len, old_end, false)) < 0 ? err : (int64_t)old;
	if (vma_set_pages(&p->vmas) + ((new_len - old_len) >> PAGE_SHIFT) > p->limit_pages)
		return -ERR_NOMEM;
	new_end = old + new_len;
	next = vma_lower_bound(&p->vmas, old_end);
	if (new_end <= USER_TOP && (!next || next->node.start >= new_end) &&
	    old_end == v->node.end) {
		err = grow_after(p, v, old_end, new_end);
		return err < 0 ? err : (int64_t)old;
	}
	if (!(flags & PREMAP_MAYMOVE))
		return -ERR_NOMEM;
	if ((addr = place(p, 0, new_len)) < 0)
		return addr;
	return move_range(p, old, old_end, (uint64_t)addr, new_len);
}

/*
 * brk works only on the heap: the VMAs marked VMA_HEAP in [brk_start,
 * brk). Growing needs the whole new range free (ENOMEM otherwise, as on
 * Linux: it never resizes whatever VMA happens to hold brk_start, which
 * after mprotect, munmap or MAP_FIXED on a heap page may not be the heap);
 * shrinking removes only heap VMAs. want is checked against USER_TOP
 * before any rounding, so no computation wraps.
 */
int64_t mm_brk(struct proc *p, uint64_t want)
{
	uint64_t cur = page_up(p->brk), top;
	struct vma *v, *next;
	int err;

	if (!want || want < p->brk_start || want > USER_TOP - PAGE_SIZE)
		return (int64_t)p->brk;	/* a query, or out of range: no change */
	top = page_up(want);
	if (top > cur) {
		uint64_t pages = (top - cur) >> PAGE_SHIFT;
		next = vma_lower_bound(&p->vmas, cur);
		if ((next && next->node.start < top) ||
		    vma_set_pages(&p->vmas) + pages > p->limit_pages)
			return (int64_t)p->brk;
		v = cur > p->brk_start ? vma_find(&p->vmas, cur - PAGE_SIZE) : NULL;
		if (v && (v->flags & VMA_HEAP) && v->prot == (MAP_R | MAP_W) && can_extend(v, pages)) {
			vma_resize(&p->vmas, v, v->node.start, top);
		} else {
			struct memobj *o = anon_create();
			if (!o || !vma_add(&p->vmas, cur, top, MAP_R | MAP_W, VMA_HEAP, o, 0, &err)) {
				if (o)
					memobj_unref(o);
				return (int64_t)p->brk;
			}
		}
	}
	for (v = top < cur ? vma_lower_bound(&p->vmas, top) : NULL; v && v->node.start < cur; v = next) {
		uint64_t lo = v->node.start > top ? v->node.start : top;
		uint64_t hi = v->node.end < cur ? v->node.end : cur;
		if (!(v->flags & VMA_HEAP)) {
			next = vma_next(v);
			continue;	/* not the heap's: brk leaves it alone */
		}
		if (unmap_range(p, lo, hi, false) < 0)
			return (int64_t)p->brk;
		next = vma_lower_bound(&p->vmas, hi);
	}
	p->brk = want;
	return (int64_t)want;
}
