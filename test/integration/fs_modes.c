/*
 * test_fs: the modes beyond "calls": a full disk, the durability kill,
 * the shell on the disk, and the benchmark run by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "fs_test.h"

int run_enospc(void)
{
	struct stat st;
	int fd, saved = 0;
	ssize_t w = 0;
	long total = 0;

	if (!start())
		return t_done("fs enospc");
	fd = open("/fill", O_WRONLY | O_CREAT, 0644);
	fill(buf, 65536, 5);
	while ((w = write(fd, buf, 65536)) == 65536)
		total += w;
	if (w > 0)
		total += w;
	saved = errno;
	ERRNO(write(fd, buf, 4096), ENOSPC);
	CHECK(total > 1000000);
	(void)saved;
	ERRNO(mkdir("/nospace-dir", 0755), ENOSPC);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, total);
	CHECK_EQ(pread(fd, buf2, 65536, 0), -1);	/* write-only */
	close(fd);
	fd = open("/fill", O_RDONLY);
	CHECK_EQ(pread(fd, buf2, 65536, 65536), 65536);
	CHECK(!memcmp(buf, buf2, 65536));
	close(fd);
	CHECK_EQ(unlink("/fill"), 0);
	CHECK_EQ(mkdir("/after", 0755), 0);		/* room again */
	printf("fs: filled %ld bytes\n", total);
	return t_done("fs enospc");
}

int run_durable(void)
{
	int fd;

	if (!start())
		return t_done("fs durable");
	fd = open("/durable.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	for (int i = 0; i < 3000; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "durable line %06d\n", i);
		CHECK_EQ(write(fd, line, (size_t)n), n);
	}
	CHECK_EQ(fsync(fd), 0);
	if (t_failures)
		return t_done("fs durable");
	printf("fs: fsync returned\n");
	for (;;)
		sys_yield();
}

/* The shell on the disk runs its demo script; its output goes to the
 * console (the test's log); here only the files it leaves are checked. */
int run_shell(void)
{
	const char *sh[] = { "/bin/sh", "/etc/demo.sh", NULL };
	const char *sh_c[] = { "/bin/sh", "-c", "echo one > /tmp/c; echo two >> /tmp/c; exit 3",
			       NULL };
	struct stat st;
	int status = -1;

	if (!start())
		return t_done("fs shell");
	int64_t pid = spawn_path(sh, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(stat("/tmp/greeting", &st), 0);
	CHECK_EQ(st.st_size, 24);
	CHECK(stat("/tmp/moved", &st) < 0 && errno == ENOENT);
	pid = spawn_path(sh_c, 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	int fd = open("/tmp/c", O_RDONLY);
	CHECK_EQ(read(fd, buf, 100), 8);
	CHECK(!memcmp(buf, "one\ntwo\n", 8));
	close(fd);
	return t_done("fs shell");
}

/*
 * bench (tools/bench.sh boots it under -icount shift=0 with the bench
 * image, mkfsimg.sh --bench): issue 9's figures, instructions per 4 KiB
 * page or per operation, each with the bytes the disk moved. Per-operation
 * figures are the median of their samples, with the spread (min - max).
 * Under -icount an instruction is also a nanosecond of the hart idling
 * while the host does the disk's I/O: the cold and fsync figures count
 * that wait (docs/benchmarks.md).
 */
static uint64_t disk_requests;	/* device reads and writes, as of the last disk_bytes() */

static uint64_t disk_bytes(void)
{
	struct ipc_msg m = { 0 }, s = { 0 };

	fs_call(FS_DISKSTATS, &m, 0);
	fs_call(FS_STATFS, &s, 0);
	disk_requests = m.w[3] + m.w[4];
	return (m.w[1] + m.w[2]) * s.w[2];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* name: the median of n samples, their spread, and the disk's bytes per
 * operation. */
static void bench_ops(const char *name, uint64_t *t, int n, uint64_t disk, const char *what)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_u64);
	printf("bench: %s %lu instructions (%s; median of %d, spread %lu - %lu; "
	       "disk moved %lu bytes each)\n", name, (unsigned long)t[n / 2], what, n,
	       (unsigned long)t[0], (unsigned long)t[n - 1], (unsigned long)(disk / (uint64_t)n));
}

static uint64_t pass_requests;	/* the disk requests of the last read_pass */

/* One sequential read of path with a 64 KiB buffer: instructions per
 * 4 KiB page; *disk: the bytes the disk moved. */
static uint64_t read_pass(const char *path, long *bytes, uint64_t *disk)
{
	int fd = open(path, O_RDONLY);
	long n = 0;
	ssize_t r;

	uint64_t d0 = disk_bytes(), q0 = disk_requests, t0 = rdinstret();
	while ((r = read(fd, buf, 65536)) > 0)
		n += r;
	uint64_t t1 = rdinstret();
	*disk = disk_bytes() - d0;
	pass_requests = disk_requests - q0;
	close(fd);
	*bytes = n;
	return n >= 4096 ? (t1 - t0) / (uint64_t)(n / 4096) : 0;
}

static void bench_read(const char *name, const char *path, const char *what)
{
	uint64_t disk;
	long n;
	uint64_t per = read_pass(path, &n, &disk);

	printf("bench: %s %lu instructions per 4 KiB page (%s; %ld bytes, disk moved %lu bytes "
	       "in %lu requests)\n", name, (unsigned long)per, what, n, (unsigned long)disk,
	       (unsigned long)pass_requests);
}

/* only = "sync": the pwrite and fsync figures alone (a quick run while
 * working on the write path); "cold": the cold read and its warm repeat
 * alone (tools/bench-cold.sh). */
int run_bench(const char *only)
{
	const char *hello[] = { "/bin/hello", NULL };
	bool sync_only = !strcmp(only, "sync");
	uint64_t t[16], d0, t0;
	int status;

	if (!start())
		return 1;
	if (sync_only)
		goto sync_figures;
	/* The 16 MiB file first, while nothing of it is cached. */
	bench_read("read_16mib_cold", "/data/16mib.bin", "first read after boot, 64 KiB read()s");
	bench_read("read_16mib", "/data/16mib.bin",
		   "read again; the server's cache is 2 MiB, so most pages come from the disk again");
	if (!strcmp(only, "cold")) {
		printf("bench: fs done\n");
		return 0;
	}
	uint64_t warm;
	long warm_n;
	read_pass("/data/big.bin", &warm_n, &warm);	/* into the cache */
	bench_read("read_cached_300k", "/data/big.bin", "a 300,000-byte file, all cached");

	struct ipc_msg m;
	for (int i = 0; i < 16; i++) {
		memset(&m, 0, sizeof(m));
		t0 = rdinstret();
		fs_call(FS_DISKSTATS, &m, 0);
		t[i] = rdinstret() - t0;
	}
	bench_ops("fs_null_request", t, 16, 0, "an FS_DISKSTATS round trip");
sync_figures:
	;

	int fd = open("/bench", O_RDWR | O_CREAT | O_TRUNC, 0644);
	fill(buf, 4096, 9);
	pwrite(fd, buf, 4096, 0);
	fsync(fd);
	for (int i = 0; i < 16; i++) {
		t0 = rdinstret();
		pwrite(fd, buf, 4096, 0);
		t[i] = rdinstret() - t0;
	}
	bench_ops("pwrite_4k_cached", t, 16, 0, "4 KiB pwrite to a cached page, no fsync");
	d0 = disk_bytes();
	for (int i = 0; i < 16; i++) {
		t0 = rdinstret();
		pwrite(fd, buf, 4096, 0);
		fsync(fd);
		t[i] = rdinstret() - t0;
	}
	bench_ops("fsync_1page", t, 16, disk_bytes() - d0,
		  "4 KiB pwrite then fsync; counts the host's flush as idle");
	close(fd);
	unlink("/bench");
	if (sync_only) {
		printf("bench: fs done\n");
		return 0;
	}

	/* A warm-up start reads the program into the server's cache. */
	waitpid((pid_t)spawn_path(hello, 0), &status, 0);
	d0 = disk_bytes();
	for (int i = 0; i < 8; i++) {
		t0 = rdinstret();
		int64_t pid = spawn_path(hello, 0);
		waitpid((pid_t)pid, &status, 0);
		t[i] = rdinstret() - t0;
	}
	bench_ops("exec_hello", t, 8, disk_bytes() - d0,
		  "spawn_path of /bin/hello from the disk, to exit and wait");
	printf("bench: fs done\n");
	return 0;
}
