/*
 * Device capabilities, run with a virtio-rng device in one virtio-mmio
 * slot. As init we hold every device and IRQ handle; we start unprivileged
 * children that each hold at most one:
 *   nocap  no device handle: cannot map any device, bind any IRQ, power off
 *   slot   the rng slot's device handle: maps that slot only (not another
 *          slot, the PLIC, the CLINT, firmware memory, the power device or
 *          RAM); a syscall buffer or IPC payload on the device page is
 *          -ERR_FAULT (no kernel trap); drives the rng with DMA memory and
 *          polling, which checks the physical address and its contiguity
 *   irq    the rng slot's IRQ handle: binds and acks that IRQ only
 *   dma    DMA memory: aligned, zeroed, counted against the limit, freed
 * Then we drive the rng ourselves with its interrupt, and check that every
 * frame the children used came back. With "overlap", a device tree whose
 * devices overlap the PLIC, the CLINT and RAM: those are not handed out.
 */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libsys.h"
#include "t.h"

#define VIRTIO_MAGIC	0x74726976u
#define VIRTIO_ID_RNG	4
#define PLIC_PA		0xc000000ul
#define CLINT_PA	0x2000000ul
#define POWER_PA	0x100000ul	/* sifive,test0: poweroff / reset */
#define FIRMWARE_PA	0x80000000ul	/* OpenSBI */
#define KERNEL_PA	0x80200000ul
#define RAM_PA		0x80000000ul
#define RAM_SIZE	(128ul << 20)
#define DEV_VA		0x2000000000ul	/* where we map device pages */
#define KERNEL_VA	0xffffffc080200000ul
#define NHANDLES	130		/* past a process's table (128) */

/* virtio-mmio registers (legacy, version 1), as 32-bit word indices. */
enum { R_MAGIC = 0, R_VERSION = 1, R_DEVICE_ID = 2, R_DRIVER_FEATURES = 8,
       R_GUEST_PAGE_SIZE = 10, R_QUEUE_SEL = 12, R_QUEUE_NUM_MAX = 13,
       R_QUEUE_NUM = 14, R_QUEUE_ALIGN = 15, R_QUEUE_PFN = 16,
       R_QUEUE_NOTIFY = 20, R_INT_STATUS = 24, R_INT_ACK = 25, R_STATUS = 28 };
#define QSIZE	8
#define RNG_LEN	64

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

/*
 * One request to the virtio-rng at regs: a legacy queue in the first two
 * pages of mem (descriptors and available ring in the first, used ring in
 * the second, as the device computes from the queue's page number), the
 * buffer in the third. The device finds all three by physical address,
 * so the used ring updating and the buffer filling show that pa is
 * mem's and that the pages are contiguous. With irq, waits for the
 * interrupt on notif; else polls. Resets the device after.
 */
static int rng_request(volatile uint32_t *regs, uint8_t *mem, uint64_t pa,
		       uint64_t irq, uint64_t notif)
{
	struct vq_desc *desc = (struct vq_desc *)mem;
	volatile uint16_t *avail = (volatile uint16_t *)(mem + QSIZE * sizeof(*desc));
	volatile uint16_t *used = (volatile uint16_t *)(mem + PAGE_SIZE);
	uint8_t *buf = mem + 2 * PAGE_SIZE;
	int nonzero = 0;

	regs[R_STATUS] = 0;
	regs[R_STATUS] = 1 | 2;			/* ACKNOWLEDGE, DRIVER */
	regs[R_DRIVER_FEATURES] = 0;
	regs[R_GUEST_PAGE_SIZE] = PAGE_SIZE;
	regs[R_QUEUE_SEL] = 0;
	CHECK(regs[R_QUEUE_NUM_MAX] >= QSIZE);
	regs[R_QUEUE_NUM] = QSIZE;
	regs[R_QUEUE_ALIGN] = PAGE_SIZE;
	regs[R_QUEUE_PFN] = (uint32_t)(pa >> PAGE_SHIFT);
	regs[R_STATUS] = 1 | 2 | 4;		/* DRIVER_OK */
	desc[0] = (struct vq_desc){ .addr = pa + 2 * PAGE_SIZE, .len = RNG_LEN, .flags = 2 };
	avail[2] = 0;				/* ring[0]: descriptor 0 */
	__sync_synchronize();
	avail[1] = 1;				/* idx */
	__sync_synchronize();
	regs[R_QUEUE_NOTIFY] = 0;
	if (irq) {
		CHECK(sys_wait(notif) > 0);
		regs[R_INT_ACK] = regs[R_INT_STATUS];
		CHECK_EQ(sys_irq_ack(irq), 0);
	}
	for (int i = 0; i < 100000 && used[1] == 0; i++)
		sys_yield();
	__sync_synchronize();
	CHECK_EQ(used[1], 1);
	CHECK_EQ(*(volatile uint32_t *)(mem + PAGE_SIZE + 8), RNG_LEN);	/* used len */
	for (int i = 0; i < RNG_LEN; i++)
		nonzero += buf[i] != 0;
	CHECK(nonzero > RNG_LEN / 2);
	regs[R_STATUS] = 0;			/* reset: no more DMA */
	return used[1] == 1 && nonzero > RNG_LEN / 2;
}

static int as_nocap(void)
{
	static const uint64_t pas[] = { 0x10001000, 0x10008000, 0x10000000, 0x101000,
					PLIC_PA, CLINT_PA, POWER_PA, RAM_PA };
	int64_t n = sys_notif_create();
	struct device_info di;

	CHECK(n > 0 && libsys_start_info.ndevices == 0 && libsys_start_info.devctl == 0);
	/* Not started as a driver: no memory a device can reach, and no way
	 * to start a driver or a protected process either. */
	const char *argv[] = { "test_devices", "nocap", NULL };
	uint64_t pa;
	CHECK_EQ(dma_alloc(PAGE_SIZE, &pa), -ERR_PERM);
	CHECK_EQ(spawn_flags(argv, 0, PSPAWN_DMA), -ERR_PERM);
	CHECK_EQ(spawn_flags(argv, 0, PSPAWN_OOM_PROTECT), -ERR_PERM);
	CHECK_EQ(spawn_flags(argv, 0, 4), -ERR_INVAL);
	CHECK_EQ(spawn_flags(argv, 0, ~0ul), -ERR_INVAL);
	for (uint64_t h = 0; h < NHANDLES; h++) {
		for (unsigned i = 0; i < sizeof(pas) / sizeof(pas[0]); i++)
			CHECK(sys_map_device(h, 0, pas[i], DEV_VA, MAP_R) < 0);
		CHECK(sys_irq_bind(h, (uint64_t)n) < 0);
		CHECK(sys_irq_ack(h) < 0);
		CHECK(sys_device_info(h, &di) < 0);
		CHECK(sys_shutdown(h, 1) < 0);	/* would end the test unpassed */
	}
	return t_done("devices nocap");
}

static int as_slot(void)
{
	uint64_t dev = libsys_start_info.granted, pa = 0, va = DEV_VA;
	volatile uint32_t *regs = (volatile uint32_t *)va;
	struct device_info di;
	struct kernel_info ki;
	struct ipc_msg m;
	int64_t n = sys_notif_create(), task, h2;

	CHECK(dev && n > 0);
	CHECK_EQ(sys_device_info(dev, &di), 0);
	CHECK(di.kind == DEV_VIRTIO_MMIO && di.size == PAGE_SIZE && di.irq);
	CHECK_EQ(sys_map_device(dev, 0, di.pa, va, MAP_R | MAP_W), 0);
	CHECK_EQ(regs[R_MAGIC], VIRTIO_MAGIC);
	CHECK_EQ(regs[R_VERSION], 1);
	CHECK_EQ(regs[R_DEVICE_ID], VIRTIO_ID_RNG);

	/* Nothing but this slot's page through this handle. */
	uint64_t other = di.pa == 0x10001000 ? 0x10002000 : 0x10001000;
	const uint64_t refused[] = { other, di.pa + PAGE_SIZE, di.pa - PAGE_SIZE, PLIC_PA,
				     CLINT_PA, POWER_PA, FIRMWARE_PA, KERNEL_PA,
				     RAM_PA + RAM_SIZE - PAGE_SIZE, 0, 0x10000000, 0x101000 };
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK_EQ(sys_map_device(dev, 0, refused[i], va + PAGE_SIZE, MAP_R), -ERR_PERM);
	CHECK_EQ(sys_map_device(dev, 0, di.pa + 4, va + PAGE_SIZE, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_map_device(dev, 0, di.pa, va + PAGE_SIZE, MAP_R | MAP_X), -ERR_INVAL);
	CHECK_EQ(sys_map_device(dev, 0, di.pa, KERNEL_VA, MAP_R), -ERR_INVAL);
	CHECK_EQ(sys_map_device(dev, 0, di.pa, va + 8, MAP_R), -ERR_INVAL);
	/* A task we made may get it; one we did not (our pager's) may not. */
	CHECK((task = sys_task_create()) > 0);
	CHECK_EQ(sys_map_device(dev, (uint64_t)task, di.pa, va, MAP_R | MAP_W), 0);
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_R), 1);
	/* Nor can X reach a device page by another road (attack): protect
	 * leaves it out, a copy of our mapping with X is refused. */
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_R | MAP_X), 0);
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_R | MAP_W | MAP_X), 1);	/* W only */
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_R | MAP_W), 0);
	CHECK_EQ(sys_map((uint64_t)task, va, va + PAGE_SIZE, MAP_R | MAP_X), -ERR_ACCES);
	CHECK_EQ(sys_map((uint64_t)task, va, va + PAGE_SIZE, MAP_R), 0);
	/* X alone leaves a device page no right: it is unmapped, as a
	 * protect to no rights is, not left valid with none (a 4 KiB PTE
	 * with V and no R/W/X is a pointer to a table that is not there). */
	struct task_info ti;
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	uint64_t mapped = ti.mapped_pages;
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_X), 1);
	CHECK_EQ(sys_task_info((uint64_t)task, &ti), 0);
	CHECK_EQ(ti.mapped_pages, mapped - 1);
	CHECK_EQ(sys_protect((uint64_t)task, va, 1, MAP_R), 0);	/* nothing there */
	CHECK_EQ(sys_task_destroy((uint64_t)task), 0);
	CHECK_EQ(sys_map_device(dev, libsys_start_info.pager, di.pa, va, MAP_R), -ERR_BADF);
	/* A device handle is not an IRQ handle, and we hold no IRQ. */
	for (uint64_t h = 0; h < NHANDLES; h++)
		CHECK(sys_irq_bind(h, (uint64_t)n) < 0);
	/* We may pass it on, without the right to pass it further. */
	CHECK((h2 = sys_handle_grant(0, dev, 0, RIGHT_SEND)) > 0);
	CHECK_EQ(sys_handle_grant(0, (uint64_t)h2, 0, RIGHTS_ALL), -ERR_PERM);
	CHECK_EQ(sys_map_device((uint64_t)h2, 0, di.pa, va + PAGE_SIZE, MAP_R), 0);

	/* The kernel never reads or writes a device page for us. */
	CHECK_EQ(sys_debug_write((const void *)va, 16), -ERR_FAULT);
	CHECK_EQ(sys_debug_write((const void *)(va - 8), 16), -ERR_FAULT);
	CHECK_EQ(sys_kernel_info((struct kernel_info *)va), -ERR_FAULT);
	CHECK_EQ(sys_device_info(dev, (struct device_info *)va), -ERR_FAULT);
	CHECK_EQ(sys_ipcbuf_set(va), 0);
	m = (struct ipc_msg){ .info = ipc_info(PAGER_GETPID, 16, 0) };
	CHECK_EQ(ipc_call(libsys_start_info.pager, &m), -ERR_FAULT);	/* payload out */
	m = (struct ipc_msg){ .info = ipc_info(PAGER_VMA_LIST, 0, 0) };
	CHECK_EQ(ipc_call(libsys_start_info.pager, &m), 0);		/* payload in */
	CHECK((int64_t)m.w[0] > 0);
	CHECK_EQ(ipc_len(m.info), 0);	/* dropped, not written to the device */
	CHECK_EQ(sys_ipcbuf_set(libsys_start_info.ipcbuf), 0);
	CHECK_EQ(sys_kernel_info(&ki), 0);
	CHECK_EQ(regs[R_MAGIC], VIRTIO_MAGIC);	/* the device is as it was */

	/* Drive the device with DMA memory: the device finds it by pa. */
	uint8_t *mem = (uint8_t *)dma_alloc(3 * PAGE_SIZE, &pa);
	CHECK((int64_t)mem > 0);
	if ((int64_t)mem > 0)
		CHECK(rng_request(regs, mem, pa, 0, 0));
	return t_done("devices slot");
}

static int as_irq(void)
{
	uint64_t irq = libsys_start_info.granted;
	struct device_info di;
	int64_t n = sys_notif_create();

	CHECK(irq && n > 0);
	CHECK_EQ(sys_device_info(irq, &di), -ERR_BADF);	/* an IRQ, not a device */
	CHECK_EQ(sys_map_device(irq, 0, 0x10001000, DEV_VA, MAP_R), -ERR_BADF);
	CHECK_EQ(sys_irq_ack(irq), -ERR_INVAL);		/* not bound yet */
	CHECK_EQ(sys_irq_bind(irq, (uint64_t)n), 0);
	CHECK_EQ(sys_irq_ack(irq), 0);			/* nothing pending: no-op */
	for (uint64_t h = 0; h < NHANDLES; h++) {
		if (h == irq)
			continue;
		CHECK(sys_irq_bind(h, (uint64_t)n) < 0);
		CHECK(sys_irq_ack(h) < 0);
	}
	CHECK_EQ(sys_irq_bind(irq, 4242), -ERR_BADF);	/* no such notification */
	CHECK_EQ(sys_irq_bind(irq, 0), 0);		/* unbind */
	CHECK_EQ(sys_irq_ack(irq), -ERR_INVAL);
	return t_done("devices irq");
}

static int as_dma(void)
{
	struct mem_info m0, m1, m2;
	struct proc_stats st;
	uint64_t pa = 1, pa2 = 1, len = 3 * PAGE_SIZE + 5;

	CHECK_EQ(mem_info(&m0), 0);
	CHECK_EQ(dma_alloc(0, &pa), -ERR_INVAL);
	CHECK_EQ(dma_alloc((PAGER_DMA_MAX_PAGES + 1) * PAGE_SIZE, &pa), -ERR_INVAL);
	CHECK_EQ(dma_alloc(~0ul, &pa), -ERR_INVAL);
	uint8_t *mem = (uint8_t *)dma_alloc(len, &pa);
	CHECK((int64_t)mem > 0 && ((uint64_t)mem & (PAGE_SIZE - 1)) == 0);
	CHECK((pa & (PAGE_SIZE - 1)) == 0 && pa >= RAM_PA && pa + 4 * PAGE_SIZE <= RAM_PA + RAM_SIZE);
	CHECK_EQ(mem_info(&m1), 0);
	CHECK(m0.free_pages - m1.free_pages >= 4);
	if ((int64_t)mem > 0) {
		int zero = 1;
		for (uint64_t i = 0; i < 4 * PAGE_SIZE; i++)
			zero &= mem[i] == 0;
		CHECK(zero);
		memset(mem, 0xa5, 4 * PAGE_SIZE);	/* mapped read/write */
	}
	/* The largest allocation; physically apart from the first. */
	uint8_t *big = (uint8_t *)dma_alloc(PAGER_DMA_MAX_PAGES * PAGE_SIZE, &pa2);
	CHECK((int64_t)big > 0);
	CHECK(pa2 + PAGER_DMA_MAX_PAGES * PAGE_SIZE <= pa || pa + 4 * PAGE_SIZE <= pa2);
	CHECK_EQ(mem_info(&m2), 0);
	CHECK(m1.free_pages - m2.free_pages >= PAGER_DMA_MAX_PAGES);
	CHECK_EQ(munmap(big, PAGER_DMA_MAX_PAGES * PAGE_SIZE), 0);
	CHECK_EQ(mem_info(&m2), 0);
	CHECK(m2.free_pages >= m1.free_pages);	/* given back at munmap */
	/* Counted against our limit like any mapping. */
	CHECK_EQ(proc_stats(0, &st), 0);
	CHECK_EQ(pager_set_limit(st.virtual_pages + 2), 0);
	CHECK_EQ(dma_alloc(4 * PAGE_SIZE, &pa2), -ERR_NOMEM);
	CHECK_EQ(pager_set_limit(0), 0);
	/* Fork shares it, never copies: the device keeps seeing our writes. */
	if ((int64_t)mem > 0) {
		int status = -1;
		pid_t pid = fork();
		if (pid == 0) {
			mem[0] = 0x5a;
			_exit(0);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK_EQ(mem[0], 0x5a);	/* one frame for both: no copy */
	}
	CHECK_EQ(pager_check(), 0);	/* frame counts agree */
	return t_done("devices dma");	/* mem stays mapped: freed at exit */
}

/* Run argv[0] with one handle; true if it passed (exited with 0). */
static int run_child(const char *mode, uint64_t grant, uint64_t flags)
{
	const char *argv[] = { "test_devices", mode, NULL };
	int status = -1;
	int64_t pid = spawn_flags(argv, grant, flags);

	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return status;
}

int main(int argc, char **argv)
{
	const struct proc_start *ps = &libsys_start_info;
	unsigned kinds[4] = { 0 }, rng = ~0u;
	struct device_info di;
	struct mem_info m0, m1;
	uint64_t pa;

	if (argc > 1 && !strcmp(argv[1], "nocap"))
		return as_nocap();
	if (argc > 1 && !strcmp(argv[1], "slot"))
		return as_slot();
	if (argc > 1 && !strcmp(argv[1], "irq"))
		return as_irq();
	if (argc > 1 && !strcmp(argv[1], "dma"))
		return as_dma();

	/* What init was given: every slot, the UART and the RTC; nothing else.
	 * "overlap": a device tree that moves two slots onto the PLIC and RAM
	 * and the RTC onto the CLINT; those three are refused at boot. */
	bool overlap = argc > 1 && !strcmp(argv[1], "overlap");
	CHECK_EQ(ps->ndevices, overlap ? 7 : 10);
	CHECK(ps->devctl != 0);
	for (unsigned i = 0; i < ps->ndevices; i++) {
		CHECK_EQ(sys_device_info(ps->devices[i].device, &di), 0);
		CHECK(di.kind >= DEV_VIRTIO_MMIO && di.kind <= DEV_RTC);
		kinds[di.kind < 4 ? di.kind : 0]++;
		CHECK(di.irq != 0 && ps->devices[i].irq != 0);
		CHECK(di.pa + di.size <= PLIC_PA || di.pa >= PLIC_PA + 0x600000);
		CHECK(di.pa + di.size <= CLINT_PA || di.pa >= CLINT_PA + 0x10000);
		CHECK(di.pa + di.size <= POWER_PA || di.pa >= POWER_PA + PAGE_SIZE);
		CHECK(di.pa + di.size <= RAM_PA);
		if (di.kind != DEV_VIRTIO_MMIO)
			continue;
		uint64_t va = DEV_VA + i * PAGE_SIZE;
		volatile uint32_t *regs = (volatile uint32_t *)va;
		CHECK_EQ(sys_map_device(ps->devices[i].device, 0, di.pa, va, MAP_R), 0);
		CHECK_EQ(regs[R_MAGIC], VIRTIO_MAGIC);	/* present or not */
		if (regs[R_DEVICE_ID] == VIRTIO_ID_RNG)
			rng = i;
	}
	if (overlap) {
		CHECK(kinds[DEV_VIRTIO_MMIO] == 6 && kinds[DEV_UART] == 1 && kinds[DEV_RTC] == 0);
		return t_done("devices");
	}
	CHECK(kinds[DEV_VIRTIO_MMIO] == 8 && kinds[DEV_UART] == 1 && kinds[DEV_RTC] == 1);
	CHECK(rng != ~0u);
	if (rng == ~0u)
		return t_done("devices");

	/* The attacks, each from a child holding at most one capability. */
	CHECK_EQ(mem_info(&m0), 0);
	run_child("nocap", 0, 0);
	run_child("slot", ps->devices[rng].device, PSPAWN_DMA);	/* a driver: it uses DMA */
	run_child("irq", ps->devices[rng].irq, PSPAWN_DMA);
	run_child("dma", 0, PSPAWN_DMA);
	CHECK_EQ(mem_info(&m1), 0);
	CHECK_EQ(m1.free_pages, m0.free_pages);	/* DMA memory freed at exit */

	/* A driver with its interrupt: the same device, IRQ-driven. */
	uint64_t va = DEV_VA + rng * PAGE_SIZE;
	int64_t n = sys_notif_create();
	uint8_t *mem = (uint8_t *)dma_alloc(3 * PAGE_SIZE, &pa);
	CHECK(n > 0 && (int64_t)mem > 0);
	CHECK_EQ(sys_map_device(ps->devices[rng].device, 0, va & ~(PAGE_SIZE - 1), va,
				MAP_R | MAP_W), -ERR_PERM);	/* a va is not a pa */
	CHECK_EQ(sys_device_info(ps->devices[rng].device, &di), 0);
	CHECK_EQ(sys_map_device(ps->devices[rng].device, 0, di.pa, va, MAP_R | MAP_W), 0);
	CHECK_EQ(sys_irq_bind(ps->devices[rng].irq, (uint64_t)n), 0);
	if (n > 0 && (int64_t)mem > 0)
		CHECK(rng_request((volatile uint32_t *)va, mem, pa, ps->devices[rng].irq,
				  (uint64_t)n));
	CHECK_EQ(sys_irq_bind(ps->devices[rng].irq, 0), 0);
	printf("test_devices: rng slot %u at %p, DMA at pa %p\n", rng, (void *)di.pa,
	       (void *)pa);
	return t_done("devices all");
}
