/*
 * What the parts of test_attack_proc share (test_attack_proc.c says what
 * each mode checks and runs them): waiting for a child's status, the file
 * server's pipe counts, and the modes, in attack_proc_exec.c (per-task
 * pagers across exec), attack_proc_args.c (exec's arguments, descriptors)
 * and attack_proc_signals.c (signals against blocked pipes).
 */
#ifndef TEST_ATTACK_PROC_H
#define TEST_ATTACK_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "taskpager.h"
#include "pool.h"
#include "t.h"

#define PS	4096ul
#define PROBE	"/bin/xprobe"

/* pid's wait status (checked to be pid's). */
int status_of(int64_t pid);
/* pid's status within about two seconds, or -1 (then it is killed and
 * reaped: the caller's check fails, the test goes on). */
int status_soon(int64_t pid);
/* FS_PIPESTATS: the pipes open and the requests waiting on them. */
void pipestats(uint64_t *pipes, uint64_t *waiting);

void holder_exec(void);		/* attack_proc_exec.c */
void child_exec(void);
void holder_killed(void);
void exec_args(void);		/* attack_proc_args.c */
void exec_fails(void);
void fds(void);
void intr_flood(void);		/* attack_proc_signals.c */
void pipe_race(void);

#endif
