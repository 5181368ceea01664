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

#endif
