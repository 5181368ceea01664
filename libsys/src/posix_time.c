/*
 * Clocks and sleeping: clock_gettime and friends read the `time` CSR
 * (rdtime, at kernel_info.timebase_hz); sleeping arms a kernel timer
 * (SYS_TIMER_SET) on a notification of our own and waits on it.
 *
 * CLOCK_REALTIME is the monotonic clock plus an offset: the file server's
 * (FS_CLOCK: QEMU virt's goldfish RTC, read when the server started, less
 * the counter then), asked once per process on first use; 0 (time since
 * boot from 1970-01-01) without a server or an RTC. clock_settime changes
 * it for the calling process only. docs/posix.md says so.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

#define NSEC	1000000000ull

static uint64_t hz;
static int64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
static bool realtime_known;
static int64_t sleep_notif;
static uint64_t sleep_notif_pid;	/* a fork child makes its own */

uint64_t posix_timebase(void)
{
	struct kernel_info ki;

	if (!hz) {
		if (sys_kernel_info(&ki) < 0 || ki.timebase_hz == 0)
			return 10000000;	/* QEMU virt's, should the call fail */
		hz = ki.timebase_hz;
	}
	return hz;
}

static uint64_t ticks_to_ns(uint64_t t)
{
	uint64_t f = posix_timebase();

	return (uint64_t)((unsigned __int128)t * NSEC / f);
}

static int einval(void)
{
	errno = EINVAL;
	return -1;
}

static bool known_clock(clockid_t id)
{
	/* picolibc's numbers: the GNU variants (RAW, COARSE, BOOTTIME) are
	 * the same clocks here. */
	return id == CLOCK_MONOTONIC || id == CLOCK_REALTIME || id == 0 /* REALTIME_COARSE */ ||
	       id == 5 || id == 6 || id == 7 /* MONOTONIC_RAW, _COARSE, BOOTTIME */;
}

static bool realtime(clockid_t id)
{
	return id == CLOCK_REALTIME || id == 0 /* CLOCK_REALTIME_COARSE */;
}

static int64_t realtime_offset(void)
{
	struct ipc_msg m = { 0 };
	int64_t r;

	if (realtime_known)
		return realtime_offset_ns;
	/* Without a server (yet: init before it starts one) ask again later. */
	if ((r = fs_call(FS_CLOCK, &m, 0)) == -ERR_NOSYS)
		return 0;
	realtime_known = true;
	realtime_offset_ns = r == 0 ? (int64_t)m.w[1] : 0;
	return realtime_offset_ns;
}

int clock_gettime(clockid_t id, struct timespec *tp)
{
	uint64_t ns;

	if (!known_clock(id))
		return einval();
	ns = ticks_to_ns(sys_time());
	if (realtime(id))
		ns += (uint64_t)realtime_offset();
	tp->tv_sec = (time_t)(ns / NSEC);
	tp->tv_nsec = (long)(ns % NSEC);
	return 0;
}

int clock_getres(clockid_t id, struct timespec *res)
{
	uint64_t f = posix_timebase();

	if (!known_clock(id))
		return einval();
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = (long)((NSEC + f - 1) / f);
	}
	return 0;
}

int clock_settime(clockid_t id, const struct timespec *tp)
{
	if (!realtime(id) || tp->tv_nsec < 0 || (uint64_t)tp->tv_nsec >= NSEC || tp->tv_sec < 0)
		return einval();
	realtime_known = true;
	realtime_offset_ns = (int64_t)((uint64_t)tp->tv_sec * NSEC + (uint64_t)tp->tv_nsec -
				       ticks_to_ns(sys_time()));
	return 0;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (tv) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return 0;
}

/* Our sleeping notification, made on first use (and again in a fork
 * child, which inherits no handles). */
static int64_t sleeper(void)
{
	if (!sleep_notif || sleep_notif_pid != libsys_start_info.pid) {
		int64_t n = sys_notif_create();
		if (n < 0)
			return n;
		sleep_notif = n;
		sleep_notif_pid = libsys_start_info.pid;
	}
	return sleep_notif;
}

/* The `time` value at which `ns` nanoseconds from `from` have passed,
 * rounded up; ~0 (never) if that is past what 64 bits hold. */
static uint64_t deadline_after(uint64_t from, uint64_t sec, uint64_t nsec)
{
	unsigned __int128 t = ((unsigned __int128)sec * NSEC + nsec) * posix_timebase();
	t = (t + NSEC - 1) / NSEC + from;
	return t > ~0ull ? ~0ull : (uint64_t)t;
}

/* Sleep until `time` reaches deadline: 0 or a negated ERR_*. */
int64_t posix_sleep_until(uint64_t deadline)
{
	int64_t n = sleeper(), r;

	if (n < 0)
		return n;
	while (sys_time() < deadline) {
		if ((r = sys_timer_set((uint64_t)n, deadline)) < 0)
			return r;
		if ((r = sys_wait((uint64_t)n)) < 0)
			return r;
	}
	return 0;
}

static bool ts_ok(const struct timespec *t)
{
	return t && t->tv_sec >= 0 && t->tv_nsec >= 0 && (uint64_t)t->tv_nsec < NSEC;
}

int clock_nanosleep(clockid_t id, int flags, const struct timespec *rq, struct timespec *rm)
{
	uint64_t deadline, now = sys_time();
	int64_t r;

	if (!known_clock(id) || !ts_ok(rq))
		return EINVAL;
	if (flags & TIMER_ABSTIME) {
		__int128 off = realtime(id) ? realtime_offset() : 0;
		__int128 ns = (__int128)rq->tv_sec * NSEC + rq->tv_nsec - off;	/* since boot */
		if (ns <= 0)
			return 0;
		deadline = deadline_after(0, (uint64_t)(ns / NSEC), (uint64_t)(ns % NSEC));
	} else {
		deadline = deadline_after(now, (uint64_t)rq->tv_sec, (uint64_t)rq->tv_nsec);
	}
	if ((r = posix_sleep_until(deadline)) < 0)
		return (int)-r;
	if (rm && !(flags & TIMER_ABSTIME))
		rm->tv_sec = 0, rm->tv_nsec = 0;
	return 0;
}

int nanosleep(const struct timespec *rq, struct timespec *rm)
{
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, rq, rm);

	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

unsigned sleep(unsigned seconds)
{
	struct timespec t = { .tv_sec = seconds };

	return nanosleep(&t, NULL) < 0 ? seconds : 0;
}

int usleep(useconds_t us)
{
	struct timespec t = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	return nanosleep(&t, NULL);
}
