/*
 * Issue 7, item 3: one process within its limits must not starve the
 * others. Each part is an attack from an ordinary child:
 *  - pager heap: a child maps one-page mappings until refused (the VMA
 *    cap, ENOMEM); meanwhile init still maps, forks and spawns. (With a
 *    fixed heap of RAM/64, 14,446 mappings made all of those fail.) A
 *    parent can set a lower VMA cap for its child; a child cannot raise
 *    a limit above its own.
 *  - frames: two children hold 49% and 45% of the free frames (the bigger
 *    one with its pages PROT_NONE, out of its page tables); init then
 *    touches more. The bigger child is ended (SIGKILL, reported), the
 *    smaller one finishes intact, init survives. (Before, whoever faulted
 *    next died: init.)
 *  - process table: a child forks zombies until refused (its NPROC limit)
 *    and its children do the same: the whole tree stays under its limit
 *    (descendants count, not only children); init's spawn and fork still
 *    work.
 *  - a parent's resident and address-space limits hold its child.
 */
#include "t.h"
#include "mm.h"

static volatile char *shared;	/* [0] release, [1..] ready flags */

static void wait_flag(int i)
{
	for (long n = 0; !shared[i] && n < 20000000; n++)
		sys_yield();
}

/* Map one-page mappings until refused; the count in exit status / 1024
 * is too coarse, so it goes to shared memory at *out. */
static pid_t vma_hog(int flag, uint64_t *out)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid)
		return pid;
	uint64_t n = 0;
	while (mmap(NULL, PS, (n & 1) ? PROT_READ : RW, ANON_PRIV, -1, 0) != MAP_FAILED)
		n++;
	*out = n;
	int e = errno;
	shared[flag] = 1;
	wait_flag(0);
	_exit(e == ENOMEM ? 0 : 3);
}

static void heap_part(void)
{
	uint64_t *counts = (uint64_t *)(shared + 512);
	int st;

	shared[0] = shared[1] = 0;
	pid_t a = vma_hog(1, &counts[0]);
	CHECK(a > 0);
	wait_flag(1);
	printf("starve: a child made %llu mappings\n", (unsigned long long)counts[0]);
	CHECK(counts[0] > 60000);	/* the cap (65,530 VMAs), not the heap */
	/* Everyone else still works. */
	volatile char *m = mmap(NULL, 16 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		m[15 * PS] = 1;
		CHECK_EQ(munmap((void *)m, 16 * PS), 0);
	}
	pid_t k = fork();
	if (k == 0)
		_exit(5);
	CHECK(k > 0);
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_EXIT(st, 5));
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0);
	CHECK(sp > 0);
	CHECK_EQ(waitpid((pid_t)sp, &st, 0), sp);
	CHECK(IS_EXIT(st, 7));
	CHECK_EQ(pager_check(), 0);
	shared[0] = 1;
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(IS_EXIT(st, 0));

	/* A parent lowers its child's VMA cap; the child cannot raise it. */
	shared[0] = shared[2] = 0;
	pid_t b = vma_hog(2, &counts[1]);
	CHECK(b > 0);
	CHECK_EQ(pager_setrlimit(b, PRLIMIT_VMAS, 1000), 0);
	wait_flag(2);
	CHECK(counts[1] < 1000);
	CHECK_EQ(pager_getrlimit(b, PRLIMIT_VMAS), 1000);
	shared[0] = 1;
	CHECK_EQ(waitpid(b, &st, 0), b);
	CHECK(IS_EXIT(st, 0));
	k = fork();
	if (k == 0) {
		pager_setrlimit(0, PRLIMIT_NPROC, 10);
		_exit(pager_setrlimit(0, PRLIMIT_NPROC, 11) == -ERR_PERM &&
		      pager_setrlimit(1, PRLIMIT_NPROC, 1) == -ERR_PERM ? 0 : 4);
	}
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_EXIT(st, 0));
}

/* Fork a child that writes n pages, raises flag and waits for release.
 * With hide, it takes its pages out of its page tables meanwhile
 * (PROT_NONE): they are still its resident memory. */
static pid_t frame_hog(uint64_t n, int flag, int hide)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid)
		return pid;
	volatile char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);
	if (m == MAP_FAILED)
		_exit(3);
	for (uint64_t i = 0; i < n; i++)
		m[i * PS] = (char)(i + 1);
	if (hide && mprotect((void *)m, n * PS, PROT_NONE) < 0)
		_exit(5);
	shared[flag] = 1;
	wait_flag(0);
	if (hide && mprotect((void *)m, n * PS, PROT_READ) < 0)
		_exit(5);
	for (uint64_t i = 0; i < n; i++)
		if (m[i * PS] != (char)(i + 1))
			_exit(4);
	_exit(0);
}

static void frames_part(void)
{
	uint64_t f = free_pages();
	int st;

	shared[0] = shared[3] = shared[4] = 0;
	pid_t big = frame_hog(f * 49 / 100, 3, 1);
	wait_flag(3);
	pid_t small = frame_hog(f * 45 / 100, 4, 0);
	wait_flag(4);
	CHECK(big > 0 && small > 0 && shared[3] && shared[4]);
	/* Init now touches 10%: frames run out while init faults. */
	uint64_t n = f / 10;
	volatile char *m = mmap(NULL, n * PS, RW, ANON_PRIV, -1, 0);
	CHECK(m != MAP_FAILED);
	for (uint64_t i = 0; i < n; i++)
		m[i * PS] = 1;
	CHECK_EQ(waitpid(big, &st, 0), big);	/* ended by the pager */
	CHECK(IS_KILL(st));
	shared[0] = 1;
	CHECK_EQ(waitpid(small, &st, 0), small);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(munmap((void *)m, n * PS), 0);
	CHECK_EQ(free_pages(), f);
	CHECK_EQ(pager_check(), 0);
}

/* Fork children that exit at once, never reaped, until refused. Each
 * child is let run to its exit before the next fork (it says so in
 * slot `me` of a shared counter), so only zombies pile up, not live
 * tasks, which would spend the kernel's pool instead. */
static int zombies(int me)
{
	volatile int *exited = (volatile int *)(shared + 2048) + me;
	int n = 0;

	for (;;) {
		pid_t z = fork();
		if (z == 0) {
			*exited = *exited + 1;
			_exit(0);
		}
		if (z < 0)
			return errno == EAGAIN ? n : -1;
		n++;
		for (long i = 0; *exited < n && i < 1000000; i++)
			sys_yield();
	}
}

static void procs_part(void)
{
	int *made = (int *)(shared + 1024);
	struct mem_info m0;
	int st;

	CHECK_EQ(mem_info(&m0), 0);
	uint64_t procs0 = m0.nprocs;

	shared[0] = shared[5] = 0;
	fflush(stdout);
	pid_t z = fork();
	if (z == 0) {
		/* 8 children flooding too, then ourselves. */
		for (int i = 0; i < 8; i++) {
			if (fork() == 0) {
				zombies(i);
				wait_flag(0);
				_exit(0);
			}
		}
		made[0] = zombies(8);
		shared[5] = 1;
		wait_flag(0);
		_exit(0);
	}
	CHECK(z > 0);
	wait_flag(5);
	printf("starve: a child made %d children before refusal\n", made[0]);
	CHECK(made[0] > 0 && made[0] <= 64);	/* the default NPROC limit */
	/* Its 8 children flooded too: its whole tree stays under its limit. */
	struct mem_info mi;
	CHECK_EQ(mem_info(&mi), 0);
	printf("starve: %lu processes with the flood (limit 64 under the flooder)\n",
	       (unsigned long)mi.nprocs);
	CHECK(mi.nprocs <= procs0 + 1 + 64);
	/* The table is as full as others may make it; init still works. */
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0);
	CHECK(sp > 0);
	CHECK_EQ(waitpid((pid_t)sp, &st, 0), sp);
	CHECK(IS_EXIT(st, 7));
	pid_t k = fork();
	if (k == 0)
		_exit(6);
	CHECK(k > 0);
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_EXIT(st, 6));
	shared[0] = 1;
	CHECK_EQ(waitpid(z, &st, 0), z);
	CHECK(IS_EXIT(st, 0));
	int reaped = 0;
	while (waitpid(-1, &st, 0) > 0)	/* orphans came to init */
		reaped++;
	printf("starve: reaped %d\n", reaped);
	CHECK_EQ(pager_check(), 0);
}

/* The resident limit ends a child that passes it; the address-space
 * limit refuses its mmap. Both set by the parent. */
static void rlimit_part(void)
{
	int st;

	shared[0] = shared[6] = 0;
	fflush(stdout);
	pid_t k = fork();
	if (k == 0) {
		wait_flag(6);
		volatile char *m = mmap(NULL, 2000 * PS, RW, ANON_PRIV, -1, 0);
		if (m == MAP_FAILED)
			_exit(3);
		for (int i = 0; i < 2000; i++)
			m[i * PS] = 1;
		_exit(0);
	}
	CHECK(k > 0);
	CHECK_EQ(pager_setrlimit(k, PRLIMIT_RSS, 300), 0);
	CHECK_EQ(pager_getrlimit(k, PRLIMIT_RSS), 300);
	shared[6] = 1;
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_KILL(st));

	shared[6] = 0;
	k = fork();
	if (k == 0) {
		wait_flag(6);
		pager_set_limit(0);	/* restores only what the parent allowed */
		_exit(mmap(NULL, 2000 * PS, RW, ANON_PRIV, -1, 0) == MAP_FAILED && errno == ENOMEM &&
		      pager_setrlimit(0, PRLIMIT_OOM_PROTECT, 1) == -ERR_PERM ? 0 : 3);
	}
	CHECK(k > 0);
	struct proc_stats ps;
	CHECK_EQ(proc_stats(k, &ps), 0);
	CHECK_EQ(pager_setrlimit(k, PRLIMIT_AS, ps.virtual_pages + 100), 0);
	shared[6] = 1;
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(pager_check(), 0);
}

int main(void)
{
	stack_warm(32);
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(shared != MAP_FAILED);
	heap_part();
	frames_part();
	procs_part();
	rlimit_part();
	return t_done("starve");
}
