/*
 * Idling on purpose, for benchmarks: sleep on QEMU virt's goldfish RTC
 * so that the hart has nothing to run and the pager zeroes free frames
 * (pager/zeropool.c). Only a process holding the RTC's device capability
 * (init) can open it. Header-only: static functions, so no program but
 * the two benchmarks that include it grows by them (apps/microbench_faults.c,
 * test/integration/test_extobj_bench.c). Cold and out of line: a
 * benchmark's set-up code should not crowd its measured loops.
 */
#ifndef RTC_IDLE_H
#define RTC_IDLE_H

#include "libsys.h"

#define RTC_IDLE_PA	0x101000ul
#define RTC_IDLE_VA	0x3800000000ul	/* above every mmap without MAP_FIXED */
/* Registers, 32-bit words. */
#define RTC_TIME_LOW	0
#define RTC_TIME_HIGH	1
#define RTC_ALARM_LOW	2
#define RTC_ALARM_HIGH	3
#define RTC_IRQ_ENABLED	4
#define RTC_CLEAR_IRQ	7

static volatile uint32_t *rtc_idle_regs;
static uint64_t rtc_idle_irq, rtc_idle_notif;

/* Map the RTC and bind its IRQ once; false without the device. */
static __attribute__((noinline, cold, unused)) bool rtc_idle_open(void)
{
	struct device_info di;
	int64_t n;

	for (uint64_t i = 0; !rtc_idle_regs && i < libsys_start_info.ndevices; i++) {
		uint64_t h = libsys_start_info.devices[i].device;
		if (sys_device_info(h, &di) < 0 || di.kind != DEV_RTC || di.pa != RTC_IDLE_PA)
			continue;
		if ((n = sys_notif_create()) < 0 ||
		    sys_map_device(h, 0, RTC_IDLE_PA, RTC_IDLE_VA, MAP_R | MAP_W) < 0 ||
		    sys_irq_bind(libsys_start_info.devices[i].irq, (uint64_t)n) < 0)
			return false;
		rtc_idle_notif = (uint64_t)n;
		rtc_idle_irq = libsys_start_info.devices[i].irq;
		rtc_idle_regs = (volatile uint32_t *)RTC_IDLE_VA;
	}
	return rtc_idle_regs != NULL;
}

/* Sleep ns nanoseconds of the RTC's time (after rtc_idle_open). */
static __attribute__((noinline, cold, unused)) void rtc_idle_ns(uint64_t ns)
{
	volatile uint32_t *rtc = rtc_idle_regs;
	uint64_t at = rtc[RTC_TIME_LOW];

	at |= (uint64_t)rtc[RTC_TIME_HIGH] << 32;
	at += ns;
	rtc[RTC_IRQ_ENABLED] = 1;
	rtc[RTC_ALARM_HIGH] = (uint32_t)(at >> 32);
	rtc[RTC_ALARM_LOW] = (uint32_t)at;
	sys_wait(rtc_idle_notif);
	rtc[RTC_CLEAR_IRQ] = 1;
	sys_irq_ack(rtc_idle_irq);
}

#endif
