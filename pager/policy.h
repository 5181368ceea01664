/*
 * Fault-around policies: which pages next to a resolved read fault are
 * worth mapping in the same reply. A policy only chooses a window; the
 * mechanism (fault.c, fault_around) clips it to the VMA and maps, in runs
 * of FAULT_REPLY_MAP_RUN / SYS_MAP_RUN, only pages the memory object says
 * are resident (ops->resident_run): fault-around never allocates, zeroes, copies
 * or reads a page nobody touched. One file per policy (policy_*.c), each a
 * const ops table, so a mapping can later name its own (madvise hints,
 * file mappings); fault_policy_for picks one per VMA.
 */
#ifndef PAGER_POLICY_H
#define PAGER_POLICY_H

#include <stdint.h>
#include "abi/pager.h"
#include "vma.h"

struct fault_policy {
	const char *name;
	/* The window [*lo, *hi) of page addresses, containing page, that a
	 * read or exec fault at page of v should map if resident; lo == page
	 * and hi == page + PAGE_SIZE for none. Need not lie within v. */
	void (*window)(const struct vma *v, uint64_t page, uint64_t *lo, uint64_t *hi);
};

extern const struct fault_policy fault_policy_none;	/* policy_none.c */
extern const struct fault_policy fault_policy_resident;	/* policy_resident.c */

/* vma.advice holds the madvise hint (PADV_NORMAL / RANDOM / SEQUENTIAL)
 * in its low byte and the read-around policy madvise chose
 * (PADV_POLICY_* - PADV_POLICY_DEFAULT; 0: the system's) above it. */
#define VMA_ADVICE_HINT(a)	((a) & 0xffu)
#define VMA_ADVICE_POLICY(a)	((a) >> 8)

/* The policy for faults in v: none under madvise(MADV_RANDOM) (as it
 * turns off read-around), else resident. */
static inline const struct fault_policy *fault_policy_for(const struct vma *v)
{
	return VMA_ADVICE_HINT(v->advice) == PADV_RANDOM ? &fault_policy_none : &fault_policy_resident;
}

/*
 * Backing-store policies (policy_backing.c, docs/policies.md): how many
 * pages a fill brings in for a fault (read-around), and when and how much
 * background write-back does. One file per policy, each a table:
 * "fixed" (policy_backing.c), "adaptive" (policy_adaptive.c), "none"
 * (policy_backing_none.c). The system's default is chosen when the pager
 * is built (-DPAGER_POLICY=name); madvise(PADV_POLICY_*) chooses one for
 * a mapping. The values may be changed at run time.
 */
struct backing_policy {
	const char *name;
	uint32_t id;		/* PPOLICY_* */
	/* Pages a fill for a fault at object index idx of v asks for,
	 * from idx up (>= 1; past BACKING_FILL_MAX they go out as several
	 * requests; the mechanism stops at the VMA's end, EOF and pages
	 * already there). */
	uint64_t (*fill_pages)(const struct vma *v, uint64_t idx);
	/* A fault at idx of v waits for a page being read: pages to read
	 * from *from now, ahead of a scan (0: none). Optional. */
	uint64_t (*ahead)(const struct vma *v, uint64_t idx, uint64_t *from);
	uint64_t dirty_expire;		/* rdtime ticks a page may stay dirty */
	uint64_t writeback_batch;	/* pages per background pass, at most */
};

extern struct backing_policy backing_policy_fixed;	/* policy_backing.c */
extern struct backing_policy backing_policy_adaptive;	/* policy_adaptive.c */
extern struct backing_policy backing_policy_none;	/* policy_backing_none.c */
/* The system's default (PAGER_POLICY), and every policy by PPOLICY_* id
 * (0: none there). */
extern struct backing_policy *backing_policy;
extern struct backing_policy *const backing_policies[PPOLICY_COUNT];

/* The read-around policy of v: its own (madvise), else the system's. */
static inline const struct backing_policy *backing_policy_for(const struct vma *v)
{
	uint32_t id = VMA_ADVICE_POLICY(v->advice);

	return id && id < PPOLICY_COUNT ? backing_policies[id] : backing_policy;
}

/* PAGER_POLICY (abi/pager.h) for p. */
struct proc;
int64_t policy_request(struct proc *p, struct ipc_msg *m, uint64_t *out_len);

/* Dirty-page expiry and write-back batch every policy shares. */
#define POLICY_DIRTY_EXPIRE	(5 * 10000000ul)
#define POLICY_WRITEBACK_BATCH	256

#endif
