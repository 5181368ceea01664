/*
 * Isolation: what one process does cannot reach another's memory or
 * disturb its requests.
 *  - Fault-badge forgery: a thread we create with our pager handle and
 *    init's pid as its fault badge gets our badge instead, and the pager
 *    refuses to page it: nothing of anyone's is mapped into it.
 *  - A one-way send to the pager does not steal the reply a waiting
 *    parent is owed.
 *  - kill is limited to oneself and one's descendants.
 *  - Pages can be mapped only into one's own task or tasks one created;
 *    SYS_PROTECT never adds W to a page mapped without it.
 *  - The tasks a process created die with it.
 *  - With no file server, a child of init cannot make itself one (only
 *    the child init names may register: it would see everyone's files).
 */
#include <signal.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

static int run(const char *mode, uint64_t grant)
{
	const char *argv[] = { "test_child", mode, NULL };
	int64_t pid = spawn(argv, grant);
	int status = -1;

	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	return status;
}

int main(void)
{
	struct task_info ti;
	struct kernel_info k0, k1;
	struct ipc_msg m;
	int status;

	/* Forged fault badge. */
	int64_t task = sys_task_create();
	CHECK(task > 0);
	int64_t th = sys_thread_create((uint64_t)task, 0x10000, 0, 0, libsys_start_info.pager, 1);
	CHECK(th > 0);
	for (int i = 0; i < 100 && sys_task_info((uint64_t)task, &ti) == 0 && ti.nthreads; i++)
		sys_yield();
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);		/* refused, stopped */
	CHECK_EQ(ti.mapped_pages, 0);		/* and nothing was mapped */

	/* Protect never adds W: map our read-only text into our task. */
	uint64_t text = (uint64_t)main & ~(PAGE_SIZE - 1);
	CHECK_EQ(sys_map((uint64_t)task, text, 0x40000000, MAP_R), 0);
	CHECK_EQ(sys_protect((uint64_t)task, 0x40000000, 1, MAP_R | MAP_W), 0);	/* nothing changed */
	CHECK_EQ(sys_protect((uint64_t)task, 0x40000000, 1, MAP_R | MAP_X), 1);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_handle_close((uint64_t)task), 0);

	/* A send while a parent's wait is deferred. */
	int64_t waiter;
	{
		const char *argv[] = { "test_child", "wait-spinner", NULL };
		waiter = spawn(argv, 0);
		CHECK(waiter > 0);
	}
	for (int i = 0; i < 50; i++)
		sys_yield();	/* let it spawn its spinner and block in wait */
	m = (struct ipc_msg){ .info = ipc_info(PAGER_GETPID, 0, 0) };
	CHECK_EQ(ipc_send(libsys_start_info.pager, &m), 0);
	CHECK_EQ(kill((pid_t)(waiter + 1), SIGKILL), 0);	/* its spinner */
	CHECK_EQ(waitpid((pid_t)waiter, &status, 0), waiter);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* kill outside one's family is refused. */
	status = run("kill-init", 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Mapping into a task one did not create is refused. */
	int64_t other = sys_task_create();
	CHECK(other > 0);
	status = run("map-granted", (uint64_t)other);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sys_handle_close((uint64_t)other), 0);

	/* A process's tasks die with it. */
	CHECK_EQ(sys_kernel_info(&k0), 0);
	int64_t ready = sys_notif_create();
	const char *argv[] = { "test_child", "make-task", NULL };
	int64_t pid = spawn(argv, (uint64_t)ready);
	CHECK(ready > 0 && pid > 0);
	CHECK(sys_wait((uint64_t)ready) > 0);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.ntasks, k0.ntasks + 2);
	CHECK_EQ(k1.nthreads, k0.nthreads + 2);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(sys_kernel_info(&k1), 0);
	CHECK_EQ(k1.ntasks, k0.ntasks);
	CHECK_EQ(k1.nthreads, k0.nthreads);
	status = run("fs-register", 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return t_done("isolation");
}
