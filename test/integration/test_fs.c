/*
 * The file server (servers/fsd) through libsys's POSIX layer, run as init
 * over the disk image tools/mkfsimg.sh makes, under test/fs-run.sh (which
 * runs e2fsck -fn on the image afterwards). argv[1]:
 *   calls    every call and its error codes, holes, a file past the
 *            double-indirect blocks, dup, two processes on one file,
 *            descriptors shared across fork, unlink while open, files of
 *            ended processes closed, attacks, never blocked, programs
 *            from the disk, malformed requests (fs_procs.c has some)
 *   enospc, durable, shell, bench   fs_modes.c
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
#include "fs_test.h"

char buf[70000], buf2[70000];

void fill(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
}

int start(void)
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
	/* A file created read-only is opened for writing by its creator
	 * (POSIX); a second open for writing is refused. */
	fd = open("/created-ro", O_RDWR | O_CREAT | O_EXCL, 0444);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	ERRNO(open("/created-ro", O_RDWR), EACCES);
	CHECK_EQ(unlink("/created-ro"), 0);
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
	/* rename's and link's cases, over the image's tree. */
	CHECK_EQ(mkdir("/e1", 0755), 0);
	CHECK_EQ(mkdir("/e1/sub", 0755), 0);
	CHECK_EQ(mkdir("/e2", 0755), 0);
	int f = open("/e2/file", O_WRONLY | O_CREAT, 0644);
	close(f);
	ERRNO(rename("/e2", "/e1"), ENOTEMPTY);		/* over a non-empty directory */
	ERRNO(rename("/e2/file", "/e1"), EISDIR);	/* a file over a directory */
	ERRNO(rename("/e1/sub", "/e2/file"), ENOTDIR);	/* a directory over a file */
	ERRNO(link("/e1", "/e1-link"), EPERM);		/* no links to directories */
	ERRNO(rmdir("/e1/sub/."), EINVAL);
	ERRNO(open("/e2/new/", O_WRONLY | O_CREAT, 0644), EISDIR);
	ERRNO(open("/e2/file/", O_RDONLY), ENOTDIR);
	ERRNO(mkdir("/e2/file/x", 0755), ENOTDIR);
	CHECK_EQ(rename("/e1/sub", "/e2/sub"), 0);	/* a directory moves */
	CHECK_EQ(stat("/e2/sub", &st), 0);
	CHECK_EQ(rmdir("/e2/sub"), 0);
	CHECK_EQ(unlink("/e2/file"), 0);
	CHECK_EQ(rmdir("/e2"), 0);
	CHECK_EQ(rmdir("/e1"), 0);
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
		{ "attacks", attacks }, { "not_blocked", not_blocked }, { "readahead", readahead },
		{ "from_disk", from_disk }, { "malformed", malformed },
		{ "orphan_claim", orphan_claim }, { "sibling_claim", sibling_claim },
	};
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		printf("fs: %s\n", parts[i].name);
		parts[i].run();
	}
	return t_done("fs calls");
}

/* A disk that is not ext2: fs_start fails, and leaves neither the file
 * server nor the block driver behind (both ended and reaped). */
static int run_notext2(void)
{
	const struct proc_start *ps = &libsys_start_info;
	int status;

	CHECK(fs_start(ps->devices, ps->ndevices) < 0);
	errno = 0;
	CHECK_EQ(waitpid(-1, &status, WNOHANG), -1);
	CHECK_EQ(errno, ECHILD);
	return t_done("fs notext2");
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
	if (!strcmp(mode, "child-orphaner"))
		return child_orphaner();
	if (!strcmp(mode, "child-fill"))
		return child_fill();
	if (!strcmp(mode, "child-cold"))
		return child_cold();
	if (!strcmp(mode, "child-hog"))
		return child_hog(argc > 2 ? argv[2] : "");
	if (!strcmp(mode, "nfile"))
		return run_nfile();
	if (!strcmp(mode, "notext2"))
		return run_notext2();
	if (!strcmp(mode, "enospc"))
		return run_enospc();
	if (!strcmp(mode, "bench"))
		return run_bench(argc > 2 ? argv[2] : "");
	if (!strcmp(mode, "read"))
		return run_read();
	if (!strcmp(mode, "shell"))
		return run_shell();
	if (!strcmp(mode, "durable"))
		return run_durable();
	return run_calls();
}
