/*
 * <sys/mman.h> for programs (picolibc has none): POSIX memory-mapping calls,
 * served by the pager (libsys/src/mman.c); mmap of a file goes through
 * the file server first, which checks the descriptor. The values are the pager
 * protocol's (abi/pager.h), which are Linux's.
 */
#ifndef LIBSYS_SYS_MMAN_H
#define LIBSYS_SYS_MMAN_H

#include <stddef.h>
#include <sys/types.h>
#include "abi/pager.h"

#define PROT_NONE	0
#define PROT_READ	MAP_R
#define PROT_WRITE	MAP_W
#define PROT_EXEC	MAP_X

#define MAP_SHARED		PMAP_SHARED
#define MAP_PRIVATE		PMAP_PRIVATE
#define MAP_FIXED		PMAP_FIXED
#define MAP_ANONYMOUS		PMAP_ANONYMOUS
#define MAP_ANON		PMAP_ANONYMOUS
#define MAP_POPULATE		PMAP_POPULATE
#define MAP_FIXED_NOREPLACE	PMAP_FIXED_NOREPLACE
#define MAP_FAILED		((void *)-1)

#define MADV_NORMAL		PADV_NORMAL
#define MADV_RANDOM		PADV_RANDOM
#define MADV_SEQUENTIAL		PADV_SEQUENTIAL
#define MADV_WILLNEED		PADV_WILLNEED
#define MADV_DONTNEED		PADV_DONTNEED

#define MS_ASYNC		PMS_ASYNC
#define MS_INVALIDATE		PMS_INVALIDATE
#define MS_SYNC			PMS_SYNC

#define MREMAP_MAYMOVE		PREMAP_MAYMOVE
#define MREMAP_FIXED		PREMAP_FIXED

/* posix_madvise's advice (POSIX's names, the same values). */
#define POSIX_MADV_NORMAL	PADV_NORMAL
#define POSIX_MADV_RANDOM	PADV_RANDOM
#define POSIX_MADV_SEQUENTIAL	PADV_SEQUENTIAL
#define POSIX_MADV_WILLNEED	PADV_WILLNEED
#define POSIX_MADV_DONTNEED	PADV_DONTNEED

/* mlockall flags (Linux's values). */
#define MCL_CURRENT		1
#define MCL_FUTURE		2
#define MCL_ONFAULT		4

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int munmap(void *addr, size_t length);
int mprotect(void *addr, size_t length, int prot);
int madvise(void *addr, size_t length, int advice);
int msync(void *addr, size_t length, int flags);
void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);
/* Nothing is ever paged out: locking faults the range in and checks it
 * (libsys/src/mman_lock.c). */
int mlock(const void *addr, size_t len);
int munlock(const void *addr, size_t len);
int mlockall(int flags);
int munlockall(void);
int posix_madvise(void *addr, size_t len, int advice);

#endif
