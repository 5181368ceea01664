/*
 * Where a forked child's thread starts: a0 = the parent's jmp_buf (in the
 * child's copy of the stack), sp below it, every other register zero.
 * Restore the global and thread pointers, then fork_child_start.
 */
	.section .text
	.globl fork_child_entry
fork_child_entry:
	.option push
	.option norelax
	lla	gp, __global_pointer$
	.option pop
	lla	tp, __tls_base
	call	fork_child_start
1:	j	1b
