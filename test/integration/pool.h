/*
 * Kernel-pool leak checks shared by the tests: after an attack is over,
 * the pool's free pages and the task count come back to their start
 * values (teardown may finish at the next ticks, so it waits a little).
 */
#ifndef TEST_POOL_H
#define TEST_POOL_H

#include "libsys.h"
#include "t.h"

static inline void pool_back(const char *who, const struct kernel_info *k0)
{
	struct kernel_info k;

	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(sys_kernel_info(&k), 0);
		if (k.kmem_free_pages == k0->kmem_free_pages && k.ntasks == k0->ntasks)
			break;
		sys_yield();
	}
	printf("%s: free kernel pages %lu, tasks %lu (were %lu, %lu)\n", who,
	       (unsigned long)k.kmem_free_pages, (unsigned long)k.ntasks,
	       (unsigned long)k0->kmem_free_pages, (unsigned long)k0->ntasks);
	CHECK_EQ(k.kmem_free_pages, k0->kmem_free_pages);
	CHECK_EQ(k.ntasks, k0->ntasks);
}

#endif
