/*
 * Per-process limits (PAGER_SETRLIMIT / PAGER_GETRLIMIT) and what happens
 * when frames run short: the out-of-memory killer ends the unprotected
 * process holding the most resident memory, never merely whoever faults
 * next. Process creation limits (NPROC, init's reserved slots) are in
 * proc_alloc.
 */
#include <stdio.h>
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "proc.h"

/* The most each limit can be, and how a limit is read and set. */
static uint64_t *limit_of(struct proc *p, uint64_t res, uint64_t *max)
{
	switch (res) {
	case PRLIMIT_AS:
		*max = proc_default_limit();
		return &p->limit_pages;
	case PRLIMIT_RSS:
		*max = page_total_count();
		return &p->rss_limit;
	case PRLIMIT_NPROC:
		*max = MAX_PROCS;
		return &p->nproc_limit;
	case PRLIMIT_VMAS:
		*max = VMA_MAX_DEFAULT;
		return &p->vmas.max_count;
	}
	return NULL;
}

int64_t proc_setrlimit(struct proc *caller, struct proc *t, uint64_t res, uint64_t value)
{
	uint64_t max, *own, *lim;

	if (res == PRLIMIT_OOM_PROTECT) {	/* init names the servers */
		if (caller->pid != 1 || value > 1)
			return caller->pid != 1 ? -ERR_PERM : -ERR_INVAL;
		t->oom_protected = value;
		return 0;
	}
	if (!(lim = limit_of(t, res, &max)))
		return -ERR_INVAL;
	own = limit_of(caller, res, &max);
	/* Nobody gives more than they have: init alone may raise limits. */
	if (value > (caller->pid == 1 ? max : *own))
		return -ERR_PERM;
	*lim = value;
	if (res == PRLIMIT_AS)	/* PAGER_SET_LIMIT cannot undo it */
		t->limit_pages_max = value;
	return 0;
}

int64_t proc_spawn_flags_check(struct proc *caller, uint64_t flags)
{
	if (flags & ~(uint64_t)(PSPAWN_DMA | PSPAWN_OOM_PROTECT))
		return -ERR_INVAL;
	/* Nobody gives what they do not have; init alone protects. */
	if (((flags & PSPAWN_DMA) && !caller->dma_ok) ||
	    ((flags & PSPAWN_OOM_PROTECT) && caller->pid != 1))
		return -ERR_PERM;
	return 0;
}

void proc_spawn_flags_apply(struct proc *child, uint64_t flags)
{
	child->dma_ok = flags & PSPAWN_DMA;
	/* The kernel tells a DMA user its pages' physical addresses
	 * (kernel/dma.c): the file server names its fill frames so. */
	if (child->dma_ok)
		(void)sys_task_dma(child->task);
	child->oom_protected = flags & PSPAWN_OOM_PROTECT;
}

int64_t proc_getrlimit(struct proc *t, uint64_t res)
{
	uint64_t max, *lim;

	if (res == PRLIMIT_OOM_PROTECT)
		return t->oom_protected;
	return (lim = limit_of(t, res, &max)) ? (int64_t)*lim : -ERR_INVAL;
}

/* The pager heap bytes one VMA costs its process: the VMA, a share of an
 * object, and the allocator's overhead. */
#define VMA_META_BYTES (sizeof(struct vma) + sizeof(struct memobj) + 32)

uint64_t proc_resident(struct proc *p)
{
	uint64_t pages = (vma_set_count(&p->vmas) * VMA_META_BYTES) >> PAGE_SHIFT;

	/* Frames in its objects, mapped or not: a PROT_NONE range still
	 * holds its pages. Frames shared with a relative count for both. The
	 * page-map nodes under each range count too: one page touched per
	 * 2 MiB costs a leaf frame as well, and a process holding twice the
	 * frames of another was chosen after it (issue 7). */
	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
		uint64_t lo = v->obj_index, hi = v->obj_index + vma_pages(v);
		if (v->obj->ops->resident)
			pages += v->obj->ops->resident(v->obj, lo, hi);
		pages += pagemap_nodes_range(&v->obj->pages, lo, hi);
	}
	return pages;
}

/* The cheap figure for the periodic check: pages in its page tables. */
static uint64_t proc_mapped(struct proc *p)
{
	struct task_info ti;
	uint64_t meta = (vma_set_count(&p->vmas) * VMA_META_BYTES) >> PAGE_SHIFT;

	return (sys_task_info(p->task, &ti) < 0 ? 0 : ti.mapped_pages) + meta;
}

void proc_oom_reclaim(uint64_t want)
{
	/* Clean cached file pages first: they can be read again. */
	if (page_free_count() < want)
		file_reclaim(want);
	while (page_free_count() < want) {
		struct proc *victim = NULL;
		uint64_t worst = 0, victim_rss = 0;
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *p = proc_at(i);
			if (p->state != PROC_LIVE || p->oom_protected)
				continue;
			uint64_t rss = proc_resident(p);
			/* Over its own resident limit: chosen before anyone within. */
			uint64_t score = rss + (rss > p->rss_limit ? page_end() : 0);
			if (!victim || score > worst) {
				victim = p;
				worst = score;
				victim_rss = rss;
			}
		}
		if (!victim)
			return;	/* only protected processes: the fault fails */
		pager_log("out of memory: killed pid %ld (%s), %lu resident pages, %lu free\n",
			  (long)victim->pid, victim->name, (unsigned long)victim_rss,
			  (unsigned long)page_free_count());
		uint64_t before = page_free_count();
		proc_end(victim, PAGER_SIGKILL);
		if (page_free_count() <= before)
			return;	/* its frames are shared with the living: killing on frees nothing */
	}
}

int64_t proc_oom_reclaim_meta(void)
{
	struct proc *victim = NULL;
	int64_t pid;

	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *p = proc_at(i);
		if (p->state == PROC_LIVE && !p->oom_protected &&
		    (!victim || vma_set_count(&p->vmas) > vma_set_count(&victim->vmas)))
			victim = p;
	}
	if (!victim)
		return 0;
	pager_log("out of pager memory: killed pid %ld (%s), %lu VMAs\n", (long)victim->pid,
		  victim->name, (unsigned long)vma_set_count(&victim->vmas));
	pid = victim->pid;
	proc_end(victim, PAGER_SIGKILL);
	return pid;
}

bool proc_rss_enforce(struct proc *p)
{
	uint64_t rss;

	if (p->state != PROC_LIVE || p->oom_protected || (rss = proc_mapped(p)) <= p->rss_limit)
		return false;
	pager_log("pid %ld (%s) killed by SIGKILL: %lu resident pages, over its limit of %lu\n",
		  (long)p->pid, p->name, (unsigned long)rss, (unsigned long)p->rss_limit);
	proc_end(p, PAGER_SIGKILL);
	return true;
}
