/*
 * Directories for picolibc's <dirent.h> (which expects the system to
 * supply this file): DIR and struct dirent of libsys's POSIX layer
 * (libsys/src/file_dir.c), over the file server's FS_READDIR.
 */
#ifndef _SYS_DIRENT_H
#define _SYS_DIRENT_H

#include <sys/types.h>

struct dirent {
	ino_t d_ino;
	unsigned char d_type;	/* DT_* */
	char d_name[256];
};

#define DT_UNKNOWN	0
#define DT_REG		8
#define DT_DIR		4
#define DT_LNK		10

typedef struct __dirstream {
	int fd;
	struct dirent ent;
} DIR;

int closedir(DIR *);

#endif
