/*
 * The relay thread (blk_relay_start in blk.c): it runs alone in a task of
 * its own, where only this page of code is mapped (no stack, no data, no
 * pager), so it is written without either. It waits on a notification and
 * turns each wake-up into a message sent to an endpoint (SYS_IPC_SEND:
 * nothing to answer), then waits again once the message is taken; wakes
 * meanwhile gather in the notification's bits. A single-threaded server can so wait for its
 * clients and for a notification (an IRQ, disk completions) in one receive.
 *
 * a0 = notification handle | endpoint handle << 16 | label << 32 (the
 * handles in the thread's task).
 */
/* The C headers hold C; blk.c checks these against them. */
#define NR_IPC_SEND	4	/* SYS_IPC_SEND */
#define NR_WAIT		12	/* SYS_WAIT */
#define NR_THREAD_EXIT	17	/* SYS_THREAD_EXIT */

	.section .text.blk_relay_thread, "ax"
	.balign 4096
	.globl blk_relay_thread
blk_relay_thread:
	slli	s0, a0, 48
	srli	s0, s0, 48		/* s0: notification */
	slli	s1, a0, 32
	srli	s1, s1, 48		/* s1: endpoint */
	srli	s2, a0, 32
	slli	s2, s2, 16		/* s2: the call's info, label << 16 */
1:	mv	a0, s0
	li	t0, NR_WAIT
	ecall
	bltz	a0, 2f			/* the notification is gone: stop */
	mv	a2, a0			/* w0: the bits, for the curious */
	mv	a0, s1
	mv	a1, s2
	li	a3, 0
	li	a4, 0
	li	a5, 0
	li	a6, 0
	li	a7, 0
	li	t0, NR_IPC_SEND
	ecall
	bltz	a0, 2f			/* the endpoint is gone: stop */
	j	1b
2:	li	t0, NR_THREAD_EXIT
	ecall
	.globl blk_relay_thread_end
blk_relay_thread_end:
