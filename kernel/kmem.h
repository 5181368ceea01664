/*
 * Kernel memory: a pool of pages reserved at boot (and grown by the
 * pager's donations) for kernel objects and page tables (never for user
 * pages: those belong to the pager), a small size-class allocator on top
 * of it, and the kernel-memory quotas every allocation is charged to.
 */
#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi/kernel.h"

/* Before the first kmem_add: the live-object counts, one byte for each
 * of the npages physical pages from ram_base (every pool page, donated
 * ones too, lies there). */
void kmem_init(void *live_array, uint64_t ram_base, uint64_t npages);
/* Give [pa, pa + npages pages) to the pool. */
void kmem_add(uint64_t pa, uint64_t npages);
/* A zeroed page (kernel virtual address), or NULL when the pool is empty. */
void *kpage_alloc(void);
void kpage_free(void *page);
/* Size classes: class c holds objects of 64 << c bytes (c < 7). */
static inline int kmem_class(size_t size)
{
	/* The smallest c with 64 << c >= size (no clz without Zbb); constant
	 * for a constant size. */
	return (size > 64) + (size > 128) + (size > 256) + (size > 512) + (size > 1024) +
	       (size > 2048) + (size > 4096);	/* 7: too big, caught below */
}
void *kobj_alloc_class(int c);
void kobj_free_class(void *p, int c);
/* A zeroed object of `size` bytes (<= 4096), 64-byte aligned, or NULL. */
static inline void *kobj_alloc(size_t size) { return kobj_alloc_class(kmem_class(size)); }
static inline void kobj_free(void *p, size_t size) { kobj_free_class(p, kmem_class(size)); }
/* Free memory in pages: free pool pages plus free carved objects. */
uint64_t kmem_free_pages(void);
uint64_t kmem_total_pages(void);
/* What an object of `size` bytes costs: its size class (a page: 4096). */
static inline uint64_t kmem_cost(size_t size) { return 64ul << kmem_class(size); }

/*
 * A kernel-memory account (docs/architecture.md, Kernel-memory quotas).
 * Embedded in a task: a task either has an account of its own (its limit
 * carved out of `parent`, the account of the task that set it) or charges
 * the account it was created under. Bytes, in size classes as carved.
 * used <= limit always; an account whose task is gone but for objects
 * still charged to it is an orphan, freed (its carve returned) when used
 * drops to `keep` (its own task struct and handle table).
 */
struct kquota {
	uint64_t used;
	uint64_t limit;
	uint64_t keep;
	struct kquota *parent;	/* NULL: the root (the pager's) */
	bool orphan;
};

/* Charge bytes: 0, or -ERR_NOMEM past the limit (nothing charged). */
static inline int kq_charge(struct kquota *q, uint64_t bytes)
{
	if (__builtin_expect(q->limit - q->used < bytes, 0))
		return -ERR_NOMEM;
	q->used += bytes;
	return 0;
}
void kq_uncharge(struct kquota *q, uint64_t bytes);
/* task.c: free the orphan account q's task struct, returning its carve
 * (and so on up, iteratively, for orphans that thereby empty). */
void task_account_release(struct kquota *q);

/* Allocate and charge q, all or nothing (NULL: over quota or pool empty);
 * free and uncharge. */
static inline void *kobj_alloc_q(struct kquota *q, size_t size)
{
	uint64_t cost = kmem_cost(size);
	void *p;

	if (kq_charge(q, cost) < 0)
		return NULL;
	if (!(p = kobj_alloc(size)))
		q->used -= cost;	/* the pool is empty: nothing taken */
	return p;
}
static inline void kobj_free_q(struct kquota *q, void *p, size_t size)
{
	kobj_free(p, size);
	kq_uncharge(q, kmem_cost(size));
}
void *kpage_alloc_q(struct kquota *q);
void kpage_free_q(struct kquota *q, void *page);

#endif
