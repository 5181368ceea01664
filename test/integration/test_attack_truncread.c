/*
 * An attack on read()'s window (libsys/src/file_read.c): one process
 * truncates a file and grows it back, again and again, while readers
 * read it in large pieces (through their windows). A truncate between a
 * reader's claim and its copy used to kill the reader with SIGBUS; now
 * the copy's fault past the end resumes in libsys (PADV_EOF_RESUME) and
 * read() returns a short count. Checked: no reader dies, no read fails,
 * every count is at most what was asked and keeps the offset within the
 * file's largest size, every byte read is the file's pattern or zero (a
 * regrown part before its rewrite). Booted as init over a copy of the
 * 1 KiB-block image (disk-run.sh: e2fsck after).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define PATH		"/tmp/truncread.dat"
#define FILE_SIZE	(384u << 10)
#define READERS		3
#define PASSES		60	/* whole-file passes each reader makes */
#define CHUNK		(64u << 10)

static unsigned char pattern(uint64_t pos)
{
	return (unsigned char)(pos % 251 + 1);	/* never zero */
}

static unsigned char buf[CHUNK];

/* [from, FILE_SIZE) of fd written with the pattern. */
static int fill(int fd, uint64_t from)
{
	while (from < FILE_SIZE) {
		uint64_t n = FILE_SIZE - from < CHUNK ? FILE_SIZE - from : CHUNK;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = pattern(from + i);
		if (pwrite(fd, buf, n, (off_t)from) != (ssize_t)n)
			return -1;
		from += n;
	}
	return 0;
}

/* A reader's passes; its exit status says what was wrong (0: nothing). */
static int reader(int id)
{
	size_t ask = id == 0 ? CHUNK : 40000 + 4096u * (unsigned)id;	/* odd starts too */
	unsigned long shorts = 0;

	for (int pass = 0; pass < PASSES; pass++) {
		int fd = open(PATH, O_RDONLY);
		if (fd < 0)
			return 2;
		for (;;) {
			off_t pos = lseek(fd, 0, SEEK_CUR);
			ssize_t r = read(fd, buf, ask);
			if (r < 0) {
				printf("reader %d: read at %ld: errno %d\n", id, (long)pos, errno);
				return 3;
			}
			if (r == 0)
				break;
			if ((size_t)r > ask || (uint64_t)pos + (uint64_t)r > FILE_SIZE) {
				printf("reader %d: %ld bytes at %ld\n", id, (long)r, (long)pos);
				return 4;
			}
			if ((size_t)r < ask && (uint64_t)pos + (uint64_t)r < FILE_SIZE)
				shorts++;
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] && buf[i] != pattern((uint64_t)pos + (uint64_t)i)) {
					printf("reader %d: byte %ld is %u\n", id, (long)pos + (long)i, buf[i]);
					return 5;
				}
			if (lseek(fd, 0, SEEK_CUR) != pos + r) {
				printf("reader %d: offset %ld after %ld at %ld\n", id,
				       (long)lseek(fd, 0, SEEK_CUR), (long)r, (long)pos);
				return 6;
			}
		}
		close(fd);
	}
	printf("reader %d: %lu short reads\n", id, shorts);
	return 0;
}

int main(void)
{
	pid_t kids[READERS];
	unsigned long rounds = 0, seed = 12345;
	int fd, left = READERS;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	CHECK((fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644)) >= 0);
	CHECK_EQ(fill(fd, 0), 0);
	for (int i = 0; i < READERS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(reader(i));
		CHECK(kids[i] > 0);
	}
	/* Truncate to a random size (page-aligned or not, sometimes 0), then
	 * grow back: half the rounds by ftruncate first (zeros until
	 * rewritten), half by the writes alone. */
	while (left > 0) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		uint64_t to = (seed >> 33) % FILE_SIZE;
		if (seed & 0x100)
			to &= ~4095ul;
		if (seed & 0x200)
			to = 0;
		CHECK_EQ(ftruncate(fd, (off_t)to), 0);
		if (seed & 0x400)
			CHECK_EQ(ftruncate(fd, FILE_SIZE), 0);
		CHECK_EQ(fill(fd, to), 0);
		rounds++;
		int status;
		pid_t w;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			left--;
			if (WIFSIGNALED(status))
				printf("FAIL: reader pid %d killed by signal %d\n", (int)w,
				       WTERMSIG(status));
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		if (w < 0)
			break;
	}
	CHECK_EQ(left, 0);
	printf("truncread: %lu truncate rounds\n", rounds);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(unlink(PATH), 0);
	sync();
	return t_done("attack_truncread");
}
