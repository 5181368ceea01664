/*
 * Memory objects: what backs a VMA. Each kind of backing (anonymous:
 * mem_anon.c; files and private file mappings: mem_file.c; external
 * pagers later) is one file providing a const ops table,
 * as NetBSD UVM's pager ops and Minix 3 VM's memory types do. Generic code
 * (fault.c, mmap.c, fork.c) only calls through the table and checks
 * optional entries for NULL.
 *
 * Fault lifecycle:
 *   1. fault.c finds the VMA and checks the access against its rights;
 *   2. it fills a fault_req and calls ops->fault;
 *   3. the object returns the frame for the page (allocating, copying or
 *      reading it) and whether it may be mapped writable now;
 *   4. fault.c replies to the kernel with FAULT_REPLY_MAP.
 *
 * Copy-on-write: a private VMA's object is cloned at fork (ops->clone);
 * parent and child objects then share frames until one of them writes, and
 * the writer's object copies the page (one page per write fault).
 */
#ifndef PAGER_MEMOBJ_H
#define PAGER_MEMOBJ_H

#include <stdbool.h>
#include <stdint.h>
#include "pagemap.h"

struct memobj;
struct vma;

struct fault_req {
	uint64_t index;		/* page index within the object */
	uint64_t access;	/* FAULT_READ / FAULT_WRITE / FAULT_EXEC */
	bool private;		/* the VMA is private: copy shared frames on write */
	uint64_t pfn;		/* out: the frame to map */
	bool writable;		/* out: may be mapped with W now */
};

struct memobj_ops {
	const char *kind;	/* for reports: "anon", "file", ... */
	/* Provide the frame for req->index: 0, or -ERR_NOMEM / -ERR_IO. */
	int (*fault)(struct memobj *o, struct fault_req *req);
	/* Drop frames of pages [lo, hi) (munmap, MADV_DONTNEED). Optional. */
	void (*discard)(struct memobj *o, uint64_t lo, uint64_t hi);
	/* A copy-on-write copy for a forked child, or NULL (out of memory).
	 * Optional: objects without it are shared by the child. */
	struct memobj *(*clone)(struct memobj *o);
	/* Pages of [lo, hi) present in memory. Optional (none: 0, and
	 * mremap never grows such an object in place). */
	uint64_t (*resident)(struct memobj *o, uint64_t lo, uint64_t hi);
	/* Last reference gone: free everything. */
	void (*destroy)(struct memobj *o);
	/* Fault-around: how many pages next to index (index + 1 upwards if
	 * dir > 0, index - 1 downwards if dir < 0), at most max, are resident
	 * in the frames that follow (precede) pfn one by one, and may be mapped
	 * with the rights a read of index got (less W in a private VMA).
	 * Allocates, copies and reads nothing. Optional (none: no
	 * fault-around). */
	uint64_t (*resident_run)(struct memobj *o, uint64_t index, uint64_t pfn, int dir, uint64_t max);
	/* VMA v now uses / no longer uses the object (vma_add, vma_remove):
	 * file objects keep their reverse map with these. Optional. */
	void (*link)(struct memobj *o, struct vma *v);
	void (*unlink)(struct memobj *o, struct vma *v);
};

/* ops->fault's results besides 0 and -ERR_NOMEM (file objects): the page
 * is not in memory yet (the fault waits for a fill, backing.c), or lies
 * wholly past the end of the file (SIGBUS). */
#define MEMOBJ_SUSPEND	(-ERR_AGAIN)
#define MEMOBJ_SIGBUS	(-ERR_FAULT)

struct memobj {
	const struct memobj_ops *ops;
	/* VMAs using it: at most MAX_PROCS x the VMA cap (< 2^24), so 32 bits
	 * cannot wrap; check_refs has the same bound. check_mark only has to
	 * differ from the last walk's. */
	uint32_t refs;
	uint32_t check_mark;	/* for the sanity checker's walk */
	uint32_t check_refs;
	struct pagemap pages;	/* resident frames by page index */
};

void memobj_ref(struct memobj *o);
void memobj_unref(struct memobj *o);

/* mem_anon.c */
struct memobj *anon_create(void);
/* Put a frame (already filled) at index: used to preload program images. */
int anon_insert(struct memobj *o, uint64_t index, uint64_t pfn);
/* The shared zero page's frame (one reference, never freed), or
 * PAGEMAP_NONE if no read has needed it yet. */
uint64_t anon_zero_pfn(void);
extern uint64_t anon_zero_frame;	/* the same, for the fault path */
/* mem_anon.c's helpers that other kinds share: copy a page; fault-around
 * runs over a page map's slots (ops->resident_run). */
void page_copy(void *dst, const void *src);
uint64_t pagemap_resident_run(struct memobj *o, uint64_t index, uint64_t pfn, int dir,
			      uint64_t max);

#endif
