/*
 * online_writer: online-mode and sync checks through the C ABI (tests/online/online.sh).
 *
 *   online_writer rows ROOT N [IMG]   logs N rows (scalars, and a 16x16 image every IMG
 *                                     rows, default 1) with the mode/server from the
 *                                     environment; prints one JSON line: run dir, finish
 *                                     status and message, wb_run_log latency p50/p99/max (µs);
 *                                     WBM_CONFIG_JSON / WBM_SUMMARY_KEY replace the config and
 *                                     the summary key ("best")
 *   online_writer disabled N          WB_MODE_DISABLED: N wb_run_log calls with an image
 *                                     each; prints ns per call and whether a wandb/ dir exists
 *   online_writer sync DIR            wb_run_sync(DIR) with the environment's server
 *   online_writer kill ROOT           logs rows (an image every 10) about every 2 ms until
 *                                     killed (at most 100000 rows); prints the run dir,
 *                                     then "logging" after the first 50 rows
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "../../support/call.h"


static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static wb_value *image(int i) {
    static uint8_t px[16 * 16 * 3];
    for (int k = 0; k < 16 * 16 * 3; k++) px[k] = (uint8_t)(k * 7 + i * 13);
    int64_t shape[3] = {16, 16, 3};
    wb_tensor t = {px, WB_DTYPE_U8, 3, shape, NULL};
    wb_value *img = NULL;
    CHECK(wb_image_from_tensor(&t, NULL, &img, E));
    return img;
}

static void set_f(wb_value *d, const char *k, double x) {
    wb_value *v = NULL;
    CHECK(wb_value_float(x, &v, E));
    CHECK(wb_dict_set(d, k, v, E));
    wb_value_free(v);
}

static int rows(const char *root, long n, long every) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-online";
    o.config_json = getenv("WBM_CONFIG_JSON") ? getenv("WBM_CONFIG_JSON") : "{\"lr\":0.01,\"rows\":1}";
    const char *t = getenv("WBM_FINISH_TIMEOUT_MS");
    if (t) o.finish_timeout_ms = (uint64_t)strtoull(t, NULL, 10);
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    double *lat = calloc((size_t)n, sizeof(double));
    if (!lat) return 2;
    for (long i = 0; i < n; i++) {
        wb_value *row = NULL;
        CHECK(wb_dict_new(&row, E));
        set_f(row, "loss", 1.0 / (double)(i + 1));
        set_f(row, "i", (double)i);
        if (every > 0 && i % every == 0) {
            wb_value *img = image((int)i);
            CHECK(wb_dict_set(row, "img", img, E));
            wb_value_free(img);
        }
        double t0 = now_us();
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
        lat[i] = now_us() - t0;
        wb_value_free(row);
    }
    wb_value *s = NULL;
    CHECK(wb_dict_new(&s, E));
    set_f(s, getenv("WBM_SUMMARY_KEY") ? getenv("WBM_SUMMARY_KEY") : "best", 0.5);
    CHECK(wb_run_summary_update(run, s, E));
    wb_value_free(s);
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    wb_error ferr;
    double f0 = now_us();
    wb_status fst = wb_run_finish(run, 0, &ferr);
    double fin_ms = (now_us() - f0) / 1e3;
    wb_run_free(run, NULL);
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    double p50 = lat[n / 2], p99 = lat[(size_t)((double)n * 0.99)], mx = lat[n - 1];
    /* message: JSON-escape quotes/backslashes crudely (messages are ASCII) */
    char msg[1024] = "";
    if (fst != WB_OK) {
        size_t j = 0;
        for (const char *c = ferr.message; *c && j < sizeof msg - 2; c++) {
            if (*c == '"' || *c == '\\') msg[j++] = '\\';
            msg[j++] = (*c == '\n') ? ' ' : *c;
        }
        msg[j] = 0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"dir\":\"%s\",\"finish\":\"%s\",\"message\":\"%s\",\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"max_us\":%.1f,\"finish_ms\":%.1f,\"rows\":%ld,\"maxrss_kb\":%ld}\n",
           dir, wb_status_name(fst), msg, p50, p99, mx, fin_ms, n, ru.ru_maxrss);
    wb_string_free(dir);
    free(lat);
    return 0;
}

static int disabled(const char *root, long n) {
    wb_run_options o = wb_run_options_default();
    o.mode = WB_MODE_DISABLED;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    wb_value *row = NULL;
    CHECK(wb_dict_new(&row, E));
    wb_value *img = image(0);
    CHECK(wb_dict_set(row, "img", img, E));
    wb_value_free(img);
    set_f(row, "loss", 0.5);
    double t0 = now_us();
    for (long i = 0; i < n; i++) CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
    double per_ns = (now_us() - t0) * 1e3 / (double)n;
    CHECK(wb_run_finish(run, 0, E));
    wb_run_free(run, NULL);
    wb_value_free(row);
    char path[4096];
    snprintf(path, sizeof path, "%s/wandb", root);
    struct stat st;
    printf("{\"ns_per_call\":%.1f,\"calls\":%ld,\"wandb_dir_exists\":%s}\n", per_ns, n,
           stat(path, &st) == 0 ? "true" : "false");
    return 0;
}

static int killme(const char *root) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-online";
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    printf("%s\n", dir);
    fflush(stdout);
    wb_string_free(dir);
    for (long i = 0; i < 100000; i++) {
        wb_value *row = NULL;
        CHECK(wb_dict_new(&row, E));
        set_f(row, "i", (double)i);
        if (i % 10 == 0) {
            wb_value *img = image((int)i);
            CHECK(wb_dict_set(row, "img", img, E));
            wb_value_free(img);
        }
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
        wb_value_free(row);
        if (i == 50) {
            printf("logging\n");
            fflush(stdout);
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    CHECK(wb_run_finish(run, 0, E));
    wb_run_free(run, NULL);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "kill") == 0) return killme(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "rows") == 0)
        return rows(argv[2], atol(argv[3]), argc >= 5 ? atol(argv[4]) : 1);
    if (argc >= 4 && strcmp(argv[1], "disabled") == 0) return disabled(argv[2], atol(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "sync") == 0) {
        CHECK(wb_run_sync(argv[2], NULL, E));
        return 0;
    }
    fprintf(stderr, "usage: online_writer rows ROOT N [IMG] | disabled ROOT N | sync DIR\n");
    return 2;
}
