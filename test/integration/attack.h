/*
 * Helpers for the pager attack tests (test_pager_attack.c,
 * test_pager_oom.c): a shared page for flags between the test (init) and
 * its children, a raw pager call, running an attack in a child, and the
 * check every attack ends with (after_attack): the pager's checker passes
 * and init still spawns, forks and maps memory.
 */
#ifndef TEST_ATTACK_H
#define TEST_ATTACK_H

#include <signal.h>
#include "t.h"
#include "mm.h"

#define UNUSED __attribute__((unused))

static volatile uint64_t *shared;	/* one shared page for flags and counts */

static UNUSED void wait_flag(int i)
{
	for (long n = 0; !shared[i] && n < 20000000; n++)
		sys_yield();
}

/* Wait for flag i or for child pid to end (then its status in *st). */
static UNUSED void wait_flag_or_end(int i, pid_t pid, int *st)
{
	*st = -1;
	for (long n = 0; !shared[i] && n < 20000000; n++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return;
		sys_yield();
	}
}

static UNUSED int64_t call(uint64_t label, uint64_t len, uint64_t w0, uint64_t w1, uint64_t w2,
		    uint64_t w3, uint64_t w4)
{
	struct ipc_msg m = { .info = ipc_info(label, len, 0), .w = { w0, w1, w2, w3, w4, 0 } };

	return pager_call(&m);
}

/* What every attack must leave: a sane pager and an init that works. */
static UNUSED void after_attack(const char *what)
{
	int st = -1;

	CHECK_EQ(pager_check(), 0);
	const char *argv[] = { "test_child", "exit", "7", NULL };
	int64_t sp = spawn(argv, 0);
	CHECK(sp > 0);
	if (sp > 0) {
		CHECK_EQ(waitpid((pid_t)sp, &st, 0), sp);
		CHECK(IS_EXIT(st, 7));
	}
	fflush(stdout);
	pid_t k = fork();
	if (k == 0)
		_exit(5);
	CHECK(k > 0);
	if (k > 0) {
		CHECK_EQ(waitpid(k, &st, 0), k);
		CHECK(IS_EXIT(st, 5));
	}
	volatile char *m = mmap(NULL, 64 * PS, RW, ANON_PRIV, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		for (int i = 0; i < 64; i++)
			m[i * PS] = (char)i;
		CHECK_EQ(munmap((void *)m, 64 * PS), 0);
	}
	CHECK_EQ(pager_check(), 0);
	printf("attack %s: done\n", what);
}

/* Map our whole image now (a read maps a page with its VMA's rights, X
 * too): a process about to take every frame must not fault afterwards,
 * not even to run code it has not run yet, or it is the out-of-memory
 * victim at once. */
extern char end[];	/* the end of the image (user.ld) */
static UNUSED void image_warm(void)
{
	for (uintptr_t va = PROC_TEXT_MIN; va < (uintptr_t)end; va += PS)
		(void)*(volatile const char *)va;
}

/* Run fn in a forked child; its exit status. */
static UNUSED int in_child(int (*fn)(void))
{
	int st = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		t_failures = 0;	/* the child's own checks only */
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* Handles granted with requests that take none (or a spawn that fails,
 * or a bad handle index): the pager must close each, or its one receive
 * slot stays taken and the next spawn's grant is lost. Then a spawn with
 * a notification granted: the child signals it. In a child: 0 if so. */
static UNUSED int grants_still_land(void)
{
	static const uint64_t labels[] = { 0, PAGER_GETPID, PAGER_MEMINFO, PAGER_MMAP,
					   PAGER_SPAWN, PAGER_CHECK, 0xffff };
	static const uint64_t bad[] = { 0, ~0ul, 1ul << 63, 4095, 2047 };
	int64_t n = sys_notif_create(), e = sys_endpoint_create();
	char *buf = ipcbuf();

	if (n <= 0 || e <= 0)
		return 3;
	for (int round = 0; round < 20; round++)
		for (unsigned l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
			memcpy(buf, "no-such-program\0", 16);
			struct ipc_msg m = { .info = ipc_info(labels[l], 16, IPC_GRANT),
					     .w = { 0, 0, 0, 0, 0, (uint64_t)(round & 1 ? n : e) } };
			pager_call(&m);
			m.info = ipc_info(labels[l], 0, IPC_GRANT);
			m.w[5] = bad[round % 5];
			pager_call(&m);
		}
	const char *argv[] = { "test_child", "spin", NULL };
	int64_t c = spawn(argv, (uint64_t)n);
	if (c <= 0)
		return 4;
	sys_wait((uint64_t)n);	/* hangs (the test times out) if the grant was lost */
	kill((pid_t)c, SIGKILL);
	int st;
	return waitpid((pid_t)c, &st, 0) == c && pager_check() == 0 ? 0 : 5;
}

#endif
