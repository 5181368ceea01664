/*
 * fork of small private objects (pager/fork.c child_copy): a private
 * writable mapping holding at most a few pages is copied for the child
 * at fork, not shared copy-on-write. What must hold:
 *  - each side sees the data from before fork and only its own writes
 *    after it, for anonymous memory and for a private file-backed page
 *    (the program's own data segment);
 *  - the parent's write after fork takes no fault (its page stayed
 *    writable) when the object was copied;
 *  - a bigger object is still shared: the parent's write faults;
 *  - when the child is gone its copies are freed;
 *  - a page the child never touched but wrote before (stack growth) and
 *    an object split into two VMAs are still right (shared, not copied).
 */
#include "t.h"
#include "mm.h"

static char data_page[64] = "data before fork";	/* in the program's data segment */

static uint64_t faults(void)
{
	struct mem_info mi = { 0 };

	return mem_info(&mi) == 0 ? mi.page_faults : ~0ull;
}

/* 0 if the child's view is right, else a code saying what was not. */
static int child(volatile char *small, volatile char *big, volatile char *split)
{
	if (small[0] != 's' || small[PS] != 't' || big[3 * PS] != 'b' || split[PS] != 'q')
		return 2;
	if (strcmp(data_page, "data before fork"))
		return 3;
	small[0] = 'C';
	big[0] = 'C';
	split[0] = 'C';
	data_page[0] = 'C';
	sys_yield();	/* the parent writes its own meanwhile */
	sys_yield();
	if (small[0] != 'C' || big[0] != 'C' || split[0] != 'C' || data_page[0] != 'C')
		return 4;
	return 0;
}

int main(void)
{
	volatile char *small, *big, *split;
	uint64_t d_before, f0, f1;
	int st;
	pid_t pid;

	small = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
	big = mmap(NULL, 8 * PS, RW, ANON_PRIV, -1, 0);
	split = mmap(NULL, 3 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(small != MAP_FAILED && big != MAP_FAILED && split != MAP_FAILED);
	small[0] = 's';
	small[PS] = 't';
	for (int i = 0; i < 8; i++)
		big[i * PS] = 'b';
	for (int i = 0; i < 3; i++)
		split[i * PS] = 'q';
	/* Two VMAs over one object: each alone would be small. */
	CHECK_EQ(mprotect((void *)(split + 2 * PS), PS, PROT_READ), 0);
	data_page[20] = 'x';	/* our data page is resident and private */

	fflush(stdout);
	d_before = data_pages();
	pid = fork();
	if (pid == 0)
		_exit(child(small, big, split));
	CHECK(pid > 0);
	small[0] = 'P';		/* while the child writes its own */
	big[0] = 'P';
	split[0] = 'P';
	data_page[0] = 'P';
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	/* Faults counted with the child gone (the count is the system's):
	 * the small object was copied at fork and stays writable here; a
	 * page of the big one is still write-protected from the fork. */
	(void)faults();		/* its stack and IPC buffer are warm now */
	f0 = faults();
	small[PS] = 'P';
	f1 = faults();
	CHECK_EQ(f1 - f0, 0);
	f0 = faults();
	big[3 * PS] = 'P';
	f1 = faults();
	CHECK_EQ(f1 - f0, 1);
	CHECK_EQ(small[0], 'P');
	CHECK_EQ(small[PS], 'P');
	CHECK_EQ(big[0], 'P');
	CHECK_EQ(split[0], 'P');
	CHECK_EQ(data_page[0], 'P');
	CHECK_EQ(data_page[20], 'x');
	/* The child's copies are freed with it. */
	CHECK_EQ(data_pages(), d_before);

	/* The copy holds what was written before fork, even on pages the
	 * parent rewrites at once. */
	small[0] = 'A';
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(small[0] == 'A' && small[PS] == 'P' ? 0 : 5);
	small[0] = 'B';
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(small[0], 'B');
	return t_done("fork_small");
}
