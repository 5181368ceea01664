/*
 * The file server (servers/fsd) through libsys's POSIX layer, run as init
 * over the disk image tools/mkfsimg.sh makes, under test/fs-run.sh (which
 * runs e2fsck -fn on the image afterwards). argv[1]:
 *   calls    every call and its error codes, holes, a large file, dup,
 *            two processes on one file, descriptors shared across fork,
 *            unlink while open, files of killed processes closed,
 *            malformed requests, per-client limits
 *   enospc   fill the disk: ENOSPC, and everything still consistent
 *   durable  write + fsync, print "fs: fsync returned", wait to be killed
 *   child-*  (spawned by calls) the child halves
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

#define ERRNO(call, e) do { errno = 0; CHECK_EQ((call), -1); CHECK_EQ(errno, (e)); } while (0)

static char buf[70000], buf2[70000];

static int access_done(void)
{
	struct stat st;

	return stat("/victim-done", &st) == 0;
}

static void fill(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
}

static int start(void)
{
	const struct proc_start *ps = &libsys_start_info;
	int64_t r = fs_start(ps->devices, ps->ndevices);

	CHECK(r > 0);
	return r > 0;
}

static void basics(void)
{
	struct stat st;
	int fd, fd2;

	/* The image's files. */
	fd = open("/data/hello.txt", O_RDONLY);
	CHECK(fd >= FD_BASE);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "hello\n", 6));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 6);
	CHECK(S_ISREG(st.st_mode));
	ERRNO(write(fd, "x", 1), EBADF);		/* opened read-only */
	ERRNO(ftruncate(fd, 0), EINVAL);
	CHECK_EQ(close(fd), 0);
	ERRNO(close(fd), EBADF);
	ERRNO(read(fd, buf, 1), EBADF);
	ERRNO(read(99, buf, 1), EBADF);

	/* A big file spanning indirect blocks, read in pieces. */
	fd = open("/data/big.bin", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 300000);
	CHECK_EQ(pread(fd, buf, 65536, 200000), 65536);
	for (int i = 0; i < 65536; i++)
		if (buf[i] != (char)('A' + (200000 + i) % 23)) {
			CHECK(!"big.bin content");
			break;
		}
	CHECK_EQ(lseek(fd, -10, SEEK_END), 299990);
	CHECK_EQ(read(fd, buf, 100), 10);
	ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	ERRNO(lseek(fd, 0, 7), EINVAL);
	close(fd);

	/* Create, write, read back, O_EXCL, O_TRUNC, O_APPEND. */
	fd = open("/t1", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	fill(buf, 20000, 1);
	CHECK_EQ(write(fd, buf, 20000), 20000);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 20000);
	CHECK_EQ(pread(fd, buf2, 20000, 0), 20000);
	CHECK(!memcmp(buf, buf2, 20000));
	CHECK_EQ(pwrite(fd, "XY", 2, 100), 2);
	CHECK_EQ(pread(fd, buf2, 3, 99), 3);
	CHECK(!memcmp(buf2 + 1, "XY", 2));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 20000);	/* pwrite leaves the offset */
	/* A hole reads as zeros. */
	CHECK_EQ(pwrite(fd, "Z", 1, 100000), 1);
	CHECK_EQ(pread(fd, buf2, 10, 50000), 10);
	CHECK(!memcmp(buf2, "\0\0\0\0\0\0\0\0\0\0", 10));
	CHECK_EQ(ftruncate(fd, 10), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 10);
	CHECK(st.st_mtime > 1577836800);	/* from the RTC: after 2020 */
	CHECK_EQ(ftruncate(fd, 5000), 0);
	CHECK_EQ(pread(fd, buf2, 10, 4990), 10);
	CHECK(!memcmp(buf2, "\0\0\0\0\0\0\0\0\0\0", 10));
	/* Past the double-indirect limit of 1 KiB blocks (64 MiB + 268 KiB):
	 * a sparse file reaching the triple-indirect blocks. */
	CHECK_EQ(pwrite(fd, "triple", 6, 70l << 20), 6);
	CHECK_EQ(pread(fd, buf2, 6, 70l << 20), 6);
	CHECK(!memcmp(buf2, "triple", 6));
	CHECK_EQ(pread(fd, buf2, 8, (70l << 20) - 8), 8);
	CHECK(!memcmp(buf2, "\0\0\0\0\0\0\0\0", 8));
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, (70l << 20) + 6);
	CHECK(st.st_blocks < 64);	/* a few data and map blocks, no more */
	CHECK_EQ(ftruncate(fd, 5000), 0);
	CHECK_EQ(fsync(fd), 0);
	close(fd);
	ERRNO(open("/t1", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	fd = open("/t1", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(stat("/t1", &st), 0);
	CHECK_EQ(st.st_size, 0);
	ERRNO(read(fd, buf, 1), EBADF);			/* opened write-only */
	close(fd);
	fd = open("/t1", O_WRONLY | O_APPEND);
	fd2 = open("/t1", O_WRONLY);
	CHECK_EQ(write(fd2, "abc", 3), 3);
	CHECK_EQ(write(fd, "de", 2), 2);		/* at the end, not 0 */
	CHECK_EQ(write(fd2, "Q", 1), 1);		/* fd2's offset is 3 */
	close(fd);
	close(fd2);
	fd = open("/t1", O_RDONLY);
	CHECK_EQ(read(fd, buf, 10), 5);
	CHECK(!memcmp(buf, "abcQe", 5));
	close(fd);

	/* dup and dup2 share the offset. */
	fd = open("/t1", O_RDONLY);
	fd2 = dup(fd);
	CHECK(fd2 > fd);
	CHECK_EQ(read(fd, buf, 2), 2);
	CHECK_EQ(read(fd2, buf, 2), 2);
	CHECK(!memcmp(buf, "cQ", 2));
	CHECK_EQ(dup2(fd, 20), 20);
	CHECK_EQ(lseek(20, 0, SEEK_CUR), 4);
	ERRNO(dup2(fd, 1000), EBADF);
	ERRNO(dup(77), EBADF);
	close(fd);
	close(fd2);
	CHECK_EQ(read(20, buf, 5), 1);			/* still open through 20 */
	close(20);
}

static void errors(void)
{
	char longname[300];
	struct stat st;

	ERRNO(open("/nope", O_RDONLY), ENOENT);
	ERRNO(open("/nodir/x", O_RDWR | O_CREAT, 0644), ENOENT);
	ERRNO(open("", O_RDONLY), ENOENT);
	ERRNO(open("/data/hello.txt/x", O_RDONLY), ENOTDIR);
	ERRNO(open("/data", O_RDWR), EISDIR);
	ERRNO(open("/data", O_WRONLY), EISDIR);
	ERRNO(open("/data/hello.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
	ERRNO(open("/data/hello.txt", 3), EINVAL);
	ERRNO(open("/data/hello.txt", O_RDONLY | 0x10000000), EINVAL);
	ERRNO(open("/data/readonly.txt", O_WRONLY), EACCES);
	ERRNO(open("/data/readonly.txt", O_RDWR), EACCES);
	int fd = open("/data/readonly.txt", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	ERRNO(open("/data/writeonly.txt", O_RDONLY), EACCES);
	memset(longname, 'n', sizeof(longname));
	longname[0] = '/';
	longname[257] = 0;
	ERRNO(open(longname, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
	ERRNO(mkdir(longname, 0755), ENAMETOOLONG);
	char *huge = buf;
	memset(huge, 'a', 5000);
	huge[5000] = 0;
	ERRNO(stat(huge, &st), ENAMETOOLONG);
	ERRNO(stat("/nope", &st), ENOENT);
	ERRNO(unlink("/nope"), ENOENT);
	ERRNO(unlink("/data"), EISDIR);
	ERRNO(rmdir("/data/hello.txt"), ENOTDIR);
	ERRNO(rmdir("/data"), ENOTEMPTY);
	ERRNO(mkdir("/data", 0755), EEXIST);
	ERRNO(link("/data/hello.txt", "/data/hello.txt"), EEXIST);
	ERRNO(link("/nope", "/x"), ENOENT);
	ERRNO(rename("/nope", "/x"), ENOENT);
	ERRNO(rename("/data", "/data/dir/inside"), EINVAL);
	ERRNO(fsync(50), EBADF);
	ERRNO(fstat(50, &st), EBADF);
	ERRNO(lseek(50, 0, SEEK_SET), EBADF);
	ERRNO(ftruncate(50, 0), EBADF);
	ERRNO(pread(4, buf, 1, -1), EINVAL);
}

static void names(void)
{
	struct stat st;
	int fd, n = 0, seen = 0;

	CHECK_EQ(mkdir("/d1", 0755), 0);
	CHECK_EQ(stat("/d1", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	fd = open("/d1/f", O_WRONLY | O_CREAT, 0644);
	CHECK_EQ(write(fd, "12345", 5), 5);
	close(fd);
	ERRNO(rmdir("/d1"), ENOTEMPTY);
	CHECK_EQ(link("/d1/f", "/d1/g"), 0);
	CHECK_EQ(stat("/d1/g", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(rename("/d1/g", "/d1/h"), 0);
	ERRNO(stat("/d1/g", &st), ENOENT);
	CHECK_EQ(stat("/d1/h", &st), 0);
	CHECK_EQ(st.st_size, 5);
	DIR *d = opendir("/d1");
	CHECK(d != NULL);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		n++;
		if (!strcmp(e->d_name, "f") && e->d_type == DT_REG)
			seen |= 1;
		if (!strcmp(e->d_name, "h"))
			seen |= 2;
		if (!strcmp(e->d_name, ".") && e->d_type == DT_DIR)
			seen |= 4;
	}
	if (d)
		closedir(d);
	CHECK_EQ(n, 4);
	CHECK_EQ(seen, 7);
	CHECK(opendir("/data/hello.txt") == NULL);
	CHECK_EQ(errno, ENOTDIR);
	CHECK_EQ(unlink("/d1/f"), 0);
	CHECK_EQ(unlink("/d1/h"), 0);
	CHECK_EQ(rmdir("/d1"), 0);
	ERRNO(stat("/d1", &st), ENOENT);
	/* rename over an existing file replaces it. */
	fd = open("/r1", O_WRONLY | O_CREAT, 0644);
	write(fd, "one", 3);
	close(fd);
	fd = open("/r2", O_WRONLY | O_CREAT, 0644);
	write(fd, "two!", 4);
	close(fd);
	CHECK_EQ(rename("/r2", "/r1"), 0);
	CHECK_EQ(stat("/r1", &st), 0);
	CHECK_EQ(st.st_size, 4);
	CHECK_EQ(unlink("/r1"), 0);
}

/* Unlink while open: the data lives until the last close. */
static void unlink_open(void)
{
	struct stat st;
	int fd = open("/u", O_RDWR | O_CREAT, 0644);

	fill(buf, 9000, 3);
	CHECK_EQ(write(fd, buf, 9000), 9000);
	CHECK_EQ(unlink("/u"), 0);
	ERRNO(stat("/u", &st), ENOENT);
	CHECK_EQ(pread(fd, buf2, 9000, 0), 9000);
	CHECK(!memcmp(buf, buf2, 9000));
	CHECK_EQ(write(fd, "more", 4), 4);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 9004);
	/* A new file of the same name is another file. */
	int fd2 = open("/u", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd2 >= 0);
	close(fd2);
	unlink("/u");
	close(fd);	/* the inode is freed now (e2fsck checks the counts) */
}

/* fork: the child's descriptors share the parent's offsets. */
static void fork_shared(void)
{
	int fd = open("/forked", O_RDWR | O_CREAT | O_TRUNC, 0644), status = 0;

	CHECK_EQ(write(fd, "parent1 ", 8), 8);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = write(fd, "child ", 6) == 6 && lseek(fd, 0, SEEK_CUR) == 14;
		int fd3 = open("/data/hello.txt", O_RDONLY);	/* its own */
		ok = ok && fd3 >= 0;
		_exit(ok ? 0 : 1);	/* fd3 is closed by its end */
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 14);		/* moved by the child */
	CHECK_EQ(write(fd, "parent2", 7), 7);
	CHECK_EQ(pread(fd, buf, 64, 0), 21);
	CHECK(!memcmp(buf, "parent1 child parent2", 21));
	close(fd);
	unlink("/forked");
}

/* Two processes on one file: each its own offset, both see each other's
 * writes. */
static void two_procs(void)
{
	const char *argv[] = { "test_fs", "child-two", NULL };
	int fd = open("/two", O_RDWR | O_CREAT | O_TRUNC, 0644), status = -1;

	CHECK_EQ(write(fd, "AAAA", 4), 4);
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);		/* not moved by the other */
	CHECK_EQ(pread(fd, buf, 16, 0), 8);
	CHECK(!memcmp(buf, "BBAABBBB", 8));
	close(fd);
	unlink("/two");
}

static int child_two(void)
{
	int fd = open("/two", O_RDWR);
	char b[4];

	if (fd < 0 || read(fd, b, 4) != 4 || memcmp(b, "AAAA", 4))
		return 1;
	if (write(fd, "BBBB", 4) != 4 || pwrite(fd, "BB", 2, 0) != 2)
		return 2;
	return 0;
}

/* A process's files close however it ends: killed children each holding
 * every descriptor they may have, more in all than the server's open-file
 * table; one also holds an unlinked file (freed when it dies). */
static void death_closes(void)
{
	const char *argv[] = { "test_fs", "child-hog", NULL, NULL };
	struct ipc_msg m = { 0 };
	int status;

	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	uint64_t open0 = m.w[5];

	for (int round = 0; round < 12; round++) {
		argv[2] = round % 3 == 1 ? "exit" : round % 3 == 2 ? "crash" : NULL;
		int64_t pid = spawn(argv, 0);
		CHECK(pid > 0);
		if (round % 3)	/* it exits, or dies of a bad access */
			CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		else {
			for (int i = 0; i < 200; i++)
				sys_yield();
			kill((pid_t)pid, SIGKILL);
			CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		}
	}
	/* Every file they held is closed again (the server learns of each
	 * end from the pager). */
	for (int i = 0; i < 100; i++)
		sys_yield();
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	CHECK_EQ(m.w[5], open0);
}

/* Attacks from unprivileged processes on the file server's rules: a
 * sibling tries to take the victim's fork snapshot (its descriptors),
 * to cancel it, to flood the server with snapshots, to register a second
 * file server and to read the death queue. */
static void attacks(void)
{
	const char *victim[] = { "test_fs", "child-victim", NULL };
	const char *attacker[] = { "test_fs", "child-attacker", NULL };
	int status = -1;

	unlink("/victim-seq");
	int64_t v = spawn(victim, 0);
	CHECK(v > 0);
	int64_t a = spawn(attacker, 0);
	CHECK(a > 0);
	CHECK_EQ(waitpid((pid_t)a, &status, 0), a);
	CHECK_EQ(status, 0);
	CHECK_EQ(waitpid((pid_t)v, &status, 0), v);
	CHECK_EQ(status, 0);
	unlink("/victim-seq");
}

static int child_victim(void)
{
	char line[32];
	int fd = open("/data/hello.txt", O_RDONLY);
	int64_t seq = fs_fork_prepare();

	if (fd < 0 || seq <= 0)
		return 1;
	int out = open("/victim-seq.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int n = snprintf(line, sizeof(line), "%ld", (long)seq);
	if (write(out, line, (size_t)n) != n || close(out) < 0 ||
	    rename("/victim-seq.tmp", "/victim-seq") < 0)
		return 2;
	for (int i = 0; i < 2000 && !access_done(); i++)
		sys_yield();
	/* Still ours: cancelling it works once. */
	struct ipc_msg m = { .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CANCEL, &m, 0) != 0)
		return 3;
	return 0;
}

static int child_attacker(void)
{
	struct ipc_msg m = { 0 };
	struct stat st;
	char line[32] = { 0 };
	int bad = 0, i;

	for (i = 0; i < 5000 && stat("/victim-seq", &st) < 0; i++)
		sys_yield();
	int fd = open("/victim-seq", O_RDONLY);
	if (fd < 0 || read(fd, line, sizeof(line) - 1) <= 0)
		bad |= 1;
	close(fd);
	int64_t seq = strtol(line, NULL, 10);
	m = (struct ipc_msg){ .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CLAIM, &m, 0) != -ERR_NOENT)
		bad |= 2;
	m = (struct ipc_msg){ .w = { (uint64_t)seq } };
	if (fs_call(FS_FORK_CANCEL, &m, 0) != -ERR_INVAL)
		bad |= 4;
	m = (struct ipc_msg){ .w = { (uint64_t)seq, 5 } };
	if (fs_call(FS_FORK_BIND, &m, 0) != -ERR_INVAL)
		bad |= 8;
	if (open("/victim-done", O_WRONLY | O_CREAT, 0644) < 0)
		bad |= 16;
	/* Snapshots without forking: a few, then refused. */
	int made = 0;
	for (i = 0; i < 20; i++)
		made += fs_fork_prepare() > 0;
	if (made != FS_SNAP_MAX)
		bad |= 32;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_REGISTER, 0, 0) };
	if (pager_call(&m) != -ERR_EXIST)
		bad |= 64;
	m = (struct ipc_msg){ .info = ipc_info(PAGER_FS_DEAD, 0, 0) };
	if (pager_call(&m) != -ERR_PERM)
		bad |= 128;
	if (bad)
		printf("FAIL: attacker: %#x\n", bad);
	return bad;
}

static volatile uintptr_t bad_addr = 8;	/* kept from the compiler's view */

static int child_hog(const char *how)
{
	int n = 0, fd;

	fd = open("/hog-unlinked", O_RDWR | O_CREAT, 0644);
	write(fd, "gone", 4);
	unlink("/hog-unlinked");
	while ((fd = open("/data/hello.txt", O_RDONLY)) >= 0)
		n++;
	if (errno != EMFILE || n != FS_FD_MAX - 1)
		printf("FAIL: hog opened %d, errno %d\n", n, errno);
	if (!strcmp(how, "exit"))
		return 0;	/* without closing */
	if (!strcmp(how, "crash"))
		*(volatile int *)bad_addr = 1;	/* the pager ends it: SIGSEGV */
	for (;;)
		sys_yield();	/* until killed */
}

/* Never blocked by one client: while a child reads a file larger than
 * the server's cache (its requests wait for the disk), we are answered
 * from the cache; the server counts answers given while a read was in
 * flight. */
static void not_blocked(void)
{
	const char *argv[] = { "test_fs", "child-cold", NULL };
	struct ipc_msg m = { 0 };
	struct stat st;
	int status = -1;
	long mine = 0;

	CHECK_EQ(stat("/data/hello.txt", &st), 0);	/* cached now */
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	uint64_t parked0 = m.w[3], during0 = m.w[4];
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	while (waitpid((pid_t)pid, &status, WNOHANG) == 0) {
		CHECK_EQ(stat("/data/hello.txt", &st), 0);
		mine++;
	}
	CHECK_EQ(status, 0);
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_STATFS, &m, 0), 0);
	printf("fs: %ld stats while the child read 4 MiB; %lu requests parked for the disk, "
	       "%lu answered during a disk read\n", mine, (unsigned long)(m.w[3] - parked0),
	       (unsigned long)(m.w[4] - during0));
	CHECK(m.w[3] > parked0);
	CHECK(m.w[4] > during0);
}

static int child_cold(void)
{
	int fd = open("/data/cold.bin", O_RDONLY);
	char line[80];
	ssize_t n;
	long total = 0;

	while ((n = read(fd, buf, 16384)) > 0) {
		snprintf(line, sizeof(line), "cold %058ld\n", total / 64);
		if (memcmp(buf, line, 64))
			return 1;
		total += n;
	}
	return total == 65536 * 64 ? 0 : 2;
}

/* Programs from the disk, by path with arguments. */
static void from_disk(void)
{
	const char *hello[] = { "/bin/hello", "one", "two", NULL };
	const char *nope[] = { "/bin/nope", NULL };
	const char *dir[] = { "/data", NULL };
	const char *text[] = { "/data/hello.txt", NULL };
	int status = 0;

	int64_t pid = spawn_path(hello, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	CHECK_EQ(spawn_path(nope, 0), -ERR_NOENT);
	CHECK_EQ(spawn_path(dir, 0), -ERR_ACCES);
	CHECK_EQ(spawn_path(text, 0), -ERR_NOEXEC);
	/* An image range that is not the caller's memory. */
	struct ipc_msg m = { .info = ipc_info(PAGER_SPAWN_IMAGE, 4, 0), .w = { 0x1000, 4096 } };
	memcpy(ipcbuf(), "x\0\0", 4);
	CHECK_EQ(pager_call(&m), -ERR_FAULT);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_SPAWN_IMAGE, 4, 0),
			      .w = { (uint64_t)buf, PAGER_IMAGE_MAX + 1 } };
	memcpy(ipcbuf(), "x\0\0", 4);
	CHECK_EQ(pager_call(&m), -ERR_INVAL);
}

/* Malformed requests straight to the server: errors, no harm. */
static void malformed(void)
{
	struct ipc_msg m = { 0 };

	CHECK_EQ(fs_call(999, &m, 0), -ERR_NOSYS);
	memset(&m, 0, sizeof(m));
	m.w[0] = 0;
	m.w[1] = FS_IO_MAX + 1;
	CHECK_EQ(fs_call(FS_READ, &m, 0), -ERR_BADF);
	int fd = open("/data/hello.txt", O_RDONLY);
	m.w[0] = (uint64_t)(fd - FD_BASE);
	m.w[1] = FS_IO_MAX + 1;
	CHECK_EQ(fs_call(FS_READ, &m, 0), -ERR_INVAL);
	close(fd);
	/* A path with a NUL inside, a rename whose split is past the end. */
	memcpy(ipcbuf(), "/data\0x", 7);
	memset(&m, 0, sizeof(m));
	CHECK_EQ(fs_call(FS_STAT, &m, 7), -ERR_INVAL);
	memset(&m, 0, sizeof(m));
	m.w[1] = 4000;
	CHECK_EQ(fs_call(FS_RENAME, &m, 10), -ERR_INVAL);
	/* A write whose count does not match its payload. */
	fd = open("/mal", O_RDWR | O_CREAT, 0644);
	memset(&m, 0, sizeof(m));
	m.w[0] = (uint64_t)(fd - FD_BASE);
	m.w[1] = 100;
	CHECK_EQ(fs_call(FS_WRITE, &m, 10), -ERR_INVAL);
	memset(&m, 0, sizeof(m));
	m.w[0] = (uint64_t)-5;
	CHECK_EQ(fs_call(FS_CLOSE, &m, 0), -ERR_BADF);
	CHECK_EQ(fs_call(FS_FORK_CLAIM, &m, 0), -ERR_NOENT);	/* init has no parent */
	CHECK_EQ(fs_call(FS_FORK_CANCEL, &m, 0), -ERR_INVAL);
	close(fd);
	unlink("/mal");
}

static int run_calls(void)
{
	if (!start())
		return t_done("fs calls");
	static const struct { const char *name; void (*run)(void); } parts[] = {
		{ "basics", basics }, { "errors", errors }, { "names", names },
		{ "unlink_open", unlink_open }, { "fork_shared", fork_shared },
		{ "two_procs", two_procs }, { "death_closes", death_closes },
		{ "attacks", attacks }, { "not_blocked", not_blocked },
		{ "from_disk", from_disk }, { "malformed", malformed },
	};
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		printf("fs: %s\n", parts[i].name);
		parts[i].run();
	}
	return t_done("fs calls");
}

static int run_enospc(void)
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

static int run_durable(void)
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
static int run_shell(void)
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

static int run_bench(void)
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

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "calls";

	if (!strcmp(mode, "child-two"))
		return child_two();
	if (!strcmp(mode, "child-attacker"))
		return child_attacker();
	if (!strcmp(mode, "child-victim"))
		return child_victim();
	if (!strcmp(mode, "child-cold"))
		return child_cold();
	if (!strcmp(mode, "child-hog"))
		return child_hog(argc > 2 ? argv[2] : "");
	if (!strcmp(mode, "enospc"))
		return run_enospc();
	if (!strcmp(mode, "bench"))
		return run_bench();
	if (!strcmp(mode, "shell"))
		return run_shell();
	if (!strcmp(mode, "durable"))
		return run_durable();
	return run_calls();
}
