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
#include <sys/stat.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

int64_t spawn_path(const char *const argv[], uint64_t grant)
{
	struct ipc_msg m = { 0 };
	struct stat st;
	uint64_t len = 0;
	char *image;
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
	if (!(image = malloc((size_t)st.st_size))) {
		close(fd);
		return -ERR_NOMEM;
	}
	ssize_t n = read(fd, image, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(image);
		return n < 0 ? -errno : -ERR_IO;
	}
	/* argv into the IPC buffer, as spawn does. */
	char *buf = ipcbuf();
	for (int i = 0; argv[i]; i++) {
		uint64_t k = strlen(argv[i]) + 1;
		if (len + k > PROC_SPAWN_ARGS_MAX) {
			free(image);
			return -ERR_INVAL;
		}
		memcpy(buf + len, argv[i], k);
		len += k;
	}
	if ((r = posix_spawn_extra(buf, len, PROC_SPAWN_ARGS_MAX)) < 0) {
		free(image);
		return r;
	}
	len = (uint64_t)r;
	m.info = ipc_info(PAGER_SPAWN_IMAGE, len, grant ? IPC_GRANT : 0);
	m.w[0] = (uint64_t)image;
	m.w[1] = (uint64_t)st.st_size;
	m.w[5] = grant;
	r = pager_call(&m);
	free(image);
	return r;
}
