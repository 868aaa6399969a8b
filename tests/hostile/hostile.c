/*
 * hostile: one online run against a (hostile) server, through the C ABI (tests/hostile).
 *
 *   hostile ROOT BASE_URL KEY TIMEOUT_MS ROWS EVERY [SAVE ...]   (KEY "-": $HOSTILE_KEY)
 *
 *   hostile artifact ROOT fifo|devzero
 *
 * The artifact case (item 4): a regular file is added to an artifact, then replaced by a
 * FIFO (no writer) or a symlink to /dev/zero before wb_run_log_artifact (offline run);
 * prints {"status", "message", "ms"} of that call, which must fail at once.
 *
 * Logs ROWS rows (two scalars; a 16x16 image every EVERY rows), wb_run_save's each SAVE
 * path (policy now), then wb_run_finish with finish_timeout_ms = TIMEOUT_MS and
 * wb_run_free. Prints one JSON line: the run dir, wb_run_log latency p50/p99/max (µs),
 * finish status, message and duration (ms), free duration, the number of threads left in
 * the process after wb_run_free (/proc/self/task), and peak RSS (KiB).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../support/call.h"
#include "../support/threads.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void json_str(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int artifact_case(const char *root, const char *kind) {
    char path[4096];
    snprintf(path, sizeof path, "%s/weights.bin", root);
    FILE *f = fopen(path, "wb");
    if (!f) return 2;
    for (int i = 0; i < 1000; i++) fputc(i & 0xff, f);
    fclose(f);
    wb_artifact *a = NULL;
    CHECK(wb_artifact_new("model", "model", &a, E));
    CHECK(wb_artifact_add_file(a, path, NULL, E));
    unlink(path);
    if (strcmp(kind, "fifo") == 0) {
        if (mkfifo(path, 0600) != 0) return 2;
    } else if (symlink("/dev/zero", path) != 0) {
        return 2;
    }
    wb_run_options o = wb_run_options_default();
    o.mode = WB_MODE_OFFLINE;
    o.disable_stats = true;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    double t0 = now_us();
    wb_error err;
    memset(&err, 0, sizeof err);
    wb_status st = wb_run_log_artifact(run, a, NULL, 0, &err);
    double ms = (now_us() - t0) / 1e3;
    printf("{\"status\":\"%s\",\"message\":", wb_status_name(st));
    json_str(st == WB_OK ? "" : err.message);
    printf(",\"ms\":%.1f}\n", ms);
    fflush(stdout);
    wb_artifact_free(a);
    CHECK(wb_run_free(run, E));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "artifact") == 0) return artifact_case(argv[2], argv[3]);
    if (argc < 7) {
        fprintf(stderr, "usage: hostile ROOT BASE_URL KEY TIMEOUT_MS ROWS EVERY [SAVE ...]\n");
        return 2;
    }
    const char *root = argv[1];
    int rows = atoi(argv[5]), every = atoi(argv[6]);
    wb_run_options o = wb_run_options_default();
    o.mode = WB_MODE_ONLINE;
    o.base_url = argv[2];
    /* "-": the key from HOSTILE_KEY (kept off the command line, which the run records). */
    o.api_key = strcmp(argv[3], "-") == 0 ? getenv("HOSTILE_KEY") : argv[3];
    o.finish_timeout_ms = strtoull(argv[4], NULL, 10);
    o.project = "hostile";
    o.disable_stats = true;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));

    static uint8_t px[16 * 16 * 3];
    double *lat = calloc((size_t)rows + 1, sizeof(double));
    for (int i = 0; i < rows; i++) {
        wb_value *row = NULL;
        CHECK(wb_dict_new(&row, E));
        wb_value *v = NULL;
        CHECK(wb_value_float((double)i * 0.5, &v, E));
        CHECK(wb_dict_set(row, "loss", v, E));
        wb_value_free(v);
        CHECK(wb_value_int(i, &v, E));
        CHECK(wb_dict_set(row, "i", v, E));
        wb_value_free(v);
        if (every > 0 && i % every == 0) {
            for (int k = 0; k < (int)sizeof px; k++) px[k] = (uint8_t)(k * 7 + i * 13);
            int64_t shape[3] = {16, 16, 3};
            wb_tensor t = {px, WB_DTYPE_U8, 3, shape, NULL};
            CHECK(wb_image_from_tensor(&t, NULL, &v, E));
            CHECK(wb_dict_set(row, "img", v, E));
            wb_value_free(v);
        }
        double t0 = now_us();
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
        lat[i] = now_us() - t0;
        wb_value_free(row);
    }
    /* A save may be refused (e.g. not a regular file): reported, not fatal. */
    char save_msg[1024] = "";
    for (int a = 7; a < argc; a++) {
        size_t n = 0;
        wb_error serr;
        if (wb_run_save(run, argv[a], NULL, WB_SAVE_NOW, &n, &serr) != WB_OK)
            snprintf(save_msg, sizeof save_msg, "%s: %s", argv[a], serr.message);
    }
    qsort(lat, (size_t)rows, sizeof(double), cmp_double);
    double t0 = now_us();
    wb_error ferr;
    memset(&ferr, 0, sizeof ferr);
    wb_status fst = wb_run_finish(run, 0, &ferr);
    double finish_ms = (now_us() - t0) / 1e3;
    t0 = now_us();
    wb_error err;
    wb_status free_st = wb_run_free(run, &err);
    double free_ms = (now_us() - t0) / 1e3;
    int waited = 0;
    int left = threads_settle(1, &waited);
    if (left > 1) threads_list(stderr);
    else if (waited) fprintf(stderr, "hostile: a thread was still listed %d ms after wb_run_free\n", waited);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"dir\":");
    json_str(dir);
    printf(",\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f", rows ? lat[rows / 2] : 0.0,
           rows ? lat[rows * 99 / 100] : 0.0, rows ? lat[rows - 1] : 0.0);
    printf(",\"finish_status\":\"%s\",\"finish_msg\":", wb_status_name(fst));
    json_str(fst == WB_OK ? "" : ferr.message);
    printf(",\"save_msg\":");
    json_str(save_msg);
    printf(",\"finish_ms\":%.1f,\"free_status\":\"%s\",\"free_ms\":%.1f,\"threads_after_free\":%d,\"maxrss_kb\":%ld}\n",
           finish_ms, wb_status_name(free_st), free_ms, left, ru.ru_maxrss);
    wb_string_free(dir);
    free(lat);
    return 0;
}
