/*
 * echo on the disk (/bin/echo): its arguments, blank-separated, and a
 * newline. (The shell's own echo also writes to a file: echo hi > /f.)
 */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		write(1, argv[i], strlen(argv[i]));
		if (i + 1 < argc)
			write(1, " ", 1);
	}
	write(1, "\n", 1);
	return 0;
}
