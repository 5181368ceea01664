/*
 * rm on the disk (/bin/rm FILE...): unlinks each file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int r = 0;

	if (argc < 2) {
		printf("usage: rm FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (unlink(argv[i]) < 0) {
			printf("rm: %s: %s\n", argv[i], strerror(errno));
			r = 1;
		}
	}
	return r;
}
