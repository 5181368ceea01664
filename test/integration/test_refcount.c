/*
 * Issue 7, item 1: reference counts must not wrap. The attack: 64 small
 * mappings (which filled fork's old fixed clone table), then one object
 * split into as many pieces as the pager allows, then fork and the child's
 * exit. With 16-bit frame counts and a clone per piece, the parent's page
 * map root was freed while in use and the pager died. Now the split stops
 * at the VMA cap with ENOMEM, the pieces share one clone in the child
 * (and merge there again when made alike), and everything still checks.
 */
#include "t.h"
#include "mm.h"

enum { NSMALL = 64, BIG_PAGES = 2 * 32800 };

int main(void)
{
	volatile char *small[NSMALL], *big;
	uint64_t pieces = 1;
	int st;

	for (int i = 0; i < NSMALL; i++) {
		small[i] = mmap(NULL, PS, RW, ANON_PRIV, -1, 0);
		CHECK(small[i] != MAP_FAILED);
		small[i][0] = (char)i;
	}
	big = mmap(NULL, (uint64_t)BIG_PAGES * PS, RW, ANON_PRIV, -1, 0);
	CHECK(big != MAP_FAILED);
	big[0] = 0x5a;
	/* Every other page read-only: one object, ever more pieces. */
	int r = 0;
	for (uint64_t i = 1; i < BIG_PAGES; i += 2) {
		errno = 0;
		r = mprotect((void *)(big + i * PS), PS, PROT_READ);
		if (r < 0)
			break;
		pieces += 2;
	}
	printf("refcount: split into %llu pieces, then %d (errno %d)\n",
	       (unsigned long long)pieces, r, errno);
	/* The VMA cap (65,530, as Linux's max_map_count) ends the split. */
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(pager_check(), 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child writes the first page (its copy); its pieces share
		 * one clone, so made alike again they merge into one VMA
		 * (past 64 objects each piece used to get a clone of its own). */
		big[0] = 0x33;
		if (big[0] != 0x33)
			_exit(2);
		if (mprotect((void *)big, (uint64_t)BIG_PAGES * PS, RW) != 0)
			_exit(3);
		struct pager_vma_info v = vma_at((uintptr_t)big);
		_exit(v.start == (uintptr_t)big && v.end == (uintptr_t)big + (uint64_t)BIG_PAGES * PS ?
		      0 : 4);
	}
	if (pid < 0) {
		/* The pager's heap may not hold a second copy of every VMA;
		 * a refusal is fine, a crash is not. */
		CHECK_EQ(errno, ENOMEM);
	} else {
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(IS_EXIT(st, 0));
	}
	CHECK_EQ(big[0], 0x5a);
	for (int i = 0; i < NSMALL; i++)
		CHECK_EQ(small[i][0], (char)i);
	CHECK_EQ(pager_check(), 0);
	/* And everything goes away cleanly. */
	CHECK_EQ(munmap((void *)big, (uint64_t)BIG_PAGES * PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("refcount");
}
