/*
 * Device capabilities (device.c): the kernel objects that stand for one
 * device's register pages and for one device interrupt, the power object,
 * and the test that keeps the kernel off device memory (phys_is_ram).
 */
#ifndef KERNEL_DEVICE_H
#define KERNEL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"
#include "dtb.h"
#include "object.h"

/* One interrupt line (PLIC source); bound and acknowledged in notif.c. */
struct irq_line {
	struct kobj hdr;	/* KOBJ_IRQ, static */
	uint32_t irq;
};

/* One device: its page-aligned register range, and its interrupt. */
struct device {
	struct kobj hdr;	/* KOBJ_DEVICE, static */
	struct device_info info;
	struct irq_line *irq;	/* NULL if it has none */
};

/* Make the objects for the devices in dt. [ram_base, ram_end) is the RAM
 * the kernel may copy to and from for users (inside its physical map). */
void device_init(const struct dtb_info *dt, uint64_t ram_base, uint64_t ram_end);
/* Put the power handle (H_POWER) and one handle per device and device IRQ
 * into the pager's table, listing them in bi. 0 or -ERR_NOSPC. */
int device_install_all(struct task *pager, struct boot_info *bi);
/* Whether pa is RAM: the only memory the kernel reads or writes for a
 * user (a user buffer on a device page is -ERR_FAULT, never a load). */
bool phys_is_ram(uint64_t pa);
/* Whether the page at pa is one of d's register pages. */
bool device_has_page(const struct device *d, uint64_t pa);

#endif
