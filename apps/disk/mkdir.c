/*
 * mkdir on the disk (/bin/mkdir DIR...): makes each directory (mode 0755).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int r = 0;

	if (argc < 2) {
		printf("usage: mkdir DIR...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (mkdir(argv[i], 0755) < 0) {
			printf("mkdir: %s: %s\n", argv[i], strerror(errno));
			r = 1;
		}
	}
	return r;
}
