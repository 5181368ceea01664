/*
 * <sys/mman.h> and brk/sbrk: each a call to the pager (abi/pager.h), but
 * mmap of a file, which the file server checks first (abi/fs.h); POSIX's
 * return convention (-1 or MAP_FAILED, and errno).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"

static int64_t call(uint64_t label, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { a, b, c, d } };
	int64_t r = pager_call(&m);

	if (r < 0)
		errno = (int)-r;
	return r;
}

/*
 * A file mapping (no MAP_ANONYMOUS) goes to the file server, which
 * checks the descriptor and its mode and has the pager map the file
 * (FS_MMAP); anonymous memory goes to the pager. Without a file server
 * no descriptor is open: EBADF.
 */
void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	int64_t r;

	if (offset < 0 || (offset & (PAGE_SIZE - 1))) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (!(flags & MAP_ANONYMOUS)) {
		struct fs_mmap_req q = { .fd = fd - FD_BASE, .hint = (uint64_t)addr, .length = length,
					 .prot = (uint64_t)(unsigned)prot,
					 .flags = (uint64_t)(unsigned)flags, .offset = (uint64_t)offset };
		struct ipc_msg m = { 0 };
		if (fd < 0) {
			errno = EBADF;
			return MAP_FAILED;
		}
		if (fd < FD_BASE) {
			errno = ENODEV;	/* the console cannot be mapped */
			return MAP_FAILED;
		}
		memcpy(m.w, &q, sizeof(q));
		r = fs_conn() < 0 ? -ERR_BADF : fs_call(FS_MMAP, &m, 0);	/* no server: nothing open */
		if (r < 0) {
			errno = (int)-r;
			return MAP_FAILED;
		}
		return (void *)r;
	}
	r = call(PAGER_MMAP, (uint64_t)addr, length, (uint64_t)prot, (uint64_t)flags);
	return r < 0 ? MAP_FAILED : (void *)r;
}

/* MS_SYNC returns once the disk has the range's dirty pages. */
int msync(void *addr, size_t length, int flags)
{
	return call(PAGER_MSYNC, (uint64_t)addr, length, (uint64_t)(unsigned)flags, 0) < 0 ? -1 : 0;
}

int munmap(void *addr, size_t length)
{
	return call(PAGER_MUNMAP, (uint64_t)addr, length, 0, 0) < 0 ? -1 : 0;
}

int mprotect(void *addr, size_t length, int prot)
{
	return call(PAGER_MPROTECT, (uint64_t)addr, length, (uint64_t)prot, 0) < 0 ? -1 : 0;
}

int madvise(void *addr, size_t length, int advice)
{
	return call(PAGER_MADVISE, (uint64_t)addr, length, (uint64_t)advice, 0) < 0 ? -1 : 0;
}

/* With MREMAP_FIXED the fifth argument is the new address. */
void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MREMAP, 0, 0),
			     .w = { (uint64_t)old_address, old_size, new_size, (uint64_t)flags } };
	int64_t r;

	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		m.w[4] = (uint64_t)va_arg(ap, void *);
		va_end(ap);
	}
	if ((r = pager_call(&m)) < 0) {
		errno = (int)-r;
		return MAP_FAILED;
	}
	return (void *)r;
}

int brk(void *addr)
{
	int64_t r = call(PAGER_BRK, (uint64_t)addr, 0, 0, 0);

	if (r != (int64_t)addr) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* picolibc's malloc grows its heap here. */
void *sbrk(ptrdiff_t increment)
{
	uint64_t cur = (uint64_t)call(PAGER_BRK, 0, 0, 0, 0);

	if (increment && brk((void *)(cur + (uint64_t)increment)) < 0)
		return (void *)-1;
	return (void *)cur;
}
