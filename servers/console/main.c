/*
 * The console driver server: an interrupt-driven ns16550a (QEMU virt's
 * UART) input driver. Setup from its starter, the input ring, checking
 * every request, and the one receive loop that serves requests and
 * interrupts (the latter as calls from an interrupt relay:
 * blk_relay_start). A read with no input to answer it is parked on a
 * saved reply right and answered when input comes, so the driver never
 * waits on a client. Output is not ours: the kernel's debug console
 * writes the same UART, polled. docs/console-protocol.md is the protocol.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "libsys.h"
#include "abi/blk.h"		/* blk_relay_start */
#include "abi/console.h"
#include "abi/fault.h"

/* Where the UART's register page goes in our space: above the mmap area,
 * below the stack's reach (abi/pager.h's layout). */
#define DEV_VA		0x3800000000ul

/* ns16550a registers (byte offsets; QEMU virt spaces them by 1). */
#define UART_RBR	0	/* read: received byte */
#define UART_IER	1	/* interrupt enable */
#define UART_FCR	2	/* write: FIFO control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define IER_RX		0x01	/* interrupt when a byte is received */
#define FCR_FIFO	0x01	/* FIFOs on, receive trigger at 1 byte */
#define MCR_OUT2	0x08	/* gates the interrupt line on real 16550s */
#define LSR_DR		0x01	/* a received byte is ready */

/* A client's read waiting for input: its saved reply right. */
struct reader {
	uint64_t reply;		/* 0: none waiting */
	uint64_t count, mode;
	uint64_t seq;		/* when it asked: the oldest is answered first */
};

static uint64_t ep;			/* our endpoint (the starter's grant) */
static uint64_t dev_handle, irq_handle;
static volatile uint8_t *uart;
static bool started;
static bool rx_stopped;			/* the ring is full: receive interrupt off */
static uint8_t ring[CONSOLE_RING];
static unsigned ring_head, ring_len;	/* oldest byte, bytes held */
static uint64_t received, refused, seq;
static struct reader readers[CONSOLE_MAX_CLIENTS];

#define DEFERRED	SERVER_DEFERRED	/* serve(): answered later, not now */

/* --- The input ring ----------------------------------------------------- */

/* Move received bytes from the UART into the ring while it has room. A
 * full ring turns the receive interrupt off, so that the line stops
 * firing and the UART's FIFO (then QEMU) holds the rest: input is held
 * back, never lost, and never a storm of interrupts. */
static void rx_pull(void)
{
	while (ring_len < CONSOLE_RING && (uart[UART_LSR] & LSR_DR)) {
		ring[(ring_head + ring_len) % CONSOLE_RING] = uart[UART_RBR];
		ring_len++;
		received++;
	}
	bool full = ring_len == CONSOLE_RING;
	if (full != rx_stopped) {
		rx_stopped = full;
		uart[UART_IER] = full ? 0 : IER_RX;
	}
}

/* How many bytes a read of count bytes in mode can take now (0: it
 * waits). */
static uint64_t readable(uint64_t count, uint64_t mode)
{
	uint64_t n = count < ring_len ? count : ring_len;

	if (!(mode & CONSOLE_MODE_LINE))
		return n;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t c = ring[(ring_head + i) % CONSOLE_RING];
		if (c == '\n' || c == '\r')
			return i + 1;
	}
	return n == count ? n : 0;	/* a line longer than count: its start */
}

static void ring_peek(uint8_t *dst, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		dst[i] = ring[(ring_head + i) % CONSOLE_RING];
}

static void ring_drop(uint64_t n)
{
	ring_head = (unsigned)((ring_head + n) % CONSOLE_RING);
	ring_len -= (unsigned)n;
}

/* --- Waiting readers ------------------------------------------------- */

static void reader_answer(struct reader *rd, int64_t result, uint64_t len)
{
	struct ipc_msg m = { .info = ipc_info(0, len, 0), .w = { (uint64_t)result } };

	if (ipc_reply(rd->reply, &m) == 0 && len)
		ring_drop(len);		/* taken only if delivered: a dead reader's stays */
	sys_handle_close(rd->reply);
	rd->reply = 0;
}

/* Answer waiting readers, oldest first, while input lets us. */
static void serve_waiting(void)
{
	for (;;) {
		struct reader *best = NULL;
		uint64_t n = 0;

		rx_pull();
		for (unsigned i = 0; i < CONSOLE_MAX_CLIENTS; i++) {
			struct reader *rd = &readers[i];
			uint64_t k;
			if (!rd->reply || (best && rd->seq > best->seq))
				continue;
			if ((k = readable(rd->count, rd->mode)) > 0)
				best = rd, n = k;
		}
		if (!best)
			return;
		ring_peek(ipcbuf(), n);
		reader_answer(best, (int64_t)n, n);
	}
}

/* --- Requests ------------------------------------------------------------ */

static int64_t setup_device(uint64_t h)
{
	struct device_info di;
	int64_t r;

	if (dev_handle)
		return -ERR_EXIST;
	if ((r = driver_map_device(h, DEV_UART, DEV_VA, &di)) < 0)
		return r;
	uart = (volatile uint8_t *)DEV_VA;
	dev_handle = h;
	printf("console: ns16550a at %p, IRQ %u\n", (void *)di.pa, (unsigned)di.irq);
	return 0;
}

/* The interrupt relay: a notification the IRQ is bound to, turned into
 * CONSOLE_IRQ calls on our endpoint, badged so no client can pass for it;
 * then the UART's receive interrupt on. */
static int64_t setup_irq(uint64_t h)
{
	int64_t r;

	if (!dev_handle)
		return -ERR_AGAIN;
	if ((r = driver_irq_relay(h, ep, CONSOLE_IRQ_BADGE, CONSOLE_IRQ)) < 0)
		return r;	/* nothing left behind: a retry starts again */
	irq_handle = h;
	uart[UART_FCR] = FCR_FIFO;
	uart[UART_MCR] |= MCR_OUT2;
	uart[UART_IER] = IER_RX;
	started = true;
	rx_pull();		/* what came before we listened */
	return 0;
}

static int64_t on_irq(void)
{
	rx_pull();			/* clears the UART's condition, then the PLIC's */
	sys_irq_ack(irq_handle);
	serve_waiting();
	return 0;
}

static int64_t info(uint64_t *w)
{
	struct console_info ci = { .magic = CONSOLE_MAGIC, .buffered = ring_len,
				   .received = received, .refused = refused };

	for (unsigned i = 0; i < CONSOLE_MAX_CLIENTS; i++)
		ci.waiting += readers[i].reply != 0;
	memcpy(w, &ci, sizeof(ci));
	return 0;
}

/* CONSOLE_READ from client c: answered now through a saved reply, or
 * parked; either way DEFERRED (or an error to answer at once). */
static int64_t read_req(unsigned c, uint64_t count, uint64_t mode)
{
	struct reader *rd = &readers[c];
	uint64_t n;
	int64_t reply;

	if (count == 0 || count > CONSOLE_READ_MAX || (mode & ~(uint64_t)CONSOLE_MODES))
		return -ERR_INVAL;
	if (!started)
		return -ERR_AGAIN;
	serve_waiting();	/* input goes to those waiting longer first */
	if ((n = readable(count, mode)) > 0) {
		/* Through a saved reply, as for a parked read: the bytes leave
		 * the ring only if the reader was alive to take them (a reply on
		 * the receive link cannot tell). Console input is slow; the cost
		 * of a reply object does not matter. */
		if ((reply = sys_reply_save()) < 0)
			return reply;
		struct reader now = { .reply = (uint64_t)reply };
		ring_peek(ipcbuf(), n);
		reader_answer(&now, (int64_t)n, n);
		if (rx_stopped)
			serve_waiting();	/* room again: more input may flow */
		return DEFERRED;
	}
	if (mode & CONSOLE_MODE_NOWAIT)
		return -ERR_AGAIN;
	/* One read waiting per client: a newer one takes the older's place
	 * (its caller, if alive, is told -ERR_BUSY), so a client whose
	 * reader died is never locked out. */
	if (rd->reply)
		reader_answer(rd, -ERR_BUSY, 0);
	if ((reply = sys_reply_save()) < 0)
		return reply;
	*rd = (struct reader){ .reply = (uint64_t)reply, .count = count, .mode = mode,
			       .seq = ++seq };
	return DEFERRED;
}

/*
 * Granted handles land in the receive slot we name (SYS_IPC_RECV_SLOT):
 * one from the top of our table that no kept handle occupies. We keep at
 * most 2 granted handles; the ones we make take the lowest free slots.
 */
#define LANDING_TOP	127
#define LANDING_SLOTS	3

static void landing_set(void)
{
	for (uint64_t s = LANDING_TOP; s > LANDING_TOP - LANDING_SLOTS; s--) {
		if (s != dev_handle && s != irq_handle) {
			sys_ipc_recv_slot(s);
			return;
		}
	}
}

/* Serve one message: the result word, or DEFERRED (no reply of ours
 * carries a payload: reads answer through saved replies). A handle
 * granted with a message that does not keep it is closed, so a client
 * cannot fill our handle table. */
static int64_t serve(struct ipc_msg *m, uint64_t *w, uint64_t *len)
{
	(void)len;
	uint64_t label = ipc_label(m->info), badge = m->badge;
	bool grant = m->info & IPC_GRANT;
	int64_t granted = grant ? (int64_t)m->w[5] : 0, r;
	bool kept = false;

	if (ipc_len(m->info)) {
		r = -ERR_INVAL;		/* no request carries a payload */
	} else if (badge == CONSOLE_IRQ_BADGE && label == CONSOLE_IRQ) {
		r = on_irq();
	} else if (badge >= CONSOLE_MAX_CLIENTS) {
		r = -ERR_PERM;
	} else if (label == CONSOLE_SETUP_DEVICE || label == CONSOLE_SETUP_IRQ) {
		if (started || badge != 0)	/* setup is the starter's, once */
			r = -ERR_PERM;
		else if (!grant)
			r = -ERR_INVAL;
		else if (granted < 0)
			r = -ERR_BADF;
		else if (label == CONSOLE_SETUP_DEVICE)
			kept = (r = setup_device((uint64_t)granted)) == 0;
		else
			kept = (r = setup_irq((uint64_t)granted)) == 0;
	} else if (grant) {
		r = -ERR_INVAL;		/* nothing else carries a handle */
	} else if (label == CONSOLE_READ) {
		r = read_req((unsigned)badge, m->w[0], m->w[1]);
	} else if (label == CONSOLE_INFO) {
		r = info(w);
	} else {
		r = -ERR_NOSYS;
	}
	if (granted > 0 && !kept)
		sys_handle_close((uint64_t)granted);
	if (kept)
		landing_set();
	return r;
}

/* After an answer went out: count refusals. */
static void replied(int64_t res, uint64_t len)
{
	(void)len;
	if (res < 0)
		refused++;
}

static const struct server_ops console_server = { .serve = serve, .replied = replied };

int main(void)
{
	ep = libsys_start_info.granted;
	if (!ep) {
		printf("console: started without an endpoint; see docs/console-protocol.md\n");
		return 1;
	}
	landing_set();
	return server_run("console", ep, &console_server);
}
