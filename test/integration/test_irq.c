/*
 * Interrupts reach a user thread: we (init, holding every device
 * capability) map QEMU virt's goldfish RTC through its device handle, bind
 * its IRQ through its IRQ handle to a notification, set an alarm a
 * millisecond ahead and wait for the notification.
 */
#include "libsys.h"
#include "t.h"

#define RTC_PA		0x101000ul	/* QEMU virt goldfish RTC */
#define RTC_IRQ		11
#define PLIC_PA		0xc000000ul
#define RTC_VA		0x2000000000ul
#define TIME_LOW	0x00
#define TIME_HIGH	0x04
#define ALARM_LOW	0x08
#define ALARM_HIGH	0x0c
#define IRQ_ENABLED	0x10
#define CLEAR_INTERRUPT	0x1c

static volatile uint32_t *rtc = (volatile uint32_t *)RTC_VA;

int main(void)
{
	uint64_t dev = 0, irq = 0;
	struct device_info di;
	int64_t n = sys_notif_create();

	for (uint64_t i = 0; i < libsys_start_info.ndevices; i++) {
		uint64_t h = libsys_start_info.devices[i].device;
		if (sys_device_info(h, &di) == 0 && di.kind == DEV_RTC) {
			dev = h;
			irq = libsys_start_info.devices[i].irq;
			CHECK(di.pa == RTC_PA && di.size == PAGE_SIZE && di.irq == RTC_IRQ);
		}
	}
	CHECK(dev != 0 && irq != 0 && n > 0);
	CHECK_EQ(sys_map_device(dev, 0, RTC_PA, RTC_VA, MAP_R | MAP_W), 0);
	CHECK_EQ(sys_map_device(dev, 0, 0x80000000, RTC_VA + PAGE_SIZE, MAP_R), -ERR_PERM); /* RAM */
	CHECK_EQ(sys_map_device(dev, 0, PLIC_PA, RTC_VA + PAGE_SIZE, MAP_R), -ERR_PERM);
	CHECK_EQ(sys_irq_bind(dev, (uint64_t)n), -ERR_BADF);	/* a device is not an IRQ */
	CHECK_EQ(sys_irq_bind(irq, (uint64_t)n), 0);
	for (int round = 0; round < 3; round++) {
		uint64_t now = rtc[TIME_LOW / 4];
		now |= (uint64_t)rtc[TIME_HIGH / 4] << 32;
		uint64_t when = now + 1000000;	/* 1 ms */
		rtc[IRQ_ENABLED / 4] = 1;
		rtc[ALARM_HIGH / 4] = (uint32_t)(when >> 32);
		rtc[ALARM_LOW / 4] = (uint32_t)when;
		int64_t bits = sys_wait((uint64_t)n);
		CHECK_EQ(bits, 1);
		rtc[CLEAR_INTERRUPT / 4] = 1;
		CHECK_EQ(sys_irq_ack(irq), 0);
		printf("test_irq: alarm %d delivered\n", round);
	}
	CHECK_EQ(sys_irq_bind(irq, 0), 0);
	CHECK_EQ(sys_irq_ack(irq), -ERR_INVAL);		/* not bound any more */
	CHECK_EQ(sys_irq_bind(irq, 100000), -ERR_BADF);
	return t_done("irq");
}
