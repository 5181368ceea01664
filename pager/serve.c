/*
 * Requests from processes (abi/pager.h): check who asks, dispatch, and
 * fill the reply. Returns whether to reply now (false: the caller ended,
 * or the answer is deferred).
 */
#include <stdio.h>
#include "abi/pager.h"
#include "backing.h"
#include "dma.h"
#include "forward.h"
#include "delegate.h"
#include "policy.h"
#include "kquota.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "zeropool.h"
#include "ptimer.h"
#include "signals.h"

/* The process a request names (0: the caller), if the caller may look. */
static struct proc *target(struct proc *p, uint64_t pid, int64_t *err)
{
	struct proc *t = pid ? proc_get(pid) : p;

	if (!t || t->state != PROC_LIVE) {
		*err = -ERR_SRCH;
		return NULL;
	}
	if (!proc_is_descendant(t, p)) {
		*err = -ERR_PERM;
		return NULL;
	}
	return t;
}

static int64_t proc_stats_of(struct proc *t, struct ipc_msg *m)
{
	struct task_info ti;
	int64_t r = sys_task_info(t->task, &ti);

	if (r < 0)
		return r;
	m->w[1] = vma_set_pages(&t->vmas);
	m->w[2] = ti.mapped_pages;
	m->w[3] = ti.pt_pages;
	return 0;
}

static uint32_t vma_kind(const struct vma *v)
{
	return v->flags & VMA_IPCBUF ? PVMA_IPCBUF : v->flags & VMA_STACK ? PVMA_STACK :
	       v->flags & VMA_HEAP ? PVMA_HEAP : v->flags & VMA_IMAGE ? PVMA_IMAGE :
	       v->flags & VMA_FILE ? PVMA_FILE :
	       v->flags & VMA_SHARED ? PVMA_SHARED : PVMA_ANON;
}

/* Fill our IPC buffer with t's VMAs from `from`; the count, w1 = next. */
static int64_t vma_list_of(struct proc *t, uint64_t from, struct ipc_msg *m, uint64_t *len)
{
	struct pager_vma_info *out = ipcbuf();
	uint64_t n = 0;
	struct vma *v;

	for (v = vma_lower_bound(&t->vmas, from); v && n < PVMA_LIST_MAX; v = vma_next(v), n++) {
		out[n].start = v->node.start;
		out[n].end = v->node.end;
		out[n].prot = v->prot;
		out[n].kind = vma_kind(v);
		out[n].resident = v->obj->ops->resident ?
			v->obj->ops->resident(v->obj, v->obj_index, v->obj_index + vma_pages(v)) : 0;
	}
	m->w[1] = v ? out[n - 1].end : 0;
	*len = n * sizeof(*out);
	return (int64_t)n;
}

static bool serve_one(struct ipc_msg *m)
{
	struct proc *p = proc_get(m->badge), *t;
	uint64_t label = ipc_label(m->info), len = ipc_len(m->info), out_len = 0;
	uint64_t grant = (m->info & IPC_GRANT) && (int64_t)m->w[5] > 0 ? m->w[5] : 0;
	uint64_t *w = m->w;
	int64_t r = -ERR_NOSYS;
	bool retried = false;
	uint64_t alloc_failures = page_alloc_failures;
	bool defer;

	if (m->badge == PAGER_TIMER_BADGE) {	/* our timer relay: alarms, write-back */
		ptimer_fire();
		m->info = ipc_info(0, 0, 0);
		return true;
	}
	if (grant && label != PAGER_SPAWN && label != PAGER_SPAWN_IMAGE &&
	    label != PAGER_FAULT_FORWARD && label != PAGER_SPAWN_FILE) {	/* only these take a handle */
		sys_handle_close(grant);
		grant = 0;
	}
	if (!p || p->state != PROC_LIVE) {
		r = -ERR_SRCH;
		goto reply;
	}
	signal_caller = p;	/* its own signals wait for the reply */
	backing_poll();		/* background write-back, if a page is due */
again:
	switch (label) {
	case PAGER_EXIT:
		proc_end(p, (int)((w[0] & 0xff) << 8));
		return false;
	case PAGER_SPAWN: {
		uint64_t child_grant;
		if ((r = proc_spawn_flags_check(p, w[0] & ~(uint64_t)PSPAWN_PAGER)) == 0 &&
		    (r = forward_spawn_begin(p, w[0], grant, &child_grant)) == 0 &&
		    (r = proc_spawn(p, ipcbuf(), len, child_grant)) > 0)
			proc_spawn_flags_apply(proc_get(r), w[0]);	/* before it runs */
		forward_spawn_end(r);
		break;
	}
	case PAGER_WAIT: {
		int64_t pid;
		int status = 0;
		if (!proc_wait(p, (int64_t)w[0], (int)w[1], &pid, &status))
			return false;
		r = pid;
		w[1] = (uint64_t)status;
		break;
	}
	case PAGER_GETPID:
		r = p->pid;
		break;
	case PAGER_KILL:
		r = signal_kill(p, w[0] ? w[0] : UINT64_MAX, w[1], w[2]);
		break;
	case PAGER_SIGACTION:
	case PAGER_SIGPROCMASK:
	case PAGER_SIGPENDING:
	case PAGER_SIGSUSPEND:
	case PAGER_ALARM:
	case PAGER_SIGALTSTACK:
		r = signal_request(p, m, &defer);
		if (defer) {
			signal_caller = NULL;
			return false;
		}
		break;
	case PAGER_PROC_STATS:
		if ((t = target(p, w[0], &r)))
			r = proc_stats_of(t, m);
		break;
	case PAGER_MEMINFO:
		r = proc_count();	/* live and zombie */
		w[1] = page_free_count();
		w[2] = page_total_count();
		w[3] = pagemap_node_frames();
		w[4] = pagemap_flat_bytes();
		w[5] = fault_count;
		break;
	case PAGER_QUARANTINE:
		r = backing_quarantined();
		break;
	case PAGER_ZEROPOOL:
		zeropool_stats(w);
		r = (int64_t)w[0];
		break;
	case PAGER_MMAP:
		r = mm_mmap(p, w[0], w[1], w[2], w[3]);
		break;
	case PAGER_MUNMAP:
		r = mm_munmap(p, w[0], w[1]);
		break;
	case PAGER_MPROTECT:
		r = mm_mprotect(p, w[0], w[1], w[2]);
		break;
	case PAGER_MADVISE:
		r = mm_madvise(p, w[0], w[1], w[2], w[3]);
		break;
	case PAGER_MREMAP:
		r = mm_mremap(p, w[0], w[1], w[2], w[3], w[4]);
		break;
	case PAGER_BRK:
		r = mm_brk(p, w[0]);
		break;
	case PAGER_FORK:
		r = proc_fork(p, w[0], w[1], w[2]);
		if (r > 0) {	/* its snapshot, if it ends before binding it */
			p->fork_child = r;
			p->fork_snap = w[3];
		}
		break;
	case PAGER_VMA_LIST:
		if ((t = target(p, w[1], &r)))
			r = vma_list_of(t, w[0], m, &out_len);
		break;
	case PAGER_CHECK:
		r = pager_check_all();
		w[1] = page_heap_pages() + kquota_donated();	/* kept for good */
		break;
	case PAGER_SET_LIMIT:
		r = 0;
		/* Lower, or restore (0) up to what the parent allowed. */
		p->limit_pages = w[0] && w[0] < p->limit_pages_max ? w[0] : p->limit_pages_max;
		break;
	case PAGER_SETRLIMIT:
		if ((t = target(p, w[0], &r)))
			r = proc_setrlimit(p, t, w[1], w[2]);
		break;
	case PAGER_GETRLIMIT:
		if ((t = target(p, w[0], &r)))
			r = proc_getrlimit(t, w[1]);
		break;
	case PAGER_DMA_ALLOC:
		r = pager_dma_alloc(p, w[0], &w[1]);
		break;
	case PAGER_SPAWN_IMAGE: {
		uint64_t child_grant;
		if (w[2] & ~(uint64_t)PSPAWN_PAGER)
			r = -ERR_INVAL;
		else if ((r = forward_spawn_begin(p, w[2], grant, &child_grant)) == 0)
			r = spawn_image_request(p, m, child_grant);
		forward_spawn_end(r);
		break;
	}
	case PAGER_FAULT_FORWARD:
		if (forward_request(p, m, grant, &r)) {
			sys_handle_close(grant);	/* kept, if kept, as a copy */
			signal_caller = NULL;
			return false;	/* answered already (a fill to wait for) */
		}
		break;
	case PAGER_SPAWN_FILE:
	case PAGER_EXEC: {
		bool answer = true, spawn = label == PAGER_SPAWN_FILE;
		uint64_t child_grant = grant;
		if (!spawn || (r = forward_spawn_begin(p, w[3], grant, &child_grant)) == 0)
			r = exec_request(p, m, child_grant, &answer);
		if (spawn)
			forward_spawn_end(r);
		if (spawn && r > 0) {	/* its snapshot (w4), as PAGER_FORK's w3 */
			p->fork_child = r;
			p->fork_snap = w[4];
		}
		if (!answer) {	/* its image was replaced, or it ended */
			signal_caller = NULL;
			if (grant)
				sys_handle_close(grant);
			return false;
		}
		break;
	}
	case PAGER_MSYNC:
		if (msync_request(p, m, &r))
			return false;	/* answered when the disk has it */
		break;
	case PAGER_OBJ_MAP:
	case PAGER_OBJ_FETCH:
	case PAGER_OBJ_DONE:
	case PAGER_OBJ_SIZE:
	case PAGER_OBJ_PEEK:
	case PAGER_OBJ_FLUSH:
	case PAGER_OBJ_KEEP:
		r = backing_request(p, m, &out_len);
		break;
	case PAGER_POLICY:
		r = policy_request(p, m, &out_len);
		break;
	case PAGER_DELEGATE:
	case PAGER_DELEGATE_FETCH:
		if (!delegate_request(p, m, &r)) {
			signal_caller = NULL;
			return false;	/* a fetch waits for a fault */
		}
		break;
	case PAGER_MO_SERVE:
	case PAGER_MO_CREATE:
	case PAGER_MO_MAP:
	case PAGER_MO_WAIT:
	case PAGER_MO_INVALIDATE:
	case PAGER_MO_PROTECT:
	case PAGER_MO_DIRTY:
	case PAGER_MO_CLOSE:
	case PAGER_MO_SUPPLY:
		if (extobj_request(p, m, &r, &out_len))
			return false;	/* a parked PAGER_MO_WAIT: answered with a request */
		break;
	case PAGER_FS_REGISTER:
	case PAGER_FS_CONNECT:
	case PAGER_FS_DEAD:
	case PAGER_FS_ALIVE:
		r = fsconn_request(p, m);
		break;
	}
	/* Out of frames in a request: as for a fault, the biggest process
	 * ends (proc_oom_reclaim), and the request runs once more. A request
	 * that fails with ENOMEM has undone its work, or left what a retry
	 * redoes. Before, a spawn or fork failed while one process held every
	 * frame, until somebody happened to fault (issue 7). Not for MMAP and
	 * MADVISE: their populate asks for any number of frames, and a small
	 * process asking for more than there is would end the biggest one
	 * each time; they fail with ENOMEM as they did. Only when a frame
	 * allocation failed: an ENOMEM from a limit, the VMA cap or a full
	 * address range must not cost anyone else their life. */
	if (r == -ERR_NOMEM && !retried && label != PAGER_MMAP && label != PAGER_MADVISE &&
	    page_alloc_failures != alloc_failures && page_free_count() < 2 * OOM_RESERVE_FRAMES) {
		retried = true;
		proc_oom_reclaim(page_free_count() + OOM_RESERVE_FRAMES + 1);
		if (p->state != PROC_LIVE) {	/* the caller was the biggest */
			if (grant)
				sys_handle_close(grant);
			return false;
		}
		goto again;
	}
reply:
	if (grant)	/* given to a child by now, or refused */
		sys_handle_close(grant);
	m->info = ipc_info(0, out_len, 0);
	w[0] = (uint64_t)r;
	if (!p || signal_caller != p)	/* not a live caller: the error reply */
		return true;
	signal_caller = NULL;
	if (p->state != PROC_LIVE)	/* it ended itself (a signal, PAGER_KILL) */
		return false;
	/* A signal for the caller (raise, an unblocking sigprocmask): the
	 * reply goes out with its handler set to run first. */
	return !signal_reply(p, m);
}

/*
 * PAGER_MO_WAIT, an external pager's loop (an answer and the next
 * request), straight to backing_wait: none of serve_one's dispatch, grant
 * handling or out-of-memory retry applies to it (it allocates nothing and
 * takes no handle: a call with a grant goes the general way, which closes
 * it). The caller's signals wait for its reply, as serve_one's do.
 */
static bool mo_wait_request(struct ipc_msg *m)
{
	struct proc *p = proc_get(m->badge);
	struct bsrv *s;
	int64_t r;
	bool defer;

	if (!p || p->state != PROC_LIVE || !(s = backing_server_of(p)) || !s->external)
		return serve_one(m);	/* its errors */
	signal_caller = p;
	defer = backing_wait(s, m, &r);
	signal_caller = NULL;
	if (defer || p->state != PROC_LIVE)
		return false;
	m->info = ipc_info(0, 0, 0);
	m->w[0] = (uint64_t)r;
	return !signal_reply(p, m);
}

bool serve_request(struct ipc_msg *m)
{
	bool reply;

	if (m->info == ipc_info(PAGER_MO_WAIT, 0, 0) && m->badge != PAGER_TIMER_BADGE)
		return mo_wait_request(m);
	reply = serve_one(m);

	signal_caller = NULL;
	return reply;
}
