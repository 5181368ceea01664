/*
 * Programs from the disk: spawn_path reads the ELF file through the file
 * server into our own memory and hands it to the pager
 * (PAGER_SPAWN_IMAGE), which copies it from our pages and starts it. The
 * pager never waits on the file server: we do the waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

/*
 * The file goes into a buffer of mapped anonymous memory kept from one
 * call to the next (grown when a larger file comes, given back when it is
 * large): after the first call its pages are already there, and nothing
 * clears them first (picolibc's malloc clears what it hands out, a byte
 * at a time: 68,000 instructions for a 17 KiB program).
 */
#define IMAGE_KEEP	(256u << 10)	/* kept between calls up to this size */

static uint8_t *image_buf;
static uint64_t image_cap;

static uint8_t *image_get(uint64_t len)
{
	uint64_t cap = (len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	void *p;

	if (image_buf && image_cap >= len)
		return image_buf;
	if (image_buf)
		munmap(image_buf, image_cap);
	image_buf = NULL;
	image_cap = 0;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	image_buf = p;
	image_cap = cap;
	return image_buf;
}

static void image_put(void)
{
	if (image_buf && image_cap > IMAGE_KEEP) {
		munmap(image_buf, image_cap);
		image_buf = NULL;
		image_cap = 0;
	}
}

int64_t spawn_path(const char *const argv[], uint64_t grant)
{
	return spawn_path_flags(argv, grant, 0);
}

int64_t spawn_path_flags(const char *const argv[], uint64_t grant, uint64_t flags)
{
	struct ipc_msg m = { 0 };
	struct stat st = { 0 };		/* read below even if fstat fails */
	uint64_t len = 0;
	uint8_t *image;
	int fd;
	int64_t r;

	if (!argv || !argv[0])
		return -ERR_INVAL;
	if ((fd = open(argv[0], O_RDONLY)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -ERR_ACCES : -ERR_NOEXEC;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > PAGER_IMAGE_MAX) {
		close(fd);
		return -ERR_NOEXEC;
	}
	if (!(image = image_get((uint64_t)st.st_size))) {
		close(fd);
		return -ERR_NOMEM;
	}
	ssize_t n = read(fd, image, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		image_put();
		return n < 0 ? -errno : -ERR_IO;
	}
	/* argv into the IPC buffer, as spawn does. */
	char *buf = ipcbuf();
	for (int i = 0; argv[i]; i++) {
		uint64_t k = strlen(argv[i]) + 1;
		if (len + k > PROC_SPAWN_ARGS_MAX) {
			image_put();
			return -ERR_INVAL;
		}
		memcpy(buf + len, argv[i], k);
		len += k;
	}
	if ((r = posix_spawn_extra(buf, len, PROC_SPAWN_ARGS_MAX)) < 0) {
		image_put();
		return r;
	}
	len = (uint64_t)r;
	m.info = ipc_info(PAGER_SPAWN_IMAGE, len, grant ? IPC_GRANT : 0);
	m.w[0] = (uint64_t)image;
	m.w[1] = (uint64_t)st.st_size;
	m.w[2] = flags;
	m.w[5] = grant;
	r = pager_call(&m);
	image_put();
	return r;
}
