/*
 * Backing-store policy "none" (policy.h): no read-around: a fault on a
 * missing file page reads that page alone, whatever the advice. Each
 * page costs a round trip to the file server; nothing is read that is
 * not touched. (Fault-around of pages already resident is the fault
 * policy's business and still happens.)
 */
#include "abi/pager.h"
#include "policy.h"

static uint64_t none_fill_pages(const struct vma *v, uint64_t idx)
{
	(void)v;
	(void)idx;
	return 1;
}

struct backing_policy backing_policy_none = {
	.name = "none",
	.id = PPOLICY_NONE,
	.fill_pages = none_fill_pages,
	.dirty_expire = POLICY_DIRTY_EXPIRE,
	.writeback_batch = POLICY_WRITEBACK_BATCH,
};
