/*
 * Legacy (version 1) virtio-mmio registers, the split virtqueue and the
 * virtio-blk request format. Section numbers are those of the virtio 1.1
 * specification (OASIS, 2019), which describes the legacy interface beside
 * the modern one. QEMU 7.2's virtio-mmio devices are legacy by default.
 */
#ifndef BLK_VIRTIO_H
#define BLK_VIRTIO_H

#include <stdint.h>

/* 4.2.4 Legacy interface: MMIO register offsets, in bytes. */
#define VIRTIO_MMIO_MAGIC		0x000	/* "virt" */
#define VIRTIO_MMIO_VERSION		0x004	/* 1: legacy */
#define VIRTIO_MMIO_DEVICE_ID		0x008	/* 0: no device in this slot */
#define VIRTIO_MMIO_HOST_FEATURES	0x010
#define VIRTIO_MMIO_HOST_FEATURES_SEL	0x014
#define VIRTIO_MMIO_GUEST_FEATURES	0x020
#define VIRTIO_MMIO_GUEST_FEATURES_SEL	0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE	0x028
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_ALIGN		0x03c
#define VIRTIO_MMIO_QUEUE_PFN		0x040
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_CONFIG		0x100	/* device-specific (5.2.4) */

#define VIRTIO_MAGIC			0x74726976u
#define VIRTIO_ID_BLOCK			2	/* 5 Device Types */

/* 2.1 Device Status Field. */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FAILED		128

/* 5.2.3 Feature bits (in the first 32-bit feature word). */
#define VIRTIO_BLK_F_RO			(1u << 5)	/* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH		(1u << 9)	/* VIRTIO_BLK_T_FLUSH; legacy name */

/* 2.6.5 The Virtqueue Descriptor Table. */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2	/* the device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT		4	/* addr is a table of descriptors (2.6.5.3) */
#define VIRTIO_RING_F_INDIRECT_DESC	(1u << 28)	/* 6 Reserved Feature Bits */
struct virtq_desc {
	uint64_t addr;		/* physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* 2.6.6 The Virtqueue Available Ring. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* then used_event, unused here */
};

/* 2.6.8 The Virtqueue Used Ring. */
struct virtq_used_elem {
	uint32_t id;		/* head of the completed chain */
	uint32_t len;
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* 5.2.6 Device Operation: a request is a header the device reads, the
 * data, and a status byte the device writes. */
#define VIRTIO_BLK_T_IN			0	/* read */
#define VIRTIO_BLK_T_OUT		1	/* write */
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;	/* in 512-byte units whatever the block size */
};

#endif
