/* The H.264 cargo features seen from C (tests/cross/features.sh drives it):
 *   h264_features MODE FILES_DIR
 * MODE: "source" (default build), "dynamic" (h264-dynamic with the library set),
 * "dynamic-unset" (h264-dynamic, WANDB_MEDIA_OPENH264_LIBRARY not set), "none"
 * (--no-default-features). Encodes the same 8-frame clip as GIF and as MP4 (tensor and
 * streaming writer), checks the statuses and messages each build must give, and prints
 * "gif <path>" / "mp4 <path>" (relative to FILES_DIR) for what was written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wandb_media.h"

static int failures = 0;
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            failures++;                                                    \
        }                                                                  \
    } while (0)

enum { T = 8, C = 3, H = 24, W = 32 };
static uint8_t px[T * C * H * W];

static void print_path(const char *what, const char *json) {
    const char *p = json ? strstr(json, "\"path\":\"") : NULL;
    CHECK(p != NULL, "%s: no path in %s", what, json ? json : "(null)");
    if (p) printf("%s %.*s\n", what, (int)strcspn(p + 8, "\""), p + 8);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: h264_features source|dynamic|dynamic-unset|none FILES_DIR\n");
        return 2;
    }
    const char *mode = argv[1];
    int mp4_ok = strcmp(mode, "source") == 0 || strcmp(mode, "dynamic") == 0;
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)((i * 7) ^ (i >> 5));
    int64_t shape[4] = {T, C, H, W};
    wb_tensor t = {px, WB_DTYPE_U8, 4, shape, NULL};
    wb_run_dir *rd = NULL;
    wb_error err;
    if (wb_run_dir_new(argv[2], &rd, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        return 2;
    }
    wb_video_options o = wb_video_options_default();

    o.format = WB_VIDEO_GIF;
    wb_value *v = NULL;
    CHECK(wb_video_from_tensor(&t, &o, &v, &err) == WB_OK, "gif: %s", err.message);
    char *json = NULL;
    if (v) {
        CHECK(wb_value_to_json(v, rd, "clip", 0, &json, &err) == WB_OK, "gif json: %s", err.message);
        print_path("gif", json);
        wb_string_free(json);
        wb_value_free(v);
    }

    o.format = WB_VIDEO_MP4;
    v = NULL;
    wb_status s = wb_video_from_tensor(&t, &o, &v, &err);
    if (mp4_ok) {
        CHECK(s == WB_OK && v, "mp4: %s", err.message);
        json = NULL;
        if (v) {
            CHECK(wb_value_to_json(v, rd, "clip", 0, &json, &err) == WB_OK, "mp4 json: %s", err.message);
            print_path("mp4", json);
            wb_string_free(json);
        }
    } else {
        CHECK(s == WB_ERR_UNSUPPORTED && v == NULL, "mp4 in %s build: status %d", mode, (int)s);
        const char *want = strcmp(mode, "none") == 0 ? "no H.264 encoder" : "WANDB_MEDIA_OPENH264_LIBRARY";
        CHECK(strstr(err.message, want) != NULL, "mp4 in %s build: message lacks '%s': %s", mode, want, err.message);
        fprintf(stderr, "mp4 (%s build): %s\n", mode, err.message);
    }
    wb_value_free(v);

    /* the streaming writer gives the same answer */
    wb_video_writer *w = NULL;
    s = wb_video_writer_new(H, W, C, &o, &w, &err);
    if (mp4_ok) {
        CHECK(s == WB_OK && w, "mp4 writer: %s", err.message);
    } else {
        CHECK(s == WB_ERR_UNSUPPORTED && w == NULL, "mp4 writer in %s build: status %d", mode, (int)s);
    }
    wb_video_writer_free(w);
    wb_run_dir_free(rd);
    if (failures) fprintf(stderr, "h264_features %s: %d failure(s)\n", mode, failures);
    return failures ? 1 : 0;
}
