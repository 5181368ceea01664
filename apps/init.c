/*
 * The default first program: says hello and shows the system is alive.
 */
#include <stdio.h>
#include "libsys.h"

int main(int argc, char **argv)
{
	(void)argc;
	printf("init: hello from user space (pid %lu, %s)\n",
	       (unsigned long)libsys_start_info.pid, argv[0]);
	return 0;
}
