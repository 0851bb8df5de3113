/* A very small unit-test harness for the C modules. Each test is a function; a test passes
 * when it made at least one check and none failed (a test that checked nothing proves nothing:
 * it counts as failed). main() runs them with RUN() and ends with CHECK_SUMMARY(), which prints
 * "<n> passed, <m> failed" for the runner to add up. */
#ifndef CHECK_H
#define CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures_in_test;
static int check_checks_in_test;
static int check_passed;
static int check_failed;
static const char *check_current = "";

#define CHECK(cond)                                                                     \
    do {                                                                                \
        check_checks_in_test++;                                                         \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,     \
                    check_current, #cond);                                              \
            check_failures_in_test++;                                                   \
        }                                                                               \
    } while (0)

#define CHECK_EQ(actual, expected)                                                      \
    do {                                                                                \
        uint64_t check_a_ = (uint64_t)(actual), check_e_ = (uint64_t)(expected);        \
        check_checks_in_test++;                                                         \
        if (check_a_ != check_e_) {                                                     \
            fprintf(stderr, "  %s:%d: %s: %s is 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", \
                    __FILE__, __LINE__, check_current, #actual, check_a_, check_e_);    \
            check_failures_in_test++;                                                   \
        }                                                                               \
    } while (0)

#define RUN(test_fn)                                                                    \
    do {                                                                                \
        check_current = #test_fn;                                                       \
        check_failures_in_test = 0;                                                     \
        check_checks_in_test = 0;                                                       \
        test_fn();                                                                      \
        if (check_checks_in_test == 0) {                                                \
            fprintf(stderr, "  %s: made no check\n", #test_fn);                         \
            check_failures_in_test++;                                                   \
        }                                                                               \
        if (check_failures_in_test) {                                                   \
            check_failed++;                                                             \
            fprintf(stderr, "FAIL %s\n", #test_fn);                                     \
        } else {                                                                        \
            check_passed++;                                                             \
        }                                                                               \
    } while (0)

#define CHECK_SUMMARY()                                                                 \
    (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed ? 1 : 0)

#endif
