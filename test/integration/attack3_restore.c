/*
 * /bin/attack3_restore FD...: run by test_attack3 cloexec through execve.
 * As the first thing the new program does, it asks the file server to
 * put back the close-on-exec descriptors its process hid for the exec
 * (FS_EXEC_RESTORE, meant for an exec that failed). Exits 0 if every FD
 * given is closed after that, 1 if one came back (printed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

int main(int argc, char **argv)
{
	struct ipc_msg m = { 0 };
	int64_t back = fs_call(FS_EXEC_RESTORE, &m, 0);
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		int fd = atoi(argv[i]);
		if (fcntl(fd, F_GETFD) >= 0) {
			printf("attack3_restore: descriptor %d came back (restore said %ld)\n", fd,
			       (long)back);
			bad = 1;
		}
	}
	return bad;
}
