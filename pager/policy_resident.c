/*
 * Fault-around policy "resident": a read or exec fault maps every resident
 * page of the aligned block of MAP_RUN_MAX pages (2 MiB) around it, as far
 * as the VMA goes. It is aimed at memory that is already there: a forked
 * child reading its parent's pages (what Linux gets by copying page-table
 * entries at fork), a program's preloaded image, later cached file pages.
 * An aligned block (not one centred on the fault) means a scan in either
 * direction faults once per block. The mechanism maps the one run of
 * consecutive frames through the faulting page (FAULT_REPLY_MAP_RUN takes
 * one source run), so its work is proportional to what it maps; frames
 * out of order elsewhere in the block are left to their own faults. It
 * never maps a page that is not resident.
 */
#include "abi/kernel.h"
#include "policy.h"

#define BLOCK ((uint64_t)MAP_RUN_MAX * PAGE_SIZE)

static void resident_window(const struct vma *v, uint64_t page, uint64_t *lo, uint64_t *hi)
{
	(void)v;
	*lo = page & ~(BLOCK - 1);
	*hi = *lo + BLOCK;
}

const struct fault_policy fault_policy_resident = {
	.name = "resident",
	.window = resident_window,
};
