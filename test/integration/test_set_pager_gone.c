/*
 * Found by the fuzzer (kernel.fuzz, FZ_SYSCALL): SYS_THREAD_SET_PAGER on
 * a thread whose fault is still queued at its old pager endpoint, when
 * that thread's reference is the endpoint's last (its handle closed).
 * Dropping the reference freed the endpoint with the thread on its
 * queue; freeing it killed the thread (a fault nobody can receive), and
 * the kill took the thread off the queue it had just been popped from:
 * "KERNEL PANIC: assertion failed: t->qprev || q->head == t".
 * The same when the endpoint goes later (its last handle closed after
 * the pager was changed while the fault was queued). An unprivileged
 * child does both (no device handle, only its pager's). Now the thread
 * is killed, as any thread whose fault can no longer be received: its
 * death message goes to its new pager.
 *
 * Chained, the same is an attack on the kernel stack: thread i's fault
 * waits at endpoint E(i), its pager is then E(i+1), and only thread i
 * holds E(i+1). Closing E(0) frees E(0), which kills thread 0, which
 * drops E(1), which kills thread 1, ... Freeing was recursive, a few
 * hundred bytes of the 16 KiB kernel stack a link; now the frees are a
 * list worked off in a loop.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi/fault.h"
#include "libsys.h"
#include "t.h"

#define BAD_VA 0x50000000ul

/* A thread in a new task that faults at once (nothing is mapped there),
 * its pager a new endpoint whose handle is then closed: only the thread
 * keeps the endpoint. */
static int64_t orphan_fault(int64_t *task)
{
	int64_t ep = sys_endpoint_create(), th;

	*task = sys_task_create();
	CHECK(ep > 0 && *task > 0);
	th = sys_thread_create((uint64_t)*task, BAD_VA, 0, 0, (uint64_t)ep, 7);
	CHECK(th > 0);
	for (int i = 0; i < 8; i++)
		sys_yield();	/* it runs and faults: queued at ep */
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	return th;
}

/* As many links as the child's kernel quota allows (hundreds). */
static int chain(void)
{
	int64_t task = sys_task_create(), ep = sys_endpoint_create(), first = ep, th, next;
	int n = 0;

	CHECK(task > 0 && ep > 0);
	th = sys_thread_create((uint64_t)task, BAD_VA, 0, 0, (uint64_t)ep, 1);
	CHECK(th > 0);
	for (; n < 2000; n++) {
		for (int i = 0; i < 4; i++)
			sys_yield();	/* thread n runs and faults: queued at ep */
		if ((next = sys_endpoint_create()) < 0)
			break;
		CHECK_EQ(sys_thread_set_pager((uint64_t)th, (uint64_t)next, 1), 0);
		CHECK_EQ(sys_handle_close((uint64_t)th), 0);
		if (ep != first)
			CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
		ep = next;
		if ((th = sys_thread_create((uint64_t)task, BAD_VA, 0, 0, (uint64_t)ep, 1)) < 0)
			break;
	}
	if (th > 0)
		sys_handle_close((uint64_t)th);
	if (ep != first)
		sys_handle_close((uint64_t)ep);
	CHECK_EQ(sys_handle_close((uint64_t)first), 0);	/* the whole chain goes */
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)task), 0);
	return n;
}

static void child(void)
{
	int links = chain();

	printf("set_pager_gone: a chain of %d endpoints freed\n", links);
	CHECK(links > 100);

	struct task_info ti;
	struct ipc_msg m;
	int64_t task, th, ep, ep2;

	/* To no pager: the old endpoint goes, the thread dies. */
	th = orphan_fault(&task);
	CHECK_EQ(sys_thread_set_pager((uint64_t)th, 0, 0), 0);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);

	/* To another endpoint: its death message goes there. */
	th = orphan_fault(&task);
	ep2 = sys_endpoint_create();
	CHECK(ep2 > 0);
	CHECK_EQ(sys_thread_set_pager((uint64_t)th, (uint64_t)ep2, 9), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep2, &m), 0);
	CHECK_EQ(ipc_label(m.info), THREAD_EXIT_LABEL);
	CHECK_EQ(m.w[0], THREAD_EXIT_PAGER_GONE);
	CHECK_EQ(m.badge, 9);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);

	/* The endpoint kept by a handle when the pager changes, closed
	 * afterwards with the fault still queued. */
	ep = sys_endpoint_create();
	task = sys_task_create();
	CHECK(ep > 0 && task > 0);
	th = sys_thread_create((uint64_t)task, BAD_VA, 0, 0, (uint64_t)ep, 7);
	CHECK(th > 0);
	for (int i = 0; i < 8; i++)
		sys_yield();
	CHECK_EQ(sys_thread_set_pager((uint64_t)th, (uint64_t)ep2, 11), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	CHECK_EQ(ipc_recv((uint64_t)ep2, &m), 0);
	CHECK_EQ(ipc_label(m.info), THREAD_EXIT_LABEL);
	CHECK_EQ(m.badge, 11);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	_exit(t_failures ? 1 : 0);
}

int main(void)
{
	struct kernel_info k0, k1;
	int status = -1;
	pid_t pid;

	CHECK_EQ(sys_kernel_info(&k0), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child();
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	return t_done("set_pager_gone");
}
