/*
 * Sv39 address spaces: create, map, unmap, protect, translate, destroy.
 * Only the user half (root entries 0..255) differs between spaces; the
 * kernel half is copied from the boot root table into every root.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;

/* RSW bit: the mapping database (mapdb.c) has a record of this page, as a
 * source of derived mappings, as derived itself, or both. A PTE without it
 * is unmapped, replaced or protected at no extra cost. */
#define PTE_MDB	(1ul << 9)

struct aspace {
	pte_t *root;		/* kernel virtual address of the root table */
	uint64_t pt_pages;	/* page-table pages, root included */
	uint64_t mapped;	/* leaf 4 KiB mappings (a 2 MiB leaf counts 512) */
	uint64_t mdb_nodes;	/* mapping records of pages in this space */
	uint64_t satp;		/* with its ASID, valid in generation asid_gen */
	uint64_t asid_gen;	/* see vm_activate; 0: no ASID yet */
	struct kquota *kq;	/* charged for its page tables and mapping
				 * records (its task's account); set before
				 * vm_create */
	uint32_t destroy_next;	/* vm_destroy_step: the next root entry */
	bool destroy_tables;	/* vm_destroy_step: records done, freeing tables */
};

/* 0, or -ERR_NOMEM. */
int vm_create(struct aspace *as);
/* Free every user page-table page and the root, after removing the
 * space's mapping records (and so revoking what was derived from its
 * pages). Frees no mapped page. */
void vm_destroy(struct aspace *as);
/* The same in bounded pieces (a gigabyte's records, or a few page-table
 * pages, per call), for task teardown: true once it is all done. */
bool vm_destroy_step(struct aspace *as);
/* Map one 4 KiB page; replaces an existing mapping (revoking what was
 * derived from it). 0 or -ERR_NOMEM. */
int vm_map(struct aspace *as, uint64_t va, uint64_t pa, uint64_t pte_flags);
/*
 * Map the page at src_va of `src` into `dst` at dst_va with MAP_* rights:
 * what SYS_MAP and a fault reply do. The source must be a user page with
 * R, and W too if W is asked (X needs only R: a task can grant no more
 * than it can read or write itself). The caller checks that dst is the
 * source's own task or a descendant. Unless src is the pager's (the owner
 * of RAM, the root of all user frames) the new mapping is recorded as
 * derived from the source page (mapdb.c). 0, -ERR_INVAL (alignment, range,
 * rights), -ERR_FAULT (source not mapped), -ERR_ACCES, -ERR_NOMEM.
 */
int vm_map_from(struct aspace *src, uint64_t src_va, struct aspace *dst,
		uint64_t dst_va, uint64_t rights);
/*
 * The same for a run of npages (1..MAP_RUN_MAX) consecutive pages, one set
 * of rights: SYS_MAP_RUN and FAULT_REPLY_MAP_RUN. All or nothing: every
 * source page is checked before anything changes, and memory (page tables,
 * mapping records) is taken before the first page is mapped. Within one
 * space a run may not overlap its sources, nor use as a source a page
 * mapped from another page of that space (-ERR_INVAL).
 */
int vm_map_run(struct aspace *src, uint64_t src_va, struct aspace *dst,
	       uint64_t dst_va, uint64_t rights, uint64_t npages);
/* The 4 KiB leaf PTE slot for va (NULL if a table is missing or a larger
 * leaf covers va). For mapdb.c. */
pte_t *vm_pte(struct aspace *as, uint64_t va);
/* Make sure the leaf tables for [va, va + npages pages) exist: 0 or
 * -ERR_NOMEM (tables made so far stay, empty). */
int vm_prepare(struct aspace *as, uint64_t va, uint64_t npages);
/* Turn the 2 MiB leaf covering va (if any) into a table of 512 4 KiB
 * leaves, so a page of it can be unmapped: 0 or -ERR_NOMEM. */
int vm_split_mega(struct aspace *as, uint64_t va);
/* Map one 2 MiB page (boot only: the pager's RAM window). */
int vm_map_mega(struct aspace *as, uint64_t va, uint64_t pa, uint64_t pte_flags);
/* Remove 4 KiB mappings in [va, va + n pages), and everything derived from
 * them. Returns how many were present (in this space). */
uint64_t vm_unmap(struct aspace *as, uint64_t va, uint64_t npages);
/* Set the R/W/X bits of present 4 KiB mappings in the range (W only where
 * the page's source had W); R/W/X all clear unmaps. Rights taken from a
 * page are taken from everything derived from it. Returns how many were
 * changed. */
uint64_t vm_protect(struct aspace *as, uint64_t va, uint64_t npages, uint64_t pte_rwx);
/* Translate a user address: true and *pa, *pte_flags if mapped. */
bool vm_lookup(struct aspace *as, uint64_t va, uint64_t *pa, uint64_t *pte_flags);
/* Make `as` the current translation. With ASIDs the TLB keeps other
 * spaces' entries (flushed only when ASIDs run out); without, it is
 * flushed. */
void vm_activate(struct aspace *as);
void vm_activate_kernel(void);

/* Copy between kernel memory and a user range that must be mapped with
 * U and R (from) or U and W (to). 0 or -ERR_FAULT. */
int copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n);
int copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n);

/* MAP_R/W/X -> PTE bits for a user leaf (U, A, and D when writable). */
uint64_t vm_user_flags(uint64_t map_rights);

#endif
