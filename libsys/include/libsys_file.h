/*
 * libsys's file layer, beyond POSIX (libsys/src/file*.c): the file
 * server's start, and what fork and readdir use. The POSIX calls
 * themselves are picolibc's declarations (<fcntl.h>, <unistd.h>,
 * <sys/stat.h>, <dirent.h>).
 */
#ifndef LIBSYS_FILE_H
#define LIBSYS_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "abi/fs.h"
#include "abi/kernel.h"

/* Descriptors 0..FD_BASE-1 are the console; the rest the file server's. */
#define FD_BASE	3

struct proc_device;
/* Start the disk (init only: it holds the devices): spawn the blk driver
 * with devs[0..n), then the file server "fsd" with the driver's endpoint,
 * and wait until the server has mounted the disk and registered. Returns
 * fsd's pid or -ERR_*. */
int64_t fs_start(const struct proc_device *devs, uint64_t n);
/* The same, with option as fsd's argv[2] ("files=N": a smaller open-file
 * table, for tests). */
int64_t fs_start_with(const struct proc_device *devs, uint64_t n, const char *option);

/* Start the program at path argv[0] on the disk with arguments argv
 * (NULL-terminated); grant as spawn's. Returns the pid or -ERR_*
 * (ENOENT, EACCES for a directory, ENOEXEC for what the pager cannot load). */
int64_t spawn_path(const char *const argv[], uint64_t grant);
/* The same with PSPAWN_* flags (PAGER_SPAWN_IMAGE takes PSPAWN_PAGER only). */
int64_t spawn_path_flags(const char *const argv[], uint64_t grant, uint64_t flags);

/* A program file opened for PAGER_SPAWN_FILE / PAGER_EXEC (exec_file.c):
 * its whole length mapped private and read-only (the descriptor is
 * closed once it is mapped: fd is -1), and the segments its ELF header
 * names. */
#include "elf_image.h"
struct exec_file {
	int fd;
	uint8_t *map;
	uint64_t size;
	struct elf_image img;
};
/* Open and check path (ENOENT, EACCES for what is not a regular file,
 * ENOEXEC for what elf_parse refuses) and map it: 0 or -ERR_*. */
int64_t exec_file_open(const char *path, struct exec_file *x);
void exec_file_close(struct exec_file *x);
/* exec_file_open of file, or with no '/' in it of the first directory of
 * PATH that has it (execvp's search, exec.c). */
int64_t exec_file_find(const char *file, struct exec_file *x);
/* Send label (PAGER_SPAWN_FILE: the pid; PAGER_EXEC: returns only on an
 * error) with argv, and envp and parent as the environment and the
 * parent's pid the new image inherits (with our working directory).
 * snap: PAGER_SPAWN_FILE's w4, the file-server snapshot the child claims
 * (posix_spawn), for the server if we end before binding it; 0: none. */
int64_t exec_file_call(uint64_t label, const struct exec_file *x, const char *const argv[],
		       char *const envp[], uint64_t parent, uint64_t flags, uint64_t grant,
		       int64_t snap);

/* Our handle to the file server (connecting on first use), or -ERR_*. */
int64_t fs_conn(void);
int64_t fs_call(uint64_t label, struct ipc_msg *m, uint64_t len);
bool fs_connected(void);
/* fork's three steps: a snapshot number (or -ERR_*) before the fork;
 * bind it to the child (child <= 0: the fork failed, cancel); claim it in
 * the child. */
int64_t fs_fork_prepare(void);
void fs_fork_parent(int64_t snap, int64_t child);
void fs_fork_child(int64_t snap);
/* file_read.c: read() of a regular file through a mapping of it (its
 * window). FILE_READ_IPC: not a file to map, read it the old way. */
#define FILE_READ_IPC	(-2)
#define FILE_WINDOW_MIN	(32u << 10)	/* reads this large make a window */
ssize_t file_read_mapped(int fd, void *buf, size_t count);
void file_window_drop(int fd);
/* memcpy for file data, a word at a time (picolibc's copies bytes). */
void file_copy(void *dst, const void *src, size_t n);
/* Close-on-exec (cloexec.c): cloexec_used once this image set the flag
 * (open and pipe2 with O_CLOEXEC, fcntl); FS_EXEC_HIDE before an exec
 * (how many were hidden) and FS_EXEC_RESTORE after one that failed; the
 * flag of a descriptor (FD_CLOEXEC or 0, or -1 and errno). */
extern bool cloexec_used;
int64_t cloexec_hide(void);
void cloexec_restore(int64_t hidden);
int cloexec_set(int fd, bool on);
int cloexec_get(int fd);
/* execve's PAGER_EXEC (exec_file_call) between FS_EXEC_HIDE and, if it
 * fails, FS_EXEC_RESTORE. */
int64_t cloexec_exec(const struct exec_file *x, const char *const argv[], char *const envp[]);
/* FS_READDIR: 1 with *d, 0 at the end, or -ERR_*. */
int64_t fs_readdir_raw(int fd, struct fs_dirent *d);

#endif
