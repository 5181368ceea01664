/*
 * Where a signal handler starts and ends (docs/signals.md). The pager
 * starts the thread at __psig_entry with sp at a struct psig_frame
 * (abi/signal.h) and nothing else promised: every register but sp and pc
 * still holds the interrupted code's value (or a reply just received) and
 * is free to use, since the pager restores them all from the frame at
 * sigreturn. The FP registers are the interrupted code's too and nobody
 * else saves them: they go in the frame here and come back before the
 * `ebreak` at __psig_return, which the pager takes as sigreturn (the
 * address is registered with every PAGER_SIGACTION).
 */
#include "abi/signal.h"

#define ENTRY(i)	(PSIG_FRAME_ENTRY_REGS + 8 * (i))
#define FP(i)		(PSIG_FRAME_UC + PSIG_UC_FPREGS + 8 * (i))

	.text
	.balign 4
	.globl __psig_entry
__psig_entry:
	sd	a0, ENTRY(0)(sp)	/* maybe a reply that landed: PSIGF_LIVE */
	sd	a1, ENTRY(1)(sp)
	sd	a2, ENTRY(2)(sp)
	sd	a3, ENTRY(3)(sp)
	sd	a4, ENTRY(4)(sp)
	sd	a5, ENTRY(5)(sp)
	sd	a6, ENTRY(6)(sp)
	sd	a7, ENTRY(7)(sp)
	sd	t1, ENTRY(8)(sp)
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd	f\n, FP(\n)(sp)
	.endr
	frcsr	t0
	sd	t0, FP(32)(sp)
	/* A thread that never ran (a fork child, signalled before its entry
	 * code) has no global or thread pointer yet: the handler needs both.
	 * sigreturn puts the interrupted ones back. */
	.option push
	.option norelax
	lla	gp, __global_pointer$
	.option pop
	lla	tp, __tls_base
	mv	s0, sp
	mv	a0, sp
	call	__psig_dispatch		/* the handler, from C */
	mv	sp, s0
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld	f\n, FP(\n)(sp)
	.endr
	ld	t0, FP(32)(sp)
	fscsr	t0
	.globl __psig_return
__psig_return:
	ebreak				/* sigreturn: the pager takes it from here */
	j	__psig_return		/* not reached */
