/*
 * picolibc's <sys/wait.h> (wait, waitpid, WNOHANG, WIFEXITED,
 * WEXITSTATUS, WIFSIGNALED, WTERMSIG, WIFSTOPPED, WSTOPSIG), plus the
 * status macros it lacks. The pager's statuses have this layout too
 * (abi/pager.h): exit code c is (c & 0xff) << 8, death by signal s is s.
 */
#ifndef LIBSYS_SYS_WAIT_H
#define LIBSYS_SYS_WAIT_H

#include_next <sys/wait.h>

#ifndef WCONTINUED
#define WCONTINUED	8
#endif
#ifndef WIFCONTINUED
#define WIFCONTINUED(w)	((w) == 0xffff)
#endif
#ifndef WCOREDUMP
#define WCOREDUMP(w)	(((w) & 0x80) != 0)
#endif

#endif
