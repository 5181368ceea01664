/*
 * Teardown attacks from an unprivileged process (argv[1] picks one):
 *   hang     destroy a task whose grandchild holds the last handle to the
 *            destroyed task's parent: that parent's teardown starts in
 *            the middle of ours (the old kernel spun forever here with
 *            interrupts off).
 *   chain N  a chain of N nested tasks (the old kernel's recursive
 *            teardown overflowed its stack at 1,100), destroyed while a
 *            spinner in another task keeps running: the destroy is
 *            preemptible, so the spinner is never kept off the CPU for
 *            long, and the kernel's counts come back to where they were.
 *   wide N   one task with N page-table pages and as many mapping records,
 *            destroyed while the spinner runs: a space goes in bounded
 *            steps too.
 *   pagers N  a chain of N pager threads, each holding the fault of the one
 *            before it and faulting itself: destroying their task kills
 *            the chain in a loop (each death frees the next one's fault),
 *            and each death reaches its pager endpoint.
 *   random R SEED  R rounds of a random graph: tasks holding handles to
 *            each other (cycles too) and to endpoints, spinning threads,
 *            threads blocked in faults on an endpoint nobody serves,
 *            chains; handles closed and tasks destroyed in random order.
 *            Nothing may panic, and everything comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "guest.h"
#include "t.h"

#define QUANTUM_TICKS 100000ul	/* 10 ms at QEMU virt's 10 MHz timebase */

static void wait_count(uint64_t n)
{
	for (long i = 0; i < 100000000 && guest_page[0] < n && !guest_page[1]; i++)
		sys_yield();
	CHECK_EQ(guest_page[0], n);
	CHECK_EQ(guest_page[1], 0);
}

/* Teardown a syscall started may finish at the next ticks: wait a little. */
static void counts_back(const struct kernel_info *k0)
{
	struct kernel_info k;

	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(sys_kernel_info(&k), 0);
		if (k.ntasks == k0->ntasks && k.nthreads == k0->nthreads &&
		    k.kmem_free_pages == k0->kmem_free_pages)
			break;
		sys_yield();
	}
	printf("teardown: tasks %lu, threads %lu, free kernel pages %lu (were %lu, %lu, %lu)\n",
	       (unsigned long)k.ntasks, (unsigned long)k.nthreads, (unsigned long)k.kmem_free_pages,
	       (unsigned long)k0->ntasks, (unsigned long)k0->nthreads,
	       (unsigned long)k0->kmem_free_pages);
	CHECK_EQ(k.ntasks, k0->ntasks);
	CHECK_EQ(k.nthreads, k0->nthreads);
	CHECK_EQ(k.kmem_free_pages, k0->kmem_free_pages);
}

static void hang(void)
{
	int64_t p = sys_task_create(), ep = sys_endpoint_create(), th;
	struct ipc_msg m = { 0 };

	CHECK(p > 0 && ep > 0);
	CHECK_EQ(guest_map((uint64_t)p), 0);
	/* P holds itself in slot 1 and our endpoint in slot 2. Its thread
	 * makes A (sending us A's handle), A makes C, C makes G; slot 1 is
	 * passed down, so in the end only G holds P. */
	CHECK_EQ(sys_handle_grant((uint64_t)p, (uint64_t)p, 0, RIGHTS_ALL), 1);
	CHECK_EQ(sys_handle_grant((uint64_t)p, (uint64_t)ep, 0, RIGHTS_ALL), 2);
	th = sys_thread_create((uint64_t)p, (uint64_t)guest_chain, 0,
			       3 | (GUEST_SEND | GUEST_PASS) << 32, 0, 0);
	CHECK(th > 0);
	CHECK_EQ(sys_ipc_recv_slot(120), 0);	/* where A's handle may land */
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	int64_t a = (int64_t)m.w[5];
	CHECK(a > 0);
	wait_count(4);
	CHECK_EQ(sys_handle_close((uint64_t)p), 0);	/* G's handle is P's last */
	CHECK_EQ(sys_task_destroy((uint64_t)a), 0);	/* A, C, G, then P itself */
	CHECK_EQ(sys_task_destroy((uint64_t)a), 0);	/* again: nothing left to do */
	CHECK_EQ(sys_handle_close((uint64_t)a), 0);
	CHECK_EQ(sys_handle_close((uint64_t)th), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
}

/* Destroy root while a spinner in another task counts its turns: the
 * destroy must be preemptible, letting the spinner back again and again. */
static void destroy_watched(int64_t root)
{
	int64_t spin = sys_task_create(), sth;

	CHECK(spin > 0);
	CHECK_EQ(guest_map((uint64_t)spin), 0);
	guest_page[8] = 0;
	sth = sys_thread_create((uint64_t)spin, (uint64_t)guest_spin, 0, 0, 0, 0);
	CHECK(sth > 0);
	while (!guest_page[8])
		sys_yield();
	uint64_t c0 = guest_page[8], t0, t1, c1, gap, back;
	guest_page[9] = guest_page[10] = 0;
	__asm__ volatile("rdtime %0" : "=r"(t0));
	CHECK_EQ(sys_task_destroy((uint64_t)root), 0);
	__asm__ volatile("rdtime %0" : "=r"(t1));
	c1 = guest_page[8];
	gap = guest_page[9];
	back = guest_page[10];
	printf("teardown: destroyed in %lu ticks; the spinner ran %lu turns meanwhile, "
	       "got the CPU back %lu times, longest gap %lu ticks\n", (unsigned long)(t1 - t0),
	       (unsigned long)(c1 - c0), (unsigned long)back, (unsigned long)gap);
	CHECK(c1 > c0);
	/* A destroy done in one kernel entry lets the spinner back at most
	 * once, at its end, whatever the host's delays. */
	if (t1 - t0 > 4 * QUANTUM_TICKS)	/* long enough to tell */
		CHECK(back >= 2);
	CHECK_EQ(sys_task_destroy((uint64_t)spin), 0);
	CHECK_EQ(sys_handle_close((uint64_t)root), 0);
	CHECK_EQ(sys_handle_close((uint64_t)spin), 0);
	CHECK_EQ(sys_handle_close((uint64_t)sth), 0);
}

static void chain(uint64_t n)
{
	int64_t root = sys_task_create(), th;
	struct kernel_info k;

	CHECK(root > 0);
	CHECK_EQ(guest_map((uint64_t)root), 0);
	th = sys_thread_create((uint64_t)root, (uint64_t)guest_chain, 0, n - 1, 0, 0);
	CHECK(th > 0);
	wait_count(n);
	CHECK_EQ(sys_kernel_info(&k), 0);
	printf("teardown: a chain of %lu tasks built; %lu tasks, %lu free kernel pages\n",
	       (unsigned long)n, (unsigned long)k.ntasks, (unsigned long)k.kmem_free_pages);
	destroy_watched(root);
	CHECK_EQ(sys_handle_close((uint64_t)th), 0);
}

/* One task with n page-table pages (a page of ours mapped every 2 MiB,
 * each map a mapping record): its address space goes in bounded steps,
 * records first, while the spinner keeps running (the old kernel freed
 * every table of a space in one step). */
static void wide(uint64_t n)
{
	static volatile uint64_t src[512] __attribute__((aligned(4096)));
	int64_t t = sys_task_create(), r = 0;
	uint64_t made = 0;

	src[0] = 1;
	CHECK(t > 0);
	CHECK(sys_task_quota((uint64_t)t, (int64_t)n + 64, NULL) > 0);
	for (; made < n; made++)
		if ((r = sys_map((uint64_t)t, (uint64_t)src, (1ul << 30) + (made << 21), MAP_R)) < 0)
			break;
	printf("teardown: %lu sparse pages mapped into one task (%ld)\n", (unsigned long)made,
	       (long)r);
	CHECK(made > n / 2);
	destroy_watched(t);
}

static void pagers(int n)
{
	int64_t q = sys_task_create(), ep[64], slot[64], th[64], f;
	struct ipc_msg m = { 0 };

	CHECK(q > 0 && n < 63);
	CHECK_EQ(guest_map((uint64_t)q), 0);
	for (int i = 0; i <= n; i++) {
		ep[i] = sys_endpoint_create();
		slot[i] = sys_handle_grant((uint64_t)q, (uint64_t)ep[i], 0, RIGHTS_ALL);
		CHECK(ep[i] > 0 && slot[i] > 0);
	}
	/* Server i serves ep[i] and faults to ep[i + 1]; ep[n] is ours. */
	for (int i = 0; i < n; i++) {
		th[i] = sys_thread_create((uint64_t)q, (uint64_t)guest_serve, 0, (uint64_t)slot[i],
					  (uint64_t)ep[i + 1], (uint64_t)i);
		CHECK(th[i] > 0);
	}
	f = sys_thread_create((uint64_t)q, 0, 0, 0, (uint64_t)ep[0], 100);	/* faults at once */
	CHECK(f > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep[n], &m), 0);	/* the last server's fault */
	CHECK_EQ(m.w[3], FAULT_KIND_PAGE);
	CHECK_EQ(m.badge, (uint64_t)n - 1);
	CHECK_EQ(sys_task_destroy((uint64_t)q), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep[n], &m), 0);	/* its death */
	CHECK_EQ(m.w[3], FAULT_KIND_EXIT);
	CHECK_EQ(m.w[0], THREAD_EXIT_KILLED);
	CHECK_EQ(m.badge, (uint64_t)n - 1);
	CHECK_EQ(m.w[2], 0);	/* its fault was at address 0 */
	CHECK_EQ(sys_handle_close((uint64_t)q), 0);
	for (int i = 0; i < n; i++)
		CHECK_EQ(sys_handle_close((uint64_t)th[i]), 0);
	CHECK_EQ(sys_handle_close((uint64_t)f), 0);
	for (int i = 0; i <= n; i++)
		CHECK_EQ(sys_handle_close((uint64_t)ep[i]), 0);
}

static uint64_t rng;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

#define NT 8

static void random_round(void)
{
	int64_t tasks[NT], ep = sys_endpoint_create(), extra[64];
	int nextra = 0;

	CHECK(ep > 0);
	for (int i = 0; i < NT; i++) {
		tasks[i] = sys_task_create();
		CHECK(tasks[i] > 0);
		CHECK_EQ(guest_map((uint64_t)tasks[i]), 0);
	}
	for (int step = 0; step < 40; step++) {
		int i = (int)rnd(NT), j = (int)rnd(NT);
		int64_t r = 0;
		uint64_t op = rnd(7);
		switch (op) {
		case 0:	/* i holds j (cycles allowed) */
		case 1:
			r = sys_handle_grant((uint64_t)tasks[i], (uint64_t)tasks[j], 0, RIGHTS_ALL);
			break;
		case 2:	/* i holds our endpoint */
			r = sys_handle_grant((uint64_t)tasks[i], (uint64_t)ep, 0, RIGHTS_ALL);
			break;
		case 3:	/* a spinner in i */
			r = sys_thread_create((uint64_t)tasks[i], (uint64_t)guest_spin, 0, 0, 0, 0);
			break;
		case 4:	/* a thread in i blocked in a fault on our endpoint */
			r = sys_thread_create((uint64_t)tasks[i], 0, 0, 0, (uint64_t)ep, 9);
			break;
		case 5:	/* a short chain under i */
			r = sys_thread_create((uint64_t)tasks[i], (uint64_t)guest_chain, 0,
					      1 + rnd(4), 0, 0);
			break;
		case 6:	/* destroy i now (it stays named) */
			CHECK_EQ(sys_task_destroy((uint64_t)tasks[i]), 0);
			continue;
		}
		if (op >= 3 && op <= 5) {	/* a thread handle in our table */
			CHECK(r > 0 || r == -ERR_SRCH);	/* i destroyed */
			if (r > 0 && nextra < 64)
				extra[nextra++] = r;
			else if (r > 0)
				CHECK_EQ(sys_handle_close((uint64_t)r), 0);
		}
		if (rnd(16) == 0)
			sys_yield();	/* let spinners and chains run */
	}
	/* Close in random order; destroy only some first: cycles among the
	 * rest are broken by destroying them too, as a process end would. */
	for (int k = 0; k < NT; k++) {
		int i = (int)rnd(NT);
		if (rnd(2))
			CHECK_EQ(sys_task_destroy((uint64_t)tasks[i]), 0);
		else if (rnd(8) == 0)
			sys_yield();
	}
	for (int i = 0; i < NT; i++) {
		CHECK_EQ(sys_task_destroy((uint64_t)tasks[i]), 0);
		CHECK_EQ(sys_handle_close((uint64_t)tasks[i]), 0);
	}
	for (int k = 0; k < nextra; k++)
		CHECK_EQ(sys_handle_close((uint64_t)extra[k]), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct kernel_info k0;

	guest_touch();
	CHECK_EQ(sys_kernel_info(&k0), 0);
	if (!strcmp(what, "hang")) {
		hang();
	} else if (!strcmp(what, "pagers")) {
		pagers(argc > 2 ? atoi(argv[2]) : 40);
	} else if (!strcmp(what, "random")) {
		uint64_t rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 50;
		rng = argc > 3 ? strtoul(argv[3], NULL, 0) : 1;
		printf("teardown: random graphs, %lu rounds, seed %lu\n", (unsigned long)rounds,
		       (unsigned long)rng);
		rng = rng * 2654435761u + 1;
		for (uint64_t r = 0; r < rounds; r++)
			random_round();
	} else if (!strcmp(what, "chain")) {
		chain(argc > 2 ? strtoul(argv[2], NULL, 0) : 2000);
	} else if (!strcmp(what, "wide")) {
		wide(argc > 2 ? strtoul(argv[2], NULL, 0) : 1000);
	} else {
		printf("FAIL: test_teardown: unknown mode \"%s\"\n", what);
		return 1;
	}
	counts_back(&k0);
	return t_done(!strcmp(what, "hang") ? "teardown_hang" :
		      !strcmp(what, "random") ? "teardown_random" :
		      !strcmp(what, "pagers") ? "teardown_pagers" :
		      !strcmp(what, "wide") ? "teardown_wide" : "teardown_chain");
}
