/*
 * Shadow tasks: a new task that shares this process's program image (text,
 * data and bss: the same frames, mapped by SYS_MAP), so that threads made
 * in it run this program's functions on its globals. It is how a program
 * gets more threads, each with the thread handles (and so the control
 * rights) the kernel gives their creator. A shadow thread runs with its own
 * handle table (grant it what it needs), must not fault unless its pager
 * is there to serve it, and must keep to syscalls and plain code: no libc
 * calls (its errno, stdio and heap belong to the main thread).
 */
#ifndef LIBSYS_SHADOW_H
#define LIBSYS_SHADOW_H

#include <stdint.h>

/* A task handle, or a negated ERR_*. */
int64_t shadow_task_create(void);
/* A thread in shadow task `task` running fn(arg) on the given stack (in
 * the image, e.g. a static array), ending when fn returns. pager and
 * badge as for sys_thread_create. A thread handle, or a negated ERR_*. */
int64_t shadow_thread(uint64_t task, void (*fn)(uint64_t), uint64_t arg, void *stack,
		      uint64_t stack_size, uint64_t pager, uint64_t badge);

#endif
