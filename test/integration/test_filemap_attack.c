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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "filemap.h"

#define PS	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define ERR_OVERFLOW	139	/* EOVERFLOW */

#define CHECK_ERR(call, e) do {							\
	errno = 0;								\
	long long r_ = (long long)(intptr_t)(call);				\
	CHECK_EQ(r_, -1);							\
	CHECK_EQ(errno, (e));							\
} while (0)

static void errors(void)
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

/* ---- attacks ---- */

static int64_t raw_mmap(int64_t fd, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags,
			uint64_t off)
{
	struct fs_mmap_req q = { .fd = fd, .hint = hint, .length = len, .prot = prot,
				 .flags = flags, .offset = off };
	struct ipc_msg m = { 0 };

	memcpy(m.w, &q, sizeof(q));
	return fs_call(FS_MMAP, &m, 0);
}

static int attacker(void *arg)
{
	int fd = open("/a1", O_RDWR), bad = 0;
	int64_t sfd = fd - FD_BASE;

	(void)arg;
#define EXPECT(call, want) do {						\
	int64_t r_ = (call);						\
	if (r_ != (want)) {						\
		printf("filemap: attack %s gave %ld, not %ld\n", #call,	\
		       (long)r_, (long)(want));				\
		bad++;							\
	}								\
} while (0)
	EXPECT(raw_mmap(-5, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(1000, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(INT64_MIN, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(sfd + 7, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(sfd, 0, 1ul << 62, MAP_R, PMAP_SHARED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, 0, UINT64_MAX, MAP_R, PMAP_SHARED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED, UINT64_MAX & ~(PS - 1)), -ERR_OVERFLOW);
	EXPECT(raw_mmap(sfd, 0, 1ul << 30, MAP_R, PMAP_SHARED, 1ul << 63), -ERR_OVERFLOW);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED, 12), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, 0, MAP_R, PMAP_SHARED, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED | PMAP_ANONYMOUS, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, 1ul << 40, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED | (1ul << 40), 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R | (1ul << 35), PMAP_SHARED, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, USER_TOP, PS, MAP_R, PMAP_SHARED | PMAP_FIXED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, PROC_IPCBUF_VA, PS, MAP_R, PMAP_SHARED | PMAP_FIXED, 0), -ERR_ACCES);
	/* The pager's file-server calls, from a client. */
	for (uint64_t label = PAGER_OBJ_MAP; label <= PAGER_OBJ_PEEK; label++) {
		struct pager_obj_map om = { .pid = 1, .key = 2, .size = PS, .length = PS,
					    .prot = MAP_R | MAP_W, .flags = PMAP_SHARED };
		struct ipc_msg m = { .info = ipc_info(label, sizeof(om), 0), .w = { 2, 0, 1, 0 } };
		memcpy(ipcbuf(), &om, sizeof(om));
		EXPECT(pager_call(&m), -ERR_PERM);
	}
	/* A file it may only read, mapped shared and then mprotect'ed
	 * writable: no store reaches the file (read() would show it). */
	int ro = open("/data/readonly.txt", O_RDONLY);
	volatile char *rs = mmap(NULL, PS, PROT_READ, MAP_SHARED, ro, 0);
	char c = 0;
	if (rs == MAP_FAILED || rs[0] != 'r') {
		bad++;
	} else if (mprotect((void *)rs, PS, PROT_READ | PROT_WRITE) == 0) {
		rs[0] = 'X';
		msync((void *)rs, PS, MS_SYNC);
		if (pread(ro, &c, 1, 0) != 1 || c != 'r') {
			printf("filemap: attack: a store reached a file opened read-only\n");
			bad++;
		}
	} else if (errno != EACCES) {
		bad++;
	}
	/* (With the pager's mark, the mprotect itself is refused, as Linux;
	 * a private mapping may become writable, copy-on-write.) */
#ifdef PMAP_FILE_RDONLY
	void *r = mmap(NULL, PS, PROT_READ, MAP_SHARED, ro, 0);
	if (r == MAP_FAILED)
		bad++;
	else if (mprotect(r, PS, PROT_READ | PROT_WRITE) == 0 || errno != EACCES) {
		printf("filemap: attack: mprotect made a read-only file's shared mapping writable\n");
		bad++;
	}
	void *rp = mmap(NULL, PS, PROT_READ, MAP_PRIVATE, ro, 0);
	if (rp == MAP_FAILED || mprotect(rp, PS, PROT_READ | PROT_WRITE) != 0)
		bad++;
	EXPECT(raw_mmap(ro - FD_BASE, 0, PS, MAP_R, PMAP_SHARED | PMAP_FILE_RDONLY, 0), -ERR_INVAL);
#endif
	/* Still a working client. */
	volatile char *p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || p[0] != pat(0, 11))
		bad++;
	return bad;
#undef EXPECT
}

static volatile uint64_t *flags;

/* Map the cold file and read it all: killed while a fault waits. */
static int cold_reader(uint64_t start)
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

/* One process maps more files than its share of the server's holds
 * (closing each descriptor): past its share mmap is ENOMEM, and another
 * process can still map a new file. */
#define HOG_FILES	(256 + 4)

static int hold_hog(void *arg)
{
	char path[32];
	int ok = 0, refused = 0;

	(void)arg;
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		int fd = open(path, O_RDONLY);
		void *p = fd < 0 ? MAP_FAILED : mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			ok++;
		else if (errno == ENOMEM)
			refused++;
		close(fd);
	}
	printf("filemap: hog: %d files mapped, %d refused\n", ok, refused);
	flags[1] = 1;
	while (!flags[2])	/* holds kept while the parent maps */
		sys_yield();
	return ok == 256 && refused == HOG_FILES - 256 ? 0 : 1;
}

static void hold_share(void)
{
	char path[32];
	int status = -1;

	CHECK_EQ(mkdir("/hog", 0755), 0);
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		close(make_file(path, 10, (unsigned)i));
	}
	flags[1] = flags[2] = 0;
	fflush(stdout);
	pid_t f = fork();
	if (f == 0)
		_exit(hold_hog(NULL));
	while (!flags[1])
		sys_yield();
	int fd = make_file("/hog-other", PS, 14);
	volatile char *p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK_EQ(p[1], pat(1, 14));
		munmap((void *)p, PS);
	}
	close(fd);
	flags[2] = 1;
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK_EQ(status, 0);
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		unlink(path);
	}
	CHECK_EQ(rmdir("/hog"), 0);
	unlink("/hog-other");
}

static void attacks(void)
{
	const char *argv[] = { "test_filemap", "child-dies", NULL };
	uint64_t m0[6], m1[6];
	int fd = make_file("/a1", PS, 11), status = -1;

	close(fd);
	status = in_child(attacker, NULL);
	CHECK_EQ(status, 0);
	/* The read-only file as it was, after the attacker's end. */
	fd = open("/data/readonly.txt", O_RDONLY);
	char ro[16] = { 0 };
	CHECK_EQ(read(fd, ro, sizeof(ro)), 10);
	CHECK(!memcmp(ro, "read only\n", 10));
	close(fd);
	/* Killed while their faults wait on the disk: forked, and spawned. */
	flags = shared_page();
	mapstats(m0);
	if (flags)
		hold_share();
	for (int round = 0; round < 8 && flags; round++) {
		flags[0] = 0;
		fflush(stdout);
		pid_t f = fork();
		if (f == 0)
			_exit(cold_reader((uint64_t)round * (512 << 10)));
		while (!flags[0])
			sys_yield();
		for (int i = 0; i < round * 3; i++)
			sys_yield();
		kill(f, SIGKILL);
		CHECK_EQ(waitpid(f, &status, 0), f);
	}
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	for (int i = 0; i < 50; i++)
		sys_yield();
	kill((pid_t)pid, SIGKILL);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	/* The file's object goes with its last mapping: the hold too. */
	for (int i = 0; i < 500; i++) {
		mapstats(m1);
		if (m1[5] == m0[5])
			break;
		sys_yield();
	}
	CHECK_EQ(m1[5], m0[5]);
	CHECK_EQ(pager_check(), 0);
	/* And the file still reads right through a new mapping. */
	fd = open("/data/cold.bin", O_RDONLY);
	volatile char *p = mmap(NULL, 4 << 20, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		for (uint64_t line = 0; line < 65536; line += 997) {
			char want[64];
			snprintf(want, sizeof(want), "%058lu", (unsigned long)line);
			CHECK(!memcmp((const char *)p + line * 64, "cold ", 5));
			CHECK(!memcmp((const char *)p + line * 64 + 5 + 58 - 10, want + 48, 10));
		}
		munmap((void *)p, 4 << 20);
	}
	close(fd);
	unlink("/a1");
}

/* ---- fsd_dies ---- */

static void fsd_dies(void)
{
	int fd = make_file("/fd1", 4 * PS, 12), status = -1;

	flags = shared_page();
	volatile char *p = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && flags);
	if (p == MAP_FAILED || !flags)
		return;
	/* Only pages 0 and 1: no read-around past them. */
	CHECK_EQ(madvise((void *)p, 4 * PS, MADV_RANDOM), 0);
	CHECK_EQ(p[0], pat(0, 12));
	CHECK_EQ(p[PS], pat(PS, 12));
	p[1] = 'z';
	sync();		/* the image consistent before the server goes */
	/* Forked now: fork asks the file server, which will not answer. */
	fflush(stdout);
	pid_t later = fork();
	if (later == 0) {
		flags[3] = 1;	/* past fork's last call to the server */
		while (!flags[2])
			sys_yield();
		_exit(p[3 * PS] == 0x7f ? 3 : 0);	/* missing, no server: SIGBUS */
	}
	/* A child waiting on the disk when the server dies. */
	fflush(stdout);
	pid_t f = fork();
	if (f == 0)
		_exit(cold_reader(0));
	while (!flags[0] || !flags[3])
		sys_yield();
	CHECK_EQ(kill((pid_t)fsd_pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)fsd_pid, &status, 0), fsd_pid);
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK(WAIT_SIGBUS(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
	printf("filemap: the reader waiting when the server died: status %d\n", status);
	/* Resident pages stay; a missing one is SIGBUS. */
	CHECK_EQ(p[1], 'z');
	CHECK_EQ(p[PS + 5], pat(PS + 5, 12));
	p[PS + 6] = 'y';
	CHECK_EQ(p[PS + 6], 'y');
	flags[2] = 1;
	CHECK_EQ(waitpid(later, &status, 0), later);
	CHECK(WAIT_SIGBUS(status));
	/* msync cannot reach the disk: it fails, and does not hang. */
	errno = 0;
	int r = msync((void *)p, 4 * PS, MS_SYNC);
	CHECK(r == 0 || errno == EIO);
	CHECK_EQ(munmap((void *)p, 4 * PS), 0);
	CHECK_EQ(pager_check(), 0);
}

/* ---- enospc ---- */

/* Stores into a sparse mapped file larger than the free space: the
 * write-backs that find no room fail, msync says EIO, what was written
 * reads back, and the disk is consistent and usable afterwards. */
static void enospc(void)
{
	struct ipc_msg m = { 0 };
	int fd = open("/sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	uint64_t room = m.w[1] * m.w[2], size = (room + (2u << 20)) & ~(PS - 1);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	volatile char *p = mmap(NULL, size, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (uint64_t i = 0; i < size; i += PS)
		p[i] = 'n';
	errno = 0;
	CHECK_EQ(msync((void *)p, size, MS_SYNC), -1);
	CHECK(errno == EIO || errno == ENOSPC);
	printf("filemap: %lu bytes stored, %lu free: msync errno %d\n", (unsigned long)size,
	       (unsigned long)room, errno);
	CHECK_EQ(p[0], 'n');
	char c = 0;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'n');
	CHECK_EQ(munmap((void *)p, size), 0);
	close(fd);
	CHECK_EQ(unlink("/sparse"), 0);
	sync();
	/* Room again. */
	fd = make_file("/after", 3 * PS, 13);
	CHECK_EQ(fsync(fd), 0);
	close(fd);
}

/* ---- durability ---- */

static uint64_t lines(volatile char *p, const char *word, int n)
{
	uint64_t off = 0;

	for (int i = 0; i < n; i++) {
		char line[32];
		int k = snprintf(line, sizeof(line), "%s line %06d\n", word, i);
		for (int j = 0; j < k; j++)
			p[off + (uint64_t)j] = line[j];
		off += (uint64_t)k;
	}
	return off;
}

#define DURABLE_LINES	2000	/* "mapped line 000000\n": 19 bytes each */

static volatile char *map_new(const char *path, uint64_t size, int *fdp)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	volatile char *p = mmap(NULL, size, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	*fdp = fd;
	return p == MAP_FAILED ? NULL : p;
}

static int durable(bool by_fsync)
{
	const char *name = by_fsync ? "filemap durable_fsync" : "filemap durable";
	int fd;
	volatile char *p = map_new("/mapped.txt", 19 * DURABLE_LINES, &fd);

	if (!p)
		return t_done(name);
	CHECK_EQ(lines(p, "mapped", DURABLE_LINES), 19 * DURABLE_LINES);
	if (by_fsync)	/* fsync covers pages dirtied through mappings too */
		CHECK_EQ(fsync(fd), 0);
	else
		CHECK_EQ(msync((void *)p, 19 * DURABLE_LINES, MS_SYNC), 0);
	if (t_failures)
		return t_done(name);
	printf(by_fsync ? "filemap: fsync returned\n" : "filemap: msync returned\n");
	for (;;)
		sys_yield();
}

static int exit_writer(void *arg)
{
	int fd;
	bool unmap = arg != NULL;
	volatile char *p = map_new(unmap ? "/exited.txt" : "/exited2.txt", 19 * DURABLE_LINES, &fd);

	if (!p)
		return 1;
	lines(p, unmap ? "exitun" : "exited", DURABLE_LINES);
	if (unmap && munmap((void *)p, 19 * DURABLE_LINES) < 0)
		return 2;
	return 0;		/* exit: what is still mapped is written back */
}

static void exits(void)
{
	CHECK_EQ(in_child(exit_writer, (void *)1), 0);
	CHECK_EQ(in_child(exit_writer, NULL), 0);
	/* init's exit syncs (fs_start's atexit): the server first runs the
	 * write-backs the pager queued; fs-run.sh reads the files on the
	 * image. */
}


/* ---- attacks2: a second reviewer's attacks ---- */

static void on_usr1_exit(int sig)
{
	(void)sig;
	_exit(7);
}

/* The child spins with sp in a MAP_SHARED file mapping whose page below
 * sp is not resident: a signal's frame goes there. */
static int frame_in_file(void *arg)
{
	volatile char *map = arg;
	struct sigaction sa = { .sa_handler = on_usr1_exit };

	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	flags[1] = 1;
	/* Room below for the frame and the handler's copy of the IPC
	 * buffer (docs/signals.md): both in the file. */
	uint64_t sp = (uint64_t)map + 2 * PS + 64;
	__asm__ volatile("mv sp, %0\n1: j 1b" : : "r"(sp) : "memory");
	return 2;
}

/* The same for a fault's SIGSEGV: sp in the file, then a load from 0. */
static int segv_frame_in_file(void *arg)
{
	volatile char *map = arg;
	struct sigaction sa = { .sa_handler = on_usr1_exit };

	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return 1;
	uint64_t sp = (uint64_t)map + 3 * PS + 64;
	__asm__ volatile("mv sp, %0\nld zero, 0(zero)\n1: j 1b" : : "r"(sp) : "memory");
	return 2;
}

static int fixed_over_self(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint64_t sp;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	/* MAP_FIXED over our own stack page and over our code: either is
	 * refused or we die; the pager must live. */
	void *r = mmap((void *)((uint64_t)frame_in_file & ~(PS - 1)), PS, PROT_READ | PROT_EXEC,
		       MAP_SHARED | MAP_FIXED, fd, 0);
	(void)r;
	r = mmap((void *)(sp & ~(PS - 1)), PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	return 0;
}


static void on_usr1_count(int sig)
{
	(void)sig;
	flags[3]++;
}

/* Reads the cold file with a handler that counts SIGUSR1s. */
static int flooded_reader(void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1_count, .sa_flags = SA_RESTART };

	(void)arg;
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGALRM, &sa, NULL) != 0)
		return 9;
	for (int i = 0; i < 2000; i++)	/* alarm storm: set and cancel */
		alarm(i & 1 ? 0 : 100);
	alarm(0);
	return cold_reader(0);
}

/* Dirties a big mapping and msyncs it: killed, or signalled, meanwhile. */
static int big_syncer(void *arg)
{
	int fd = make_file("/b3", 256 * PS, 14);
	struct sigaction sa = { .sa_handler = on_usr1_count };
	volatile char *m = fd < 0 ? MAP_FAILED : mmap(NULL, 256 * PS, RW, MAP_SHARED, fd, 0);

	(void)arg;
	if (m == MAP_FAILED || sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	for (int round = 0; round < 4; round++) {
		for (uint64_t i = 0; i < 256 * PS; i += PS)
			m[i] = (char)('A' + round);
		flags[0] = 1;
		if (msync((void *)m, 256 * PS, MS_SYNC) != 0)
			return 2;
	}
	return 0;
}

static void flood_waiters(void)
{
	int status;
	pid_t pid;
	uint64_t m0[6], m1[6];

	mapstats(m0);
	/* Signals flooding a process whose faults wait on the disk. */
	flags[0] = 0;
	flags[3] = 0;
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(flooded_reader(NULL));
	while (!flags[0])
		sys_yield();
	for (int i = 0; i < 3000; i++) {
		if (kill(pid, i % 3 ? SIGUSR1 : SIGALRM) != 0)
			break;
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("flooded_reader: status %#x\n", status);
	CHECK(flags[3] >= 1);
	/* Signals, then SIGKILL, while msync(MS_SYNC) waits. */
	for (int round = 0; round < 3; round++) {
		flags[0] = 0;
		fflush(stdout);
		if ((pid = fork()) == 0)
			_exit(big_syncer(NULL));
		while (!flags[0])
			sys_yield();
		for (int i = 0; i < 200 * round; i++)
			kill(pid, SIGUSR1);
		if (round < 2)
			kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (round == 2) {
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
				printf("big_syncer: status %#x\n", status);
		}
	}
	unlink("/b3");
	for (int i = 0; i < 500; i++) {
		mapstats(m1);
		if (m1[5] == m0[5])
			break;
		sys_yield();
	}
	CHECK_EQ(m1[5], m0[5]);
	CHECK_EQ(pager_check(), 0);
}


/* Hostile address games with file mappings: each is refused, or kills
 * only us; afterwards the file server and pager serve everyone. */
static int window_games(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[64];
	void *p = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0), *q;

	if (p == MAP_FAILED)
		return 1;
	/* Grow huge, move over the IPC buffer, over USER_TOP. */
	q = mremap(p, 2 * PS, 1ul << 37, MREMAP_MAYMOVE);
	if (q != MAP_FAILED)
		p = q;
	q = mremap(p, PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)PROC_IPCBUF_VA);
	(void)q;
	q = mmap((void *)(USER_TOP - PS), 2 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	q = mmap((void *)(USER_TOP - PS), PS, RW, MAP_SHARED | MAP_FIXED, fd, ~0ul & ~(PS - 1));
	q = mmap(NULL, PS, RW, MAP_SHARED, fd, (1ul << 63) - PS);
	if (q != MAP_FAILED)
		(void)*(volatile char *)q;
	mprotect((void *)PROC_IPCBUF_VA, PS, PROT_READ);
	/* The file over our IPC buffer, then messages through it. */
	q = mmap((void *)PROC_IPCBUF_VA, PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	int f2 = open("/data/readonly.txt", O_RDONLY);
	if (f2 >= 0)
		(void)read(f2, buf, sizeof(buf));
	msync((void *)PROC_IPCBUF_VA, PS, MS_SYNC | MS_INVALIDATE);
	madvise((void *)PROC_IPCBUF_VA, PS, MADV_DONTNEED);
	munmap((void *)PROC_IPCBUF_VA, PS);
	f2 = open("/data/readonly.txt", O_RDONLY);
	if (f2 >= 0)
		(void)read(f2, buf, sizeof(buf));
	return 0;
}

static void attacks2(void)
{
	int fd = make_file("/b1", 4 * PS, 12), status;
	volatile char *m;

	CHECK(fd >= 0);
	flags = shared_page();
	flood_waiters();
	/* A dirty shared page dropped by MADV_DONTNEED is still the file's. */
	m = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	m[5] = 'X';
	CHECK_EQ(madvise((void *)m, 2 * PS, MADV_DONTNEED), 0);
	CHECK_EQ(m[5], 'X');
	/* msync over file and anonymous VMAs side by side. */
	void *a = mmap((void *)(m + 2 * PS), PS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(a != MAP_FAILED);
	CHECK_EQ(msync((void *)m, 3 * PS, MS_SYNC), 0);
	CHECK_EQ(msync((void *)m, 3 * PS, MS_INVALIDATE), 0);
	CHECK_EQ(m[5], 'X');
	munmap((void *)m, 3 * PS);
	/* Truncate below a dirty page, then grow: the page reads zeros. */
	m = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	m[PS + 9] = 'Z';
	CHECK_EQ(ftruncate(fd, PS), 0);
	CHECK_EQ(ftruncate(fd, 2 * PS), 0);
	CHECK_EQ(m[PS + 9], 0);
	char c = 1;
	CHECK_EQ(pread(fd, &c, 1, PS + 9), 1);
	CHECK_EQ(c, 0);
	munmap((void *)m, 2 * PS);
	CHECK_EQ(ftruncate(fd, 4 * PS), 0);
	status = in_child(window_games, (void *)(intptr_t)fd);
	CHECK(status != -1);
	printf("window_games: status %#x\n", status);
	CHECK_EQ(pager_check(), 0);
	/* MAP_FIXED of the file over one's own code and stack. */
	status = in_child(fixed_over_self, (void *)(intptr_t)fd);
	CHECK(status != -1);
	/* A signal frame in a file page that is not resident. */
	int fd2 = make_file("/b2", 4 * PS, 13);
	m = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd2, 0);
	CHECK(m != MAP_FAILED);
	flags[1] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(frame_in_file((void *)m));
	while (!flags[1])
		sys_yield();
	for (int i = 0; i < 20; i++)
		sys_yield();
	kill(pid, SIGUSR1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		printf("frame_in_file: status %#x\n", status);
	status = in_child(segv_frame_in_file, (void *)m);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		printf("segv_frame_in_file: status %#x\n", status);
	munmap((void *)m, 4 * PS);
	close(fd2);
	close(fd);
	unlink("/b1");
	unlink("/b2");
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
