/*
 * mlock, munlock, mlockall, munlockall and posix_madvise (<sys/mman.h>).
 * The pager never pages memory out, so a resident page stays resident:
 * locking is faulting the range in (as Linux's mlock does) and checking
 * the arguments; unlocking only checks them. posix_madvise's DONTNEED is
 * advice that must not change what memory holds, unlike madvise's, so it
 * is accepted and ignored (as glibc does).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include "libsys.h"

/* Page-aligned start, and a length that does not wrap: else EINVAL
 * (POSIX lets mlock ask for alignment). */
static int range_ok(const void *addr, size_t len)
{
	uint64_t a = (uint64_t)addr;

	return !(a & (PAGE_SIZE - 1)) && len <= USER_TOP && a <= USER_TOP - len;
}

/* Whether [addr, addr + len) is all mapped (VMAs back to back). */
static int range_mapped(const void *addr, size_t len)
{
	uint64_t at = (uint64_t)addr, end = at + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	struct pager_vma_info v[16];

	while (at < end) {
		uint64_t next = 0;
		int64_t n = vma_list(0, at, v, 16, &next);
		if (n <= 0)
			return 0;
		for (int64_t i = 0; i < n && at < end; i++) {
			if (v[i].start > at)
				return 0;	/* a hole */
			at = v[i].end;
		}
	}
	return 1;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

int mlock(const void *addr, size_t len)
{
	if (!range_ok(addr, len))
		return fail(EINVAL);
	if (len == 0)
		return 0;
	if (!range_mapped(addr, len))
		return fail(ENOMEM);
	/* Fault it in now; the pager keeps what is resident. */
	return madvise((void *)addr, len, MADV_WILLNEED);
}

int munlock(const void *addr, size_t len)
{
	if (!range_ok(addr, len))
		return fail(EINVAL);
	if (len && !range_mapped(addr, len))
		return fail(ENOMEM);
	return 0;
}

int mlockall(int flags)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return fail(EINVAL);
	return 0;	/* nothing is ever paged out */
}

int munlockall(void)
{
	return 0;
}

int posix_madvise(void *addr, size_t len, int advice)
{
	if (!range_ok(addr, len))
		return EINVAL;
	if (advice < POSIX_MADV_NORMAL || advice > POSIX_MADV_DONTNEED)
		return EINVAL;
	if (len && !range_mapped(addr, len))
		return ENOMEM;
	if (advice == POSIX_MADV_DONTNEED || len == 0)
		return 0;
	return madvise(addr, len, advice) < 0 ? errno : 0;
}
