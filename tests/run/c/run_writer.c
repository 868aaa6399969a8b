/*
 * run_writer: writes offline W&B runs through the C ABI only (tests/run/run.sh drives it).
 *
 *   run_writer basic  ROOT                 the reference run (same rows as same_rows.py)
 *   run_writer stress ROOT THREADS PER [async]  THREADS threads × PER logs, each with a
 *                                          small image; prints the run dir
 *   run_writer errors ROOT                 argument/state errors of the run API
 *   run_writer kill   ROOT                 logs rows with images until killed (bounded: at
 *                                          most 200000 rows); prints the run dir, then
 *                                          "logging" once the first rows are in the log
 *
 * Every call is checked; on failure the program prints the error and exits with 2.
 * The basic run is structured as one function per media family so that further families
 * (video, audio, tables) can be added as their C API lands.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../support/call.h"

/* `E` is the error out-parameter used inside CHECK. */

/* ---- small helpers building values (the caller frees what it creates) ---- */

static wb_value *dict(void) {
    wb_value *d = NULL;
    CHECK(wb_dict_new(&d, E));
    return d;
}

/* Sets d[key] = v and frees v (dict_set stores a copy). */
static void set(wb_value *d, const char *key, wb_value *v) {
    CHECK(wb_dict_set(d, key, v, E));
    wb_value_free(v);
}

static wb_value *f64v(double x) {
    wb_value *v = NULL;
    CHECK(wb_value_float(x, &v, E));
    return v;
}

static wb_value *i64v(int64_t x) {
    wb_value *v = NULL;
    CHECK(wb_value_int(x, &v, E));
    return v;
}

static wb_value *strv(const char *s) {
    wb_value *v = NULL;
    CHECK(wb_value_string(s, &v, E));
    return v;
}

static wb_value *boolv(bool b) {
    wb_value *v = NULL;
    CHECK(wb_value_bool(b, &v, E));
    return v;
}

/* (arange(n) * mul + add) % 256 as an image of shape h×w×c (c = 1: 2-D gray). */
static wb_value *pattern_image(size_t h, size_t w, size_t c, int mul, int add) {
    size_t n = h * w * c;
    uint8_t *px = malloc(n);
    for (size_t k = 0; k < n; k++) px[k] = (uint8_t)(((long)k * mul + add) % 256);
    wb_value *img = NULL;
    CHECK(wb_image_new_u8(px, h, w, c, &img, E));
    free(px);
    return img;
}

static void log_row(wb_run *run, wb_value *row, int64_t step, int commit) {
    CHECK(wb_run_log(run, row, step, commit, E));
    wb_value_free(row);
}

/* ---- the basic run: one function per family ---- */

/* Scalars, strings, bools, NaN, a nested dict, a small array, an empty dict. */
static void add_scalars(wb_value *row, int i) {
    set(row, "loss", f64v(1.0 / (i + 1)));
    set(row, "acc", f64v(i * 0.01));
    set(row, "epoch", i64v(i / 10));
    set(row, "phase", strv(i % 2 ? "train" : "val"));
    set(row, "ok", boolv(i % 3 == 0));
    if (i == 3) set(row, "nanval", f64v(NAN));
    if (i == 4) set(row, "nanval", f64v(0.5)); /* keeps NaN out of the final summary */
    if (i == 4) set(row, "meta", dict());
    if (i == 7) { /* a row larger than a 32 KiB block: FIRST/MIDDLE/LAST chunks */
        char *t = malloc(70001);
        for (int k = 0; k < 70000; k++) t[k] = k % 2 ? 'b' : 'a';
        t[70000] = 0;
        set(row, "long_text", strv(t));
        free(t);
    }
    if (i == 5) {
        double a[3] = {1.5, 2.5, 3.5};
        int64_t shape[1] = {3};
        wb_tensor t = {a, WB_DTYPE_F64, 1, shape, NULL};
        wb_value *v = NULL;
        CHECK(wb_value_from_tensor(&t, &v, E));
        set(row, "arr", v);
    }
    wb_value *eval = dict();
    set(eval, "x", i64v(i * 2));
    set(row, "eval", eval);
}

/* Every 10 steps: a list of two images (caption on the first) and a nested image. */
static void add_images(wb_value *row, int i) {
    if (i % 10 != 0) return;
    wb_value *list = NULL;
    CHECK(wb_list_new(&list, E));
    wb_value *a = pattern_image(8, 8, 3, 1, i);
    char cap[32];
    snprintf(cap, sizeof cap, "step %d", i);
    CHECK(wb_value_set_caption(a, cap, E));
    wb_value *b = pattern_image(4, 6, 1, 3, i);
    CHECK(wb_list_append(list, a, E));
    CHECK(wb_list_append(list, b, E));
    wb_value_free(a);
    wb_value_free(b);
    set(row, "samples", list);
    /* the nested image lands in row["eval"]["img"]: rebuild eval with it */
    wb_value *eval = dict();
    set(eval, "x", i64v(i * 2));
    set(eval, "img", pattern_image(16, 16, 3, 7, i));
    set(row, "eval", eval);
}

/* At step 50: a 64-bin histogram of 1000 exactly representable values. */
static void add_histogram(wb_value *row, int i) {
#ifdef WB_RUN_TEST_NO_HISTOGRAM /* only while the histogram encoder is a stub */
    return;
#endif
    if (i != 50) return;
    double *v = malloc(1000 * sizeof(double));
    for (int k = 0; k < 1000; k++) v[k] = (double)((k * 37) % 1000) / 10.0;
    int64_t shape[1] = {1000};
    wb_tensor t = {v, WB_DTYPE_F64, 1, shape, NULL};
    wb_value *h = NULL;
    CHECK(wb_histogram_from_tensor(&t, 64, &h, E));
    free(v);
    set(row, "weights", h);
}

/* Step 20: an image with a box layer; step 30: an image with a mask layer. Both set
 * class-label singletons in the run config (`_wandb`). */
static void add_boxes_masks(wb_value *row, int i) {
    if (i == 20) {
        wb_value *img = pattern_image(12, 16, 3, 5, i);
        CHECK(wb_image_add_boxes(img, "predictions",
                                 "[{\"position\":{\"minX\":0.1,\"maxX\":0.4,\"minY\":0.2,\"maxY\":0.5},"
                                 "\"class_id\":1,\"box_caption\":\"car\",\"scores\":{\"acc\":0.9}},"
                                 "{\"position\":{\"minX\":0.5,\"maxX\":0.9,\"minY\":0.1,\"maxY\":0.8},"
                                 "\"class_id\":2}]",
                                 "{\"1\":\"car\",\"2\":\"person\"}", E));
        set(row, "boxed", img);
    }
    if (i == 30) {
        wb_value *img = pattern_image(4, 6, 3, 9, i);
        uint8_t m[24];
        for (int k = 0; k < 24; k++) m[k] = (uint8_t)(k % 6 >= 3 ? 2 : 0);
        int64_t shape[2] = {4, 6};
        wb_tensor t = {m, WB_DTYPE_U8, 2, shape, NULL};
        CHECK(wb_image_add_mask(img, "seg", &t, "{\"0\":\"bg\",\"2\":\"thing\"}", E));
        set(row, "masked", img);
    }
}

/* Step 40: a table with scalar, string, null and image cells (run copy + run_table
 * artifact). */
static void add_table(wb_value *row, int i) {
    if (i != 40) return;
    wb_value *t = NULL;
    CHECK(wb_table_new("[\"id\",\"name\",\"score\",\"img\"]", NULL, &t, E));
    for (int r = 0; r < 3; r++) {
        char name[16];
        snprintf(name, sizeof name, "row%d", r);
        wb_value *cells[4] = {i64v(r), strv(name), r == 1 ? NULL : f64v(r * 0.25),
                              pattern_image(4, 4, 3, 11, r)};
        if (!cells[2]) CHECK(wb_value_null(&cells[2], E));
        CHECK(wb_table_add_row(t, cells, 4, E));
        for (int c = 0; c < 4; c++) wb_value_free(cells[c]);
    }
    set(row, "tbl", t);
}

/* Step 60: one audio clip and a list of two (caption on the first); exactly representable
 * samples so the WAV bytes match the SDK's. */
static wb_value *audio_clip(int n, int mul, uint32_t rate) {
    double *a = malloc((size_t)n * sizeof(double));
    for (int k = 0; k < n; k++) a[k] = (double)((k * mul) % 200 - 100) / 128.0;
    int64_t shape[1] = {n};
    wb_tensor t = {a, WB_DTYPE_F64, 1, shape, NULL};
    wb_value *v = NULL;
    CHECK(wb_audio_from_tensor(&t, rate, &v, E));
    free(a);
    return v;
}

static void add_audio(wb_value *row, int i) {
    if (i != 60) return;
    set(row, "clip", audio_clip(800, 37, 8000));
    wb_value *list = NULL;
    CHECK(wb_list_new(&list, E));
    wb_value *a = audio_clip(400, 13, 8000);
    CHECK(wb_value_set_caption(a, "first", E));
    wb_value *b = audio_clip(300, 7, 16000);
    CHECK(wb_list_append(list, a, E));
    CHECK(wb_list_append(list, b, E));
    wb_value_free(a);
    wb_value_free(b);
    set(row, "clips", list);
}

/* Step 70: a GIF video from a (T, C, H, W) uint8 tensor at 4 fps. */
static void add_video(wb_value *row, int i) {
    if (i != 70) return;
    size_t n = 3 * 3 * 8 * 10;
    uint8_t *px = malloc(n);
    for (size_t k = 0; k < n; k++) px[k] = (uint8_t)((k * 29) % 256);
    int64_t shape[4] = {3, 3, 8, 10};
    wb_tensor t = {px, WB_DTYPE_U8, 4, shape, NULL};
    wb_video_options vo = wb_video_options_default();
    vo.format = WB_VIDEO_GIF;
    vo.fps = 4;
    wb_value *v = NULL;
    CHECK(wb_video_from_tensor(&t, &vo, &v, E));
    free(px);
    set(row, "vid", v);
}

static int basic(const char *root) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-test";
    o.entity = "wbm";
    o.name = "same-rows";
    o.config_json = "{\"lr\":0.001,\"layers\":[64,64],\"optimizer\":{\"name\":\"adam\",\"beta\":0.9}}";
    o.tags_json = "[\"native\",\"c\"]";
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));

    for (int i = 0; i < 100; i++) {
        wb_value *row = dict();
        add_scalars(row, i);
        add_images(row, i);
        add_histogram(row, i);
        add_boxes_masks(row, i);
        add_table(row, i);
        add_audio(row, i);
        add_video(row, i);
        log_row(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT);
    }
    /* commit=false merges into the pending row (step 100) */
    wb_value *r = dict();
    set(r, "partial", i64v(1));
    log_row(run, r, WB_RUN_STEP_NONE, 0);
    r = dict();
    set(r, "partial2", i64v(2));
    log_row(run, r, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT);
    /* an explicit step, then a row merged into it */
    r = dict();
    set(r, "late", i64v(1));
    log_row(run, r, 105, WB_RUN_COMMIT_DEFAULT);
    r = dict();
    set(r, "late2", i64v(2));
    log_row(run, r, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT);

    wb_value *s = dict();
    set(s, "best_acc", f64v(0.99));
    wb_value *fin = dict();
    set(fin, "loss", f64v(0.01));
    set(s, "final", fin);
    CHECK(wb_run_summary_update(run, s, E));
    wb_value_free(s);
    CHECK(wb_run_config_update_json(run, "{\"extra\":\"v\"}", E));

    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    printf("%s\n", dir);
    wb_string_free(dir);
    return 0;
}

/* ---- stress: many threads logging at once ---- */

struct worker {
    wb_run *run;
    int thread;
    int per;
};

static void *stress_worker(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < w->per; i++) {
        wb_value *row = dict();
        set(row, "thread", i64v(w->thread));
        set(row, "i", i64v(i));
        /* 4×4 RGB image unique to (thread, i) */
        uint8_t px[48];
        for (int k = 0; k < 48; k++) px[k] = (uint8_t)(w->thread * 16 + k);
        px[0] = (uint8_t)(i & 0xff);
        px[1] = (uint8_t)(i >> 8);
        wb_value *img = NULL;
        CHECK(wb_image_new_u8(px, 4, 4, 3, &img, E));
        set(row, "img", img);
        log_row(w->run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT);
    }
    return NULL;
}

static int stress(const char *root, int threads, int per, int async_mode) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-stress";
    o.fsync = WB_FSYNC_NEVER;
    o.async_mode = async_mode;
    o.queue_depth = 64;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    struct worker *w = calloc((size_t)threads, sizeof *w);
    for (int t = 0; t < threads; t++) {
        w[t] = (struct worker){run, t, per};
        if (pthread_create(&tid[t], NULL, stress_worker, &w[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 2;
        }
    }
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    CHECK(wb_run_flush(run, E));
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    printf("%s\n", dir);
    wb_string_free(dir);
    free(tid);
    free(w);
    return 0;
}

/* ---- kill: log until SIGKILL ---- */

static int kill_target(const char *root) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-kill";
    o.fsync = WB_FSYNC_NEVER;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    printf("%s\n", dir);
    fflush(stdout);
    for (int i = 0; i < 200000; i++) {
        wb_value *row = dict();
        set(row, "i", i64v(i));
        /* images of varying size so records and files differ in length */
        set(row, "img", pattern_image(8 + i % 24, 8 + i % 17, 3, 5, i));
        char pad[600];
        memset(pad, 'x', sizeof pad - 1);
        pad[(i * 7) % (sizeof pad - 1)] = 0;
        set(row, "text", strv(pad));
        log_row(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT);
        if (i == 20) {
            printf("logging\n");
            fflush(stdout);
        }
    }
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    return 0;
}

/* ---- errors: argument checks of the run API (exit 3 on the first unexpected result) ---- */

static void expect(const char *what, wb_status got, wb_status want, const wb_error *err,
                   const char *needle) {
    if (got != want || (needle && !strstr(err->message, needle))) {
        fprintf(stderr, "run_writer errors: %s: got %s (%s), want %s%s%s\n", what,
                wb_status_name(got), err->message, wb_status_name(want),
                needle ? " mentioning " : "", needle ? needle : "");
        exit(3);
    }
}

struct captured_log {
    int count;
    wb_log_level level;
    char last[512];
};
static struct captured_log captured;

static void capture_log(wb_log_level level, const char *message, void *user_data) {
    struct captured_log *c = user_data;
    c->count++;
    c->level = level;
    snprintf(c->last, sizeof c->last, "%s", message);
}

static int errors(const char *root) {
    wb_error err;
    wb_run *run = NULL;
    wb_run_options o = wb_run_options_default();
    /* NULL root: WANDB_DIR (else the current directory), as the SDK's dir=None */
    setenv("WANDB_DIR", root, 1);
    expect("NULL root = WANDB_DIR", wb_run_open(NULL, &o, &run, &err), WB_OK, &err, NULL);
    unsetenv("WANDB_DIR");
    {
        char *p = NULL;
        expect("dir of NULL-root run", wb_run_dir_path(run, &p, &err), WB_OK, &err, NULL);
        if (strncmp(p, root, strlen(root)) != 0 && !strstr(p, root + (root[0] == '.' ? 1 : 0))) {
            fprintf(stderr, "run_writer errors: NULL root run at %s, not under WANDB_DIR %s\n", p, root);
            exit(3);
        }
        wb_string_free(p);
        expect("free NULL-root run", wb_run_free(run, &err), WB_OK, &err, NULL);
        run = NULL;
    }
    expect("NULL out", wb_run_open(root, &o, NULL, &err), WB_ERR_NULL_ARGUMENT, &err, "out");
    o.config_json = "[1]";
    expect("config not an object", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "config_json");
    o = wb_run_options_default();
    o.tags_json = "[\"a\",1]";
    expect("tags not strings", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "tags_json");
    o = wb_run_options_default();
    o.id = "a/b";
    expect("bad id", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "run id");
    o = wb_run_options_default();
    *(int *)&o.fsync = 7;
    expect("bad fsync", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "fsync");
    if (run != NULL) {
        fprintf(stderr, "run_writer errors: out written on failure\n");
        exit(3);
    }
    /* a struct_size smaller than the first version or larger than the library knows is an
       uninitialised struct or a header/library mismatch: refused */
    o = wb_run_options_default();
    o.struct_size = offsetof(wb_run_options, tags_json);
    expect("small struct", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "struct_size");
    o = wb_run_options_default();
    o.struct_size = sizeof(wb_run_options) + 64;
    expect("big struct", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "struct_size");
    o = wb_run_options_default();
    o.id = "errtest1";
    expect("open", wb_run_open(root, &o, &run, &err), WB_OK, &err, NULL);

    wb_value *row = dict();
    set(row, "x", i64v(1));
    wb_value *notdict = i64v(1);
    const int64_t NONE = WB_RUN_STEP_NONE;
    const int DEF = WB_RUN_COMMIT_DEFAULT;
    expect("NULL run", wb_run_log(NULL, row, NONE, DEF, &err), WB_ERR_NULL_ARGUMENT, &err, "run");
    expect("NULL row", wb_run_log(run, NULL, NONE, DEF, &err), WB_ERR_NULL_ARGUMENT, &err, "row");
    expect("row not a dict", wb_run_log(run, notdict, NONE, DEF, &err), WB_ERR_INVALID_ARGUMENT, &err, "dictionary");
    expect("bad step", wb_run_log(run, row, -5, DEF, &err), WB_ERR_INVALID_ARGUMENT, &err, "step");
    expect("bad commit", wb_run_log(run, row, NONE, 2, &err), WB_ERR_INVALID_ARGUMENT, &err, "commit");
    /* the sentinels have distinct values: swapping them is an error, not another meaning */
    expect("step sentinel as commit", wb_run_log(run, row, NONE, (int)WB_RUN_STEP_NONE, &err), WB_ERR_INVALID_ARGUMENT,
           &err, "WB_RUN_COMMIT_DEFAULT");
    expect("commit sentinel as step", wb_run_log(run, row, WB_RUN_COMMIT_DEFAULT, DEF, &err), WB_ERR_INVALID_ARGUMENT,
           &err, "WB_RUN_STEP_NONE");
    expect("log", wb_run_log(run, row, NONE, DEF, &err), WB_OK, &err, NULL);
    /* a row below the current step is dropped, as the SDK does, with its warning */
    expect("handler", wb_set_log_handler(capture_log, &captured, WB_LOG_WARN, &err), WB_OK, &err, NULL);
    expect("bad level", wb_set_log_handler(capture_log, &captured, (wb_log_level)9, &err), WB_ERR_INVALID_ARGUMENT,
           &err, "min_level");
    expect("log step 5", wb_run_log(run, row, 5, DEF, &err), WB_OK, &err, NULL);
    expect("log step 3", wb_run_log(run, row, 3, DEF, &err), WB_OK, &err, NULL);
    expect("handler off", wb_set_log_handler(NULL, NULL, WB_LOG_WARN, &err), WB_OK, &err, NULL);
    if (captured.count != 1 || captured.level != WB_LOG_WARN ||
        !strstr(captured.last, "Tried to log to step 3 that is less than the current step 5")) {
        fprintf(stderr, "run_writer errors: dropped-step warning not delivered (%d: %s)\n", captured.count,
                captured.last);
        exit(3);
    }
    expect("config not JSON", wb_run_config_update_json(run, "{", &err), WB_ERR_INVALID_ARGUMENT, &err, NULL);
    expect("config reserved", wb_run_config_update_json(run, "{\"_wandb\":1}", &err), WB_ERR_INVALID_ARGUMENT, &err, "_wandb");
    wb_value *img = pattern_image(2, 2, 3, 1, 0);
    wb_value *cfg = dict();
    set(cfg, "img", img);
    expect("media in config", wb_run_config_update(run, cfg, &err), WB_ERR_INVALID_ARGUMENT, &err, "config");
    expect("summary not a dict", wb_run_summary_update(run, notdict, &err), WB_ERR_INVALID_ARGUMENT, &err, NULL);
    char *s = NULL;
    expect("id", wb_run_id(run, &s, &err), WB_OK, &err, NULL);
    if (strcmp(s, "errtest1") != 0) {
        fprintf(stderr, "run_writer errors: id %s\n", s);
        exit(3);
    }
    wb_string_free(s);
    expect("id NULL out", wb_run_id(run, NULL, &err), WB_ERR_NULL_ARGUMENT, &err, "out");
    expect("files dir", wb_run_files_dir(run, &s, &err), WB_OK, &err, NULL);
    wb_string_free(s);
    expect("flush", wb_run_flush(run, &err), WB_OK, &err, NULL);
    expect("finish", wb_run_finish(run, 0, &err), WB_OK, &err, NULL);
    expect("finish twice", wb_run_finish(run, 0, &err), WB_ERR_STATE, &err, "finished");
    expect("log after finish", wb_run_log(run, row, NONE, DEF, &err), WB_ERR_STATE, &err, "finished");
    expect("flush after finish", wb_run_flush(run, &err), WB_ERR_STATE, &err, NULL);
    /* the same id again: the log file exists */
    wb_run *again = NULL;
    o = wb_run_options_default();
    o.id = "errtest1";
    wb_status st = wb_run_open(root, &o, &again, &err);
    if (st == WB_OK) expect("free unfinished", wb_run_free(again, &err), WB_OK, &err, NULL); /* a new second */
    else expect("same id, same second", st, WB_ERR_IO, &err, NULL);
    expect("free", wb_run_free(run, &err), WB_OK, &err, NULL);
    expect("free NULL", wb_run_free(NULL, &err), WB_OK, &err, NULL);
    wb_value_free(row);
    wb_value_free(notdict);
    wb_value_free(cfg);
    printf("errors: ok\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "basic") == 0) return basic(argv[2]);
    if (argc >= 5 && strcmp(argv[1], "stress") == 0)
        return stress(argv[2], atoi(argv[3]), atoi(argv[4]), argc >= 6 && strcmp(argv[5], "async") == 0);
    if (argc >= 3 && strcmp(argv[1], "kill") == 0) return kill_target(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "errors") == 0) return errors(argv[2]);
    fprintf(stderr, "usage: run_writer basic ROOT | stress ROOT THREADS PER [async] | kill ROOT\n");
    return 64;
}
