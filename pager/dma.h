/*
 * Devices in the pager (dma.c): the device capabilities it hands to init,
 * and memory a device reaches by physical address (PAGER_DMA_ALLOC).
 */
#ifndef PAGER_DMA_H
#define PAGER_DMA_H

#include <stdint.h>
#include "abi/pager.h"
#include "proc.h"

/* Copy every device and IRQ handle the kernel gave us into task, listing
 * the new handles in ps. 0 or a negated ERR_*. */
int devices_grant(uint64_t task, struct proc_start *ps);
/* PAGER_DMA_ALLOC for p: the address, *pa the physical one, or -ERR_*. */
int64_t pager_dma_alloc(struct proc *p, uint64_t len, uint64_t *pa);
/* p ends: the frames of its DMA memory are kept from reuse for good (a
 * device may still write them). */
void dma_proc_ended(struct proc *p);
/* pager_check: a reference for each frame kept. */
void dma_count_refs(uint32_t *counts);

#endif
