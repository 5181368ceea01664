/*
 * Page faults, as the kernel forwards them: find the VMA, check the access
 * against its rights, ask the backing object for the frame, and reply with
 * the mapping. A bad access ends the process with SIGSEGV and a one-line
 * report; running out of memory ends it with SIGKILL and says so.
 */
#include <stdio.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "libsys.h"
#include "pager.h"
#include "page.h"
#include "proc.h"

static const char *access_name(uint64_t access)
{
	return access == FAULT_WRITE ? "write" : access == FAULT_EXEC ? "exec" : "read";
}

static const uint32_t access_right[] = {
	[FAULT_READ] = MAP_R, [FAULT_WRITE] = MAP_W, [FAULT_EXEC] = MAP_X,
};

static void kill_for(struct proc *p, const struct fault_msg *f, int sig, const char *why)
{
	pager_log("pid %ld (%s) killed by %s: %s at %p, pc %p: %s\n", (long)p->pid, p->name,
		  sig == PAGER_SIGSEGV ? "SIGSEGV" : "SIGKILL", access_name(f->access),
		  (void *)f->addr, (void *)f->pc, why);
	proc_end(p, sig);
}

bool fault_handle(struct ipc_msg *m)
{
	struct fault_msg f = { m->w[0], m->w[1], m->w[2], m->w[3], m->w[4], m->badge };
	/* Only threads we made carry our fault badge; others are refused. */
	struct proc *p = f.badge == PAGER_FAULT_BADGE(PAGER_BADGE_PID(f.badge)) ?
			 proc_get(PAGER_BADGE_PID(f.badge)) : NULL;
	struct fault_req req;
	struct vma *v;
	int err;

	if (!p || p->state != PROC_LIVE) {
		m->info = ipc_info(FAULT_REPLY_KILL, 0, 0);
		return true;
	}
	if (f.kind != FAULT_KIND_PAGE) {
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
	if (!v) {
		kill_for(p, &f, PAGER_SIGSEGV, "no mapping");
		return false;
	}
	if (f.access > FAULT_EXEC || !(v->prot & access_right[f.access])) {
		kill_for(p, &f, PAGER_SIGSEGV, "protection");
		return false;
	}
	uint64_t page = f.addr & ~(PAGE_SIZE - 1);
	req.index = v->obj_index + ((page - v->node.start) >> PAGE_SHIFT);
	req.access = f.access;
	err = v->obj->ops->fault(v->obj, &req);
	if (err < 0) {
		kill_for(p, &f, PAGER_SIGKILL, err == -ERR_NOMEM ? "out of memory" : "I/O error");
		return false;
	}
	m->info = ipc_info(FAULT_REPLY_MAP, 0, 0);
	m->w[0] = (uint64_t)page_va(req.pfn);
	m->w[1] = page;
	m->w[2] = v->prot;
	return true;
}
