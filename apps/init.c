/*
 * The default first program: says hello, then runs pmap to show its own
 * address space, as the pager sees it.
 */
#include <stdio.h>
#include <sys/wait.h>
#include "libsys.h"

int main(int argc, char **argv)
{
	const char *pmap[] = { "pmap", NULL };
	int64_t pid;
	int status = 0;

	(void)argc;
	printf("init: hello from user space (pid %lu, %s)\n",
	       (unsigned long)libsys_start_info.pid, argv[0]);
	pid = spawn(pmap, 0);
	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
