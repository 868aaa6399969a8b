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
#include <wandb_media.h>

static wb_error err = {0};
#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != WB_OK) {                                                 \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,        \
              err.message);                                     \
      exit(1);                                                             \
    }                                                                      \
  } while (0)
#define EXPECT(cond)                                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);  \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static size_t column(const wb_value *t, const char *want) {
  size_t n = 0;
  CHECK(wb_table_ncols(t, &n, &err));
  for (size_t c = 0; c < n; c++) {
    char *name = NULL;
    CHECK(wb_table_column_name(t, c, &name, &err));
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
  CHECK(wb_artifact_get_with_options(dir, name, NULL, &v, &err));
  char *ref = (char *)1;
  CHECK(wb_value_artifact_reference(v, &ref, &err));
  EXPECT(ref == NULL);
  wb_value_free(v);

  o = wb_artifact_get_options_default();
  o.artifact_id = id;
  wb_value *src = NULL;
  CHECK(wb_artifact_get_with_options(dir, name, &o, &src, &err));
  CHECK(wb_value_artifact_reference(src, &ref, &err));
  EXPECT(ref != NULL && strncmp(ref, "wandb-artifact://", 17) == 0 && strstr(ref, ".table.json"));
  wb_string_free(ref);

  size_t nrows = 0;
  CHECK(wb_value_len(src, &nrows, &err));
  size_t cols[3] = {column(src, "id"), column(src, "image"), column(src, "label")};
  wb_value *picked = NULL;
  CHECK(wb_table_new("[\"id\", \"image\", \"label\"]", NULL, &picked, &err));
  for (size_t r = 0; r < nrows; r++) {
    wb_value *cells[3];
    for (int c = 0; c < 3; c++) CHECK(wb_table_cell(src, r, cols[c], &cells[c], &err));
    if (strcmp(wb_value_type(cells[1]), "Image") == 0) {
      CHECK(wb_value_artifact_reference(cells[1], &ref, &err));
      EXPECT(ref != NULL && strstr(ref, "/media/images/") != NULL);
      wb_string_free(ref);
    }
    CHECK(wb_table_add_row(picked, cells, 3, &err));
    for (int c = 0; c < 3; c++) wb_value_free(cells[c]);
  }

  /* A copy of the source table that gets a row is no longer the source's table. */
  wb_value *grown = NULL;
  CHECK(wb_artifact_get_with_options(dir, name, &o, &grown, &err));
  {
    wb_value *row = NULL, *first = NULL;
    CHECK(wb_table_cell(grown, 0, 0, &first, &err));
    size_t ncols = 0;
    CHECK(wb_table_ncols(grown, &ncols, &err));
    wb_value **cells = calloc(ncols, sizeof *cells);
    for (size_t c = 0; c < ncols; c++) CHECK(wb_table_cell(grown, 0, c, &cells[c], &err));
    CHECK(wb_table_add_row(grown, cells, ncols, &err));
    for (size_t c = 0; c < ncols; c++) wb_value_free(cells[c]);
    free(cells);
    CHECK(wb_value_artifact_reference(grown, &ref, &err));
    EXPECT(ref == NULL);
    wb_value_free(first);
    wb_value_free(row);
  }
  wb_value_free(grown);

  /* Saved as an artifact directory, referenced cells are the source files themselves. */
  char saved[4096];
  snprintf(saved, sizeof saved, "%s/picked-dir", root);
  CHECK(wb_table_save_artifact_dir(picked, saved, "picked", &err));

  wb_run_options ro = wb_run_options_default();
  ro.mode = WB_MODE_OFFLINE;
  ro.disable_stats = true;
  ro.console = WB_CONSOLE_OFF;
  wb_run *run = NULL;
  CHECK(wb_run_open(root, &ro, &run, &err));
  wb_value *row = NULL;
  CHECK(wb_dict_new(&row, &err));
  CHECK(wb_dict_set(row, name, src, &err));
  CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err));
  wb_value_free(row);
  CHECK(wb_dict_new(&row, &err));
  CHECK(wb_dict_set(row, "picked", picked, &err));
  CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err));
  wb_value_free(row);
  char *path = NULL;
  CHECK(wb_run_dir_path(run, &path, &err));
  CHECK(wb_run_finish(run, 0, &err));
  CHECK(wb_run_free(run, &err));
  printf("%s\n", path);
  wb_string_free(path);
  wb_value_free(picked);
  wb_value_free(src);
  return 0;
}
