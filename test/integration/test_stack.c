/*
 * The main stack grows on demand: recursion through ~2 MiB of stack works
 * (well past the initial 128 KiB) and the stack VMA grows to cover it; a
 * child recursing past the 8 MiB maximum dies with SIGSEGV. The guard gap:
 * with a page mapped just below the stack's 8 MiB reach, the stack may not
 * grow within PROC_STACK_GUARD (1 MiB) of it, so a child recursing ~7.5 MiB
 * deep dies with SIGSEGV, while the parent (shallower) is fine; with the
 * page unmapped, the same child runs to the end.
 */
#include "t.h"
#include "mm.h"

/* One frame: a page of locals, touched at both ends. */
static int __attribute__((noinline)) recurse(int n)
{
	volatile char buf[4096];

	buf[0] = (char)n;
	buf[4095] = (char)n;
	if (n <= 0)
		return 0;
	return recurse(n - 1) + (buf[4095] == (char)n);
}

/* Recurse about kib KiB deep in a child: its wait status. */
static int child_recurse(int kib)
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(recurse(kib / 4) == kib / 4 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static struct pager_vma_info stack_vma(void)
{
	return vma_at((uintptr_t)__builtin_frame_address(0));
}

int main(void)
{
	volatile char here;
	int st;

	/* The stack VMA holds our frame, ends at PROC_STACK_TOP, starts small. */
	struct pager_vma_info v0 = stack_vma();
	CHECK_EQ(v0.kind, PVMA_STACK);
	CHECK_EQ(v0.end, PROC_STACK_TOP);
	CHECK(v0.start <= (uintptr_t)&here);
	CHECK(PROC_STACK_TOP - v0.start <= 1024 * 1024);
	CHECK(PROC_STACK_TOP - v0.start >= PROC_STACK_INITIAL);

	/* ~2 MiB of recursion works, and the stack VMA grew to cover it. */
	CHECK_EQ(recurse(512), 512);
	struct pager_vma_info v1 = stack_vma();
	CHECK_EQ(v1.kind, PVMA_STACK);
	CHECK_EQ(v1.end, PROC_STACK_TOP);
	CHECK(PROC_STACK_TOP - v1.start >= 2u << 20);
	CHECK(PROC_STACK_TOP - v1.start <= PROC_STACK_MAX);
	CHECK(v1.resident >= 512);

	/* A child recursing past 8 MiB dies with SIGSEGV. */
	st = child_recurse(9 * 1024);
	CHECK(IS_SEGV(st));
	/* A child recursing 7.5 MiB deep, within the maximum, lives (control). */
	st = child_recurse(7 * 1024 + 512);
	CHECK(IS_EXIT(st, 0));
	/* The parent is untouched by either. */
	CHECK_EQ(stack_vma().start, v1.start);

	/* A page mapped 2 pages below the stack's 8 MiB reach: from now on the
	 * stack may grow no lower than 1 MiB above that page's end, that is to
	 * about 7 MiB. */
	uintptr_t g = PROC_STACK_TOP - PROC_STACK_MAX - 2 * PS;
	volatile char *gp = mmap((void *)g, PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	CHECK_EQ((uintptr_t)gp, g);
	gp[0] = 1;
	/* The parent recursing 3 MiB deep (below the guard's reach) is fine. */
	CHECK_EQ(recurse(768), 768);
	CHECK(PROC_STACK_TOP - stack_vma().start >= 3u << 20);
	/* A child recursing 7.5 MiB deep would come within the guard gap: SIGSEGV. */
	st = child_recurse(7 * 1024 + 512);
	CHECK(IS_SEGV(st));
	/* The stack never came within PROC_STACK_GUARD of the page. */
	CHECK(stack_vma().start >= g + PS + PROC_STACK_GUARD);
	CHECK_EQ(gp[0], 1);

	/* With the page gone, the same child runs to the end again. */
	CHECK_EQ(munmap((void *)gp, PS), 0);
	st = child_recurse(7 * 1024 + 512);
	CHECK(IS_EXIT(st, 0));

	CHECK_EQ(pager_check(), 0);
	return t_done("stack");
}
