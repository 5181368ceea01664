/*
 * Truncated data brought back by a write-back (attack, branch attack2):
 * a store through a shared mapping, its write-back queued (msync
 * MS_ASYNC), then the file truncated to nothing and grown back. The
 * write-back was queued before the truncate, so its bytes must go with
 * it: after the regrow the page reads zero (POSIX ftruncate: the grown
 * part reads as zeros), through read() and through the mapping, before
 * and after fsync.
 *
 * The write-back is made to wait for the disk at the file server (the
 * block cache is emptied first by reading a larger file, so the file's
 * block map must be read again) while the truncates run ahead of it;
 * done after the regrow, it wrote its bytes into the grown file.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "attack.h"
#include "libsys_file.h"

#define FILE_PAGES	256		/* 1 MiB: page 200 is behind indirect blocks */
#define PAGE_AT		200
#define BIG_PAGES	768		/* 3 MiB: more than the block cache */
#define STORE		0x5107e5u
#define ROUNDS		4

static char buf[PS];

static void make(const char *path, uint64_t pages, char fill)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	memset(buf, fill, sizeof(buf));
	for (uint64_t pg = 0; fd >= 0 && pg < pages; pg++)
		CHECK_EQ(write(fd, buf, PS), PS);
	CHECK_EQ(fsync(fd), 0);
	close(fd);
}

/* Read all of path with read(): the block cache holds it and little else. */
static void read_through(const char *path)
{
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	while (fd >= 0 && read(fd, buf, PS) > 0)
		;
	close(fd);
}

static void round_(int r)
{
	int fd = open("/tw", O_RDWR);
	volatile uint32_t *p;
	uint32_t word = 1;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	p = mmap(NULL, FILE_PAGES * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	p[PAGE_AT * PS / 4] = STORE + (uint32_t)r;	/* filled, then dirty */
	read_through("/big");
	CHECK_EQ(msync((void *)(p + PAGE_AT * PS / 4), PS, MS_ASYNC), 0);
	CHECK_EQ(ftruncate(fd, 0), 0);
	CHECK_EQ(ftruncate(fd, FILE_PAGES * PS), 0);
	CHECK_EQ(pread(fd, &word, 4, PAGE_AT * PS), 4);
	CHECK_EQ(word, 0);
	CHECK_EQ(p[PAGE_AT * PS / 4], 0);
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(pread(fd, &word, 4, PAGE_AT * PS), 4);
	CHECK_EQ(word, 0);
	CHECK_EQ(p[PAGE_AT * PS / 4], 0);
	CHECK_EQ(munmap((void *)p, FILE_PAGES * PS), 0);
	/* Unmapped and read again from the disk. */
	CHECK_EQ(pread(fd, &word, 4, PAGE_AT * PS), 4);
	CHECK_EQ(word, 0);
	close(fd);
}

int main(void)
{
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	make("/big", BIG_PAGES, 'b');
	for (int r = 0; r < ROUNDS; r++) {
		make("/tw", FILE_PAGES, 't');
		round_(r);
	}
	after_attack("trunc_wb");
	return t_done("trunc_wb");
}
