/*
 * picolibc's <setjmp.h>, plus sigsetjmp and siglongjmp (POSIX), which it
 * declares only for Cygwin and RTEMS: sigsetjmp with a nonzero savemask
 * records the signal mask, and siglongjmp restores it (through the
 * pager's PAGER_SIGPROCMASK) before it jumps: how a program leaves a
 * signal handler for good with the handler's signal unblocked again.
 */
#ifndef LIBSYS_SETJMP_H
#define LIBSYS_SETJMP_H

#include_next <setjmp.h>
#include <signal.h>

typedef struct __sigjmp_buf {
	jmp_buf __jb;
	int __saved;
	sigset_t __mask;
} sigjmp_buf[1];

/* Records the mask if savemask; the macro's setjmp must be in the
 * caller's frame, hence a macro around it. */
void __sigsetjmp_save(sigjmp_buf env, int savemask);
#define sigsetjmp(env, savemask) \
	(__sigsetjmp_save((env), (savemask)), setjmp((env)[0].__jb))
__attribute__((__noreturn__)) void siglongjmp(sigjmp_buf env, int val);

#endif
