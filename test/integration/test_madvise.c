/*
 * madvise on private anonymous memory: MADV_DONTNEED drops the pages (the
 * resident count falls, the frames are freed) and they read back as zero,
 * the pages around keep their data; MADV_WILLNEED pre-faults a range (the
 * resident count rises by its size without a touch); MADV_NORMAL,
 * MADV_SEQUENTIAL and MADV_RANDOM are accepted; unknown advice is EINVAL
 * and an unmapped range ENOMEM.
 */
#include "t.h"
#include "mm.h"

enum { NP = 8, NW = 6 };

int main(void)
{
	volatile char *p, *w;

	stack_warm(16);
	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	for (int i = 0; i < NP; i++)
		page_fill(p + i * PS, (char)(0x30 + i));
	uint64_t r0 = resident(), d0 = data_pages();

	/* DONTNEED on pages 2..4: three pages fewer resident, three frames freed. */
	CHECK_EQ(madvise((void *)(p + 2 * PS), 3 * PS, MADV_DONTNEED), 0);
	CHECK_EQ(resident(), r0 - 3);
	CHECK_EQ(data_pages(), d0 - 3);
	CHECK_EQ(vma_at((uintptr_t)p).resident, NP - 3);
	CHECK_EQ(vma_at((uintptr_t)p).end, (uintptr_t)p + NP * PS);	/* still mapped */
	/* They read back as zero... */
	for (int i = 2; i < 5; i++)
		CHECK(page_is(p + i * PS, 0));
	/* ... the others keep their contents ... */
	for (int i = 0; i < NP; i++)
		if (i < 2 || i > 4)
			CHECK(page_is(p + i * PS, (char)(0x30 + i)));
	/* ... and the dropped pages are still usable. */
	p[3 * PS] = 9;
	CHECK_EQ(p[3 * PS], 9);

	/* DONTNEED on pages never touched is harmless and keeps them zero. */
	w = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(w != MAP_FAILED);
	CHECK_EQ(madvise((void *)w, 2 * PS, MADV_DONTNEED), 0);
	CHECK(page_is(w, 0));
	CHECK_EQ(munmap((void *)w, 2 * PS), 0);

	/* WILLNEED pre-faults: NW more resident pages, none of them touched. */
	w = mmap(NULL, NW * PS, RW, ANON_PRIV, -1, 0);
	CHECK(w != MAP_FAILED);
	r0 = resident();
	CHECK_EQ(madvise((void *)w, NW * PS, MADV_WILLNEED), 0);
	CHECK_EQ(resident(), r0 + NW);
	CHECK_EQ(vma_at((uintptr_t)w).resident, NW);
	for (int i = 0; i < NW; i++)
		CHECK(page_is(w + i * PS, 0));
	CHECK_EQ(resident(), r0 + NW);
	/* WILLNEED again changes nothing. */
	CHECK_EQ(madvise((void *)w, NW * PS, MADV_WILLNEED), 0);
	CHECK_EQ(resident(), r0 + NW);

	/* NORMAL, SEQUENTIAL and RANDOM are accepted and keep the data. */
	CHECK_EQ(madvise((void *)p, NP * PS, MADV_NORMAL), 0);
	CHECK_EQ(madvise((void *)p, NP * PS, MADV_SEQUENTIAL), 0);
	CHECK_EQ(madvise((void *)p, NP * PS, MADV_RANDOM), 0);
	CHECK(page_is(p + 7 * PS, 0x37));

	/* Unknown advice: EINVAL. */
	CHECK_ERR(madvise((void *)p, PS, 99), EINVAL);
	/* An address not page-aligned: EINVAL. */
	CHECK_ERR(madvise((void *)(p + 1), PS, MADV_DONTNEED), EINVAL);
	CHECK_EQ(p[1], 0x30);
	/* An unmapped range: ENOMEM. */
	CHECK_EQ(munmap((void *)w, NW * PS), 0);
	CHECK_ERR(madvise((void *)w, NW * PS, MADV_WILLNEED), ENOMEM);
	CHECK_ERR(madvise((void *)w, PS, MADV_DONTNEED), ENOMEM);

	CHECK_EQ(munmap((void *)p, NP * PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("madvise");
}
