/*
 * Truncated data brought back by a write-back still queued in the pager
 * (review of branch robust2; test_trunc_wb.c has the one parked at the
 * file server): stores through a shared mapping, their write-back queued
 * (msync MS_ASYNC, answered at once), and straight away the file cut to
 * nothing and grown back, before the file server has fetched it. The
 * write-back was queued before the shrink, so its bytes must go with it:
 * after the regrow every page reads zero, through read() and through the
 * mapping, before and after fsync and after munmap.
 *
 * Nothing forces the order, but msync's answer runs the caller before
 * the file server's wake, so its ftruncate reaches the server first;
 * many rounds make a miss unlikely.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "attack.h"
#include "libsys_file.h"

#define FILE_PAGES	8
#define ROUNDS		40
#define STORE		0x7a11b0u

static char buf[PS];

static void make(const char *path, uint64_t pages)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	memset(buf, 't', sizeof(buf));
	for (uint64_t pg = 0; fd >= 0 && pg < pages; pg++)
		CHECK_EQ(write(fd, buf, PS), PS);
	close(fd);
}

/* Every word of the file reads zero through read(); the count of others. */
static int nonzero_read(int fd)
{
	int bad = 0;

	for (uint64_t pg = 0; pg < FILE_PAGES; pg++) {
		CHECK_EQ(pread(fd, buf, PS, (off_t)(pg * PS)), PS);
		for (uint64_t i = 0; i < PS; i++)
			bad += buf[i] != 0;
	}
	return bad;
}

static int nonzero_map(volatile uint32_t *p)
{
	int bad = 0;

	for (uint64_t i = 0; i < FILE_PAGES * PS / 4; i++)
		bad += p[i] != 0;
	return bad;
}

static void round_(int r)
{
	int fd = open("/twq", O_RDWR);
	volatile uint32_t *p;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	p = mmap(NULL, FILE_PAGES * PS, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (uint64_t pg = 0; pg < FILE_PAGES; pg++)
		p[pg * PS / 4] = STORE + (uint32_t)r;
	CHECK_EQ(msync((void *)p, FILE_PAGES * PS, MS_ASYNC), 0);
	CHECK_EQ(ftruncate(fd, 0), 0);
	CHECK_EQ(ftruncate(fd, FILE_PAGES * PS), 0);
	CHECK_EQ(nonzero_read(fd), 0);
	CHECK_EQ(nonzero_map(p), 0);
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(nonzero_read(fd), 0);
	CHECK_EQ(nonzero_map(p), 0);
	CHECK_EQ(munmap((void *)p, FILE_PAGES * PS), 0);
	CHECK_EQ(nonzero_read(fd), 0);	/* from the disk again */
	close(fd);
}

int main(void)
{
	shared = mmap(NULL, PS, RW, ANON_SHARED, -1, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	for (int r = 0; r < ROUNDS; r++) {
		make("/twq", FILE_PAGES);
		round_(r);
	}
	after_attack("trunc_wb_queued");
	return t_done("trunc_wb_queued");
}
