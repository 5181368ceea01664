/*
 * test_filemap's modes about the disk and the file server: fsd_dies (the
 * server killed under mappings), enospc (write-back into a full disk),
 * durable / durable_fsync (stores that must reach the image) and exit
 * (stores written back at munmap and exit).
 */
#include "filemap_attack.h"

/* ---- fsd_dies ---- */

void fsd_dies(void)
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
void enospc(void)
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

int durable(bool by_fsync)
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

void exits(void)
{
	CHECK_EQ(in_child(exit_writer, (void *)1), 0);
	CHECK_EQ(in_child(exit_writer, NULL), 0);
	/* init's exit syncs (fs_start's atexit): the server first runs the
	 * write-backs the pager queued; fs-run.sh reads the files on the
	 * image. */
}
