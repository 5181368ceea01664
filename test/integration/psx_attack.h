/*
 * Shared by the POSIX-layer tests booted as init over a copy of the disk
 * image (test_notices.c, test_psxgaps.c): fork's first half by hand (a
 * parent that ends before it binds its descriptor snapshot) and the end
 * every mode has (the pager's checker, then the PASS or FAIL line).
 */
#ifndef TEST_PSX_ATTACK_H
#define TEST_PSX_ATTACK_H

#include <setjmp.h>
#include <stdio.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

void fork_child_entry(void);	/* libsys/src/fork_entry.S */

/* libsys's fork (fork.c) as a parent killed right after PAGER_FORK
 * would run it: the snapshot prepared and named to the pager (w3), the
 * child made, and no FS_FORK_BIND. The child returns 0 here. */
static __attribute__((unused)) pid_t fork_unbound(void)
{
	jmp_buf jb;
	uint64_t sp;
	int64_t snap = fs_fork_prepare();

	if (setjmp(jb)) {
		if (snap > 0)
			fs_fork_child(snap);
		return 0;
	}
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	struct ipc_msg m = { .info = ipc_info(PAGER_FORK, 0, 0),
			     .w = { (uint64_t)fork_child_entry, (sp - 512) & ~15ul, (uint64_t)&jb,
				    (uint64_t)snap } };
	return (pid_t)pager_call(&m);
}

/* After mode `what` of test `test`: the pager's checker passes, then the
 * result line for "test_what"; main's exit status. */
static __attribute__((unused)) int psx_done(const char *test, const char *what)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_CHECK, 0, 0) };
	char name[40];

	CHECK_EQ(pager_call(&m), 0);
	snprintf(name, sizeof(name), "%s_%s", test, what);
	return t_done(name);
}

#endif
