/*
 * Physical addresses for drivers (docs/syscalls.md, "DMA"). A device on
 * QEMU virt has no IOMMU: whoever programs it with a physical address
 * reaches that memory. The file server has the disk write a fill straight
 * into the pager's frames mapped in its window, and must name them by
 * physical address; it asks the kernel, which tells only what the caller
 * really has mapped, and only a task the pager marked as a DMA user:
 *  - SYS_TASK_DMA (root task only): mark a task. The pager marks the
 *    processes it started with PSPAWN_DMA (drivers, the file server),
 *    the ones it already lets allocate DMA memory.
 *  - SYS_VM_PHYS: the physical address of each of the caller's own pages
 *    of a range, each mapped user-readable and writable RAM (so never a
 *    device's registers), or nothing at all.
 * Freeing a frame while a device may still write it is the pager's to
 * prevent (docs/file-server.md, "Fills straight from the disk").
 */
#include "abi/kernel.h"
#include "device.h"
#include "object.h"
#include "riscv.h"
#include "vm.h"

extern struct task *root_task;

/* (task) -> 0: task may use SYS_VM_PHYS. */
int64_t sys_task_dma(struct thread *t, const uint64_t *a)
{
	int err = 0;
	struct task *task = (struct task *)handle_get(t->task, a[0], KOBJ_TASK, RIGHT_CONTROL,
						      NULL, &err);

	if (t->task != root_task)
		return -ERR_PERM;
	if (!task)
		return err;
	if (task->dead)
		return -ERR_SRCH;
	task->dma = true;
	return 0;
}

/* (va, npages 1..VM_PHYS_MAX, uint64_t *out) -> npages: out[i] the
 * physical address of page va + i pages. All or nothing. */
int64_t sys_vm_phys(struct thread *t, const uint64_t *a)
{
	struct aspace *as = &t->task->as;
	uint64_t pa[VM_PHYS_MAX], flags, va = a[0], n = a[1];
	const uint64_t want = PTE_U | PTE_R | PTE_W;

	if (!t->task->dma && t->task != root_task)
		return -ERR_PERM;
	if ((va & (PAGE_SIZE - 1)) || n == 0 || n > VM_PHYS_MAX || va >= USER_TOP ||
	    n > (USER_TOP - va) / PAGE_SIZE)
		return -ERR_INVAL;
	for (uint64_t i = 0; i < n; i++) {
		if (!vm_lookup(as, va + i * PAGE_SIZE, &pa[i], &flags) || (flags & want) != want ||
		    !phys_is_ram(pa[i]))
			return -ERR_FAULT;
	}
	if (copy_to_user(as, a[2], pa, n * sizeof(pa[0])) < 0)
		return -ERR_FAULT;
	return (int64_t)n;
}
