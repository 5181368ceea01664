/*
 * stat on the disk (/bin/stat PATH...): each path's inode, type, mode,
 * links, size and times, as the file server reports them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *type_of(mode_t m)
{
	return S_ISDIR(m) ? "directory" : S_ISREG(m) ? "regular file" :
	       S_ISLNK(m) ? "symbolic link" : "other";
}

int main(int argc, char **argv)
{
	struct stat st;
	int r = 0;

	if (argc < 2) {
		printf("usage: stat PATH...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			printf("stat: %s: %s\n", argv[i], strerror(errno));
			r = 1;
			continue;
		}
		printf("  File: %s\n  Size: %ld  Type: %s  Mode: %04o  Links: %lu  Inode: %lu\n"
		       "  Access: %ld  Modify: %ld  Change: %ld\n", argv[i], (long)st.st_size,
		       type_of(st.st_mode), (unsigned)(st.st_mode & 07777),
		       (unsigned long)st.st_nlink, (unsigned long)st.st_ino, (long)st.st_atime,
		       (long)st.st_mtime, (long)st.st_ctime);
	}
	return r;
}
