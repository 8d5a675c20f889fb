/* Minimal test harness shared by tests/unit: CHECK records a failure with
 * file and line and goes on; main returns tap_done(), non-zero on failure. */
#ifndef DNSD_TESTS_TAP_H
#define DNSD_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		tap_run++;                                                     \
		if (!(cond)) {                                                 \
			tap_failed++;                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);    \
		tap_run++;                                                     \
		if (tap_a_ != tap_b_) {                                        \
			tap_failed++;                                          \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",  \
			        __FILE__, __LINE__, #a, tap_a_, tap_b_);       \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *tap_a_ = (a), *tap_b_ = (b);                       \
		tap_run++;                                                     \
		if (!tap_a_ || strcmp(tap_a_, tap_b_) != 0) {                  \
			tap_failed++;                                          \
			fprintf(stderr,                                        \
			        "%s:%d: %s == \"%s\", expected \"%s\"\n",      \
			        __FILE__, __LINE__, #a,                        \
			        tap_a_ ? tap_a_ : "(null)", tap_b_);           \
		}                                                              \
	} while (0)

static inline int tap_done(void)
{
	printf("%d passed, %d failed\n", tap_run - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
