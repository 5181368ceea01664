/*
 * test_blk's rw mode: the pattern, write + flush + read back, requests in
 * flight completing in any order, out-of-range and malformed requests,
 * per-client limits, completions relayed as calls; and the attacker it
 * spawns (a client holding a badged send-only handle).
 */
#include "blk_test.h"

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
int as_attacker(void)
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

int rw(void)
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
