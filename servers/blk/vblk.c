/*
 * virtio-blk over the legacy virtio-mmio transport: bring-up, one split
 * virtqueue with a fixed three-descriptor chain per request slot, and the
 * used ring. The queue, the request headers and the status bytes live in
 * DMA memory we allocate ourselves (so their physical address is ours,
 * not a client's claim); the data buffers are in the client's pool.
 */
#include <stdio.h>
#include <string.h>
#include "libsys.h"
#include "abi/blk.h"
#include "vblk.h"

#define QSIZE_MAX	128	/* descriptors; a power of two (2.6, legacy) */
#define DMA_PAGES	3	/* queue (2 pages), headers and status bytes */

static uint32_t reg(struct vblk *d, unsigned off) { return d->regs[off / 4]; }
static void reg_set(struct vblk *d, unsigned off, uint32_t v) { d->regs[off / 4] = v; }

bool vblk_is_block(volatile uint32_t *regs)
{
	return regs[VIRTIO_MMIO_MAGIC / 4] == VIRTIO_MAGIC &&
	       regs[VIRTIO_MMIO_VERSION / 4] == 1 &&
	       regs[VIRTIO_MMIO_DEVICE_ID / 4] == VIRTIO_ID_BLOCK;
}

/* 2.6.2 Legacy Interfaces: descriptors, then the available ring, then the
 * used ring at the next QueueAlign boundary. */
static uint64_t used_offset(uint16_t qsize)
{
	uint64_t end = 16ul * qsize + 6 + 2ul * qsize;

	return (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

int vblk_init(struct vblk *d, volatile uint32_t *regs)
{
	uint64_t pa;
	int64_t va;

	d->regs = regs;
	if (!vblk_is_block(regs))
		return -ERR_NODEV;
	/* 3.1.1 Driver Requirements: Device Initialization (legacy: no
	 * FEATURES_OK step). */
	reg_set(d, VIRTIO_MMIO_STATUS, 0);
	reg_set(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg_set(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	reg_set(d, VIRTIO_MMIO_HOST_FEATURES_SEL, 0);
	uint32_t offered = reg(d, VIRTIO_MMIO_HOST_FEATURES);
	reg_set(d, VIRTIO_MMIO_GUEST_FEATURES_SEL, 0);
	/* Indirect descriptors: a page read's data runs in one slot's table. */
	reg_set(d, VIRTIO_MMIO_GUEST_FEATURES,
		offered & (VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH | VIRTIO_RING_F_INDIRECT_DESC));
	d->read_only = offered & VIRTIO_BLK_F_RO;
	d->indirect = offered & VIRTIO_RING_F_INDIRECT_DESC;
	/* Without FLUSH negotiated QEMU runs its cache write-through, but we
	 * promise durability only through a flush the device performs. */
	if (!(offered & VIRTIO_BLK_F_FLUSH)) {
		printf("blk: the device offers no flush; refusing it\n");
		goto fail;
	}
	reg_set(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);

	/* 4.2.4 Legacy interface: the queue's page frame number. */
	reg_set(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	uint32_t max = reg(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (reg(d, VIRTIO_MMIO_QUEUE_PFN) != 0 || max < 4) {
		printf("blk: queue 0 in use or too small (%u)\n", max);
		goto fail;
	}
	/* A power of two, so that the 16-bit ring indices wrap with it. */
	for (d->qsize = QSIZE_MAX; d->qsize > max; d->qsize /= 2)
		;
	d->nslots = d->qsize / 3 < BLK_SLOTS ? d->qsize / 3 : BLK_SLOTS;
	/* A setup tried again after a failure reuses its memory. */
	if (!d->mem && (va = dma_alloc(DMA_PAGES * PAGE_SIZE, &pa)) < 0) {
		printf("blk: no DMA memory (%ld)\n", (long)va);
		goto fail;
	}
	if (!d->mem) {
		d->mem = (uint8_t *)va;
		d->pa = pa;
	}
	if (d->indirect && !d->ind) {
		if ((va = dma_alloc(VBLK_IND_BYTES, &pa)) < 0) {
			d->indirect = false;	/* page reads refused; the rest works */
		} else {
			d->ind = (struct virtq_desc *)va;
			d->ind_pa = pa;
		}
	}
	memset(d->mem, 0, DMA_PAGES * PAGE_SIZE);
	d->desc = (struct virtq_desc *)d->mem;
	d->avail = (volatile struct virtq_avail *)(d->mem + 16ul * d->qsize);
	d->used = (volatile struct virtq_used *)(d->mem + used_offset(d->qsize));
	d->hdr = (struct virtio_blk_req_hdr *)(d->mem + 2 * PAGE_SIZE);
	d->status = d->mem + 2 * PAGE_SIZE + BLK_SLOTS * sizeof(struct virtio_blk_req_hdr);
	d->last_used = 0;
	reg_set(d, VIRTIO_MMIO_QUEUE_NUM, d->qsize);
	reg_set(d, VIRTIO_MMIO_QUEUE_ALIGN, PAGE_SIZE);
	reg_set(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(d->pa >> PAGE_SHIFT));

	/* 5.2.4 Device configuration layout: capacity, in 512-byte sectors,
	 * little-endian at the start of the config space. */
	d->capacity = reg(d, VIRTIO_MMIO_CONFIG) | (uint64_t)reg(d, VIRTIO_MMIO_CONFIG + 4) << 32;
	reg_set(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					VIRTIO_STATUS_DRIVER_OK);
	return 0;
fail:
	reg_set(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
	return -ERR_IO;
}

/* Slot s owns descriptors 3s (header), 3s + 1 (data) and 3s + 2 (status);
 * a flush skips the data one. The head 3s names the slot in the used ring. */
void vblk_submit(struct vblk *d, unsigned slot, uint32_t type, uint64_t sector,
		 uint64_t data_pa, uint32_t len)
{
	uint64_t hdr_pa = d->pa + 2 * PAGE_SIZE + slot * sizeof(struct virtio_blk_req_hdr);
	uint64_t status_pa = d->pa + 2 * PAGE_SIZE +
			     BLK_SLOTS * sizeof(struct virtio_blk_req_hdr) + slot;
	unsigned head = 3 * slot;

	d->hdr[slot] = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	d->status[slot] = 0xff;		/* anything but S_OK until the device writes it */
	d->desc[head] = (struct virtq_desc){ hdr_pa, sizeof(struct virtio_blk_req_hdr),
					     VIRTQ_DESC_F_NEXT, (uint16_t)(head + 2) };
	if (len) {
		d->desc[head].next = (uint16_t)(head + 1);
		d->desc[head + 1] = (struct virtq_desc){
			data_pa, len,
			VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
			(uint16_t)(head + 2) };
	}
	d->desc[head + 2] = (struct virtq_desc){ status_pa, 1, VIRTQ_DESC_F_WRITE, 0 };
	/* 2.6.13 Supplying Buffers to The Device: the ring entry, a barrier,
	 * the index, a barrier, then the notification. */
	d->avail->ring[d->avail->idx % d->qsize] = (uint16_t)head;
	__sync_synchronize();
	d->avail->idx = (uint16_t)(d->avail->idx + 1);
	__sync_synchronize();
	reg_set(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

void vblk_submit_pages(struct vblk *d, unsigned slot, uint64_t sector, const uint64_t *pa,
		       unsigned npages)
{
	uint64_t table = (uint64_t)slot * VBLK_IND_DESCS;
	struct virtq_desc *t = d->ind + table;
	uint64_t hdr_pa = d->pa + 2 * PAGE_SIZE + slot * sizeof(struct virtio_blk_req_hdr);
	uint64_t status_pa = d->pa + 2 * PAGE_SIZE +
			     BLK_SLOTS * sizeof(struct virtio_blk_req_hdr) + slot;
	unsigned head = 3 * slot, n = 1;

	d->hdr[slot] = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = sector };
	d->status[slot] = 0xff;
	t[0] = (struct virtq_desc){ hdr_pa, sizeof(struct virtio_blk_req_hdr), VIRTQ_DESC_F_NEXT, 1 };
	for (unsigned i = 0; i < npages; i++) {
		if (n > 1 && t[n - 1].addr + t[n - 1].len == pa[i]) {
			t[n - 1].len += PAGE_SIZE;	/* the next frame in memory */
			continue;
		}
		t[n] = (struct virtq_desc){ pa[i], PAGE_SIZE, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
					    (uint16_t)(n + 1) };
		n++;
	}
	t[n] = (struct virtq_desc){ status_pa, 1, VIRTQ_DESC_F_WRITE, 0 };
	/* 2.6.5.3.1: the head names the table; the table's chain is its own. */
	d->desc[head] = (struct virtq_desc){ d->ind_pa + table * sizeof(*t),
					     (uint32_t)((n + 1) * sizeof(*t)), VIRTQ_DESC_F_INDIRECT, 0 };
	d->avail->ring[d->avail->idx % d->qsize] = (uint16_t)head;
	__sync_synchronize();
	d->avail->idx = (uint16_t)(d->avail->idx + 1);
	__sync_synchronize();
	reg_set(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

bool vblk_owns(const struct vblk *d, uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	return (pa < d->pa + DMA_PAGES * PAGE_SIZE && end > d->pa) ||
	       (d->ind && pa < d->ind_pa + VBLK_IND_BYTES && end > d->ind_pa);
}

void vblk_irq_clear(struct vblk *d)
{
	/* 4.2.2: bit 0 used buffer, bit 1 configuration change. */
	reg_set(d, VIRTIO_MMIO_INTERRUPT_ACK, reg(d, VIRTIO_MMIO_INTERRUPT_STATUS) & 3);
}

void vblk_collect(struct vblk *d, void (*done)(unsigned slot, int result))
{
	for (;;) {
		__sync_synchronize();
		if (d->last_used == d->used->idx)
			return;
		__sync_synchronize();	/* the entry after the index (2.6.14) */
		uint32_t id = d->used->ring[d->last_used % d->qsize].id;
		d->last_used++;
		if (id % 3 != 0 || id / 3 >= d->nslots) {
			printf("blk: the device completed a chain we never made (%u)\n", id);
			continue;
		}
		unsigned slot = id / 3;
		done(slot, d->status[slot] == VIRTIO_BLK_S_OK ? 0 : -ERR_IO);
	}
}

void vblk_reset(struct vblk *d)
{
	reg_set(d, VIRTIO_MMIO_STATUS, 0);	/* legacy: also forgets the queue */
}
