/* Incremental tables through the C API (issue 21, item 6; tests/fromjson/incr.py is the
 * SDK side, compared record by record).
 *
 *   incr log ROOT
 *       a WB_TABLE_INCREMENTAL table logged four times into an offline run under ROOT:
 *       2 rows, +1 row, unchanged (re-logs the same increment), +2 rows (incr.py PLAN);
 *       then checks that the table cannot be logged to a second run. Prints the run dir.
 *   incr reread ROOT ART_DIR NAME
 *       the table NAME read from ART_DIR (an artifact directory holding every increment)
 *       with wb_artifact_get, a row appended, logged into a new offline run (increment 0,
 *       all rows). Prints the run dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../support/call.h"

static wb_error err = {0};

static wb_run *open_run(const char *root) {
  wb_run_options ro = wb_run_options_default();
  ro.mode = WB_MODE_OFFLINE;
  ro.disable_stats = true;
  ro.console = WB_CONSOLE_OFF;
  wb_run *run = NULL;
  CHECK(wb_run_open(root, &ro, &run, E));
  return run;
}

static wb_status log_table(wb_run *run, const char *key, wb_value *t) {
  wb_value *row = NULL;
  CHECK(wb_dict_new(&row, E));
  CHECK(wb_dict_set(row, key, t, E));
  wb_status s = wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err);
  wb_value_free(row);
  return s;
}

static void add(wb_value *t, const char *row_json) {
  wb_value *row = NULL;
  CHECK(wb_value_from_json(row_json, &row, E));
  CHECK(wb_table_add_row_list(t, row, E));
  wb_value_free(row);
}

static void finish(wb_run *run) {
  char *path = NULL;
  CHECK(wb_run_dir_path(run, &path, E));
  CHECK(wb_run_finish(run, 0, E));
  CHECK(wb_run_free(run, E));
  printf("%s\n", path);
  wb_string_free(path);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "log") == 0) {
    wb_table_options o = wb_table_options_default();
    o.log_mode = WB_TABLE_INCREMENTAL;
    wb_value *t = NULL;
    CHECK(wb_table_new("[\"step\", \"name\", \"score\"]", &o, &t, E));
    wb_run *run = open_run(argv[2]);
    add(t, "[0, \"a\", 0.5]");
    add(t, "[1, \"b\", 1.25]");
    CHECK(log_table(run, "tab", t));
    add(t, "[2, \"c\", -3.0]");
    CHECK(log_table(run, "tab", t));
    CHECK(log_table(run, "tab", t));
    add(t, "[3, \"d\", 4.0]");
    add(t, "[4, \"e\", null]");
    CHECK(log_table(run, "tab", t));
    size_t n = 0;
    CHECK(wb_table_nrows(t, &n, E));
    EXPECT(n == 5);
    finish(run);
    /* An incremental table belongs to one run (the SDK's AssertionError). */
    wb_run *other = open_run(argv[2]);
    add(t, "[5, \"f\", 6.0]");
    EXPECT(log_table(other, "tab", t) == WB_ERR_INVALID_ARGUMENT);
    EXPECT(strstr(err.message, "An incremental Table can only be logged to one Run") != NULL);
    CHECK(wb_run_finish(other, 0, E));
    CHECK(wb_run_free(other, E));
    wb_value_free(t);
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "reread") == 0) {
    wb_value *t = NULL;
    CHECK(wb_artifact_get(argv[3], argv[4], &t, E));
    size_t n = 0;
    CHECK(wb_table_nrows(t, &n, E));
    EXPECT(n == 5);
    add(t, "[5, \"f\", 6.0]");
    wb_run *run = open_run(argv[2]);
    CHECK(log_table(run, "tab", t));
    add(t, "[6, \"g\", 7.5]");
    CHECK(log_table(run, "tab", t));
    finish(run);
    wb_value_free(t);
    return 0;
  }
  fprintf(stderr, "usage: incr log ROOT | incr reread ROOT ART_DIR NAME\n");
  return 2;
}
