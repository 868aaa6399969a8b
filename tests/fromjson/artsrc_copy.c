/* Artifact source through the C API (issue 21, item 5; tests/fromjson/artsrc.py copy is
 * the SDK side): reads table NAME of the logged artifact in DIR (server id ID), logs it
 * again at step 0, and at step 1 a new table "picked" of its "id", "image" and "label"
 * columns (image cells with boxes, masks and class sets: reference entries to the source).
 * Also checks the API's edges: a malformed id, a bad struct_size, a table that loses its
 * reference when a row is added, and save_artifact_dir writing referenced files.
 *
 *   artsrc_copy ROOT DIR NAME ID     (prints the run directory)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../support/call.h"

static wb_error err = {0};

static size_t column(const wb_value *t, const char *want) {
  size_t n = 0;
  CHECK(wb_table_ncols(t, &n, E));
  for (size_t c = 0; c < n; c++) {
    char *name = NULL;
    CHECK(wb_table_column_name(t, c, &name, E));
    int same = strcmp(name, want) == 0;
    wb_string_free(name);
    if (same) return c;
  }
  fprintf(stderr, "no column %s\n", want);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: artsrc_copy ROOT DIR NAME ID\n");
    return 2;
  }
  const char *root = argv[1], *dir = argv[2], *name = argv[3], *id = argv[4];

  /* Edges first. */
  wb_artifact_get_options o = wb_artifact_get_options_default();
  wb_value *v = NULL;
  o.artifact_id = "not base64!";
  EXPECT(wb_artifact_get_with_options(dir, name, &o, &v, &err) == WB_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(err.message, "is not a W&B artifact id") != NULL && v == NULL);
  o.struct_size = 3;
  o.artifact_id = id;
  EXPECT(wb_artifact_get_with_options(dir, name, &o, &v, &err) == WB_ERR_INVALID_ARGUMENT);
  /* NULL options = wb_artifact_get: no reference. */
  CHECK(wb_artifact_get_with_options(dir, name, NULL, &v, E));
  char *ref = (char *)1;
  CHECK(wb_value_artifact_reference(v, &ref, E));
  EXPECT(ref == NULL);
  wb_value_free(v);

  o = wb_artifact_get_options_default();
  o.artifact_id = id;
  wb_value *src = NULL;
  CHECK(wb_artifact_get_with_options(dir, name, &o, &src, E));
  CHECK(wb_value_artifact_reference(src, &ref, E));
  EXPECT(ref != NULL && strncmp(ref, "wandb-artifact://", 17) == 0 && strstr(ref, ".table.json"));
  wb_string_free(ref);

  size_t nrows = 0;
  CHECK(wb_value_len(src, &nrows, E));
  size_t cols[3] = {column(src, "id"), column(src, "image"), column(src, "label")};
  wb_value *picked = NULL;
  CHECK(wb_table_new("[\"id\", \"image\", \"label\"]", NULL, &picked, E));
  for (size_t r = 0; r < nrows; r++) {
    wb_value *cells[3];
    for (int c = 0; c < 3; c++) CHECK(wb_table_cell(src, r, cols[c], &cells[c], E));
    if (strcmp(wb_value_type(cells[1]), "Image") == 0) {
      CHECK(wb_value_artifact_reference(cells[1], &ref, E));
      EXPECT(ref != NULL && strstr(ref, "/media/images/") != NULL);
      wb_string_free(ref);
    }
    CHECK(wb_table_add_row(picked, cells, 3, E));
    for (int c = 0; c < 3; c++) wb_value_free(cells[c]);
  }

  /* A copy of the source table that gets a row is no longer the source's table. */
  wb_value *grown = NULL;
  CHECK(wb_artifact_get_with_options(dir, name, &o, &grown, E));
  {
    wb_value *row = NULL, *first = NULL;
    CHECK(wb_table_cell(grown, 0, 0, &first, E));
    size_t ncols = 0;
    CHECK(wb_table_ncols(grown, &ncols, E));
    wb_value **cells = calloc(ncols, sizeof *cells);
    for (size_t c = 0; c < ncols; c++) CHECK(wb_table_cell(grown, 0, c, &cells[c], E));
    CHECK(wb_table_add_row(grown, cells, ncols, E));
    for (size_t c = 0; c < ncols; c++) wb_value_free(cells[c]);
    free(cells);
    CHECK(wb_value_artifact_reference(grown, &ref, E));
    EXPECT(ref == NULL);
    wb_value_free(first);
    wb_value_free(row);
  }
  wb_value_free(grown);

  /* Saved as an artifact directory, referenced cells are the source files themselves. */
  char saved[4096];
  snprintf(saved, sizeof saved, "%s/picked-dir", root);
  CHECK(wb_table_save_artifact_dir(picked, saved, "picked", E));

  wb_run_options ro = wb_run_options_default();
  ro.mode = WB_MODE_OFFLINE;
  ro.disable_stats = true;
  ro.console = WB_CONSOLE_OFF;
  wb_run *run = NULL;
  CHECK(wb_run_open(root, &ro, &run, E));
  wb_value *row = NULL;
  CHECK(wb_dict_new(&row, E));
  CHECK(wb_dict_set(row, name, src, E));
  CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
  wb_value_free(row);
  CHECK(wb_dict_new(&row, E));
  CHECK(wb_dict_set(row, "picked", picked, E));
  CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
  wb_value_free(row);
  char *path = NULL;
  CHECK(wb_run_dir_path(run, &path, E));
  CHECK(wb_run_finish(run, 0, E));
  CHECK(wb_run_free(run, E));
  printf("%s\n", path);
  wb_string_free(path);
  wb_value_free(picked);
  wb_value_free(src);
  return 0;
}
