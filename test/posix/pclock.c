/*
 * A plain POSIX program (standard headers only, built by posix_program):
 * clocks and sleeping. Exit status 0 if every check passed, else 1.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define EXPECT(c) do { if (!(c)) { printf("pclock: FAILED %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

static double since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

int main(void)
{
	struct timespec t0, t1, res, rq, rm;
	struct timeval tv;
	double d;

#if !defined(_POSIX_TIMERS) || _POSIX_TIMERS <= 0 || !defined(_POSIX_MONOTONIC_CLOCK)
	EXPECT(!"_POSIX_TIMERS and _POSIX_MONOTONIC_CLOCK defined");
#endif
	EXPECT(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	EXPECT(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	EXPECT(t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec));
	EXPECT(t0.tv_nsec >= 0 && t0.tv_nsec < 1000000000L);
	EXPECT(clock_gettime(CLOCK_REALTIME, &t1) == 0);
	EXPECT(clock_getres(CLOCK_MONOTONIC, &res) == 0);
	EXPECT(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	errno = 0;
	EXPECT(clock_gettime((clockid_t)12345, &t1) == -1 && errno == EINVAL);

	/* nanosleep sleeps at least as long as asked, and not much more. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rq.tv_sec = 0;
	rq.tv_nsec = 50000000;
	EXPECT(nanosleep(&rq, &rm) == 0);
	d = since(&t0);
	printf("pclock: nanosleep(50 ms) took %.1f ms\n", d * 1e3);
	EXPECT(d >= 0.050 && d < 2.0);
	rq.tv_nsec = 1000000000L;
	errno = 0;
	EXPECT(nanosleep(&rq, NULL) == -1 && errno == EINVAL);
	rq.tv_sec = -1;
	rq.tv_nsec = 0;
	errno = 0;
	EXPECT(nanosleep(&rq, NULL) == -1 && errno == EINVAL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(usleep(20000) == 0);
	d = since(&t0);
	EXPECT(d >= 0.020 && d < 2.0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(sleep(1) == 0);
	d = since(&t0);
	printf("pclock: sleep(1) took %.3f s\n", d);
	EXPECT(d >= 1.0 && d < 3.0);
	EXPECT(sleep(0) == 0);

	/* An absolute deadline on the monotonic clock. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rq = t0;
	rq.tv_nsec += 30000000;
	if (rq.tv_nsec >= 1000000000L)
		rq.tv_sec++, rq.tv_nsec -= 1000000000L;
	EXPECT(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &rq, NULL) == 0);
	EXPECT(since(&t0) >= 0.030);

	EXPECT(gettimeofday(&tv, NULL) == 0);
	EXPECT(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	EXPECT(time(NULL) >= 0);
	return failures ? 1 : 0;
}
