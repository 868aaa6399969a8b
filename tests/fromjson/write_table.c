/* A table logged by C, read by Python (issue 21): writes an artifact directory
 * (wb_table_save_artifact_dir: preds.table.json + media files) that sdk.py reads with
 * wandb 0.31's Table.from_json and read_dump reads with wb_artifact_get; their dumps must
 * match. Also checks, in C, that what is read back equals what was written.
 *   write_table DIR */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/call.h"


int main(int argc, char **argv) {
  if (argc != 2) return 2;
  wb_value *t;
  CHECK(wb_table_new("[\"id\", \"image\", \"pred\", \"score\", \"extra\"]", NULL, &t, E));
  for (int r = 0; r < 3; r++) {
    uint8_t px[4 * 5 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 7 + r * 40);
    wb_value *cells[5];
    CHECK(wb_value_int(r, &cells[0], E));
    CHECK(wb_image_new_u8(px, 4, 5, 3, &cells[1], E));
    if (r != 1) CHECK(wb_value_set_caption(cells[1], r ? "second" : "first", E));
    CHECK(wb_value_string(r % 2 ? "dog" : "cat", &cells[2], E));
    CHECK(wb_value_float(0.125 * r, &cells[3], E));
    CHECK(wb_value_from_json(r == 2 ? "null" : "{\"k\": [1, 2.5]}", &cells[4], E));
    CHECK(wb_table_add_row(t, cells, 5, E));
    for (int i = 0; i < 5; i++) wb_value_free(cells[i]);
  }
  CHECK(wb_table_save_artifact_dir(t, argv[1], "preds", E));
  wb_value *back;
  CHECK(wb_artifact_get(argv[1], "preds", &back, E));
  bool eq = false;
  CHECK(wb_value_equal(t, back, &eq, E));
  if (!eq) {
    fprintf(stderr, "the table read back is not equal to the table written\n");
    return 1;
  }
  wb_value_free(back);
  wb_value_free(t);
  return 0;
}
