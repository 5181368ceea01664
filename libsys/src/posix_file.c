/*
 * File calls of <unistd.h> and <sys/stat.h> built on the ones in file.c:
 * access, truncate, fdatasync, lstat.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "libsys.h"

/* Every process acts as the owner of every file (there are no users):
 * the owner's permission bits decide, a directory's x included. */
int access(const char *path, int mode)
{
	struct stat st;

	if (mode & ~(R_OK | W_OK | X_OK)) {
		errno = EINVAL;
		return -1;
	}
	if (stat(path, &st) < 0)
		return -1;
	if (((mode & R_OK) && !(st.st_mode & S_IRUSR)) ||
	    ((mode & W_OK) && !(st.st_mode & S_IWUSR)) ||
	    ((mode & X_OK) && !(st.st_mode & S_IXUSR))) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

int truncate(const char *path, off_t length)
{
	int fd, r, e;

	if (length < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_WRONLY)) < 0)
		return -1;
	r = ftruncate(fd, length);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* The file server writes data and metadata together. */
int fdatasync(int fd)
{
	return fsync(fd);
}

/* Symbolic links are never followed by the file server, so stat already
 * describes the link itself. */
int lstat(const char *path, struct stat *st)
{
	return stat(path, st);
}
