/*
 * test_pager_attack's malformed requests (test_pager_attack.c says what
 * each mode tries): badreq (every label, every word at an edge, payloads,
 * pids, granted handles), remapidx (mremap pushing the object page index
 * up) and fixedloop (MAP_FIXED and mprotect splits over one range).
 */
#include "attack.h"
#include "pager_attack.h"

/* ---- badreq ---- */

static const uint64_t edge[] = {
	0, 1, PS - 1, PS, PS + 1, PROC_MMAP_MIN - PS, PROC_MMAP_MIN, 0x20000000,
	USER_TOP - PS, USER_TOP - 1, USER_TOP, USER_TOP + 1, USER_TOP + PS,
	1ul << 63, (1ul << 63) - PS, ~0ul - PS + 1, ~0ul - PS + 2, ~0ul,
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

/* Labels whose words are safe to throw at the pager in any combination
 * (nothing they can do ends or blocks the caller, or unmaps its code). */
static int badreq_words(void)
{
	static const uint64_t labels[] = {
		0, PAGER_GETPID, PAGER_PROC_STATS, PAGER_MEMINFO, PAGER_MMAP, PAGER_MPROTECT,
		PAGER_MADVISE, PAGER_MREMAP, PAGER_BRK, PAGER_VMA_LIST, PAGER_SET_LIMIT,
		PAGER_SETRLIMIT, PAGER_GETRLIMIT, PAGER_DMA_ALLOC, PAGER_LABEL_COUNT,
		PAGER_LABEL_COUNT + 1, 0xfa17, 0xdead, 0xffff,
	};
	uint64_t calls = 0;

	for (unsigned l = 0; l < sizeof(labels) / sizeof(labels[0]); l++)
		for (unsigned a = 0; a < NEDGE; a++)
			for (unsigned b = 0; b < NEDGE; b++)
				for (unsigned c = 0; c < NEDGE; c += 3) {
					/* Not on our own image, heap or stack. */
					if ((labels[l] == PAGER_MPROTECT || labels[l] == PAGER_MADVISE ||
					     labels[l] == PAGER_MREMAP) &&
					    edge[a] >= PROC_MMAP_MIN && edge[a] < USER_TOP)
						continue;
					int64_t r = call(labels[l], 0, edge[a], edge[b], edge[c],
							 edge[(a + b) % NEDGE], edge[(b + c) % NEDGE]);
					calls++;
					/* Whatever it mapped goes again, but
					 * never our own image or stack. */
					if (labels[l] == PAGER_MMAP && r > 0 && (uint64_t)r != edge[a])
						munmap((void *)r, edge[b] < USER_TOP ? edge[b] : PS);
					if (labels[l] == PAGER_DMA_ALLOC && r > 0)
						munmap((void *)r, edge[a]);
					if (labels[l] == PAGER_SET_LIMIT)
						pager_set_limit(0);
				}
	/* MUNMAP only where nothing of ours lives: below PROC_MMAP_MIN (and
	 * not reaching it) or outside user space. */
	for (unsigned a = 0; a < NEDGE; a++)
		for (unsigned b = 0; b < NEDGE; b++) {
			if (edge[a] < USER_TOP &&
			    (edge[a] >= PROC_MMAP_MIN || edge[b] >= PROC_MMAP_MIN - edge[a]))
				continue;
			call(PAGER_MUNMAP, 0, edge[a], edge[b], 0, 0, 0);
			calls++;
		}
	/* Pid words: self, parent (init), nobody, a zombie child, a live one,
	 * and the edges, for every call that takes a pid. */
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	pid_t live = fork();
	if (live == 0) {
		for (;;)
			sys_yield();
	}
	for (long i = 0; i < 1000; i++)
		sys_yield();
	uint64_t pids[] = { 0, (uint64_t)getpid(), 1, 2, 255, 256, 257, (uint64_t)zombie,
			    (uint64_t)live, (uint64_t)zombie + 256, 1ul << 62, (1ul << 62) | 1,
			    ~0ul, 1ul << 63 };
	for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		call(PAGER_PROC_STATS, 0, pids[i], 0, 0, 0, 0);
		call(PAGER_VMA_LIST, 0, 0, pids[i], 0, 0, 0);
		for (uint64_t res = 0; res <= PRLIMIT_COUNT; res++) {
			call(PAGER_GETRLIMIT, 0, pids[i], res, 0, 0, 0);
			call(PAGER_SETRLIMIT, 0, pids[i], res, ~0ul, 0, 0);
		}
		call(PAGER_WAIT, 0, pids[i], WAIT_NOHANG, 0, 0, 0);
		if (pids[i] != (uint64_t)getpid() && pids[i] != (uint64_t)live && pids[i] != 0)
			CHECK(call(PAGER_KILL, 0, pids[i], 0, 0, 0, 0) < 0);
		calls += 5 + 2 * PRLIMIT_COUNT;
	}
	CHECK_EQ(call(PAGER_KILL, 0, (uint64_t)live, 0, 0, 0, 0), 0);
	int st;
	CHECK_EQ(waitpid(live, &st, 0), live);
	waitpid(zombie, &st, WNOHANG);	/* the WAIT calls above may have reaped it */
	/* Payloads of every length class on every label that does not end
	 * us: garbage argv for SPAWN, ignored elsewhere (it lands in the
	 * pager's IPC buffer). */
	char *buf = ipcbuf();
	static const uint64_t lens[] = { 0, 1, 2, 3, 7, 1023, 1024, 1025, 4095, 4096, 4097,
					 8191 };
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int fill = 0; fill < 3; fill++) {
			for (unsigned j = 0; j < 4096; j++)
				buf[j] = fill == 0 ? 0 : fill == 1 ? 'x' : (char)(j % 7 ? 'a' : 0);
			int64_t r = call(PAGER_SPAWN, lens[i], 0, 0, 0, 0, 0);
			CHECK(r < 0);	/* no such program, or malformed */
			call(PAGER_GETPID, lens[i], 0, 0, 0, 0, 0);
			call(PAGER_MEMINFO, lens[i], 0, 0, 0, 0, 0);
			calls += 3;
		}
	}
	/* A spawn with too many arguments, and one that names a real
	 * program after an empty string. */
	memset(buf, 0, 4096);
	for (int j = 0; j < 100; j++)
		buf[j * 2] = 'a';
	CHECK(call(PAGER_SPAWN, 200, 0, 0, 0, 0, 0) < 0);
	memcpy(buf, "\0test_child\0", 12);
	CHECK(call(PAGER_SPAWN, 12, 0, 0, 0, 0, 0) < 0);
	printf("badreq: %llu calls\n", (unsigned long long)calls);
	CHECK_EQ(pager_check(), 0);
	return t_failures ? 1 : 0;
}

/* FORK with edge pc/sp: refused, or a child that dies at once. */
static int badreq_fork(void)
{
	for (unsigned a = 0; a < NEDGE; a += 2)
		for (unsigned b = 0; b < NEDGE; b += 3) {
			int64_t r = call(PAGER_FORK, 0, edge[a], edge[b], edge[(a + b) % NEDGE], 0, 0);
			if (r > 0) {
				int st;
				CHECK_EQ(waitpid((pid_t)r, &st, 0), r);
				CHECK(WIFSIGNALED(st));
			} else {
				CHECK(edge[a] >= USER_TOP || edge[b] >= USER_TOP);
			}
		}
	return t_failures ? 1 : 0;
}

void attack_badreq(void)
{
	CHECK_EQ(in_child(badreq_words), 0);
	CHECK_EQ(in_child(badreq_fork), 0);
	CHECK_EQ(in_child(grants_still_land), 0);
	after_attack("badreq");
}

/* ---- remapidx ---- */

static int remap_up(void)
{
	const uint64_t big = 1ul << 24;	/* pages: 64 GiB, never touched */
	char *m = mmap(NULL, big * PS, PROT_NONE, ANON_PRIV, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	for (int round = 0; round < 12; round++) {
		/* Keep only the last page; move it, growing back to big. */
		if (munmap(m, (big - 1) * PS) < 0)
			return 4;
		m = mremap(m + (big - 1) * PS, PS, big * PS, MREMAP_MAYMOVE);
		if (m == MAP_FAILED)
			return 5;
	}
	if (mprotect(m, PS, RW) < 0)
		return 6;
	m[0] = 1;	/* the object index is now far above 2^27 */
	return m[0] == 1 ? 0 : 7;
}

void attack_remapidx(void)
{
	int st = in_child(remap_up);

	CHECK(IS_EXIT(st, 0));
	after_attack("remapidx");
}

/* ---- fixedloop ---- */

static int fixed_loop(void)
{
	char *base = mmap(NULL, 64 * PS, RW, ANON_PRIV, -1, 0);
	uint64_t v0 = 0, f0 = free_pages();

	if (base == MAP_FAILED)
		return 3;
	struct pager_vma_info all[8];
	v0 = (uint64_t)vmas_in(0, ~0ul, all, 8);
	for (int i = 0; i < 20000; i++) {
		char *m = mmap(base + (i % 8) * PS, (1 + i % 5) * PS, RW, ANON_PRIV | MAP_FIXED,
			       -1, 0);
		if (m != base + (i % 8) * PS)
			return 4;
		m[0] = (char)i;
		if (mprotect(base + (i % 13) * PS, PS, (i & 1) ? PROT_READ : RW) < 0)
			return 5;
	}
	if (mprotect(base, 64 * PS, RW) < 0 || munmap(base, 64 * PS) < 0)
		return 6;
	if (free_pages() > f0 + 64 || free_pages() + 64 < f0)
		return 7;
	(void)v0;
	return pager_check() == 0 ? 0 : 8;
}

void attack_fixedloop(void)
{
	uint64_t f = free_pages();

	CHECK(IS_EXIT(in_child(fixed_loop), 0));
	CHECK_EQ(free_pages(), f);
	after_attack("fixedloop");
}
