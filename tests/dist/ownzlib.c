/* Symbol hygiene (tests/dist/run.sh): a program that brings its OWN definitions of names
 * the archive also contains internally (zlib's deflate/crc32/zlibVersion, OpenH264's
 * WelsCreateSVCEncoder, Rust's rust_eh_personality) — as a program statically linking another
 * zlib, OpenCV or WebRTC does. With only wb_* global in our archive this links, each side
 * uses its own code, and our PNG is still the reference bytes (checked by the script).
 * Against an archive that exports those names, the link fails or our code calls these. */
#include <stdio.h>
#include <stdlib.h>
#include <wandb_media.h>

static int own_calls = 0;
int deflate(void *strm, int flush) { (void)strm; (void)flush; own_calls++; return -2; }
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len) {
    (void)buf; (void)len; own_calls++; return crc;
}
const char *zlibVersion(void) { own_calls++; return "0.0-program"; }
long WelsCreateSVCEncoder(void **out) { (void)out; own_calls++; return 1; }
int rust_eh_personality(void) { own_calls++; return 0; }

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    uint8_t px[2 * 3 * 3];
    for (int i = 0; i < 18; i++) px[i] = (uint8_t)((i * 37 + 11) % 256);
    wb_error err;
    wb_run_dir *dir = NULL;
    wb_value *row = NULL, *loss = NULL, *img = NULL, *vid = NULL;
    char *json = NULL;
    /* An MP4 too: OpenH264 must find its own WelsCreateSVCEncoder. */
    static uint8_t frames[4 * 16 * 16 * 3];
    for (size_t i = 0; i < sizeof frames; i++) frames[i] = (uint8_t)(i * 7);
    int64_t shape[5] = {1, 4, 3, 16, 16};
    wb_tensor t = {frames, WB_DTYPE_U8, 5, shape, NULL};
    wb_video_options vo = wb_video_options_default();
    vo.format = WB_VIDEO_MP4;
    vo.fps = 4;
    if (wb_run_dir_new(argv[1], &dir, &err) != WB_OK || wb_dict_new(&row, &err) != WB_OK ||
        wb_value_float(0.5, &loss, &err) != WB_OK || wb_dict_set(row, "loss", loss, &err) != WB_OK ||
        wb_image_new_u8(px, 2, 3, 3, &img, &err) != WB_OK || wb_dict_set(row, "img", img, &err) != WB_OK ||
        wb_row_to_json(row, dir, 0, &json, &err) != WB_OK) {
        fprintf(stderr, "%s: %s\n", wb_status_name(err.code), err.message);
        return 1;
    }
    if (wb_video_from_tensor(&t, &vo, &vid, &err) != WB_OK) {
        fprintf(stderr, "mp4: %s: %s\n", wb_status_name(err.code), err.message);
        return 1;
    }
    if (own_calls != 0) {
        fprintf(stderr, "the library called the program's own deflate/crc32/WelsCreateSVCEncoder (%d calls)\n",
                own_calls);
        return 1;
    }
    printf("%s\n", json);
    wb_string_free(json);
    wb_value_free(vid);
    wb_value_free(img);
    wb_value_free(loss);
    wb_value_free(row);
    wb_run_dir_free(dir);
    return 0;
}
