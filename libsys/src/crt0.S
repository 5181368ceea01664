/*
 * Process entry: a0 = struct proc_start * (see abi/pager.h); sp is set.
 * Set the global and thread pointers and go to C.
 */
	.section .text.start
	.globl _start
_start:
	.option push
	.option norelax
	lla	gp, __global_pointer$
	.option pop
	lla	tp, __tls_base		/* one thread: TLS in place in .tdata/.tbss */
	call	libsys_start
1:	j	1b
