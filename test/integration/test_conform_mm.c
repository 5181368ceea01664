/*
 * Conformance assertions for the memory-mapping calls, written from the
 * POSIX text (mmap, munmap, mprotect, msync, mlock): one assertion per
 * mode (argv[1]), each its own ctest test. The program prints
 * "PASS: conform <mode>" and exits 0 when the assertion holds, exits 1
 * when it fails, 2 when it cannot be decided here (unresolved). Files come
 * from the test disk (tools/mkfsimg.sh), booted as a snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"

#define PS 4096
#define RW (PROT_READ | PROT_WRITE)
#define PASS 0
#define FAIL 1
#define UNRESOLVED 2

static int expect_err(long r, int err)
{
	if (r == -1 && errno == err)
		return PASS;
	printf("conform: got %ld errno %d, wanted -1 errno %d\n", r, errno, err);
	return FAIL;
}

static int expect_map_err(void *p, int err)
{
	return expect_err(p == MAP_FAILED ? -1 : 0, err);
}

static void *anon(size_t len)
{
	return mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* A child that touches p: its wait status. */
static int touch_status(volatile char *p, int write)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (write)
			p[0] = 1;
		else
			(void)p[0];
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return st;
}

/* mmap */
static int mmap_ebadf(void) { return expect_map_err(mmap(NULL, PS, PROT_READ, MAP_SHARED, 99, 0), EBADF); }
static int mmap_einval_len0(void) { return expect_map_err(anon(0), EINVAL); }
static int mmap_einval_flags(void)
{
	return expect_map_err(mmap(NULL, PS, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
}
static int mmap_einval_offset(void)
{
	int fd = open("/data/hello.txt", O_RDONLY);
	return fd < 0 ? UNRESOLVED : expect_map_err(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
}
static int mmap_einval_fixed(void)
{
	return expect_map_err(mmap((void *)0x40000123, PS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
}
static int mmap_eacces_shared_write_rdonly(void)
{
	int fd = open("/data/hello.txt", O_RDONLY);
	return fd < 0 ? UNRESOLVED : expect_map_err(mmap(NULL, PS, RW, MAP_SHARED, fd, 0), EACCES);
}
static int mmap_eacces_wronly(void)
{
	int fd = open("/tmp/conform.w", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return UNRESOLVED;
	return expect_map_err(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
}
static int mmap_enodev_dir(void)
{
	int fd = open("/data/dir", O_RDONLY | O_DIRECTORY);
	return fd < 0 ? UNRESOLVED : expect_map_err(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, fd, 0), ENODEV);
}
static int mmap_enomem_fixed(void)
{
	/* MAP_FIXED where no address space is (past the top): ENOMEM. */
	return expect_map_err(mmap((void *)(USER_TOP - PS), 4 * PS, RW,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
}
static int mmap_private_no_writeback(void)
{
	int fd = open("/data/hello.txt", O_RDWR);
	char c = 0;
	char *p;
	if (fd < 0 || (p = mmap(NULL, PS, RW, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		return UNRESOLVED;
	p[0] = 'J';	/* private: the file never sees it */
	munmap(p, PS);
	return pread(fd, &c, 1, 0) == 1 && c == 'h' ? PASS : FAIL;
}
static int mmap_sigbus_past_eof(void)
{
	int fd = open("/data/hello.txt", O_RDONLY);
	char *p;
	if (fd < 0 || (p = mmap(NULL, 2 * PS, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return UNRESOLVED;
	int st = touch_status(p + PS, 0);	/* a page wholly past the end */
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS ? PASS : FAIL;
}
static int mmap_zero_past_eof(void)
{
	int fd = open("/data/hello.txt", O_RDONLY);
	char *p;
	if (fd < 0 || (p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return UNRESOLVED;
	for (int i = 6; i < PS; i++)	/* "hello\n": the rest of the page is zero */
		if (p[i])
			return FAIL;
	return PASS;
}

/* munmap */
static int munmap_einval_unaligned(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(munmap(p + 1, PS), EINVAL);
}
static int munmap_einval_len0(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(munmap(p, 0), EINVAL);
}
static int munmap_then_sigsegv(void)
{
	char *p = anon(PS);
	if (p == MAP_FAILED || munmap(p, PS))
		return UNRESOLVED;
	int st = touch_status(p, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? PASS : FAIL;
}

/* mprotect */
static int mprotect_einval_unaligned(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(mprotect(p + 1, PS, PROT_READ), EINVAL);
}
static int mprotect_enomem_unmapped(void)
{
	char *p = anon(2 * PS);
	if (p == MAP_FAILED || munmap(p + PS, PS))
		return UNRESOLVED;
	return expect_err(mprotect(p, 2 * PS, PROT_READ), ENOMEM);
}
static int mprotect_eacces_shared_rdonly(void)
{
	int fd = open("/data/hello.txt", O_RDONLY);
	char *p;
	if (fd < 0 || (p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return UNRESOLVED;
	return expect_err(mprotect(p, PS, RW), EACCES);
}
static int mprotect_read_only_sigsegv(void)
{
	char *p = anon(PS);
	if (p == MAP_FAILED || mprotect(p, PS, PROT_READ))
		return UNRESOLVED;
	int st = touch_status(p, 1);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? PASS : FAIL;
}

/* msync */
static int msync_einval_unaligned(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(msync(p + 1, PS, MS_SYNC), EINVAL);
}
static int msync_einval_both(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(msync(p, PS, MS_SYNC | MS_ASYNC), EINVAL);
}
static int msync_einval_flags(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(msync(p, PS, 0x100), EINVAL);
}
static int msync_enomem_unmapped(void)
{
	char *p = anon(2 * PS);
	if (p == MAP_FAILED || munmap(p + PS, PS))
		return UNRESOLVED;
	return expect_err(msync(p, 2 * PS, MS_SYNC), ENOMEM);
}
static int msync_shared_reaches_file(void)
{
	int fd = open("/tmp/conform.s", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char c = 0, *p;
	if (fd < 0 || ftruncate(fd, PS) ||
	    (p = mmap(NULL, PS, RW, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return UNRESOLVED;
	p[10] = 'S';
	if (msync(p, PS, MS_SYNC))
		return FAIL;
	return pread(fd, &c, 1, 10) == 1 && c == 'S' ? PASS : FAIL;
}

/* mlock */
static int mlock_einval_unaligned(void)
{
	char *p = anon(PS);
	return p == MAP_FAILED ? UNRESOLVED : expect_err(mlock(p + 1, PS), EINVAL);
}
static int mlock_enomem_unmapped(void)
{
	char *p = anon(2 * PS);
	if (p == MAP_FAILED || munmap(p + PS, PS))
		return UNRESOLVED;
	return expect_err(mlock(p, 2 * PS), ENOMEM);
}
static int mlockall_einval(void) { return expect_err(mlockall(0), EINVAL); }

static const struct { const char *name; int (*fn)(void); } cases[] = {
	{ "mmap_ebadf", mmap_ebadf }, { "mmap_einval_len0", mmap_einval_len0 },
	{ "mmap_einval_flags", mmap_einval_flags }, { "mmap_einval_offset", mmap_einval_offset },
	{ "mmap_einval_fixed", mmap_einval_fixed },
	{ "mmap_eacces_shared_write_rdonly", mmap_eacces_shared_write_rdonly },
	{ "mmap_eacces_wronly", mmap_eacces_wronly }, { "mmap_enodev_dir", mmap_enodev_dir },
	{ "mmap_enomem_fixed", mmap_enomem_fixed },
	{ "mmap_private_no_writeback", mmap_private_no_writeback },
	{ "mmap_sigbus_past_eof", mmap_sigbus_past_eof }, { "mmap_zero_past_eof", mmap_zero_past_eof },
	{ "munmap_einval_unaligned", munmap_einval_unaligned },
	{ "munmap_einval_len0", munmap_einval_len0 }, { "munmap_then_sigsegv", munmap_then_sigsegv },
	{ "mprotect_einval_unaligned", mprotect_einval_unaligned },
	{ "mprotect_enomem_unmapped", mprotect_enomem_unmapped },
	{ "mprotect_eacces_shared_rdonly", mprotect_eacces_shared_rdonly },
	{ "mprotect_read_only_sigsegv", mprotect_read_only_sigsegv },
	{ "msync_einval_unaligned", msync_einval_unaligned }, { "msync_einval_both", msync_einval_both },
	{ "msync_einval_flags", msync_einval_flags }, { "msync_enomem_unmapped", msync_enomem_unmapped },
	{ "msync_shared_reaches_file", msync_shared_reaches_file },
	{ "mlock_einval_unaligned", mlock_einval_unaligned },
	{ "mlock_enomem_unmapped", mlock_enomem_unmapped }, { "mlockall_einval", mlockall_einval },
};

int main(int argc, char **argv)
{
	const struct proc_start *ps = &libsys_start_info;
	const char *mode = argc > 1 ? argv[1] : "";

	if (fs_start(ps->devices, ps->ndevices) < 0) {
		printf("conform: no disk: unresolved\n");
		return UNRESOLVED;
	}
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(mode, cases[i].name))
			continue;
		int r = cases[i].fn();
		printf("%s: conform %s\n", r == PASS ? "PASS" : r == FAIL ? "FAIL" : "UNRESOLVED", mode);
		return r;
	}
	printf("FAIL: conform: unknown assertion %s\n", mode);
	return FAIL;
}
