/*
 * Helpers for the memory-management tests (test_mmap_anon, test_munmap,
 * ...): run one access in a forked child and return how it ended, read
 * the pager's statistics, and look at the caller's own VMA list.
 */
#ifndef TEST_MM_H
#define TEST_MM_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libsys.h"

#define PS		PAGE_SIZE
#define RW		(PROT_READ | PROT_WRITE)
#define ANON_PRIV	(MAP_PRIVATE | MAP_ANONYMOUS)
#define ANON_SHARED	(MAP_SHARED | MAP_ANONYMOUS)
#define RET_INSN	0x00008067u	/* jalr x0, 0(ra): ret */

/* A wait status meaning "killed by SIGSEGV" / "killed by SIGKILL" /
 * "exited with code c". */
#define IS_SEGV(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGSEGV)
#define IS_KILL(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGKILL)
#define IS_EXIT(st, c)	(WIFEXITED(st) && WEXITSTATUS(st) == (c))

/* -1 with errno e: what a failed call must look like. */
#define CHECK_ERR(call, e) do {							\
	errno = 0;								\
	long long r_ = (long long)(intptr_t)(call);				\
	CHECK_EQ(r_, -1);							\
	CHECK_EQ(errno, (e));							\
} while (0)

enum { ACC_READ, ACC_WRITE, ACC_EXEC };

/* Fork a child that makes one access at addr and exits 0 if it survived;
 * return its wait status (-1 if fork or waitpid failed). */
static inline int child_access(const volatile void *addr, int how)
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (how == ACC_READ)
			(void)*(const volatile char *)addr;
		else if (how == ACC_WRITE)
			*(volatile char *)addr = 0x77;
		else {
			__asm__ volatile("fence.i" ::: "memory");
			((void (*)(void))(uintptr_t)addr)();
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static inline uint64_t resident(void)
{
	struct proc_stats st = { 0 };

	return proc_stats(0, &st) == 0 ? st.resident_pages : ~0ull;
}

static inline uint64_t virt_pages(void)
{
	struct proc_stats st = { 0 };

	return proc_stats(0, &st) == 0 ? st.virtual_pages : ~0ull;
}

static inline uint64_t free_pages(void)
{
	struct mem_info mi = { 0 };

	return mem_info(&mi) == 0 ? mi.free_pages : ~0ull;
}

/* Frames holding data (not free, not page-map nodes). */
static inline uint64_t data_pages(void)
{
	struct mem_info mi = { 0 };

	if (mem_info(&mi) != 0)
		return ~0ull;
	return mi.total_pages - mi.free_pages - mi.node_pages;
}

/* The caller's VMAs that overlap [lo, hi), at most max of them, into out:
 * how many (-1 on error). */
static inline int vmas_in(uint64_t lo, uint64_t hi, struct pager_vma_info *out, int max)
{
	static struct pager_vma_info buf[PVMA_LIST_MAX];
	uint64_t from = lo, next = 0;
	int n = 0;

	for (;;) {
		int64_t got = vma_list(0, from, buf, PVMA_LIST_MAX, &next);
		if (got < 0)
			return -1;
		for (int64_t i = 0; i < got; i++) {
			if (buf[i].start >= hi)
				return n;
			if (buf[i].end > lo && n < max)
				out[n++] = buf[i];
		}
		if (got == 0 || next == 0)
			return n;
		from = next;
	}
}

/* The caller's VMA containing addr (kind 0 if none). */
static inline struct pager_vma_info vma_at(uint64_t addr)
{
	struct pager_vma_info v = { 0 };

	if (vmas_in(addr, addr + 1, &v, 1) != 1)
		memset(&v, 0, sizeof(v));
	return v;
}

/* Is every byte of the page at p equal to c? */
static inline int page_is(const volatile char *p, char c)
{
	for (unsigned i = 0; i < PS; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static inline void page_fill(volatile char *p, char c)
{
	for (unsigned i = 0; i < PS; i++)
		p[i] = c;
}

/* Touch n KiB of stack below the caller, so later measurements do not see
 * the stack grow; and fault in vmas_in's buffer for the same reason. */
static void __attribute__((noinline, unused)) stack_warm(unsigned kib)
{
	volatile char buf[1024];

	buf[0] = 1;
	buf[1023] = 1;
	if (kib > 1)
		stack_warm(kib - 1);
	buf[512] = buf[0];
	if (kib <= 1) {
		struct pager_vma_info v;
		vmas_in(0, ~0ul, &v, 1);
	}
}

#endif
