/*
 * The pager's one kernel timer: a notification armed (SYS_TIMER_SET) for
 * the earliest of every process's alarm() and the moment the oldest dirty
 * file page is due for background write-back, so both happen on time on
 * an idle system too. A relay thread (libsys's blk_relay.S, in a task of
 * its own, made the first time anything needs the timer) turns each
 * wake-up into a call to us badged PAGER_TIMER_BADGE: we wait on nobody.
 */
#include "abi/pager.h"
#include "backing.h"
#include "delegate.h"
#include "libsys.h"
#include "pager.h"
#include "proc.h"
#include "ptimer.h"
#include "signals.h"

extern const char blk_relay_thread[], blk_relay_thread_end[];
static uint64_t timer_notif;
static uint64_t armed_for;	/* the deadline set now, 0: none */
/* Write-back due but impossible (no file server, no memory): look again
 * this much later, not at once (a timer in the past would spin). */
#define WRITEBACK_RETRY	10000000ul	/* 1 s at QEMU virt's 10 MHz */
static uint64_t writeback_retry_at;

static int ptimer_start(void)
{
	uint64_t code = (uint64_t)blk_relay_thread;
	int64_t notif, task, h_notif, h_ep, th;

	if (timer_notif)
		return 0;
	if ((code & (PAGE_SIZE - 1)) || blk_relay_thread_end - blk_relay_thread > (long)PAGE_SIZE)
		return -ERR_INVAL;
	if ((notif = sys_notif_create()) < 0)
		return (int)notif;
	if ((task = sys_task_create()) < 0) {
		sys_handle_close((uint64_t)notif);
		return (int)task;
	}
	if ((h_notif = sys_handle_grant((uint64_t)task, (uint64_t)notif, 0, RIGHT_RECV)) < 0 ||
	    (h_ep = sys_handle_grant((uint64_t)task, pager_ep, PAGER_TIMER_BADGE, RIGHT_SEND)) < 0 ||
	    sys_map((uint64_t)task, code, code, MAP_R | MAP_X) < 0 ||
	    (th = sys_thread_create((uint64_t)task, code, 0,
				    (uint64_t)h_notif | (uint64_t)h_ep << 16 |
				    (uint64_t)PAGER_ALARM << 32, 0, 0)) < 0) {
		sys_task_destroy((uint64_t)task);
		sys_handle_close((uint64_t)task);
		sys_handle_close((uint64_t)notif);
		return -ERR_NOMEM;
	}
	sys_handle_close((uint64_t)th);
	timer_notif = (uint64_t)notif;
	return 0;
}

int ptimer_arm(void)
{
	uint64_t first = signal_next_alarm(), due = backing_next_due();
	uint64_t fwd = delegate_next_due();
	int err;

	if (due && due < writeback_retry_at)
		due = writeback_retry_at;
	if (due && (!first || due < first))
		first = due;
	if (fwd && (!first || fwd < first))
		first = fwd;
	if ((due = backing_next_timeout()) && (!first || due < first))
		first = due;	/* an external pager's answer is due */
	/* What is armed comes first anyway (and arms again when it fires):
	 * a page dirtied after others keeps the write fault cheap. */
	if (first && armed_for && armed_for <= first)
		return 0;
	if (first == armed_for)
		return 0;	/* nothing armed, nothing due */
	if (first && (err = ptimer_start()) < 0)
		return err;
	if (timer_notif)
		sys_timer_set(timer_notif, first);
	armed_for = first;
	return 0;
}

int ptimer_arm_by(uint64_t due)
{
	return armed_for && armed_for <= due ? 0 : ptimer_arm();
}

void ptimer_fire(void)
{
	uint64_t now = sys_time(), due;

	armed_for = 0;	/* it fired: whatever is due now is set again */
	signal_alarms_due();
	delegate_tick();
	backing_timeouts();
	writeback_retry_at = 0;
	if (!backing_tick() && (due = backing_next_due()) && due <= now)
		writeback_retry_at = now + WRITEBACK_RETRY;
	ptimer_arm();
}
