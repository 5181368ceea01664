/*
 * Kernel-memory quotas of processes and the growth of the kernel pool
 * (kquota.c; the policy is in docs/pager.md).
 */
#ifndef PAGER_KQUOTA_H
#define PAGER_KQUOTA_H

#include <stdint.h>

/* Pages of kernel memory an ordinary process (spawned or forked) gets:
 * 64 for its objects, plus the leaf page tables that map every frame, so
 * that any process may touch all of RAM (its RSS limit decides whether it
 * may), as on Linux. */
uint64_t kquota_proc_pages(void);
/* Frames given to the kernel pool so far (they never come back). */
uint64_t kquota_donated(void);

/* At start: donate enough for init and a first few processes. */
void kquota_init(void);
/* Init's quota: 1/32 of the window's frames, at least 512 pages. */
uint64_t kquota_init_pages(void);
/* A forked child's quota: kquota_proc_pages(), or what its parent uses plus a
 * quarter of that if more (its copied page tables must fit), at most the
 * parent's limit. */
uint64_t kquota_fork_pages(uint64_t parent_task);
/* Give the task (a process we just created) a kernel-memory quota of its
 * own of `pages`, donating frames to the pool first if the pool's
 * uncommitted part is short. 0 or -ERR_NOMEM. */
int64_t kquota_give(uint64_t task, uint64_t pages);

/* The checker: count the donated frames' references (one each). */
void kquota_count_refs(uint32_t *counts);

#endif
