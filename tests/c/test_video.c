/* Video C test: tensors (channels-first batch, strided channels-last), files, the streaming
 * writer and its ownership rules (finish consumes the writer, also on error), errors with
 * the SDK's meaning — compiled against the generated header, run under valgrind
 * (zero errors, zero leaks). */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"
static char dir[256];

static char *to_json(wb_value *v, wb_run_dir *rd, const char *key, int64_t step) {
    char *json = NULL;
    wb_error err;
    CHECK(wb_value_to_json(v, rd, key, step, &json, &err) == WB_OK, "to_json %s: %s", key, err.message);
    return json;
}

/* The value of a JSON member `"name":` as a number (naive, enough for our own output). */
static long json_int(const char *json, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static long path_size(const char *json) {
    const char *p = json ? strstr(json, "\"path\":\"") : NULL;
    if (!p) return -1;
    p += 8;
    char rel[512], full[800];
    size_t n = strcspn(p, "\"");
    if (n >= sizeof rel) return -1;
    memcpy(rel, p, n);
    rel[n] = 0;
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    struct stat st;
    return stat(full, &st) == 0 ? (long)st.st_size : -1;
}

static void test_tensor_batch(wb_run_dir *rd) {
    /* (B,T,C,H,W) = (3,4,3,8,10): padded to 4 videos, tiled 1x4 → 40x8 */
    enum { B = 3, T = 4, C = 3, H = 8, W = 10 };
    static uint8_t px[B * T * C * H * W];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 13);
    int64_t shape[5] = {B, T, C, H, W};
    wb_tensor t = {px, WB_DTYPE_U8, 5, shape, NULL};
    wb_video_options o = wb_video_options_default();
    wb_error err;
    CHECK(wb_video_format_from_name("gif", &o.format, &err) == WB_OK, "format name: %s", err.message);
    o.fps = 5;
    o.convert = WB_CONVERT_CAST;
    wb_value *v = NULL;
    CHECK(wb_video_from_tensor(&t, &o, &v, &err) == WB_OK, "from_tensor: %s", err.message);
    CHECK(wb_value_set_caption(v, "grid", &err) == WB_OK, "caption: %s", err.message);
    char *json = to_json(v, rd, "grid", 4);
    CHECK(json && strncmp(json, "{\"caption\":\"grid\",\"_type\":\"video-file\",\"sha256\":\"", 48) == 0, "json head: %s", json);
    CHECK(json_int(json, "width") == 40 && json_int(json, "height") == 8, "tiled size: %s", json);
    CHECK(json && strstr(json, "\"path\":\"media/videos/grid_4_") && strstr(json, ".gif\""), "path: %s", json);
    CHECK(path_size(json) == json_int(json, "size") && path_size(json) > 0, "file written with the JSON size");
    wb_string_free(json);
    wb_value_free(v);
}

static void test_tensor_channels_last_strided(wb_run_dir *rd) {
    /* A (T,H,W,C) view of CHW frame memory with strides, float data: mp4 16x12 */
    enum { T = 6, C = 3, H = 12, W = 16 };
    static float chw[T * C * H * W];
    for (size_t i = 0; i < T * C * H * W; i++) chw[i] = (float)(i % 200) + 0.5f;
    int64_t shape[4] = {T, H, W, C};
    int64_t strides[4] = {C * H * W, W, 1, H * W};
    wb_tensor t = {chw, WB_DTYPE_F32, 4, shape, strides};
    wb_video_options o = wb_video_options_default();
    o.format = WB_VIDEO_MP4;
    o.layout = WB_VIDEO_CHANNELS_LAST;
    o.fps = 0; /* → 4 */
    wb_value *v = NULL;
    wb_error err;
    CHECK(wb_video_from_tensor(&t, &o, &v, &err) == WB_OK, "from_tensor mp4: %s", err.message);
    char *json = to_json(v, rd, "cl", 1);
    CHECK(json_int(json, "width") == 16 && json_int(json, "height") == 12, "mp4 size: %s", json);
    CHECK(json && strstr(json, ".mp4\""), "mp4 ext: %s", json);
    wb_string_free(json);
    wb_value_free(v);
}

static wb_video_options vopts(wb_video_format format, uint32_t fps) {
    wb_video_options o = wb_video_options_default();
    o.format = format;
    o.fps = fps;
    return o;
}

/* Several GOPs from one tensor (encoded on worker threads) give the same file as the
 * streaming writer fed frame by frame; under valgrind, nothing stays allocated for this
 * main thread afterwards. */
static void test_parallel_gops(wb_run_dir *rd) {
    enum { T = 7, H = 24, W = 32 };
    static uint8_t px[T * H * W * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)((i * 7) ^ (i >> 9));
    wb_video_options o = vopts(WB_VIDEO_MP4, 8);
    o.layout = WB_VIDEO_CHANNELS_LAST;
    o.keyframe_interval = 2; /* 4 GOPs */
    int64_t shape[4] = {T, H, W, 3};
    wb_tensor t = {px, WB_DTYPE_U8, 4, shape, NULL};
    wb_value *a = NULL, *b = NULL;
    wb_error err;
    CHECK(wb_video_from_tensor(&t, &o, &a, &err) == WB_OK, "from_tensor gops: %s", err.message);
    wb_video_writer *w = NULL;
    CHECK(wb_video_writer_new(H, W, 3, &o, &w, &err) == WB_OK, "writer_new: %s", err.message);
    int64_t fshape[3] = {H, W, 3};
    for (int i = 0; w && i < T; i++) {
        wb_tensor f = {px + (size_t)i * H * W * 3, WB_DTYPE_U8, 3, fshape, NULL};
        CHECK(wb_video_writer_push(w, &f, &err) == WB_OK, "push %d: %s", i, err.message);
    }
    CHECK(w && wb_video_writer_finish(w, &b, &err) == WB_OK, "finish: %s", err.message);
    char *ja = a ? to_json(a, rd, "gops", 0) : NULL, *jb = b ? to_json(b, rd, "gops", 1) : NULL;
    const char *sa = ja ? strstr(ja, "\"sha256\":\"") : NULL, *sb = jb ? strstr(jb, "\"sha256\":\"") : NULL;
    CHECK(sa && sb && strncmp(sa, sb, 10 + 64) == 0 && json_int(ja, "size") == json_int(jb, "size"),
          "parallel GOPs differ from the writer:\n%s\n%s", ja ? ja : "(null)", jb ? jb : "(null)");
    wb_string_free(ja);
    wb_string_free(jb);
    wb_value_free(a);
    wb_value_free(b);
}

static void test_writer(wb_run_dir *rd) {
    enum { H = 18, W = 30, N = 25 };
    wb_video_writer *w = NULL;
    wb_error err;
    wb_video_options mp4 = vopts(WB_VIDEO_MP4, 10), gif = vopts(WB_VIDEO_GIF, 4);
    /* shape order (height, width, channels), as frames and images */
    CHECK(wb_video_writer_new(H, W, 4, &mp4, &w, &err) == WB_OK, "writer_new: %s", err.message);
    static uint8_t frame[H * W * 4];
    int64_t shape[3] = {H, W, 4};
    wb_tensor t = {frame, WB_DTYPE_U8, 3, shape, NULL};
    for (int i = 0; i < N; i++) {
        memset(frame, 40 + 7 * i, sizeof frame);
        CHECK(wb_video_writer_push(w, &t, &err) == WB_OK, "push %d: %s", i, err.message);
    }
    int64_t bad_shape[3] = {H, W, 3};
    wb_tensor bad = {frame, WB_DTYPE_U8, 3, bad_shape, NULL};
    CHECK(wb_video_writer_push(w, &bad, &err) == WB_ERR_INVALID_ARGUMENT, "wrong frame shape rejected");
    CHECK(strstr(err.message, "frame") != NULL, "message names the frame: %s", err.message);
    wb_value *v = NULL;
    CHECK(wb_video_writer_finish(w, &v, &err) == WB_OK, "finish: %s", err.message);
    char *json = to_json(v, rd, "stream", 2);
    CHECK(json_int(json, "width") == W && json_int(json, "height") == H, "stream size: %s", json);
    CHECK(path_size(json) == json_int(json, "size"), "stream file written");
    wb_string_free(json);
    wb_value_free(v);

    /* finish consumes the writer even on error (no frames) and when out is NULL */
    w = NULL;
    CHECK(wb_video_writer_new(8, 8, 3, &gif, &w, &err) == WB_OK, "writer_new gif: %s", err.message);
    v = NULL;
    CHECK(wb_video_writer_finish(w, &v, &err) == WB_ERR_INVALID_ARGUMENT && v == NULL, "finish without frames fails");
    w = NULL;
    CHECK(wb_video_writer_new(8, 8, 3, &gif, &w, &err) == WB_OK, "writer_new gif: %s", err.message);
    CHECK(wb_video_writer_finish(w, NULL, &err) == WB_ERR_NULL_ARGUMENT, "finish with NULL out");
    /* an unfinished writer is freed */
    w = NULL;
    CHECK(wb_video_writer_new(8, 8, 3, &gif, &w, &err) == WB_OK, "writer_new: %s", err.message);
    uint8_t small[8 * 8 * 3] = {0};
    int64_t s3[3] = {8, 8, 3};
    wb_tensor ts = {small, WB_DTYPE_U8, 3, s3, NULL};
    CHECK(wb_video_writer_push(w, &ts, &err) == WB_OK, "push: %s", err.message);
    wb_video_writer_free(w);
    wb_video_writer_free(NULL);
    w = NULL;
    CHECK(wb_video_writer_new(8, 8, 1, &gif, &w, &err) == WB_ERR_INVALID_ARGUMENT && w == NULL,
          "one channel rejected");
    /* webm: VP8 WebM from the streaming writer, with quality controls */
    wb_video_options webm = vopts(WB_VIDEO_WEBM, 4);
    webm.crf = 30;
    webm.keyframe_interval = 3;
#ifdef WB_TEST_EXPECT_NO_WEBM
    /* cross builds (Windows, ARM64) are made without the `webm` feature: a clear refusal */
    CHECK(wb_video_writer_new(8, 8, 3, &webm, &w, &err) == WB_ERR_UNSUPPORTED && w == NULL &&
              strstr(err.message, "`webm` cargo feature"),
          "webm refused in a build without it: %s", err.message);
#else
    CHECK(wb_video_writer_new(8, 8, 3, &webm, &w, &err) == WB_OK, "writer_new webm: %s", err.message);
    for (int i = 0; i < 5; i++) {
        memset(small, 20 * i, sizeof small);
        CHECK(wb_video_writer_push(w, &ts, &err) == WB_OK, "push webm: %s", err.message);
    }
    v = NULL;
    CHECK(wb_video_writer_finish(w, &v, &err) == WB_OK, "finish webm: %s", err.message);
    json = to_json(v, rd, "webm", 3);
    CHECK(json && strstr(json, ".webm\"") && json_int(json, "width") == 8, "webm json: %s", json);
    CHECK(path_size(json) == json_int(json, "size"), "webm file written");
    wb_string_free(json);
    wb_value_free(v);
#endif
    w = NULL;
    webm.bitrate_kbps = 100; /* with crf: one or the other */
    CHECK(wb_video_writer_new(8, 8, 3, &webm, &w, &err) == WB_ERR_INVALID_ARGUMENT && w == NULL &&
              strstr(err.message, "crf"),
          "crf and bitrate together refused: %s", err.message);
    /* an older caller's struct (no quality fields) still works */
    wb_video_options old = vopts(WB_VIDEO_MP4, 4);
    old.struct_size = offsetof(wb_video_options, bitrate_kbps);
    old.crf = 999;
    CHECK(wb_video_writer_new(8, 8, 3, &old, &w, &err) == WB_OK, "old struct size: %s", err.message);
    wb_video_writer_free(w);
    w = NULL;
    CHECK(wb_video_writer_new(8, 8, 3, NULL, &w, &err) == WB_ERR_NULL_ARGUMENT && w == NULL,
          "options are required");
    wb_video_options unset = wb_video_options_default();
    CHECK(wb_video_writer_new(8, 8, 3, &unset, &w, &err) == WB_ERR_INVALID_ARGUMENT && w == NULL,
          "format must be set");
    wb_video_options garbage = gif;
    garbage.struct_size = 3;
    CHECK(wb_video_writer_new(8, 8, 3, &garbage, &w, &err) == WB_ERR_INVALID_ARGUMENT && w == NULL &&
              strstr(err.message, "struct_size"),
          "uninitialised options refused: %s", err.message);
}

static void test_errors_and_files(wb_run_dir *rd) {
    uint8_t px[2 * 3 * 4 * 4] = {0};
    int64_t shape3[3] = {6, 4, 4};
    wb_tensor t3 = {px, WB_DTYPE_U8, 3, shape3, NULL};
    wb_value *v = NULL;
    wb_error err;
    wb_video_options o = wb_video_options_default();
    CHECK(wb_video_from_tensor(&t3, NULL, &v, &err) == WB_ERR_INVALID_ARGUMENT && v == NULL, "no format");
    CHECK(strstr(err.message, "requires a `format`") != NULL, "no-format message: %s", err.message);
    o.format = WB_VIDEO_GIF;
    CHECK(wb_video_from_tensor(&t3, &o, &v, &err) == WB_ERR_INVALID_ARGUMENT && v == NULL, "ndim 3");
    CHECK(strcmp(err.message, "Video must be at least 4 dimensions: time, channels, height, width") == 0, "%s", err.message);
    wb_video_format f = WB_VIDEO_GIF;
    CHECK(wb_video_format_from_name("GIF", &f, &err) == WB_ERR_INVALID_ARGUMENT && f == WB_VIDEO_GIF, "case-sensitive");

    char path[512];
    snprintf(path, sizeof path, "%s-clip.WebM", dir);
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL, "create %s", path);
    if (fp) { fputs("not really webm", fp); fclose(fp); }
    CHECK(wb_video_from_file(path, &v, &err) == WB_OK, "from_file: %s", err.message);
    char *json = to_json(v, rd, "file", 7);
    CHECK(json && strstr(json, ".WebM\"}") && !strstr(json, "width"), "file json: %s", json);
    CHECK(json_int(json, "size") == 15 && path_size(json) == 15, "file copied: %s", json);
    wb_string_free(json);
    wb_value_free(v);
    unlink(path);
}

/* Encoded H.264 pass-through with the x264 High/B-frame fixture (tests/data/h264). */
static void test_h264_passthrough(wb_run_dir *rd) {
    wb_error err;
    FILE *f = fopen("tests/data/h264/x264_high_b2_64x48.h264", "rb");
    CHECK(f != NULL, "open the H.264 fixture (run from the repository root)");
    if (!f) return;
    static unsigned char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int64_t pts[16], dts[16];
    size_t count = 0;
    f = fopen("tests/data/h264/x264_high_b2_64x48.times", "r");
    CHECK(f != NULL, "open the timestamps");
    if (!f) return;
    long long p, d;
    while (count < 16 && fscanf(f, "%lld %lld", &p, &d) == 2) {
        pts[count] = p;
        dts[count] = d;
        count++;
    }
    fclose(f);
    CHECK(count == 12, "12 timestamps, got %zu", count);

    wb_video_h264_options o = wb_video_h264_options_default();
    o.timescale = 1000;
    wb_value *v = NULL;
    CHECK(wb_video_from_h264(buf, n, pts, dts, count, &o, &v, &err) == WB_OK, "from_h264: %s", err.message);
    char *json = to_json(v, rd, "h264", 0);
    CHECK(json_int(json, "width") == 64 && json_int(json, "height") == 48, "size from the SPS: %s", json);
    CHECK(json && strstr(json, ".mp4\""), "mp4 ext: %s", json);
    CHECK(path_size(json) == json_int(json, "size") && path_size(json) > (long)n, "file written: %s", json);
    wb_string_free(json);
    wb_value_free(v);

    /* errors: wrong timestamp count, NULL pts with a timescale, a non-IDR start, garbage */
    v = NULL;
    CHECK(wb_video_from_h264(buf, n, pts, NULL, 5, &o, &v, &err) == WB_ERR_INVALID_ARGUMENT && v == NULL,
          "timestamp count mismatch refused");
    CHECK(wb_video_from_h264(buf, n, NULL, NULL, 0, &o, &v, &err) == WB_ERR_NULL_ARGUMENT, "NULL pts refused");
    wb_video_h264_options untimed = wb_video_h264_options_default();
    CHECK(wb_video_from_h264((const uint8_t *)"garbage!", 8, NULL, NULL, 0, &untimed, &v, &err) == WB_ERR_INVALID_ARGUMENT,
          "garbage refused");
    size_t second = 0; /* the second picture's start code: a P slice (type 1) after the IDR */
    for (size_t i = 4; i + 4 < n; i++)
        if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1 && (buf[i + 3] & 0x1F) == 1) { second = i; break; }
    CHECK(second > 0, "fixture has P/B slices");
    wb_video_writer *w = NULL;
    CHECK(wb_video_writer_new_h264(NULL, &w, &err) == WB_OK, "writer_new_h264: %s", err.message);
    CHECK(wb_video_writer_push_h264(w, buf + second, n - second, 0, NULL, &err) == WB_ERR_INVALID_ARGUMENT,
          "non-IDR start refused");
    CHECK(strstr(err.message, "IDR") != NULL, "message names IDR: %s", err.message);
    CHECK(wb_video_writer_push_h264(NULL, buf, n, 0, NULL, &err) == WB_ERR_NULL_ARGUMENT, "NULL writer");
    wb_video_writer_free(w);

    /* no timestamps: the B-frames' display order from the slice headers; the stream as a
       byte stream in 7-byte chunks gives the same file as the whole buffer */
    v = NULL;
    CHECK(wb_video_from_h264(buf, n, NULL, NULL, 0, &untimed, &v, &err) == WB_OK, "untimed from_h264: %s", err.message);
    char *whole = to_json(v, rd, "h264_untimed", 1);
    wb_value_free(v);
    w = NULL;
    CHECK(wb_video_writer_new_h264(&untimed, &w, &err) == WB_OK, "writer_new_h264: %s", err.message);
    for (size_t at = 0; at < n; at += 7)
        CHECK(wb_video_writer_push_h264_bytes(w, buf + at, n - at < 7 ? n - at : 7, &err) == WB_OK,
              "push_h264_bytes at %zu: %s", at, err.message);
    v = NULL;
    CHECK(wb_video_writer_finish(w, &v, &err) == WB_OK, "finish byte stream: %s", err.message);
    char *chunked = to_json(v, rd, "h264_bytes", 2);
    wb_value_free(v);
    const char *h1 = whole ? strstr(whole, "\"sha256\":\"") : NULL, *h2 = chunked ? strstr(chunked, "\"sha256\":\"") : NULL;
    CHECK(h1 && h2 && strncmp(h1, h2, 75) == 0 && json_int(whole, "size") == json_int(chunked, "size"),
          "byte stream = whole buffer: %s / %s", whole, chunked);
    wb_string_free(whole);
    wb_string_free(chunked);
    /* a byte stream needs timescale 0; data that is not Annex-B is refused */
    w = NULL;
    CHECK(wb_video_writer_new_h264(&o, &w, &err) == WB_OK, "writer_new_h264: %s", err.message);
    CHECK(wb_video_writer_push_h264_bytes(w, buf, n, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "timestamps"),
          "byte stream with a timescale refused: %s", err.message);
    wb_video_writer_free(w);
    w = NULL;
    CHECK(wb_video_writer_new_h264(&untimed, &w, &err) == WB_OK, "writer_new_h264: %s", err.message);
    CHECK(wb_video_writer_push_h264_bytes(w, (const uint8_t *)"GIF89a", 6, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "start code"), "non-Annex-B bytes refused: %s", err.message);
    CHECK(wb_video_writer_push_h264_bytes(NULL, buf, n, &err) == WB_ERR_NULL_ARGUMENT, "NULL writer (bytes)");
    wb_video_writer_free(w);
}

/* Whether the stored file of a logged video contains `needle` (e.g. the "dOps" box). */
static int file_contains(const char *json, const char *needle) {
    const char *p = json ? strstr(json, "\"path\":\"") : NULL;
    if (!p) return 0;
    p += 8;
    char rel[512], full[800];
    size_t n = strcspn(p, "\"");
    if (n >= sizeof rel) return 0;
    memcpy(rel, p, n);
    rel[n] = 0;
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    FILE *f = fopen(full, "rb");
    if (!f) return 0;
    static unsigned char data[1 << 20];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(data + i, needle, k) == 0) return 1;
    return 0;
}

/* Cross builds (WB_TEST_EXPECT_NO_WEBM: --no-default-features) have no `opus` feature either. */
#if defined(WB_TEST_EXPECT_NO_WEBM) && !defined(WB_TEST_EXPECT_NO_OPUS)
#define WB_TEST_EXPECT_NO_OPUS
#endif

/* Audio tracks (MP4 + Opus): tensor path with float64 mono incl. a NaN, the streaming writer
 * with int16 stereo blocks, and the refusals (a build without `opus`: WB_ERR_UNSUPPORTED). */
static void test_audio_track(wb_run_dir *rd) {
    wb_error err;
    static uint8_t frames[8 * 3 * 16 * 16];
    for (size_t i = 0; i < sizeof frames; i++) frames[i] = (uint8_t)(i * 7);
    int64_t fshape[4] = {8, 3, 16, 16};
    wb_tensor ft = {frames, WB_DTYPE_U8, 4, fshape, NULL};
    static double mono[16000];
    for (size_t i = 0; i < 16000; i++) mono[i] = 0.3 * sin(0.2 * (double)i);
    mono[100] = NAN; /* → -32768, as in wb_audio_from_tensor */
    int64_t ashape[1] = {16000};
    wb_tensor at = {mono, WB_DTYPE_F64, 1, ashape, NULL};
    wb_video_options o = vopts(WB_VIDEO_MP4, 4);
    wb_value *v = NULL;
    char *json = NULL;
#ifdef WB_TEST_EXPECT_NO_OPUS
    CHECK(wb_video_from_tensor_with_audio(&ft, &o, &at, 8000, &v, &err) == WB_ERR_UNSUPPORTED && v == NULL &&
              strstr(err.message, "`opus`"),
          "audio refused in a build without opus: %s", err.message);
#else
    CHECK(wb_video_from_tensor_with_audio(&ft, &o, &at, 8000, &v, &err) == WB_OK, "with_audio: %s", err.message);
    json = to_json(v, rd, "av", 0);
    CHECK(file_contains(json, "dOps") && file_contains(json, "soun"), "Opus track in the file: %s", json);
    wb_string_free(json);
    wb_value_free(v);
#endif
    v = NULL;
    CHECK(wb_video_from_tensor_with_audio(&ft, &o, NULL, 8000, &v, &err) == WB_ERR_NULL_ARGUMENT && v == NULL,
          "NULL audio refused: %s", err.message);
    int64_t three_shape[2] = {16000 / 3, 3};
    wb_tensor three = {mono, WB_DTYPE_F64, 2, three_shape, NULL};
    CHECK(wb_video_from_tensor_with_audio(&ft, &o, &three, 8000, &v, &err) == WB_ERR_INVALID_ARGUMENT,
          "3 channels refused");
    CHECK(strstr(err.message, "stereo") != NULL, "message: %s", err.message);
    CHECK(wb_video_from_tensor_with_audio(&ft, &o, &at, 999, &v, &err) == WB_ERR_INVALID_ARGUMENT,
          "rate 999 refused");
    wb_video_options gif = vopts(WB_VIDEO_GIF, 4);
    CHECK(wb_video_from_tensor_with_audio(&ft, &gif, &at, 8000, &v, &err) == WB_ERR_INVALID_ARGUMENT,
          "gif + audio refused");

    /* streaming: int16 stereo, blocks between frames */
    static int16_t stereo[2 * 4410];
    for (size_t i = 0; i < 2 * 4410; i++) stereo[i] = (int16_t)((i % 100) * 300 - 15000);
    int64_t sshape[2] = {4410, 2};
    wb_tensor st = {stereo, WB_DTYPE_I16, 2, sshape, NULL};
    wb_video_writer *w = NULL;
    CHECK(wb_video_writer_new(16, 16, 3, &o, &w, &err) == WB_OK, "writer: %s", err.message);
    static uint8_t rgb[16 * 16 * 3];
    int64_t rshape[3] = {16, 16, 3};
    wb_tensor rt = {rgb, WB_DTYPE_U8, 3, rshape, NULL};
#ifdef WB_TEST_EXPECT_NO_OPUS
    CHECK(wb_video_writer_push(w, &rt, &err) == WB_OK, "push: %s", err.message);
    CHECK(wb_video_writer_push_audio(w, &st, 44100, &err) == WB_ERR_UNSUPPORTED, "push_audio without opus");
    wb_video_writer_free(w);
    (void)json;
    return;
#endif
    for (int i = 0; i < 4; i++) {
        CHECK(wb_video_writer_push(w, &rt, &err) == WB_OK, "push: %s", err.message);
        CHECK(wb_video_writer_push_audio(w, &st, 44100, &err) == WB_OK, "push_audio: %s", err.message);
    }
    CHECK(wb_video_writer_push_audio(w, &st, 48000, &err) == WB_ERR_INVALID_ARGUMENT, "rate change refused");
    CHECK(wb_video_writer_push_audio(w, NULL, 44100, &err) == WB_ERR_NULL_ARGUMENT, "NULL audio block");
    CHECK(wb_video_writer_push_audio(NULL, &st, 44100, &err) == WB_ERR_NULL_ARGUMENT, "NULL writer");
    CHECK(wb_video_writer_finish(w, &v, &err) == WB_OK, "finish: %s", err.message);
    json = to_json(v, rd, "av", 1);
    CHECK(file_contains(json, "dOps"), "streamed Opus track: %s", json);
    wb_string_free(json);
    wb_value_free(v);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/wbm-ctest-video-%d", (int)getpid());
    wb_run_dir *rd = NULL;
    wb_error err;
    if (wb_run_dir_new(dir, &rd, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        return 1;
    }
    test_tensor_batch(rd);
    test_tensor_channels_last_strided(rd);
    test_writer(rd);
    test_parallel_gops(rd);
    test_errors_and_files(rd);
    test_h264_passthrough(rd);
    test_audio_track(rd);
    wb_run_dir_free(rd);
    printf("%s\n", failures ? "C video tests FAILED" : "C video tests passed");
    return failures ? 1 : 0;
}
