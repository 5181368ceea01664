/*
 * Trap entry and exit. While a user thread runs, sscratch points at its
 * saved-register area (struct regs: x[0] holds the pc, x[1..31] the
 * registers); while the kernel runs, sscratch is 0. A trap from user mode
 * saves every register there, runs trap_handler on the single kernel stack
 * and resumes whichever thread it returns. The kernel never takes
 * interrupts (sstatus.SIE stays 0), so a trap from S-mode is a kernel bug:
 * kernel_trap dumps the registers and stops.
 */
	.section .text
	.globl trap_entry
	.balign 4
trap_entry:
	csrrw	t6, sscratch, t6
	beqz	t6, from_kernel
	sd	ra, 8(t6)
	sd	sp, 16(t6)
	sd	gp, 24(t6)
	sd	tp, 32(t6)
	sd	t0, 40(t6)
	sd	t1, 48(t6)
	sd	t2, 56(t6)
	sd	s0, 64(t6)
	sd	s1, 72(t6)
	sd	a0, 80(t6)
	sd	a1, 88(t6)
	sd	a2, 96(t6)
	sd	a3, 104(t6)
	sd	a4, 112(t6)
	sd	a5, 120(t6)
	sd	a6, 128(t6)
	sd	a7, 136(t6)
	sd	s2, 144(t6)
	sd	s3, 152(t6)
	sd	s4, 160(t6)
	sd	s5, 168(t6)
	sd	s6, 176(t6)
	sd	s7, 184(t6)
	sd	s8, 192(t6)
	sd	s9, 200(t6)
	sd	s10, 208(t6)
	sd	s11, 216(t6)
	sd	t3, 224(t6)
	sd	t4, 232(t6)
	sd	t5, 240(t6)
	csrrw	t5, sscratch, zero
	sd	t5, 248(t6)
	csrr	t5, sepc
	sd	t5, 0(t6)
	la	sp, kstack_top
	mv	a0, t6
	call	trap_handler

/* user_return(struct regs *r): resume a user thread. Does not return. */
	.globl user_return
user_return:
	csrw	sscratch, a0
	ld	t0, 0(a0)
	csrw	sepc, t0
	ld	ra, 8(a0)
	ld	sp, 16(a0)
	ld	gp, 24(a0)
	ld	tp, 32(a0)
	ld	t0, 40(a0)
	ld	t1, 48(a0)
	ld	t2, 56(a0)
	ld	s0, 64(a0)
	ld	s1, 72(a0)
	ld	a1, 88(a0)
	ld	a2, 96(a0)
	ld	a3, 104(a0)
	ld	a4, 112(a0)
	ld	a5, 120(a0)
	ld	a6, 128(a0)
	ld	a7, 136(a0)
	ld	s2, 144(a0)
	ld	s3, 152(a0)
	ld	s4, 160(a0)
	ld	s5, 168(a0)
	ld	s6, 176(a0)
	ld	s7, 184(a0)
	ld	s8, 192(a0)
	ld	s9, 200(a0)
	ld	s10, 208(a0)
	ld	s11, 216(a0)
	ld	t3, 224(a0)
	ld	t4, 232(a0)
	ld	t5, 240(a0)
	ld	t6, 248(a0)
	ld	a0, 80(a0)
	sret

from_kernel:
	csrrw	t6, sscratch, t6
	addi	sp, sp, -256
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, (\n * 8)(sp)
	.endr
	addi	t0, sp, 256
	sd	t0, 16(sp)		/* sp at the time of the trap */
	csrr	t0, sepc
	sd	t0, 0(sp)
	mv	a0, sp
	call	kernel_trap

/* Load and store the FP registers of a thread (f0..f31, then fcsr): the
 * only FP instructions in the kernel. */
	.option push
	.option arch, +d
	.globl fp_save
fp_save:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd	f\n, (\n * 8)(a0)
	.endr
	frcsr	t0
	sd	t0, 256(a0)
	ret

	.globl fp_load
fp_load:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld	f\n, (\n * 8)(a0)
	.endr
	ld	t0, 256(a0)
	fscsr	t0
	ret
	.option pop

	.section .bss
	.balign 16
kstack:
	.space	16384
	.globl kstack_top
kstack_top:
