/*
 * run_bench: rows/s of wb_run_log into an offline run (benches/run.sh prints the table).
 *
 *   run_bench ROOT scalar|image THREADS ROWS [async]
 *
 * Time = from wb_run_open to the end of wb_run_finish (everything on disk, fsync at finish),
 * ROWS split over THREADS threads logging into the same run. Rows are the ones
 * benches/run_bench.py logs with wandb: 10 scalars, or a loss plus one 256×256 RGB image
 * (content unique per row). Prints "rows seconds rows_per_second".
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wandb_media.h"

#define SIDE 256
#define NPX (SIDE * SIDE * 3)
#define POOL 8

static uint8_t *pool[POOL];
static wb_run *run;
static int image_rows;

static void check(wb_status st, const wb_error *e, const char *what) {
    if (st != WB_OK) {
        fprintf(stderr, "run_bench: %s: %s %s\n", what, wb_status_name(st), e->message);
        exit(2);
    }
}

/* The same formula as run_bench.py: a gradient/quadratic mix that compresses moderately. */
static void make_pool(void) {
    for (uint64_t b = 0; b < POOL; b++) {
        pool[b] = malloc(NPX);
        for (uint64_t k = 0; k < NPX; k++)
            pool[b][k] = (uint8_t)((k * (2 * b + 1) + (k >> 8) * 3 + ((k * k) >> 11)) & 255);
    }
}

static void set_f(wb_value *d, const char *k, double x) {
    wb_error e;
    wb_value *v;
    check(wb_value_float(x, &v, &e), &e, "float");
    check(wb_dict_set(d, k, v, &e), &e, "dict_set");
    wb_value_free(v);
}

static void set_i(wb_value *d, const char *k, int64_t x) {
    wb_error e;
    wb_value *v;
    check(wb_value_int(x, &v, &e), &e, "int");
    check(wb_dict_set(d, k, v, &e), &e, "dict_set");
    wb_value_free(v);
}

struct job {
    long first, count;
};

static void *worker(void *arg) {
    struct job *j = arg;
    uint8_t *px = malloc(NPX);
    wb_error e;
    for (long i = j->first; i < j->first + j->count; i++) {
        wb_value *row;
        check(wb_dict_new(&row, &e), &e, "dict");
        if (image_rows) {
            set_f(row, "loss", 1.0 / (double)(i + 1));
            memcpy(px, pool[i % POOL], NPX);
            memcpy(px, &i, sizeof i); /* unique content → a new file per row */
            wb_value *img;
            check(wb_image_new_u8(px, SIDE, SIDE, 3, &img, &e), &e, "image");
            check(wb_dict_set(row, "img", img, &e), &e, "dict_set");
            wb_value_free(img);
        } else {
            set_f(row, "loss", 1.0 / (double)(i + 1));
            set_f(row, "acc", (double)i * 1e-4);
            set_f(row, "lr", 0.001);
            set_f(row, "grad_norm", 0.5 + (double)(i % 7));
            set_f(row, "val_loss", 2.0 / (double)(i + 2));
            set_f(row, "throughput", 1234.5);
            set_i(row, "epoch", i / 1000);
            set_i(row, "batch", i);
            set_i(row, "tokens", i * 512);
            set_f(row, "temperature", 0.7);
        }
        check(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &e), &e, "log");
        wb_value_free(row);
    }
    free(px);
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: run_bench ROOT scalar|image THREADS ROWS [async]\n");
        return 64;
    }
    image_rows = strcmp(argv[2], "image") == 0;
    int threads = atoi(argv[3]);
    long rows = atol(argv[4]);
    if (threads < 1 || rows < threads) return 64;
    if (image_rows) make_pool();

    wb_run_options o = wb_run_options_default();
    o.project = "wbm-bench";
    o.async_mode = argc > 5 && strcmp(argv[5], "async") == 0;
    wb_error e;
    double t0 = now();
    check(wb_run_open(argv[1], &o, &run, &e), &e, "open");
    pthread_t tid[64];
    struct job jobs[64];
    if (threads > 64) threads = 64;
    for (int t = 0; t < threads; t++) {
        jobs[t].first = rows * t / threads;
        jobs[t].count = rows * (t + 1) / threads - jobs[t].first;
        pthread_create(&tid[t], NULL, worker, &jobs[t]);
    }
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    check(wb_run_finish(run, 0, &e), &e, "finish");
    double dt = now() - t0;
    check(wb_run_free(run, &e), &e, "free");
    printf("%ld %.3f %.1f\n", rows, dt, (double)rows / dt);
    return 0;
}
