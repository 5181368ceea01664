/*
 * SYS_MAP_LIST (a list of the caller's pages mapped at consecutive pages
 * of a task) as an unprivileged process sees it: every bad argument
 * refused, a list naming pages the caller may not give refused at that
 * page, and the records its copies make gone with the source.
 * SYS_PROTECT_LIST too (W taken from scattered pages in one entry).
 * One mode each:
 *   attack   bad counts, addresses, lists and handles; kernel pages,
 *            unmapped pages and a read-only page asked for W in a list;
 *            the largest list of one page, revoked by our munmap; our
 *            own space refused as SYS_MAP refuses it
 *   protect  SYS_PROTECT_LIST: bad counts, lists, rights, handles and
 *            pages; only the listed pages lose W
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "libsys.h"
#include "t.h"

#define DST_VA		0x40000000ul
#define SELF_VA		0x2000000000ul	/* far above anything the pager gives us */
#define KERNEL_VA	0xffffffc000000000ul

static uint64_t records(void)
{
	struct kernel_info ki;

	CHECK_EQ(sys_kernel_info(&ki), 0);
	return ki.mapping_records;
}

static uint64_t mapped_in(int64_t task)
{
	struct task_info ti;

	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	return ti.mapped_pages;
}

static int attack(void)
{
	enum { N = 3 };
	static uint64_t list[MAP_RUN_MAX + 1] __attribute__((aligned(4096)));
	uint8_t *buf = mmap(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t r0 = records();
	int64_t b = sys_task_create();

	CHECK(buf != MAP_FAILED && ro != MAP_FAILED && b > 0);
	for (int i = 0; i < N; i++)
		buf[i * PAGE_SIZE] = (uint8_t)(10 + i);
	CHECK_EQ(ro[0], 0);	/* mapped (read-only) */
	uint64_t base = mapped_in(b);
	for (int i = 0; i < N; i++)
		list[i] = (uint64_t)buf + (uint64_t)(N - 1 - i) * PAGE_SIZE;

	/* Bad arguments: nothing happens. */
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_R, 0), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_R, MAP_RUN_MAX + 1), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_R, 1ul << 63), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, (uint64_t *)((uint64_t)list + 4), DST_VA, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA + 8, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, USER_TOP - PAGE_SIZE, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, KERNEL_VA, MAP_R, 1), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, 0, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_W, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, 0x100 | MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_list(4242, list, DST_VA, MAP_R, N), -ERR_BADF);
	CHECK_EQ(mapped_in(b), base);
	/* The list itself where we cannot read: a kernel address, a page
	 * never mapped, a list running off the end of user space. */
	CHECK_EQ(sys_map_list((uint64_t)b, (uint64_t *)KERNEL_VA, DST_VA, MAP_R, N), -ERR_FAULT);
	CHECK_EQ(sys_map_list((uint64_t)b, (uint64_t *)0x1000, DST_VA, MAP_R, N), -ERR_FAULT);
	CHECK_EQ(sys_map_list((uint64_t)b, (uint64_t *)(USER_TOP - 8), DST_VA, MAP_R, 4), -ERR_FAULT);
	CHECK_EQ(mapped_in(b), base);

	/* Entries we may not give: refused there, the pages before it mapped. */
	uint64_t bad[] = { (uint64_t)buf, KERNEL_VA, 0x1000, (uint64_t)buf + 8, (uint64_t)ro };
	uint64_t one[2] = { (uint64_t)buf, 0 };
	for (int i = 1; i < 4; i++) {
		one[1] = bad[i];
		CHECK(sys_map_list((uint64_t)b, one, DST_VA, MAP_R, 2) < 0);
		CHECK_EQ(mapped_in(b), base + 1);
		CHECK_EQ(sys_unmap((uint64_t)b, DST_VA, 2), 1);
	}
	one[1] = (uint64_t)ro;
	CHECK_EQ(sys_map_list((uint64_t)b, one, DST_VA, MAP_R | MAP_W, 2), -ERR_ACCES);
	CHECK_EQ(sys_map_list((uint64_t)b, one, DST_VA, MAP_R | MAP_X, 2), 0);
	CHECK_EQ(sys_unmap((uint64_t)b, DST_VA, 2), 2);
	CHECK_EQ(mapped_in(b), base);
	CHECK_EQ(records(), r0);

	/* The largest list, one page over and over: each a record, all gone
	 * with the task. */
	for (int i = 0; i < MAP_RUN_MAX; i++)
		list[i] = (uint64_t)buf;
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_R | MAP_W, MAP_RUN_MAX), 0);
	CHECK_EQ(mapped_in(b), base + MAP_RUN_MAX);
	CHECK_EQ(records(), r0 + MAP_RUN_MAX + 1);
	/* Our munmap revokes every copy. */
	CHECK_EQ(munmap(buf, PAGE_SIZE), 0);
	CHECK_EQ(mapped_in(b), base);
	CHECK_EQ(records(), r0);
	CHECK_EQ(sys_task_destroy((uint64_t)b), 0);

	/* Our own space: refused as SYS_MAP refuses it (our pager maps it). */
	list[0] = (uint64_t)buf + PAGE_SIZE;
	CHECK_EQ(sys_map_list(H_SELF_TASK, list, SELF_VA, MAP_R, 1),
		 sys_map(H_SELF_TASK, list[0], SELF_VA, MAP_R));
	CHECK_EQ(records(), r0);
	return t_done("map_list_attack");
}

/* SYS_PROTECT_LIST on a task we made: bad arguments refused, our own
 * space refused as SYS_PROTECT refuses it, W taken from listed pages only. */
static int protect(void)
{
	enum { N = 4 };
	static uint64_t list[MAP_RUN_MAX + 1] __attribute__((aligned(4096)));
	uint8_t *buf = mmap(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int64_t b = sys_task_create();

	CHECK(buf != MAP_FAILED && b > 0);
	for (int i = 0; i < N; i++) {
		buf[i * PAGE_SIZE] = (uint8_t)i;
		list[i] = (uint64_t)buf + (uint64_t)i * PAGE_SIZE;
	}
	CHECK_EQ(sys_map_list((uint64_t)b, list, DST_VA, MAP_R | MAP_W, N), 0);
	uint64_t base = mapped_in(b);
	list[0] = DST_VA + 3 * PAGE_SIZE;
	list[1] = DST_VA + PAGE_SIZE;

	CHECK_EQ(sys_protect_list((uint64_t)b, list, 0, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, MAP_RUN_MAX + 1, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 1ul << 63, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, (uint64_t *)((uint64_t)list + 4), 2, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 2, 0), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 2, MAP_W), -ERR_INVAL);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 2, 0x100 | MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_protect_list(4242, list, 2, MAP_R), -ERR_BADF);
	CHECK_EQ(sys_protect_list((uint64_t)b, (uint64_t *)KERNEL_VA, 2, MAP_R), -ERR_FAULT);
	CHECK_EQ(sys_protect_list((uint64_t)b, (uint64_t *)0x1000, 2, MAP_R), -ERR_FAULT);
	CHECK_EQ(sys_protect_list((uint64_t)b, (uint64_t *)(USER_TOP - 8), 2, MAP_R), -ERR_FAULT);
	CHECK_EQ(sys_protect_list(H_SELF_TASK, list, 2, MAP_R),
		 sys_protect(H_SELF_TASK, list[0], 1, MAP_R));
	/* Bad pages in the list: refused there. */
	uint64_t bad[] = { KERNEL_VA, USER_TOP, DST_VA + 8 };
	for (int i = 0; i < 3; i++) {
		list[2] = bad[i];
		CHECK_EQ(sys_protect_list((uint64_t)b, list + 2, 1, MAP_R), -ERR_INVAL);
	}
	/* Pages 3 and 1 lose W; again changes nothing; the others still have it. */
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 2, MAP_R), 2);
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 2, MAP_R), 0);
	list[0] = DST_VA;
	list[1] = DST_VA + 2 * PAGE_SIZE;
	list[2] = DST_VA + 16 * PAGE_SIZE;	/* nothing there */
	CHECK_EQ(sys_protect_list((uint64_t)b, list, 3, MAP_R), 2);
	CHECK_EQ(mapped_in(b), base);
	CHECK_EQ(sys_task_destroy((uint64_t)b), 0);
	return t_done("map_list_protect");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "attack"))
		return attack();
	if (argc > 1 && !strcmp(argv[1], "protect"))
		return protect();
	printf("FAIL: test_map_list: unknown mode\n");
	return 1;
}
