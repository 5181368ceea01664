/*
 * The mmap family and the fault-in step they share with the fault handler.
 * Each returns what the pager protocol replies: >= 0, or a negated ERR_*.
 */
#ifndef PAGER_MMAP_H
#define PAGER_MMAP_H

#include <stdint.h>
#include "proc.h"

int64_t mm_mmap(struct proc *p, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags);
int64_t mm_munmap(struct proc *p, uint64_t addr, uint64_t len);
int64_t mm_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot);
int64_t mm_madvise(struct proc *p, uint64_t addr, uint64_t len, uint64_t advice, uint64_t pc);
/* new_addr: the destination with PREMAP_FIXED. */
int64_t mm_mremap(struct proc *p, uint64_t old, uint64_t old_len, uint64_t new_len,
		  uint64_t flags, uint64_t new_addr);
int64_t mm_brk(struct proc *p, uint64_t want);
/* Fault in and map the pages of v in [lo, hi) now. 0 or -ERR_NOMEM. */
int populate(struct proc *p, struct vma *v, uint64_t lo, uint64_t hi);

/* Map o (whose reference passes to the mapping, or is dropped on
 * failure) at page obj_index into p as mmap would (hint, FIXED,
 * FIXED_NOREPLACE, POPULATE, limits): the address or -ERR_*. */
int64_t mm_map_object(struct proc *p, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags,
		      struct memobj *o, uint64_t obj_index, uint32_t vma_flags);
/* The file server's backing window: `pages` pages nobody may fault on,
 * change or unmap (VMA_WINDOW). Its address or -ERR_*. */
int64_t mm_map_window(struct proc *p, uint64_t pages);

/* fault.c: answer a suspended fault whose page came in: m gets the
 * mapping, or FAULT_REPLY_RESUME (the thread faults again). */
void fault_reanswer(struct proc *p, uint64_t va, uint64_t access, struct ipc_msg *m);
/* fault.c: the frame for page va of v as an access would get it: *src is
 * its address in our window, *rights what it may be mapped with. */
int fault_in(struct vma *v, uint64_t va, uint64_t access, uint64_t *src, uint32_t *rights);
/* fault.c: page faults served so far, every process (PAGER_MEMINFO w5). */
extern uint64_t fault_count;
/* fault.c: populate's work: fault in [lo, hi) of v, mapping runs of
 * consecutive frames with one SYS_MAP_RUN each. 0 or -ERR_*. */
int fault_populate(struct proc *p, struct vma *v, uint64_t lo, uint64_t hi);

/* fork.c: a copy of p whose first thread starts at pc with sp and a0.
 * The child's pid or -ERR_*. */
int64_t proc_fork(struct proc *p, uint64_t pc, uint64_t sp, uint64_t a0);

/* check.c: the sanity checker: every process's VMAs and every frame's
 * reference count. 0, or -ERR_IO after printing what is wrong. */
int64_t pager_check_all(void);

#endif
