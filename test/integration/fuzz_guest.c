/*
 * The code the fuzzer's guest threads run (fuzz_fault.c makes them and
 * answers their faults): a loop of random loads, stores and jumps in the
 * data window at 0x40000000 that faults soon wherever it is entered, and
 * a probe for FZ_DERIVED. It is mapped into the guest task at the same
 * address as in the child.
 */
#include "fuzz.h"

/*
 * The guest loop, in two flavours: GUEST_LOOP(name, syscalls). A step is
 * a load, a store, a jump or a fourth kind: a breakpoint one time in
 * eight, else nothing, or with syscalls (FZ_GUEST_SYS) an ecall from a
 * table of calls that cannot block (no IPC, no wait, no thread exit,
 * creation or suspension, so fuzz_fault.c's live count stays true), on the
 * guest task's own handles and its data window: guests then make tasks,
 * grant handles between them, map runs of pages into them and destroy
 * them, deeper in the task tree than this child can reach itself, and
 * name a receive slot, so that handles granted in our replies land.
 */
#define GUEST_LOOP(name, sys)							\
	".pushsection .text.fuzzguest, \"ax\"\n"				\
	".option push\n"							\
	".option norvc\n"		/* every 4-byte step is an instruction */\
	".option norelax\n"							\
	".balign 4096\n"							\
	".globl " name "\n"							\
	name ":\n"								\
	"	ori a0, a0, 1\n"	/* xorshift state: never 0 */		\
	"1:	slli t0, a0, 13\n"						\
	"	xor a0, a0, t0\n"						\
	"	srli t0, a0, 7\n"						\
	"	xor a0, a0, t0\n"						\
	"	slli t0, a0, 17\n"						\
	"	xor a0, a0, t0\n"						\
	"	addi s1, s1, 1\n"						\
	"	andi t0, s1, 7\n"						\
	"	beqz t0, 9f\n"							\
	"	srli t1, a0, 20\n"	/* page (a0 >> 20) & 63 of the window */\
	"	andi t1, t1, 63\n"						\
	"	slli t1, t1, 12\n"						\
	"	li t2, 0x40000000\n"						\
	"	add t1, t1, t2\n"						\
	"	srli t2, a0, 40\n"	/* offset 0..7: misaligned at times */	\
	"	andi t2, t2, 7\n"						\
	"	andi t0, a0, 3\n"						\
	"	beqz t0, 2f\n"							\
	"	addi t0, t0, -1\n"						\
	"	beqz t0, 3f\n"							\
	"	addi t0, t0, -1\n"						\
	"	beqz t0, 4f\n"							\
	"	srli t0, a0, 61\n"	/* 1 in 8: a breakpoint, a dead end */	\
	"	beqz t0, 8f\n"							\
	"	li t0, " #sys "\n"						\
	"	bnez t0, 5f\n"							\
	"	j 1b\n"								\
	"8:	ebreak\n"							\
	"	j 1b\n"								\
	"2:	add t1, t1, t2\n"						\
	"	ld t3, 0(t1)\n"							\
	"	j 1b\n"								\
	"3:	sd a0, 0(t1)\n"	/* a page's first word, never 0: */	\
	"	sd a0, 8(t1)\n"	/* a stray store shows */		\
	"	j 1b\n"								\
	"4:	andi t2, t2, 4\n"	/* a jump: to an instruction boundary */\
	"	add t1, t1, t2\n"						\
	"	jalr ra, 0(t1)\n"						\
	"	j 1b\n"								\
	"5:	mv s3, a0\n"							\
	"	srli t0, a0, 24\n"						\
	"	andi t0, t0, 15\n"						\
	"	lla t2, 7f\n"		/* pc-relative: works at any address */\
	"	add t2, t2, t0\n"						\
	"	lbu t0, 0(t2)\n"						\
	"	srli a1, s3, 40\n"	/* a second handle, or the window page */\
	"	andi a1, a1, 127\n"						\
	"	andi a2, s3, 64\n"						\
	"	beqz a2, 6f\n"							\
	"	mv a1, t1\n"							\
	"6:	mv a2, t1\n"							\
	"	srli a3, s3, 50\n"	/* rights: never MAP_X, so no guest */	\
	"	andi a3, a3, 11\n"	/* runs a page it wrote */		\
	"	srli a4, s3, 44\n"						\
	"	andi a4, a4, 127\n"						\
	"	mv a5, s3\n"							\
	"	srli a0, s3, 32\n"	/* a handle of the guest task's */	\
	"	andi a0, a0, 127\n"						\
	"	ecall\n"							\
	"	xor a0, a0, s3\n"						\
	"	ori a0, a0, 1\n"						\
	"	j 1b\n"								\
	"9:	srli t0, a0, 58\n"	/* 1 in 8: an illegal instruction */	\
	"	beqz t0, 10f\n"						\
	"	srli t1, s1, 3\n"	/* else a page never touched before */	\
	"	slli t1, t1, 44\n"						\
	"	srli t1, t1, 32\n"	/* ((s1 >> 3) & 0xfffff) << 12 */	\
	"	li t2, 0x100000000\n"						\
	"	add t1, t1, t2\n"						\
	"	ld t3, 0(t1)\n"							\
	"	j 1b\n"								\
	"10:	.word 0\n"							\
	"	j 1b\n"								\
	"7:	.byte 1, 9, 10, 11, 13, 28, 14, 15, 18, 19, 35, 20, 21, 22, 26, 30\n" \
	".balign 4\n"								\
	".globl " name "_probe\n"	/* FZ_DERIVED: read the word at a0, */	\
	name "_probe:\n"		/* then fault at it */			\
	"	ld t3, 0(a0)\n"							\
	"	ld t4, 0(t3)\n"							\
	"	.word 0\n"							\
	".balign 4096\n"							\
	".option pop\n"								\
	".popsection\n"

void guest_entry(void), guest_sys_entry(void), guest_entry_probe(void), guest_sys_entry_probe(void);
__asm__(GUEST_LOOP("guest_entry", 0));
__asm__(GUEST_LOOP("guest_sys_entry", 1));

int fz_guest_sys;	/* FZ_GUEST_SYS: the guests run guest_sys_entry */

uint64_t fz_guest_page(void) { return (uint64_t)(fz_guest_sys ? guest_sys_entry : guest_entry); }
uint64_t fz_guest_probe(void)
{
	return (uint64_t)(fz_guest_sys ? guest_sys_entry_probe : guest_entry_probe);
}
