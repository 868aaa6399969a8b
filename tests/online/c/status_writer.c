/*
 * status_writer: feedback while an online run is live (issue 23, items 1-2), for
 * tests/online/status.py. Mode and server come from the environment (WANDB_*).
 *
 *   status_writer ROOT N SLEEP_MS   opens an online run, logs N rows (a 16x16 image every
 *                                   10 rows) SLEEP_MS apart, then finishes (timeout
 *                                   WBM_FINISH_TIMEOUT_MS, else the default). Every
 *                                   wb_run_log must succeed (else exit 2). Prints, one per
 *                                   line (flushed at once):
 *     LOG <ms> <level> <message>        every log-handler message (ms since before open)
 *     STATUS <ms> <state> <http> <rows_sent> <rows_pending> <files_sent> <files_pending>
 *            <unreachable_since> <last_error>   wb_run_upload_status after each row, and
 *                                   every 500 ms from a second thread during finish
 *     ROW <i>                           after row i was logged
 *     FINISHING                         before wb_run_finish
 *     RESULT {json}                     finish status, message, ms; final status
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../support/call.h"

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static double t0;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}


/* The text with newlines flattened (one message per output line). */
static void put_flat(const char *s) {
    for (; *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, stdout);
}

static void handler(wb_log_level level, const char *msg, void *ud) {
    (void)ud;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    pthread_mutex_lock(&out_mu);
    printf("LOG %.0f %s ", now_ms() - t0, names[level & 3]);
    put_flat(msg);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

static void print_status(const wb_run *run) {
    wb_upload_status st = wb_upload_status_default();
    CHECK(wb_run_upload_status(run, &st, E));
    pthread_mutex_lock(&out_mu);
    printf("STATUS %.0f %d %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " ", now_ms() - t0,
           (int)st.state, st.http_status, st.rows_sent, st.rows_pending, st.files_sent, st.files_pending,
           st.unreachable_since);
    put_flat(st.last_error);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

static void say(const char *fmt, long v) {
    pthread_mutex_lock(&out_mu);
    printf(fmt, v);
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

static volatile int finishing_done = 0;

static void *poll_status(void *arg) {
    const wb_run *run = arg;
    while (!finishing_done) {
        print_status(run);
        sleep_ms(500);
    }
    return NULL;
}

static void json_str(const char *s) {
    fputc('"', stdout);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned char)*s);
        else fputc(*s, stdout);
    }
    fputc('"', stdout);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: status_writer ROOT N SLEEP_MS\n");
        return 2;
    }
    long n = atol(argv[2]), pause = atol(argv[3]);
    CHECK(wb_set_log_handler(handler, NULL, WB_LOG_INFO, E));
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-status";
    const char *t = getenv("WBM_FINISH_TIMEOUT_MS");
    if (t) o.finish_timeout_ms = (uint64_t)strtoull(t, NULL, 10);
    t0 = now_ms();
    wb_run *run = NULL;
    CHECK(wb_run_open(argv[1], &o, &run, E));
    static uint8_t px[16 * 16 * 3];
    for (long i = 0; i < n; i++) {
        wb_value *row = NULL, *v = NULL;
        CHECK(wb_dict_new(&row, E));
        CHECK(wb_value_float((double)i, &v, E));
        CHECK(wb_dict_set(row, "i", v, E));
        wb_value_free(v);
        if (i % 10 == 0) {
            for (int k = 0; k < 16 * 16 * 3; k++) px[k] = (uint8_t)(k * 7 + i * 13);
            int64_t shape[3] = {16, 16, 3};
            wb_tensor tt = {px, WB_DTYPE_U8, 3, shape, NULL};
            CHECK(wb_image_from_tensor(&tt, NULL, &v, E));
            CHECK(wb_dict_set(row, "img", v, E));
            wb_value_free(v);
        }
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
        wb_value_free(row);
        print_status(run);
        say("ROW %ld\n", i);
        if (pause > 0) sleep_ms(pause);
    }
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    say("FINISHING %ld\n", 0);
    pthread_t th;
    pthread_create(&th, NULL, poll_status, run);
    double f0 = now_ms();
    wb_error ferr;
    wb_status fst = wb_run_finish(run, 0, &ferr);
    double f1 = now_ms();
    finishing_done = 1;
    pthread_join(th, NULL);
    wb_upload_status st = wb_upload_status_default();
    CHECK(wb_run_upload_status(run, &st, E));
    pthread_mutex_lock(&out_mu);
    printf("RESULT {\"dir\":");
    json_str(dir);
    printf(",\"finish\":\"%s\",\"message\":", wb_status_name(fst));
    json_str(fst == WB_OK ? "" : ferr.message);
    printf(",\"finish_ms\":%.0f,\"state\":%d,\"http_status\":%u,\"rows_sent\":%" PRIu64
           ",\"rows_pending\":%" PRIu64 ",\"files_sent\":%" PRIu64 ",\"files_pending\":%" PRIu64 ",\"last_error\":",
           f1 - f0, (int)st.state, st.http_status, st.rows_sent, st.rows_pending, st.files_sent, st.files_pending);
    json_str(st.last_error);
    printf("}\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
    wb_string_free(dir);
    CHECK(wb_run_free(run, E));
    return 0;
}
