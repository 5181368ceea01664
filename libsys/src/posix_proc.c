/*
 * Process calls of <unistd.h> and <sys/wait.h> not in process.c: wait and
 * sysconf.
 */
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "abi/fs.h"
#include "libsys.h"
#include "libsys_file.h"

pid_t wait(int *status)
{
	return waitpid(-1, status, 0);
}

long sysconf(int name)
{
	struct mem_info mi;

	switch (name) {
	case _SC_PAGESIZE:
		return PAGE_SIZE;
	case _SC_ARG_MAX:
		return PROC_SPAWN_ARGS_MAX;
	case _SC_OPEN_MAX:
		return FD_BASE + FS_FD_MAX;
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC;
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN:
		return 1;
	case _SC_PHYS_PAGES:
	case _SC_AVPHYS_PAGES:
		if (mem_info(&mi) < 0)
			return -1;
		return (long)(name == _SC_PHYS_PAGES ? mi.total_pages : mi.free_pages);
	case _SC_VERSION:
		return _POSIX_VERSION;
	case _SC_FSYNC:
		return _POSIX_FSYNC;
	case _SC_MAPPED_FILES:
		return _POSIX_MAPPED_FILES;
	case _SC_MEMORY_PROTECTION:
		return _POSIX_MEMORY_PROTECTION;
	case _SC_SYNCHRONIZED_IO:
		return _POSIX_SYNCHRONIZED_IO;
	case _SC_TIMERS:
		return _POSIX_TIMERS;
	case _SC_MONOTONIC_CLOCK:
		return _POSIX_MONOTONIC_CLOCK;
	default:
		errno = EINVAL;
		return -1;
	}
}
