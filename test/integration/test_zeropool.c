/*
 * Zeroing at idle (pager/zeropool.c, kernel/idle.c). The attack: the idle
 * message is the pager's alone; a process asking for it (with its own
 * endpoint, the pager's, or none) gets -ERR_PERM. The behaviour: frames
 * freed full of bytes come back zeroed from the pool the pager fills while
 * we sleep (QEMU virt's goldfish RTC; init holds it), every page a first
 * write gets reads zero but for that write, the pool shrinks as faults
 * use it, the pager's frame accounting holds with frames in the pool, and
 * a 2 MiB DMA run can still be carved out of memory the pool holds.
 */
#include <stdbool.h>
#include "t.h"
#include "mm.h"

#define RTC_PA		0x101000ul
#define RTC_VA		0x3800000000ul
static volatile uint32_t *rtc = (volatile uint32_t *)RTC_VA;
static uint64_t rtc_irq, rtc_notif;

static void sleep_ns(uint64_t ns)
{
	uint64_t now = rtc[0];

	now |= (uint64_t)rtc[1] << 32;
	now += ns;
	rtc[4] = 1;			/* IRQ_ENABLED */
	rtc[3] = (uint32_t)(now >> 32);	/* ALARM_HIGH */
	rtc[2] = (uint32_t)now;		/* ALARM_LOW */
	sys_wait(rtc_notif);
	rtc[7] = 1;			/* CLEAR_INTERRUPT */
	sys_irq_ack(rtc_irq);
}

static uint64_t pool_frames(void)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_ZEROPOOL, 0, 0) };

	int64_t r = pager_call(&m);

	CHECK(r >= 0);
	return (uint64_t)r;
}

static bool rtc_open(void)
{
	struct device_info di;

	for (uint64_t i = 0; i < libsys_start_info.ndevices; i++) {
		uint64_t h = libsys_start_info.devices[i].device;
		if (sys_device_info(h, &di) < 0 || di.kind != DEV_RTC)
			continue;
		rtc_irq = libsys_start_info.devices[i].irq;
		return sys_map_device(h, 0, RTC_PA, RTC_VA, MAP_R | MAP_W) == 0 &&
		       sys_irq_bind(rtc_irq, rtc_notif) == 0;
	}
	return false;
}

int main(void)
{
	enum { NP = 512 };
	int64_t ep = sys_endpoint_create(), n = sys_notif_create();
	volatile uint64_t *p;
	uint64_t before, pa;

	/* Only the root task may ask for the idle message. */
	CHECK(ep > 0 && n > 0);
	CHECK_EQ(sys_idle_notify((uint64_t)ep, 0x1d1e), -ERR_PERM);
	CHECK_EQ(sys_idle_notify(libsys_start_info.pager, 0x1d1e), -ERR_PERM);
	CHECK_EQ(sys_idle_notify(0, 0), -ERR_PERM);
	CHECK_EQ(sys_idle_notify(12345, ~0ul), -ERR_PERM);
	rtc_notif = (uint64_t)n;
	CHECK(rtc_open());

	/* Frames full of bytes go back to the pager. */
	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	for (uint64_t i = 0; i < NP * PS / 8; i++)
		p[i] = 0xa5a5a5a5a5a5a5a5ul;
	CHECK_EQ(munmap((void *)p, NP * PS), 0);

	/* Idle: the pool fills (without idle zeroing it stays empty). */
	for (int i = 0; i < 200 && pool_frames() < 64; i++)
		sleep_ns(200000);
	before = pool_frames();
	CHECK(before >= 64);
	CHECK_EQ(pager_check(), 0);

	/* First writes take zeroed frames: each page reads zero but for
	 * the word written, and the pool shrinks by one a page. */
	p = mmap(NULL, NP * PS, RW, ANON_PRIV, -1, 0);
	CHECK(p != MAP_FAILED);
	for (uint64_t i = 0; i < 32; i++)
		p[i * PS / 8 + 1] = i + 1;
	CHECK_EQ(pool_frames(), before - 32);
	for (uint64_t i = 0; i < 32; i++)
		for (uint64_t j = 0; j < PS / 8; j++)
			CHECK_EQ(p[i * PS / 8 + j], j == 1 ? i + 1 : 0);
	/* The rest, past what the pool held, are zeroed at fault time. */
	for (uint64_t i = 32; i < NP; i++)
		CHECK_EQ(p[i * PS / 8 + (i & 511)] += 0, 0);
	CHECK_EQ(pager_check(), 0);

	/* Fill the pool again, then carve a DMA run: frames the pool holds
	 * are taken out of it, and the counts still add up. */
	CHECK_EQ(munmap((void *)p, NP * PS), 0);
	for (int i = 0; i < 200 && pool_frames() < 200; i++)
		sleep_ns(200000);
	CHECK(pool_frames() >= 200);
	CHECK(dma_alloc(512 * PS, &pa) > 0);
	CHECK_EQ(pager_check(), 0);
	return t_done("zeropool");
}
