/*
 * Revocable mappings (the kernel's mapping database) and batched mapping,
 * as an unprivileged process sees them. This process maps its own pages
 * (given by the pager) into a task B it created and serves B's faults on
 * its own endpoint; B runs a few lines of code from our text page.
 * One mode per test:
 *   attack     map a page into B, munmap it, let another process take the
 *              frame and fill it with a secret: B must fault, not read it
 *   twolevel   B maps our page into its own child C; our munmap revokes
 *              C's copy too; replacing B's page (C's source) revokes too;
 *              destroying B (a source and a destination) leaves no record
 *   protect    mprotect(PROT_READ) on our page takes W from B's copy, for
 *              good (SYS_PROTECT cannot give it back)
 *   remap      fork write-protects our page, our write makes the pager map
 *              a copy over it: B's mapping of the old frame is revoked
 *   selfmap    B maps within its own space: the rules for that, and our
 *              munmap revokes both B's copy and B's copy of it
 *   deep       a chain of 100 tasks, each mapping our page into the next:
 *              one munmap revokes all 100 copies (iteratively)
 *   run        SYS_MAP_RUN of 16 pages and a FAULT_REPLY_MAP_RUN reply,
 *              their bad inputs, and revocation of a run
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi/fault.h"
#include "libsys.h"
#include "t.h"
#include "mapdb_guest.h"

/* The mailbox is MAP_SHARED: a fork does not write-protect it (and so
 * take W from B's copy). */
static volatile uint64_t *mbox;
static uint64_t params[512] __attribute__((aligned(4096)));
static int64_t ep;
static int64_t threads[8];	/* handles of the threads we started */
static int nthreads;

static uint64_t records(void)
{
	struct kernel_info ki;

	CHECK_EQ(sys_kernel_info(&ki), 0);
	return ki.mapping_records;
}

static uint64_t pool_free(void)
{
	struct kernel_info ki;

	CHECK_EQ(sys_kernel_info(&ki), 0);
	return ki.kmem_free_pages;
}

static uint64_t mapped_in(int64_t task)
{
	struct task_info ti;

	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	return ti.mapped_pages;
}

/* A task B with our guest page and mailbox mapped, the page at `data`
 * (if any) at DATA_VA with `rights`. */
static int64_t make_b(uint64_t data, uint64_t rights)
{
	int64_t b = sys_task_create();

	CHECK(b > 0);
	mbox[0] = 0;	/* touch: only mapped pages can be given */
	CHECK(*(volatile uint32_t *)guest_page != 0);
	CHECK_EQ(sys_map((uint64_t)b, (uint64_t)guest_page, (uint64_t)guest_page, MAP_R | MAP_X), 0);
	CHECK_EQ(sys_map((uint64_t)b, (uint64_t)mbox, MBOX_VA, MAP_R | MAP_W), 0);
	if (data)
		CHECK_EQ(sys_map((uint64_t)b, data, DATA_VA, rights), 0);
	return b;
}

static int64_t start(int64_t task, void (*pc)(void), uint64_t arg, uint64_t badge)
{
	int64_t th = sys_thread_create((uint64_t)task, (uint64_t)pc, 0, arg, (uint64_t)ep, badge);

	CHECK(th > 0);
	if (th > 0 && nthreads < 8)
		threads[nthreads++] = th;
	return th;
}

/* Yield until mailbox word `slot` holds v; false if it never does. */
static bool mbox_becomes(int slot, uint64_t v)
{
	for (int i = 0; i < 2000; i++) {
		if (mbox[slot] == v)
			return true;
		sys_yield();
	}
	return false;
}

/* The next message on our endpoint that is not a death message (the
 * kernel reports each thread we stop or destroy to us, its pager). */
static int64_t recv_fault(struct ipc_msg *m)
{
	int64_t r;

	while ((r = ipc_recv((uint64_t)ep, m)) == 0 &&
	       ipc_label(m->info) == THREAD_EXIT_LABEL)
		;
	return r;
}

/* The next fault on our endpoint: it must be `badge`'s, at addr. Thread
 * th (if we hold it) is then stopped; else it waits for its task's end. */
static void expect_fault(int64_t th, uint64_t badge, uint64_t addr, uint64_t access)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(recv_fault(&m), 0);
	CHECK_EQ(ipc_label(m.info), FAULT_LABEL);
	CHECK_EQ(m.badge, badge);
	CHECK_EQ(m.w[0], addr);
	CHECK_EQ(m.w[1], access);
	if (th > 0) {
		m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_KILL, 0, 0) };
		CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	}
}

static uint64_t *map_page(void)
{
	uint64_t *p = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

static void destroy(int64_t task)
{
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)task), 0);
	while (nthreads > 0)
		CHECK_EQ(sys_handle_close((uint64_t)threads[--nthreads]), 0);
}

static int attack(void)
{
	uint64_t r0 = records();
	volatile uint64_t *flag = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int status;

	/* Another process, ready to take fresh frames and fill them with its
	 * secret (made first, so that it shares none of our pages). */
	*flag = 0;
	pid = fork();
	if (pid == 0) {
		enum { PAGES = 64 };
		uint64_t *s = mmap(0, PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s != MAP_FAILED)
			s[0] = SECRET;	/* its page map is made */
		while (*flag != 1)
			sys_yield();
		for (int i = 0; s != MAP_FAILED && i < PAGES * 512; i++)
			s[i] = SECRET;
		*flag = 2;
		for (int64_t n = sys_notif_create();;)
			sys_wait((uint64_t)n);
	}
	CHECK(pid > 0);

	uint64_t *victim = map_page();
	*victim = 0x1111;
	int64_t b = make_b((uint64_t)victim, MAP_R | MAP_W);
	int64_t th = start(b, guest_copy, 0, 1);
	CHECK(mbox_becomes(0, 0x1111));	/* B reads our page */
	CHECK_EQ(munmap(victim, PAGE_SIZE), 0);	/* the pager frees the frame */
	*flag = 1;
	for (int i = 0; i < 10000 && *flag != 2; i++)
		sys_yield();
	CHECK_EQ(*flag, 2);
	if (mbox_becomes(0, SECRET)) {
		printf("FAIL: B read another process's secret through a page we unmapped\n");
		t_failures++;
	} else {
		expect_fault(th, 1, DATA_VA, FAULT_READ);	/* B lost the page */
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	destroy(b);
	CHECK_EQ(records(), r0);
	return t_done("mapdb_attack");
}

static int twolevel(void)
{
	uint64_t r0 = records();
	uint64_t *src = map_page(), *other = map_page();
	int64_t b;

	*src = 0x2222;
	*other = 0x3333;
	params[0] = 0;
	uint64_t k0 = pool_free();	/* our own tables made */
	for (int round = 0; round < 2; round++) {
		b = make_b((uint64_t)src, MAP_R | MAP_W);
		/* B needs our endpoint to make C's thread ours to serve. */
		params[0] = (uint64_t)sys_handle_grant((uint64_t)b, (uint64_t)ep, 0, RIGHT_SEND);
		CHECK((int64_t)params[0] > 0);
		CHECK_EQ(sys_map((uint64_t)b, (uint64_t)params, PARAM_VA, MAP_R), 0);
		mbox[6] = 0;
		start(b, guest_b, 0, 1);
		for (int i = 0; i < 2000 && !mbox[6]; i++)
			sys_yield();
		CHECK((int64_t)mbox[2] > 0);	/* C made */
		CHECK_EQ(mbox[3], 0);		/* DATA, mailbox, code mapped into C */
		CHECK_EQ(mbox[4], 0);
		CHECK_EQ(mbox[5], 0);
		CHECK((int64_t)mbox[6] > 0);	/* C's thread runs */
		CHECK(mbox_becomes(1, *src));	/* C reads our page, two levels down */
		if (round == 0) {
			/* Replacing C's source (B's page) takes C's copy. */
			CHECK_EQ(sys_map((uint64_t)b, (uint64_t)other, DATA_VA, MAP_R), 0);
		} else {
			/* Unmapping our page takes B's copy and C's. */
			CHECK_EQ(munmap(src, PAGE_SIZE), 0);
		}
		expect_fault(0, 2, DATA_VA, FAULT_READ);	/* C's */
		/* B is a source (for C) and a destination (from us): after it
		 * is gone, so are all the records. */
		destroy(b);
		CHECK_EQ(records(), r0);
	}
	CHECK_EQ(pool_free(), k0);
	CHECK_EQ(munmap(other, PAGE_SIZE), 0);
	return t_done("mapdb_twolevel");
}

static int protect(void)
{
	uint64_t *p = map_page();
	int64_t b;

	*p = 1;
	b = make_b((uint64_t)p, MAP_R | MAP_W);
	CHECK_EQ(mprotect(p, PAGE_SIZE, PROT_READ), 0);
	int64_t th = start(b, guest_write, 0, 1);
	for (int i = 0; i < 200; i++)
		sys_yield();
	if (*p == 0x5a5a) {
		printf("FAIL: B wrote through a page we made read-only\n");
		t_failures++;
	} else {
		expect_fault(th, 1, DATA_VA, FAULT_WRITE);
	}
	/* B's copy keeps R, and W cannot be given back to it. */
	CHECK_EQ(mapped_in(b), 3);
	CHECK_EQ(sys_protect((uint64_t)b, DATA_VA, 1, MAP_R | MAP_W), 0);
	/* Taking R too (PROT_NONE) leaves B nothing: the copy goes. */
	CHECK_EQ(mprotect(p, PAGE_SIZE, PROT_NONE), 0);
	CHECK_EQ(mapped_in(b), 2);
	destroy(b);
	return t_done("mapdb_protect");
}

static int remap(void)
{
	/* Eight resident pages: fork shares them copy-on-write (an object
	 * of a few pages is copied for the child instead, pager/fork.c, and
	 * our page would stay ours, B following it). */
	uint64_t *p = mmap(0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	int64_t b;
	pid_t pid;
	int status;

	CHECK(p != MAP_FAILED);
	for (int i = 0; i < 8; i++)
		p[i * PAGE_SIZE / 8] = 0x4444;
	b = make_b((uint64_t)p, MAP_R);
	int64_t th = start(b, guest_copy, 0, 1);
	CHECK(mbox_becomes(0, 0x4444));
	pid = fork();	/* our page becomes copy-on-write, shared */
	if (pid == 0) {
		for (int64_t n = sys_notif_create();;)
			sys_wait((uint64_t)n);
	}
	CHECK(pid > 0);
	*p = 0x5555;	/* the pager maps a copy over the shared frame */
	if (mbox_becomes(0, 0x5555)) {
		printf("FAIL: B follows our page\n");
		t_failures++;
	}
	expect_fault(th, 1, DATA_VA, FAULT_READ);	/* B lost the old frame */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	destroy(b);
	return t_done("mapdb_remap");
}

static int selfmap(void)
{
	uint64_t r0 = records();
	uint64_t *p = map_page();
	int64_t b;

	*p = 0x6666;
	b = make_b((uint64_t)p, MAP_R | MAP_W);
	params[1] = (uint64_t)sys_handle_grant((uint64_t)b, (uint64_t)b, 0, RIGHTS_ALL);
	CHECK((int64_t)params[1] > 0);
	CHECK_EQ(sys_map((uint64_t)b, (uint64_t)params, PARAM_VA, MAP_R), 0);
	mbox[7] = mbox[8] = mbox[9] = 12345;
	mbox[10] = 0;
	start(b, guest_self, 0, 1);
	for (int i = 0; i < 2000 && !mbox[10]; i++)
		sys_yield();
	CHECK_EQ(mbox[10], 1);
	CHECK_EQ(mbox[7], 0);
	CHECK_EQ(mbox[8], -ERR_INVAL);
	CHECK_EQ(mbox[9], -ERR_INVAL);
	CHECK_EQ(mapped_in(b), 5);	/* code, mailbox, params, DATA, DATA2 */
	CHECK_EQ(munmap(p, PAGE_SIZE), 0);
	CHECK_EQ(mapped_in(b), 3);	/* both copies went */
	destroy(b);
	CHECK_EQ(records(), r0);
	return t_done("mapdb_selfmap");
}

static int deep(void)
{
	enum { DEPTH = 100 };
	uint64_t r0 = records();
	uint64_t *p = map_page();
	struct kernel_info k0, k1;
	int64_t b;

	*p = 0x7777;
	b = make_b((uint64_t)p, MAP_R | MAP_W);
	mbox[11] = mbox[12] = 0;
	start(b, guest_chain, DEPTH - 1, 1);	/* B is level 1 */
	CHECK(mbox_becomes(11, 0x7777));
	CHECK_EQ(mbox[12], 0);
	/* Each of our three pages (data, mailbox, code) has a copy in each of
	 * the DEPTH tasks. */
	CHECK_EQ(records(), r0 + 3 * (DEPTH + 1));
	CHECK_EQ(sys_kernel_info(&k0), 0);
	CHECK_EQ(munmap(p, PAGE_SIZE), 0);
	CHECK_EQ(records(), r0 + 2 * (DEPTH + 1));
	/* The last task's thread faults (no pager: it is stopped). */
	for (int i = 0; i < 2000 && sys_kernel_info(&k1) == 0 && k1.nthreads == k0.nthreads; i++)
		sys_yield();
	CHECK_EQ(k1.nthreads, k0.nthreads - 1);
	destroy(b);
	CHECK_EQ(records(), r0);
	return t_done("mapdb_deep");
}

static int run(void)
{
	enum { N = 16 };
	uint64_t r0 = records();
	uint8_t *buf = mmap(0, (N + 1) * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t ro = (uint64_t)guest_page;
	struct ipc_msg m = { 0 };
	int64_t b;

	CHECK(buf != MAP_FAILED);
	for (int i = 0; i <= N; i++)
		buf[i * PAGE_SIZE] = (uint8_t)i;
	b = make_b(0, 0);
	uint64_t base = mapped_in(b), rb = records();

	/* Bad inputs: nothing happens. */
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R, 0), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R, MAP_RUN_MAX + 1), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R, 1ul << 60), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, USER_TOP - 8 * PAGE_SIZE, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, USER_TOP - 8 * PAGE_SIZE, DATA_VA, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf + 8, DATA_VA, MAP_R, N), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_W, N), -ERR_INVAL);
	CHECK_EQ(sys_map_run((uint64_t)b, ro, DATA_VA, MAP_R | MAP_W, 1), -ERR_ACCES);
	CHECK_EQ(sys_map_run(4242, (uint64_t)buf, DATA_VA, MAP_R, N), -ERR_BADF);
	/* A hole in the middle of the source: all or nothing. */
	CHECK_EQ(madvise(buf + 8 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), 0);
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R, N), -ERR_FAULT);
	CHECK_EQ(mapped_in(b), base);
	CHECK_EQ(records(), rb);
	buf[8 * PAGE_SIZE] = 8;	/* fault it back */

	/* A good run: one call, 16 pages, each its own source's copy. */
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R | MAP_W, N), 0);
	CHECK_EQ(mapped_in(b), base + N);
	CHECK_EQ(records(), rb + 2 * N);
	/* Mapping it again replaces it: no more records. */
	CHECK_EQ(sys_map_run((uint64_t)b, (uint64_t)buf, DATA_VA, MAP_R, N), 0);
	CHECK_EQ(records(), rb + 2 * N);
	mbox[0] = 99;
	int64_t th1 = start(b, guest_copy, 0, 1);
	CHECK(mbox_becomes(0, 0));	/* page 0 of buf holds 0 */
	/* Revoking part of the run: those pages go from B. */
	CHECK_EQ(munmap(buf + 4 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	CHECK_EQ(mapped_in(b), base + N - 4);
	CHECK_EQ(records(), rb + 2 * (N - 4));
	/* The rest, with B's thread reading page 0: it faults. */
	CHECK_EQ(munmap(buf, 4 * PAGE_SIZE), 0);
	CHECK_EQ(munmap(buf + 8 * PAGE_SIZE, (N - 8 + 1) * PAGE_SIZE), 0);
	CHECK_EQ(mapped_in(b), base);
	CHECK_EQ(records(), rb);

	/* A batched fault reply: B's thread faults on DATA_VA, we map 16
	 * pages there in one reply. */
	buf = mmap(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	for (int i = 0; i < N; i++)
		buf[i * PAGE_SIZE] = (uint8_t)(i + 1);
	CHECK_EQ(recv_fault(&m), 0);
	CHECK_EQ(m.w[0], DATA_VA);
	mbox[0] = 0;
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP_RUN, 0, 0),
			      .w = { (uint64_t)buf, DATA_VA, MAP_R, N } };
	CHECK_EQ(ipc_reply((uint64_t)th1, &m), 0);
	CHECK(mbox_becomes(0, 1));
	CHECK_EQ(mapped_in(b), base + N);
	CHECK_EQ(records(), rb + 2 * N);
	/* Bad batched replies stop the thread and map nothing. */
	CHECK_EQ(munmap(buf, N * PAGE_SIZE), 0);	/* B faults again */
	CHECK_EQ(recv_fault(&m), 0);
	CHECK_EQ(m.w[0], DATA_VA);
	buf = (uint8_t *)map_page();	/* one page: a 16-page run from it has a hole */
	*(uint64_t *)buf = 7;
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP_RUN, 0, 0),
			      .w = { (uint64_t)buf, DATA_VA, MAP_R, N } };
	CHECK_EQ(ipc_reply((uint64_t)th1, &m), 0);
	CHECK_EQ(mapped_in(b), base);
	int64_t th = start(b, guest_copy, 0, 3);
	CHECK_EQ(recv_fault(&m), 0);
	CHECK_EQ(m.badge, 3);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_MAP_RUN, 0, 0),
			      .w = { (uint64_t)buf, DATA_VA, MAP_R, 0 } };
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	CHECK_EQ(mapped_in(b), base);
	struct task_info ti;
	CHECK_EQ(sys_task_info((uint64_t)b, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(records(), rb);
	destroy(b);
	CHECK_EQ(munmap(buf, PAGE_SIZE), 0);
	CHECK_EQ(records(), r0);
	return t_done("mapdb_run");
}

int main(int argc, char **argv)
{
	ep = sys_endpoint_create();
	mbox = mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ep > 0 && mbox != MAP_FAILED);
	if (argc > 1 && !strcmp(argv[1], "attack"))
		return attack();
	if (argc > 1 && !strcmp(argv[1], "twolevel"))
		return twolevel();
	if (argc > 1 && !strcmp(argv[1], "protect"))
		return protect();
	if (argc > 1 && !strcmp(argv[1], "remap"))
		return remap();
	if (argc > 1 && !strcmp(argv[1], "selfmap"))
		return selfmap();
	if (argc > 1 && !strcmp(argv[1], "deep"))
		return deep();
	if (argc > 1 && !strcmp(argv[1], "run"))
		return run();
	printf("FAIL: test_mapdb: unknown mode\n");
	return 1;
}
