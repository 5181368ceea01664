/*
 * libsys's POSIX layer, the parts other libsys files call
 * (libsys/src/posix_*.c); programs use the standard headers.
 */
#ifndef LIBSYS_POSIX_H
#define LIBSYS_POSIX_H

#include <stdint.h>

/* path, made absolute against the current directory, into out (at least
 * FS_PATH_MAX bytes, not NUL-terminated): its length, or -ERR_FAULT (NULL),
 * -ERR_NAMETOOLONG. */
int64_t posix_path_into(char *out, const char *path);

/* Spawning: append what the child inherits (parent pid, current
 * directory, environment) as one more string to the NUL-separated
 * arguments buf[0..len), at most max bytes in all: the new length, or
 * -E2BIG (7) if it does not fit. */
int64_t posix_spawn_extra(char *buf, uint64_t len, uint64_t max);
/* A file-server snapshot of our descriptors that posix_spawn_extra
 * names for the child to claim (posix_spawn sets it; 0: none). */
extern int64_t posix_spawn_snapshot;
/* fork's child: its parent is parent_pid. */
void posix_fork_child(uint64_t parent_pid);
/* At start: take that string off argv (if there) and apply it; the
 * argument count left. */
int posix_start(int argc, char **argv);

/* `time` CSR ticks per second. */
uint64_t posix_timebase(void);
/* Sleep until the `time` CSR reaches deadline: 0 or a negated ERR_*. */
int64_t posix_sleep_until(uint64_t deadline);

#endif
