/*
 * picolibc's <sys/features.h>, plus the POSIX options this system
 * provides (docs/posix.md). Every picolibc header that tests an option
 * (<unistd.h>, <time.h>, ...) includes this, so the option macros are
 * seen wherever POSIX says they are, and <time.h> declares
 * clock_gettime and nanosleep.
 */
#ifndef LIBSYS_SYS_FEATURES_H
#define LIBSYS_SYS_FEATURES_H

#include_next <sys/features.h>

#ifndef _POSIX_VERSION
#define _POSIX_VERSION			200809L
#endif
#define _POSIX_FSYNC			200809L	/* fsync */
#define _POSIX_SYNCHRONIZED_IO		200809L	/* fdatasync, msync */
#define _POSIX_MAPPED_FILES		200809L	/* mmap of files */
#define _POSIX_MEMORY_PROTECTION	200809L	/* mprotect */
#define _POSIX_MEMLOCK			200809L	/* mlockall */
#define _POSIX_MEMLOCK_RANGE		200809L	/* mlock */
#define _POSIX_ADVISORY_INFO		200809L	/* posix_madvise */
#define _POSIX_TIMERS			200809L	/* clock_gettime, nanosleep */
#define _POSIX_MONOTONIC_CLOCK		200809L	/* CLOCK_MONOTONIC */
#define _POSIX_CLOCK_SELECTION		200809L	/* clock_nanosleep */
#define _POSIX_NO_TRUNC			1	/* long names: ENAMETOOLONG */

#endif
