/* How the test programs (tests/{online,run,console,hostile,fromjson}) call the library:
 *   CHECK(wb_call(..., E));   runs the call with a fresh wb_error at E; a status other than
 *                             WB_OK prints "<file>:<line>: <call> failed: <status>: <message>"
 *                             on stderr and exits 2 (the scripts then fail on the exit code)
 *   EXPECT(cond);             exits 2 naming a condition that does not hold
 * (tests/c/check.h, by contrast, counts failed checks and lets a test go on.) */
#ifndef WBM_TEST_CALL_H
#define WBM_TEST_CALL_H
#include <stdio.h>
#include <stdlib.h>

#include "wandb_media.h"

static void wbt_die(const char *file, int line, const char *what, wb_status st, const wb_error *err) {
    fprintf(stderr, "%s:%d: %s failed: %s: %s\n", file, line, what, wb_status_name(st), err->message);
    exit(2);
}

#define CHECK(call)                                                         \
    do {                                                                    \
        wb_error err_ = {0};                                                \
        wb_status st_ = (call);                                             \
        if (st_ != WB_OK) wbt_die(__FILE__, __LINE__, #call, st_, &err_); \
    } while (0)
#define E (&err_)

#define EXPECT(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            exit(2);                                                         \
        }                                                                    \
    } while (0)

#endif
