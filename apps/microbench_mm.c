/*
 * microbench's fork and mapping figures: fork alone, fork with what the
 * child does to each page, exit and wait; mmap and munmap, MAP_POPULATE,
 * and the page map's bytes per resident page.
 */
#include "microbench.h"

static uint64_t read_all(const char *p, uint64_t pages)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < pages; i++)
		sum += ((volatile const char *)p)[i * PAGE_SIZE];
	return sum;
}

/* ---- fork ---- */

/* The fork call alone (in the parent), with `pages` resident and writable. */
static int fork_call(uint64_t pages)
{
	char *p = map_anon(pages, 0);

	if (!p)
		return -1;
	for (int i = 0; i < 5; i++) {
		touch(p, pages);	/* writable again after the last fork */
		uint64_t t0 = rdinstret();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		sample(rdinstret() - t0);
		wait_for(pid);
	}
	munmap(p, pages * PAGE_SIZE);
	return 0;
}

int bench_fork_1mib(void) { return fork_call(256); }
int bench_fork_64mib(void) { return fork_call(16384); }

enum { CHILD_EXITS, CHILD_READS, CHILD_WRITES };

/* fork + what the child does to every page + its exit + waitpid, with
 * `pages` resident and writable in the parent. */
static int fork_child_run(uint64_t pages, int what, int runs)
{
	char *p = pages ? map_anon(pages, 0) : NULL;

	if (pages && !p)
		return -1;
	for (int i = 0; i < runs; i++) {
		touch(p, pages);
		uint64_t t0 = rdinstret();
		pid_t pid = fork();
		if (pid == 0) {
			if (what == CHILD_READS)
				read_all(p, pages);
			else if (what == CHILD_WRITES)
				touch(p, pages);
			_exit(0);
		}
		wait_for(pid);
		sample(rdinstret() - t0);
	}
	if (p)
		munmap(p, pages * PAGE_SIZE);
	return 0;
}

int bench_fork_exit_wait_empty(void) { return fork_child_run(0, CHILD_EXITS, 15); }
int bench_fork_exit_64mib(void) { return fork_child_run(16384, CHILD_EXITS, 5); }
int bench_fork_touch_1mib_read(void) { return fork_child_run(256, CHILD_READS, 9); }
int bench_fork_touch_64mib_read(void) { return fork_child_run(16384, CHILD_READS, 3); }
int bench_fork_touch_64mib_write(void) { return fork_child_run(16384, CHILD_WRITES, 3); }

/* ---- mappings ---- */

/* mmap of 1 MiB with MAP_POPULATE (every page faulted in and mapped by the
 * pager in runs) + munmap, in a fresh process. */
int bench_populate_1mib(void)
{
	for (int i = 0; i < 9; i++) {
		MEASURE({
			char *p = map_anon(256, MAP_POPULATE);
			if (p)
				munmap(p, 256 * PAGE_SIZE);
		});
	}
	return 0;
}

int bench_mmap_munmap(void)
{
	for (int i = 0; i < 500; i++) {
		MEASURE({
			void *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			munmap(p, PAGE_SIZE);
		});
	}
	return 0;
}

int bench_mmap_touch_munmap(void)
{
	for (int i = 0; i < 500; i++) {
		MEASURE({
			char *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			p[0] = 1;
			munmap(p, PAGE_SIZE);
		});
	}
	return 0;
}

/* Page-map bytes (node frames and flat arrays) per resident page, for
 * `count` mappings of `pages` pages each, every page written. */
static int pagemap_bytes(uint64_t pages, int count)
{
	struct mem_info before, after;
	char *p[100];

	if (count > 100 || mem_info(&before) < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		if (!(p[i] = map_anon(pages, 0)))
			return -1;
		touch(p[i], pages);
	}
	if (mem_info(&after) < 0)
		return -1;
	sample(((after.node_pages - before.node_pages) * PAGE_SIZE +
		after.map_heap_bytes - before.map_heap_bytes) / (pages * count) + bracket);
	for (int i = 0; i < count; i++)
		munmap(p[i], pages * PAGE_SIZE);
	return 0;
}

int bench_pagemap_bytes_1page(void) { return pagemap_bytes(1, 100); }
int bench_pagemap_bytes_1mib(void) { return pagemap_bytes(256, 8); }
