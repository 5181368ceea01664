/*
 * 1,000 fork/exit cycles leak nothing: each child writes a page it shares
 * copy-on-write with the parent and exits with i & 0xff, which the parent
 * checks through waitpid; afterwards the pager's free frames and the
 * kernel's free pool pages are exactly where they were after the first
 * (warm-up) cycle.
 */
#include "t.h"
#include "mm.h"

enum { N = 1000 };

int main(void)
{
	volatile char *p;
	struct kernel_info k0 = { 0 }, k1 = { 0 };
	uint64_t f0 = 0;
	int bad_status = 0, bad_wait = 0, bad_fork = 0;

	stack_warm(16);
	p = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		int st = -1;
		pid_t pid = fork();
		if (pid == 0) {
			p[0] = (char)i;		/* a COW copy in the child */
			p[1] = p[0];
			_exit(i & 0xff);
		}
		if (pid < 0) {
			bad_fork++;
			continue;
		}
		/* Each child is reaped with its own status. */
		if (waitpid(pid, &st, 0) != pid)
			bad_wait++;
		else if (!IS_EXIT(st, i & 0xff))
			bad_status++;
		if (i == 0) {
			/* The baseline, after the warm-up cycle. */
			f0 = free_pages();
			CHECK_EQ(sys_kernel_info(&k0), 0);
		}
	}
	CHECK_EQ(bad_fork, 0);
	CHECK_EQ(bad_wait, 0);
	CHECK_EQ(bad_status, 0);
	/* The parent's page never saw the children's writes. */
	CHECK_EQ(p[0], 1);
	CHECK_EQ(p[1], 0);
	/* No frame and no kernel pool page leaked. */
	CHECK_EQ(free_pages(), f0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.kmem_free_pages, k0.kmem_free_pages);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	printf("fork_1000: %d forks, free pages %llu, kernel pool free %llu\n", N,
	       (unsigned long long)f0, (unsigned long long)k0.kmem_free_pages);
	/* Nobody is left to wait for. */
	CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);

	CHECK_EQ(pager_check(), 0);
	return t_done("fork_1000");
}
