/*
 * The virtio-blk driver server: setup from its starter, the client table,
 * checking every request, and the one receive loop that serves requests
 * and interrupts (the latter as calls from the interrupt thread, a libsys
 * relay: blk_relay_start). Every call is answered at once; reads, writes
 * and flushes complete later and are collected with BLK_REAP, so the
 * driver never waits on a client. docs/blk-protocol.md is the protocol.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "libsys.h"
#include "abi/blk.h"
#include "abi/fault.h"
#include "vblk.h"

/* Where the device's register page goes in our space: above the mmap
 * area, below the stack's reach (abi/pager.h's layout). */
#define DEV_VA		0x3800000000ul

struct client {
	uint64_t notif;		/* notified when a request completes; 0: not attached */
	uint64_t owned;		/* slots submitted and not yet reaped */
	uint64_t done;		/* of those, the completed ones */
	uint8_t order[BLK_SLOTS];	/* the completed ones, oldest first */
	unsigned ndone;
	unsigned limit;		/* its in-flight limit (BLK_ATTACH); 0: client_limit */
	uint64_t held;		/* flushes held back for its writes (slots) */
};

struct slot {
	bool busy;
	bool write;		/* a write the device has, not completed yet */
	uint8_t client;
	int32_t result;
	uint64_t after;		/* a flush held back: the writes it waits for (slots) */
};

static uint64_t ep;			/* our endpoint (the starter's grant) */
static uint64_t dev_handle, irq_handle;
static uint64_t pool_pa, pool_len;
static bool started;
static struct vblk vblk;
static struct client clients[BLK_MAX_CLIENTS];
/* Requests one client may have in flight: its share of the device's
 * slots, so that every client can always have one (BLK_INFO says it). */
static unsigned client_limit;
/* Client 0 (the pool's owner: the file server) may ask at BLK_ATTACH for
 * the slots no other client's share covers too: a sync of scattered
 * blocks then waits for completions fewer times. Every other client keeps
 * its whole share whatever client 0 does. */
static unsigned owner_limit;

static unsigned limit_of(unsigned c)
{
	return clients[c].limit ? clients[c].limit : client_limit;
}
static struct slot slots[BLK_SLOTS];

/* --- Setup ------------------------------------------------------------ */

static int64_t setup_device(uint64_t h)
{
	struct device_info di;
	int64_t r;

	if (dev_handle)
		return -ERR_EXIST;
	if ((r = driver_map_device(h, DEV_VIRTIO_MMIO, DEV_VA, &di)) < 0)
		return r;
	if (!vblk_is_block((volatile uint32_t *)DEV_VA)) {
		sys_unmap(0, DEV_VA, 1);	/* the next device offered goes here */
		return -ERR_NODEV;
	}
	printf("blk: virtio-blk (legacy virtio-mmio) at %p, IRQ %u\n", (void *)di.pa,
	       (unsigned)di.irq);
	dev_handle = h;
	return 0;
}

static int64_t setup_pool(uint64_t pa, uint64_t len)
{
	int64_t r;

	if (!dev_handle || !irq_handle)
		return -ERR_AGAIN;
	if ((pa & (PAGE_SIZE - 1)) || len == 0 || len > BLK_POOL_MAX || pa + len < pa)
		return -ERR_INVAL;
	if ((r = vblk_init(&vblk, (volatile uint32_t *)DEV_VA)) < 0)
		return r;	/* the device is left reset (a retry starts again) */
	if (vblk.nslots < BLK_MAX_CLIENTS) {
		printf("blk: a queue of %u is too small for %u clients\n", vblk.qsize,
		       BLK_MAX_CLIENTS);
		vblk_reset(&vblk);
		return -ERR_NODEV;
	}
	/* BLK_IRQ calls, badged so that no client can pass for them. */
	if ((r = driver_irq_relay(irq_handle, ep, BLK_IRQ_BADGE, BLK_IRQ)) < 0) {
		printf("blk: no interrupt thread (%ld)\n", (long)r);
		vblk_reset(&vblk);
		return r;
	}
	client_limit = vblk.nslots / BLK_MAX_CLIENTS;
	if (client_limit > BLK_CLIENT_INFLIGHT)
		client_limit = BLK_CLIENT_INFLIGHT;
	owner_limit = vblk.nslots - (BLK_MAX_CLIENTS - 1) * client_limit;
	pool_pa = pa;
	pool_len = len;
	started = true;
	printf("blk: %lu sectors%s, queue of %u, %u requests in flight, %u per client (%u for the first)\n",
	       (unsigned long)vblk.capacity, vblk.read_only ? " (read-only)" : "",
	       vblk.qsize, vblk.nslots, client_limit, owner_limit);
	return 0;
}

/* --- Requests ---------------------------------------------------------- */

/*
 * A flush goes to the device once every write its client submitted before
 * it has completed (virtio orders nothing in flight: a flush covers only
 * writes completed before it starts). A write such a flush waits for
 * wakes nobody: the flush's completion, later, tells the client of both,
 * so a write-back and its flush cost the client one wake and one reap.
 */
static bool flush_release(struct client *c, unsigned slot)
{
	bool covered = false;

	for (uint64_t m = c->held; m; m &= m - 1) {
		unsigned f = (unsigned)__builtin_ctzl(m);
		if (!(slots[f].after & (1ul << slot)))
			continue;
		covered = true;
		if ((slots[f].after &= ~(1ul << slot)))
			continue;
		c->held &= ~(1ul << f);
		vblk_submit(&vblk, f, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	}
	return covered;
}

static void complete(unsigned slot, int result)
{
	struct slot *s = &slots[slot];
	struct client *c = &clients[s->client];
	bool covered = false;

	if (!s->busy || s->after || (c->done & (1ul << slot)))
		return;		/* not at the device: a confused device; ignore */
	s->result = result;
	c->done |= 1ul << slot;
	c->order[c->ndone++] = (uint8_t)slot;	/* ndone < owned's count <= the limit */
	if (s->write && c->held)
		covered = flush_release(c, slot);
	s->write = false;
	if (c->notif && !covered)
		sys_notify(c->notif);	/* never blocks */
}

static int64_t on_irq(void)
{
	vblk_irq_clear(&vblk);		/* the device's condition, then the PLIC's */
	sys_irq_ack(irq_handle);
	vblk_collect(&vblk, complete);	/* later completions interrupt again */
	return 0;
}

/* A free slot for client c, within its limit: the slot, or -ERR_AGAIN. */
static int64_t take_slot(unsigned c)
{
	if ((unsigned)__builtin_popcountl(clients[c].owned) >= limit_of(c))
		return -ERR_AGAIN;
	for (unsigned i = 0; i < vblk.nslots; i++) {
		if (!slots[i].busy) {
			slots[i] = (struct slot){ .busy = true, .client = (uint8_t)c };
			clients[c].owned |= 1ul << i;
			return i;
		}
	}
	return -ERR_AGAIN;
}

static int64_t submit_io(unsigned c, uint64_t label, const uint64_t *w)
{
	struct blk_io io;
	int64_t slot;

	memcpy(&io, w, sizeof(io));
	if (!clients[c].notif)
		return -ERR_PERM;
	if (io.count == 0 || io.count > BLK_MAX_SECTORS)
		return -ERR_INVAL;
	if (io.sector >= vblk.capacity || io.count > vblk.capacity - io.sector)
		return -ERR_INVAL;
	uint64_t bytes = io.count * BLK_SECTOR_SIZE;
	if (io.offset > pool_len || bytes > pool_len - io.offset)
		return -ERR_INVAL;
	if (label == BLK_WRITE && vblk.read_only)
		return -ERR_PERM;
	if ((slot = take_slot(c)) < 0)
		return slot;
	slots[slot].write = label == BLK_WRITE;
	vblk_submit(&vblk, (unsigned)slot, label == BLK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
		    io.sector, pool_pa + io.offset, (uint32_t)bytes);
	return slot;
}

/*
 * BLK_READ_PAGES: the pages are named by physical address, which only the
 * client that named the pool may do (client 0: the process the starter,
 * holder of the device, handed the endpoint to first; it was trusted with
 * DMA into its pool then, and learns its pages' addresses from the kernel,
 * SYS_VM_PHYS). The driver still refuses what would break it: a page
 * that is not page-aligned or that lies in its own queue memory (a device
 * writing there could be made to run any request).
 */
static int64_t submit_pages(unsigned c, const struct ipc_msg *m)
{
	struct blk_pages_io io;
	uint64_t pa[BLK_PAGES_MAX];
	int64_t slot;

	memcpy(&io, m->w, sizeof(io));
	if (c != 0 || !clients[c].notif)
		return -ERR_PERM;
	if (!vblk.indirect)
		return -ERR_NOSYS;
	if (io.npages == 0 || io.npages > BLK_PAGES_MAX || ipc_len(m->info) != io.npages * 8)
		return -ERR_INVAL;
	uint64_t sectors = io.npages * BLK_PAGE_SECTORS;
	if (io.sector >= vblk.capacity || sectors > vblk.capacity - io.sector)
		return -ERR_INVAL;
	memcpy(pa, ipcbuf(), io.npages * sizeof(pa[0]));
	for (uint64_t i = 0; i < io.npages; i++) {
		if ((pa[i] & (PAGE_SIZE - 1)) || !pa[i] || pa[i] + PAGE_SIZE < pa[i])
			return -ERR_INVAL;
		if (vblk_owns(&vblk, pa[i], PAGE_SIZE))
			return -ERR_PERM;
	}
	if ((slot = take_slot(c)) < 0)
		return slot;
	vblk_submit_pages(&vblk, (unsigned)slot, io.sector, pa, (unsigned)io.npages);
	return slot;
}

static int64_t submit_flush(unsigned c)
{
	int64_t slot;

	if (!clients[c].notif)
		return -ERR_PERM;
	if ((slot = take_slot(c)) < 0)
		return slot;
	/* Held back while the client has writes at the device. */
	for (uint64_t m = clients[c].owned; m; m &= m - 1)
		if (slots[__builtin_ctzl(m)].write)
			slots[slot].after |= m & -m;
	if (slots[slot].after) {
		clients[c].held |= 1ul << slot;
		return slot;
	}
	vblk_submit(&vblk, (unsigned)slot, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	return slot;
}

static int64_t reap(unsigned c, uint64_t *w)
{
	struct blk_reap out = { 0 };
	struct client *cl = &clients[c];

	while (cl->ndone && out.n < BLK_REAP_MAX) {
		unsigned slot = cl->order[0];
		cl->ndone--;
		memmove(cl->order, cl->order + 1, cl->ndone);
		out.done[out.n++] = (struct blk_done){ (int32_t)slot, slots[slot].result };
		cl->done &= ~(1ul << slot);
		cl->owned &= ~(1ul << slot);
		slots[slot].busy = false;
	}
	memcpy(w, &out, sizeof(out));
	return out.n;
}

static int64_t info(unsigned c, uint64_t *w)
{
	struct blk_info bi = { .capacity = vblk.capacity, .pool_len = pool_len,
			       .inflight = limit_of(c), .read_only = vblk.read_only };

	memcpy(w, &bi, sizeof(bi));
	return 0;
}

/*
 * Granted handles land in the receive slot we name (SYS_IPC_RECV_SLOT):
 * one from the top of our table that no kept handle occupies. We keep at
 * most 2 + BLK_MAX_CLIENTS handles, so LANDING_SLOTS always has a free one;
 * the handles we make ourselves take the lowest free slots, far below.
 */
#define LANDING_TOP	127
#define LANDING_SLOTS	(3 + BLK_MAX_CLIENTS)

static bool slot_kept(uint64_t s)
{
	if (s == dev_handle || s == irq_handle)
		return true;
	for (unsigned i = 0; i < BLK_MAX_CLIENTS; i++)
		if (clients[i].notif == s)
			return true;
	return false;
}

static void landing_set(void)
{
	for (uint64_t s = LANDING_TOP; s > LANDING_TOP - LANDING_SLOTS; s--) {
		if (!slot_kept(s)) {
			sys_ipc_recv_slot(s);
			return;
		}
	}
}

/* Serve one message into *m's reply words; returns the result word. A
 * handle granted with a message that does not keep it is closed, so a
 * client cannot fill our handle table. */
static int64_t serve(struct ipc_msg *m, uint64_t *w, uint64_t *len)
{
	uint64_t label = ipc_label(m->info), badge = m->badge;
	bool grant = m->info & IPC_GRANT;
	int64_t granted = grant ? (int64_t)m->w[5] : 0, r;
	bool kept = false;

	(void)len;	/* no payload in our replies */
	if (ipc_len(m->info) && label != BLK_READ_PAGES) {
		r = -ERR_INVAL;		/* no other request carries a payload */
	} else if (badge == BLK_IRQ_BADGE && label == BLK_IRQ) {
		r = on_irq();
	} else if (badge >= BLK_MAX_CLIENTS) {
		r = -ERR_PERM;
	} else if (label == BLK_SETUP_DEVICE || label == BLK_SETUP_IRQ || label == BLK_SETUP_POOL) {
		if (started || badge != 0)	/* setup is the starter's (badge 0) */
			r = -ERR_PERM;	/* setup is closed once the device runs */
		else if (label == BLK_SETUP_POOL)
			r = setup_pool(m->w[0], m->w[1]);
		else if (!grant)
			r = -ERR_INVAL;
		else if (granted < 0)
			r = -ERR_BADF;
		else if (label == BLK_SETUP_DEVICE)
			kept = (r = setup_device((uint64_t)granted)) == 0;
		else if (irq_handle)
			r = -ERR_EXIST;
		else
			irq_handle = (uint64_t)granted, kept = true, r = 0;
	} else if (!started) {
		r = -ERR_AGAIN;
	} else {
		unsigned c = (unsigned)badge;
		switch (label) {
		case BLK_ATTACH:
			if (!grant)
				r = -ERR_INVAL;
			else if (granted < 0)
				r = -ERR_BADF;
			else {
				if (clients[c].notif)
					sys_handle_close(clients[c].notif);
				clients[c].notif = (uint64_t)granted;
				kept = true;
				/* w0: the limit asked for (0: the share). */
				clients[c].limit = c == 0 && m->w[0] > client_limit ?
					(m->w[0] < owner_limit ? (unsigned)m->w[0] : owner_limit) : client_limit;
				r = info(c, w);
			}
			break;
		case BLK_INFO:
			r = info(c, w);
			break;
		case BLK_READ:
		case BLK_WRITE:
			r = submit_io(c, label, m->w);
			break;
		case BLK_READ_PAGES:
			r = submit_pages(c, m);
			break;
		case BLK_FLUSH:
			r = submit_flush(c);
			break;
		case BLK_REAP:
			r = reap(c, w);
			break;
		default:
			r = -ERR_NOSYS;
		}
	}
	if (granted > 0 && !kept)
		sys_handle_close((uint64_t)granted);
	if (kept)
		landing_set();
	return r;
}

static const struct server_ops blk_server = { .serve = serve };

int main(void)
{
	ep = libsys_start_info.granted;
	if (!ep) {
		printf("blk: started without an endpoint; see docs/blk-protocol.md\n");
		return 1;
	}
	landing_set();
	return server_run("blk", ep, &blk_server);
}
