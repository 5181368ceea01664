/*
 * Devices in the pager. The kernel gives us a handle per device and per
 * device IRQ at boot (boot_info.devices); we trust init with all of them,
 * and init passes each on to the driver it starts. A driver also needs
 * memory its device can reach by physical address: PAGER_DMA_ALLOC gives it
 * physically contiguous, zeroed frames, mapped read/write, as a shared
 * anonymous mapping (so fork shares it and nothing ever copies a page of
 * it to a new frame under the device). It is counted against the caller's
 * page limit and freed at munmap (the driver says the device is done
 * with it). Not at the end of a system server (PSPAWN_DMA | PSPAWN_OOM_PROTECT:
 * the blk driver, the file server, whose block cache the disk reads
 * into): one that dies may leave requests in the device, which go on
 * writing those frames; they are kept from reuse for good
 * (dma_proc_ended), as a dead file server's fill frames are.
 *
 * A driver with DMA is trusted: QEMU virt has no IOMMU, so a device can be
 * told to read or write any physical address. Only a process that holds a
 * device capability can program a device; the physical address alone
 * gives nothing. Only processes started with PSPAWN_DMA (by init or
 * another such process) and their forks may allocate DMA memory.
 */
#include <stdlib.h>
#include "dma.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"

int devices_grant(uint64_t task, struct proc_start *ps)
{
	uint32_t n = boot->ndevices < PROC_MAX_DEVICES ? boot->ndevices : PROC_MAX_DEVICES;
	int64_t r;

	for (uint32_t i = 0; i < n; i++) {
		const struct boot_device *d = &boot->devices[i];
		if ((r = sys_handle_grant(task, d->handle, 0, RIGHTS_ALL)) < 0)
			return (int)r;
		ps->devices[i].device = (uint64_t)r;
		if (d->irq_handle) {
			if ((r = sys_handle_grant(task, d->irq_handle, 0, RIGHTS_ALL)) < 0)
				return (int)r;
			ps->devices[i].irq = (uint64_t)r;
		}
	}
	ps->ndevices = n;
	return 0;
}

int64_t pager_dma_alloc(struct proc *p, uint64_t len, uint64_t *pa)
{
	uint64_t n = (len + PAGE_SIZE - 1) >> PAGE_SHIFT, i;
	int64_t addr, first;
	struct vma *v;
	int err = 0;

	/* Memory a device can reach is for drivers: no IOMMU stands between a
	 * device and a frame that was freed to another process. */
	if (!p->dma_ok)
		return -ERR_PERM;
	if (!len || len > PAGER_DMA_MAX_PAGES * PAGE_SIZE)
		return -ERR_INVAL;
	/* The mapping first: it checks the caller's limit and finds room. */
	addr = mm_mmap(p, 0, n * PAGE_SIZE, MAP_R | MAP_W, PMAP_SHARED | PMAP_ANONYMOUS);
	if (addr < 0)
		return addr;
	if ((first = page_alloc_run(n)) < 0) {
		mm_munmap(p, (uint64_t)addr, n * PAGE_SIZE);
		return first;
	}
	v = vma_find(&p->vmas, (uint64_t)addr);
	for (i = 0; i < n; i++) {
		page_zero(page_va((uint64_t)first + i));
		if ((err = anon_insert(v->obj, v->obj_index + i, (uint64_t)first + i)) < 0)
			break;
	}
	if (err < 0) {	/* the object frees what it holds; we free the rest */
		for (; i < n; i++)
			page_unref((uint64_t)first + i);
		mm_munmap(p, (uint64_t)addr, n * PAGE_SIZE);
		return err;
	}
	if ((err = populate(p, v, v->node.start, v->node.end)) < 0) {
		mm_munmap(p, (uint64_t)addr, n * PAGE_SIZE);
		return err;
	}
	v->flags |= VMA_DMA;
	*pa = boot->ram_base_pa + ((uint64_t)first << PAGE_SHIFT);
	return addr;
}

/* Frames of DMA memory whose process ended mapping them: a reference
 * each, never dropped (pager_check counts them: dma_count_refs). Only
 * trusted processes (dma_ok) allocate DMA memory, and their end is rare:
 * a driver's or the file server's crash. */
static uint64_t *dma_kept;
static uint32_t ndma_kept, dma_kept_cap;

static void keep_frame(uint64_t pfn)
{
	if (ndma_kept == dma_kept_cap) {
		uint32_t cap = dma_kept_cap ? 2 * dma_kept_cap : 256;
		uint64_t *k = realloc(dma_kept, cap * sizeof(*k));
		if (!k) {	/* no room to list it: leaked all the same */
			page_ref(pfn);
			return;
		}
		dma_kept = k;
		dma_kept_cap = cap;
	}
	page_ref(pfn);
	dma_kept[ndma_kept++] = pfn;
}

void dma_proc_ended(struct proc *p)
{
	/* The system's servers (started with PSPAWN_DMA | PSPAWN_OOM_PROTECT:
	 * the blk driver, the file server) hand their DMA memory to the
	 * device. A test's driver that exits cleanly frees its memory as any
	 * mapping (kernel.device_caps). */
	if (!p->dma_ok || !p->oom_protected)
		return;
	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
		if (!(v->flags & VMA_DMA) || !v->obj)
			continue;
		uint64_t n = (v->node.end - v->node.start) >> PAGE_SHIFT;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pfn = pagemap_get(&v->obj->pages, v->obj_index + i);
			if (pfn != PAGEMAP_NONE)
				keep_frame(pfn);
		}
	}
}

void dma_count_refs(uint32_t *counts)
{
	for (uint32_t i = 0; i < ndma_kept; i++)
		counts[dma_kept[i]]++;
}
