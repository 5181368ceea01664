/*
 * Guest code for test_mapdb.c: a page of RISC-V code that test_mapdb maps
 * into the tasks it makes (and they into theirs), at the same address, and
 * the addresses it uses. It runs with no stack and no libc: only registers,
 * ecalls and the pages mapped for it.
 */
#ifndef TEST_MAPDB_GUEST_H
#define TEST_MAPDB_GUEST_H

#include "abi/kernel.h"

#define DATA_VA		0x40000000ul
#define DATA2_VA	0x40001000ul
#define DATA3_VA	0x40002000ul
#define MBOX_VA		0x41000000ul	/* our mailbox page, in B and C */
#define PARAM_VA	0x41001000ul	/* read-only parameters for B */
#define SECRET		0x5ec2e75ec2e7ul

/* Syscall numbers the guest code uses (checked against abi/kernel.h). */
#define NR_TASK_CREATE	13
#define NR_THREAD_CREATE 16
#define NR_THREAD_EXIT	17
#define NR_MAP		20
_Static_assert(NR_TASK_CREATE == SYS_TASK_CREATE, "");
_Static_assert(NR_THREAD_CREATE == SYS_THREAD_CREATE, "");
_Static_assert(NR_THREAD_EXIT == SYS_THREAD_EXIT, "");
_Static_assert(NR_MAP == SYS_MAP, "");
#define S_(x) #x
#define S(x) S_(x)

/*
 * Guest code, one page, mapped into B (and by B into C) at the same
 * address:
 *   guest_copy(slot)  forever: mailbox[slot / 8] = *DATA_VA
 *   guest_write       forever: *DATA_VA = 0x5a5a
 *   guest_b           make task C, map DATA, the mailbox and this page
 *                     into it, start guest_copy(8) there with the
 *                     endpoint handle PARAM[0] as its pager (badge 2);
 *                     results into mailbox words 2..6; exit
 *   guest_self        with its own task handle PARAM[1]: map DATA_VA at
 *                     DATA2_VA (ok), DATA2_VA at DATA3_VA (refused: a
 *                     copy of a page of its own space), DATA_VA over
 *                     itself (refused); results into words 7..9, then
 *                     word 10 = 1; exit
 *   guest_chain(n)    n > 0: make a task, map DATA, the mailbox and this
 *                     page into it, run guest_chain(n - 1) there (no
 *                     pager), exit (an error into word 12); n = 0:
 *                     forever mailbox[11] = *DATA_VA
 */
void guest_page(void);
void guest_copy(void);
void guest_write(void);
void guest_b(void);
void guest_self(void);
void guest_chain(void);
__asm__(".pushsection .text.guest, \"ax\"\n"
	".balign 4096\n"
	".globl guest_page\n"
	"guest_page:\n"
	".globl guest_copy\n"
	"guest_copy:\n"
	"	li t0, " S(DATA_VA) "\n"
	"	ld t1, 0(t0)\n"
	"	li t0, " S(MBOX_VA) "\n"
	"	add t0, t0, a0\n"
	"	sd t1, 0(t0)\n"
	"	j guest_copy\n"
	".globl guest_write\n"
	"guest_write:\n"
	"	li t0, " S(DATA_VA) "\n"
	"	li t1, 0x5a5a\n"
	"1:	sd t1, 0(t0)\n"
	"	j 1b\n"
	".globl guest_b\n"
	"guest_b:\n"
	"	li s1, " S(MBOX_VA) "\n"
	"	li t0, " S(NR_TASK_CREATE) "\n"
	"	ecall\n"
	"	mv s0, a0\n"
	"	sd a0, 16(s1)\n"
	"	mv a0, s0\n"
	"	li a1, " S(DATA_VA) "\n"
	"	mv a2, a1\n"
	"	li a3, 3\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 24(s1)\n"
	"	mv a0, s0\n"
	"	mv a1, s1\n"
	"	mv a2, s1\n"
	"	li a3, 3\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 32(s1)\n"
	"	mv a0, s0\n"
	"	la a1, guest_page\n"
	"	mv a2, a1\n"
	"	li a3, 5\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 40(s1)\n"
	"	mv a0, s0\n"
	"	la a1, guest_copy\n"
	"	li a2, 0\n"
	"	li a3, 8\n"
	"	li t0, " S(PARAM_VA) "\n"
	"	ld a4, 0(t0)\n"
	"	li a5, 2\n"
	"	li t0, " S(NR_THREAD_CREATE) "\n"
	"	ecall\n"
	"	sd a0, 48(s1)\n"
	"	li t0, " S(NR_THREAD_EXIT) "\n"
	"	ecall\n"
	".globl guest_self\n"
	"guest_self:\n"
	"	li s1, " S(MBOX_VA) "\n"
	"	li t0, " S(PARAM_VA) "\n"
	"	ld s0, 8(t0)\n"
	"	mv a0, s0\n"
	"	li a1, " S(DATA_VA) "\n"
	"	li a2, " S(DATA2_VA) "\n"
	"	li a3, 1\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 56(s1)\n"
	"	mv a0, s0\n"
	"	li a1, " S(DATA2_VA) "\n"
	"	li a2, " S(DATA3_VA) "\n"
	"	li a3, 1\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 64(s1)\n"
	"	mv a0, s0\n"
	"	li a1, " S(DATA_VA) "\n"
	"	mv a2, a1\n"
	"	li a3, 1\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	sd a0, 72(s1)\n"
	"	li t0, 1\n"
	"	sd t0, 80(s1)\n"
	"	li t0, " S(NR_THREAD_EXIT) "\n"
	"	ecall\n"
	".globl guest_chain\n"
	"guest_chain:\n"
	"	mv s2, a0\n"
	"	li s1, " S(MBOX_VA) "\n"
	"	beqz s2, 2f\n"
	"	li t0, " S(NR_TASK_CREATE) "\n"
	"	ecall\n"
	"	mv s0, a0\n"
	"	blt a0, zero, 3f\n"
	"	li a1, " S(DATA_VA) "\n"
	"	mv a2, a1\n"
	"	li a3, 3\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	bnez a0, 3f\n"
	"	mv a0, s0\n"
	"	mv a1, s1\n"
	"	mv a2, s1\n"
	"	li a3, 3\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	bnez a0, 3f\n"
	"	mv a0, s0\n"
	"	la a1, guest_page\n"
	"	mv a2, a1\n"
	"	li a3, 5\n"
	"	li t0, " S(NR_MAP) "\n"
	"	ecall\n"
	"	bnez a0, 3f\n"
	"	mv a0, s0\n"
	"	la a1, guest_chain\n"
	"	li a2, 0\n"
	"	addi a3, s2, -1\n"
	"	li a4, 0\n"
	"	li a5, 0\n"
	"	li t0, " S(NR_THREAD_CREATE) "\n"
	"	ecall\n"
	"	blt a0, zero, 3f\n"
	"	li t0, " S(NR_THREAD_EXIT) "\n"
	"	ecall\n"
	"2:	li t0, " S(DATA_VA) "\n"
	"	ld t1, 0(t0)\n"
	"	sd t1, 88(s1)\n"
	"	j 2b\n"
	"3:	sd a0, 96(s1)\n"
	"	li t0, " S(NR_THREAD_EXIT) "\n"
	"	ecall\n"
	".balign 4096\n"
	".popsection\n");

#endif
