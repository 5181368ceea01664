/*
 * Memory exhaustion. The per-process limit: lowered, mmap (and mremap)
 * beyond it is ENOMEM; restored (0), the same mmap works. MAP_POPULATE of
 * more than is free is ENOMEM and leaves nothing mapped or allocated.
 * Children that together touch more memory than there is: at least one is
 * killed with SIGKILL (out of memory), the others finish with their data
 * intact, every frame comes back, and the parent is untouched and can fork
 * a working child afterwards.
 */
#include "t.h"
#include "mm.h"

enum { NKIDS = 4 };

/* Fork a child that maps n pages, writes every page, checks them all and
 * exits 0 (3: mmap failed, 4: data wrong). With hold, it then sets
 * s[slot] = 1 and waits for s[0] before exiting. */
static pid_t hog(uint64_t n, int populate, volatile char *s, int slot)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	volatile char *m = mmap(NULL, n * PS, RW,
				ANON_PRIV | (populate ? MAP_POPULATE : 0), -1, 0);
	if (m == MAP_FAILED)
		_exit(3);
	for (uint64_t i = 0; i < n; i++)
		*(volatile uint64_t *)(m + i * PS + 8 * (i % 500)) = i * 7 + 1;
	for (uint64_t i = 0; i < n; i++)
		if (*(volatile uint64_t *)(m + i * PS + 8 * (i % 500)) != i * 7 + 1)
			_exit(4);
	if (s) {
		s[slot] = 1;
		for (long i = 0; !s[0] && i < 10000000; i++)
			sys_yield();
	}
	_exit(0);
}

int main(void)
{
	volatile char *mine, *s, *q;
	struct mem_info mi;
	int st;

	stack_warm(32);
	mine = mmap(NULL, 4 * PS, RW, ANON_PRIV, -1, 0);
	s = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(mine != MAP_FAILED && s != MAP_FAILED);
	for (int i = 0; i < 4; i++)
		page_fill(mine + i * PS, (char)(0x70 + i));
	s[0] = 0;

	/* A limit of 64 pages above what we map now. */
	uint64_t vp = virt_pages();
	CHECK_EQ(pager_set_limit(vp + 64), 0);
	/* 128 pages: beyond the limit, ENOMEM. */
	CHECK_ERR(mmap(NULL, 128 * PS, RW, ANON_PRIV, -1, 0), ENOMEM);
	/* 32 pages fit. */
	q = mmap(NULL, 32 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	q[0] = 1;
	/* 40 more do not (72 > 64) ... */
	CHECK_ERR(mmap(NULL, 40 * PS, RW, ANON_PRIV, -1, 0), ENOMEM);
	/* ... nor does growing the 32 to 100 by mremap. */
	CHECK_ERR(mremap((void *)q, 32 * PS, 100 * PS, MREMAP_MAYMOVE), ENOMEM);
	CHECK_EQ(q[0], 1);
	CHECK_EQ(virt_pages(), vp + 32);
	CHECK_EQ(munmap((void *)q, 32 * PS), 0);
	/* The limit restored: 128 pages map and work. */
	CHECK_EQ(pager_set_limit(0), 0);
	q = mmap(NULL, 128 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(q != MAP_FAILED);
	if (q != MAP_FAILED) {
		q[127 * PS] = 1;
		CHECK_EQ(munmap((void *)q, 128 * PS), 0);
	}

	/* MAP_POPULATE of more than is free: two children hold 40% of the free
	 * frames each, then the parent asks for more than what is left. */
	uint64_t f0 = free_pages();
	pid_t h1 = hog(f0 * 2 / 5, 1, s, 1);
	pid_t h2 = hog(f0 * 2 / 5, 1, s, 2);
	CHECK(h1 > 0 && h2 > 0);
	for (long i = 0; !(s[1] && s[2]) && i < 10000000; i++)
		sys_yield();
	CHECK(s[1] && s[2]);
	uint64_t f1 = free_pages();
	CHECK(f1 < f0 / 4);
	vp = virt_pages();
	CHECK_ERR(mmap(NULL, (f1 + 16) * PS, RW, ANON_PRIV | MAP_POPULATE, -1, 0), ENOMEM);
	/* Nothing left mapped, nothing kept. */
	CHECK_EQ(virt_pages(), vp);
	CHECK_EQ(free_pages(), f1);
	s[0] = 1;
	CHECK_EQ(waitpid(h1, &st, 0), h1);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(waitpid(h2, &st, 0), h2);
	CHECK(IS_EXIT(st, 0));
	CHECK_EQ(free_pages(), f0);

	/* NKIDS children touching 40% of free memory each (160% together). */
	CHECK_EQ(mem_info(&mi), 0);
	uint64_t each = mi.free_pages * 2 / 5;
	printf("exhaustion: %d children x %llu pages, %llu free of %llu\n", NKIDS,
	       (unsigned long long)each, (unsigned long long)mi.free_pages,
	       (unsigned long long)mi.total_pages);
	pid_t kids[NKIDS];
	for (int i = 0; i < NKIDS; i++) {
		kids[i] = hog(each, 0, NULL, 0);
		CHECK(kids[i] > 0);
	}
	int killed = 0, survived = 0;
	for (int i = 0; i < NKIDS; i++) {
		st = -1;
		CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
		/* Each child either was killed for lack of memory or finished
		 * with its data intact; nothing else. */
		CHECK(IS_KILL(st) || IS_EXIT(st, 0));
		killed += IS_KILL(st);
		survived += IS_EXIT(st, 0);
	}
	printf("exhaustion: %d killed, %d survived\n", killed, survived);
	CHECK(killed >= 1);
	CHECK(survived >= 1);
	/* Every frame came back. */
	CHECK_EQ(free_pages(), mi.free_pages);

	/* The parent is untouched ... */
	for (int i = 0; i < 4; i++)
		CHECK(page_is(mine + i * PS, (char)(0x70 + i)));
	/* ... and can fork a child that maps, touches and exits normally. */
	pid_t k = hog(256, 0, NULL, 0);
	CHECK(k > 0);
	CHECK_EQ(waitpid(k, &st, 0), k);
	CHECK(IS_EXIT(st, 0));
	/* A spawned program runs too. */
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0);
	CHECK(sp > 0);
	CHECK_EQ(waitpid((pid_t)sp, &st, 0), sp);
	CHECK(IS_EXIT(st, 7));

	CHECK_EQ(pager_check(), 0);
	return t_done("exhaustion");
}
