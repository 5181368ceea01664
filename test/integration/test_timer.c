/*
 * Kernel timers (SYS_TIMER_SET), by mode (argv[1]):
 *   basic     a timer fires at, never before, its deadline; the bits are
 *             the arming handle's; cancel, re-arm (later and earlier),
 *             deadlines in the past (at once) and huge ones (never, no
 *             wrap); rights and bad handles; 64 timers with random
 *             deadlines, some cancelled, fire in order; while another
 *             process spins, a sleeper still wakes at its deadline, not a
 *             scheduler quantum later.
 *   teardown  closing armed notifications, and killing a process holding
 *             armed ones (some due just after), frees everything: the
 *             kernel pool's free pages are back, and nothing fires on a
 *             freed object.
 *   attack    an ordinary process makes notifications until its quota
 *             refuses, arms a timer on every one (arming takes nothing:
 *             the pool and its quota are unchanged) and re-arms them all
 *             to fire every millisecond; init meanwhile forks, spawns and
 *             sleeps on time. Killed, everything comes back.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "pool.h"
#include "t.h"

static uint64_t hz;

static uint64_t ms(uint64_t n) { return n * hz / 1000; }

/* Wait on n, which must get exactly `want` bits: a notify through a
 * handle badged 0x100 first, so the wait never blocks, and the bits
 * show whether a timer fired too. */
static void expect_bits(int64_t n, uint64_t want)
{
	int64_t probe = sys_handle_grant(0, (uint64_t)n, 0x100, RIGHT_SEND);

	CHECK(probe > 0);
	CHECK_EQ(sys_notify((uint64_t)probe), 0);
	CHECK_EQ(sys_wait((uint64_t)n), want | 0x100);
	CHECK_EQ(sys_handle_close((uint64_t)probe), 0);
}

/* Sleep until `deadline` on notification n; returns how late we woke. */
static uint64_t sleep_until(int64_t n, uint64_t deadline)
{
	uint64_t t;

	CHECK_EQ(sys_timer_set((uint64_t)n, deadline), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 1);
	t = sys_time();
	CHECK(t >= deadline);
	return t - deadline;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define MANY 64

static void many(void)
{
	int64_t n[MANY];
	uint64_t at[MANY], base = sys_time() + ms(5);
	bool cancelled[MANY];
	int order[MANY];

	for (int i = 0; i < MANY; i++) {
		n[i] = sys_notif_create();
		CHECK(n[i] > 0);
		at[i] = base + rnd() % ms(40);
		if (i % 7 == 3)
			at[i] = at[i - 1];	/* equal deadlines */
		CHECK_EQ(sys_timer_set((uint64_t)n[i], at[i]), 0);
		cancelled[i] = rnd() % 4 == 0;
		order[i] = i;
	}
	for (int i = 0; i < MANY; i++) {
		if (cancelled[i])
			CHECK_EQ(sys_timer_set((uint64_t)n[i], 0), 0);
		else if (i % 5 == 0)	/* re-armed: replaced, same place */
			CHECK_EQ(sys_timer_set((uint64_t)n[i], at[i]), 0);
	}
	for (int i = 1; i < MANY; i++)	/* by deadline */
		for (int j = i; j > 0 && at[order[j]] < at[order[j - 1]]; j--) {
			int x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	for (int k = 0; k < MANY; k++) {
		int i = order[k];
		if (cancelled[i])
			continue;
		CHECK_EQ(sys_wait((uint64_t)n[i]), 1);
		CHECK(sys_time() >= at[i]);
	}
	for (int i = 0; i < MANY; i++) {
		if (cancelled[i])
			expect_bits(n[i], 0);
		CHECK_EQ(sys_handle_close((uint64_t)n[i]), 0);
	}
}

/* With another process spinning, 20 sleeps of 3 ms: the timer interrupt
 * comes at the deadline and the sleeper runs then. Woken only at
 * scheduler ticks (10 ms apart), most would be 2 ms or more late. */
static void precise(int64_t n)
{
	int64_t pid = fork();
	int on_time = 0, status;
	uint64_t worst = 0;

	if (pid == 0)
		for (;;)
			;
	CHECK(pid > 0);
	for (int i = 0; i < 20; i++) {
		uint64_t late = sleep_until(n, sys_time() + ms(3));
		on_time += late < ms(2);
		worst = late > worst ? late : worst;
	}
	printf("timer: %d of 20 sleeps woke within 2 ms beside a spinner (worst %lu us)\n",
	       on_time, (unsigned long)(worst * 1000000 / hz));
	CHECK(on_time >= 10);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
}

/* Instructions (rdinstret) per arm-and-cancel, beside `others` armed
 * timers: printed, not judged. */
static void cost(int64_t n, int others)
{
	int64_t o[64];
	uint64_t far = sys_time() + 1000 * hz, i0;

	for (int i = 0; i < others; i++) {
		o[i] = sys_notif_create();
		CHECK(o[i] > 0);
		CHECK_EQ(sys_timer_set((uint64_t)o[i], far + rnd() % hz), 0);
	}
	i0 = rdinstret();
	for (int i = 0; i < 1000; i++) {
		sys_timer_set((uint64_t)n, far + rnd() % hz);
		sys_timer_set((uint64_t)n, 0);
	}
	printf("timer: arm + cancel beside %d armed: %lu instructions\n", others,
	       (unsigned long)((rdinstret() - i0) / 1000));
	for (int i = 0; i < others; i++)
		CHECK_EQ(sys_handle_close((uint64_t)o[i]), 0);
}

static void basic(void)
{
	int64_t n = sys_notif_create(), m = sys_notif_create(), ep = sys_endpoint_create();
	int64_t badged, sendonly, recvonly;
	uint64_t t0, late;

	CHECK(n > 0 && m > 0 && ep > 0);
	/* At, not before, the deadline; a 20 ms sleep lasts 20 ms. */
	t0 = sys_time();
	late = sleep_until(n, t0 + ms(20));
	printf("timer: 20 ms sleep woke %lu us late\n", (unsigned long)(late * 1000000 / hz));
	CHECK(late < ms(1000));
	/* The arming handle's badge is what is ORed in. */
	badged = sys_handle_grant(0, (uint64_t)n, 0x30, RIGHTS_ALL);
	CHECK(badged > 0);
	CHECK_EQ(sys_timer_set((uint64_t)badged, sys_time() + ms(2)), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 0x30);
	/* Cancel: it does not fire (m's timer, later, wakes us). */
	CHECK_EQ(sys_timer_set((uint64_t)badged, sys_time() + ms(5)), 0);
	CHECK_EQ(sys_timer_set((uint64_t)n, 0), 0);
	sleep_until(m, sys_time() + ms(30));
	expect_bits(n, 0);
	CHECK_EQ(sys_timer_set((uint64_t)n, 0), 0);	/* cancelling a disarmed one */
	/* Re-arming replaces: later... */
	t0 = sys_time();
	CHECK_EQ(sys_timer_set((uint64_t)badged, t0 + ms(5)), 0);
	CHECK_EQ(sys_timer_set((uint64_t)n, t0 + ms(40)), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 1);	/* not 0x30: that one was replaced */
	CHECK(sys_time() >= t0 + ms(40));
	/* ... and earlier. */
	t0 = sys_time();
	CHECK_EQ(sys_timer_set((uint64_t)n, t0 + 100 * hz), 0);
	CHECK_EQ(sys_timer_set((uint64_t)n, t0 + ms(5)), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 1);
	CHECK(sys_time() < t0 + 50 * hz);
	/* In the past, or now: at once. */
	CHECK_EQ(sys_timer_set((uint64_t)badged, 1), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 0x30);
	CHECK_EQ(sys_timer_set((uint64_t)n, sys_time()), 0);
	CHECK_EQ(sys_wait((uint64_t)n), 1);
	/* Huge deadlines never come (no wrap to the past); an earlier timer
	 * elsewhere still fires. */
	CHECK_EQ(sys_timer_set((uint64_t)n, ~0ul), 0);
	CHECK_EQ(sys_timer_set((uint64_t)badged, ~0ul), 0);
	sleep_until(m, sys_time() + ms(10));
	CHECK_EQ(sys_timer_set((uint64_t)n, (1ul << 63) + 5), 0);
	sleep_until(m, sys_time() + ms(10));
	CHECK_EQ(sys_timer_set((uint64_t)n, sys_time() - 1 + ~0ul / 2), 0);
	sleep_until(m, sys_time() + ms(10));
	expect_bits(n, 0);
	CHECK_EQ(sys_timer_set((uint64_t)n, 0), 0);
	/* Rights: both send and receive; a notification handle. */
	sendonly = sys_handle_grant(0, (uint64_t)n, 0, RIGHT_SEND);
	recvonly = sys_handle_grant(0, (uint64_t)n, 0, RIGHT_RECV);
	CHECK(sendonly > 0 && recvonly > 0);
	CHECK_EQ(sys_timer_set((uint64_t)sendonly, sys_time() + ms(1)), -ERR_PERM);
	CHECK_EQ(sys_timer_set((uint64_t)recvonly, sys_time() + ms(1)), -ERR_PERM);
	CHECK_EQ(sys_timer_set((uint64_t)ep, sys_time() + ms(1)), -ERR_BADF);
	CHECK_EQ(sys_timer_set(0, sys_time() + ms(1)), -ERR_BADF);
	CHECK_EQ(sys_timer_set(100000, 0), -ERR_BADF);
	sleep_until(m, sys_time() + ms(5));
	expect_bits(n, 0);
	many();
	cost(m, 0);
	cost(m, 64);
	precise(m);
	CHECK_EQ(sys_handle_close((uint64_t)sendonly), 0);
	CHECK_EQ(sys_handle_close((uint64_t)recvonly), 0);
	CHECK_EQ(sys_handle_close((uint64_t)badged), 0);
	CHECK_EQ(sys_handle_close((uint64_t)n), 0);
	CHECK_EQ(sys_handle_close((uint64_t)m), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
}

/* A child holding armed timers, killed: argv[2] "hold". */
static int hold(uint64_t ready)
{
	uint64_t now = sys_time();

	for (int i = 0; i < 100; i++) {
		int64_t n = sys_notif_create();
		if (n < 0 || sys_timer_set((uint64_t)n, i % 2 ? now + ms(20) + ms(i) :
						     now + 1000 * hz) < 0)
			return 2;
	}
	sys_notify(ready);
	for (;;)
		sys_yield();
}

static void teardown(void)
{
	struct kernel_info k0;
	int64_t n[100], m = sys_notif_create(), ready, pid;
	int status;
	uint64_t now;

	CHECK(m > 0);
	/* Warm up: the pager's structures for a spawned child. */
	ready = sys_notif_create();
	CHECK(ready > 0);
	const char *argv[] = { "test_timer", "hold", NULL };
	for (int round = 0; round < 3; round++) {
		if (round == 1)
			CHECK_EQ(sys_kernel_info(&k0), 0);
		/* Closing armed notifications, due soon and far. */
		now = sys_time();
		for (int i = 0; i < 100; i++) {
			n[i] = sys_notif_create();
			CHECK(n[i] > 0);
			CHECK_EQ(sys_timer_set((uint64_t)n[i], i % 2 ? now + ms(10) + ms(i / 4) :
							   now + 1000 * hz), 0);
		}
		for (int i = 0; i < 100; i++)
			CHECK_EQ(sys_handle_close((uint64_t)n[i]), 0);
		/* A killed process's armed notifications. */
		pid = spawn(argv, (uint64_t)ready);
		CHECK(pid > 0);
		CHECK_EQ(sys_wait((uint64_t)ready), 1);
		CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
		CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status));
		/* Past every near deadline: nothing fires on freed objects. */
		sleep_until(m, sys_time() + ms(150));
		if (round > 0)
			pool_back("timer", &k0);
	}
	CHECK_EQ(sys_handle_close((uint64_t)ready), 0);
	CHECK_EQ(sys_handle_close((uint64_t)m), 0);
}

/* The attacker (argv[2] "flood"): notifications until the quota refuses,
 * held in sub-tasks' tables (127 slots each), each armed first. */
static int flood(uint64_t ready)
{
	static int64_t notifs[16];
	struct kernel_info k0, k1;
	uint64_t limit = 0, used0, used1, now = sys_time();
	int64_t holder = 0, r = 0;
	int count = 0, in_holder = 0;

	for (int i = 0; i < 100000; i++) {
		int64_t n = sys_notif_create();
		if (n < 0) {
			r = n;
			break;
		}
		if (!holder || in_holder == 120) {
			if ((holder = sys_task_create()) < 0) {
				r = holder;
				break;
			}
			in_holder = 0;
		}
		/* Armed far ahead, then kept by a copy in the holder; we keep
		 * our own handle to the first 16, to re-arm them. */
		if (sys_timer_set((uint64_t)n, now + 1000 * hz + (uint64_t)i) < 0 ||
		    sys_handle_grant((uint64_t)holder, (uint64_t)n, 0, RIGHTS_ALL) < 0)
			return 3;
		in_holder++;
		if (count < 16)
			notifs[count++] = n;
		else
			sys_handle_close((uint64_t)n);
	}
	/* Arming and re-arming our 16 kept ones takes nothing. */
	used0 = (uint64_t)sys_task_quota(0, -1, &limit);
	sys_kernel_info(&k0);
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < count; i++)
			if (sys_timer_set((uint64_t)notifs[i], sys_time() + ms(1) * (1 + i % 5)) < 0)
				return 5;
	used1 = (uint64_t)sys_task_quota(0, -1, NULL);
	sys_kernel_info(&k1);
	sys_notify(ready);
	printf("timer: flood: refused with %ld; %lu of %lu pages used; %d kept armed\n",
	       (long)r, (unsigned long)used1, (unsigned long)limit, count);
	CHECK_EQ(r, -ERR_NOMEM);
	CHECK_EQ(used0, used1);
	CHECK_EQ(k0.kmem_free_pages, k1.kmem_free_pages);
	/* A storm: every kept timer fires each millisecond or so. */
	for (;;)
		for (int i = 0; i < count; i++)
			sys_timer_set((uint64_t)notifs[i], sys_time() + ms(1));
}

static void attack(void)
{
	struct kernel_info k0;
	int64_t ready = sys_notif_create(), m = sys_notif_create(), pid, pid2;
	int status;
	uint64_t late, worst = 0;

	CHECK(ready > 0 && m > 0);
	pid = fork();	/* warm-up: the pager's structures for a child */
	if (pid == 0)
		_exit(0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(sys_kernel_info(&k0), 0);
	const char *argv[] = { "test_timer", "flood", NULL };
	pid = spawn(argv, (uint64_t)ready);
	CHECK(pid > 0);
	CHECK_EQ(sys_wait((uint64_t)ready), 1);
	/* Meanwhile: fork, objects, sleeps. */
	for (int i = 0; i < 10; i++) {
		late = sleep_until(m, sys_time() + ms(5));
		worst = late > worst ? late : worst;
	}
	printf("timer: beside the storm, sleeps woke at worst %lu us late\n",
	       (unsigned long)(worst * 1000000 / hz));
	CHECK(worst < ms(1000));
	pid2 = fork();
	if (pid2 == 0) {
		int64_t e = sys_endpoint_create();
		_exit(e > 0 ? 0 : 1);
	}
	CHECK(pid2 > 0);
	CHECK_EQ(waitpid((pid_t)pid2, &status, 0), pid2);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	sleep_until(m, sys_time() + ms(20));
	pool_back("timer", &k0);
	CHECK_EQ(sys_handle_close((uint64_t)ready), 0);
	CHECK_EQ(sys_handle_close((uint64_t)m), 0);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "basic";
	struct kernel_info ki;

	CHECK_EQ(sys_kernel_info(&ki), 0);
	hz = ki.timebase_hz;
	CHECK(hz >= 1000);
	if (hz < 1000)
		return t_done("timer");
	if (!strcmp(what, "hold"))
		return hold(libsys_start_info.granted);
	if (!strcmp(what, "flood"))
		return flood(libsys_start_info.granted);
	if (!strcmp(what, "basic"))
		basic();
	else if (!strcmp(what, "teardown"))
		teardown();
	else if (!strcmp(what, "attack"))
		attack();
	else
		CHECK(!"unknown mode");
	return t_done(!strcmp(what, "basic") ? "timer_basic" :
		      !strcmp(what, "teardown") ? "timer_teardown" : "timer_attack");
}
