/*
 * read() through the page cache (libsys/src/file_read.c, fsd's
 * FS_READ_CLAIM and keep.c), test_fs mode "read": the shared offset
 * across fork (disjoint bytes), reads mixed with the IPC path, coherence
 * with write(), mappings and ftruncate, windows released at close and by
 * dup2, bounded per process, kept files bounded and freed at unlink, a
 * second open served from the kept cache, and malformed claims.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "fs_test.h"

#define WORDS_FILE	(1u << 20)	/* /tmp/words: each 8 bytes hold their offset */
#define WIN_READ	40000		/* a read that makes a window (>= FILE_WINDOW_MIN) */

static uint64_t wbuf[WIN_READ / 8 + 8];

static void make_words(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= FD_BASE);
	for (uint64_t off = 0; off < size; off += 32768) {
		for (int i = 0; i < 4096; i++)
			wbuf[i] = off + (uint64_t)i * 8;
		CHECK_EQ(write(fd, wbuf, 32768), 32768);
	}
	close(fd);
}

/* The words of [off, off+n) as make_words wrote them (n a multiple of 8). */
static bool words_ok(const void *p, uint64_t off, uint64_t n)
{
	const uint64_t *w = p;

	for (uint64_t i = 0; i < n / 8; i++)
		if (w[i] != off + i * 8)
			return false;
	return true;
}

/* Our file VMAs: the windows (and any file mapping of ours). */
static int file_vmas(void)
{
	static struct pager_vma_info v[PVMA_LIST_MAX];
	uint64_t next = 0;
	int n = 0;

	do {
		int64_t k = vma_list(0, next, v, PVMA_LIST_MAX, &next);
		if (k < 0)
			return -1;
		for (int64_t i = 0; i < k; i++)
			n += v[i].kind == PVMA_FILE;
	} while (next);
	return n;
}

static uint64_t stat_word(uint64_t label, int w)
{
	struct ipc_msg m = { 0 };

	fs_call(label, &m, 0);
	return m.w[w];
}

/* A claim as a raw request: the result, *off the offset it starts at. */
static int64_t claim(int64_t sfd, uint64_t count, uint64_t *off)
{
	struct fs_io_req q = { .fd = sfd, .count = count };
	struct ipc_msg m = { 0 };

	memcpy(m.w, &q, sizeof(q));
	int64_t r = fs_call(FS_READ_CLAIM, &m, 0);
	if (off)
		*off = m.w[1];
	return r;
}

/* Sequential reads, small ones (the IPC path) mixed in before and after
 * the window exists; the window goes at close. */
static void sequential(void)
{
	int base = file_vmas(), fd = open("/tmp/words", O_RDONLY);
	uint64_t off = 0;
	ssize_t r;

	CHECK_EQ(read(fd, buf, 24), 24);	/* small: no window yet */
	CHECK(words_ok(buf, 0, 24));
	CHECK_EQ(file_vmas(), base);
	off = 24;
	while ((r = read(fd, buf, WIN_READ)) > 0) {
		CHECK(words_ok(buf, off, (uint64_t)r));
		off += (uint64_t)r;
		if (r == WIN_READ && off < WORDS_FILE - 100) {	/* small ones now go through it */
			CHECK_EQ(read(fd, buf, 16), 16);
			CHECK(words_ok(buf, off, 16));
			off += 16;
		}
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(off, WORDS_FILE);
	CHECK_EQ(file_vmas(), base + 1);
	CHECK_EQ(lseek(fd, 8, SEEK_SET), 8);
	CHECK_EQ(read(fd, buf, 8), 8);
	CHECK(words_ok(buf, 8, 8));
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(file_vmas(), base);	/* fd closed releases the window */
}

/* Parent and child share one description: between them they read every
 * byte exactly once (the claim moves the shared offset atomically). */
static void fork_disjoint(void)
{
	uint8_t *seen = mmap(NULL, WORDS_FILE / 8, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = open("/tmp/words", O_RDONLY), status;
	const uint64_t chunk = WIN_READ;	/* a multiple of 8, not of a page */
	ssize_t r;

	CHECK(seen != MAP_FAILED);
	if (seen == MAP_FAILED)
		return;
	memset(seen, 0, WORDS_FILE / 8);
	CHECK_EQ(read(fd, buf, chunk), (ssize_t)chunk);	/* the child inherits the window */
	CHECK(words_ok(buf, 0, chunk));
	for (uint64_t i = 0; i < chunk / 8; i++)
		seen[i]++;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		bool ok = true;
		while ((r = read(fd, buf2, chunk)) > 0) {
			uint64_t off = *(uint64_t *)buf2;
			ok = ok && off % 8 == 0 && off + (uint64_t)r <= WORDS_FILE &&
			     words_ok(buf2, off, (uint64_t)r);
			for (uint64_t i = 0; ok && i < (uint64_t)r / 8; i++)
				seen[off / 8 + i]++;
			sys_yield();
		}
		_exit(ok && r == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	while ((r = read(fd, buf, chunk)) > 0) {
		uint64_t off = *(uint64_t *)buf;
		CHECK(off + (uint64_t)r <= WORDS_FILE && words_ok(buf, off, (uint64_t)r));
		for (uint64_t i = 0; i < (uint64_t)r / 8 && off + (uint64_t)r <= WORDS_FILE; i++)
			seen[off / 8 + i]++;
		sys_yield();
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	uint64_t once = 0;
	for (uint64_t i = 0; i < WORDS_FILE / 8; i++)
		once += seen[i] == 1;
	CHECK_EQ(once, WORDS_FILE / 8);
	close(fd);
	munmap(seen, WORDS_FILE / 8);
}

/* What write(), a store through a mapping and ftruncate do is what the
 * next read() through the window sees; a file shrunk under the window
 * reads short, never SIGBUS. */
static void coherence(void)
{
	int a = open("/tmp/words", O_RDONLY), b = open("/tmp/words", O_RDWR);

	CHECK_EQ(read(a, buf, WIN_READ), WIN_READ);	/* the window */
	CHECK_EQ(pwrite(b, "XYZ", 3, 5), 3);
	CHECK_EQ(lseek(a, 0, SEEK_SET), 0);
	CHECK_EQ(read(a, buf, WIN_READ), WIN_READ);
	CHECK(!memcmp(buf + 5, "XYZ", 3));
	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		memcpy(m + 70001, "map", 3);
		CHECK_EQ(lseek(a, 70000, SEEK_SET), 70000);
		CHECK_EQ(read(a, buf, WIN_READ), WIN_READ);
		CHECK(!memcmp(buf + 1, "map", 3));
		munmap(m, 1 << 20);
	}
	/* Shrunk under the window: short, then nothing. */
	CHECK_EQ(ftruncate(b, 10000), 0);
	CHECK_EQ(lseek(a, 0, SEEK_SET), 0);
	CHECK_EQ(read(a, buf, WIN_READ), 10000);
	CHECK(!memcmp(buf + 5, "XYZ", 3));
	CHECK_EQ(read(a, buf, WIN_READ), 0);
	CHECK_EQ(lseek(a, 20000, SEEK_SET), 20000);
	CHECK_EQ(read(a, buf, WIN_READ), 0);	/* past the end: nothing claimed */
	/* Grown again: the new bytes read as zero. */
	CHECK_EQ(ftruncate(b, 200000), 0);
	CHECK_EQ(lseek(a, 9000, SEEK_SET), 9000);
	memset(buf, 1, WIN_READ);
	CHECK_EQ(read(a, buf, WIN_READ), WIN_READ);
	bool zero = true;
	for (int i = 1000; i < WIN_READ; i++)
		zero = zero && buf[i] == 0;
	CHECK(zero);
	/* A write() past the end is read at once. */
	CHECK_EQ(pwrite(b, "end", 3, 300000), 3);
	CHECK_EQ(lseek(a, 290000, SEEK_SET), 290000);
	CHECK_EQ(read(a, buf, WIN_READ), 10003);
	CHECK(!memcmp(buf + 10000, "end", 3));
	close(a);
	close(b);
	make_words("/tmp/words", WORDS_FILE);	/* as the others expect it */
}

/* Windows a process keeps are bounded; dup2 over a windowed descriptor
 * drops its window (the next read reads the new file). */
static void bounded(void)
{
	int base = file_vmas(), fds[12];
	char name[32];

	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "/tmp/w%d", i);
		make_words(name, 65536);
	}
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "/tmp/w%d", i);
		fds[i] = open(name, O_RDONLY);
		CHECK_EQ(read(fds[i], buf, WIN_READ), WIN_READ);
		CHECK(words_ok(buf, 0, WIN_READ));
		CHECK(file_vmas() <= base + 8);
	}
	CHECK_EQ(file_vmas(), base + 8);
	for (int i = 0; i < 12; i++) {	/* the evicted ones map again */
		CHECK_EQ(read(fds[i], buf, 8), 8);
		CHECK(words_ok(buf, WIN_READ, 8));
	}
	int w = open("/tmp/words", O_RDONLY);
	CHECK_EQ(lseek(w, 4096, SEEK_SET), 4096);
	CHECK_EQ(dup2(w, fds[11]), fds[11]);
	CHECK_EQ(read(fds[11], buf, WIN_READ), WIN_READ);
	CHECK(words_ok(buf, 4096, WIN_READ));
	close(w);
	for (int i = 0; i < 12; i++)
		CHECK_EQ(close(fds[i]), 0);
	CHECK_EQ(file_vmas(), base);
}

/* Many files read and closed: the server keeps at most 16 objects (the
 * pager is not filled with them); unlinking a kept file frees its blocks
 * at once; a kept file read again needs no fill. */
static void kept(void)
{
	uint64_t holds0 = stat_word(FS_MAPSTATS, 5);
	char name[32];

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "/tmp/k%d", i);
		make_words(name, 65536);
		int fd = open(name, O_RDONLY);
		CHECK_EQ(read(fd, buf, WIN_READ), WIN_READ);
		CHECK(words_ok(buf, 0, WIN_READ));
		close(fd);
		CHECK(stat_word(FS_MAPSTATS, 5) <= holds0 + 16);
	}
	CHECK(stat_word(FS_MAPSTATS, 5) >= holds0 + 1);	/* some kept */
	/* The last one again: its pages come from the kept object. */
	uint64_t filled = stat_word(FS_MAPSTATS, 2);
	int fd = open(name, O_RDONLY);
	CHECK_EQ(read(fd, buf, WIN_READ), WIN_READ);
	CHECK(words_ok(buf, 0, WIN_READ));
	close(fd);
	CHECK_EQ(stat_word(FS_MAPSTATS, 2), filled);
	/* Kept (read just now): its blocks are free when unlink returns. */
	uint64_t free1 = stat_word(FS_STATFS, 1), bsize = stat_word(FS_STATFS, 2);
	CHECK_EQ(unlink(name), 0);
	CHECK(stat_word(FS_STATFS, 1) >= free1 + 65536 / bsize);
	for (int i = 0; i < 39; i++) {
		snprintf(name, sizeof(name), "/tmp/k%d", i);
		CHECK_EQ(unlink(name), 0);
	}
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "/tmp/w%d", i);
		CHECK_EQ(unlink(name), 0);
	}
	CHECK(stat_word(FS_MAPSTATS, 5) <= 1);	/* /tmp/words, if still kept */
}

/* Malformed and hostile claims: nothing moves but what may. */
static void bad_claims(void)
{
	int fd = open("/tmp/words", O_RDONLY), wr = open("/tmp/words", O_WRONLY);
	int d = open("/data", O_RDONLY);
	uint64_t off;

	CHECK_EQ(claim(-1, 10, NULL), -ERR_BADF);
	CHECK_EQ(claim(1000, 10, NULL), -ERR_BADF);
	CHECK_EQ(claim(FS_FD_MAX, 10, NULL), -ERR_BADF);
	CHECK_EQ(claim(wr - FD_BASE, 10, NULL), -ERR_BADF);	/* write-only */
	CHECK_EQ(claim(d - FD_BASE, 10, NULL), -ERR_NOSYS);	/* a directory */
	errno = 0;
	CHECK_EQ(read(d, buf, WIN_READ), read(d, buf, 10));	/* as the old path says */
	/* A huge count takes what is left, and the offset stops at EOF. */
	CHECK_EQ(claim(fd - FD_BASE, UINT64_MAX, &off), WORDS_FILE);
	CHECK_EQ(off, 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), WORDS_FILE);
	CHECK_EQ(claim(fd - FD_BASE, UINT64_MAX, &off), 0);
	CHECK_EQ(off, WORDS_FILE);
	/* An offset far past the end (no wrap in size - offset). */
	CHECK_EQ(lseek(fd, (off_t)1 << 62, SEEK_SET), (off_t)1 << 62);
	CHECK_EQ(claim(fd - FD_BASE, UINT64_MAX, &off), 0);
	CHECK_EQ(read(fd, buf, WIN_READ), 0);
	/* Only the file server may keep objects. */
	struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_KEEP, 0, 0), .w = { 12, 1 } };
	CHECK_EQ(pager_call(&m), -ERR_PERM);
	close(fd);
	close(wr);
	close(d);
}

int run_read(void)
{
	if (!start())
		return 1;
	make_words("/tmp/words", WORDS_FILE);
	sequential();
	fork_disjoint();
	coherence();
	bounded();
	kept();
	bad_claims();
	CHECK_EQ(unlink("/tmp/words"), 0);
	CHECK_EQ(stat_word(FS_MAPSTATS, 5), 0);	/* nothing held, nothing kept */
	CHECK_EQ(pager_check(), 0);
	sync();
	return t_done("fs read");
}
