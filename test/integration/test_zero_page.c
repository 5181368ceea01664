/*
 * Reads of never-written private anonymous memory map one shared zero page
 * read-only (issue 7.6): 16 pages read cost no frame, and a read-only
 * MAP_POPULATE none either; the first write to a page allocates exactly
 * one frame and leaves the other pages (and everyone else's zero pages)
 * zero. Attacks on the shared page: writing through it after mprotect,
 * from a forked child, and having the kernel deliver an IPC payload into
 * it (as this process's IPC buffer) must all leave it zero. Shared
 * anonymous memory still allocates on a read (mprotect gives its PTEs W).
 */
#include "t.h"
#include "mm.h"

enum { NP = 16 };

static uint64_t sum_pages(const volatile char *p, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		for (unsigned j = 0; j < PS; j += 512)
			s += (unsigned char)p[i * PS + j];
	return s;
}

int main(void)
{
	volatile char *warm, *p, *q, *s, *pop;
	uint64_t f0, r0;

	stack_warm(16);
	warm = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(warm != MAP_FAILED);
	CHECK_EQ(warm[0], 0);

	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	f0 = free_pages();
	r0 = resident();
	CHECK_EQ(sum_pages(p, NP), 0);
	CHECK_EQ(free_pages(), f0);		/* 16 pages read: 0 new frames */
	CHECK_EQ(resident(), r0 + NP);		/* but mapped */
	CHECK_EQ(vma_at((uintptr_t)p).resident, 0);	/* nothing in the object */
	CHECK_EQ(pager_check(), 0);

	/* A read-only populate maps the zero page too. */
	f0 = free_pages();
	pop = mmap(NULL, NP * PS, PROT_READ, ANON_PRIV | MAP_POPULATE, -1, 0);
	CHECK(pop != MAP_FAILED);
	CHECK_EQ(free_pages(), f0);
	CHECK_EQ(sum_pages(pop, NP), 0);

	/* The first write allocates one frame; the page reads back what was
	 * written, its neighbours stay zero. */
	f0 = free_pages();
	p[3 * PS + 512] = 42;
	CHECK_EQ(free_pages(), f0 - 1);
	CHECK_EQ(p[3 * PS + 512], 42);
	CHECK_EQ(sum_pages(p, NP), 42);
	CHECK_EQ(vma_at((uintptr_t)p).resident, 1);

	/* Attack 1: mprotect a zero-mapped page read-only then writable again
	 * and write: a private frame, not the shared page. */
	CHECK_EQ(mprotect((void *)(p + 5 * PS), PS, PROT_READ), 0);
	CHECK_EQ(p[5 * PS], 0);
	CHECK_EQ(mprotect((void *)(p + 5 * PS), PS, RW), 0);
	p[5 * PS] = 7;
	CHECK_EQ(p[5 * PS], 7);

	/* Attack 2: a forked child writes pages it only saw as zero. */
	CHECK(IS_EXIT(child_access(p + 6 * PS, ACC_WRITE), 0));
	CHECK_EQ(p[6 * PS], 0);

	/* Attack 3: make a zero-mapped page our IPC buffer and get a payload
	 * written into it: the kernel must not write there. */
	q = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	CHECK_EQ(q[0], 0);
	CHECK_EQ(sys_ipcbuf_set((uint64_t)(uintptr_t)q), 0);
	{
		/* PAGER_VMA_LIST replies with a buffer payload. */
		struct ipc_msg m = { .info = ipc_info(PAGER_VMA_LIST, 0, 0), .w = { 0, 0 } };
		CHECK(pager_call(&m) > 0);
		CHECK_EQ(ipc_len(m.info), 0);	/* dropped: q is not writable */
	}
	CHECK_EQ(sys_ipcbuf_set(libsys_start_info.ipcbuf), 0);
	CHECK_EQ(sum_pages(q, 1), 0);
	CHECK_EQ(warm[0], 0);
	CHECK_EQ(sum_pages(p, NP), 42 + 7);

	/* Everyone else's zero pages are still zero. */
	CHECK(IS_EXIT(child_access(warm, ACC_READ), 0));
	volatile char *fresh = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(fresh != MAP_FAILED && sum_pages(fresh, NP) == 0);

	/* Shared anonymous memory allocates on a read. */
	s = mmap(NULL, 2 * PS, RW, ANON_SHARED, -1, 0);
	CHECK(s != MAP_FAILED);
	f0 = free_pages();
	CHECK_EQ(s[0], 0);
	CHECK_EQ(free_pages(), f0 - 1);
	CHECK_EQ(mprotect((void *)s, 2 * PS, PROT_READ), 0);
	CHECK_EQ(mprotect((void *)s, 2 * PS, RW), 0);
	s[0] = 1;
	CHECK_EQ(sum_pages(fresh, NP), 0);

	CHECK_EQ(pager_check(), 0);
	return t_done("zero_page");
}
