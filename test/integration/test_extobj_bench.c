/*
 * External-pager benchmarks (test_extobj bench; docs/external-pagers.md,
 * docs/benchmarks.md), under -icount: retired instructions, every address
 * space and the kernel counted. A server forked by the test serves a
 * 16 MiB object; init maps it and measures:
 *   external_fault        one read fault on a missing page, warm, through
 *                         the server (MADV_RANDOM: a one-page fill, no
 *                         fault-around): fault, request handed to the
 *                         parked server, its answer, the mapping; the
 *                         server writes one word (the frame comes zeroed)
 *   external_fault_copy   the same with the server copying a whole page
 *                         from its memory into the request (by words)
 *   external_fault_batch16 a sequential read of 16 pages: one fault, one
 *                         16-page fill, fault-around maps all: per page
 *                         (every other block, so no fault is where the
 *                         last fill ended: the fixed policy would take
 *                         that for a stream and read 128 pages ahead)
 * Medians of 256 samples (batch16: of 64 runs of 16 pages), each taking
 * frames zeroed at idle (below; their cost printed as *_zero_at_idle).
 */
#include <stdbool.h>
#include <unistd.h>
#include "extobj.h"
#include "rtc_idle.h"

#define BENCH_PAGES	4096
#define NSAMPLES	256

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static uint64_t v[NSAMPLES];

/*
 * Idle between samples (as microbench's anon_fault): a fill takes frames
 * the pager zeroed while the hart had nothing to run (pager/zeropool.c),
 * as it would in a program that does not fault back to back. We sleep on
 * QEMU virt's goldfish RTC (init holds every device); idle time is not in
 * a sample (rtc_idle.h). What zeroing those frames cost at idle is
 * printed beside (zero_at_idle, per frame).
 */

/* PAGER_ZEROPOOL: w0 frames ready, w1 zeroed at idle ever, w2 idle
 * messages, w3 the pager's instructions in them, w4 the kernel's round. */
static void pool(uint64_t *w)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_ZEROPOOL, 0, 0) };

	pager_call(&m);
	memcpy(w, m.w, 5 * sizeof(*w));
}

static bool idle_until(uint64_t frames)
{
	uint64_t w[5];

	for (int i = 0; i < 1000; i++, rtc_idle_ns(200000)) {
		pool(w);
		if (w[0] >= frames)
			return true;
	}
	return false;
}

static void one(struct box *b, int mode, const char *name, bool batch)
{
	uint64_t bracket, t0, w0[5], w1[5];
	int st, n = 0;
	pid_t s;

	memset((void *)b, 0, sizeof(*b));
	b->obj_pages = BENCH_PAGES;
	s = server_start(b, mode);
	volatile uint32_t *p = (volatile uint32_t *)mo_map(b->srv_pid, (uint32_t)b->key, b->token,
							  NULL, BENCH_PAGES * PS, RW, MAP_SHARED, 0);
	CHECK((int64_t)p > 0);
	CHECK(rtc_idle_open());
	if ((int64_t)p <= 0 || !rtc_idle_regs)
		return;
	if (!batch)
		CHECK_EQ(madvise((void *)p, BENCH_PAGES * PS, MADV_RANDOM), 0);
	t0 = rdinstret();
	bracket = rdinstret() - t0;
	(void)W(p, 0, 0);	/* warm */
	(void)W(p, batch ? 32 : 16, 0);	/* batch: not where the last fill ended (a stream) */
	pool(w0);
	if (!batch)
		for (int i = 32; n < NSAMPLES; i++, n++) {
			if (n % 64 == 0)
				CHECK(idle_until(64));
			t0 = rdinstret();
			(void)W(p, i, 0);
			v[n] = rdinstret() - t0 - bracket;
		}
	else
		for (int blk = 4; n < 64; blk += 2, n++) {
			if (n % 4 == 0)
				CHECK(idle_until(64));
			t0 = rdinstret();
			for (int k = 0; k < 16; k++)
				(void)W(p, blk * 16 + k, 0);
			v[n] = (rdinstret() - t0 - bracket) / 16;
		}
	pool(w1);
	CHECK_EQ(W(p, 40, 0), mode == SRV_BENCH ? 40 : PATTERN(40 % OBJ_PAGES));
	printf("bench: %s %lu instructions\n", name, (unsigned long)median(v, n));
	printf("bench: %s_min %lu instructions\n", name, (unsigned long)v[0]);
	printf("bench: %s_max %lu instructions\n", name, (unsigned long)v[n - 1]);
	if (w1[1] > w0[1])	/* the pager's batches, and the kernel's round each */
		printf("bench: %s_zero_at_idle %lu instructions\n", name,
		       (unsigned long)(((w1[3] - w0[3]) + (w1[2] - w0[2]) * w1[4]) / (w1[1] - w0[1])));
	munmap((void *)p, BENCH_PAGES * PS);
	kill(s, SIGKILL);
	waitpid(s, &st, 0);
}

void extobj_bench(struct box *b)
{
	one(b, SRV_BENCH, "external_fault_batch16", true);
	one(b, SRV_BENCH, "external_fault", false);
	one(b, SRV_GOOD, "external_fault_copy", false);
	printf("bench: extobj done\n");
}
