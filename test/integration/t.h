/*
 * Integration-test helpers: CHECK prints "FAIL: ..." (which the runner
 * treats as failure) and counts; t_done prints the one success line the
 * runner waits for, "PASS: <name>", only if nothing failed.
 */
#ifndef TEST_T_H
#define TEST_T_H

#include <stdio.h>
#include <stdlib.h>

/* Weak: one counter for every file of a test program, so that checks in
 * a helper file also keep t_done from printing PASS. */
__attribute__((weak)) int t_failures;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		t_failures++;							\
	}									\
} while (0)

#define CHECK_EQ(a, b) do {							\
	long long a_ = (long long)(a), b_ = (long long)(b);			\
	if (a_ != b_) {								\
		printf("FAIL: %s:%d: %s == %s (%lld != %lld)\n", __FILE__,	\
		       __LINE__, #a, #b, a_, b_);				\
		t_failures++;							\
	}									\
} while (0)

static inline int t_done(const char *name)
{
	if (t_failures) {
		printf("FAIL: %s: %d check(s) failed\n", name, t_failures);
		return 1;
	}
	printf("PASS: %s\n", name);
	return 0;
}

#endif
