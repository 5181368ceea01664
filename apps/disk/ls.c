/*
 * ls on the disk (/bin/ls): each argument's entries (a directory) or the
 * file itself, with sizes; "/" without arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int list(const char *path)
{
	char full[512];
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (stat(path, &st) < 0) {
		printf("ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		printf("%8ld %s\n", (long)st.st_size, path);
		return 0;
	}
	if (!(d = opendir(path)))
		return 1;
	while ((e = readdir(d))) {
		snprintf(full, sizeof(full), "%s/%s", strcmp(path, "/") ? path : "", e->d_name);
		if (stat(full, &st) == 0)
			printf("%8ld %s%s\n", (long)st.st_size, e->d_name, S_ISDIR(st.st_mode) ? "/" : "");
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 0;

	if (argc < 2)
		return list("/");
	for (int i = 1; i < argc; i++)
		r |= list(argv[i]);
	return r;
}
