/*
 * Flattened device tree (DTB) parser: the facts the kernel needs at boot,
 * pulled out of the blob firmware hands over in a1. Freestanding, shared by
 * the kernel and the host unit tests (test/unit/test_dtb.c).
 */
#ifndef KERNEL_DTB_H
#define KERNEL_DTB_H

#include <stdint.h>
#include "abi/kernel.h"

#define DTB_MAX_VIRTIO		8
#define DTB_MAX_RESERVED	8

/* Errors dtb_parse returns (negated ERR_* codes; dtb_error_string names them). */
#define DTB_ERR_MAGIC		(-ERR_INVAL)	/* not a DTB (or NULL) */
#define DTB_ERR_VERSION		(-ERR_NOTSUP)	/* version < 16 or last_comp_version > 17 */
#define DTB_ERR_BOUNDS		(-ERR_FAULT)	/* totalsize > maxlen, or a block outside totalsize */
#define DTB_ERR_MALFORMED	(-ERR_IO)	/* bad structure block or bad property value */
#define DTB_ERR_NOMEM		(-ERR_NOENT)	/* no memory node */
#define DTB_ERR_TOOMANY		(-ERR_NOSPC)	/* more than DTB_MAX_RESERVED reserved regions */

struct dtb_region { uint64_t base, size; };

struct dtb_info {
	uint32_t totalsize;		/* from the header */
	struct dtb_region mem;		/* first /memory node's first reg entry */
	uint64_t initrd_start, initrd_end; /* /chosen linux,initrd-start/-end; 0 if absent */
	uint64_t timebase_hz;		/* /cpus timebase-frequency */
	uint32_t nharts;		/* /cpus children with device_type "cpu" */
	uint64_t plic_base, plic_size;	/* "riscv,plic0" or "sifive,plic-1.0.0" */
	uint32_t plic_ndev;		/* its riscv,ndev */
	uint64_t clint_base, clint_size; /* "riscv,clint0" or "sifive,clint0" */
	uint64_t uart_base, uart_size;	/* "ns16550a" */
	uint32_t uart_irq;
	uint64_t rtc_base, rtc_size;	/* "google,goldfish-rtc" */
	uint32_t rtc_irq;
	uint32_t nvirtio;		/* "virtio,mmio", ascending base order */
	struct { uint64_t base, size; uint32_t irq; } virtio[DTB_MAX_VIRTIO];
	uint32_t nreserved;		/* reservation block, then /reserved-memory children */
	struct dtb_region reserved[DTB_MAX_RESERVED];
	char bootargs[256];		/* /chosen bootargs, NUL-terminated, truncated to fit */
};

/*
 * Parse the DTB at blob, reading no byte at or past blob + maxlen (nor past
 * the header's totalsize). *out is zeroed first, then filled.
 * Returns 0 on success, or:
 *   DTB_ERR_MAGIC      bad magic number, or blob or out is NULL
 *   DTB_ERR_VERSION    version < 16 or last_comp_version > 17
 *   DTB_ERR_BOUNDS     maxlen too small for the header, totalsize > maxlen,
 *                      or the reservation/structure/strings block lies
 *                      (partly) outside totalsize, or the reservation block
 *                      has no terminating entry
 *   DTB_ERR_MALFORMED  structure block: unaligned, unknown token,
 *                      unterminated node or property name, property running
 *                      past the block, nesting deeper than 16 or unbalanced,
 *                      no FDT_END; or a property we use with a bad size
 *                      (#address-cells or #size-cells not 4 bytes, reg
 *                      shorter than #address-cells + #size-cells, cells
 *                      counts not 1..2 / 0..2 where we decode reg,
 *                      timebase or initrd cells not 4 or 8 bytes,
 *                      initrd end < start, memory/PLIC/CLINT/UART/RTC/virtio node
 *                      without reg)
 *   DTB_ERR_NOMEM      no /memory node (device_type "memory" or named
 *                      memory[@...] under the root)
 *   DTB_ERR_TOOMANY    more than DTB_MAX_RESERVED reserved regions
 * Only one of initrd-start/-end present leaves both 0. Beyond
 * DTB_MAX_VIRTIO virtio nodes, the ones with the lowest bases are kept.
 * The first PLIC, CLINT, UART and RTC found are used; reservation entries of size
 * 0 are skipped. On error *out holds partial results: do not use it.
 */
int dtb_parse(const void *blob, uint64_t maxlen, struct dtb_info *out);

/*
 * Human text for a value dtb_parse returned ("ok" for 0, a generic text for
 * a value it never returns). Never NULL. The kernel prints it on failure.
 */
const char *dtb_error_string(int err);

#endif
