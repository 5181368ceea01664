/*
 * Fault-around and batched populate (issue 8.1, 8.2). After fork, the
 * child's first read of a resident region maps the resident pages around
 * it in the same reply: the rest of the region reads with no more faults
 * (counted by the pager, PAGER_MEMINFO w5). The run stops at the VMA:
 * resident pages of PROT_NONE neighbours on both sides stay unreadable
 * (an attack: a child that could read them after fault-around would see
 * memory its mapping forbids). Untouched pages are neither mapped nor
 * given frames; a write after fault-around still copies, in the child and
 * in the parent. MAP_POPULATE and MADV_WILLNEED map their pages in runs,
 * so touching them afterwards faults no more. Frames freed after a random
 * first-touch order go back sorted: memory touched in order afterwards is
 * again in consecutive frames, so a child reads it with a few faults.
 */
#include "t.h"
#include "mm.h"

enum { NP = 64, HALF = 32, BLOCK = 512 };

static uint64_t faults(void)
{
	struct mem_info mi = { 0 };

	return mem_info(&mi) == 0 ? mi.page_faults : ~0ull;
}

static uint64_t sum_pages(const volatile char *p, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += (unsigned char)p[i * PS];
	return s;
}

/* Fork; the child runs fn(arg) and exits with its failure count. The
 * child's wait status. */
static int in_child(int (*fn)(volatile char *), volatile char *arg)
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static volatile char *r, *q, *part;
static volatile int *flag;	/* shared with the children */

/* One fault maps the whole region, no more than the region, and no frame. */
static int child_reads(volatile char *p)
{
	uint64_t res0 = resident(), f0 = faults(), free0 = free_pages();

	CHECK_EQ(p[0], 1);
	CHECK_EQ(resident(), res0 + NP);	/* the run: all 64 pages, not r or q */
	CHECK_EQ(sum_pages(p, NP), NP * 1 + 63);
	CHECK_EQ(faults(), f0 + 1);		/* only p[0] faulted */
	CHECK_EQ(free_pages(), free0);		/* nothing allocated */

	/* Half-touched region: the 16 written pages come in, the others
	 * stay unmapped and unallocated; reading one maps the zero page. */
	res0 = resident();
	CHECK_EQ(part[0], 2);
	CHECK_EQ(resident(), res0 + 16);
	CHECK_EQ(free_pages(), free0);
	CHECK_EQ(part[40 * PS], 0);
	CHECK_EQ(free_pages(), free0);

	/* A write after fault-around copies: ours changes, the parent's
	 * does not (checked there). */
	p[5 * PS] = 55;
	CHECK_EQ(free_pages(), free0 - 1);
	CHECK_EQ(p[5 * PS], 55);

	/* The parent writes p[9] now: we must keep seeing the old byte. */
	flag[0] = 1;
	while (!flag[1])
		sys_yield();
	CHECK_EQ(p[9 * PS], 1);
	CHECK_EQ(pager_check(), 0);
	return t_failures;
}

enum { BIG = 1024, SEQ = 600 };

/* A forked child's faults to read n pages of p once. */
static int child_read_faults(volatile char *p, int n)
{
	uint64_t f0 = faults();
	uint64_t s = sum_pages(p, n);

	return s == (uint64_t)n ? (int)(faults() - f0) : -1;
}

static int child_reads_then_q(volatile char *p)
{
	(void)p[0];
	(void)q[0];	/* PROT_NONE above p: must end us with SIGSEGV */
	return 0;
}

static int child_reads_then_r(volatile char *p)
{
	(void)p[(NP - 1) * PS];
	(void)r[(HALF - 1) * PS];	/* PROT_NONE below p */
	return 0;
}

int main(void)
{
	volatile char *space, *p, *pop, *wn;
	uint64_t base, f0;
	int st;

	stack_warm(16);
	flag = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(flag != MAP_FAILED);
	flag[0] = flag[1] = 0;

	/* r | p | q inside one 2 MiB block: r and q resident but PROT_NONE. */
	space = mmap(NULL, 2 * BLOCK * PS, RW, ANON_PRIV, -1, 0);
	CHECK(space != MAP_FAILED);
	base = ((uint64_t)(uintptr_t)space + BLOCK * PS - 1) & ~(uint64_t)(BLOCK * PS - 1);
	r = (volatile char *)(uintptr_t)base;
	p = r + HALF * PS;
	q = p + NP * PS;
	CHECK(mprotect((void *)r, HALF * PS, PROT_READ) == 0);	/* split VMAs */
	CHECK(mprotect((void *)q, HALF * PS, PROT_READ) == 0);
	CHECK(mprotect((void *)r, HALF * PS, RW) == 0);
	CHECK(mprotect((void *)q, HALF * PS, RW) == 0);
	for (int i = 0; i < HALF; i++)
		r[i * PS] = q[i * PS] = 3;
	for (int i = 0; i < NP; i++)
		p[i * PS] = 1;
	p[63 * PS] = 64;
	CHECK(mprotect((void *)r, HALF * PS, PROT_NONE) == 0);
	CHECK(mprotect((void *)q, HALF * PS, PROT_NONE) == 0);
	part = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(part != MAP_FAILED);
	for (int i = 0; i < 16; i++)
		part[i * PS] = 2;

	/* The forked child's reads. */
	flag[0] = flag[1] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_reads(p));
	while (!flag[0])
		sys_yield();
	p[9 * PS] = 99;		/* a copy for us; the child keeps 1 */
	flag[1] = 1;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && IS_EXIT(st, 0));
	CHECK_EQ(p[5 * PS], 1);	/* the child's write stayed in the child */
	CHECK_EQ(p[9 * PS], 99);

	/* Bounded by the VMA, on both sides. */
	CHECK(IS_SEGV(in_child(child_reads_then_q, p)));
	CHECK(IS_SEGV(in_child(child_reads_then_r, p)));

	/* MAP_POPULATE: one request maps everything; writes fault no more. */
	pop = mmap(NULL, NP * PS, RW, ANON_PRIV | MAP_POPULATE, -1, 0);
	CHECK(pop != MAP_FAILED);
	f0 = faults();
	for (int i = 0; i < NP; i++)
		pop[i * PS] = 4;
	CHECK_EQ(faults(), f0);
	CHECK_EQ(sum_pages(pop, NP), 4 * NP);

	/* MADV_WILLNEED likewise. */
	wn = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(wn != MAP_FAILED);
	CHECK_EQ(madvise((void *)wn, NP * PS, MADV_WILLNEED), 0);
	f0 = faults();
	for (int i = 0; i < NP; i++)
		wn[i * PS] = 5;
	CHECK_EQ(faults(), f0);
	CHECK_EQ(sum_pages(wn, NP), 5 * NP);

	/* Scramble: first touches in a pseudo-random order, then free. */
	volatile char *big = mmap(NULL, BIG * PS, RW, ANON_PRIV, -1, 0);
	CHECK(big != MAP_FAILED);
	for (uint32_t i = 0, x = 1; i < BIG; i++) {
		x = x * 1103515245u + 12345u;
		big[((x >> 8) % BIG) * PS] = 1;
	}
	for (int i = 0; i < BIG; i++)
		big[i * PS] = 1;
	CHECK_EQ(munmap((void *)big, BIG * PS), 0);
	/* Touched in order now: consecutive frames again, few faults. */
	volatile char *seq = mmap(NULL, SEQ * PS, RW, ANON_PRIV, -1, 0);
	CHECK(seq != MAP_FAILED);
	for (int i = 0; i < SEQ; i++)
		seq[i * PS] = 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int n = child_read_faults(seq, SEQ);
		if (n < 0 || n > 16)
			printf("FAIL: a child took %d faults to read %d pages\n", n, SEQ);
		_exit(n < 0 || n > 16);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && IS_EXIT(st, 0));

	CHECK_EQ(pager_check(), 0);
	return t_done("fault_around");
}
