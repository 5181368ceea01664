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

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int munmap(void *addr, size_t length);
int mprotect(void *addr, size_t length, int prot);
int madvise(void *addr, size_t length, int advice);
int msync(void *addr, size_t length, int flags);
void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);

#endif
