/*
 * What the parts of test_attack_mem_obj share (test_attack_mem_obj.c says
 * what each mode checks and runs them): the box of flags between the test
 * and its servers, raw pager calls, children started and reaped, and the
 * modes, in attack_mem_obj_supply.c and attack_mem_obj_limits.c (sizes,
 * quota); answers is in test_attack_mem_obj.c.
 */
#ifndef TEST_ATTACK_MEM_OBJ_H
#define TEST_ATTACK_MEM_OBJ_H

#include <signal.h>
#include "abi/pager.h"
#include "attack.h"
#include "libsys_memobj.h"
#include "pool.h"

#define IS_BUS(st)	(WIFSIGNALED(st) && WTERMSIG(st) == PAGER_SIGBUS)
#define NPAGES		32	/* a fill from page 0 takes 16: the targets are past them */

struct box {
	volatile int64_t srv_pid, key, key2;
	volatile uint64_t token, token2;
	volatile int64_t r[48];
	volatile int stage, done;
	volatile uint64_t held;		/* a fill's token */
};


extern struct box *b;	/* shared with the children (MAP_SHARED) */

int64_t raw(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3);
/* Yield until b->stage reaches s (or a long while passes). */
void wait_stage(int s);
/* PAGER_MEMINFO's free pages, or -1. */
int64_t pager_free_pages(void);
/* A child running fn, then exiting 0; reap waits for it (checked). */
pid_t start(void (*fn)(void));
void reap(pid_t p, int *st);

int supply(void);	/* attack_mem_obj_supply.c */
int sizes(void);	/* attack_mem_obj_limits.c */
int quota(void);

#endif
