/*
 * File-backed mappings (issue 10, docs/page-cache.md), run as init over
 * the disk image under test/fs-run.sh (which runs e2fsck -fn on it
 * afterwards, and for some modes debugfs). argv[1], one ctest each:
 *   coherence   MAP_SHARED: two mappings, two processes (spawned and
 *               forked) and read()/write() all see one copy, no msync
 *   private     MAP_PRIVATE: copy-on-write, no write-back, unwritten
 *               pages follow the file
 *   remap       msync, munmap, remap: the data is there; clean msync
 *               writes nothing
 *   eof         the partial last page reads zero past the end and never
 *               reaches the file (fs-run.sh checks the size with debugfs)
 *   sigbus      a page past the end, and after a shrinking ftruncate, is
 *               SIGBUS in every mapper; growing makes it valid again
 *   unlink      a mapping outlives close() and unlink()
 *   invalidate  MS_INVALIDATE drops cached pages: the next access reads
 *               the file; a dirty page is written first
 *   waits       a fault waiting on the disk does not stop another
 *               process's anonymous faults; two processes faulting on
 *               one missing page cause one read
 *   errors, attacks, enospc, fsd_dies, durable, exit   test_filemap_attack.c
 *   durable_runs                                        test_filemap_runs.c
 *   bench                                      test_filemap_bench.c
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

static char buf[3 * 4096 + 64];
int64_t fsd_pid;

int make_file(const char *path, uint64_t n, unsigned seed)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	for (uint64_t done = 0; fd >= 0 && done < n;) {
		uint64_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		for (uint64_t i = 0; i < k; i++)
			buf[i] = pat(done + i, seed);
		ssize_t w = write(fd, buf, k);
		CHECK_EQ(w, (ssize_t)k);
		if (w <= 0)
			break;
		done += (uint64_t)w;
	}
	return fd;
}

bool is_pat(const volatile char *p, uint64_t off, uint64_t n, unsigned seed)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != pat(off + i, seed)) {
			printf("filemap: byte %lu is %d, not %d\n", (unsigned long)(off + i), p[i],
			       pat(off + i, seed));
			return false;
		}
	return true;
}

static void stats(uint64_t label, uint64_t w[6])
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(label, &m, 0), 0);
	memcpy(w, m.w, 6 * sizeof(uint64_t));
}

void mapstats(uint64_t w[6])
{
	stats(FS_MAPSTATS, w);
}

void diskstats(uint64_t w[6])
{
	stats(FS_DISKSTATS, w);
}

volatile uint64_t *shared_page(void)
{
	void *p = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return p == MAP_FAILED ? NULL : p;
}

int in_child(int (*fn)(void *), void *arg)
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int touch_read(void *p)
{
	return *(volatile char *)p == 0x7f ? 3 : 0;	/* the value does not matter */
}

static int touch_write(void *p)
{
	*(volatile char *)p = 1;
	return 0;
}

/* ---- coherence ---- */

static int child_coherence(void)
{
	int fd = open("/m1", O_RDWR);
	volatile char *p;

	if (fd < 0)
		return 1;
	p = mmap(NULL, 3 * PS, RW, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	if (p[100] != 'X' || p[5000] != 'Y' || p[5001] != 'Z' || p[200] != 'Q')
		return 3;
	p[300] = 'C';		/* seen by the parent's mapping and read() */
	return 0;
}

static void coherence(void)
{
	const char *argv[] = { "test_filemap", "child-coherence", NULL };
	int fd = make_file("/m1", 3 * PS, 1), status = -1;
	char c;

	volatile char *p = mmap(NULL, 3 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK(is_pat(p, 0, 3 * PS, 1));
	/* A store is read() at once, without msync. */
	p[100] = 'X';
	CHECK_EQ(pread(fd, &c, 1, 100), 1);
	CHECK_EQ(c, 'X');
	/* A write() is seen at once by the mapping. */
	CHECK_EQ(pwrite(fd, "YZ", 2, 5000), 2);
	CHECK_EQ(p[5000], 'Y');
	CHECK_EQ(p[5001], 'Z');
	/* A second mapping of the file in the same process is the same page. */
	volatile char *q = mmap(NULL, 3 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(q != MAP_FAILED && q != p);
	if (q != MAP_FAILED) {
		CHECK_EQ(q[100], 'X');
		q[200] = 'Q';
		CHECK_EQ(p[200], 'Q');
	}
	/* A mapping at an offset: page 1 of the file at q2's start. */
	volatile char *q2 = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, PS);
	CHECK(q2 != MAP_FAILED);
	if (q2 != MAP_FAILED) {
		CHECK_EQ(q2[5000 - PS], 'Y');
		p[PS + 7] = '7';
		CHECK_EQ(q2[7], '7');
		munmap((void *)q2, PS);
	}
	/* Another process maps the file by itself. */
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ(p[300], 'C');
	CHECK_EQ(pread(fd, &c, 1, 300), 1);
	CHECK_EQ(c, 'C');
	/* A forked child shares the mapping. */
	fflush(stdout);
	pid_t f = fork();
	if (f == 0) {
		p[400] = 'F';
		_exit(p[300] == 'C' ? 0 : 1);
	}
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK_EQ(status, 0);
	CHECK_EQ(p[400], 'F');
	/* write() with read() of bytes both through the block cache and the
	 * page cache: 4 KiB straddling pages 0 and 1. */
	memset(buf, 'w', PS);
	CHECK_EQ(pwrite(fd, buf, PS, PS / 2), (ssize_t)PS);
	CHECK_EQ(p[PS / 2], 'w');
	CHECK_EQ(p[PS / 2 + PS - 1], 'w');
	CHECK_EQ(p[PS / 2 + PS], pat(PS / 2 + PS, 1));
	p[PS - 1] = 'E';
	CHECK_EQ(pread(fd, buf, 2, PS - 1), 2);
	CHECK(buf[0] == 'E' && buf[1] == 'w');
	/* A read() over a page the pager has (dirty) and one it has not. */
	int fd3 = make_file("/m1b", 3 * PS, 3);
	volatile char *h = mmap(NULL, 3 * PS, RW, MAP_SHARED, fd3, 0);
	CHECK(h != MAP_FAILED);
	if (h != MAP_FAILED) {
		CHECK_EQ(madvise((void *)h, 3 * PS, MADV_RANDOM), 0);	/* no read-around */
		h[PS - 2] = 'H';
		CHECK_EQ(pread(fd3, buf, PS, PS - 2048), (ssize_t)PS);
		CHECK_EQ(buf[2046], 'H');
		CHECK(is_pat(buf, PS - 2048, 2046, 3));
		CHECK(is_pat(buf + 2047, PS - 2048 + 2047, PS - 2047, 3));
		munmap((void *)h, 3 * PS);
	}
	close(fd3);
	unlink("/m1b");
	/* The stores reach the file: after msync and a new open the disk
	 * side agrees (the page cache is dropped by munmap of the last
	 * mapping and a later read()). */
	CHECK_EQ(msync((void *)p, 3 * PS, MS_SYNC), 0);
	CHECK_EQ(munmap((void *)p, 3 * PS), 0);
	if (q != MAP_FAILED)
		CHECK_EQ(munmap((void *)q, 3 * PS), 0);
	close(fd);
	fd = open("/m1", O_RDONLY);
	CHECK_EQ(pread(fd, buf, 8, 100), 8);
	CHECK_EQ(buf[0], 'X');
	CHECK_EQ(pread(fd, buf, 1, 400), 1);
	CHECK_EQ(buf[0], 'F');
	close(fd);
	unlink("/m1");
}

/* ---- private ---- */

static void private_cow(void)
{
	uint64_t s0[6], s1[6];
	int fd = make_file("/m2", 2 * PS, 2), status = -1;
	char c;

	CHECK_EQ(fsync(fd), 0);
	mapstats(s0);
	volatile char *p = mmap(NULL, 2 * PS, RW, MAP_PRIVATE, fd, 0);
	volatile char *s = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && s != MAP_FAILED);
	if (p == MAP_FAILED || s == MAP_FAILED)
		return;
	CHECK(is_pat(p, 0, 2 * PS, 2));
	p[10] = 'P';			/* a private copy of page 0 */
	CHECK_EQ(s[10], pat(10, 2));	/* not in the file's page */
	CHECK_EQ(pread(fd, &c, 1, 10), 1);
	CHECK_EQ(c, pat(10, 2));
	/* Page 1, never written privately, follows the file: a write()
	 * and a store through the shared mapping. */
	CHECK_EQ(pwrite(fd, "W", 1, PS + 10), 1);
	CHECK_EQ(p[PS + 10], 'W');
	s[PS + 11] = 'S';
	CHECK_EQ(p[PS + 11], 'S');
	/* Page 0, written privately, no longer does. */
	CHECK_EQ(pwrite(fd, "V", 1, 20), 1);
	CHECK_EQ(p[20], pat(20, 2));
	CHECK_EQ(s[20], 'V');
	CHECK_EQ(p[10], 'P');
	/* A forked child's private store is its own. */
	fflush(stdout);
	pid_t f = fork();
	if (f == 0) {
		p[30] = 'K';
		p[PS + 30] = 'K';
		_exit(p[10] == 'P' ? 0 : 1);
	}
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK_EQ(status, 0);
	CHECK_EQ(p[30], pat(30, 2));
	CHECK_EQ(p[PS + 30], pat(PS + 30, 2));
	CHECK_EQ(s[PS + 30], pat(PS + 30, 2));
	/* msync of a private mapping succeeds and writes nothing. */
	CHECK_EQ(msync((void *)p, 2 * PS, MS_SYNC), 0);
	CHECK_EQ(munmap((void *)p, 2 * PS), 0);
	CHECK_EQ(pread(fd, &c, 1, 10), 1);
	CHECK_EQ(c, pat(10, 2));
	/* MAP_PRIVATE with PROT_WRITE of a read-only descriptor is allowed. */
	int ro = open("/m2", O_RDONLY);
	p = mmap(NULL, PS, RW, MAP_PRIVATE, ro, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		p[0] = 'R';
		CHECK_EQ(p[0], 'R');
		munmap((void *)p, PS);
	}
	close(ro);
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, pat(0, 2));
	CHECK_EQ(munmap((void *)s, 2 * PS), 0);
	mapstats(s1);
	/* The one page the shared mapping dirtied (s[PS + 11]) at most; the
	 * private stores never. */
	CHECK(s1[4] - s0[4] <= 1);
	close(fd);
	fd = open("/m2", O_RDONLY);
	CHECK_EQ(pread(fd, buf, 2 * PS, 0), (ssize_t)(2 * PS));
	CHECK_EQ(buf[10], pat(10, 2));
	CHECK_EQ(buf[30], pat(30, 2));
	CHECK_EQ(buf[PS + 30], pat(PS + 30, 2));
	CHECK_EQ(buf[PS + 11], 'S');
	close(fd);
	unlink("/m2");
}

/* ---- remap ---- */

static void remap(void)
{
	uint64_t d0[6], d1[6], m0[6], m1[6];
	int fd = open("/m3", O_RDWR | O_CREAT | O_TRUNC, 0644);

	/* A sparse file: the stores allocate its blocks at write-back. */
	CHECK_EQ(ftruncate(fd, 4 * PS + 1000), 0);
	volatile char *p = mmap(NULL, 5 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (uint64_t i = 0; i < 4 * PS + 1000; i++)
		p[i] = pat(i, 3);
	diskstats(d0);
	mapstats(m0);
	CHECK_EQ(msync((void *)p, 5 * PS, MS_SYNC), 0);
	diskstats(d1);
	mapstats(m1);
	CHECK_EQ(m1[4] - m0[4], 5);		/* five dirty pages written back */
	CHECK(d1[2] > d0[2]);			/* blocks written */
	CHECK(d1[5] > d0[5]);			/* and the device flushed */
	/* A clean msync writes nothing. */
	CHECK_EQ(msync((void *)p, 5 * PS, MS_SYNC), 0);
	CHECK_EQ(msync((void *)p, 5 * PS, MS_ASYNC), 0);
	mapstats(m0);
	CHECK_EQ(m0[4], m1[4]);
	CHECK_EQ(munmap((void *)p, 5 * PS), 0);
	/* Mapped again: the data is there, and in read(). */
	p = mmap(NULL, 5 * PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK(is_pat(p, 0, 4 * PS + 1000, 3));
		munmap((void *)p, 5 * PS);
	}
	close(fd);
	fd = open("/m3", O_RDONLY);
	CHECK_EQ(pread(fd, buf, PS, 3 * PS), (ssize_t)PS);
	CHECK(is_pat(buf, 3 * PS, PS, 3));
	/* MS_ASYNC starts the write-back; munmap writes back too. */
	int fw = open("/m3", O_RDWR);
	p = mmap(NULL, PS, RW, MAP_SHARED, fw, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		p[5] = '!';
		CHECK_EQ(msync((void *)p, PS, MS_ASYNC), 0);
		p[6] = '?';
		CHECK_EQ(munmap((void *)p, PS), 0);
	}
	close(fw);
	CHECK_EQ(pread(fd, buf, 2, 5), 2);
	CHECK(buf[0] == '!' && buf[1] == '?');
	close(fd);
	/* Left for the host: fs-run.sh compares /m3 with debugfs. */
}

/* ---- eof ---- */

static void eof(void)
{
	struct stat st;
	int fd = make_file("/tail", 5000, 4);
	char c;

	volatile char *p = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK(is_pat(p, 0, 5000, 4));
	for (uint64_t i = 5000; i < 2 * PS; i++)
		if (p[i]) {
			CHECK(!"the last page past the end reads zero");
			break;
		}
	p[4000] = 'U';
	p[6000] = 'T';		/* past the end: never reaches the file */
	p[2 * PS - 1] = 'T';
	CHECK_EQ(msync((void *)p, 2 * PS, MS_SYNC), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 5000);
	CHECK_EQ(pread(fd, buf, 100, 4990), 10);
	CHECK_EQ(buf[0], pat(4990, 4));
	CHECK_EQ(munmap((void *)p, 2 * PS), 0);
	close(fd);
	/* The same on a file that then grows: the bytes stored past the old
	 * end read zero (in the file and in the mapping). */
	fd = make_file("/tail2", 5000, 4);
	p = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	p[6000] = 'T';
	CHECK_EQ(msync((void *)p, 2 * PS, MS_SYNC), 0);
	CHECK_EQ(ftruncate(fd, 2 * PS), 0);
	CHECK_EQ(pread(fd, &c, 1, 6000), 1);
	CHECK_EQ(c, 0);
	CHECK_EQ(p[6000], 0);
	/* A write() past the end of a mapped file: the mapping sees it. */
	CHECK_EQ(pwrite(fd, "G", 1, 2 * PS - 1), 1);
	CHECK_EQ(p[2 * PS - 1], 'G');
	CHECK_EQ(munmap((void *)p, 2 * PS), 0);
	close(fd);
	unlink("/tail2");
	/* /tail is left for the host: debugfs must show 5000 bytes. */
}

/* ---- sigbus ---- */

static volatile uint64_t *flags;

static int child_waits_for_shrink(void *arg)
{
	volatile char *p = arg;
	char c = p[PS];		/* page 1 mapped in this process */

	flags[0] = 1;
	while (!flags[1])
		sys_yield();
	c = p[PS];		/* gone with the truncate: SIGBUS */
	return c == 0x7f ? 3 : 0;
}

static void sigbus(void)
{
	int fd = make_file("/bus", 2 * PS + 100, 5), status = -1;

	flags = shared_page();
	volatile char *p = mmap(NULL, 4 * PS, RW, MAP_SHARED, fd, 0);
	volatile char *pp = mmap(NULL, 4 * PS, RW, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED && pp != MAP_FAILED && flags);
	if (p == MAP_FAILED || pp == MAP_FAILED || !flags)
		return;
	/* Page 2 holds the end: valid, zero past it. Page 3 is past it. */
	CHECK_EQ(p[2 * PS + 99], pat(2 * PS + 99, 5));
	CHECK_EQ(p[2 * PS + 100], 0);
	status = in_child(touch_read, (void *)(p + 3 * PS));
	CHECK(WAIT_SIGBUS(status));
	status = in_child(touch_write, (void *)(p + 3 * PS));
	CHECK(WAIT_SIGBUS(status));
	status = in_child(touch_read, (void *)(pp + 3 * PS));
	CHECK(WAIT_SIGBUS(status));
	status = in_child(touch_read, (void *)(p + 2 * PS));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Shrinking: every mapper of page 1 loses it, this process and a
	 * child that had it mapped. */
	CHECK_EQ(p[PS], pat(PS, 5));
	fflush(stdout);
	pid_t f = fork();
	if (f == 0)
		_exit(child_waits_for_shrink((void *)p));
	while (f > 0 && !flags[0])
		sys_yield();
	CHECK_EQ(ftruncate(fd, PS), 0);
	flags[1] = 1;
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK(WAIT_SIGBUS(status));
	status = in_child(touch_read, (void *)(p + PS));
	CHECK(WAIT_SIGBUS(status));
	status = in_child(touch_read, (void *)(pp + PS));
	CHECK(WAIT_SIGBUS(status));
	CHECK(is_pat(p, 0, PS, 5));
	/* Growing again: the pages are valid, and zero. */
	CHECK_EQ(ftruncate(fd, 3 * PS), 0);
	status = in_child(touch_read, (void *)(p + 2 * PS));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(p[PS], 0);
	CHECK_EQ(p[2 * PS + 50], 0);
	CHECK_EQ(pp[PS + 1], 0);
	p[PS + 2] = 'g';
	char c = 0;
	CHECK_EQ(pread(fd, &c, 1, PS + 2), 1);
	CHECK_EQ(c, 'g');
	/* A mapping that starts past the end: allowed, SIGBUS on access. */
	volatile char *far = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 16 * PS);
	CHECK(far != MAP_FAILED);
	if (far != MAP_FAILED) {
		status = in_child(touch_read, (void *)far);
		CHECK(WAIT_SIGBUS(status));
		munmap((void *)far, PS);
	}
	munmap((void *)p, 4 * PS);
	munmap((void *)pp, 4 * PS);
	close(fd);
	unlink("/bus");
}

/* ---- unlink ---- */

static void unlinked(void)
{
	uint64_t m0[6], m1[6];
	struct stat st;
	int fd = make_file("/u1", 3 * PS, 6);

	mapstats(m0);
	volatile char *p = mmap(NULL, 3 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(unlink("/u1"), 0);
	CHECK(stat("/u1", &st) < 0 && errno == ENOENT);
	/* The data is still there, pages never touched before included. */
	CHECK(is_pat(p, 0, 3 * PS, 6));
	p[5] = 'L';
	CHECK_EQ(msync((void *)p, 3 * PS, MS_SYNC), 0);
	CHECK_EQ(p[5], 'L');
	/* A new file of that name is another file. */
	int fd2 = make_file("/u1", 10, 7);
	CHECK_EQ(pread(fd2, buf, 10, 0), 10);
	CHECK(is_pat(buf, 0, 10, 7));
	close(fd2);
	unlink("/u1");
	/* Mapped after unlink, through a descriptor still open. */
	fd = make_file("/u2", PS, 8);
	CHECK_EQ(unlink("/u2"), 0);
	volatile char *q = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(q != MAP_FAILED);
	close(fd);
	if (q != MAP_FAILED)
		CHECK(is_pat(q, 0, PS, 8));
	mapstats(m1);
	CHECK(m1[5] >= m0[5] + 2);	/* both inodes held by the server */
	/* The last unmap frees them (e2fsck on the host checks the counts). */
	CHECK_EQ(munmap((void *)p, 3 * PS), 0);
	if (q != MAP_FAILED)
		CHECK_EQ(munmap((void *)q, PS), 0);
	for (int i = 0; i < 200 && m1[5] > m0[5]; i++) {
		sys_yield();
		mapstats(m1);
	}
	CHECK_EQ(m1[5], m0[5]);
}

/* ---- invalidate ---- */

static void invalidate(void)
{
	uint64_t m0[6], m1[6];
	int fd = make_file("/inv", 2 * PS, 9);
	char c;

	volatile char *p = mmap(NULL, 2 * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK_EQ(p[1], pat(1, 9));
	CHECK_EQ(p[PS + 1], pat(PS + 1, 9));
	mapstats(m0);
	CHECK_EQ(p[2], pat(2, 9));		/* cached: no fill */
	mapstats(m1);
	CHECK_EQ(m1[1], m0[1]);
	/* Dropped: the next access reads the file again. */
	CHECK_EQ(msync((void *)p, 2 * PS, MS_INVALIDATE), 0);
	CHECK_EQ(p[3], pat(3, 9));
	mapstats(m1);
	CHECK(m1[1] > m0[1]);
	/* A dirty page is written first, so nothing is lost. */
	p[PS + 4] = 'D';
	CHECK_EQ(msync((void *)p, 2 * PS, MS_INVALIDATE | MS_SYNC), 0);
	CHECK_EQ(p[PS + 4], 'D');
	CHECK_EQ(pread(fd, &c, 1, PS + 4), 1);
	CHECK_EQ(c, 'D');
	p[PS + 5] = 'E';
	CHECK_EQ(msync((void *)p, 2 * PS, MS_INVALIDATE), 0);
	CHECK_EQ(p[PS + 5], 'E');
	munmap((void *)p, 2 * PS);
	close(fd);
	unlink("/inv");
}

/* ---- waits ---- */

/* Scan the cold 4 MiB file through a mapping: every fill waits on the
 * disk. flags[0]: started, flags[1]: done. */
static int cold_scanner(void *arg)
{
	(void)arg;
	int fd = open("/data/cold.bin", O_RDONLY);
	volatile char *p = mmap(NULL, 4 << 20, PROT_READ, MAP_SHARED, fd, 0);
	unsigned sum = 0;

	if (p == MAP_FAILED)
		return 1;
	flags[0] = 1;
	for (uint64_t i = 0; i < (4u << 20); i += PS)
		sum += (unsigned char)p[i];
	flags[1] = 1;
	/* Line i is "cold %058d\n": 64 bytes. */
	return !memcmp((const char *)p + 64 * 1000, "cold 00", 7) && sum ? 0 : 2;
}

/* Wait for the go flag, then touch the page (flags[4 + i]: ready). */
static int one_page_toucher(volatile char *p, int i)
{
	flags[4 + i] = 1;
	while (!flags[3])
		sys_yield();
	return p[0] == (char)('A' + (40 * PS) % 23) ? 0 : 1;
}

static void waits(void)
{
	uint64_t s0[6], s1[6], d0[6], d1[6];
	int status = -1;

	flags = shared_page();
	if (!flags)
		return;
	fflush(stdout);
	pid_t f = fork();
	if (f == 0)
		_exit(cold_scanner(NULL));
	while (!flags[0])
		sys_yield();
	/* Anonymous faults while the scanner waits on the disk. */
	volatile char *a = mmap(NULL, 4096 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t during = 0, total = 0;
	for (uint64_t i = 0; a != MAP_FAILED && i < 4096; i++) {
		a[i * PS] = 1;
		total++;
		if (!flags[1])
			during++;
	}
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK_EQ(status, 0);
	printf("filemap: %lu of %lu anonymous faults served while a fault waited on the disk\n",
	       (unsigned long)during, (unsigned long)total);
	CHECK(during >= 64);
	munmap((void *)a, 4096 * PS);

	/* Two processes fault on one missing page: one fill, one read. */
	int fd = open("/data/big.bin", O_RDONLY);
	volatile char *p = mmap(NULL, 64 * PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	mapstats(s0);
	diskstats(d0);
	pid_t k[2];
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		if ((k[i] = fork()) == 0)
			_exit(one_page_toucher(p + 40 * PS, i));
	}
	while (!flags[4] || !flags[5])
		sys_yield();
	flags[3] = 1;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(waitpid(k[i], &status, 0), k[i]);
		CHECK_EQ(status, 0);
	}
	mapstats(s1);
	diskstats(d1);
	printf("filemap: two faults on one page: %lu fill(s), %lu blocks read\n",
	       (unsigned long)(s1[1] - s0[1]), (unsigned long)(d1[1] - d0[1]));
	CHECK_EQ(s1[1] - s0[1], 1);
	CHECK(d1[1] - d0[1] <= 16 * PS / 1024 + 4);	/* the pages, and the block map */
	munmap((void *)p, 64 * PS);
	close(fd);
}

static int run_mode(const char *mode)
{
	static const struct { const char *name; void (*run)(void); } modes[] = {
		{ "coherence", coherence }, { "private", private_cow }, { "remap", remap },
		{ "eof", eof }, { "sigbus", sigbus }, { "unlink", unlinked },
		{ "invalidate", invalidate }, { "waits", waits },
		{ "durable_runs", durable_runs },
	};
	char name[64];

	snprintf(name, sizeof(name), "filemap %s", mode);
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(mode, modes[i].name))
			continue;
		fsd_pid = fs_start(libsys_start_info.devices, libsys_start_info.ndevices);
		CHECK(fsd_pid > 0);
		if (fsd_pid > 0)
			modes[i].run();
		CHECK_EQ(pager_check(), 0);
		return t_done(name);
	}
	return run_filemap_attack(mode);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "coherence";

	if (!strcmp(mode, "child-coherence"))
		return child_coherence();
	if (!strcmp(mode, "child-dies"))
		return child_dies_waiting();
	if (!strcmp(mode, "bench"))
		return run_bench(argc > 2 ? argv[2] : "");
	return run_mode(mode);
}
