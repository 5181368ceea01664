/*
 * Page faults, as the kernel forwards them: find the VMA (growing the stack
 * if the fault is just below it), check the access against its rights, ask
 * the backing object for the frame, and reply with the mapping. A bad
 * access ends the process with SIGSEGV and a one-line report; running out
 * of memory ends it with SIGKILL and says so. The kernel's death message
 * (a thread exited or was killed) ends the process too.
 */
#include <stdio.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "proc.h"

static const char *access_name(uint64_t access)
{
	return access == FAULT_WRITE ? "write" : access == FAULT_EXEC ? "exec" : "read";
}

static const uint32_t access_right[] = {
	[FAULT_READ] = MAP_R, [FAULT_WRITE] = MAP_W, [FAULT_EXEC] = MAP_X,
};

/* Inlined into the fault handler: this is the hot path. */
static inline __attribute__((always_inline)) int
fault_in_inline(struct vma *v, uint64_t va, uint64_t access, uint64_t *src, uint32_t *rights)
{
	struct fault_req req = {
		.index = vma_index(v, va),
		.access = access,
		.private = !(v->flags & VMA_SHARED),
	};
	int err = v->obj->ops->fault(v->obj, &req);

	if (err < 0)
		return err;
	*src = (uint64_t)page_va(req.pfn);
	*rights = req.writable ? v->prot : v->prot & ~MAP_W;
	return 0;
}

int fault_in(struct vma *v, uint64_t va, uint64_t access, uint64_t *src, uint32_t *rights)
{
	return fault_in_inline(v, va, access, src, rights);
}

/*
 * A fault below the stack VMA: grow it down to the faulting page if that
 * stays within PROC_STACK_MAX of the top, PROC_STACK_GUARD clear of the
 * mapping below, and within the process's limit. The grown VMA or NULL.
 */
static __attribute__((noinline, cold)) struct vma *stack_grow(struct proc *p, uint64_t addr)
{
	struct vma *v = vma_lower_bound(&p->vmas, addr), *below;
	uint64_t start = addr & ~(PAGE_SIZE - 1);

	if (!v || !(v->flags & VMA_STACK) || addr < PROC_STACK_TOP - PROC_STACK_MAX)
		return NULL;
	below = vma_prev(v);
	if (below && below->node.end + PROC_STACK_GUARD > start)
		return NULL;
	if (vma_set_pages(&p->vmas) + ((v->node.start - start) >> PAGE_SHIFT) > p->limit_pages)
		return NULL;
	vma_resize(&p->vmas, v, start, v->node.end);
	return v;
}

static __attribute__((noinline, cold)) void kill_for(struct proc *p, const struct fault_msg *f,
						      int sig, const char *why)
{
	pager_log("pid %ld (%s) killed by %s: %s at %p, pc %p: %s\n", (long)p->pid, p->name,
		  sig == PAGER_SIGSEGV ? "SIGSEGV" : "SIGKILL", access_name(f->access),
		  (void *)f->addr, (void *)f->pc, why);
	proc_end(p, sig);
}

/*
 * The main thread of live process p died (abi/fault.h's death message;
 * never replied to): the process ends as if killed: its waiter is
 * answered, its task destroyed, its slot freed. Deaths we caused ourselves
 * (proc_end destroys the task) find the process gone and are ignored by
 * the caller.
 */
static __attribute__((noinline, cold)) void death_handle(struct proc *p, const struct ipc_msg *m)
{
	static const char *const reasons[] = {
		[THREAD_EXIT_SELF] = "thread exited",
		[THREAD_EXIT_KILLED] = "task destroyed",
		[THREAD_EXIT_FAULT_KILL] = "fault reply kill",
		[THREAD_EXIT_BAD_REPLY] = "bad fault reply",
		[THREAD_EXIT_PAGER_GONE] = "pager gone",
		[THREAD_EXIT_NOMEM] = "out of kernel memory (its quota)",
	};
	uint64_t why = m->w[0];

	pager_log("pid %ld (%s) killed: %s, pc %p\n", (long)p->pid, p->name,
		  why < 7 && reasons[why] ? reasons[why] : "thread died", (void *)m->w[1]);
	proc_end(p, PAGER_SIGKILL);
}

bool fault_handle(struct ipc_msg *m)
{
	struct fault_msg f = { m->w[0], m->w[1], m->w[2], m->w[3], m->w[4], m->badge };
	/* Only threads we made carry our fault badge; others are refused. */
	struct proc *p = f.badge == PAGER_FAULT_BADGE(PAGER_BADGE_PID(f.badge)) ?
			 proc_get(PAGER_BADGE_PID(f.badge)) : NULL;
	uint64_t src;
	uint32_t rights;
	struct vma *v;
	int err;

	if (!p || p->state != PROC_LIVE) {
		if (f.kind == FAULT_KIND_EXIT)	/* a death we caused: no reply */
			return false;
		m->info = ipc_info(FAULT_REPLY_KILL, 0, 0);
		return true;
	}
	if (f.kind != FAULT_KIND_PAGE) {	/* off the hot path */
		if (f.kind == FAULT_KIND_EXIT && ipc_label(m->info) == THREAD_EXIT_LABEL) {
			death_handle(p, m);
			return false;
		}
		static const char *const kinds[] = {
			[FAULT_KIND_ILLEGAL] = "illegal instruction",
			[FAULT_KIND_MISALIGNED] = "misaligned access",
			[FAULT_KIND_BREAKPOINT] = "breakpoint",
			[FAULT_KIND_ACCESS] = "access fault",
		};
		kill_for(p, &f, PAGER_SIGSEGV, f.kind < 6 && kinds[f.kind] ? kinds[f.kind] : "exception");
		return false;
	}
	v = vma_find(&p->vmas, f.addr);
	if (!v && !(v = stack_grow(p, f.addr))) {
		kill_for(p, &f, PAGER_SIGSEGV, "no mapping");
		return false;
	}
	if (f.access > FAULT_EXEC || !(v->prot & access_right[f.access])) {
		kill_for(p, &f, PAGER_SIGSEGV, "protection");
		return false;
	}
	uint64_t page = f.addr & ~(PAGE_SIZE - 1);
	err = fault_in_inline(v, page, f.access, &src, &rights);
	if (err < 0) {
		kill_for(p, &f, PAGER_SIGKILL, err == -ERR_NOMEM ? "out of memory" : "I/O error");
		return false;
	}
	m->info = ipc_info(FAULT_REPLY_MAP, 0, 0);
	m->w[0] = src;
	m->w[1] = page;
	m->w[2] = rights;
	return true;
}
