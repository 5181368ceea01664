/*
 * cat on the disk (/bin/cat): each file's bytes to the console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	int r = 0;

	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		ssize_t n;
		if (fd < 0) {
			printf("cat: %s: %s\n", argv[i], strerror(errno));
			r = 1;
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			write(1, buf, (size_t)n);
		close(fd);
	}
	return r;
}
