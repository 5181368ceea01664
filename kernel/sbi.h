/* Calls into OpenSBI (the SBI v1.0 extensions we need). */
#ifndef KERNEL_SBI_H
#define KERNEL_SBI_H

#include <stdint.h>

void sbi_set_timer(uint64_t when);
_Noreturn void sbi_shutdown(int failure);
void sbi_console_putchar(int c);

#endif
