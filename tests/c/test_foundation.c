/* Foundation C test: values, images (incl. strided CHW float views), histograms, rows,
 * summary, error reporting and ownership — compiled against the installed header and the
 * cdylib, run under valgrind (zero errors, zero leaks). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"
static char dir[256];

static long file_size(const char *rel) {
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void test_version(void) {
    CHECK(strcmp(wb_version(), WB_VERSION_STRING) == 0, "wb_version %s vs header %s", wb_version(), WB_VERSION_STRING);
#ifdef EXPECTED_VERSION
    CHECK(strcmp(wb_version(), EXPECTED_VERSION) == 0, "wb_version %s vs Cargo.toml %s", wb_version(), EXPECTED_VERSION);
#endif
}

static void test_image_u8(wb_run_dir *rd) {
    uint8_t px[4 * 6 * 3] = {0};
    wb_value *img = NULL;
    wb_error err;
    CHECK(wb_image_new_u8(px, 4, 6, 3, &img, &err) == WB_OK, "image_new_u8: %s", err.message);
    CHECK(err.code == WB_OK && err.message[0] == 0, "error struct cleared on success");
    CHECK(wb_value_set_caption(img, "hello", &err) == WB_OK, "caption: %s", err.message);
    char *json = NULL;
    CHECK(wb_value_to_json(img, rd, "img", 0, &json, &err) == WB_OK, "to_json: %s", err.message);
    /* spec §2.5 test vector: np.zeros((4,6,3), uint8) */
    const char *want = "{\"caption\":\"hello\",\"_type\":\"image-file\","
                       "\"sha256\":\"d6a441bfe7e8f09712a97927d56fc98879ffbce791ace14559d0442f2432ee14\","
                       "\"size\":69,\"path\":\"media/images/img_0_d6a441bfe7e8f09712a9.png\","
                       "\"format\":\"png\",\"width\":6,\"height\":4}";
    CHECK(json && strcmp(json, want) == 0, "image json: %s", json ? json : "(null)");
    CHECK(file_size("media/images/img_0_d6a441bfe7e8f09712a9.png") == 69, "png file written");
    wb_string_free(json);
    wb_value_free(img);
}

static char *to_json(wb_value *v, wb_run_dir *rd, const char *key, int64_t step) {
    char *json = NULL;
    wb_error err;
    wb_status st = wb_value_to_json(v, rd, key, step, &json, &err);
    CHECK(st == WB_OK, "to_json(%s): %s", key, err.message);
    return json;
}

static void test_chw_float_strided(wb_run_dir *rd) {
    /* A (3, 2, 3) CHW float image in [0, 1]: viewed as HWC through strides (no copy), as a
     * CHW tensor, and copied to HWC by hand — all three must give the same PNG. */
    float chw[3 * 2 * 3], hwc[2 * 3 * 3];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 6; i++) chw[c * 6 + i] = (float)(c * 6 + i) / 17.0f;
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            for (int c = 0; c < 3; c++) hwc[(y * 3 + x) * 3 + c] = chw[c * 6 + y * 3 + x];
    int64_t shape_hwc[3] = {2, 3, 3}, strides[3] = {3, 1, 6}, shape_chw[3] = {3, 2, 3};
    wb_tensor strided = {chw, WB_DTYPE_F32, 3, shape_hwc, strides};
    wb_tensor chw_t = {chw, WB_DTYPE_F32, 3, shape_chw, NULL};
    wb_tensor packed = {hwc, WB_DTYPE_F32, 3, shape_hwc, NULL};
    wb_value *a = NULL, *b = NULL, *c = NULL;
    wb_error err;
    CHECK(wb_image_from_tensor(&strided, NULL, &a, &err) == WB_OK, "strided: %s", err.message);
    CHECK(wb_image_from_chw_tensor(&chw_t, NULL, &b, &err) == WB_OK, "chw: %s", err.message);
    CHECK(wb_image_from_tensor(&packed, NULL, &c, &err) == WB_OK, "packed: %s", err.message);
    char *ja = to_json(a, rd, "f", 1), *jb = to_json(b, rd, "f", 1), *jc = to_json(c, rd, "f", 1);
    CHECK(ja && jb && jc && strcmp(ja, jc) == 0 && strcmp(jb, jc) == 0, "strided/CHW/packed differ:\n%s\n%s\n%s", ja, jb, jc);
    /* default conversion for floats is LEGACY (x255): the image is not black, so it differs
     * from the SDK's plain cast (WB_CONVERT_CAST), which truncates [0,1] to 0/1. */
    wb_image_options o = wb_image_options_default();
    o.convert = WB_CONVERT_CAST;
    wb_value *d = NULL;
    CHECK(wb_image_from_tensor(&packed, &o, &d, &err) == WB_OK, "cast: %s", err.message);
    char *jd = to_json(d, rd, "f", 1);
    CHECK(jd && jc && strcmp(jd, jc) != 0, "CAST and LEGACY gave the same bytes");
    wb_string_free(ja); wb_string_free(jb); wb_string_free(jc); wb_string_free(jd);
    wb_value_free(a); wb_value_free(b); wb_value_free(c); wb_value_free(d);
}

static void test_errors(wb_run_dir *rd) {
    uint8_t px[12] = {0};
    wb_value *out = (wb_value *)0x1; /* must stay untouched on failure */
    wb_error err;
    CHECK(wb_image_new_u8(px, 2, 2, 3, NULL, &err) == WB_ERR_NULL_ARGUMENT, "NULL out");
    CHECK(strstr(err.message, "out") != NULL && err.code == WB_ERR_NULL_ARGUMENT, "message names out: %s", err.message);
    CHECK(wb_image_new_u8(px, 2, 2, 2, &out, &err) == WB_ERR_INVALID_ARGUMENT && out == (wb_value *)0x1, "2 channels");
    CHECK(wb_image_new_u8(NULL, 2, 2, 3, &out, &err) == WB_ERR_NULL_ARGUMENT, "NULL pixels");
    CHECK(wb_image_new_u8(px, SIZE_MAX / 2, 3, 3, &out, &err) == WB_ERR_OVERFLOW, "overflow: %s", err.message);
    int64_t big[2] = {INT64_MAX / 2, 4};
    wb_tensor t_big = {px, WB_DTYPE_F64, 2, big, NULL};
    CHECK(wb_image_from_tensor(&t_big, NULL, &out, &err) == WB_ERR_OVERFLOW, "tensor overflow: %s", err.message);
    int64_t neg[1] = {-3};
    wb_tensor t_neg = {px, WB_DTYPE_U8, 1, neg, NULL};
    CHECK(wb_histogram_from_tensor(&t_neg, 0, &out, &err) == WB_ERR_INVALID_ARGUMENT, "negative shape");
    int64_t sh[1] = {4};
    wb_tensor t_dtype = {px, (wb_dtype)99, 1, sh, NULL};
    CHECK(wb_value_from_tensor(&t_dtype, &out, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "dtype"), "bad dtype: %s", err.message);
    int64_t s5[1] = {5};
    wb_tensor t5 = {px, WB_DTYPE_U8, 1, s5, NULL};
    CHECK(wb_image_from_tensor(&t5, NULL, &out, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "Un-supported shape for image conversion [5]"), "shape 5: %s", err.message);
    wb_image_options o = wb_image_options_default();
    *(int *)&o.file_type = 42;
    int64_t s3[3] = {2, 2, 3};
    wb_tensor t3 = {px, WB_DTYPE_U8, 3, s3, NULL};
    CHECK(wb_image_from_tensor(&t3, &o, &out, &err) == WB_ERR_INVALID_ARGUMENT, "bad file_type enum");
    double nan_data[3] = {1.0, NAN, 2.0};
    int64_t s_n[1] = {3};
    wb_tensor t_nan = {nan_data, WB_DTYPE_F64, 1, s_n, NULL};
    CHECK(wb_histogram_from_tensor(&t_nan, 0, &out, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "not finite"), "NaN histogram: %s", err.message);
    CHECK(out == (wb_value *)0x1, "out untouched on failure");
    wb_value *v = NULL;
    CHECK(wb_value_int(3, &v, &err) == WB_OK, "int");
    char *json = NULL;
    CHECK(wb_value_to_json(v, rd, "k\xff", 0, &json, &err) == WB_ERR_INVALID_UTF8 && strstr(err.message, "key"), "bad UTF-8 key: %s", err.message);
    CHECK(wb_value_to_json(v, rd, "k", -7, &json, &err) == WB_ERR_INVALID_ARGUMENT, "negative step");
    /* the run sentinels are not steps here: the summary has its own function */
    CHECK(wb_value_to_json(v, rd, "k", WB_RUN_STEP_NONE, &json, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "summary_json"),
          "WB_RUN_STEP_NONE is not the summary: %s", err.message);
    CHECK(wb_row_to_json(v, rd, WB_RUN_STEP_NONE, &json, &err) == WB_ERR_INVALID_ARGUMENT, "row: no sentinel step");
    CHECK(wb_row_to_json(v, rd, 0, &json, &err) == WB_ERR_INVALID_ARGUMENT, "row must be a dict");
    CHECK(json == NULL, "json untouched on failure");
    CHECK(wb_value_set_caption(v, "x", &err) == WB_ERR_INVALID_ARGUMENT, "caption on an int");
    wb_value_free(v);
    wb_run_dir *bad = NULL;
    CHECK(wb_run_dir_new("/dev/null/cannot", &bad, &err) == WB_ERR_IO && bad == NULL, "io error: %s", err.message);
    CHECK(wb_image_new_u8(NULL, 2, 2, 3, &out, NULL) == WB_ERR_NULL_ARGUMENT, "NULL err pointer is fine");
    CHECK(strcmp(wb_status_name(WB_ERR_IO), "WB_ERR_IO") == 0 && strcmp(wb_status_name(1234), "WB_ERR_UNKNOWN") == 0, "status names");
    wb_value_free(NULL);
    wb_run_dir_free(NULL);
    wb_string_free(NULL);
}

static void test_row(wb_run_dir *rd) {
    wb_error err;
    wb_value *row = NULL, *eval = NULL, *imgs = NULL, *v = NULL, *img1 = NULL, *img2 = NULL, *h = NULL;
    CHECK(wb_dict_new(&row, &err) == WB_OK, "dict");
    CHECK(wb_value_float(0.25, &v, &err) == WB_OK, "float");
    CHECK(wb_dict_set(row, "loss", v, &err) == WB_OK, "set");
    wb_value_free(v);
    uint8_t a[2 * 3 * 3], z[2 * 2 * 3] = {0};
    for (int i = 0; i < 18; i++) a[i] = (uint8_t)i;
    CHECK(wb_image_new_u8(a, 2, 3, 3, &img1, &err) == WB_OK, "img1");
    CHECK(wb_image_new_u8(z, 2, 2, 3, &img2, &err) == WB_OK, "img2");
    CHECK(wb_value_set_caption(img1, "first", &err) == WB_OK, "cap");
    CHECK(wb_list_new(&imgs, &err) == WB_OK, "list");
    CHECK(wb_list_append(imgs, img1, &err) == WB_OK && wb_list_append(imgs, img2, &err) == WB_OK, "append");
    CHECK(wb_dict_set(row, "examples", imgs, &err) == WB_OK, "set list");
    double hv[4] = {1, 2, 2, 3};
    int64_t hs[1] = {4};
    wb_tensor ht = {hv, WB_DTYPE_F64, 1, hs, NULL};
    CHECK(wb_histogram_from_tensor(&ht, 4, &h, &err) == WB_OK, "histogram: %s", err.message);
    CHECK(wb_dict_set(row, "hist", h, &err) == WB_OK, "set hist");
    CHECK(wb_dict_new(&eval, &err) == WB_OK, "eval");
    CHECK(wb_value_float(NAN, &v, &err) == WB_OK, "nan");
    CHECK(wb_dict_set(eval, "nan", v, &err) == WB_OK, "set nan");
    wb_value_free(v);
    CHECK(wb_dict_set(eval, "img", img2, &err) == WB_OK, "nested img");
    CHECK(wb_dict_set(row, "eval", eval, &err) == WB_OK, "set eval");
    char *json = NULL;
    CHECK(wb_row_to_json(row, rd, 0, &json, &err) == WB_OK, "row: %s", err.message);
    const char *want =
        "{\"loss\":0.25,\"examples\":{\"_type\":\"images/separated\",\"width\":3,\"height\":2,\"format\":\"png\",\"count\":2,"
        "\"filenames\":[\"media/images/examples_0_98317c8ce1adaaa6ec78.png\",\"media/images/examples_0_7899d6ced52159786ff0.png\"],"
        "\"captions\":[\"first\",null]},"
        "\"hist\":{\"_type\":\"histogram\",\"values\":[1,0,2,1],\"bins\":[1.0,1.5,2.0,2.5,3.0]},"
        "\"eval\":{\"nan\":NaN,\"img\":{\"_type\":\"image-file\",\"sha256\":\"7899d6ced52159786ff083934df42788da01a30b7ed9bb7756d7f3f5a94ef685\","
        "\"size\":68,\"path\":\"media/images/img_0_7899d6ced52159786ff0.png\",\"format\":\"png\",\"width\":2,\"height\":2}}}";
    CHECK(json && strcmp(json, want) == 0, "row json:\n%s\nwant:\n%s", json ? json : "(null)", want);
    CHECK(file_size("media/images/examples_0_98317c8ce1adaaa6ec78.png") == 80, "list image file");
    wb_string_free(json);
    /* summary namespace: dotted keys, NaN in dicts → null */
    CHECK(wb_row_to_summary_json(row, rd, &json, &err) == WB_OK, "summary: %s", err.message);
    CHECK(json && strstr(json, "\"nan\":null") && strstr(json, "media/images/eval.img_summary_7899d6ced52159786ff0.png"), "summary json: %s", json);
    wb_string_free(json);
    wb_value_free(row); wb_value_free(eval); wb_value_free(imgs); wb_value_free(img1); wb_value_free(img2); wb_value_free(h);
}

/* A histogram large enough for the multi-threaded path (2^21 elements and more): same
 * counts as the serial one, and (valgrind) nothing left allocated on this main thread. */
static void test_large_histogram(wb_run_dir *rd) {
    enum { N = (1 << 21) + 5 };
    float *x = malloc(sizeof(float) * N);
    CHECK(x != NULL, "malloc");
    if (!x) return;
    for (int i = 0; i < N; i++) x[i] = (float)(i % 64);
    int64_t shape[1] = {N};
    wb_tensor t = {x, WB_DTYPE_F32, 1, shape, NULL};
    wb_value *h = NULL;
    wb_error err;
    CHECK(wb_histogram_from_tensor(&t, 64, &h, &err) == WB_OK, "large histogram: %s", err.message);
    char *json = NULL;
    CHECK(h && wb_value_to_json(h, rd, "h", 0, &json, &err) == WB_OK, "histogram json: %s", err.message);
    /* edges 0, 63/64, …, 63: value v falls in bin v; values 0..4 occur once more */
    char want[64 * 8 + 32] = "{\"_type\":\"histogram\",\"values\":[";
    for (int b = 0; b < 64; b++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", b ? "," : "", b < 5 ? 32769 : 32768);
    strcat(want, "]");
    CHECK(json && strncmp(json, want, strlen(want)) == 0, "large histogram:\n%.400s\nwant:\n%s", json ? json : "(null)", want);
    wb_string_free(json);
    wb_value_free(h);
    free(x);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/wbm-ctest-%d", (int)getpid());
    wb_run_dir *rd = NULL;
    wb_error err;
    if (wb_run_dir_new(dir, &rd, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        return 1;
    }
    test_version();
    test_image_u8(rd);
    test_chw_float_strided(rd);
    test_errors(rd);
    test_row(rd);
    test_large_histogram(rd);
    wb_run_dir_free(rd);
    printf("%s\n", failures ? "C foundation tests FAILED" : "C foundation tests passed");
    return failures ? 1 : 0;
}
