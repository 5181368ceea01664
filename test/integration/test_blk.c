/*
 * The virtio-blk driver (servers/blk), run as init with a raw disk image
 * whose sector i holds "sector %08d\n" 32 times (tools/mkblkimg.sh), under
 * test/blk-run.sh, which also checks the image on the host afterwards.
 * argv[1] says what to do:
 *   rw       capacity, the pattern, write + flush + read back, many
 *            requests in flight completing in any order, out-of-range and
 *            malformed requests, per-client limits, completions relayed
 *            as calls, and an unprivileged child attacking the driver;
 *            the driver serves on throughout
 *   durable  write + flush, print "blk: flush returned", then wait to be
 *            killed (the host then checks the image)
 *   verify   after durable, on a new boot: read those sectors back
 *   ioerror  with blkdebug failing sector 77 (reads) and 90 (writes):
 *            -ERR_IO for those, the rest served normally
 *   readonly with a read-only disk, set up step by step: bad pools
 *            refused, requests before setup refused; reads served,
 *            writes -ERR_PERM
 *   nodisk   with no disk: blk_start fails with -ERR_NODEV and the driver
 *            it spawned is gone
 *   bench    (by hand, under qemu.sh -i) instructions per 4 KiB read
 *            through the driver: "bench:" lines
 *   attacker (spawned by rw) a client holding a badged send-only handle
 *
 * This file has the shared helpers, the durable, verify, ioerror,
 * readonly and nodisk modes and main; rw and the attacker are in
 * blk_rw.c, bench in blk_bench.c (blk_test.h).
 */
#include "blk_test.h"

uint8_t *pool;
uint64_t pool_pa;

/* Sector `sector` as the image or a writer has it: `word` then the
 * number, 16 bytes a line, 32 lines ("sector" has 8 digits, the
 * 7-letter words 7). */
void fill(uint8_t *buf, const char *word, uint64_t sector)
{
	char line[32];

	snprintf(line, sizeof(line), strlen(word) == 6 ? "%s %08lu\n" : "%s %07lu\n", word,
		 (unsigned long)sector);
	for (int j = 0; j < 32; j++)
		memcpy(buf + 16 * j, line, 16);
}

/* True if count sectors from `sector` are at buf as `word` writes them. */
int holds(const uint8_t *buf, const char *word, uint64_t sector, uint64_t count)
{
	uint8_t want[SECTOR];

	for (uint64_t i = 0; i < count; i++) {
		fill(want, word, sector + i);
		if (memcmp(buf + i * SECTOR, want, SECTOR)) {
			printf("test_blk: sector %lu is not \"%s\": %.15s\n",
			       (unsigned long)(sector + i), word, buf + i * SECTOR);
			return 0;
		}
	}
	return 1;
}

uint64_t call(uint64_t ep, uint64_t info, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w5)
{
	struct ipc_msg m = { .info = info, .w = { w0, w1, w2, 0, 0, w5 } };
	int64_t r = ipc_call(ep, &m);

	return r < 0 ? (uint64_t)r : m.w[0];
}

int start(uint64_t *ep, struct blk_client *c)
{
	if (!blk_pool_start(ep))
		return 0;
	CHECK_EQ(blk_attach(c, *ep), 0);
	CHECK_EQ(c->info.capacity, IMG_SECTORS);
	CHECK_EQ(c->info.pool_len, POOL_LEN);
	CHECK_EQ(c->info.read_only, 0);
	return t_failures == 0;
}

static int durable(void)
{
	struct blk_client c;
	uint64_t ep = 0;

	if (!start(&ep, &c))
		return t_done("blk durable");
	for (int i = 0; i < 64; i++)
		fill(pool + i * SECTOR, "durable", DURABLE_AT + (uint64_t)i);
	CHECK_EQ(blk_write(&c, DURABLE_AT, 64, 0), 0);
	CHECK_EQ(blk_flush(&c), 0);
	if (t_failures)
		return t_done("blk durable");
	printf("blk: flush returned\n");	/* test/blk-run.sh kills QEMU here */
	for (;;)
		sys_wait(c.notif);
}

static int verify(void)
{
	struct blk_client c;
	uint64_t ep = 0;

	if (!start(&ep, &c))
		return t_done("blk verify");
	CHECK_EQ(blk_read(&c, DURABLE_AT - 1, 66, 0), 0);
	CHECK(holds(pool, "sector", DURABLE_AT - 1, 1));
	CHECK(holds(pool + SECTOR, "durable", DURABLE_AT, 64));
	CHECK(holds(pool + 65 * SECTOR, "sector", DURABLE_AT + 64, 1));
	return t_done("blk verify");
}

static int ioerror(void)
{
	struct blk_client c;
	uint64_t ep = 0;

	if (!start(&ep, &c))
		return t_done("blk ioerror");
	CHECK_EQ(blk_read(&c, 76, 1, 0), 0);
	CHECK(holds(pool, "sector", 76, 1));
	CHECK_EQ(blk_read(&c, 77, 1, 0), -ERR_IO);
	CHECK_EQ(blk_read(&c, 70, 10, 0), -ERR_IO);	/* a range covering it */
	fill(pool, "written", 90);
	fill(pool + SECTOR, "written", 91);
	CHECK_EQ(blk_write(&c, 90, 1, 0), -ERR_IO);
	CHECK_EQ(blk_write(&c, 91, 1, SECTOR), 0);
	CHECK_EQ(blk_flush(&c), 0);
	/* Errors mixed with successes in flight: each gets its own result. */
	int64_t bad = blk_submit(&c, BLK_READ, 77, 1, 0);
	int64_t good = blk_submit(&c, BLK_READ, 78, 1, 4096);
	CHECK(bad >= 0 && good >= 0);
	CHECK_EQ(blk_wait(&c, good), 0);
	CHECK_EQ(blk_wait(&c, bad), -ERR_IO);
	CHECK(holds(pool + 4096, "sector", 78, 1));
	CHECK_EQ(blk_read(&c, 91, 1, 0), 0);
	CHECK(holds(pool, "written", 91, 1));
	return t_done("blk ioerror");
}

static int readonly(void)
{
	const struct proc_start *ps = &libsys_start_info;
	struct blk_client c;
	int64_t va = dma_alloc(POOL_LEN, &pool_pa), ep, pid = 0;

	CHECK(va > 0);
	pool = (uint8_t *)va;
	CHECK((ep = blk_spawn(ps->devices, ps->ndevices, &pid)) > 0 && pid > 0);
	if (ep <= 0 || va <= 0)
		return t_done("blk readonly");
	CHECK_EQ((int64_t)call((uint64_t)ep, ipc_info(BLK_INFO, 0, 0), 0, 0, 0, 0), -ERR_AGAIN);
	CHECK_EQ((int64_t)call((uint64_t)ep, ipc_info(BLK_SETUP_IRQ, 0, IPC_GRANT), 0, 0, 0,
			       ps->devices[0].irq), -ERR_EXIST);
	CHECK_EQ(blk_set_pool((uint64_t)ep, pool_pa + 8, POOL_LEN), -ERR_INVAL);
	CHECK_EQ(blk_set_pool((uint64_t)ep, pool_pa, 0), -ERR_INVAL);
	CHECK_EQ(blk_set_pool((uint64_t)ep, pool_pa, BLK_POOL_MAX + PAGE_SIZE), -ERR_INVAL);
	CHECK_EQ(blk_set_pool((uint64_t)ep, ~0ul << PAGE_SHIFT, BLK_POOL_MAX), -ERR_INVAL);
	CHECK_EQ(blk_set_pool((uint64_t)ep, pool_pa, POOL_LEN), 0);
	CHECK_EQ(blk_set_pool((uint64_t)ep, pool_pa, POOL_LEN), -ERR_PERM);
	CHECK_EQ(blk_attach(&c, (uint64_t)ep), 0);
	CHECK_EQ(c.info.read_only, 1);
	CHECK_EQ(c.info.capacity, IMG_SECTORS);
	CHECK_EQ(blk_read(&c, 1, 2, 0), 0);
	CHECK(holds(pool, "sector", 1, 2));
	CHECK_EQ(blk_write(&c, 1, 1, 0), -ERR_PERM);
	CHECK_EQ(blk_flush(&c), 0);
	return t_done("blk readonly");
}

static int nodisk(void)
{
	const struct proc_start *ps = &libsys_start_info;
	struct mem_info m0, m1;
	int status;

	CHECK_EQ(mem_info(&m0), 0);
	CHECK_EQ(blk_start(ps->devices, ps->ndevices, 0x80000000, PAGE_SIZE), -ERR_NODEV);
	errno = 0;	/* the driver was killed and reaped: no process left */
	CHECK_EQ(waitpid(-1, &status, WNOHANG), -1);
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(mem_info(&m1), 0);
	CHECK_EQ(m1.free_pages, m0.free_pages);
	return t_done("blk nodisk");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rw";

	if (!strcmp(mode, "attacker"))
		return as_attacker();
	if (!strcmp(mode, "durable"))
		return durable();
	if (!strcmp(mode, "verify"))
		return verify();
	if (!strcmp(mode, "ioerror"))
		return ioerror();
	if (!strcmp(mode, "readonly"))
		return readonly();
	if (!strcmp(mode, "nodisk"))
		return nodisk();
	if (!strcmp(mode, "bench"))
		return bench();
	return rw();
}
