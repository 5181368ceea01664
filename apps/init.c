/*
 * The default first program: says hello, then runs pmap to show its own
 * address space, as the pager sees it. With a virtio-blk disk holding the
 * build's ext2 image (cmake --build build --target run_disk), it then
 * starts the file server and runs the shell's demo script from the disk.
 */
#include <stdio.h>
#include <sys/wait.h>
#include "libsys.h"
#include "libsys_file.h"

static void disk_demo(void)
{
	const struct proc_start *ps = &libsys_start_info;
	const char *sh[] = { "/bin/sh", "/etc/demo.sh", NULL };
	int status;

	if (fs_start(ps->devices, ps->ndevices) < 0)
		return;	/* no disk */
	int64_t pid = spawn_path(sh, 0);
	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
}

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
	disk_demo();
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
