/*
 * libsys's POSIX layer (libsys/src/posix_*.c), as init over the disk image
 * (test/posix-run.sh). argv[1]:
 *   api       in this process: clocks and sleeps, sysconf, the _POSIX_
 *             options and status macros, the environment, getcwd/chdir
 *             and relative paths (errors too), what a spawned child
 *             inherits (directory, environment, parent pid; an
 *             environment too big to pass is E2BIG), wait.
 *   programs  the plain POSIX programs in test/posix, built by
 *             posix_program and started from /bin, each exits 0; and
 *             /bin/pcc, built by tools/cc outside CMake (posix-run.sh
 *             writes it to the image), too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define ERRNO(call, e) do { errno = 0; CHECK_EQ((call), -1); CHECK_EQ(errno, (e)); } while (0)

#if !defined(_POSIX_MAPPED_FILES) || !defined(_POSIX_MEMORY_PROTECTION) || \
    !defined(_POSIX_SYNCHRONIZED_IO) || !defined(_POSIX_TIMERS) || \
    !defined(_POSIX_MONOTONIC_CLOCK) || !defined(_POSIX_FSYNC) || !defined(_POSIX_VERSION)
#error "the _POSIX_ options are not defined by <unistd.h>"
#endif
#if !defined(WCOREDUMP) || !defined(WIFCONTINUED) || !defined(WNOHANG)
#error "<sys/wait.h> lacks a status macro"
#endif

/* Run a program from the disk; its exit status (or -1). */
static int run(const char *const argv[])
{
	int status = -1;
	int64_t pid = spawn_path(argv, 0);

	CHECK(pid > 0);
	if (pid <= 0)
		return -1;
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	printf("posix: %s exited with %d\n", argv[0], WEXITSTATUS(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint64_t ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (uint64_t)((b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000);
}

static void clocks(void)
{
	struct timespec t0, t1, rq = { 0, 20000000 };
	uint64_t ms;

	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	CHECK_EQ(nanosleep(&rq, NULL), 0);
	ms = ms_since(&t0);
	CHECK(ms >= 20 && ms < 2000);
	CHECK_EQ(clock_gettime(CLOCK_REALTIME, &t1), 0);
	ERRNO(clock_gettime(99, &t1), EINVAL);
	rq.tv_nsec = -1;
	ERRNO(nanosleep(&rq, NULL), EINVAL);
	/* A very long sleep is never a wrapped, short one: a fork child
	 * sleeps "forever" and is still asleep 50 ms later. */
	int64_t pid = fork();
	if (pid == 0) {
		struct timespec forever = { .tv_sec = 0x7fffffffffffffffl, .tv_nsec = 999999999 };
		nanosleep(&forever, NULL);
		_exit(9);
	}
	CHECK(pid > 0);
	usleep(50000);
	int status;
	CHECK_EQ(waitpid((pid_t)pid, &status, WNOHANG), 0);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void directories(void)
{
	char buf[FS_PATH_MAX + 64], *p;
	struct stat st;
	int fd;

	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	CHECK((p = getcwd(NULL, 0)) && !strcmp(p, "/"));
	free(p);
	errno = 0;
	CHECK(getcwd(buf, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(getcwd(buf, 1) == NULL && errno == ERANGE);
	CHECK_EQ(chdir("data"), 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/data"));
	CHECK_EQ(stat("hello.txt", &st), 0);
	CHECK_EQ(st.st_size, 6);
	CHECK_EQ(chdir("./dir/../dir/sub/"), 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/data/dir/sub"));
	CHECK_EQ(access("b", R_OK), 0);
	CHECK_EQ(access("../a", F_OK), 0);
	ERRNO(access("../a", 64), EINVAL);
	CHECK_EQ(chdir("../../.."), 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	CHECK_EQ(chdir("/.."), 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	ERRNO(chdir("/data/hello.txt"), ENOTDIR);
	ERRNO(chdir("/nowhere"), ENOENT);
	ERRNO(chdir(""), ENOENT);
	ERRNO(access("/data/readonly.txt", W_OK), EACCES);
	CHECK_EQ(access("/data/readonly.txt", R_OK), 0);
	/* Relative paths too long once joined to the directory. */
	CHECK_EQ(chdir("/data/dir"), 0);
	memset(buf, 'x', FS_PATH_MAX - 4);
	buf[FS_PATH_MAX - 4] = 0;
	ERRNO(open(buf, O_RDONLY), ENAMETOOLONG);
	ERRNO(rename(buf, "y"), ENAMETOOLONG);
	/* rename and link with relative names on both sides. */
	fd = creat("r1", 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(rename("r1", "sub/r2"), 0);
	CHECK_EQ(access("/data/dir/sub/r2", F_OK), 0);
	CHECK_EQ(unlink("sub/r2"), 0);
	/* truncate, lstat, fdatasync, creat. */
	fd = creat("/tmp/t1", 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_EQ(fdatasync(fd), 0);
	close(fd);
	CHECK_EQ(truncate("/tmp/t1", 4), 0);
	CHECK_EQ(lstat("/tmp/t1", &st), 0);
	CHECK_EQ(st.st_size, 4);
	ERRNO(truncate("/tmp/t1", -1), EINVAL);
	ERRNO(truncate("/tmp/none", 0), ENOENT);
	ERRNO(fdatasync(99), EBADF);
	CHECK_EQ(unlink("/tmp/t1"), 0);
	CHECK_EQ(chdir("/"), 0);
}

static void inheritance(void)
{
	char pid[24];
	const char *files[] = { "/bin/pfiles", "/data/dir", NULL };
	const char *proc[] = { "/bin/pproc", pid, "from-init", NULL };
	char big[600];
	int64_t r;

	/* A spawned child starts in our directory, with our environment,
	 * and knows our pid. */
	CHECK_EQ(chdir("/data/dir"), 0);
	CHECK_EQ(run(files), 0);
	CHECK_EQ(chdir("/"), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	CHECK_EQ(setenv("PPROC_VALUE", "from-init", 1), 0);
	CHECK_EQ(run(proc), 0);
	/* An environment that does not fit the spawn arguments: E2BIG, and
	 * nothing started. */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(setenv("BIG1", big, 1), 0);
	CHECK_EQ(setenv("BIG2", big, 1), 0);
	r = spawn_path(proc, 0);
	CHECK_EQ(r, -E2BIG);
	const char *bootprog[] = { "test_posix", "noop", NULL };
	CHECK_EQ(spawn(bootprog, 0), -E2BIG);
	CHECK_EQ(unsetenv("BIG1"), 0);
	CHECK_EQ(unsetenv("BIG2"), 0);
	int status;
	r = spawn(bootprog, 0);
	CHECK(r > 0);
	CHECK_EQ(waitpid((pid_t)r, &status, 0), r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* wait: in a child of ours, which has no other children (we have
	 * the file server and the block driver). */
	r = fork();
	if (r == 0) {
		int64_t c = spawn(bootprog, 0);
		int st;
		_exit(c > 0 && wait(&st) == c && WIFEXITED(st) && wait(&st) == -1 &&
		      errno == ECHILD ? 0 : 1);
	}
	CHECK(r > 0);
	CHECK_EQ(waitpid((pid_t)r, &status, 0), r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* mlock & co. and posix_madvise, with their errors (POSIX's lists). */
static void memlock(void)
{
	const size_t ps = 4096;
	struct proc_stats s0, s1;
	char *p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
#if !defined(_POSIX_MEMLOCK) || !defined(_POSIX_MEMLOCK_RANGE) || !defined(_POSIX_ADVISORY_INFO)
	CHECK(!"the memlock and advisory options are defined");
#endif
	CHECK_EQ(proc_stats(0, &s0), 0);
	CHECK_EQ(mlock(p, 4 * ps), 0);		/* faulted in, and kept */
	CHECK_EQ(proc_stats(0, &s1), 0);
	CHECK(s1.resident_pages >= s0.resident_pages + 4);
	CHECK_EQ(mlock(p + 1, ps), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mlock(p, 0), 0);
	CHECK_EQ(mlock(p, ~(size_t)0), -1);
	CHECK_EQ(errno, EINVAL);
	p[ps] = 'x';
	CHECK_EQ(posix_madvise(p, 4 * ps, POSIX_MADV_DONTNEED), 0);
	CHECK_EQ(p[ps], 'x');			/* advice only: nothing lost */
	CHECK_EQ(posix_madvise(p, ps, POSIX_MADV_SEQUENTIAL), 0);
	CHECK_EQ(posix_madvise(p, ps, 99), EINVAL);
	CHECK_EQ(posix_madvise(p + 1, ps, POSIX_MADV_NORMAL), EINVAL);
	CHECK_EQ(munmap(p + 2 * ps, ps), 0);	/* a hole */
	CHECK_EQ(mlock(p, 4 * ps), -1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(munlock(p, 4 * ps), -1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(posix_madvise(p, 4 * ps, POSIX_MADV_WILLNEED), ENOMEM);
	CHECK_EQ(munlock(p, 2 * ps), 0);
	CHECK_EQ(munlock(p + 1, ps), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mlockall(0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mlockall(8), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mlockall(MCL_CURRENT | MCL_FUTURE), 0);
	CHECK_EQ(munlockall(), 0);
	CHECK_EQ(munmap(p, 4 * ps), 0);
}

static void api(void)
{
	CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
	CHECK_EQ(sysconf(_SC_PAGE_SIZE), 4096);
	CHECK_EQ(getpagesize(), 4096);
	CHECK(sysconf(_SC_PHYS_PAGES) > 0);
	CHECK(!strcmp(getenv("PATH"), "/bin") && !strcmp(getenv("HOME"), "/") &&
	      !strcmp(getenv("TMPDIR"), "/tmp"));
	CHECK_EQ(getppid(), 0);	/* init: started by the pager */
	clocks();
	directories();
	inheritance();
	memlock();
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "api";
	const struct proc_start *ps = &libsys_start_info;

	if (!strcmp(what, "noop"))
		return 0;
	CHECK(fs_start(ps->devices, ps->ndevices) > 0);
	if (!strcmp(what, "api")) {
		api();
	} else if (!strcmp(what, "programs")) {
		const char *clock[] = { "/bin/pclock", NULL };
		const char *files[] = { "pfiles", NULL };	/* relative to the cwd */
		const char *proc[] = { "/bin/pproc", NULL };
		const char *cc[] = { "/bin/pcc", NULL };
		CHECK_EQ(run(clock), 0);
		CHECK_EQ(chdir("/bin"), 0);
		CHECK_EQ(run(files), 0);
		CHECK_EQ(chdir("/"), 0);
		CHECK_EQ(run(proc), 0);
		CHECK_EQ(run(cc), 0);
	} else {
		CHECK(!"unknown mode");
	}
	return t_done(!strcmp(what, "api") ? "posix_api" : "posix_programs");
}
