/* Syscall dispatch and the kernel's one device-control object. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>
#include "object.h"

void syscall_init(uint64_t mem_base, uint64_t mem_end);
/* A handler's "registers already set" result. */
#define SYS_NORESULT INT64_MIN

void syscall_dispatch(struct thread *t);
struct kobj *syscall_devctl(void);

/* Notification bits a handle's badge stands for: its low 63 bits, or bit 0
 * for an unbadged handle (bit 63 stays clear so results are never < 0). */
static inline uint64_t notif_bits(uint64_t badge)
{
	badge &= ~(1ul << 63);
	return badge ? badge : 1;
}

#endif
