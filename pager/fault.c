/*
 * Page faults, as the kernel forwards them: find the VMA (growing the stack
 * if the fault is just below it || err == MEMOBJ_DELEGATE), check the access against its rights, ask
 * the backing object for the frame, and reply with the mapping. A bad
 * access ends the process with SIGSEGV and a one-line report; running out
 * of memory ends it with SIGKILL and says so. The kernel's death message
 * (a thread exited or was killed) ends the process too. A read or exec
 * fault on a resident page also maps the resident pages around it, as the
 * VMA's fault-around policy (policy.h) chooses.
 */
#include <stdio.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "backing.h"
#include "delegate.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "policy.h"
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
 * Fault-around: the read fault at page resolved to the resident frame at
 * src with rights. Grow the reply into the run of resident pages around it
 * (frames consecutive in our window) within the policy's window and the
 * VMA; the object's resident_run says how far. The cost is a few
 * instructions per page mapped, so a fault that finds no neighbours costs
 * little. The window is aligned to MAP_RUN_MAX pages, so a run needs no
 * more page-table pages than the faulting page alone. A private page that
 * may be mapped writable (held by this object alone) is left alone: its
 * neighbours would get fewer rights.
 */
static __attribute__((noinline)) void fault_around(struct vma *v, uint64_t page, uint64_t src,
						   uint32_t rights, struct ipc_msg *m)
{
	const struct fault_policy *pol = fault_policy_for(v);
	uint64_t pfn = page_pfn((void *)src), idx = vma_index(v, page), lo, hi, up, down;

	if (((rights & MAP_W) && !(v->flags & VMA_SHARED)) || pol == &fault_policy_none)
		return;	/* (none: the page alone, without asking the object) */
	pol->window(v, page, &lo, &hi);
	if (lo < v->node.start)
		lo = v->node.start;
	if (hi > v->node.end)
		hi = v->node.end;
	up = v->obj->ops->resident_run(v->obj, idx, pfn, 1, (hi - page - PAGE_SIZE) >> PAGE_SHIFT);
	down = v->obj->ops->resident_run(v->obj, idx, pfn, -1, (page - lo) >> PAGE_SHIFT);
	if (up + down == 0)
		return;
	m->info = ipc_info(FAULT_REPLY_MAP_RUN, 0, 0);
	m->w[0] = src - down * PAGE_SIZE;
	m->w[1] = page - down * PAGE_SIZE;
	m->w[3] = 1 + up + down;
}

/* Map n pages from our window at src to va in p: a lone page with
 * SYS_MAP, which is cheaper for one page than SYS_MAP_RUN. */
static int map_run(struct proc *p, uint64_t src, uint64_t va, uint32_t rights, uint64_t n)
{
	return (int)(n == 1 ? sys_map(p->task, src, va, rights) :
			      sys_map_run(p->task, src, va, rights, n));
}

/*
 * MAP_POPULATE and MADV_WILLNEED: every page of [lo, hi) is asked for, so
 * each is faulted in as a write (a writable VMA) or a read would be, and
 * runs of consecutive frames with the same rights are mapped with one
 * SYS_MAP_RUN each (frames that come off the free list in order make long
 * runs; scattered ones cost one SYS_MAP a page, as before).
 */
int fault_populate(struct proc *p, struct vma *v, uint64_t lo, uint64_t hi)
{
	/* A file's pages are read, not written: populating must not make
	 * them dirty. */
	uint64_t access = (v->prot & MAP_W) && !(v->flags & VMA_FILE) ? FAULT_WRITE : FAULT_READ, src;
	uint64_t start = lo, first = 0, n = 0;
	uint32_t rights, run_rights = 0;
	int err = 0;

	if (!v->prot)
		return 0;
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		if ((err = fault_in(v, va, access, &src, &rights)) < 0) {
			if (err == MEMOBJ_SUSPEND || err == MEMOBJ_SIGBUS)
				err = 0;	/* a file page not cached (or past EOF): faults later */
			break;
		}
		if (n && src == first + n * PAGE_SIZE && rights == run_rights && n < MAP_RUN_MAX) {
			n++;
			continue;
		}
		if (n && (err = map_run(p, first, start, run_rights, n)) < 0)
			return err;
		start = va;
		first = src;
		run_rights = rights;
		n = 1;
	}
	if (n) {
		int r = map_run(p, first, start, run_rights, n);
		if (r < 0 && err == 0)
			err = r;
	}
	return err;
}

/*
 * A fault below the stack VMA: grow it down to the faulting page if that
 * stays within PROC_STACK_MAX of the top, PROC_STACK_GUARD clear of the
 * mapping below, and within the process's limit. The grown VMA or NULL.
 */
__attribute__((noinline, cold)) struct vma *stack_grow(struct proc *p, uint64_t addr)
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

/* The fault in m (its words, still as received) ends p. */
static __attribute__((noinline, cold)) void kill_for(struct proc *p, const struct ipc_msg *m,
						      int sig, const char *why)
{
	const struct fault_msg f = { m->w[0], m->w[1], m->w[2], m->w[3], m->w[4], m->badge };

	if (signal_fault(p, m, sig))	/* a handler runs instead (signal.c) */
		return;
	pager_log("pid %ld (%s) killed by %s: %s at %p, pc %p: %s\n", (long)p->pid, p->name,
		  sig == PAGER_SIGSEGV ? "SIGSEGV" : sig == PAGER_SIGBUS ? "SIGBUS" : "SIGKILL",
		  access_name(f.access),
		  (void *)f.addr, (void *)f.pc, why);
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

	if (p->exec_deaths) {	/* the thread of an image exec replaced (proc_exec) */
		p->exec_deaths--;
		return;
	}
	pager_log("pid %ld (%s) killed: %s, pc %p\n", (long)p->pid, p->name,
		  why < 7 && reasons[why] ? reasons[why] : "thread died", (void *)m->w[1]);
	proc_end(p, PAGER_SIGKILL);
}

/* A fault past the end of the file in libsys's read window (a truncate
 * raced its read(): libsys/src/file_read.c) resumes at the process's
 * eof_resume pc with a0 the address, every other register as it was, so
 * read() returns a short count instead of the reader dying. The reply
 * into m: whether so. */
static __attribute__((noinline, cold)) bool eof_resume(struct proc *p, struct ipc_msg *m)
{
	uint64_t addr = m->w[0];
	struct vma *v = vma_find(&p->vmas, addr);
	struct user_regs regs;

	if (!v || !(v->flags & VMA_EOF_RESUME) || !p->sig.eof_resume || m->w[3] != FAULT_KIND_PAGE ||
	    sys_thread_regs_read(p->thread, &regs) < 0)
		return false;
	m->info = ipc_info(FAULT_REPLY_REGS, 0, 0);
	m->w[0] = p->sig.eof_resume;
	m->w[1] = regs.x[2];	/* sp, ra, a1, a2: user_regs.x is indexed as the pc then x1..x31 */
	m->w[2] = regs.x[1];
	m->w[3] = addr;
	m->w[4] = regs.x[11];
	m->w[5] = regs.x[12];
	return true;
}

/* The object could not give the page (and it is not one to wait for: the
 * caller suspends those): another pager's region, past EOF (SIGBUS), or out
 * of memory / I/O (SIGKILL). Whether to reply now. */
static __attribute__((noinline, cold)) bool fault_failed(struct proc *p, struct vma *v,
							 struct ipc_msg *m, int err)
{
	if (err == MEMOBJ_DELEGATE)	/* another pager serves the region */
		return delegate_forward(p, v, m, 0);
	if (err == MEMOBJ_SIGBUS && eof_resume(p, m))
		return true;
	if (err == MEMOBJ_SIGBUS)
		kill_for(p, m, PAGER_SIGBUS, "past the end of the file");
	else
		kill_for(p, m, PAGER_SIGKILL, err == -ERR_NOMEM ? "out of memory" : "I/O error");
	return false;
}

void fault_reanswer(struct proc *p, uint64_t va, uint64_t access, struct ipc_msg *m)
{
	struct vma *v = vma_find(&p->vmas, va);
	uint64_t src;
	uint32_t rights;

	m->info = ipc_info(FAULT_REPLY_RESUME, 0, 0);
	if (!v || access > FAULT_EXEC || !(v->prot & access_right[access]) ||
	    fault_in(v, va, access, &src, &rights) < 0)
		return;	/* it faults again, and that fault decides */
	m->info = ipc_info(FAULT_REPLY_MAP, 0, 0);
	m->w[0] = src;
	m->w[1] = va;
	m->w[2] = rights;
	if (access != FAULT_WRITE && v->obj->ops->resident_run)
		fault_around(v, va, src, rights, m);
}

uint64_t fault_count;

bool fault_handle(struct ipc_msg *m)
{
	uint64_t addr = m->w[0], access = m->w[1], kind = m->w[3], badge = m->badge;
	/* Only threads we made carry our fault badge; others are refused. */
	struct proc *p = badge == PAGER_FAULT_BADGE(PAGER_BADGE_PID(badge)) ?
			 proc_get(PAGER_BADGE_PID(badge)) : NULL;
	uint64_t src;
	uint32_t rights;
	struct vma *v;
	int err;

	if (!p || p->state != PROC_LIVE) {
		if (kind == FAULT_KIND_EXIT)	/* a death we caused: no reply */
			return false;
		m->info = ipc_info(FAULT_REPLY_KILL, 0, 0);
		return true;
	}
	if (kind != FAULT_KIND_PAGE) {	/* off the hot path */
		if (kind == FAULT_KIND_EXIT && ipc_label(m->info) == THREAD_EXIT_LABEL) {
			death_handle(p, m);
			return false;
		}
		static const char *const kinds[] = {
			[FAULT_KIND_ILLEGAL] = "illegal instruction",
			[FAULT_KIND_MISALIGNED] = "misaligned access",
			[FAULT_KIND_BREAKPOINT] = "breakpoint",
			[FAULT_KIND_ACCESS] = "access fault",
		};
		kill_for(p, m, PAGER_SIGSEGV, kind < 6 && kinds[kind] ? kinds[kind] : "exception");
		return false;
	}
	fault_count++;
	v = vma_find(&p->vmas, addr);
	if (!v && !(v = stack_grow(p, addr))) {
		kill_for(p, m, PAGER_SIGSEGV, "no mapping");
		return false;
	}
	if (access > FAULT_EXEC || !(v->prot & access_right[access])) {
		kill_for(p, m, PAGER_SIGSEGV, "protection");
		return false;
	}
	uint64_t page = addr & ~(PAGE_SIZE - 1);
	err = fault_in_inline(v, page, access, &src, &rights);
	if (err == MEMOBJ_SUSPEND)	/* a file page to read: wait for its fill */
		return backing_fault_missing(p, v, page, access, m);
	if (err < 0)
		return fault_failed(p, v, m, err);
	m->info = ipc_info(FAULT_REPLY_MAP, 0, 0);
	m->w[0] = src;
	m->w[1] = page;
	m->w[2] = rights;
	if (access != FAULT_WRITE && src != (uint64_t)page_va(anon_zero_frame) &&
	    v->obj->ops->resident_run) {
		if (__builtin_expect(v->ra_next != 0, 0))	/* a file read ahead */
			backing_fault_ahead(p, v, page);
		fault_around(v, page, src, rights, m);
	}
	return true;
}
