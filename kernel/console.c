/*
 * The kernel's debug console: a polled NS16550 UART found in the device
 * tree, reached through the physical-memory map. Until it is known, output
 * goes through the SBI legacy console. The kernel only writes: input is
 * the user-level driver's (servers/console).
 */
#include "lib.h"
#include "riscv.h"
#include "sbi.h"

#define UART_THR	0
#define UART_LSR	5
#define UART_LSR_THRE	0x20

static volatile uint8_t *uart;

void console_init(uint64_t uart_pa)
{
	if (uart_pa)
		uart = P2V(uart_pa);
}

void console_putc(char c)
{
	if (!uart) {
		sbi_console_putchar(c);
		return;
	}
	while (!(uart[UART_LSR] & UART_LSR_THRE))
		;
	uart[UART_THR] = (uint8_t)c;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			console_putc('\r');
		console_putc(s[i]);
	}
}
