/*
 * The heap break: sbrk(0) reports it, growing gives memory that reads zero
 * and is writable (one VMA of kind heap up to the break), shrinking takes
 * the pages away (a child touching the old top dies with SIGSEGV) and
 * growing again gives zeroed pages; brk() sets it directly; then picolibc's
 * malloc, which runs on sbrk, serves many blocks, and freed blocks are
 * reused without moving the break.
 */
#include "t.h"
#include "mm.h"

int brk(void *addr);

enum { NBLK = 600 };
static char *blk[NBLK];

static size_t blk_size(int i)
{
	return 16 + (size_t)(i * 37) % 3000;
}

int main(void)
{
	char *cur, *b;
	int st;

	stack_warm(16);

	/* sbrk(0) reports the break, in user space above the program. */
	cur = sbrk(0);
	CHECK(cur != (char *)-1);
	CHECK((uintptr_t)cur > PROC_TEXT_MIN);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)cur);

	/* Bring the break to a page boundary (sbrk returns the old break). */
	if ((uintptr_t)cur % PS)
		CHECK_EQ((uintptr_t)sbrk((intptr_t)(PS - (uintptr_t)cur % PS)), (uintptr_t)cur);
	b = sbrk(0);
	CHECK_EQ((uintptr_t)b % PS, 0);

	/* Grow by 4 pages: sbrk returns the old break, sbrk(0) the new one. */
	CHECK_EQ((uintptr_t)sbrk(4 * PS), (uintptr_t)b);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)b + 4 * PS);
	/* The heap VMA reaches the break. */
	struct pager_vma_info v = vma_at((uintptr_t)b + 3 * PS);
	CHECK_EQ(v.kind, PVMA_HEAP);
	CHECK_EQ(v.end, (uintptr_t)b + 4 * PS);
	CHECK_EQ(v.prot, RW);
	/* The new memory reads zero and is writable. */
	for (int i = 0; i < 4; i++) {
		CHECK(page_is(b + i * PS, 0));
		page_fill(b + i * PS, (char)(0x60 + i));
	}
	for (int i = 0; i < 4; i++)
		CHECK(page_is(b + i * PS, (char)(0x60 + i)));

	/* Shrink by 2 pages: the break comes down ... */
	CHECK_EQ((uintptr_t)sbrk(-2 * (intptr_t)PS), (uintptr_t)b + 4 * PS);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)b + 2 * PS);
	CHECK_EQ(vma_at((uintptr_t)b).end, (uintptr_t)b + 2 * PS);
	/* ... the pages below it keep their data ... */
	CHECK(page_is(b + PS, 0x61));
	/* ... and the old top is gone: a child touching it dies with SIGSEGV. */
	st = child_access(b + 2 * PS, ACC_READ);
	CHECK(IS_SEGV(st));
	st = child_access(b + 4 * PS - 1, ACC_WRITE);
	CHECK(IS_SEGV(st));

	/* Growing again gives fresh, zeroed pages where the old data was. */
	CHECK_EQ((uintptr_t)sbrk(2 * PS), (uintptr_t)b + 2 * PS);
	CHECK(page_is(b + 2 * PS, 0));
	CHECK(page_is(b + 3 * PS, 0));

	/* brk() sets the break directly: down to b + PS, then back up. */
	CHECK_EQ(brk(b + PS), 0);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)b + PS);
	CHECK(page_is(b, 0x60));
	st = child_access(b + PS, ACC_READ);
	CHECK(IS_SEGV(st));
	CHECK_EQ(brk(b + 4 * PS), 0);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)b + 4 * PS);
	CHECK(page_is(b + PS, 0));

	/* Back to where we started, so malloc finds the heap as it left it. */
	CHECK_EQ(brk(b), 0);
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)b);

	/* malloc of many blocks of assorted sizes: each is distinct and holds
	 * its own pattern. */
	for (int i = 0; i < NBLK; i++) {
		blk[i] = malloc(blk_size(i));
		CHECK(blk[i] != NULL);
		if (blk[i])
			memset(blk[i], (char)i, blk_size(i));
	}
	CHECK((uintptr_t)sbrk(0) > (uintptr_t)b);	/* the heap grew for them */
	for (int i = 0; i < NBLK; i++) {
		int ok = 1;
		for (size_t k = 0; blk[i] && k < blk_size(i); k++)
			ok &= blk[i][k] == (char)i;
		CHECK(ok);
	}
	/* Free them all and allocate the same sizes again: the break stays put. */
	char *top = sbrk(0);
	for (int i = 0; i < NBLK; i++)
		free(blk[i]);
	for (int i = 0; i < NBLK; i++) {
		blk[i] = malloc(blk_size(i));
		CHECK(blk[i] != NULL);
		if (blk[i])
			memset(blk[i], (char)~i, blk_size(i));
	}
	CHECK_EQ((uintptr_t)sbrk(0), (uintptr_t)top);
	for (int i = 0; i < NBLK; i++) {
		CHECK(blk[i] && blk[i][0] == (char)~i && blk[i][blk_size(i) - 1] == (char)~i);
		free(blk[i]);
	}
	/* One large block (512 KiB) also comes from the heap and is usable. */
	char *big = malloc(512 << 10);
	CHECK(big != NULL);
	if (big) {
		big[0] = 1;
		big[(512 << 10) - 1] = 2;
		CHECK_EQ(vma_at((uintptr_t)big + (256 << 10)).kind, PVMA_HEAP);
		free(big);
	}

	CHECK_EQ(pager_check(), 0);
	return t_done("brk");
}
