/*
 * Tiny guest programs for tests that build task graphs: plain assembly on
 * one page of our text (mapped at the same address into the tasks we make),
 * using no stack and no pager, so a thread can run in a task that has only
 * that page and guest_page (our shared data page) mapped.
 *
 *   guest_chain   a0 = n | flags << 32. Counts itself in guest_page[0];
 *                 if n > 0 creates a child task, maps the two pages into
 *                 it, starts guest_chain there with n - 1 and exits. So
 *                 one thread makes a chain of n + 1 nested tasks.
 *                 GUEST_PASS: hand our handle slot 1 down to the child
 *                 (which gets it as its slot 1) and close ours: only the
 *                 deepest task keeps it. GUEST_SEND (this level only):
 *                 send the child's handle, granted, to our slot 2.
 *                 A failure counts in guest_page[1].
 *   guest_serve   a0 = an endpoint slot: receive one message on it, then
 *                 fault (a load from 0), holding the message's reply: a
 *                 pager that faults while serving.
 *   guest_spin    loops forever counting in guest_page[8] and keeping in
 *                 guest_page[9] the longest gap (in rdtime ticks) it saw
 *                 between two turns: how long it was kept from running;
 *                 guest_page[10] counts the gaps over GUEST_GAP_TICKS:
 *                 how many times it got the CPU back.
 */
#ifndef TEST_GUEST_H
#define TEST_GUEST_H

#include <stdint.h>
#include "libsys.h"

#define GUEST_SEND	1ul
#define GUEST_PASS	2ul
#define GUEST_GAP_TICKS	20000	/* 2 ms at 10 MHz: far over one loop turn */

/* The numbers below are spelled out in the assembly. */
_Static_assert(SYS_IPC_SEND == 4 && SYS_IPC_RECV == 5 && SYS_IPC_REPLY_RECV == 6 &&
	       SYS_TASK_CREATE == 13 && SYS_THREAD_CREATE == 16 && SYS_THREAD_EXIT == 17 &&
	       SYS_HANDLE_CLOSE == 18 && SYS_HANDLE_GRANT == 19 && SYS_MAP == 20,
	       "guest.h hard-codes syscall numbers");
_Static_assert(MAP_R == 1 && MAP_W == 2 && MAP_X == 4 && RIGHTS_ALL == 15 &&
	       IPC_GRANT == 0x2000, "guest.h hard-codes rights and flags");

uint64_t guest_page[512] __attribute__((aligned(4096)));
void guest_chain(void);
void guest_spin(void);
void guest_serve(void);

__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl guest_chain\n"
	"guest_chain:\n"
	"	li t1, 0xffffffff\n"
	"	and s0, a0, t1\n"		/* s0 = n */
	"	srli s1, a0, 32\n"		/* s1 = flags */
	"	la t2, guest_page\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"	beqz s0, 9f\n"
	"	li t0, 13\n"			/* task_create */
	"	ecall\n"
	"	bltz a0, 8f\n"
	"	mv s2, a0\n"
	"	la a1, guest_chain\n"		/* map our code page */
	"	mv a2, a1\n"
	"	li a3, 5\n"
	"	li t0, 20\n"
	"	ecall\n"
	"	bnez a0, 8f\n"
	"	mv a0, s2\n"			/* and the data page */
	"	la a1, guest_page\n"
	"	mv a2, a1\n"
	"	li a3, 3\n"
	"	li t0, 20\n"
	"	ecall\n"
	"	bnez a0, 8f\n"
	"	andi t1, s1, 2\n"
	"	beqz t1, 1f\n"
	"	mv a0, s2\n"			/* GUEST_PASS: grant slot 1 down */
	"	li a1, 1\n"
	"	li a2, 0\n"
	"	li a3, 15\n"
	"	li t0, 19\n"
	"	ecall\n"
	"	bltz a0, 8f\n"
	"	li a0, 1\n"			/* and close ours */
	"	li t0, 18\n"
	"	ecall\n"
	"1:	andi t1, s1, 1\n"
	"	beqz t1, 2f\n"
	"	li a0, 2\n"			/* GUEST_SEND: the child's handle */
	"	li a1, 0x2000\n"
	"	mv a7, s2\n"
	"	li t0, 4\n"
	"	ecall\n"
	"	bnez a0, 8f\n"
	"2:	mv a0, s2\n"			/* thread_create(child, ...) */
	"	la a1, guest_chain\n"
	"	li a2, 0\n"
	"	addi a3, s0, -1\n"
	"	andi t1, s1, 2\n"
	"	slli t1, t1, 32\n"
	"	or a3, a3, t1\n"
	"	li a4, 0\n"
	"	li a5, 0\n"
	"	li t0, 16\n"
	"	ecall\n"
	"	bltz a0, 8f\n"
	"9:	li t0, 17\n"			/* thread_exit */
	"	ecall\n"
	"8:	la t2, guest_page + 8\n"
	"	li t3, 1\n"
	"	amoadd.d zero, t3, (t2)\n"
	"	j 9b\n"
	".globl guest_serve\n"
	"guest_serve:\n"
	"	li a1, 0\n"
	"	li t0, 5\n"			/* recv(a0) */
	"	ecall\n"
	"	ld t1, 0(zero)\n"		/* fault, holding the reply */
	"	j guest_serve\n"
	".globl guest_spin\n"
	"guest_spin:\n"
	"	la t2, guest_page\n"
	"	rdtime s1\n"
	"	li s2, 20000\n"			/* GUEST_GAP_TICKS */
	"3:	rdtime t0\n"
	"	sub t1, t0, s1\n"
	"	bleu t1, s2, 5f\n"
	"	ld t3, 80(t2)\n"
	"	addi t3, t3, 1\n"
	"	sd t3, 80(t2)\n"
	"5:	ld t3, 72(t2)\n"
	"	bleu t1, t3, 4f\n"
	"	sd t1, 72(t2)\n"
	"4:	mv s1, t0\n"
	"	ld t3, 64(t2)\n"
	"	addi t3, t3, 1\n"
	"	sd t3, 64(t2)\n"
	"	j 3b\n"
	".balign 4096\n"
	".popsection\n");

/* Make guest_chain's two pages present in our space, so we can map them. */
static inline void guest_touch(void)
{
	guest_page[2] = 0;
	(void)*(volatile uint32_t *)(uintptr_t)guest_chain;
}

/* Map the guest pages into task (ours or one of ours). */
static inline int64_t guest_map(uint64_t task)
{
	int64_t r = sys_map(task, (uint64_t)guest_chain, (uint64_t)guest_chain, MAP_R | MAP_X);

	return r ? r : sys_map(task, (uint64_t)guest_page, (uint64_t)guest_page, MAP_R | MAP_W);
}

#endif
