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
 */
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

static uint8_t *pool;
static uint64_t pool_pa;

/* Sector `sector` as the image or a writer has it: `word` then the
 * number, 16 bytes a line, 32 lines ("sector" has 8 digits, the
 * 7-letter words 7). */
static void fill(uint8_t *buf, const char *word, uint64_t sector)
{
	char line[32];

	snprintf(line, sizeof(line), strlen(word) == 6 ? "%s %08lu\n" : "%s %07lu\n", word,
		 (unsigned long)sector);
	for (int j = 0; j < 32; j++)
		memcpy(buf + 16 * j, line, 16);
}

/* True if count sectors from `sector` are at buf as `word` writes them. */
static int holds(const uint8_t *buf, const char *word, uint64_t sector, uint64_t count)
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

static uint64_t call(uint64_t ep, uint64_t info, uint64_t w0, uint64_t w1, uint64_t w2,
		     uint64_t w5)
{
	struct ipc_msg m = { .info = info, .w = { w0, w1, w2, 0, 0, w5 } };
	int64_t r = ipc_call(ep, &m);

	return r < 0 ? (uint64_t)r : m.w[0];
}

static int start(uint64_t *ep, struct blk_client *c)
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
	CHECK_EQ(blk_attach(c, *ep), 0);
	CHECK_EQ(c->info.capacity, IMG_SECTORS);
	CHECK_EQ(c->info.pool_len, POOL_LEN);
	CHECK_EQ(c->info.read_only, 0);
	return t_failures == 0;
}

/* Requests in flight at once, answered in whatever order the device
 * finishes them: a write, a flush (the host syncs the image file, slow),
 * a big read, then small reads. True if some request completed before
 * one submitted earlier. The write puts back what the image holds. */
static int in_flight_round(struct blk_client *c, int round)
{
	enum { N = BLK_CLIENT_INFLIGHT };
	static const uint64_t label[N] = { BLK_WRITE, BLK_FLUSH, BLK_READ, BLK_READ,
					   BLK_READ, BLK_READ, BLK_READ, BLK_READ };
	uint64_t sector[N], count[N], off[N];
	int64_t tags[N];
	int order[N], out_of_order = 0;
	int32_t result;

	memset(pool, 0, POOL_LEN);
	for (int i = 0; i < N; i++) {
		switch (i) {
		case 0:	/* 128 KiB at [0, 128K) */
			sector[i] = 5000 + (uint64_t)round * 16, count[i] = 256, off[i] = 0;
			for (uint64_t k = 0; k < count[i]; k++)
				fill(pool + k * SECTOR, "sector", sector[i] + k);
			break;
		case 1:
			sector[i] = count[i] = off[i] = 0;
			break;
		case 2:	/* 512 KiB at [128K, 640K) */
			sector[i] = 2048 + (uint64_t)round * 8, count[i] = 1024, off[i] = 128 * 1024;
			break;
		default:
			sector[i] = 3000 + (uint64_t)(round * 100 + i * 10);
			count[i] = 1 + (uint64_t)i;
			off[i] = 640 * 1024 + (uint64_t)i * 16 * 1024;
		}
		tags[i] = blk_submit(c, label[i], sector[i], count[i], off[i]);
		CHECK(tags[i] >= 0);
	}
	/* Our limit is reached until we reap: no ninth. */
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 1, 0), -ERR_AGAIN);
	for (int n = 0; n < N; n++) {
		int64_t tag = blk_wait_any(c, &result);
		CHECK(tag >= 0);
		CHECK_EQ(result, 0);
		order[n] = -1;
		for (int i = 0; i < N; i++)
			if (tags[i] == tag)
				order[n] = i;
		CHECK(order[n] >= 0);
		if (n > 0 && order[n] < order[n - 1])
			out_of_order = 1;
	}
	for (int i = 2; i < N; i++)
		CHECK(holds(pool + off[i], "sector", sector[i], count[i]));
	if (round == 0 || out_of_order) {
		printf("test_blk: round %d completion order:", round);
		for (int n = 0; n < N; n++)
			printf(" %d", order[n]);
		printf("\n");
	}
	return out_of_order;
}

/* Out of range, malformed and unknown requests: each an error reply. */
static void bad_requests(uint64_t ep, struct blk_client *c, uint64_t cap)
{
	const uint64_t rd = ipc_info(BLK_READ, 0, 0);

	CHECK_EQ(blk_submit(c, BLK_READ, cap, 1, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, cap - 1, 2, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_WRITE, cap - 1, 2, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, ~0ul, 1, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 0, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, BLK_MAX_SECTORS + 1, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, ~0ul, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 1, POOL_LEN), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 1, POOL_LEN - SECTOR + 1), -ERR_INVAL);
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 2048, 512), -ERR_INVAL);	/* 1 MiB + 512 */
	CHECK_EQ(blk_submit(c, BLK_READ, 0, 1, ~0ul - 100), -ERR_INVAL);	/* wraps */
	CHECK_EQ(blk_submit(c, BLK_WRITE, 0, 1, ~0ul - 100), -ERR_INVAL);
	CHECK_EQ((int64_t)call(ep, ipc_info(999, 0, 0), 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ((int64_t)call(ep, ipc_info(0, 0, 0), 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_IRQ, 0, 0), 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_READ, 8, 0), 0, 1, 0, 0), -ERR_INVAL);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_SETUP_POOL, 0, 0), 0x80000000, 4096, 0, 0),
		 -ERR_PERM);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_SETUP_DEVICE, 0, IPC_GRANT), 0, 0, 0,
			       libsys_start_info.devices[0].device), -ERR_PERM);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_ATTACH, 0, 0), 0, 0, 0, 0), -ERR_INVAL);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_ATTACH, 0, IPC_GRANT), 0, 0, 0, 4242), -ERR_BADF);
	/* Handles granted with requests that keep none are closed: 300 of
	 * them would fill the driver's 128-slot table otherwise, and the
	 * attach below would get no handle. */
	for (int i = 0; i < 300; i++)
		CHECK_EQ((int64_t)call(ep, rd | IPC_GRANT, 0, 0, 0, c->notif), -ERR_INVAL);
	/* A thread whose pager is the driver faults at once: the driver
	 * stops it (it pages nothing) and serves on. */
	int64_t task = sys_task_create(), h3 = sys_handle_grant(0, ep, 3, RIGHT_SEND), th;
	struct task_info ti;
	CHECK(task > 0 && h3 > 0);
	CHECK((th = sys_thread_create((uint64_t)task, 0x10000, 0, 0, (uint64_t)h3, 0)) > 0);
	for (int i = 0; i < 100 && sys_task_info((uint64_t)task, &ti) == 0 && ti.nthreads; i++)
		sys_yield();
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.nthreads, 0);
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	/* None of it disturbed the driver. */
	CHECK_EQ(blk_read(c, 5, 1, 0), 0);
	CHECK(holds(pool, "sector", 5, 1));
}

/* Another client (badge 1) holds its limit and never reaps: client 0 is
 * still served, and sees only its own completions. */
static void two_clients(uint64_t ep, struct blk_client *c0)
{
	struct blk_client c1;
	int64_t h1 = sys_handle_grant(0, ep, 1, RIGHT_SEND), h7, tags[BLK_CLIENT_INFLIGHT];

	CHECK(h1 > 0);
	CHECK_EQ((int64_t)call((uint64_t)h1, ipc_info(BLK_READ, 0, 0), 0, 1, 0, 0), -ERR_PERM);
	CHECK_EQ(blk_attach(&c1, (uint64_t)h1), 0);
	for (int i = 0; i < BLK_CLIENT_INFLIGHT; i++)
		CHECK((tags[i] = blk_submit(&c1, BLK_READ, 100 + (uint64_t)i, 1,
					    (uint64_t)i * SECTOR)) >= 0);
	CHECK_EQ(blk_submit(&c1, BLK_FLUSH, 0, 0, 0), -ERR_AGAIN);
	CHECK_EQ(blk_read(c0, 200, 4, 64 * 1024), 0);
	CHECK(holds(pool + 64 * 1024, "sector", 200, 4));
	CHECK_EQ(c0->nreaped, 0);	/* none of client 1's tags came to us */
	for (int i = 0; i < BLK_CLIENT_INFLIGHT; i++)
		CHECK_EQ(blk_wait(&c1, tags[i]), 0);
	CHECK(holds(pool, "sector", 100, BLK_CLIENT_INFLIGHT));
	/* A badge past the client table is refused. */
	CHECK((h7 = sys_handle_grant(0, ep, 7, RIGHT_SEND)) > 0);
	CHECK_EQ((int64_t)call((uint64_t)h7, ipc_info(BLK_INFO, 0, 0), 0, 0, 0, 0), -ERR_PERM);
}

/* A relay turns our completions into calls on an endpoint of ours, so a
 * server can receive its clients and its disk in one loop. */
static void relay(struct blk_client *c)
{
	struct ipc_msg m = { 0 };
	int32_t result = -1;
	int64_t e2 = sys_endpoint_create(), task, tag;

	CHECK(e2 > 0);
	CHECK((task = blk_relay_start(c->notif, (uint64_t)e2, 5, 77)) > 0);
	CHECK_EQ(blk_relay_start(c->notif, (uint64_t)e2, 5, 1ul << 32), -ERR_INVAL);
	CHECK_EQ(blk_poll(c, &result), -ERR_AGAIN);
	CHECK((tag = blk_submit(c, BLK_READ, 400, 2, 0)) >= 0);
	CHECK_EQ(ipc_recv((uint64_t)e2, &m), 0);
	CHECK_EQ(ipc_label(m.info), 77);
	CHECK_EQ(m.badge, 5);
	CHECK_EQ(blk_poll(c, &result), tag);
	CHECK_EQ(result, 0);
	CHECK(holds(pool, "sector", 400, 2));
	/* Answered, the relay waits again; the next completion calls again. */
	CHECK((tag = blk_submit(c, BLK_READ, 402, 1, 0)) >= 0);
	m = (struct ipc_msg){ .info = ipc_info(0, 0, 0) };
	CHECK_EQ(ipc_reply_recv((uint64_t)e2, &m), 0);
	CHECK_EQ(ipc_label(m.info), 77);
	CHECK_EQ(blk_poll(c, &result), tag);
	CHECK_EQ(blk_poll(c, &result), -ERR_AGAIN);
	CHECK(holds(pool, "sector", 402, 1));
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	sys_handle_close((uint64_t)task);
	sys_handle_close((uint64_t)e2);
}

/* A child with a send-only handle (badge 2): it cannot set the driver
 * up again, and its bad requests get errors; it exits with requests in
 * flight and unreaped. */
static int as_attacker(void)
{
	uint64_t ep = libsys_start_info.granted;
	struct blk_client c;

	CHECK(ep != 0);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_READ, 0, 0), 0, 1, 0, 0), -ERR_PERM);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_SETUP_POOL, 0, 0), 0x80200000, 4096, 0, 0),
		 -ERR_PERM);
	CHECK_EQ(blk_attach(&c, ep), 0);
	CHECK_EQ(blk_submit(&c, BLK_WRITE, IMG_SECTORS, 1, 0), -ERR_INVAL);
	CHECK_EQ(blk_submit(&c, BLK_READ, 0, 1, POOL_LEN), -ERR_INVAL);
	CHECK_EQ((int64_t)call(ep, ipc_info(BLK_REAP, 64, 0), 0, 0, 0, 0), -ERR_INVAL);
	for (int i = 0; i < 200; i++)
		call(ep, ipc_info((uint64_t)i, 0, IPC_GRANT), ~0ul, ~0ul, ~0ul, c.notif);
	/* Up to our limit (a flush among the labels above may hold a slot). */
	int submitted = 0;
	while (blk_submit(&c, BLK_READ, 300, 1, 0) >= 0 && submitted <= BLK_CLIENT_INFLIGHT)
		submitted++;
	CHECK(submitted >= BLK_CLIENT_INFLIGHT - 1 && submitted <= BLK_CLIENT_INFLIGHT);
	return t_done("blk attacker");
}

static int rw(void)
{
	struct blk_client c;
	uint64_t ep = 0;
	int out_of_order = 0, status = -1;

	if (!start(&ep, &c))
		return t_done("blk rw");
	uint64_t cap = c.info.capacity;

	/* The image's pattern, at the start and at the very end. */
	CHECK_EQ(blk_read(&c, 0, 128, 0), 0);
	CHECK(holds(pool, "sector", 0, 128));
	CHECK_EQ(blk_read(&c, cap - 1, 1, 4096), 0);
	CHECK(holds(pool + 4096, "sector", cap - 1, 1));

	/* Write, flush, read back (test/blk-run.sh checks the image too). */
	for (int i = 0; i < 16; i++)
		fill(pool + 128 * 1024 + i * SECTOR, "written", WRITTEN_AT + (uint64_t)i);
	CHECK_EQ(blk_write(&c, WRITTEN_AT, 16, 128 * 1024), 0);
	CHECK_EQ(blk_flush(&c), 0);
	memset(pool, 0, POOL_LEN);
	CHECK_EQ(blk_read(&c, WRITTEN_AT - 1, 18, 0), 0);
	CHECK(holds(pool, "sector", WRITTEN_AT - 1, 1));
	CHECK(holds(pool + SECTOR, "written", WRITTEN_AT, 16));
	CHECK(holds(pool + 17 * SECTOR, "sector", WRITTEN_AT + 16, 1));

	for (int round = 0; round < 20; round++)
		out_of_order += in_flight_round(&c, round);
	printf("test_blk: %d of 20 rounds completed out of order\n", out_of_order);
	CHECK(out_of_order > 0);

	bad_requests(ep, &c, cap);
	two_clients(ep, &c);
	relay(&c);

	const char *argv[] = { "test_blk", "attacker", NULL };
	int64_t h2 = sys_handle_grant(0, ep, 2, RIGHT_SEND | RIGHT_GRANT), pid;
	CHECK(h2 > 0);
	CHECK((pid = spawn(argv, (uint64_t)h2)) > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its requests ended with it unreaped; ours still go through. */
	CHECK_EQ(blk_read(&c, 0, 8, 0), 0);
	CHECK(holds(pool, "sector", 0, 8));
	CHECK_EQ(pager_check(), 0);
	return t_done("blk rw");
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

/* Retired instructions per 4 KiB page (whole guest: the client, the
 * driver, the relay, the kernel and its idle loop while the host works). */
static void bench_line(const char *name, uint64_t t0, uint64_t bytes)
{
	printf("bench: %s %lu instructions per 4 KiB\n", name,
	       (unsigned long)((rdinstret() - t0) / (bytes / 4096)));
}

static int bench(void)
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
