/*
 * The default first program, the only one in the product's boot image
 * besides the pager, the drivers and the file server: says hello, starts
 * the disk (the blk driver and fsd), then runs every other program from
 * it by path: /bin/pmap, which shows its own address space as the pager
 * sees it, and the shell's demo script; then it starts the console driver
 * (servers/console) and the shell on it, interactive, until it exits
 * (cmake --build build --target run boots it with the build's ext2 image).
 */
#include <stdio.h>
#include <sys/wait.h>
#include "libsys.h"
#include "libsys_file.h"
#include "abi/console.h"

/* Wait for pid, reaping on the way every orphan that came to us: a
 * zombie init never reaps keeps its slot in the process table, and
 * counts under the ancestors it had (PRLIMIT_NPROC, docs/pager.md). */
static pid_t wait_for(int64_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(-1, status, 0)) > 0 && r != pid)
		;
	return r;
}

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
	wait_for(pid, &status);
}

/* Run argv from the disk and wait: its exit status, or -1. */
static int run(const char **argv)
{
	int status = 0;
	int64_t pid = spawn_path(argv, 0);

	if (pid < 0) {
		printf("init: cannot start %s: error %ld\n", argv[0], (long)-pid);
		return -1;
	}
	if (wait_for(pid, &status) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const struct proc_start *ps = &libsys_start_info;
	const char *pmap[] = { "/bin/pmap", NULL };
	const char *sh[] = { "/bin/sh", "/etc/demo.sh", NULL };
	int64_t r;

	(void)argc;
	printf("init: hello from user space (pid %lu, %s)\n", (unsigned long)ps->pid, argv[0]);
	if ((r = fs_start(ps->devices, ps->ndevices)) < 0) {
		printf("init: no disk (error %ld): every program but init is on it; "
		       "boot with one (cmake --build build --target run)\n", (long)-r);
		return 1;
	}
	int st = run(pmap);
	run(sh);
	printf("init: done\n");
	console_shell();
	return st == 0 ? 0 : 1;
}
