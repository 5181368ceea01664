/*
 * fork and copy-on-write: after fork, parent and child each write their
 * own value to the same private page and each sees only its own; a
 * MAP_SHARED page is shared both ways (the child's write is seen by the
 * parent after waitpid, the parent's write is seen by the running child);
 * a COW fault copies exactly one data page; the child has its own pid; the
 * child's exit status reaches waitpid; when the child is gone the frames
 * its copies held are free again; a child's munmap, mprotect and
 * MADV_DONTNEED leave the parent's pages alone; a grandchild shares the
 * MAP_SHARED page with both generations above it.
 */
#include "t.h"
#include "mm.h"

enum { NP = 4 };

int main(void)
{
	volatile char *p, *s;
	int st;
	pid_t me = getpid(), pid;

	stack_warm(32);
	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	s = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(p != MAP_FAILED && s != MAP_FAILED);
	CHECK_EQ(vma_at((uintptr_t)s).kind, PVMA_SHARED);
	for (int i = 0; i < NP; i++)
		page_fill(p + i * PS, 'a' + i);
	s[0] = 0;
	s[1] = 0;

	/* Private page: each side writes its own value and sees only that. The
	 * child exits 0 if everything it sees is right, else a code saying what. */
	fflush(stdout);
	uint64_t d_before = data_pages();
	pid = fork();
	if (pid == 0) {
		if (getpid() == me || getpid() <= 0)
			_exit(1);
		if (!page_is(p + PS, 'b'))	/* the data from before fork */
			_exit(2);
		p[0] = 'C';
		sys_yield();			/* let the parent write too */
		if (p[0] != 'C' || !page_is(p + 2 * PS, 'c'))
			_exit(3);
		_exit(42);
	}
	CHECK(pid > 0);
	CHECK(pid != me);
	p[0] = 'P';
	sys_yield();
	CHECK_EQ(p[0], 'P');
	/* The child's exit status is seen by waitpid. */
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 42));
	/* After the child is gone the parent still sees only its own write. */
	CHECK_EQ(p[0], 'P');
	CHECK(page_is(p + PS, 'b'));
	/* The child's copies are freed: no more data frames than before fork. */
	CHECK_EQ(data_pages(), d_before);

	/* Shared page: the child's write is seen by the parent after waitpid,
	 * and the parent's write (made after fork) is seen by the child. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (long i = 0; s[1] != 'p' && i < 100000; i++)
			sys_yield();
		s[0] = 'c';
		_exit(s[1] == 'p' ? 0 : 4);
	}
	CHECK(pid > 0);
	s[1] = 'p';
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(s[0], 'c');
	CHECK_EQ(s[1], 'p');
	CHECK_EQ(vma_at((uintptr_t)s).kind, PVMA_SHARED);

	/* A COW fault copies exactly one data page. The child writes page 2
	 * first (a warm-up: any page-map copying happens there), then page 3,
	 * and exits with how many data frames that second write took. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint64_t d0 = data_pages(), d1;	/* warms the stack we use */
		p[2 * PS] = 'x';
		d0 = data_pages();
		p[3 * PS] = 'y';
		d1 = data_pages();
		if (p[2 * PS + 1] != 'c' || p[3 * PS + 1] != 'd')
			_exit(100);
		_exit((int)(d1 - d0 + 10) & 0xff);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 11);		/* 10 + exactly one frame */
	CHECK_EQ(p[2 * PS], 'c');
	CHECK_EQ(p[3 * PS], 'd');

	/* The same measured in the parent while a child still shares the pages:
	 * the child waits on the shared page until the parent is done. */
	s[2] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (long i = 0; s[2] != 1 && i < 1000000; i++)
			sys_yield();
		_exit(p[PS] == 'b' && p[0] == 'P' ? 0 : 5);
	}
	CHECK(pid > 0);
	for (int i = 0; i < 4; i++)	/* let the child make its stack copies */
		sys_yield();
	uint64_t d0 = data_pages();
	p[0] = 'Q';				/* warm-up COW */
	d0 = data_pages();
	p[PS] = 'R';
	uint64_t d1 = data_pages();
	s[2] = 1;
	CHECK_EQ(d1 - d0, 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));		/* the child saw the old values */
	CHECK_EQ(p[PS], 'R');

	/* The child's munmap, mprotect and MADV_DONTNEED on pages it shares
	 * copy-on-write are its own: the parent's pages keep data and rights. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (munmap((void *)p, PS) || mprotect((void *)(p + PS), PS, PROT_READ) ||
		    madvise((void *)(p + 2 * PS), PS, MADV_DONTNEED))
			_exit(6);
		_exit(page_is(p + 2 * PS, 0) && p[PS] == 'R' ? 0 : 7);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(p[0], 'Q');
	CHECK_EQ(p[PS], 'R');
	CHECK_EQ(p[2 * PS], 'c');
	p[PS + 1] = 'S';			/* still writable here */
	CHECK_EQ(vma_at((uintptr_t)p).prot, RW);
	CHECK_EQ(vma_at((uintptr_t)p).end, (uintptr_t)p + NP * PS);

	/* A grandchild: the shared page is shared by all three, its private
	 * writes are its own, and the child reaps it with its status. */
	s[3] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			p[3 * PS] = 'g';
			s[3] = 'g';
			_exit(p[3 * PS] == 'g' ? 9 : 8);
		}
		int gst = -1;
		if (g <= 0 || waitpid(g, &gst, 0) != g || !IS_EXIT(gst, 9))
			_exit(10);
		_exit(s[3] == 'g' && p[3 * PS] == 'd' ? 0 : 11);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(s[3], 'g');
	CHECK_EQ(p[3 * PS], 'd');

	CHECK_EQ(munmap((void *)p, NP * PS), 0);
	CHECK_EQ(munmap((void *)s, PS), 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("fork_cow");
}
