/*
 * Every thread death reaches the pager, so no process end is lost:
 *  - a process whose only thread calls SYS_THREAD_EXIT (instead of asking
 *    the pager to exit) ends: its parent's waitpid returns, "killed";
 *  - a process whose thread the kernel kills (here: its fault cannot be
 *    mapped because another process has emptied the kernel pool, so the
 *    pager's reply fails) ends the same way.
 * Before, both stayed "live" in the pager forever, their tasks leaked and
 * the parent's waitpid never returned. The kernel's task and thread counts
 * come back to where they started.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

static uint8_t src_page[4096] __attribute__((aligned(4096)));

/* The child that faults late: map (not touch) 8 MiB, say we are ready,
 * give the parent time to empty the kernel pool, then touch a page in a
 * 2 MiB region that has no page table yet. */
static int fault_late(void)
{
	volatile uint8_t *p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	sys_notify(libsys_start_info.granted);
	for (int i = 0; i < 2000; i++)
		sys_yield();
	p[6 << 20] = 1;
	return 7;	/* the kernel had memory after all: not killed */
}

static int64_t run_child(const char *mode, uint64_t grant)
{
	const char *argv[] = { "test_death", mode, NULL };

	return spawn(argv, grant);
}

static void counts_back(const struct kernel_info *k0)
{
	struct kernel_info k;

	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(sys_kernel_info(&k), 0);
		if (k.ntasks == k0->ntasks && k.nthreads == k0->nthreads)
			break;
		sys_yield();
	}
	printf("death: tasks %lu, threads %lu (were %lu, %lu)\n", (unsigned long)k.ntasks,
	       (unsigned long)k.nthreads, (unsigned long)k0->ntasks, (unsigned long)k0->nthreads);
	CHECK_EQ(k.ntasks, k0->ntasks);
	CHECK_EQ(k.nthreads, k0->nthreads);
}

int main(int argc, char **argv)
{
	struct kernel_info k0;
	int status = 0;
	int64_t pid, r = 0;

	if (argc > 1 && !strcmp(argv[1], "thread-exit")) {
		sys_thread_exit();
		return 3;	/* not reached */
	}
	if (argc > 1 && !strcmp(argv[1], "fault-late"))
		return fault_late();

	CHECK_EQ(sys_kernel_info(&k0), 0);
	/* 1. SYS_THREAD_EXIT. */
	pid = run_child("thread-exit", 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	counts_back(&k0);

	/* 2. A kernel kill: the child's fault reply cannot be carried out. */
	int64_t ready = sys_notif_create(), x = sys_task_create();
	CHECK(ready > 0 && x > 0);
	src_page[0] = 1;
	pid = run_child("fault-late", (uint64_t)ready);
	CHECK(pid > 0);
	CHECK(sys_wait((uint64_t)ready) > 0);
	/* Empty the kernel pool: page tables for sparse mappings in x. No
	 * output and nothing new touched until it is given back. */
	uint64_t n = 0;
	for (; n < 100000; n++) {
		r = sys_map((uint64_t)x, (uint64_t)src_page, 0x100000000ul + (n << 21), MAP_R);
		if (r < 0)
			break;
	}
	int64_t w = waitpid((pid_t)pid, &status, 0);
	CHECK_EQ(sys_task_destroy((uint64_t)x), 0);	/* give the pool back */
	CHECK_EQ(sys_handle_close((uint64_t)x), 0);
	printf("death: pool emptied after %lu maps (%ld); the child %s\n", (unsigned long)n,
	       (long)r, WIFSIGNALED(status) ? "was killed" : "exited");
	CHECK_EQ(w, pid);
	CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 7));
	CHECK_EQ(sys_handle_close((uint64_t)ready), 0);
	counts_back(&k0);
	return t_done("death");
}
