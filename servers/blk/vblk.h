/*
 * The virtio-blk device as the driver's protocol side sees it: bring-up,
 * submitting a request in a slot, and collecting completions from the
 * used ring. No IPC here (main.c owns that).
 */
#ifndef BLK_VBLK_H
#define BLK_VBLK_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/blk.h"
#include "virtio.h"

struct vblk {
	volatile uint32_t *regs;		/* the slot's register page */
	struct virtq_desc *desc;		/* the queue, in our DMA memory */
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	struct virtio_blk_req_hdr *hdr;		/* one header per slot */
	volatile uint8_t *status;		/* one status byte per slot */
	uint64_t pa;				/* physical address of our DMA memory */
	uint8_t *mem;
	uint16_t qsize;
	uint16_t last_used;			/* used->idx we have seen up to */
	unsigned nslots;			/* request slots: qsize / 3, at most BLK_SLOTS */
	uint64_t capacity;			/* sectors */
	bool read_only;
	bool indirect;				/* VIRTIO_RING_F_INDIRECT_DESC accepted */
	struct virtq_desc *ind;			/* per slot: an indirect table (page reads) */
	uint64_t ind_pa;
};

/* An indirect table: the header, up to BLK_PAGES_MAX data runs, the status. */
#define VBLK_IND_DESCS	(BLK_PAGES_MAX + 2)
#define VBLK_IND_BYTES	(BLK_SLOTS * VBLK_IND_DESCS * 16ul)

/* True if regs is a legacy virtio-mmio slot holding a block device. */
bool vblk_is_block(volatile uint32_t *regs);
/* Reset, negotiate features, set up queue 0 and start the device.
 * 0, or a negated ERR_* (the device is left reset). */
int vblk_init(struct vblk *d, volatile uint32_t *regs);
/* Start request `type` in slot (free): data of len bytes at physical
 * address data_pa (len 0 for a flush). */
void vblk_submit(struct vblk *d, unsigned slot, uint32_t type, uint64_t sector,
		 uint64_t data_pa, uint32_t len);
/* Start a read in slot (free) of npages pages at physical addresses pa[]
 * (checked by the caller) through the slot's indirect table; pages that
 * follow each other in memory share a descriptor. */
void vblk_submit_pages(struct vblk *d, unsigned slot, uint64_t sector, const uint64_t *pa,
		       unsigned npages);
/* Whether [pa, pa + len) touches the driver's own DMA memory (the queue,
 * headers, status bytes, indirect tables): no client may have the device
 * write there. */
bool vblk_owns(const struct vblk *d, uint64_t pa, uint64_t len);
/* Reset the device (a setup that failed after vblk_init). */
void vblk_reset(struct vblk *d);
/* Acknowledge the device's interrupt condition. */
void vblk_irq_clear(struct vblk *d);
/* Call done(slot, result) for every request the device has completed
 * since the last call: result 0, or -ERR_IO if the device said so. */
void vblk_collect(struct vblk *d, void (*done)(unsigned slot, int result));

#endif
