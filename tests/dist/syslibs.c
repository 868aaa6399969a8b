/* Symbol hygiene (tests/dist/run.sh): links libwandb_media.a AND the system's -lz -lpng.
 * Both must work side by side: the program's zlib/libpng calls reach the system libraries
 * (zlibVersion() is the system header's), and our PNG (written with the zlib bundled inside
 * the archive) is byte-identical to the reference (checked by the script) and decodes with
 * the system libpng to the input pixels.  argv[1]: run dir. Prints the row JSON. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wandb_media.h>
#include <zlib.h>

static const char *PNG_NAME = "/media/images/img_0_4b2ef48a447ceee4ef90.png";

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    if (strcmp(zlibVersion(), ZLIB_VERSION) != 0) {
        fprintf(stderr, "zlibVersion() is %s, the system header says %s: another zlib took over\n", zlibVersion(),
                ZLIB_VERSION);
        return 1;
    }
    /* The system zlib round-trips. */
    const char *text = "the system zlib must still work next to wandb-media's bundled one";
    unsigned char comp[256], back[256];
    uLongf clen = sizeof comp, blen = sizeof back;
    if (compress2(comp, &clen, (const Bytef *)text, (uLong)strlen(text) + 1, 9) != Z_OK ||
        uncompress(back, &blen, comp, clen) != Z_OK || strcmp((const char *)back, text) != 0) {
        fprintf(stderr, "system zlib round trip failed\n");
        return 1;
    }
    if (crc32(0L, (const Bytef *)"abc", 3) != 0x352441c2UL) {
        fprintf(stderr, "system crc32 wrong\n");
        return 1;
    }
    /* Our PNG, written through the archive's own zlib. */
    uint8_t px[2 * 3 * 3];
    for (int i = 0; i < 18; i++) px[i] = (uint8_t)((i * 37 + 11) % 256);
    wb_error err;
    wb_run_dir *dir = NULL;
    wb_value *row = NULL, *loss = NULL, *img = NULL;
    char *json = NULL;
    if (wb_run_dir_new(argv[1], &dir, &err) != WB_OK || wb_dict_new(&row, &err) != WB_OK ||
        wb_value_float(0.5, &loss, &err) != WB_OK || wb_dict_set(row, "loss", loss, &err) != WB_OK ||
        wb_image_new_u8(px, 2, 3, 3, &img, &err) != WB_OK || wb_dict_set(row, "img", img, &err) != WB_OK ||
        wb_row_to_json(row, dir, 0, &json, &err) != WB_OK) {
        fprintf(stderr, "%s: %s\n", wb_status_name(err.code), err.message);
        return 1;
    }
    /* ... decoded by the system libpng. */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", argv[1], PNG_NAME);
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    uint8_t dec[18];
    if (!png_image_begin_read_from_file(&im, path) || im.width != 3 || im.height != 2) {
        fprintf(stderr, "libpng cannot read %s: %s\n", path, im.message);
        return 1;
    }
    im.format = PNG_FORMAT_RGB;
    if (!png_image_finish_read(&im, NULL, dec, 0, NULL) || memcmp(dec, px, sizeof px) != 0) {
        fprintf(stderr, "libpng decoded other pixels: %s\n", im.message);
        return 1;
    }
    printf("%s\n", json);
    wb_string_free(json);
    wb_value_free(img);
    wb_value_free(loss);
    wb_value_free(row);
    wb_run_dir_free(dir);
    return 0;
}
