/*
 * Fault forwarding. Demand-zero: heap and stack pages read as zero, cost
 * nothing until touched, and each first touch adds exactly one resident
 * page. Bad accesses (null read and write, write to text, kernel address,
 * illegal instruction, stack overflow) end only the child that made them,
 * with SIGSEGV as its parent's waitpid sees it.
 */
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

static uint64_t resident(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_PROC_STATS, 0, 0) };

	return pager_call(&m) == 0 ? m.w[2] : 0;
}

static int deep(int n)
{
	volatile char buf[1024];

	memset((char *)buf, n, sizeof(buf));
	return n ? deep(n - 1) + buf[5] : buf[0];
}

enum { NPAGES = 64 };
static char bss[NPAGES + 1][PAGE_SIZE];	/* demand-zero: nothing until touched */

int main(void)
{
	char *p = (char *)(((uintptr_t)bss + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	char *h = malloc(3 * PAGE_SIZE);
	int status;

	CHECK(h != NULL);
	for (int i = 0; i < 3 * (int)PAGE_SIZE; i++)	/* heap reads as zero too */
		CHECK_EQ(h[i], 0);
	uint64_t before = resident();
	for (int i = 0; i < NPAGES; i++) {
		CHECK_EQ(p[i * PAGE_SIZE + 100], 0);	/* read fault: zero */
		p[i * PAGE_SIZE + 100] = (char)i;	/* then written */
	}
	CHECK_EQ(resident() - before, NPAGES);
	for (int i = 0; i < NPAGES; i++)
		CHECK_EQ(p[i * PAGE_SIZE + 100], (char)i);
	/* 64 KiB of stack below us, demand-zero too. */
	CHECK_EQ(deep(64), 64 * 65 / 2);

	static const char *const bad[] = {
		"null-read", "null-write", "text-write", "kernel-read", "illegal",
		"stack-overflow",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { "test_child", bad[i], NULL };
		int64_t pid = spawn(argv, 0);
		CHECK(pid > 0);
		CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == 11);
		printf("test_fault: %s -> signal %d\n", bad[i], WTERMSIG(status));
	}
	/* We are untouched. */
	for (int i = 0; i < NPAGES; i++)
		CHECK_EQ(p[i * PAGE_SIZE + 100], (char)i);
	return t_done("fault");
}
