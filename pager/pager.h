/*
 * What the pager's parts share: its endpoint, the boot information and the
 * boot image, and the one-line report format for ended processes.
 */
#ifndef PAGER_PAGER_H
#define PAGER_PAGER_H

#include <stdint.h>
#include "abi/kernel.h"

extern uint64_t pager_ep;		/* our endpoint handle (receive) */
extern const struct boot_info *boot;
extern const void *initrd;

#define pager_log(...) printf("pager: " __VA_ARGS__)

/* An answer to a thread (its handle) sent with the next receive (main.c):
 * the last thing a request does; flush sends it now, drop forgets it as
 * its thread goes. */
struct ipc_msg;
void reply_later(uint64_t thread, const struct ipc_msg *m);
void reply_later_flush(void);
void reply_later_drop(uint64_t thread);
/* The same with pages of ours mapped into the task (handle) of the thread
 * first, by the kernel in the same entry (SYS_IPC_REPLY_TO_RECV's map
 * item): `src` our address | (pages - 1), `dst` theirs | MAP_* rights. If
 * the answer cannot go, nothing is mapped. Returns the answer, for the
 * caller to write (no copy of one built elsewhere). */
struct ipc_msg *reply_later_map(uint64_t thread, uint64_t task, uint64_t src, uint64_t dst);
/* The answer reply_later_map will send, nothing pending (a pending one is
 * sent now): written first by a caller that knows the thread only later. */
struct ipc_msg *reply_later_slot(void);

#endif
