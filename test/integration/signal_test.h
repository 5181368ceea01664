/*
 * test_signal's shared pieces (test_signal.c says what each mode checks):
 * the PASS/FAIL/UNRESOLVED exit codes and EXPECT/SETUP, the state the
 * catching handlers record, the helpers every group of modes uses, and
 * the modes, one int fn(void) each, that main runs by name.
 */
#ifndef TEST_SIGNAL_H
#define TEST_SIGNAL_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi/signal.h"
#include "libsys.h"
#include "t.h"

#define PASS 0
#define FAIL 1
#define UNRESOLVED 2
#define EXPECT(c) do { if (!(c)) { printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			return FAIL; } } while (0)
#define SETUP(c) do { if (!(c)) { printf("UNRESOLVED: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			return UNRESOLVED; } } while (0)

/* What the handlers saw (test_signal.c). */
extern volatile uintptr_t null_addr;
extern volatile int hits, last_sig, last_code, nested, max_nested;
extern volatile void *last_addr;
extern volatile pid_t last_pid;
extern volatile int last_status;
extern volatile sigset_t mask_in_handler;

int64_t pcall(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2);
int run_child(int (*fn)(void));
int killed_by(int st, int sig);
void on_info(int sig, siginfo_t *si, void *uc);
void on_plain(int sig);
int catch(int sig, void (*h)(int, siginfo_t *, void *), int flags);
int catch_plain(int sig, void (*h)(int), int flags);
char *map(int prot);

/* signal_sync.c: faults, actions and masks */
int segv_maperr(void);
int segv_accerr(void);
int segv_retry(void);
int segv_exit(void);
int siglongjmp_mask(void);
int segv_default(void);
int segv_blocked(void);
int segv_ignored(void);
int segv_in_handler(void);
int resethand(void);
int nodefer(void);

/* signal_async.c: signals from kill, alarm, children; the cost */
int kill_handler(void);
int kill_default(void);
int sigkill(void);
int mask_pending(void);
int alarm_pause(void);
int waitpid_eintr(void);
int waitpid_restart(void);
int sigchld(void);
int signal_raise(void);
int fpregs(void);
int cost(void);

/* signal_attack.c: attacks, and signals beside pager calls */
int attack_frame(void);
int attack_handler(void);
int attack_stack(void);
int attack_perm(void);
int attack_flood(void);
int no_spurious_eintr(void);

#endif
