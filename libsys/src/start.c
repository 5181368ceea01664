/*
 * C runtime start: record the start information, zero nothing (the pager
 * hands out zeroed .bss), register the IPC buffer, run main and exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include "libsys.h"
#include "libsys_posix.h"

int main(int argc, char **argv);

_Noreturn void libsys_start(const struct proc_start *ps)
{
	int argc;

	libsys_start_info = *ps;
	sys_ipcbuf_set(ps->ipcbuf);
	argc = posix_start((int)ps->argc, ps->argv);	/* inherited state */
	exit(main(argc, ps->argv));
}
