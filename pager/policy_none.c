/*
 * Fault-around policy "none": map the faulting page only, one fault per
 * page (a mapping read at random, or a pager that wants exact counts).
 */
#include "abi/kernel.h"
#include "policy.h"

static void none_window(const struct vma *v, uint64_t page, uint64_t *lo, uint64_t *hi)
{
	(void)v;
	*lo = page;
	*hi = page + PAGE_SIZE;
}

const struct fault_policy fault_policy_none = {
	.name = "none",
	.window = none_window,
};
