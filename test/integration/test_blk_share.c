/*
 * The blk driver's in-flight shares and its flush order (servers/blk,
 * abi/blk.h), run as init with the block-driver pattern image as a disk
 * (snapshot: nothing reaches the image). argv[1]:
 *   shares      client 0 (the pool's owner) asks at attach for every slot
 *               and gets only those no other client's share needs; other
 *               clients asking for more get BLK_CLIENT_INFLIGHT. While
 *               client 0 holds its whole limit unreaped, clients 1, 2 and
 *               3 (2 and 3 attaching only then) each still get their full
 *               share, and their reads complete with the right data.
 *               Attach words from an attacker (~0, huge) change nothing.
 *   flushorder  a flush submitted right behind big writes completes after
 *               them: when the flush's completion is reaped, the writes'
 *               are already there (the driver starts the flush only once
 *               the client's earlier writes completed), and the data reads
 *               back. A flush with only reads in flight is not held.
 */
#include "blk_test.h"

uint8_t *pool;		/* blk_pool_start's */
uint64_t pool_pa;

/* Submit reads of one sector each (into distinct pool sectors from
 * `slot0`) until the driver refuses: how many went, tags in tags[]. */
static int flood(struct blk_client *c, int64_t *tags, int max, uint64_t slot0)
{
	int n = 0;
	int64_t t;

	while (n < max && (t = blk_submit(c, BLK_READ, 100 + (uint64_t)n, 1,
					  (slot0 + (uint64_t)n) * SECTOR)) >= 0)
		tags[n++] = t;
	if (n < max)
		CHECK_EQ(t, -ERR_AGAIN);
	return n;
}

/* Sector s as the pattern image has it ("sector %08d\n" 32 times). */
static int is_sector(const uint8_t *buf, uint64_t s)
{
	char line[17];

	snprintf(line, sizeof(line), "sector %08lu\n", (unsigned long)s);
	return !memcmp(buf, line, 16) && !memcmp(buf + 496, line, 16);
}

static int shares(void)
{
	struct blk_client c0, c[BLK_MAX_CLIENTS];
	int64_t t0[BLK_SLOTS + 1], t[BLK_MAX_CLIENTS][BLK_SLOTS + 1];
	uint64_t ep = 0;
	int32_t res;

	if (!blk_pool_start(&ep))
		return t_done("blk_share shares");
	/* Client 0 asks for everything: gets more than a share, never what
	 * the other three shares need. */
	CHECK_EQ(blk_attach_inflight(&c0, ep, ~0ul), 0);
	uint64_t lim0 = c0.info.inflight;
	printf("blk_share: client 0 may have %lu in flight\n", (unsigned long)lim0);
	CHECK(lim0 > BLK_CLIENT_INFLIGHT);
	CHECK(lim0 + (BLK_MAX_CLIENTS - 1) * BLK_CLIENT_INFLIGHT <= BLK_SLOTS);
	/* Client 1 asks for more: its share only. */
	int64_t h1 = sys_handle_grant(0, ep, 1, RIGHT_SEND);
	CHECK(h1 > 0);
	CHECK_EQ(blk_attach_inflight(&c[1], (uint64_t)h1, 1000), 0);
	CHECK_EQ(c[1].info.inflight, BLK_CLIENT_INFLIGHT);
	/* Client 0 floods to its limit and reaps nothing. */
	CHECK_EQ(flood(&c0, t0, BLK_SLOTS + 1, 0), (int)lim0);
	/* Client 1 still gets its whole share, and no more. */
	CHECK_EQ(flood(&c[1], t[1], BLK_SLOTS + 1, 100), BLK_CLIENT_INFLIGHT);
	/* Clients 2 and 3 attach only now (2 asking for ~0): their shares
	 * are there too. */
	for (int k = 2; k < BLK_MAX_CLIENTS; k++) {
		int64_t h = sys_handle_grant(0, ep, (uint64_t)k, RIGHT_SEND);
		CHECK(h > 0);
		CHECK_EQ(blk_attach_inflight(&c[k], (uint64_t)h, k == 2 ? ~0ul : 0), 0);
		CHECK_EQ(c[k].info.inflight, BLK_CLIENT_INFLIGHT);
		CHECK_EQ(flood(&c[k], t[k], BLK_SLOTS + 1, 100 + 40 * (uint64_t)k),
			 BLK_CLIENT_INFLIGHT);
	}
	/* Every read completes, each client seeing only its own. */
	for (int k = 1; k < BLK_MAX_CLIENTS; k++)
		for (int i = 0; i < BLK_CLIENT_INFLIGHT; i++) {
			CHECK_EQ(blk_wait(&c[k], t[k][i]), 0);
			CHECK(is_sector(pool + (100 + 40 * (uint64_t)(k == 1 ? 0 : k) + (uint64_t)i) * SECTOR,
					100 + (uint64_t)i));
		}
	for (uint64_t i = 0; i < lim0; i++) {
		CHECK_EQ(blk_wait(&c0, t0[i]), 0);
		CHECK(is_sector(pool + i * SECTOR, 100 + i));
	}
	CHECK_EQ(blk_poll(&c0, &res), -ERR_AGAIN);
	/* Client 0 attaching again without asking: back to a share. */
	CHECK_EQ(blk_attach(&c0, ep), 0);
	CHECK_EQ(c0.info.inflight, BLK_CLIENT_INFLIGHT);
	CHECK_EQ(flood(&c0, t0, BLK_SLOTS + 1, 0), BLK_CLIENT_INFLIGHT);
	for (int i = 0; i < BLK_CLIENT_INFLIGHT; i++)
		CHECK_EQ(blk_wait(&c0, t0[i]), 0);
	return t_done("blk_share shares");
}

static int flushorder(void)
{
	struct blk_client c;
	uint64_t ep = 0;
	int32_t res;

	if (!blk_pool_start(&ep))
		return t_done("blk_share flushorder");
	CHECK_EQ(blk_attach_inflight(&c, ep, ~0ul), 0);
	for (int round = 0; round < 12; round++) {
		uint64_t at = 3000 + (uint64_t)round * 8, big = 1024 + (uint64_t)round * 64;
		int64_t w1, w2, f;
		memset(pool, 'a' + round, big * SECTOR);
		/* Two writes, the first large, then the flush at once. */
		CHECK((w1 = blk_submit(&c, BLK_WRITE, 4096, big, 0)) >= 0);
		CHECK((w2 = blk_submit(&c, BLK_WRITE, at, 1, 0)) >= 0);
		CHECK((f = blk_submit(&c, BLK_FLUSH, 0, 0, 0)) >= 0);
		CHECK_EQ(blk_wait(&c, f), 0);
		/* The writes completed first: reaped already with the flush. */
		int64_t a = blk_take(&c, &res), b;
		CHECK(a == w1 || a == w2);
		CHECK_EQ(res, 0);
		b = blk_take(&c, &res);
		CHECK(b == w1 || b == w2);
		CHECK(a != b);
		CHECK_EQ(res, 0);
		CHECK_EQ(blk_take(&c, &res), -ERR_AGAIN);
		memset(pool, 0, big * SECTOR);
		CHECK_EQ(blk_read(&c, 4096, big, 0), 0);
		CHECK(pool[0] == 'a' + round && pool[big * SECTOR - 1] == 'a' + round);
	}
	/* Only a read in flight: the flush is not held for it. */
	int64_t r = blk_submit(&c, BLK_READ, 100, 1, 0), f = blk_submit(&c, BLK_FLUSH, 0, 0, 0);
	CHECK(r >= 0 && f >= 0);
	CHECK_EQ(blk_wait(&c, f), 0);
	CHECK_EQ(blk_wait(&c, r), 0);
	return t_done("blk_share flushorder");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "shares"))
		return shares();
	if (!strcmp(mode, "flushorder"))
		return flushorder();
	printf("test_blk_share: no mode \"%s\"\n", mode);
	return 1;
}
