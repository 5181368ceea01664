/*
 * pfdcheck [-s SECONDS] FD...: exits 0 if the descriptors from 3 up that
 * are open are exactly FD... and none of them is close-on-exec, else
 * prints what it found and exits 1. With -s it sleeps SECONDS after
 * checking (a program that lives on after an exec). Run by test_psxgaps
 * cloexec through execve and posix_spawn.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FD_LAST	40

int main(int argc, char **argv)
{
	int want[FD_LAST + 1] = { 0 }, bad = 0, secs = 0, i = 1;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		secs = atoi(argv[2]);
		i = 3;
	}
	for (; i < argc; i++) {
		int fd = atoi(argv[i]);
		if (fd >= 3 && fd <= FD_LAST)
			want[fd] = 1;
	}
	for (int fd = 3; fd <= FD_LAST; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if ((fl >= 0) != want[fd] || (fl > 0 && (fl & FD_CLOEXEC))) {
			printf("pfdcheck: descriptor %d is %s (flags %d)\n", fd,
			       fl >= 0 ? "open" : "closed", fl);
			bad = 1;
		}
	}
	if (secs)
		sleep((unsigned)secs);
	return bad;
}
