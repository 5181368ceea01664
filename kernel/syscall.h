/* Syscall dispatch. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>
#include "object.h"

/* A handler's "registers already set" result. */
#define SYS_NORESULT INT64_MIN

void syscall_dispatch(struct thread *t);

/* Notification bits a handle's badge stands for: its low 63 bits, or bit 0
 * for an unbadged handle (bit 63 stays clear so results are never < 0). */
static inline uint64_t notif_bits(uint64_t badge)
{
	badge &= ~(1ul << 63);
	return badge ? badge : 1;
}

#endif
