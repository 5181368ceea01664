/*
 * Boot: the first program runs, and the memory the pager reports matches
 * the size QEMU was given (argv[1], in MiB).
 */
#include "libsys.h"
#include "t.h"

int main(int argc, char **argv)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };
	struct kernel_info ki;
	uint64_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;

	CHECK_EQ(pager_call(&m), 1);	/* one process: init */
	printf("test_boot: %lu of %lu pages free, RAM %lu MiB expected\n",
	       (unsigned long)m.w[1], (unsigned long)m.w[2], (unsigned long)mib);
	/* The pager gets all but the firmware, kernel, pool and boot image. */
	CHECK(m.w[2] * PAGE_SIZE > mib * (1ul << 20) * 85 / 100);
	CHECK(m.w[2] * PAGE_SIZE < mib * (1ul << 20));
	CHECK(m.w[1] > 0 && m.w[1] <= m.w[2]);
	CHECK_EQ(sys_kernel_info(&ki), 0);
	CHECK(ki.ntasks >= 2 && ki.nthreads >= 2);
	CHECK(ki.kmem_free_pages > 0 && ki.kmem_free_pages < ki.kmem_total_pages);
	return t_done("boot");
}
