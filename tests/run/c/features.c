/*
 * features: run features beyond logging, through the C ABI only (tests/run/run.sh drives it
 * and compares the result with the SDK's run written by tests/run/features/features.py).
 *
 *   features metric ROOT     wb_run_define_metric: globs, step metrics, summaries
 *   features metric-errors ROOT   argument errors of wb_run_define_metric
 *   features artifact ROOT   wb_run_save and a generic artifact (file + directory, aliases)
 *   features artifact-errors ROOT   argument errors of wb_run_save / wb_artifact_*
 *   features stats ROOT      system metrics every 300 ms (the sampler thread exists while
 *                            the run is open and is gone after finish)
 *   features stats-off ROOT  disable_stats: no thread, no stats records
 *
 * Prints the run directory. Every call is checked; on failure it prints the error and exits 2.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>

#include "../../support/call.h"
#include "../../support/threads.h"


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
    CHECK(wb_run_free(run, E));
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
    CHECK(wb_run_free(run, E));
    printf("metric-errors: ok\n");
    return 0;
}

/* The files both sides save and put into artifacts (same bytes as features.py). */
static void write_file(const char *path, const unsigned char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "features: cannot write %s\n", path);
        exit(2);
    }
}

static void make_sources(const char *src) {
    char p[4096];
    snprintf(p, sizeof p, "mkdir -p '%s/ckpt/sub'", src);
    if (system(p) != 0) exit(2);
    snprintf(p, sizeof p, "%s/notes.txt", src);
    write_file(p, (const unsigned char *)"checkpoint notes\n", 17);
    snprintf(p, sizeof p, "%s/live.log", src);
    write_file(p, (const unsigned char *)"epoch 1\n", 8);
    unsigned char model[5000];
    for (int i = 0; i < 5000; i++) model[i] = (unsigned char)((i * 7 + 3) % 256);
    snprintf(p, sizeof p, "%s/ckpt/model.bin", src);
    write_file(p, model, sizeof model);
    snprintf(p, sizeof p, "%s/ckpt/config.json", src);
    write_file(p, (const unsigned char *)"{\"layers\": [64, 64]}", 20);
    unsigned char x[100];
    memset(x, 'x', sizeof x);
    snprintf(p, sizeof p, "%s/ckpt/sub/extra.txt", src);
    write_file(p, x, sizeof x);
}

static int artifact(const char *root) {
    char src[2048], p[4096];
    char *abs_root = NULL;
    wb_run *run = open_run(root);
    abs_root = realpath(root, NULL);
    snprintf(src, sizeof src, "%s/src", abs_root);
    free(abs_root);
    make_sources(src);
    wb_value *r = dict();
    set(r, "x", i64v(1));
    log_row(run, r);
    size_t n = 0;
    snprintf(p, sizeof p, "%s/notes.txt", src);
    CHECK(wb_run_save(run, p, src, WB_SAVE_NOW, &n, E));
    snprintf(p, sizeof p, "%s/ckpt/*.*", src);
    CHECK(wb_run_save(run, p, src, WB_SAVE_END, &n, E));
    if (n != 2) {
        fprintf(stderr, "features: glob saved %zu files, want 2\n", n);
        return 3;
    }
    snprintf(p, sizeof p, "%s/live.log", src);
    CHECK(wb_run_save(run, p, src, WB_SAVE_LIVE, NULL, E));

    wb_artifact *a = NULL;
    CHECK(wb_artifact_new("model-ckpt", "model", &a, E));
    CHECK(wb_artifact_set_description(a, "a checkpoint", E));
    CHECK(wb_artifact_set_metadata_json(a, "{\"epoch\": 3, \"acc\": 0.9, \"tags\": [\"a\", \"b\"]}", E));
    snprintf(p, sizeof p, "%s/notes.txt", src);
    CHECK(wb_artifact_add_file(a, p, "docs/notes.txt", E));
    snprintf(p, sizeof p, "%s/ckpt", src);
    CHECK(wb_artifact_add_dir(a, p, "weights", E));
    const char *aliases[] = {"best", "epoch-3"};
    CHECK(wb_run_log_artifact(run, a, aliases, 2, E));
    wb_artifact_free(a);
    wb_artifact *b = NULL;
    CHECK(wb_artifact_new("raw-data", "dataset", &b, E));
    snprintf(p, sizeof p, "%s/live.log", src);
    CHECK(wb_artifact_add_file(b, p, NULL, E));
    CHECK(wb_run_log_artifact(run, b, NULL, 0, E));
    wb_artifact_free(b);
    r = dict();
    set(r, "x", i64v(2));
    log_row(run, r);
    return finish(run);
}

static int artifact_errors(const char *root) {
    wb_error err;
    wb_run *run = open_run(root);
    wb_artifact *a = NULL;
    expect("slash in name", wb_artifact_new("a/b", "model", &a, &err), WB_ERR_INVALID_ARGUMENT, &err, "'/'");
    expect("reserved type", wb_artifact_new("a", "wandb-history", &a, &err), WB_ERR_INVALID_ARGUMENT, &err, "reserved");
    expect("NULL out", wb_artifact_new("a", "model", NULL, &err), WB_ERR_NULL_ARGUMENT, &err, "out");
    if (a != NULL) exit(3);
    expect("new", wb_artifact_new("a", "model", &a, &err), WB_OK, &err, NULL);
    expect("missing file", wb_artifact_add_file(a, "/nonexistent/x", NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "not a file");
    expect("missing dir", wb_artifact_add_dir(a, "/nonexistent", NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "not a directory");
    expect("metadata not an object", wb_artifact_set_metadata_json(a, "[1]", &err), WB_ERR_INVALID_ARGUMENT, &err, "object");
    expect("bad entry name", wb_artifact_add_file(a, "/etc/hostname", "../x", &err), WB_ERR_INVALID_ARGUMENT, &err, "..");
    expect("add", wb_artifact_add_file(a, "/etc/hostname", "h", &err), WB_OK, &err, NULL);
    expect("duplicate", wb_artifact_add_file(a, "/etc/hostname", "h", &err), WB_ERR_INVALID_ARGUMENT, &err, "already");
    const char *bad[] = {"a:b"};
    expect("bad alias", wb_run_log_artifact(run, a, bad, 1, &err), WB_ERR_INVALID_ARGUMENT, &err, "alias");
    expect("NULL aliases", wb_run_log_artifact(run, a, NULL, 1, &err), WB_ERR_NULL_ARGUMENT, &err, "aliases");
    expect("above base", wb_run_save(run, "/etc/hostname", "/usr", WB_SAVE_NOW, NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "above");
    expect("same as base", wb_run_save(run, "/etc", "/etc", WB_SAVE_NOW, NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "same");
    expect("star first", wb_run_save(run, "/etc/*", "/etc", WB_SAVE_NOW, NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "'*'");
    wb_save_policy bogus;
    int seven = 7;
    memcpy(&bogus, &seven, sizeof bogus);
    expect("bad policy", wb_run_save(run, "/etc/hostname", "/", bogus, NULL, &err), WB_ERR_INVALID_ARGUMENT, &err, "policy");
    size_t n = 99;
    expect("no match", wb_run_save(run, "/nonexistent-dir/*.x", "/", WB_SAVE_NOW, &n, &err), WB_OK, &err, NULL);
    if (n != 0) exit(3);
    CHECK(wb_run_finish(run, 0, E));
    expect("log after finish", wb_run_log_artifact(run, a, NULL, 0, &err), WB_ERR_STATE, &err, "finished");
    expect("save after finish", wb_run_save(run, "/etc/hostname", "/", WB_SAVE_NOW, NULL, &err), WB_ERR_STATE, &err, "finished");
    wb_artifact_free(a);
    wb_artifact_free(NULL);
    CHECK(wb_run_free(run, E));
    printf("artifact-errors: ok\n");
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int stats_run(const char *root, bool off) {
    int base = threads_list(NULL);
    wb_run_options o = wb_run_options_default();
    o.project = "wbm-test";
    o.entity = "wbm";
    o.name = "features";
    o.disable_stats = off;
    o.stats_interval_ms = 300;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    int during = threads_list(NULL);
    if (during != base + (off ? 0 : 1)) {
        fprintf(stderr, "features: %d threads while the run is open, %d before (stats %s)\n", during, base,
                off ? "off" : "on");
        return 3;
    }
    for (int i = 0; i < 7; i++) {
        wb_value *r = dict();
        set(r, "x", i64v(i));
        log_row(run, r);
        sleep_ms(150);
    }
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    CHECK(wb_run_finish(run, 0, E));
    int after = threads_settle(base, NULL);
    if (after != base) {
        fprintf(stderr, "features: %d threads after finish, %d before\n", after, base);
        return 3;
    }
    CHECK(wb_run_free(run, E));
    printf("%s\n", dir);
    wb_string_free(dir);
    /* a too short interval is refused before anything is created */
    wb_error err;
    o.disable_stats = false;
    o.stats_interval_ms = 10;
    run = NULL;
    expect("short interval", wb_run_open(root, &o, &run, &err), WB_ERR_INVALID_ARGUMENT, &err, "interval");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "metric") == 0) return metric(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "metric-errors") == 0) return metric_errors(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "artifact") == 0) return artifact(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "artifact-errors") == 0) return artifact_errors(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "stats") == 0) return stats_run(argv[2], false);
    if (argc >= 3 && strcmp(argv[1], "stats-off") == 0) return stats_run(argv[2], true);
    fprintf(stderr, "usage: features metric|metric-errors|artifact|artifact-errors|stats|stats-off ROOT\n");
    return 64;
}
