/*
 * Edges of the mmap family found in review:
 *  - the IPC buffer page cannot be unmapped, replaced by MAP_FIXED or
 *    mprotected (EACCES), and MADV_DONTNEED leaves it alone, so a reply
 *    with a payload still arrives whole;
 *  - after a fork of a process with more private objects than fork's
 *    clone table holds, growing a VMA in place (mremap) never shows
 *    another VMA's old data: the grown part reads zero.
 */
#include <string.h>
#include "t.h"
#include "mm.h"

enum { OBJS = 80 };

int main(void)
{
	uint64_t ipc = PROC_IPCBUF_VA;
	struct pager_vma_info v[4];
	uint64_t next;
	int st;

	/* The IPC buffer stays mapped as it is. */
	CHECK_ERR(munmap((void *)ipc, PS), EACCES);
	CHECK(mmap((void *)ipc, PS, RW, ANON_PRIV | MAP_FIXED, -1, 0) == MAP_FAILED && errno == EACCES);
	CHECK_ERR(mprotect((void *)ipc, PS, PROT_READ), EACCES);
	CHECK_EQ(madvise((void *)ipc, PS, MADV_DONTNEED), 0);
	CHECK_EQ(vma_list(0, 0, v, 4, &next), 4);	/* a payload reply arrives */
	CHECK(v[0].start >= PROC_TEXT_MIN && v[0].end > v[0].start);

	/* Many private objects below (fork visits VMAs in address order, so
	 * they fill its clone table first), then one region split in two. */
	for (int i = 0; i < OBJS; i++) {
		char *q = mmap((void *)(0x100000000ul + (uint64_t)i * 2 * PS), PS, RW,
			       ANON_PRIV | MAP_FIXED, -1, 0);
		CHECK(q != MAP_FAILED);
		q[0] = 1;
	}
	char *r = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(r != MAP_FAILED);
	memset(r, 0x5a, 4 * PS);
	CHECK_EQ(mprotect(r + 2 * PS, 2 * PS, PROT_READ), 0);	/* two VMAs, one object */
	pid_t pid = fork();
	if (pid == 0) {
		/* Drop the second half, grow the first back over it. */
		if (munmap(r + 2 * PS, 2 * PS) != 0)
			_exit(1);
		if (mremap(r, 2 * PS, 4 * PS, 0) != r)
			_exit(2);
		for (int i = 2 * PS; i < 4 * (int)PS; i++)
			if (r[i] != 0)
				_exit(3);	/* the old 0x5a showed through */
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(r[3 * PS], 0x5a);	/* ours untouched */
	CHECK_EQ(pager_check(), 0);
	return t_done("mm_edges");
}
