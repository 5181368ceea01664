/*
 * test_blk's bench mode (by hand, under qemu.sh -i): instructions per
 * 4 KiB through the driver, one read at a time, 64 KiB reads 8 in
 * flight, and writes with and without a flush.
 */
#include "blk_test.h"

/* Retired instructions per 4 KiB page (whole guest: the client, the
 * driver, the relay, the kernel and its idle loop while the host works). */
static void bench_line(const char *name, uint64_t t0, uint64_t bytes)
{
	printf("bench: %s %lu instructions per 4 KiB\n", name,
	       (unsigned long)((rdinstret() - t0) / (bytes / 4096)));
}

int bench(void)
{
	struct blk_client c;
	uint64_t ep = 0, t0;
	int32_t result;

	if (!start(&ep, &c))
		return t_done("blk bench");
	/* One 4 KiB read at a time, waiting for each. */
	t0 = rdinstret();
	for (uint64_t s = 0; s < IMG_SECTORS; s += 8)
		CHECK_EQ(blk_read(&c, s, 8, 0), 0);
	bench_line("blk_read_4k_sync", t0, IMG_SECTORS * SECTOR);
	/* 64 KiB requests, 8 in flight: the whole disk. */
	t0 = rdinstret();
	uint64_t next = 0, done = 0;
	int inflight = 0;
	while (done < IMG_SECTORS) {
		while (inflight < BLK_CLIENT_INFLIGHT && next < IMG_SECTORS) {
			uint64_t off = (next / 128 % BLK_CLIENT_INFLIGHT) * 64 * 1024;
			CHECK(blk_submit(&c, BLK_READ, next, 128, off) >= 0);
			next += 128;
			inflight++;
		}
		CHECK(blk_wait_any(&c, &result) >= 0 && result == 0);
		inflight--;
		done += 128;
	}
	bench_line("blk_read_64k_x8", t0, IMG_SECTORS * SECTOR);
	/* 4 KiB write then flush. */
	CHECK_EQ(blk_read(&c, 4000, 8, 0), 0);
	t0 = rdinstret();
	for (int i = 0; i < 16; i++) {
		CHECK_EQ(blk_write(&c, 4000, 8, 0), 0);
		CHECK_EQ(blk_flush(&c), 0);
	}
	bench_line("blk_write_4k_flush", t0, 16 * 4096);
	t0 = rdinstret();
	for (int i = 0; i < 16; i++)
		CHECK_EQ(blk_write(&c, 4000, 8, 0), 0);
	bench_line("blk_write_4k", t0, 16 * 4096);
	printf("bench: done\n");
	return t_done("blk bench");
}
