/*
 * Anonymous mmap: demand-zero (mapping allocates no frame and maps
 * nothing; each page reads zero and its first touch adds exactly one
 * resident page), MAP_POPULATE allocating up front, the protection
 * combinations (R, RW, RX, RWX, NONE, write-only which RISC-V makes RW),
 * address hints (a free hint is honoured, an occupied one moved), MAP_FIXED
 * replacing what was there, MAP_FIXED_NOREPLACE refusing an overlap, and
 * MAP_SHARED|MAP_PRIVATE refused.
 */
#include "t.h"
#include "mm.h"

enum { NP = 16, NPOP = 8 };

int main(void)
{
	struct mem_info m0, m1;
	struct proc_stats s0, s1;
	volatile char *p, *q;
	void *r;
	int st;

	stack_warm(32);

	/* Mapping allocates nothing and maps nothing; it only adds virtual pages. */
	CHECK_EQ(mem_info(&m0), 0);
	CHECK_EQ(proc_stats(0, &s0), 0);
	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK_EQ(mem_info(&m1), 0);
	CHECK_EQ(proc_stats(0, &s1), 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ((uintptr_t)p % PS, 0);
	CHECK((uintptr_t)p + NP * PS <= PROC_MMAP_TOP);
	CHECK_EQ(m1.free_pages, m0.free_pages);
	CHECK_EQ(s1.resident_pages, s0.resident_pages);
	CHECK_EQ(s1.virtual_pages, s0.virtual_pages + NP);
	struct pager_vma_info v = vma_at((uintptr_t)p);
	CHECK_EQ(v.start, (uintptr_t)p);
	CHECK_EQ(v.end, (uintptr_t)p + NP * PS);
	CHECK_EQ(v.prot, RW);
	CHECK_EQ(v.kind, PVMA_ANON);
	CHECK_EQ(v.resident, 0);

	/* Each page reads zero; its first touch adds exactly one resident page,
	 * and writing it after the read adds none. */
	uint64_t d0 = data_pages();
	for (int i = 0; i < NP; i++) {
		uint64_t r0 = resident();
		CHECK(page_is(p + i * PS, 0));
		CHECK_EQ(resident(), r0 + 1);
		p[i * PS + 9] = (char)(i + 1);
		CHECK_EQ(resident(), r0 + 1);
	}
	/* NP written pages hold NP data frames, and the VMA counts them. */
	CHECK_EQ(data_pages(), d0 + NP);
	CHECK_EQ(vma_at((uintptr_t)p).resident, NP);
	for (int i = 0; i < NP; i++)
		CHECK_EQ(p[i * PS + 9], (char)(i + 1));

	/* MAP_POPULATE allocates and maps every page at once; they read zero. */
	d0 = data_pages();
	uint64_t r0 = resident();
	q = mmap(NULL, NPOP * PS, RW, ANON_PRIV | MAP_POPULATE, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(resident(), r0 + NPOP);
	CHECK_EQ(data_pages(), d0 + NPOP);
	CHECK_EQ(vma_at((uintptr_t)q).resident, NPOP);
	for (int i = 0; i < NPOP; i++)
		CHECK(page_is(q + i * PS, 0));
	CHECK_EQ(resident(), r0 + NPOP);	/* reading faulted nothing in */
	CHECK_EQ(munmap((void *)q, NPOP * PS), 0);
	CHECK_EQ(data_pages(), d0);		/* and unmapping freed them */

	/* PROT_READ: reads zero; a write in a child is SIGSEGV. */
	q = mmap(NULL, PS, PROT_READ, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(vma_at((uintptr_t)q).prot, PROT_READ);
	CHECK(page_is(q, 0));
	st = child_access(q, ACC_WRITE);
	CHECK(IS_SEGV(st));
	/* ... and an instruction fetch from it is SIGSEGV too. */
	st = child_access(q, ACC_EXEC);
	CHECK(IS_SEGV(st));
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* PROT_READ|PROT_WRITE: readable, writable, not executable. */
	q = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	q[100] = 42;
	CHECK_EQ(q[100], 42);
	*(volatile uint32_t *)q = RET_INSN;
	st = child_access(q, ACC_EXEC);
	CHECK(IS_SEGV(st));
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* PROT_READ|PROT_EXEC: reads zero, a child's write is SIGSEGV. */
	q = mmap(NULL, PS, PROT_READ | PROT_EXEC, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(vma_at((uintptr_t)q).prot, PROT_READ | PROT_EXEC);
	CHECK(page_is(q, 0));
	st = child_access(q, ACC_WRITE);
	CHECK(IS_SEGV(st));
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* PROT_READ|PROT_WRITE|PROT_EXEC: code written there runs. */
	q = mmap(NULL, PS, RW | PROT_EXEC, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(vma_at((uintptr_t)q).prot, RW | PROT_EXEC);
	*(volatile uint32_t *)q = RET_INSN;
	__asm__ volatile("fence.i" ::: "memory");
	((void (*)(void))(uintptr_t)q)();
	st = child_access(q, ACC_EXEC);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* PROT_WRITE alone: RISC-V has no write-only pages, so it reads and writes. */
	q = mmap(NULL, PS, PROT_WRITE, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK(vma_at((uintptr_t)q).prot & PROT_WRITE);
	q[7] = 7;
	CHECK_EQ(q[7], 7);
	CHECK_EQ(q[8], 0);
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* PROT_NONE: a read in a child is SIGSEGV. */
	q = mmap(NULL, PS, PROT_NONE, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(vma_at((uintptr_t)q).prot, PROT_NONE);
	st = child_access(q, ACC_READ);
	CHECK(IS_SEGV(st));
	CHECK_EQ(munmap((void *)q, PS), 0);

	/* A hint naming a free range is honoured exactly. */
	q = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(munmap((void *)q, 4 * PS), 0);
	r = mmap((void *)q, 4 * PS, RW, ANON_PRIV, -1, 0);
	CHECK_EQ((uintptr_t)r, (uintptr_t)q);
	q[0] = 1;
	CHECK_EQ(munmap((void *)q, 4 * PS), 0);

	/* A hint on an occupied range is moved elsewhere; the old data stays. */
	r = mmap((void *)p, 2 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(r != MAP_FAILED);
	CHECK(r != (void *)p);
	CHECK((uintptr_t)r + 2 * PS <= (uintptr_t)p || (uintptr_t)r >= (uintptr_t)p + NP * PS);
	CHECK(page_is((volatile char *)r, 0));
	for (int i = 0; i < NP; i++)
		CHECK_EQ(p[i * PS + 9], (char)(i + 1));
	CHECK_EQ(munmap(r, 2 * PS), 0);

	/* MAP_FIXED replaces what was there: the new page reads zero, its
	 * neighbours keep their contents. */
	r = mmap((void *)(p + 3 * PS), PS, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	CHECK_EQ((uintptr_t)r, (uintptr_t)(p + 3 * PS));
	CHECK(page_is(p + 3 * PS, 0));
	CHECK_EQ(p[2 * PS + 9], 3);
	CHECK_EQ(p[4 * PS + 9], 5);
	CHECK_EQ(virt_pages(), s1.virtual_pages);	/* replaced, not added */

	/* MAP_FIXED_NOREPLACE over a mapped page fails with EEXIST, changing nothing. */
	CHECK_ERR(mmap((void *)(p + 5 * PS), 2 * PS, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0),
		  EEXIST);
	CHECK_EQ(p[5 * PS + 9], 6);
	CHECK_EQ(p[6 * PS + 9], 7);

	/* MAP_FIXED_NOREPLACE on a free range maps exactly there. */
	CHECK_EQ(munmap((void *)(p + 10 * PS), 2 * PS), 0);
	r = mmap((void *)(p + 10 * PS), 2 * PS, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK_EQ((uintptr_t)r, (uintptr_t)(p + 10 * PS));
	CHECK(page_is(p + 10 * PS, 0));

	/* MAP_SHARED and MAP_PRIVATE together: EINVAL. */
	CHECK_ERR(mmap(NULL, PS, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);

	CHECK_EQ(munmap((void *)p, NP * PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("mmap_anon");
}
