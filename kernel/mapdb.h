/*
 * The mapping database: which user mappings were made from which, so that
 * taking a page away (unmap, replace, lower its rights) does the same to
 * every mapping derived from it, transitively. vm.c calls in only for
 * PTEs marked PTE_MDB; see mapdb.c for the model.
 */
#ifndef KERNEL_MAPDB_H
#define KERNEL_MAPDB_H

#include <stdint.h>
#include "vm.h"

/*
 * Map the run [src_va, +npages) of src into dst at dst_va, recording each
 * new mapping as derived from its source page. The caller (vm_map_run)
 * has checked alignment, ranges, rights and that every source page is
 * mapped with them. All or nothing: 0, -ERR_INVAL (within one space: a
 * run overlapping its sources, or a source page that was itself mapped
 * from a page of this space), -ERR_NOMEM.
 */
int mapdb_map(struct aspace *src, uint64_t src_va, struct aspace *dst,
	      uint64_t dst_va, uint64_t rights, uint64_t npages);
/* The page (as, va), marked PTE_MDB, is about to be cleared or replaced
 * by the caller: revoke everything derived from it and drop its record. */
void mapdb_drop(struct aspace *as, uint64_t va);
/* The page (as, va), marked PTE_MDB, lost the PTE rights bits in `removed`
 * (R/W/X): take them from everything derived from it (a derived page left
 * with none is revoked). */
void mapdb_lower(struct aspace *as, uint64_t va, uint64_t removed);
/* Records in the whole system (for tests and reports). */
uint64_t mapdb_count(void);

/* What one mapping record costs its task's account, in bytes. */
uint64_t mapdb_record_cost(void);

#endif
