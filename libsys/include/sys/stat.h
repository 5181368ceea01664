/*
 * picolibc's <sys/stat.h>, plus what it leaves out on this target:
 * lstat (libsys/src/posix_file.c).
 */
#ifndef LIBSYS_SYS_STAT_H
#define LIBSYS_SYS_STAT_H

#include_next <sys/stat.h>

#if !defined(__SPU__) && !defined(__rtems__) && !defined(__CYGWIN__)
int lstat(const char *__restrict path, struct stat *__restrict buf);
#endif

#endif
