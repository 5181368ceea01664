/*
 * Boot: read the device tree, lay out physical memory, build the pager's
 * address space and start it. After this the kernel only reacts to traps.
 *
 * Physical memory after boot:
 *   [RAM base, kernel end)      OpenSBI and the kernel image
 *   [kernel end, pool end)      kernel pool: objects, page tables, the
 *                               pager's handle table
 *   [pool end, initrd end)      the boot image, moved down here
 *   [window start, window end)  every other page: the pager's, mapped at
 *                               PAGER_RAM_VA; the pager's own image, stack
 *                               and boot information come first
 */
#include "abi/kernel.h"
#include "cpio.h"
#include "device.h"
#include "dtb.h"
#include "elf_image.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"
#include "sbi.h"
#include "syscall.h"

extern char __kernel_end[];
extern void trap_entry(void);
extern _Noreturn void user_return(struct regs *r);
extern uint64_t timer_quantum;

struct task *root_task;
static struct dtb_info dt;

#define MEGA (2ul << 20)
#define PAGER_HANDLE_PAGES 16

static _Noreturn void boot_fail(const char *what)
{
	kprintf("kernel: cannot boot: %s\n", what);
	sbi_shutdown(1);
}

/* The largest piece of [lo, hi) that misses every reserved region. */
static void clip_reserved(uint64_t *lo, uint64_t *hi)
{
	uint64_t best_lo = *lo, best_hi = *lo;

	for (uint64_t a = *lo; a < *hi;) {
		uint64_t b = *hi, skip = 0;
		for (uint32_t i = 0; i < dt.nreserved; i++) {
			uint64_t rs = dt.reserved[i].base, re = rs + dt.reserved[i].size;
			if (re <= a || rs >= b)
				continue;
			if (rs <= a) {
				skip = re > skip ? re : skip;
				continue;
			}
			b = rs;
		}
		if (skip) {
			a = ALIGN_UP(skip, PAGE_SIZE);
			continue;
		}
		if (b - a > best_hi - best_lo)
			best_lo = a, best_hi = b;
		a = b;
	}
	*lo = best_lo;
	*hi = ALIGN_DOWN(best_hi, PAGE_SIZE);
}

/* Hands out the window's first pages for the pager's own use. */
static uint64_t win_pa, win_used;

static uint64_t window_page(void)
{
	uint64_t pa = win_pa + win_used;

	win_used += PAGE_SIZE;
	memset(P2V(pa), 0, PAGE_SIZE);
	return pa;
}

static void map_or_fail(struct aspace *as, uint64_t va, uint64_t pa, uint64_t rights)
{
	if (vm_map(as, va, pa, vm_user_flags(rights)) < 0)
		boot_fail("kernel pool too small for the pager's page tables");
}

static uint64_t load_pager(struct aspace *as, const void *initrd, uint64_t initrd_size)
{
	struct cpio_file f;
	struct elf_image img;

	if (cpio_find(initrd, initrd_size, "pager", &f) < 0)
		boot_fail("no \"pager\" in the boot image");
	if (elf_parse(f.data, f.size, &img) < 0)
		boot_fail("the pager is not a valid RISC-V executable");
	for (uint32_t i = 0; i < img.nsegments; i++) {
		const struct elf_segment *s = &img.seg[i];
		uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
		for (uint64_t va = start; va < s->vaddr + s->memsz; va += PAGE_SIZE) {
			uint64_t pa = window_page();
			elf_copy_page(f.data, s, va, P2V(pa));
			map_or_fail(as, va, pa, s->prot);
		}
	}
	return img.entry;
}

void kmain(uint64_t hartid, uint64_t dtb_pa)
{
	int err;

	csr_write(stvec, (uint64_t)trap_entry);
	csr_write(sscratch, 0);
	kprintf("\nkernel: booting on hart %lu\n", hartid);
	err = dtb_parse(P2V(dtb_pa), 1ul << 20, &dt);
	if (err < 0) {
		kprintf("kernel: device tree at %p: %s\n", (void *)dtb_pa, dtb_error_string(err));
		boot_fail("bad device tree");
	}
	console_init(dt.uart_base);

	uint64_t mem_hi = dt.mem.base + dt.mem.size;
	uint64_t kend = ALIGN_UP(V2P(__kernel_end), PAGE_SIZE);
	uint64_t initrd_size = dt.initrd_end - dt.initrd_start;
	if (!dt.initrd_start || !initrd_size)
		boot_fail("no boot image (pass one with -initrd)");
	if (mem_hi > (uint64_t)PHYSMAP_GIB << 30)
		mem_hi = (uint64_t)PHYSMAP_GIB << 30;

	/* Pool: 1/32 of RAM, at least 2 MiB; then the boot image moves down
	 * behind it; the window starts at the next 2 MiB boundary (the pages
	 * skipped to get there join the pool). */
	uint64_t pool_pages = (mem_hi - dt.mem.base) / PAGE_SIZE / 32;
	if (pool_pages < 512)
		pool_pages = 512;
	uint64_t pool_pa = kend, pool_end = kend + pool_pages * PAGE_SIZE;
	uint64_t initrd_pa = pool_end;
	uint64_t win_lo = ALIGN_UP(initrd_pa + initrd_size, MEGA), win_hi = mem_hi;
	if (win_lo + MEGA > mem_hi)
		boot_fail("not enough memory");
	memmove(P2V(initrd_pa), P2V(dt.initrd_start), initrd_size);
	clip_reserved(&win_lo, &win_hi);
	win_lo = ALIGN_UP(win_lo, MEGA);
	if (win_hi < win_lo + MEGA)
		boot_fail("no free memory left for the pager");

	/* The pager's handle table comes first in the pool, then kmem's
	 * live-object counts (a byte per page of RAM). */
	void *pager_handles = P2V(pool_pa);
	memset(pager_handles, 0, PAGER_HANDLE_PAGES * PAGE_SIZE);
	uint64_t ram_pages = (mem_hi - dt.mem.base) / PAGE_SIZE;
	uint64_t live_pages = ALIGN_UP(ram_pages, PAGE_SIZE) / PAGE_SIZE;
	kmem_init(P2V(pool_pa + PAGER_HANDLE_PAGES * PAGE_SIZE), dt.mem.base, ram_pages);
	kmem_add(pool_pa + (PAGER_HANDLE_PAGES + live_pages) * PAGE_SIZE,
		 pool_pages - PAGER_HANDLE_PAGES - live_pages);
	uint64_t slack = ALIGN_UP(initrd_pa + initrd_size, PAGE_SIZE);
	if (win_lo > slack && win_lo - slack < MEGA)
		kmem_add(slack, (win_lo - slack) / PAGE_SIZE);
	device_init(&dt, dt.mem.base, mem_hi);

	kprintf("kernel: %u hart(s), RAM %lu MiB at %p, timebase %lu Hz\n",
		dt.nharts, dt.mem.size >> 20, (void *)dt.mem.base, dt.timebase_hz);

	/* The pager: its task, address space and first thread. */
	struct task *pt = task_create(NULL, pager_handles, PAGER_HANDLE_PAGES * HANDLES_PER_PAGE);
	if (!pt)
		boot_fail("kernel pool exhausted");
	root_task = pt;
	pt->kq.limit = kmem_total_pages() * PAGE_SIZE;	/* the pager's account: the pool */

	win_pa = win_lo;
	uint64_t entry = load_pager(&pt->as, P2V(initrd_pa), initrd_size);
	for (uint64_t va = PAGER_STACK_TOP - PAGER_STACK_SIZE; va < PAGER_STACK_TOP; va += PAGE_SIZE)
		map_or_fail(&pt->as, va, window_page(), MAP_R | MAP_W);
	uint64_t bi_pa = window_page();
	map_or_fail(&pt->as, PAGER_BOOTINFO_VA, bi_pa, MAP_R);
	for (uint64_t off = 0; off < initrd_size; off += PAGE_SIZE)
		map_or_fail(&pt->as, PAGER_INITRD_VA + off, initrd_pa + off, MAP_R);
	uint64_t win_mega_end = ALIGN_DOWN(win_hi, MEGA);
	for (uint64_t pa = win_lo; pa < win_mega_end; pa += MEGA)
		if (vm_map_mega(&pt->as, PAGER_RAM_VA + (pa - win_lo), pa,
				vm_user_flags(MAP_R | MAP_W)) < 0)
			boot_fail("kernel pool too small for the pager's window");
	for (uint64_t pa = win_mega_end; pa < win_hi; pa += PAGE_SIZE)
		map_or_fail(&pt->as, PAGER_RAM_VA + (pa - win_lo), pa, MAP_R | MAP_W);

	struct boot_info *bi = P2V(bi_pa);
	bi->ram_base_pa = win_lo;
	bi->ram_size = win_hi - win_lo;
	bi->ram_used = win_used;
	bi->initrd_size = initrd_size;
	bi->mem_total = dt.mem.size;
	bi->timebase_hz = dt.timebase_hz;
	bi->nharts = dt.nharts;
	bi->nvirtio = dt.nvirtio < BOOT_MAX_VIRTIO ? dt.nvirtio : BOOT_MAX_VIRTIO;
	for (uint32_t i = 0; i < bi->nvirtio; i++) {
		bi->virtio[i].pa = dt.virtio[i].base;
		bi->virtio[i].irq = dt.virtio[i].irq;
	}
	bi->rtc_pa = dt.rtc_base;
	bi->rtc_irq = dt.rtc_irq;
	memcpy(bi->bootargs, dt.bootargs, sizeof(bi->bootargs));
	bi->bootargs[BOOT_ARGS_MAX - 1] = 0;

	struct thread *th = thread_create(pt, entry, PAGER_STACK_TOP, PAGER_BOOTINFO_VA, pt->as.kq);
	if (!th || handle_install(pt, &pt->hdr, RIGHTS_ALL, 0) != H_SELF_TASK ||
	    handle_install(pt, &th->hdr, RIGHTS_ALL, 0) != H_SELF_THREAD ||
	    device_install_all(pt, bi) < 0)
		boot_fail("kernel pool exhausted");

	kprintf("kernel: pool %lu pages, boot image %lu KiB, %lu free pages to the pager\n",
		kmem_total_pages(), initrd_size >> 10, (win_hi - win_lo - win_used) / PAGE_SIZE);

	/* Return to user mode with interrupts on; count instructions there. */
	csr_clear(sstatus, SSTATUS_SPP | SSTATUS_FS);
	csr_set(sstatus, SSTATUS_SPIE);
	csr_write(scounteren, 7);
	timer_quantum = dt.timebase_hz / 100;
	csr_set(sie, SIE_STIE);
	timer_start(dt.timebase_hz);
	irq_init(dt.plic_base, hartid);
	schedule();
	user_return(&current->regs);
}
