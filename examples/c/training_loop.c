/* A native training loop that logs W&B media without Python (this is `make demo`).
 *
 *   training_loop OUT_DIR
 *
 * Writes an offline run to OUT_DIR/wandb/offline-run-…/ (upload it with `wandb sync` or
 * `wandb-media sync`); when WANDB_API_KEY is set (and WANDB_MODE is not offline) the run is
 * online instead: OUT_DIR/wandb/run-…/, uploaded live to WANDB_BASE_URL (default
 * https://api.wandb.ai), honouring WANDB_PROJECT, WANDB_ENTITY, …:
 * per step a loss, an image and a histogram of weights. Each row's JSON is also printed
 * (`step N: {...}`), exactly as the SDK writes it to the run's history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wandb_media.h"

#define CHECK(call)                                                                      \
    do {                                                                                 \
        if ((call) != WB_OK) {                                                           \
            fprintf(stderr, "%s failed: %s: %s\n", #call, wb_status_name(err.code), err.message); \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

int main(int argc, char **argv) {
    const char *out = argc > 1 ? argv[1] : "demo-run";
    wb_error err;

    wb_run_options opts = wb_run_options_default();
    opts.project = getenv("WANDB_PROJECT") ? NULL : "wandb-media-demo"; /* env wins here */
    opts.config_json = "{\"lr\":0.001,\"optimizer\":\"sgd\"}";
    wb_run *run = NULL;
    CHECK(wb_run_open(out, &opts, &run, &err));
    /* For printing rows: a run-dir handle on the run's files directory (same files). */
    char *files = NULL;
    wb_run_dir *dir = NULL;
    CHECK(wb_run_files_dir(run, &files, &err));
    CHECK(wb_run_dir_new(files, &dir, &err));

    enum { H = 64, W = 64, N = 10000 };
    static uint8_t rgb[H * W * 3];
    static float weights[N];
    for (int64_t step = 0; step < 5; step++) {
        /* fake model state */
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *p = &rgb[(y * W + x) * 3];
                p[0] = (uint8_t)(x * 4 + step * 20);
                p[1] = (uint8_t)(y * 4);
                p[2] = (uint8_t)((x + y) * 2);
            }
        for (int i = 0; i < N; i++) weights[i] = sinf((float)(i * 7 + step)) * (1.0f + (float)step * 0.1f);

        wb_value *row = NULL, *loss = NULL, *img = NULL, *hist = NULL;
        int64_t wshape[1] = {N};
        wb_tensor wt = {weights, WB_DTYPE_F32, 1, wshape, NULL};
        CHECK(wb_dict_new(&row, &err));
        CHECK(wb_value_float(1.0 / (1.0 + (double)step), &loss, &err));
        CHECK(wb_dict_set(row, "loss", loss, &err));
        CHECK(wb_image_new_u8(rgb, H, W, 3, &img, &err));
        CHECK(wb_value_set_caption(img, "sample", &err));
        CHECK(wb_dict_set(row, "samples", img, &err));
        CHECK(wb_histogram_from_tensor(&wt, 64, &hist, &err));
        CHECK(wb_dict_set(row, "weights", hist, &err));

        char *json = NULL;
        CHECK(wb_row_to_json(row, dir, step, &json, &err));
        printf("step %lld: %s\n", (long long)step, json);
        wb_string_free(json);
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err));

        wb_value_free(loss);
        wb_value_free(img);
        wb_value_free(hist);
        wb_value_free(row);
    }
    char *path = NULL;
    CHECK(wb_run_dir_path(run, &path, &err));
    CHECK(wb_run_finish(run, 0, &err));
    if (strstr(path, "/offline-run-") == NULL)
        printf("online run uploaded (log kept in %s)\n", path);
    else
        printf("offline run written to %s\n"
               "  inspect it:  wandb leet inspect --summary %s\n"
               "  upload it:   wandb sync %s   (or: wandb-media sync %s)\n",
               path, path, path, path);
    wb_string_free(path);
    wb_string_free(files);
    wb_run_dir_free(dir);
    CHECK(wb_run_free(run, &err));
    return 0;
}
