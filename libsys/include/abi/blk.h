/*
 * The block-driver protocol: requests a client sends to the virtio-blk
 * driver (servers/blk) with an IPC call, shared by the driver and the
 * libsys client (libsys/src/blk.c). docs/blk-protocol.md explains it.
 *
 * Every request: info label = BLK_*, no payload, words as the struct of
 * that label; the reply's w[0] is the result, >= 0 or a negated ERR_*.
 * Every reply comes at once: the driver never waits on a client. A read
 * or write is *submitted* by its call and *completed* later: the driver
 * notifies the client's notification and the client collects the result
 * with BLK_REAP. Bulk data never travels in a message: it is in the DMA
 * pool, physically contiguous memory the starter registered at setup;
 * requests name byte offsets in it.
 *
 *  label             request                         reply
 *  BLK_SETUP_DEVICE  grant: w5 a device handle       w0 0 if it is a virtio-blk
 *                                                    device (kept), else -ERR_NODEV
 *  BLK_SETUP_IRQ     grant: w5 its IRQ handle        w0 0
 *  BLK_SETUP_POOL    w0 pool physical address,       w0 0: the device runs; setup
 *                    w1 pool length (bytes)          is closed (then -ERR_PERM)
 *  BLK_ATTACH        grant: w5 a notification;       struct blk_info (its inflight:
 *                    w0 the in-flight limit wanted   the limit granted)
 *                    (0: BLK_CLIENT_INFLIGHT; more
 *                    only for client 0, up to the
 *                    slots no other share needs)
 *  BLK_INFO          -                               struct blk_info
 *  BLK_READ          struct blk_io                   w0 tag (0 .. BLK_SLOTS-1)
 *  BLK_WRITE         struct blk_io                   w0 tag
 *  BLK_FLUSH         -                               w0 tag
 *  BLK_REAP          -                               struct blk_reap
 *
 * The badge the driver sees names the client (0 .. BLK_MAX_CLIENTS-1);
 * each client has its own tags, notification and in-flight limit.
 * A flush goes to the device once every write its client submitted
 * before it has completed (the writes' completions then notify nobody:
 * the flush's does), so a client submits writes and their flush at once.
 */
#ifndef ABI_BLK_H
#define ABI_BLK_H

#include <stdint.h>
#include "kernel.h"

enum blk_label {
	BLK_SETUP_DEVICE = 1,
	BLK_SETUP_IRQ,
	BLK_SETUP_POOL,
	BLK_ATTACH,
	BLK_INFO,
	BLK_READ,
	BLK_WRITE,
	BLK_FLUSH,
	BLK_REAP,
	BLK_IRQ,		/* from the driver's own interrupt thread only */
	BLK_READ_PAGES,		/* struct blk_pages_io, payload the pages (client 0 only) */
	BLK_LABEL_COUNT
};

#define BLK_SECTOR_SIZE		512ul
#define BLK_SLOTS		64	/* requests in flight, all clients (at most) */
#define BLK_MAX_CLIENTS		4	/* badges 0 .. 3 */
/* Submitted and not yet reaped, per client; client 0 (the pool's owner) may
 * ask at BLK_ATTACH for the slots no other client's share needs too. */
#define BLK_CLIENT_INFLIGHT	8
#define BLK_MAX_SECTORS		4096	/* per request: 2 MiB */
#define BLK_POOL_MAX		(2ul << 20)	/* the largest pool (one dma_alloc) */
#define BLK_REAP_MAX		5	/* completions per BLK_REAP reply */
/* The badge of the driver's interrupt thread's endpoint handle. */
#define BLK_IRQ_BADGE		(1ul << 62)

/* BLK_READ / BLK_WRITE: sectors [sector, sector + count) from / to the
 * pool's bytes [offset, offset + count * BLK_SECTOR_SIZE). */
struct blk_io {
	uint64_t sector;
	uint64_t count;		/* 1 .. BLK_MAX_SECTORS */
	uint64_t offset;
	uint64_t unused[3];
};

/* Reply to BLK_ATTACH and BLK_INFO. */
struct blk_info {
	int64_t result;		/* 0 */
	uint64_t capacity;	/* sectors, from the device's config space */
	uint64_t pool_len;	/* bytes */
	uint64_t inflight;	/* the caller's limit: BLK_CLIENT_INFLIGHT, client 0 more */
	uint64_t read_only;	/* 1 if the device offered VIRTIO_BLK_F_RO */
	uint64_t unused;
};

/* Reply to BLK_REAP: n completed requests of the caller, in the order
 * they completed, each a tag (now free again) and its result: 0, or
 * -ERR_IO when the device reported an error. n = 0: none completed since
 * the last reap. */
struct blk_reap {
	int64_t n;
	struct blk_done { int32_t tag, status; } done[BLK_REAP_MAX];
};

/*
 * BLK_READ_PAGES: read sectors [sector, sector + npages * 8) straight into
 * npages pages named by physical address, page i at the payload's pa[i]
 * (uint64_t each, page-aligned; the payload is exactly npages words).
 * Reply: w0 the tag, completed and reaped as a BLK_READ. For the client
 * that named the pool (badge 0), trusted with DMA since setup, which
 * learns its own pages' addresses from the kernel (SYS_VM_PHYS) and keeps
 * them allocated until the completion is reaped; never into the driver's
 * own queue memory. -ERR_NOSYS if the device has no indirect descriptors.
 * docs/blk-protocol.md, "Reads into pages".
 */
#define BLK_PAGES_MAX		64	/* pages per BLK_READ_PAGES: 256 KiB */
#define BLK_PAGE_SECTORS	(PAGE_SIZE / BLK_SECTOR_SIZE)
struct blk_pages_io {
	uint64_t sector;
	uint64_t npages;	/* 1 .. BLK_PAGES_MAX */
	uint64_t unused[4];
};

_Static_assert(sizeof(struct blk_io) == IPC_WORDS * 8, "blk_io is the message words");
_Static_assert(sizeof(struct blk_info) == IPC_WORDS * 8, "blk_info is the message words");
_Static_assert(sizeof(struct blk_reap) == IPC_WORDS * 8, "blk_reap is the message words");
_Static_assert(BLK_SLOTS <= 64, "tags fit a 64-bit mask");
_Static_assert(sizeof(struct blk_pages_io) == IPC_WORDS * 8, "blk_pages_io is the message words");
_Static_assert(BLK_MAX_SECTORS * BLK_SECTOR_SIZE <= BLK_POOL_MAX, "a request fits a pool");

/*
 * The libsys client (libsys/src/blk.c). Results >= 0, or a negated ERR_*.
 */
struct proc_device;

/* Spawn the driver "blk" with a new endpoint, offer it devs[i]'s device
 * handle for each i until one is a virtio-blk device, then that device's
 * IRQ handle. Returns the endpoint (unbadged, all rights); *pid (if not
 * NULL) the driver's pid. */
int64_t blk_spawn(const struct proc_device *devs, uint64_t ndevs, int64_t *pid);
/* Name the pool [pool_pa, pool_pa + pool_len) (memory from dma_alloc):
 * the device starts and setup closes. Whoever owns the data sends this:
 * the spawner itself, or a process it handed the endpoint to first. */
int64_t blk_set_pool(uint64_t ep, uint64_t pool_pa, uint64_t pool_len);
/* Both: the endpoint (client 0; mint badged send-only copies for other
 * clients, badges 1 .. BLK_MAX_CLIENTS-1). */
int64_t blk_start(const struct proc_device *devs, uint64_t ndevs, uint64_t pool_pa,
		  uint64_t pool_len);

/* One client's view: its endpoint, notification and completions reaped
 * from the driver but not yet claimed by blk_wait. */
struct blk_client {
	uint64_t ep, notif;
	struct blk_info info;
	unsigned nreaped;
	struct blk_done reaped[BLK_SLOTS];	/* in completion order */
};
/* Attach through ep (a new notification is granted to the driver). */
int64_t blk_attach(struct blk_client *c, uint64_t ep);
/* The same, asking for an in-flight limit of `want` (client 0 only gets
 * more than BLK_CLIENT_INFLIGHT; c->info.inflight says what it got). */
int64_t blk_attach_inflight(struct blk_client *c, uint64_t ep, uint64_t want);
/* Submit BLK_READ / BLK_WRITE (sectors, pool offset) or BLK_FLUSH (the
 * rest ignored): the tag, or -ERR_AGAIN when the client's limit is reached. */
int64_t blk_submit(struct blk_client *c, uint64_t label, uint64_t sector, uint64_t count,
		   uint64_t offset);
/* Wait for request tag to complete: its result. */
int64_t blk_wait(struct blk_client *c, int64_t tag);
/* Wait for any submitted request to complete: its tag, *result its result. */
int64_t blk_wait_any(struct blk_client *c, int32_t *result);
/* Without waiting: a completed request's tag (*result its result), or
 * -ERR_AGAIN if none has completed. */
int64_t blk_poll(struct blk_client *c, int32_t *result);
/* blk_poll in two halves, for a caller that knows when the driver has
 * something (its notif woke): blk_reap asks the driver once (how many it
 * handed over; fewer than BLK_REAP_MAX: it had no more), blk_take claims
 * one already reaped (the tag, or -ERR_AGAIN) without a call. */
int64_t blk_reap(struct blk_client *c);
int64_t blk_take(struct blk_client *c, int32_t *result);
/* A relay: a thread in a new task of the caller's that waits on notif and
 * turns each wake-up into a message sent to ep (SYS_IPC_SEND, through a
 * copy badged `badge`, if ep is unbadged) with label `label` (below 2^32)
 * and w0 the bits, and waits again once ep took it (no answer is
 * expected: the receiver is linked to no caller; wakes meanwhile gather
 * in notif's bits). A single-threaded server can
 * so receive its clients' requests and its disk completions (the client's
 * notif, then blk_poll until -ERR_AGAIN) in one loop; the driver relays its
 * IRQ this way. Returns the relay's task handle (destroy it to stop the
 * relay), or -ERR_*. notif and ep need RIGHT_GRANT. */
int64_t blk_relay_start(uint64_t notif, uint64_t ep, uint64_t badge, uint64_t label);
/* Submit and wait. A flush makes durable the writes completed before it. */
int64_t blk_read(struct blk_client *c, uint64_t sector, uint64_t count, uint64_t offset);
int64_t blk_write(struct blk_client *c, uint64_t sector, uint64_t count, uint64_t offset);
int64_t blk_flush(struct blk_client *c);
/* Submit BLK_READ_PAGES (npages pages at the physical addresses pa[]): the
 * tag, or -ERR_AGAIN at the client's limit. */
int64_t blk_submit_pages(struct blk_client *c, uint64_t sector, uint64_t npages,
			 const uint64_t *pa);

#endif
