/*
 * test_fs: the modes beyond "calls": a full disk, the durability kill,
 * the shell on the disk, and the benchmark run by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* bench (by hand, under qemu.sh -i): instructions per 4 KiB page for
 * reads from the cache and from the disk, a page write + fsync, and a
 * program started from the disk; and the bytes the disk moved. */
static uint64_t disk_bytes(void)
{
	struct ipc_msg m = { 0 }, s = { 0 };

	fs_call(FS_DISKSTATS, &m, 0);
	fs_call(FS_STATFS, &s, 0);
	return (m.w[1] + m.w[2]) * s.w[2];
}

static void bench_read(const char *name, const char *path, long bytes, bool warm)
{
	int fd = open(path, O_RDONLY);
	long n = 0;
	ssize_t r;

	if (warm)
		while (read(fd, buf, 65536) > 0)
			;
	lseek(fd, 0, SEEK_SET);
	uint64_t d0 = disk_bytes(), t0 = rdinstret();
	while (n < bytes && (r = read(fd, buf, 65536)) > 0)
		n += r;
	uint64_t t1 = rdinstret(), d1 = disk_bytes();
	close(fd);
	printf("bench: %s %lu instructions per 4 KiB page (%ld bytes, disk moved %lu bytes)\n",
	       name, (unsigned long)((t1 - t0) / (uint64_t)(n / 4096)), n, (unsigned long)(d1 - d0));
}

int run_bench(void)
{
	const char *hello[] = { "/bin/hello", NULL };
	int status;

	if (!start())
		return 1;
	struct ipc_msg m;
	uint64_t c0 = rdinstret();
	for (int i = 0; i < 100; i++) {
		memset(&m, 0, sizeof(m));
		fs_call(FS_DISKSTATS, &m, 0);
	}
	printf("bench: fs_null_request %lu instructions\n", (unsigned long)((rdinstret() - c0) / 100));
	int bfd = open("/data/big.bin", O_RDONLY);
	pread(bfd, buf, 1, 0);
	c0 = rdinstret();
	for (int i = 0; i < 100; i++)
		pread(bfd, buf, 1, 0);
	printf("bench: fs_pread_1byte %lu instructions\n", (unsigned long)((rdinstret() - c0) / 100));
	c0 = rdinstret();
	for (int i = 0; i < 100; i++)
		pread(bfd, buf, 4096, 0);
	printf("bench: fs_pread_4k %lu instructions\n", (unsigned long)((rdinstret() - c0) / 100));
	close(bfd);
	bench_read("read_cached_256k", "/data/big.bin", 256 << 10, true);
	bench_read("read_cold_4mib", "/data/cold.bin", 4 << 20, false);
	int fd = open("/bench", O_RDWR | O_CREAT | O_TRUNC, 0644);
	fill(buf, 4096, 9);
	pwrite(fd, buf, 4096, 0);
	fsync(fd);
	uint64_t d0 = disk_bytes(), t0 = rdinstret();
	for (int i = 0; i < 16; i++) {
		pwrite(fd, buf, 4096, 0);
		fsync(fd);
	}
	uint64_t t1 = rdinstret(), d1 = disk_bytes();
	printf("bench: fsync_1page %lu instructions (disk moved %lu bytes each)\n",
	       (unsigned long)((t1 - t0) / 16), (unsigned long)((d1 - d0) / 16));
	d0 = disk_bytes();
	t0 = rdinstret();
	for (int i = 0; i < 8; i++) {
		int64_t pid = spawn_path(hello, 0);
		waitpid((pid_t)pid, &status, 0);
	}
	t1 = rdinstret();
	d1 = disk_bytes();
	printf("bench: exec_hello %lu instructions (from the disk, to exit and wait; "
	       "disk moved %lu bytes each)\n", (unsigned long)((t1 - t0) / 8),
	       (unsigned long)((d1 - d0) / 8));
	close(fd);
	unlink("/bench");
	return 0;
}
