/*
 * The console protocol: requests a client sends to the UART driver
 * (servers/console, an ns16550a driver for QEMU virt) with an IPC call,
 * shared by the driver and the libsys client (libsys/src/console.c).
 * docs/console-protocol.md explains it. The driver owns the console's
 * input; output still goes through the kernel's debug console
 * (SYS_DEBUG_WRITE), which writes the same UART.
 *
 * Every request: info label = CONSOLE_*, no payload (a payload is
 * -ERR_INVAL), words as below; the reply's w[0] is the result, >= 0 or a
 * negated ERR_*. A read that finds no input is not answered until input
 * comes: the driver saves the call's reply right (SYS_REPLY_SAVE) and
 * answers it from its interrupt path, so it never waits on a client.
 *
 *  label                request                        reply
 *  CONSOLE_SETUP_DEVICE grant: w5 a device handle      w0 0 if it is the UART
 *                                                      (kept), else -ERR_NODEV
 *  CONSOLE_SETUP_IRQ    grant: w5 the UART's IRQ       w0 0: input is on; setup
 *                       handle                         is closed (then -ERR_PERM)
 *  CONSOLE_READ         w0 count (1..CONSOLE_READ_MAX) w0 n (1..count) bytes,
 *                       w1 CONSOLE_MODE_* flags        the payload (len n)
 *  CONSOLE_INFO         -                              struct console_info
 *
 * CONSOLE_READ modes: CONSOLE_MODE_BYTES answers as soon as any input is
 * buffered (up to count bytes); CONSOLE_MODE_LINE when a line ending
 * ('\n' or '\r', included in the reply) is among the first count bytes
 * or count bytes are buffered. CONSOLE_MODE_NOWAIT: -ERR_AGAIN instead of
 * waiting. A client has at most one read waiting (a second is -ERR_BUSY);
 * waiting readers are answered in the order they asked.
 *
 * The badge the driver sees names the client: 0 is the starter (setup,
 * and a client too), 1 .. CONSOLE_MAX_CLIENTS-1 clients it minted
 * badged send-only copies for; any other badge is -ERR_PERM.
 */
#ifndef ABI_CONSOLE_H
#define ABI_CONSOLE_H

#include <stdint.h>
#include "kernel.h"

enum console_label {
	CONSOLE_SETUP_DEVICE = 1,
	CONSOLE_SETUP_IRQ,
	CONSOLE_READ,
	CONSOLE_INFO,
	CONSOLE_IRQ,		/* from the driver's own interrupt relay only */
	CONSOLE_LABEL_COUNT
};

#define CONSOLE_MODE_BYTES	0
#define CONSOLE_MODE_LINE	1
#define CONSOLE_MODE_NOWAIT	2
#define CONSOLE_MODES		3	/* every flag */

#define CONSOLE_MAX_CLIENTS	8	/* badges 0 .. 7 */
#define CONSOLE_READ_MAX	1024	/* bytes per CONSOLE_READ */
#define CONSOLE_RING		4096	/* input buffered in the driver */
#define CONSOLE_MAGIC		0x636f6e736f6c65ul	/* "console" */
/* The badge of the driver's interrupt relay's endpoint handle. */
#define CONSOLE_IRQ_BADGE	(1ul << 61)

/* Reply to CONSOLE_INFO: what the driver holds and has done. */
struct console_info {
	int64_t result;		/* 0 */
	uint64_t magic;		/* CONSOLE_MAGIC: the handle is a console */
	uint64_t buffered;	/* input bytes waiting in the driver */
	uint64_t received;	/* input bytes taken from the UART since setup */
	uint64_t refused;	/* requests answered with an error */
	uint64_t waiting;	/* reads waiting for input */
};

_Static_assert(sizeof(struct console_info) == IPC_WORDS * 8, "console_info is the message words");
_Static_assert(CONSOLE_READ_MAX <= IPC_BUF_SIZE, "a read fits the IPC buffer");
_Static_assert(CONSOLE_READ_MAX <= CONSOLE_RING, "a line read can be answered from a full ring");

/*
 * The libsys client (libsys/src/console.c). Results >= 0, or a negated
 * ERR_*.
 */
struct proc_device;

/* Spawn the driver "console" with a new endpoint and offer it devs[i]'s
 * device handle for each i until one is the UART, then its IRQ handle.
 * Returns the endpoint (unbadged, all rights: the starter's); *pid (if
 * not NULL) the driver's pid. */
int64_t console_spawn(const struct proc_device *devs, uint64_t ndevs, int64_t *pid);
/* A badged send-only copy of ep for client badge (1 .. CONSOLE_MAX_CLIENTS-1),
 * with RIGHT_GRANT so that it can be handed to a child. */
int64_t console_client(uint64_t ep, uint64_t badge);
/* Read up to count bytes into buf (CONSOLE_MODE_* in mode): n, or -ERR_*. */
int64_t console_read(uint64_t ep, void *buf, uint64_t count, uint64_t mode);
/* CONSOLE_INFO into *ci: 0 if ep is a console, else -ERR_*. */
int64_t console_info(uint64_t ep, struct console_info *ci);

#endif
