/*
 * test_filemap's modes for errors and attacks, durability and the file
 * server's death:
 *   errors    every error code of mmap of a file and of msync
 *   attacks   from an unprivileged child: FS_MMAP with bad descriptors,
 *             huge lengths, wrapping offsets, bad flags; PAGER_OBJ_* from
 *             a client (-ERR_PERM); one process mapping more files than its
 *             share of the server's holds; processes killed while their faults
 *             wait on the disk; nothing leaks, the pager's check passes
 *   attacks2  signals flooding a process whose faults wait on the disk,
 *             and one in msync(MS_SYNC) (killed or not); MADV_DONTNEED
 *             keeps a dirty shared page; msync over file and anonymous
 *             VMAs; truncate-then-grow reads zeros; mremap/mmap of the
 *             file over the IPC buffer, past USER_TOP, at huge offsets;
 *             a signal frame (kill, and a fault's SIGSEGV) on a stack in
 *             a file page not resident: the handler runs once it is in
 *   enospc    stores into a sparse mapping larger than the disk's room:
 *             msync fails (EIO), the disk stays consistent and usable
 *   fsd_dies  the file server is killed: resident pages stay readable,
 *             a missing page is SIGBUS, a fault waiting then is SIGBUS
 *   durable   stores through MAP_SHARED, msync(MS_SYNC), a marker line:
 *             fs-run.sh kills QEMU then and checks the image (debugfs)
 *   durable_fsync  the same with fsync(fd) in place of msync
 *   exit      stores, then munmap and exit (and exit alone): after a
 *             clean shutdown the image has them
 *
 * This file has errors and the modes table; the others are in
 * filemap_attacks.c, filemap_attacks2.c and filemap_durable.c.
 */
#include "filemap_attack.h"

void errors(void)
{
	int fd = make_file("/e1", 2 * PS, 10);
	int ro = open("/e1", O_RDONLY), wo = open("/e1", O_WRONLY), dir = open("/data", O_RDONLY);
	int cl = open("/e1", O_RDONLY);
	void *p;

	CHECK(fd >= 0 && ro >= 0 && wo >= 0 && dir >= 0 && cl >= 0);
	close(cl);
	/* EBADF: no descriptor, one never opened, one closed. */
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, -1, 0), EBADF);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, 40, 0), EBADF);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, cl, 0), EBADF);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, 1, 0), ENODEV);	/* the console */
	/* EACCES: a shared writable mapping of a read-only descriptor; any
	 * mapping of a write-only one. */
	CHECK_ERR(mmap(NULL, PS, RW, MAP_SHARED, ro, 0), EACCES);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	CHECK_ERR(mmap(NULL, PS, RW, MAP_SHARED, wo, 0), EACCES);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	p = mmap(NULL, PS, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(p != MAP_FAILED);
	munmap(p, PS);
	p = mmap(NULL, PS, RW, MAP_PRIVATE, ro, 0);
	CHECK(p != MAP_FAILED);
	munmap(p, PS);
	/* EINVAL: offset, length, flags, prot. */
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 100), EINVAL);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, -(off_t)PS), EINVAL);
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, 0, fd, 0), EINVAL);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED | MAP_PRIVATE, fd, 0), EINVAL);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED | 0x40000000, fd, 0), EINVAL);
	CHECK_ERR(mmap(NULL, PS, PROT_READ | 0x100, MAP_SHARED, fd, 0), EINVAL);
	/* ENODEV: a directory. */
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_SHARED, dir, 0), ENODEV);
	CHECK_ERR(mmap(NULL, PS, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV);
	/* ENOMEM: larger than the address space; EPERM: below mmap_min_addr. */
	CHECK_ERR(mmap(NULL, 1ul << 40, PROT_READ, MAP_SHARED, fd, 0), ENOMEM);
	CHECK_ERR(mmap((void *)0x1000, PS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), EPERM);

	/* msync. */
	volatile char *m = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	m[0] = 'M';
	CHECK_ERR(msync((void *)(m + 1), PS, MS_SYNC), EINVAL);
	CHECK_ERR(msync((void *)m, PS, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_ERR(msync((void *)m, PS, 0x80), EINVAL);
	char *hole = mmap(NULL, 3 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK_EQ(munmap(hole + PS, PS), 0);
	CHECK_ERR(msync(hole, 3 * PS, MS_SYNC), ENOMEM);
	CHECK_ERR(msync(hole + PS, PS, MS_ASYNC), ENOMEM);
	/* Anonymous memory: nothing to do, success. */
	CHECK_EQ(msync(hole, PS, MS_SYNC), 0);
	CHECK_EQ(msync(hole, PS, MS_INVALIDATE), 0);
	CHECK_EQ(msync((void *)m, 2 * PS, MS_SYNC), 0);
	/* Nothing changed by the failures. */
	CHECK_EQ(m[0], 'M');
	CHECK(is_pat(m + 1, 1, 2 * PS - 1, 10));
	munmap((void *)m, 2 * PS);
	munmap(hole, 3 * PS);
	close(fd);
	close(ro);
	close(wo);
	close(dir);
	unlink("/e1");
}

volatile uint64_t *flags;

/* Map the cold file and read it all: killed while a fault waits. */
int cold_reader(uint64_t start)
{
	int fd = open("/data/cold.bin", O_RDONLY);
	volatile char *p = mmap(NULL, 4 << 20, PROT_READ, MAP_SHARED, fd, 0);
	unsigned sum = 0;

	if (p == MAP_FAILED)
		return 1;
	if (flags)
		flags[0] = 1;
	for (uint64_t i = start; i < (4u << 20); i += PS)
		sum += (unsigned char)p[i];
	return sum ? 0 : 2;
}

int child_dies_waiting(void)
{
	return cold_reader(0);
}

int run_filemap_attack(const char *mode)
{
	static const struct { const char *name; void (*run)(void); } modes[] = {
		{ "errors", errors }, { "attacks", attacks }, { "fsd_dies", fsd_dies },
		{ "exit", exits }, { "enospc", enospc }, { "attacks2", attacks2 },
	};
	char name[64];

	snprintf(name, sizeof(name), "filemap %s", mode);
	fsd_pid = fs_start(libsys_start_info.devices, libsys_start_info.ndevices);
	CHECK(fsd_pid > 0);
	if (fsd_pid <= 0)
		return t_done(name);
	if (!strcmp(mode, "durable"))
		return durable(false);
	if (!strcmp(mode, "durable_fsync"))
		return durable(true);
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(mode, modes[i].name))
			continue;
		modes[i].run();
		CHECK_EQ(pager_check(), 0);
		int r = t_done(name);
		if (!strcmp(mode, "fsd_dies")) {
			fflush(stdout);
			_exit(r);	/* no sync at exit: the server is gone */
		}
		return r;
	}
	printf("FAIL: test_filemap: unknown mode %s\n", mode);
	return 1;
}
