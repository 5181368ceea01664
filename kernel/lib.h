/*
 * Kernel support library: memory and string helpers, formatted output to
 * the boot console, and panic for broken kernel invariants.
 */
#ifndef KERNEL_LIB_H
#define KERNEL_LIB_H

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

void console_init(uint64_t uart_pa);
void console_putc(char c);
void console_write(const char *s, size_t n);

/* printf subset: %d %u %x %lx %lu %ld %s %c %p %% (with width/zero pad). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KASSERT(c) do { if (!(c)) panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__); } while (0)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

#endif
