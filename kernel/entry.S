/*
 * Boot entry. OpenSBI jumps here in S-mode at the physical load address with
 * a0 = hart id, a1 = device tree. We turn on Sv39 with a boot page table
 * that maps the first 16 GiB of physical memory both at KERNBASE and
 * (for the jump itself) at its identity address, then continue at the
 * kernel's link address in kmain.
 */
#define KERNBASE_HI 0xffffffc000000000

	.section .text.entry
	.globl _start
_start:
	/* Harts other than the one OpenSBI picked never get here (fw_dynamic
	 * uses HSM). Interrupts are off: sstatus.SIE is 0 on entry. */
	lla	t0, boot_root
	srli	t0, t0, 12
	li	t1, 8
	slli	t1, t1, 60
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma

	/* Jump to the high (link) address of the rest. */
	ld	t0, high_entry_addr
	jr	t0

	.section .text
high_entry:
	la	sp, boot_stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	kmain
3:	wfi
	j	3b

	.section .rodata
	.balign 8
high_entry_addr:
	.quad	high_entry

/* Gigapage PTE for physical GiB i: V R W X A D G. */
#define GIGA_PTE(i) (((i) << 28) | 0xef)

	.section .data
	.balign 4096
	.globl boot_root
boot_root:
	.quad	0
	.quad	0
	.quad	GIGA_PTE(2)		/* identity 0x80000000: the jump only */
	.fill	253, 8, 0
	.set	i, 0
	.rept	16			/* KERNBASE + 0 .. 16 GiB */
	.quad	GIGA_PTE(i)
	.set	i, i + 1
	.endr
	.fill	240, 8, 0

	.section .bss
	.balign 16
	.globl boot_stack_top
boot_stack:
	.space	16384
boot_stack_top:
