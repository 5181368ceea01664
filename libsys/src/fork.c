/*
 * fork: the pager copies our address space (copy-on-write) and starts the
 * child's thread at fork_child_entry with a stack below ours and a0
 * pointing at the jmp_buf saved here; the child longjmps back into fork,
 * which then returns 0 there. Output buffered so far is flushed first so
 * it is not printed twice.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

void fork_child_entry(void);	/* fork_entry.S */

/* The child's first C code: its own IPC buffer and pid, then back into
 * fork through the copy of the parent's jmp_buf. */
_Noreturn void fork_child_start(jmp_buf *jb)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_GETPID, 0, 0) };

	uint64_t parent = libsys_start_info.pid;

	sys_ipcbuf_set(libsys_start_info.ipcbuf);
	libsys_start_info.pid = (uint64_t)pager_call(&m);
	posix_fork_child(parent);	/* getppid (posix_env.c) */
	libsys_start_info.granted = 0;
	libsys_start_info.devctl = 0;
	libsys_start_info.ndevices = 0;	/* handles are not inherited */
	longjmp(*jb, 1);
}

pid_t fork(void)
{
	jmp_buf jb;
	uint64_t sp;
	int64_t r;

	fflush(stdout);
	int64_t snap = 0;

	if (fs_connected() && (snap = fs_fork_prepare()) < 0) {
		errno = (int)-snap;	/* the file server keeps no more copies */
		return -1;
	}
	if (setjmp(jb)) {	/* the child */
		if (snap > 0)	/* our parent's descriptors, shared */
			fs_fork_child(snap);
		return 0;
	}
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	struct ipc_msg m = { .info = ipc_info(PAGER_FORK, 0, 0),
			     .w = { (uint64_t)fork_child_entry, (sp - 512) & ~15ul, (uint64_t)&jb,
				    (uint64_t)snap } };	/* for the server, if we end before binding */
	r = pager_call(&m);
	if (snap > 0)
		fs_fork_parent(snap, r);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
