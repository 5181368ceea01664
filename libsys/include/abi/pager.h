/*
 * The pager protocol: requests a process sends to its pager endpoint with
 * an IPC call, and the process start convention. The pager is the server;
 * libsys (lib/process.c and friends) is the client.
 *
 * Every request: info label = PAGER_*, words as listed; the reply's w[0] is
 * the result, >= 0 on success or a negated ERR_* code. The badge the pager
 * sees names the calling process (the pager gives each process a badged
 * handle), so no request carries its own pid.
 *
 *  label               request words / buffer        reply
 *  PAGER_EXIT          w0 status                      (none: the process ends)
 *  PAGER_SPAWN         buffer: argv as NUL-separated  w0 pid
 *                      strings, length = bytes;
 *                      grant flag: w5 a handle given
 *                      to the child (IPC_GRANT)
 *  PAGER_WAIT          w0 pid or -1, w1 WAIT_NOHANG   w0 pid (0: none yet), w1 status
 *  PAGER_GETPID        -                              w0 pid
 *  PAGER_KILL          w0 pid                          w0 0
 *  PAGER_PROC_STATS    -                              w0 0, w1 virtual pages, w2 resident
 *                                                     pages, w3 page-table pages
 *  PAGER_MEMINFO       -                              w0 0, w1 free pages, w2 total pages
 *
 * Exit status (as wait sees it, POSIX-shaped): exited normally with code c
 * -> (c & 0xff) << 8; killed by signal s -> s.
 */
#ifndef ABI_PAGER_H
#define ABI_PAGER_H

#include "kernel.h"

enum pager_label {
	PAGER_EXIT = 1,
	PAGER_SPAWN,
	PAGER_WAIT,
	PAGER_GETPID,
	PAGER_KILL,
	PAGER_PROC_STATS,
	PAGER_MEMINFO,
	PAGER_LABEL_COUNT
};

#define WAIT_NOHANG	1

#define PAGER_SIGKILL	9
#define PAGER_SIGSEGV	11

/*
 * Process start: the first thread of a process begins at the ELF entry
 * with a0 = struct proc_start *, sp just below it (16-byte aligned). It,
 * argv and the strings are on the initial stack page.
 */
struct proc_start {
	uint64_t argc;
	char **argv;
	uint64_t pager;		/* handle: endpoint to the pager, badged */
	uint64_t pid;
	uint64_t ipcbuf;	/* the IPC buffer page, already mapped */
	uint64_t granted;	/* handle granted by the parent at spawn, or 0 */
	uint64_t devctl;	/* the device-control handle, or 0 */
	uint64_t self_task;	/* handle to the process's own task, or 0 */
};

/* Process address-space layout. */
#define PROC_TEXT_MIN		0x10000ul
#define PROC_STACK_TOP		0x3fff000000ul
#define PROC_STACK_MAX		(8ul << 20)
#define PROC_IPCBUF_VA		0x3fff800000ul
#define PROC_SPAWN_ARGS_MAX	1024

#endif
