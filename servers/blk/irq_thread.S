/*
 * The driver's interrupt thread: it runs alone in a task of its own, where
 * the driver maps this one page of code and nothing else (no stack, no
 * data, no pager), so it is written without either. It waits on the
 * notification the device's IRQ is bound to and turns each wake-up into a
 * call (label BLK_IRQ) on the driver's endpoint; the driver answers when it
 * has handled the interrupt. A single-threaded driver can then wait for
 * requests and interrupts in one receive.
 *
 * a0 = notification handle | endpoint handle << 16 (in the thread's task).
 */
/* The C headers hold C; main.c checks these against them. */
#define NR_IPC_CALL	3	/* SYS_IPC_CALL */
#define NR_WAIT		12	/* SYS_WAIT */
#define NR_THREAD_EXIT	17	/* SYS_THREAD_EXIT */
#define IRQ_INFO	(10 << 16)	/* ipc_info(BLK_IRQ, 0, 0) */

	.section .text.blk_irq_thread, "ax"
	.balign 4096
	.globl blk_irq_thread
blk_irq_thread:
	slli	s0, a0, 48
	srli	s0, s0, 48		/* s0: notification */
	srli	s1, a0, 16		/* s1: endpoint */
1:	mv	a0, s0
	li	t0, NR_WAIT
	ecall
	bltz	a0, 2f			/* the notification is gone: stop */
	mv	a2, a0			/* w0: the bits, for the curious */
	mv	a0, s1
	li	a1, IRQ_INFO
	li	a3, 0
	li	a4, 0
	li	a5, 0
	li	a6, 0
	li	a7, 0
	li	t0, NR_IPC_CALL
	ecall
	bltz	a0, 2f			/* the driver is gone: stop */
	j	1b
2:	li	t0, NR_THREAD_EXIT
	ecall
	.globl blk_irq_thread_end
blk_irq_thread_end:
