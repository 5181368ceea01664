/*
 * Device capabilities. At boot the kernel makes one object per device the
 * device tree shows (each virtio-mmio slot, the UART, the RTC: an allow
 * list, so the PLIC, the CLINT, the power/reset device and all memory can
 * never be named) and one per device interrupt, and hands them all to the
 * pager. They are static: never allocated, never freed (their reference
 * count starts at 1). A device handle maps that device's register pages
 * and nothing else (SYS_MAP_DEVICE); an IRQ handle binds and acknowledges
 * that one interrupt (SYS_IRQ_BIND / SYS_IRQ_ACK); the power object allows
 * SYS_SHUTDOWN only. Handles to them are copied like any other, by whoever
 * holds them with RIGHT_GRANT.
 */
#include "device.h"
#include "lib.h"

#define MAX_DEVICES	BOOT_MAX_DEVICES
#define MAX_IRQ		128	/* notif.c's table */

static struct device devices[MAX_DEVICES];
static struct irq_line irq_lines[MAX_DEVICES];
static uint32_t ndevices, nlines;
static uint64_t ram_lo, ram_hi;
/* Shutdown only: the old all-powerful device-control object's type. */
static struct kobj power = { .type = KOBJ_DEVCTL, .refs = 1 };

bool phys_is_ram(uint64_t pa)
{
	return pa >= ram_lo && pa < ram_hi;
}

bool device_has_page(const struct device *d, uint64_t pa)
{
	return pa >= d->info.pa && pa - d->info.pa < d->info.size;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_size)
{
	return b_size && a < b + b_size && b < a_end;
}

/* Whether [lo, hi) is clear of all RAM, reserved memory, the interrupt
 * controller, the CLINT and every device made so far. */
static bool region_free(const struct dtb_info *dt, uint64_t lo, uint64_t hi)
{
	if (overlaps(lo, hi, dt->mem.base, dt->mem.size) ||
	    overlaps(lo, hi, dt->plic_base, dt->plic_size) ||
	    overlaps(lo, hi, dt->clint_base, dt->clint_size))
		return false;
	for (uint32_t i = 0; i < dt->nreserved; i++)
		if (overlaps(lo, hi, dt->reserved[i].base, dt->reserved[i].size))
			return false;
	for (uint32_t i = 0; i < ndevices; i++)
		if (overlaps(lo, hi, devices[i].info.pa, devices[i].info.size))
			return false;
	return true;
}

/* The line object for irq (shared by devices that share the line). */
static struct irq_line *line_for(uint32_t irq)
{
	for (uint32_t i = 0; i < nlines; i++)
		if (irq_lines[i].irq == irq)
			return &irq_lines[i];
	irq_lines[nlines] = (struct irq_line){ .hdr = { KOBJ_IRQ, 1 }, .irq = irq };
	return &irq_lines[nlines++];
}

static void add_device(const struct dtb_info *dt, uint32_t kind, uint64_t base,
		       uint64_t size, uint32_t irq)
{
	uint64_t lo = ALIGN_DOWN(base, PAGE_SIZE), hi;
	struct device *d;

	if (!base || ndevices == MAX_DEVICES)
		return;
	if (!size)
		size = 1;	/* no size given: its first page */
	hi = ALIGN_UP(base + size, PAGE_SIZE);
	if (hi <= lo || !region_free(dt, lo, hi)) {
		kprintf("kernel: device at %p overlaps memory, the PLIC, the CLINT "
			"or another device: not handed out\n", (void *)base);
		return;
	}
	d = &devices[ndevices++];
	d->hdr = (struct kobj){ KOBJ_DEVICE, 1 };
	/* An IRQ the PLIC does not have gets no line (and no handle). */
	if (irq && irq < MAX_IRQ && (!dt->plic_ndev || irq <= dt->plic_ndev) && dt->plic_base)
		d->irq = line_for(irq);
	d->info = (struct device_info){ .pa = lo, .size = hi - lo, .kind = kind,
					.irq = d->irq ? irq : 0 };
}

void device_init(const struct dtb_info *dt, uint64_t ram_base, uint64_t ram_end)
{
	ram_lo = ram_base;
	ram_hi = ram_end;
	for (uint32_t i = 0; i < dt->nvirtio; i++)
		add_device(dt, DEV_VIRTIO_MMIO, dt->virtio[i].base, dt->virtio[i].size,
			   dt->virtio[i].irq);
	add_device(dt, DEV_UART, dt->uart_base, dt->uart_size, dt->uart_irq);
	add_device(dt, DEV_RTC, dt->rtc_base, dt->rtc_size, dt->rtc_irq);
}

int device_install_all(struct task *pager, struct boot_info *bi)
{
	int h;

	if (handle_install(pager, &power, RIGHTS_ALL, 0) != H_POWER)
		return -ERR_NOSPC;
	for (uint32_t i = 0; i < ndevices; i++) {
		struct boot_device *b = &bi->devices[i];
		if ((h = handle_install(pager, &devices[i].hdr, RIGHTS_ALL, 0)) < 0)
			return h;
		b->info = devices[i].info;
		b->handle = (uint32_t)h;
		if (devices[i].irq) {
			if ((h = handle_install(pager, &devices[i].irq->hdr, RIGHTS_ALL, 0)) < 0)
				return h;
			b->irq_handle = (uint32_t)h;
		}
	}
	bi->ndevices = ndevices;
	return 0;
}
