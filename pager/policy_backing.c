/*
 * Backing-store policy "default" (policy.h): a fault on a missing file
 * page reads it and up to BACKING_FILL_MAX - 1 pages after it (read-around,
 * Linux's readahead idea at a fixed size: a sequential scan then faults
 * once per BACKING_FILL_MAX pages), one page under madvise(MADV_RANDOM).
 * Dirty pages are written back in the background once dirty for 5 s of
 * rdtime at QEMU virt's 10 MHz (Linux's dirty_expire_centisecs is 30 s;
 * ours is shorter because nothing else flushes), 256 pages a pass at most.
 */
#include "abi/pager.h"
#include "policy.h"

static uint64_t default_fill_pages(const struct vma *v, uint64_t idx)
{
	(void)idx;
	return v->advice == PADV_RANDOM ? 1 : BACKING_FILL_MAX;
}

struct backing_policy backing_policy_default = {
	.name = "default",
	.fill_pages = default_fill_pages,
	.dirty_expire = 5 * 10000000ul,
	.writeback_batch = 256,
};

struct backing_policy *backing_policy = &backing_policy_default;
