/* The C tests' one assertion: CHECK(cond, printf-format, ...) reports the file and line of a
 * failed condition on stderr and counts it; main returns non-zero when `failures` > 0.
 * Included by every tests/c/test_*.c (a static counter per test program). */
#ifndef WBM_TEST_CHECK_H
#define WBM_TEST_CHECK_H
#include <stdio.h>

static int failures = 0;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      failures++;                                          \
    }                                                      \
  } while (0)

#endif
