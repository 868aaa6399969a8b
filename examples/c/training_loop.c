/* A native training loop that logs W&B media without Python.
 * Usage: training_loop OUT_DIR   — media files go to OUT_DIR/files, rows are printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "wandb_media.h"


int main(int argc, char **argv) {
    const char *out = argc > 1 ? argv[1] : "demo-run";
    char files[1024];
    snprintf(files, sizeof files, "%s/files", out);
    wb_error err;
    wb_run_dir *run = NULL;
    if (wb_run_dir_new(files, &run, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        return 1;
    }
    enum { H = 64, W = 64 };
    static uint8_t rgb[H * W * 3];
    static float weights[10000];
    for (int64_t step = 0; step < 5; step++) {
        /* fake model state */
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *p = &rgb[(y * W + x) * 3];
                p[0] = (uint8_t)(x * 4 + step * 20);
                p[1] = (uint8_t)(y * 4);
                p[2] = (uint8_t)((x + y) * 2);
            }
        for (int i = 0; i < 10000; i++) weights[i] = sinf((float)(i * 7 + step)) * (1.0f + step * 0.1f);

        wb_value *row = NULL, *loss = NULL, *img = NULL, *hist = NULL;
        int64_t wshape[1] = {10000};
        wb_tensor wt = {weights, WB_DTYPE_F32, 1, wshape, NULL};
        if (wb_dict_new(&row, &err) != WB_OK ||
            wb_value_float(1.0 / (1.0 + (double)step), &loss, &err) != WB_OK ||
            wb_dict_set(row, "loss", loss, &err) != WB_OK ||
            wb_image_new_u8(rgb, H, W, 3, &img, &err) != WB_OK ||
            wb_value_set_caption(img, "sample", &err) != WB_OK ||
            wb_dict_set(row, "samples", img, &err) != WB_OK ||
            wb_histogram_from_tensor(&wt, 64, &hist, &err) != WB_OK ||
            wb_dict_set(row, "weights", hist, &err) != WB_OK) {
            fprintf(stderr, "step %lld: %s (%s)\n", (long long)step, err.message, wb_status_name(err.code));
            return 1;
        }
        char *json = NULL;
        if (wb_row_to_json(row, run, step, &json, &err) != WB_OK) {
            fprintf(stderr, "row: %s\n", err.message);
            return 1;
        }
        printf("step %lld: %s\n", (long long)step, json);
        wb_string_free(json);
        wb_value_free(loss);
        wb_value_free(img);
        wb_value_free(hist);
        wb_value_free(row);
    }
    wb_run_dir_free(run);
    printf("media written under %s\n", files);
    return 0;
}
