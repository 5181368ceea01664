/*
 * Backing-store policy "fixed" (policy.h): a fault on a missing file page
 * reads it and up to BACKING_FILL_MAX - 1 pages after it (read-around,
 * Linux's readahead idea at a fixed size: a sequential scan then faults
 * once per BACKING_FILL_MAX pages), one page under madvise(MADV_RANDOM).
 * Dirty pages are written back in the background once dirty for 5 s of
 * rdtime at QEMU virt's 10 MHz (Linux's dirty_expire_centisecs is 30 s;
 * ours is shorter because nothing else flushes), 256 pages a pass at most.
 *
 * Also the registry: every policy by id, the system's default (chosen by
 * the build, -DPAGER_POLICY=name: an unknown name does not compile), and
 * PAGER_POLICY, which says which policy a mapping or the system uses.
 */
#include <string.h>
#include "abi/pager.h"
#include "libsys.h"
#include "policy.h"
#include "proc.h"

/*
 * A stream: a miss exactly where the mapping's last window ended
 * reads FIXED_STREAM pages (8 fills) instead of BACKING_FILL_MAX, and the
 * next window is queued at once and again at the first fault in each
 * window (fixed_ahead: from the miss, from a fault that waits, and from a
 * fault on a page already read, backing_fault_ahead), so one window is
 * always on its way while the scan reads the last: Linux's asynchronous
 * readahead, marked at the window's first page. The window is the VMA's
 * ra_start / ra_next, as policy_adaptive.c keeps them. The file server
 * reads a fill's uncached pages straight into the frames
 * (docs/file-server.md) and has no read-ahead of its own for them, so
 * without this the hart idled on the disk once a window (and -icount
 * counts the wait).
 */
#define FIXED_STREAM	(8 * BACKING_FILL_MAX)

static uint64_t fixed_fill_pages(const struct vma *cv, uint64_t idx)
{
	struct vma *v = (struct vma *)cv;	/* the window's state only */
	uint64_t w = BACKING_FILL_MAX;

	if (VMA_ADVICE_HINT(v->advice) == PADV_RANDOM)
		return 1;
	if (v->ra_next && idx == v->ra_next)
		w = FIXED_STREAM;
	v->ra_start = idx;
	v->ra_next = idx + w;
	return w;
}

static uint64_t fixed_ahead(const struct vma *cv, uint64_t idx, uint64_t *from)
{
	struct vma *v = (struct vma *)cv;

	if (VMA_ADVICE_HINT(v->advice) == PADV_RANDOM || v->ra_next - v->ra_start != FIXED_STREAM ||
	    idx < v->ra_start || idx >= v->ra_next)
		return 0;
	*from = v->ra_next;
	v->ra_start = v->ra_next;
	v->ra_next += FIXED_STREAM;
	return FIXED_STREAM;
}

struct backing_policy backing_policy_fixed = {
	.name = "fixed",
	.id = PPOLICY_FIXED,
	.fill_pages = fixed_fill_pages,
	.ahead = fixed_ahead,
	.dirty_expire = POLICY_DIRTY_EXPIRE,
	.writeback_batch = POLICY_WRITEBACK_BATCH,
};

struct backing_policy *const backing_policies[PPOLICY_COUNT] = {
	[PPOLICY_FIXED] = &backing_policy_fixed,
	[PPOLICY_ADAPTIVE] = &backing_policy_adaptive,
	[PPOLICY_NONE] = &backing_policy_none,
};

#ifndef PAGER_POLICY_NAME	/* cmake -DPAGER_POLICY=name sets it */
#define PAGER_POLICY_NAME fixed
#endif
#define POLICY_TABLE_(name) backing_policy_##name
#define POLICY_TABLE(name) POLICY_TABLE_(name)
struct backing_policy *backing_policy = &POLICY_TABLE(PAGER_POLICY_NAME);

/* PAGER_POLICY: w0 an address of p's (0: the system's default) -> w0 the
 * policy's id, its name in the reply buffer (NUL-terminated). */
int64_t policy_request(struct proc *p, struct ipc_msg *m, uint64_t *out_len)
{
	const struct backing_policy *pol = backing_policy;

	if (m->w[0]) {
		struct vma *v = vma_find(&p->vmas, m->w[0]);
		if (!v)
			return -ERR_NOMEM;	/* as madvise on an unmapped address */
		pol = backing_policy_for(v);
	}
	*out_len = strlen(pol->name) + 1;
	memcpy(ipcbuf(), pol->name, *out_len);
	return pol->id;
}
