/*
 * A program that lives on the disk (/bin/hello): says where it came from
 * and what it was given, and exits with 7 so a test can tell it ran.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from the disk:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 7;
}
