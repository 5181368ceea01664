/*
 * Programs from the disk: spawn_path starts one as a new process with
 * its segments mapped from the file (PAGER_SPAWN_FILE, exec_file.c), so
 * only the pages it touches are read, and every process running it
 * shares its text frames. The pager never waits on the file server: we
 * do the waiting (open, the header, the mapping).
 */
extern char **environ;

#include "libsys.h"
#include "libsys_file.h"

int64_t spawn_path(const char *const argv[], uint64_t grant)
{
	return spawn_path_flags(argv, grant, 0);
}

int64_t spawn_path_flags(const char *const argv[], uint64_t grant, uint64_t flags)
{
	struct exec_file x;
	int64_t r;

	if (!argv || !argv[0])
		return -ERR_INVAL;
	if ((r = exec_file_open(argv[0], &x)) < 0)
		return r;
	r = exec_file_call(PAGER_SPAWN_FILE, &x, argv, environ, libsys_start_info.pid, flags, grant, 0);
	exec_file_close(&x);
	return r;
}
