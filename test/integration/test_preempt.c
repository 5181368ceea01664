/*
 * Preemption: a child that spins forever without a syscall does not stop
 * us. It signals a notification once running; we then count and call the
 * pager (which needs the CPU too), kill it, and reap it.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "t.h"

int main(void)
{
	int64_t n = sys_notif_create();
	const char *argv[] = { "test_child", "spin", NULL };
	int status;

	CHECK(n > 0);
	int64_t pid = spawn(argv, (uint64_t)n);
	CHECK(pid > 0);
	CHECK(sys_wait((uint64_t)n) > 0);	/* the spinner runs */
	for (int i = 0; i < 20; i++) {
		volatile uint64_t spin = 0;
		while (spin < 200000)	/* long enough to span timer ticks */
			spin++;
		struct ipc_msg m = { .info = ipc_info(PAGER_GETPID, 0, 0) };
		CHECK_EQ(pager_call(&m), getpid());
	}
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return t_done("preempt");
}
