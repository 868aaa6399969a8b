/* C test for boxes, masks, classes, tables and joined tables: every constructor and setter,
 * the JSON they produce (spec test vectors), the run-config singletons, error statuses and
 * messages, and ownership (run under valgrind: zero errors, zero leaks). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"
static char dir[256];
#define S(p) ((p) ? (p) : "(null)")

static long file_size(const char *rel) {
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static char *to_json(const wb_value *v, wb_run_dir *rd, const char *key, int64_t step) {
    char *json = NULL;
    wb_error err;
    wb_status st = wb_value_to_json(v, rd, key, step, &json, &err);
    CHECK(st == WB_OK, "to_json(%s): %s", key, err.message);
    return json;
}

static wb_value *zeros_image(void) {
    uint8_t px[4 * 6 * 3] = {0};
    wb_value *img = NULL;
    wb_error err;
    CHECK(wb_image_new_u8(px, 4, 6, 3, &img, &err) == WB_OK, "image: %s", err.message);
    return img;
}

static const char *PRED_BOXES =
    "[{\"position\":{\"minX\":0.1,\"maxX\":0.2,\"minY\":0.3,\"maxY\":0.4},\"class_id\":1,"
    "\"box_caption\":\"car\",\"scores\":{\"acc\":0.2,\"loss\":1.2}},"
    "{\"position\":{\"middle\":[150,20],\"width\":68,\"height\":112},\"domain\":\"pixel\","
    "\"class_id\":3,\"box_caption\":\"a building\",\"scores\":{\"acc\":0.5,\"loss\":0.7}}]";

/* The §20 mask vector: uint8 4×6 zeros, columns 3–5 = 2, pixel (0,0) = 200. */
static void mask_vector(uint8_t m[24]) {
    memset(m, 0, 24);
    for (int r = 0; r < 4; r++)
        for (int c = 3; c < 6; c++) m[r * 6 + c] = 2;
    m[0] = 200;
}

static void test_boxes_masks(wb_run_dir *rd) {
    wb_error err;
    wb_value *img = zeros_image();
    CHECK(wb_value_set_caption(img, "scene", &err) == WB_OK, "caption: %s", err.message);
    CHECK(wb_image_add_boxes(img, "predictions", PRED_BOXES, "{\"1\":\"car\",\"3\":\"building\"}", &err) == WB_OK,
          "add_boxes: %s", err.message);
    CHECK(wb_image_add_boxes_layer(img, "gt",
                                   "{\"box_data\":[{\"position\":{\"minX\":1,\"maxX\":2,\"minY\":3,\"maxY\":4},\"class_id\":7}]}",
                                   &err) == WB_OK,
          "add_boxes_layer: %s", err.message);
    uint8_t m[24];
    mask_vector(m);
    int64_t shape[2] = {4, 6};
    wb_tensor t = {m, WB_DTYPE_U8, 2, shape, NULL};
    CHECK(wb_image_add_mask(img, "pred", &t, "{\"0\":\"bg\",\"2\":\"thing\"}", &err) == WB_OK, "add_mask: %s", err.message);
    CHECK(wb_image_add_mask(img, "gt2", &t, NULL, &err) == WB_OK, "add_mask default labels: %s", err.message);
    CHECK(wb_image_set_classes(img, "[{\"id\":1,\"name\":\"car\"}]", &err) == WB_OK, "set_classes: %s", err.message);

    char *json = to_json(img, rd, "scene", 3);
    /* spec §2.5 (full hashes from §20 / the SDK) */
    const char *want =
        "{\"caption\":\"scene\",\"_type\":\"image-file\","
        "\"sha256\":\"d6a441bfe7e8f09712a97927d56fc98879ffbce791ace14559d0442f2432ee14\",\"size\":69,"
        "\"path\":\"media/images/scene_3_d6a441bfe7e8f09712a9.png\",\"format\":\"png\",\"width\":6,\"height\":4,"
        "\"boxes\":{\"predictions\":{\"_type\":\"boxes2D\",\"sha256\":\"68a1f7deaf75fcbad97d";
    CHECK(json && strncmp(json, want, strlen(want)) == 0, "boxes json: %s", S(json));
    CHECK(json && strstr(json, "\"size\":326,\"path\":\"media/metadata/boxes2D/scene_3_68a1f7deaf75fcbad97d.boxes2D.json\"}"),
          "boxes file: %s", S(json));
    CHECK(json && strstr(json, "\"gt\":{\"_type\":\"boxes2D\",\"sha256\":\"94f62d907884d342bedc"), "gt boxes: %s", S(json));
    CHECK(json && strstr(json, "\"masks\":{\"pred\":{\"_type\":\"mask\",\"sha256\":\"dd4d8eb2d5557253d120"), "masks: %s", S(json));
    CHECK(json && strstr(json, "\"size\":84,\"path\":\"media/images/mask/scene_3_dd4d8eb2d5557253d120.mask.png\"}}}"),
          "mask path: %s", S(json));
    CHECK(json && !strstr(json, "classes"), "classes never in run JSON: %s", S(json));
    wb_string_free(json);
    CHECK(file_size("media/metadata/boxes2D/scene_3_68a1f7deaf75fcbad97d.boxes2D.json") == 326, "boxes file written");
    CHECK(file_size("media/metadata/boxes2D/scene_3_94f62d907884d342bedc.boxes2D.json") == 78, "gt boxes file written");
    CHECK(file_size("media/images/mask/scene_3_dd4d8eb2d5557253d120.mask.png") == 84, "mask file written");

    char *cfg = NULL;
    CHECK(wb_run_dir_config_json(rd, &cfg, &err) == WB_OK, "config: %s", err.message);
    CHECK(cfg && strstr(cfg, "\"bounding_box/class_labels\":{\"scene_wandb_delimeter_predictions\":{\"type\":"
                             "\"bounding_box/class_labels\",\"key\":\"scene_wandb_delimeter_predictions\","
                             "\"value\":{\"1\":\"car\",\"3\":\"building\"}}"),
          "config boxes: %s", S(cfg));
    CHECK(cfg && strstr(cfg, "\"scene_wandb_delimeter_gt\":{\"type\":\"bounding_box/class_labels\",\"key\":"
                             "\"scene_wandb_delimeter_gt\",\"value\":{\"7\":\"class_7\"}}"),
          "config default labels: %s", S(cfg));
    CHECK(cfg && strstr(cfg, "\"mask/class_labels\":{\"scene_wandb_delimeter_pred\":"), "config masks: %s", S(cfg));
    CHECK(cfg && strstr(cfg, "\"value\":{\"0\":\"class_0\",\"2\":\"class_2\",\"200\":\"class_200\"}"),
          "config mask default labels: %s", S(cfg));
    wb_string_free(cfg);

    /* A list: all_masks before all_boxes, null for images without. */
    wb_value *plain = zeros_image(), *list = NULL;
    CHECK(wb_list_new(&list, &err) == WB_OK, "list");
    CHECK(wb_list_append(list, plain, &err) == WB_OK, "append");
    CHECK(wb_list_append(list, img, &err) == WB_OK, "append");
    json = to_json(list, rd, "lb", 4);
    CHECK(json && strstr(json, "\"all_masks\":[null,{\"pred\":{\"_type\":\"mask\""), "all_masks: %s", S(json));
    CHECK(json && strstr(json, "\"all_boxes\":[null,{\"predictions\":{\"_type\":\"boxes2D\""), "all_boxes: %s", S(json));
    CHECK(json && strstr(json, "\"all_masks\"") < strstr(json, "\"all_boxes\""), "order: %s", S(json));
    wb_string_free(json);
    wb_value_free(list);
    wb_value_free(plain);
    wb_value_free(img);
}

static void test_mask_file(wb_run_dir *rd) {
    wb_error err;
    char path[300];
    snprintf(path, sizeof path, "%s-src.MASK", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "create %s", path);
    if (!f) return;
    fputs("not even a png", f);
    fclose(f);
    wb_value *img = zeros_image();
    CHECK(wb_image_add_mask_file(img, "m", path, &err) == WB_OK, "add_mask_file: %s", err.message);
    char *json = to_json(img, rd, "mp", 5);
    /* copied unchanged with its own extension, no labels */
    CHECK(json && strstr(json, "\"masks\":{\"m\":{\"_type\":\"mask\"") && strstr(json, ".MASK\"}}}"), "mask file json: %s", S(json));
    wb_string_free(json);
    wb_value_free(img);
    unlink(path);
    CHECK(wb_image_add_mask_file(NULL, "m", path, &err) == WB_ERR_NULL_ARGUMENT, "NULL image");
}

static void test_box_mask_errors(void) {
    wb_error err;
    wb_value *img = zeros_image();
    CHECK(wb_image_add_boxes(img, "b", "[{\"class_id\":1}]", "{\"1\":\"a\"}", &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "Each box must contain a position with: middle, width, and height or minX, maxX, minY, maxY."),
          "no position: %s", err.message);
    CHECK(wb_image_add_boxes(img, "b", "[{\"position\":{\"minX\":1,\"maxX\":1,\"minY\":1,\"maxY\":1},\"class_id\":1.5}]", NULL, &err) ==
                  WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "A box's class_id must be an integer") == 0,
          "class_id: %s", err.message);
    CHECK(wb_image_add_boxes(img, "b", "[", NULL, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "box_data_json"),
          "bad JSON: %s", err.message);
    CHECK(wb_image_add_boxes(img, "b", "{}", NULL, &err) == WB_ERR_INVALID_ARGUMENT && strcmp(err.message, "Boxes must be a list") == 0,
          "not a list: %s", err.message);
    CHECK(wb_image_add_boxes(img, NULL, "[]", NULL, &err) == WB_ERR_NULL_ARGUMENT && strstr(err.message, "layer_key"),
          "NULL layer: %s", err.message);
    uint8_t z[32] = {0};
    int64_t shape3[3] = {4, 4, 2};
    wb_tensor t3 = {z, WB_DTYPE_U8, 3, shape3, NULL};
    CHECK(wb_image_add_mask(img, "m", &t3, NULL, &err) == WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "mask_data must be a 2D array") == 0,
          "3-D mask: %s", err.message);
    int32_t big[4] = {0, 300, 1, 2};
    int64_t shape2[2] = {2, 2};
    wb_tensor tr = {big, WB_DTYPE_I32, 2, shape2, NULL};
    CHECK(wb_image_add_mask(img, "m", &tr, NULL, &err) == WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "Mask data must be integers between 0 and 255") == 0,
          "range: %s", err.message);
    CHECK(wb_image_set_classes(img, "[{\"id\":1}]", &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "each entry must have id and name"),
          "classes: %s", err.message);
    wb_value *num = NULL;
    CHECK(wb_value_int(3, &num, &err) == WB_OK, "int");
    CHECK(wb_image_add_boxes(num, "b", "[]", NULL, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "not an image"),
          "not an image: %s", err.message);
    wb_value_free(num);
    wb_value_free(img);
}

static void test_table(wb_run_dir *rd) {
    wb_error err;
    wb_table_options opts = wb_table_options_default();
    CHECK(opts.struct_size == sizeof(wb_table_options) && opts.log_mode == WB_TABLE_IMMUTABLE && !opts.allow_mixed_types,
          "options default");
    wb_value *t = NULL;
    CHECK(wb_table_new("[\"x\",\"y\"]", &opts, &t, &err) == WB_OK, "table_new: %s", err.message);
    wb_value *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    wb_value_int(1, &a, NULL);
    wb_value_int(2, &b, NULL);
    wb_value_int(3, &c, NULL);
    wb_value_int(4, &d, NULL);
    wb_value *row1[2] = {a, b};
    CHECK(wb_table_add_row(t, row1, 2, &err) == WB_OK, "add_row: %s", err.message);
    wb_value *row2 = NULL;
    wb_list_new(&row2, NULL);
    wb_list_append(row2, c, NULL);
    wb_list_append(row2, d, NULL);
    CHECK(wb_table_add_row_list(t, row2, &err) == WB_OK, "add_row_list: %s", err.message);
    size_t nrows = 0;
    CHECK(wb_table_nrows(t, &nrows, &err) == WB_OK && nrows == 2, "nrows");
    nrows = 99;
    CHECK(wb_table_nrows(a, &nrows, &err) == WB_ERR_INVALID_ARGUMENT && nrows == 99 && strstr(err.message, "not a table"),
          "nrows of a non-table reports an error: %s", err.message);
    CHECK(wb_table_nrows(NULL, &nrows, &err) == WB_ERR_NULL_ARGUMENT, "nrows of NULL");

    /* errors leave the table unchanged */
    wb_value *short_row[1] = {a};
    CHECK(wb_table_add_row(t, short_row, 1, &err) == WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "This table expects 2 columns: ['x', 'y'], found 1") == 0,
          "row length: %s", err.message);
    wb_value *s = NULL;
    wb_value_string("text", &s, NULL);
    wb_value *bad_row[2] = {s, b};
    CHECK(wb_table_add_row(t, bad_row, 2, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "Data row contained incompatible types:"),
          "types: %s", err.message);
    wb_value *h = NULL;
    CHECK(wb_histogram_from_np_json("[1]", "[0,1]", &h, &err) == WB_OK, "histogram: %s", err.message);
    wb_value *hist_row[2] = {h, b};
    CHECK(wb_table_add_row(t, hist_row, 2, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "Histogram"),
          "histogram cell: %s", err.message);
    wb_value *null_row[2] = {a, NULL};
    CHECK(wb_table_add_row(t, null_row, 2, &err) == WB_ERR_NULL_ARGUMENT && strstr(err.message, "cells[1]"),
          "NULL cell: %s", err.message);
    CHECK(wb_table_nrows(t, &nrows, &err) == WB_OK && nrows == 2, "unchanged after errors");

    /* spec §20: run copy 4258fa77…, 42 bytes */
    char *json = to_json(t, rd, "t", 0);
    const char *head = "{\"_type\":\"table-file\",\"sha256\":\"4258fa77b12ff507cdfa";
    CHECK(json && strncmp(json, head, strlen(head)) == 0, "table json: %s", S(json));
    CHECK(json && strstr(json, "\"size\":42,\"artifact_path\":\"wandb-client-artifact://"), "size/artifact: %s", S(json));
    CHECK(json && strstr(json, ":latest/t.table.json\",\"path\":\"media/table/t_0_4258fa77b12ff507cdfa.table.json\","
                               "\"ncols\":2,\"nrows\":2,\"log_mode\":\"IMMUTABLE\"}"),
          "tail: %s", S(json));
    CHECK(file_size("media/table/t_0_4258fa77b12ff507cdfa.table.json") == 42, "run copy written");
    /* bound once: the same JSON again */
    char *again = to_json(t, rd, "t", 1);
    CHECK(json && again && strcmp(json, again) == 0, "bound once");
    wb_string_free(again);
    wb_string_free(json);

    char *art = NULL;
    CHECK(wb_table_artifact_json(t, &art, &err) == WB_OK, "artifact_json: %s", err.message);
    CHECK(art && strcmp(art, "{\"_type\": \"table\", \"column_types\": {\"params\": {\"type_map\": {"
                             "\"x\": {\"params\": {\"allowed_types\": [{\"wb_type\": \"none\"}, {\"wb_type\": \"number\"}]}, \"wb_type\": \"union\"}, "
                             "\"y\": {\"params\": {\"allowed_types\": [{\"wb_type\": \"none\"}, {\"wb_type\": \"number\"}]}, \"wb_type\": \"union\"}}}, "
                             "\"wb_type\": \"typedDict\"}, \"columns\": [\"x\", \"y\"], \"data\": [[1, 2], [3, 4]], "
                             "\"log_mode\": \"IMMUTABLE\", \"ncols\": 2, \"nrows\": 2}") == 0,
          "artifact: %s", S(art));
    wb_string_free(art);

    /* joined table */
    wb_value *j = NULL;
    CHECK(wb_joined_table_new(t, t, "x", NULL, &j, &err) == WB_OK, "joined: %s", err.message);
    json = to_json(j, rd, "jt", 0);
    CHECK(json && strncmp(json, "{\"_type\":\"joined-table\",\"artifact_path\":\"wandb-client-artifact://", 63) == 0 &&
              strstr(json, "/jt.joined-table.json\"}"),
          "joined json: %s", S(json));
    wb_string_free(json);
    wb_value_free(j);
    j = NULL;
    CHECK(wb_joined_table_new(t, a, "x", "y", &j, &err) == WB_ERR_INVALID_ARGUMENT && j == NULL, "joined needs tables");

    /* options: mixed types, MUTABLE, INCREMENTAL, bad columns */
    wb_value *m = NULL;
    opts.allow_mixed_types = true;
    opts.log_mode = WB_TABLE_MUTABLE;
    CHECK(wb_table_new("[1,2]", &opts, &m, &err) == WB_OK, "int columns: %s", err.message);
    CHECK(wb_table_add_row(m, row1, 2, &err) == WB_OK, "mixed 1");
    CHECK(wb_table_add_row(m, bad_row, 2, &err) == WB_OK, "mixed 2: %s", err.message);
    json = to_json(m, rd, "m", 2);
    CHECK(json && strstr(json, "\"ncols\":2,\"nrows\":2,\"log_mode\":\"MUTABLE\"}"), "mutable: %s", S(json));
    wb_string_free(json);
    wb_value_free(m);
    wb_value *bad = NULL;
    opts.log_mode = WB_TABLE_INCREMENTAL;
    opts.allow_mixed_types = false;
    CHECK(wb_table_new("[1,2]", &opts, &m, &err) == WB_OK, "incremental: %s", err.message);
    CHECK(wb_table_add_row(m, row1, 2, &err) == WB_OK, "incremental row 1: %s", err.message);
    json = to_json(m, rd, "inc", 3);
    CHECK(json && strstr(json, "\"_type\":\"incremental-table-file\"") && strstr(json, "/None-")
          && strstr(json, "\"increment_num\":0,\"previous_increments_paths\":[],\"ncols\":2,\"nrows\":1,\"log_mode\":\"INCREMENTAL\"}"),
          "incremental 0: %s", S(json));
    wb_string_free(json);
    CHECK(wb_table_add_row(m, row1, 2, &err) == WB_OK, "incremental row 2: %s", err.message);
    json = to_json(m, rd, "inc", 4);
    CHECK(json && strstr(json, ".inc.table.json\",\"path\"") && strstr(json, "\"increment_num\":1,\"previous_increments_paths\":[\"wandb-client-artifact://")
          && strstr(json, "\"nrows\":2,"), "incremental 1: %s", S(json));
    wb_string_free(json);
    wb_value_free(m);
    CHECK(wb_table_new("[\"a\",1]", NULL, &bad, &err) == WB_ERR_INVALID_ARGUMENT && bad == NULL, "mixed names");
    CHECK(wb_table_new("[\"a\"]", NULL, NULL, &err) == WB_ERR_NULL_ARGUMENT, "NULL out");
    CHECK(wb_table_artifact_json(a, &art, &err) == WB_ERR_INVALID_ARGUMENT, "artifact of non-table");

    wb_value_free(t);
    wb_value_free(row2);
    wb_value_free(a); wb_value_free(b); wb_value_free(c); wb_value_free(d);
    wb_value_free(s);
    wb_value_free(h);
}

static void test_table_with_media(wb_run_dir *rd) {
    wb_error err;
    wb_value *t = NULL, *id = NULL, *nan = NULL;
    CHECK(wb_table_new("[\"id\",\"img\",\"score\"]", NULL, &t, &err) == WB_OK, "table_new: %s", err.message);
    uint8_t px[2 * 2 * 3] = {0};
    wb_value *img = NULL;
    CHECK(wb_image_new_u8(px, 2, 2, 3, &img, &err) == WB_OK, "image");
    wb_value_set_caption(img, "ci", NULL);
    wb_value_int(7, &id, NULL);
    wb_value_float(NAN, &nan, NULL);
    wb_value *row[3] = {id, img, nan};
    CHECK(wb_table_add_row(t, row, 3, &err) == WB_OK, "media row: %s", err.message);
    char *json = to_json(t, rd, "tm", 9);
    CHECK(json && strstr(json, "\"ncols\":3,\"nrows\":1"), "json: %s", S(json));
    wb_string_free(json);
    char *art = NULL;
    CHECK(wb_table_artifact_json(t, &art, &err) == WB_OK, "artifact: %s", err.message);
    /* the SDK's artifact image JSON (§9.4) and NaN → null */
    CHECK(art && strstr(art, "\"data\": [[7, {\"_type\": \"image-file\", \"caption\": \"ci\", \"format\": \"png\", \"height\": 2, "
                             "\"path\": \"media/images/dc3f36c134870fcb08ff.png\", \"sha256\": "
                             "\"7899d6ced52159786ff083934df42788da01a30b7ed9bb7756d7f3f5a94ef685\", \"width\": 2}, null]]"),
          "artifact image: %s", S(art));
    wb_string_free(art);
    wb_value_free(t);
    wb_value_free(img);
    wb_value_free(id);
    wb_value_free(nan);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/wbm-ctest-mb-%d", (int)getpid());
    wb_run_dir *rd = NULL;
    wb_error err;
    if (wb_run_dir_new(dir, &rd, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        return 1;
    }
    test_boxes_masks(rd);
    test_mask_file(rd);
    test_box_mask_errors();
    test_table(rd);
    test_table_with_media(rd);
    wb_run_dir_free(rd);
    printf("%s\n", failures ? "C media-b tests FAILED" : "C media-b tests passed");
    return failures ? 1 : 0;
}
