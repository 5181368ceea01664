/*
 * cp on the disk (/bin/cp FROM TO): a file's bytes into a new or
 * truncated file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	ssize_t n;
	int in, out;

	if (argc != 3) {
		printf("usage: cp FROM TO\n");
		return 2;
	}
	if ((in = open(argv[1], O_RDONLY)) < 0) {
		printf("cp: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		printf("cp: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	if (n < 0)
		printf("cp: %s to %s: %s\n", argv[1], argv[2], strerror(errno));
	close(in);
	if (close(out) < 0 && n >= 0) {
		printf("cp: %s: %s\n", argv[2], strerror(errno));
		n = -1;
	}
	return n < 0;
}
