/*
 * A fault reply that frees the replier's own task (the kernel must keep
 * the thread running a system call, and what it uses, valid until the
 * call returns, and never queue a thread that died in its own call).
 *
 * Q is a task of ours; a thread in Q makes a child task P with a replier
 * thread R in it, serving our endpoint E, and exits. A thread C2 in Q
 * faults, with E as its pager. When we have closed our handle to Q, C2
 * holds Q's last reference, so R's malformed reply (in reply_recv) kills
 * C2, which frees Q, whose teardown kills P and R. The old kernel then
 * queued the freed R on E; the next fault sent to E went to it.
 * Afterwards we serve E ourselves: a fault and a death message arrive,
 * and the kernel's task and thread counts are back where they started.
 */
#include <stdbool.h>
#include <stdio.h>
#include "abi/fault.h"
#include "guest.h"
#include "t.h"

void reply_setup(void);
void replier(void);

/* reply_setup runs in Q (E in its slot 1); replier runs in P (E in slot 1)
 * and counts the messages it takes in guest_page[2]. */
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl reply_setup\n"
	"reply_setup:\n"
	"	li t0, 13\n"			/* P = task_create() */
	"	ecall\n"
	"	bltz a0, 8f\n"
	"	mv s2, a0\n"
	"	la a1, reply_setup\n"		/* our code into P */
	"	mv a2, a1\n"
	"	li a3, 5\n"
	"	li t0, 20\n"
	"	ecall\n"
	"	bnez a0, 8f\n"
	"	mv a0, s2\n"			/* the data page */
	"	la a1, guest_page\n"
	"	mv a2, a1\n"
	"	li a3, 3\n"
	"	li t0, 20\n"
	"	ecall\n"
	"	bnez a0, 8f\n"
	"	mv a0, s2\n"			/* E into P's slot 1 */
	"	li a1, 1\n"
	"	li a2, 0\n"
	"	li a3, 15\n"
	"	li t0, 19\n"
	"	ecall\n"
	"	bltz a0, 8f\n"
	"	mv a0, s2\n"			/* R = thread_create(P, replier) */
	"	la a1, replier\n"
	"	li a2, 0\n"
	"	li a3, 0\n"
	"	li a4, 0\n"
	"	li a5, 0\n"
	"	li t0, 16\n"
	"	ecall\n"
	"	bltz a0, 8f\n"
	"	la t2, guest_page\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"9:	li t0, 17\n"			/* thread_exit */
	"	ecall\n"
	"8:	la t2, guest_page + 8\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"	j 9b\n"
	".globl replier\n"
	"replier:\n"
	"	li a0, 1\n"			/* recv(E): a fault */
	"	li a1, 0\n"
	"	li t0, 5\n"
	"	ecall\n"
	"	la t2, guest_page + 16\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"	li a0, 1\n"			/* reply_recv(E) with label 99 */
	"	li a1, 0x630000\n"
	"	li t0, 6\n"
	"	ecall\n"
	"1:	la t2, guest_page + 16\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"	li a0, 1\n"
	"	li a1, 0\n"
	"	li t0, 5\n"
	"	ecall\n"
	"	j 1b\n"
	".balign 4096\n"
	".popsection\n");

static void wait_for(volatile uint64_t *v, uint64_t n)
{
	for (long i = 0; i < 1000000 && *v < n; i++)
		sys_yield();
	CHECK(*v >= n);
}

static bool counts_are(const struct kernel_info *k0)
{
	struct kernel_info k;

	for (int i = 0; i < 1000; i++) {
		if (sys_kernel_info(&k) == 0 && k.ntasks == k0->ntasks && k.nthreads == k0->nthreads)
			return true;
		sys_yield();
	}
	printf("reply_kill: %lu tasks, %lu threads (were %lu, %lu)\n", (unsigned long)k.ntasks,
	       (unsigned long)k.nthreads, (unsigned long)k0->ntasks, (unsigned long)k0->nthreads);
	return false;
}

int main(void)
{
	struct kernel_info k0;
	struct task_info ti;
	struct ipc_msg m = { 0 };
	int64_t ep = sys_endpoint_create(), q = sys_task_create(), c, c2;

	guest_touch();
	(void)*(volatile uint32_t *)(uintptr_t)reply_setup;
	CHECK(ep > 0 && q > 0);
	CHECK_EQ(sys_kernel_info(&k0), 0);
	k0.ntasks--;	/* q goes in the end */
	CHECK_EQ(guest_map((uint64_t)q), 0);
	CHECK_EQ(sys_map((uint64_t)q, (uint64_t)reply_setup, (uint64_t)reply_setup, MAP_R | MAP_X), 0);
	CHECK_EQ(sys_handle_grant((uint64_t)q, (uint64_t)ep, 0, RIGHTS_ALL), 1);
	c = sys_thread_create((uint64_t)q, (uint64_t)reply_setup, 0, 0, 0, 0);
	CHECK(c > 0);
	wait_for(&guest_page[0], 1);
	CHECK_EQ(guest_page[1], 0);
	for (int i = 0; i < 1000 && sys_task_info((uint64_t)q, &ti) == 0 && ti.nthreads; i++)
		sys_yield();	/* the setup thread has exited */
	CHECK_EQ(ti.nthreads, 0);

	c2 = sys_thread_create((uint64_t)q, 0, 0, 0, (uint64_t)ep, 5);	/* faults at once */
	CHECK(c2 > 0);
	CHECK_EQ(sys_handle_close((uint64_t)q), 0);	/* C2 holds Q's last reference */
	wait_for(&guest_page[2], 1);			/* R took the fault */
	CHECK(counts_are(&k0));				/* C2, Q, P and R are gone */

	/* E still works: we serve it now. */
	int64_t x = sys_task_create();
	int64_t th = sys_thread_create((uint64_t)x, 0, 0, 0, (uint64_t)ep, 6);
	CHECK(x > 0 && th > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(ipc_label(m.info), FAULT_LABEL);
	CHECK_EQ(m.badge, 6);
	m = (struct ipc_msg){ .info = ipc_info(FAULT_REPLY_KILL, 0, 0) };
	CHECK_EQ(ipc_reply((uint64_t)th, &m), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	CHECK_EQ(ipc_label(m.info), THREAD_EXIT_LABEL);
	CHECK_EQ(m.w[0], THREAD_EXIT_FAULT_KILL);
	CHECK_EQ(m.badge, 6);
	CHECK_EQ(sys_task_destroy((uint64_t)x), 0);
	CHECK_EQ(sys_handle_close((uint64_t)x), 0);
	CHECK_EQ(sys_handle_close((uint64_t)th), 0);
	CHECK_EQ(sys_handle_close((uint64_t)c), 0);
	CHECK_EQ(sys_handle_close((uint64_t)c2), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	CHECK(counts_are(&k0));
	return t_done("reply_kill");
}
