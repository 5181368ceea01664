/*
 * Zeroing at idle (zeropool.c): the pager fills page.c's zeroed pool while
 * the hart has nothing else to run, so a fault that needs a zero-filled
 * frame usually finds one ready.
 */
#ifndef PAGER_ZEROPOOL_H
#define PAGER_ZEROPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include "abi/kernel.h"

/* The label of the kernel's idle message (SYS_IDLE_NOTIFY), and the info
 * word it arrives with: IPC_KERNEL, so no process can send it. */
#define PAGER_IDLE_LABEL	0x1d1e
#define PAGER_IDLE_INFO		((PAGER_IDLE_LABEL << IPC_LABEL_SHIFT) | IPC_KERNEL)

/* Frames the pool is filled to, and the most one idle message zeroes: a
 * fault that arrives meanwhile waits behind one batch at most. */
#define ZEROPOOL_TARGET		256
#define ZEROPOOL_BATCH		16

extern bool zeropool_armed;	/* an idle message is asked for */
void zeropool_arm(void);
/* A zeroed frame was taken: ask to refill when the hart next idles. */
static inline void zeropool_used(void)
{
	if (!zeropool_armed)
		zeropool_arm();
}
/* The idle message: zero a batch, ask for another if more is wanted. */
void zeropool_idle(void);
/* PAGER_ZEROPOOL's answer (abi/pager.h), in w[0..4]. */
void zeropool_stats(uint64_t *w);

#endif
