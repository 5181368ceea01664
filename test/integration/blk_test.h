/*
 * What the parts of test_blk share (test_blk.c says what each mode
 * checks): the pattern image's layout, the DMA pool, the pattern's
 * sectors, a raw call to the driver, the driver started and attached,
 * and the modes in blk_rw.c (rw, attacker) and blk_bench.c (bench).
 */
#ifndef TEST_BLK_H
#define TEST_BLK_H

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "abi/blk.h"
#include "t.h"

#define IMG_SECTORS	8192		/* tools/mkblkimg.sh, test/CMakeLists.txt */
#define POOL_LEN	(1ul << 20)
#define SECTOR		BLK_SECTOR_SIZE
#define WRITTEN_AT	1000		/* rw writes 16 sectors here */
#define DURABLE_AT	2000		/* durable writes 64 sectors here */

extern uint8_t *pool;		/* the DMA pool start() shares with the driver */
extern uint64_t pool_pa;

/* Sector `sector` as the image or a writer has it ("sector" or a 7-letter
 * word); whether count sectors at buf are so. */
void fill(uint8_t *buf, const char *word, uint64_t sector);
int holds(const uint8_t *buf, const char *word, uint64_t sector, uint64_t count);
/* A raw request to the driver: its w[0], or the call's error. */
uint64_t call(uint64_t ep, uint64_t info, uint64_t w0, uint64_t w1, uint64_t w2,
	      uint64_t w5);
/* Start the driver over a new pool and attach c; true if all went well. */
int start(uint64_t *ep, struct blk_client *c);

/* Start the driver over a new DMA pool of POOL_LEN bytes (pool, pool_pa;
 * the includer defines them) with the disks init was given; its endpoint
 * in *ep. 1 if it started, 0 (checks failed) if not. Also used by
 * test_blk_share.c, which attaches its clients itself. */
static __attribute__((unused)) int blk_pool_start(uint64_t *ep)
{
	const struct proc_start *ps = &libsys_start_info;
	int64_t va = dma_alloc(POOL_LEN, &pool_pa), r;

	CHECK(va > 0);
	if (va <= 0)
		return 0;
	pool = (uint8_t *)va;
	r = blk_start(ps->devices, ps->ndevices, pool_pa, POOL_LEN);
	CHECK(r > 0);
	if (r <= 0)
		return 0;
	*ep = (uint64_t)r;
	return 1;
}

int rw(void);		/* blk_rw.c */
int as_attacker(void);
int bench(void);	/* blk_bench.c */

#endif
