/*
 * The default first program: says hello, then runs pmap to show its own
 * address space, as the pager sees it. With a virtio-blk disk holding the
 * build's ext2 image (cmake --build build --target run_disk), it then
 * starts the file server, runs the shell's demo script from the disk,
 * then starts the console driver (servers/console) and the shell on it,
 * interactive, until it exits.
 */
#include <stdio.h>
#include <sys/wait.h>
#include "libsys.h"
#include "libsys_file.h"
#include "abi/console.h"

/* The shell on the console: the driver gets the UART, the shell a
 * client handle (badge 1) to read its input with. */
static void console_shell(void)
{
	const struct proc_start *ps = &libsys_start_info;
	const char *sh[] = { "/bin/sh", NULL };
	int64_t ep = console_spawn(ps->devices, ps->ndevices, NULL), client = ep, pid;
	int status;

	if (ep < 0 || (client = console_client((uint64_t)ep, 1)) < 0) {
		printf("init: no console input (%ld)\n", (long)client);
		return;
	}
	if ((pid = spawn_path(sh, (uint64_t)client)) < 0) {
		printf("init: cannot start /bin/sh (%ld)\n", (long)pid);
		return;
	}
	sys_handle_close((uint64_t)client);
	waitpid((pid_t)pid, &status, 0);
}

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
	console_shell();
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
