/*
 * SBI calls: the timer (TIME extension), system reset (SRST) and the legacy
 * console used before the device tree told us where the UART is.
 */
#include "sbi.h"
#include "riscv.h"

#define SBI_EXT_TIME	0x54494d45
#define SBI_EXT_SRST	0x53525354

static long sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1)
{
	register uint64_t r0 __asm__("a0") = a0;
	register uint64_t r1 __asm__("a1") = a1;
	register uint64_t r6 __asm__("a6") = fid;
	register uint64_t r7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
	return (long)r0;
}

void sbi_set_timer(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, 0, when, 0);
}

void sbi_console_putchar(int c)
{
	sbi_call(1, 0, (uint64_t)c, 0);	/* legacy extension 0x01 */
}

_Noreturn void sbi_shutdown(int failure)
{
	/* SRST: type 0 = shutdown, reason 1 = system failure. */
	sbi_call(SBI_EXT_SRST, 0, 0, failure ? 1 : 0);
	for (;;)
		wfi();
}
