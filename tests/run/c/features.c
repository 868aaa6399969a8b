/*
 * features: run features beyond logging, through the C ABI only (tests/run/run.sh drives it
 * and compares the result with the SDK's run written by tests/run/features/features.py).
 *
 *   features metric ROOT     wb_run_define_metric: globs, step metrics, summaries
 *   features metric-errors ROOT   argument errors of wb_run_define_metric
 *
 * Prints the run directory. Every call is checked; on failure it prints the error and exits 2.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wandb_media.h"

static void die(const char *what, wb_status st, const wb_error *err) {
    fprintf(stderr, "features: %s failed: %s: %s\n", what, wb_status_name(st), err ? err->message : "");
    exit(2);
}

#define CHECK(call)                               \
    do {                                          \
        wb_error err_;                            \
        wb_status st_ = (call);                   \
        if (st_ != WB_OK) die(#call, st_, &err_); \
    } while (0)
#define E (&err_)

static wb_value *dict(void) {
    wb_value *d = NULL;
    CHECK(wb_dict_new(&d, E));
    return d;
}
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
static void log_row(wb_run *run, wb_value *row) {
    CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
    wb_value_free(row);
}

static wb_run *open_run(const char *root) {
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-test";
    o.entity = "wbm";
    o.name = "features";
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    return run;
}

static int finish(wb_run *run) {
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    CHECK(wb_run_finish(run, 0, E));
    wb_run_free(run);
    printf("%s\n", dir);
    wb_string_free(dir);
    return 0;
}

static void define(wb_run *run, const char *name, const char *step, uint32_t summary, int step_sync,
                   bool hidden, bool overwrite) {
    wb_metric_options m = wb_metric_options_default();
    m.step_metric = step;
    m.summary = summary;
    m.step_sync = step_sync;
    m.hidden = hidden;
    m.overwrite = overwrite;
    CHECK(wb_run_define_metric(run, name, &m, E));
}

static int metric(const char *root) {
    wb_run *run = open_run(root);
    wb_value *r = dict();
    set(r, "acc", f64v(0.5));
    log_row(run, r);
    define(run, "train/*", "epoch", WB_METRIC_SUMMARY_MIN | WB_METRIC_SUMMARY_MAX, -1, false, false);
    define(run, "val/loss", "epoch", WB_METRIC_SUMMARY_MIN, -1, false, false);
    define(run, "acc", NULL, WB_METRIC_SUMMARY_MAX | WB_METRIC_SUMMARY_MEAN | WB_METRIC_SUMMARY_LAST, -1, false, false);
    define(run, "secret", NULL, WB_METRIC_SUMMARY_NONE, -1, true, false);
    define(run, "eval.loss", NULL, WB_METRIC_SUMMARY_FIRST | WB_METRIC_SUMMARY_MIN, -1, false, false);
    define(run, "frame_metric", "frame", 0, 0, false, false);
    define(run, "acc", NULL, WB_METRIC_SUMMARY_MIN, -1, false, false);
    define(run, "val/loss", "env_step", 0, -1, false, true);
    for (int i = 0; i < 6; i++) {
        r = dict();
        set(r, "train/loss", f64v(1.0 / (i + 1)));
        set(r, "train/acc", f64v(i * 0.1));
        set(r, "acc", f64v((double)(i * 7 % 5) / 5));
        set(r, "secret", i64v(i));
        wb_value *ev = dict();
        set(ev, "loss", f64v(2.0 - i * 0.25));
        set(r, "eval", ev);
        set(r, "frame_metric", i64v(i));
        if (i % 2 == 0) set(r, "epoch", i64v(i / 2));
        if (i == 3) set(r, "val/loss", f64v(0.5));
        if (i == 4) set(r, "frame", i64v(40));
        log_row(run, r);
    }
    wb_value *s = dict();
    set(s, "acc", f64v(0.99));
    CHECK(wb_run_summary_update(run, s, E));
    wb_value_free(s);
    r = dict();
    set(r, "acc", f64v(0.1));
    log_row(run, r);
    return finish(run);
}

static void expect(const char *what, wb_status got, wb_status want, const wb_error *err, const char *needle) {
    if (got != want || (needle && !strstr(err->message, needle))) {
        fprintf(stderr, "features: %s: got %s (%s), want %s %s\n", what, wb_status_name(got), err->message,
                wb_status_name(want), needle ? needle : "");
        exit(3);
    }
}

static int metric_errors(const char *root) {
    wb_error err;
    wb_run *run = open_run(root);
    wb_metric_options m = wb_metric_options_default();
    expect("NULL run", wb_run_define_metric(NULL, "a", &m, &err), WB_ERR_NULL_ARGUMENT, &err, "run");
    expect("NULL name", wb_run_define_metric(run, NULL, &m, &err), WB_ERR_NULL_ARGUMENT, &err, "name");
    expect("empty name", wb_run_define_metric(run, "", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "non-empty");
    expect("inner glob", wb_run_define_metric(run, "a*b", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "glob");
    m.summary = 64;
    expect("bad summary", wb_run_define_metric(run, "a", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "summary");
    m = wb_metric_options_default();
    m.step_sync = 2;
    expect("bad step_sync", wb_run_define_metric(run, "a", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "step_sync");
    m = wb_metric_options_default();
    *(int *)&m.goal = 9;
    expect("bad goal", wb_run_define_metric(run, "a", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "goal");
    m = wb_metric_options_default();
    m.struct_size = 4;
    expect("tiny struct", wb_run_define_metric(run, "a", &m, &err), WB_ERR_INVALID_ARGUMENT, &err, "struct_size");
    m = wb_metric_options_default();
    m.struct_size = offsetof(wb_metric_options, step_sync);  /* an older caller: defaults after */
    m.step_sync = 7;
    m.summary = WB_METRIC_SUMMARY_MAX;
    expect("old struct", wb_run_define_metric(run, "old", &m, &err), WB_OK, &err, NULL);
    expect("NULL options", wb_run_define_metric(run, "b", NULL, &err), WB_OK, &err, NULL);
    m = wb_metric_options_default();
    m.goal = WB_METRIC_GOAL_MAXIMIZE;
    expect("goal", wb_run_define_metric(run, "c", &m, &err), WB_OK, &err, NULL);
    CHECK(wb_run_finish(run, 0, E));
    expect("after finish", wb_run_define_metric(run, "a", NULL, &err), WB_ERR_STATE, &err, "finished");
    wb_run_free(run);
    printf("metric-errors: ok\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "metric") == 0) return metric(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "metric-errors") == 0) return metric_errors(argv[2]);
    fprintf(stderr, "usage: features metric|metric-errors ROOT\n");
    return 64;
}
