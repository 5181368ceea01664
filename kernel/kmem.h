/*
 * Kernel memory: a pool of pages reserved at boot for kernel objects and
 * page tables (never for user pages: those belong to the pager), and a
 * small size-class allocator on top of it.
 */
#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include <stddef.h>
#include <stdint.h>

/* Give [pa, pa + npages pages) to the pool. */
void kmem_add(uint64_t pa, uint64_t npages);
/* A zeroed page (kernel virtual address), or NULL when the pool is empty. */
void *kpage_alloc(void);
void kpage_free(void *page);
/* A zeroed object of `size` bytes (<= 4096), 64-byte aligned, or NULL. */
void *kobj_alloc(size_t size);
void kobj_free(void *p, size_t size);
/* Free memory in pages: free pool pages plus free carved objects. */
uint64_t kmem_free_pages(void);
uint64_t kmem_total_pages(void);

#endif
