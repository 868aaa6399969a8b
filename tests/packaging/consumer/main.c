/* Packaging test consumer (C): logs one row into argv[1] and prints its JSON. */
#include <stdio.h>
#include <wandb_media.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
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
    printf("%s\n", json);
    wb_string_free(json);
    wb_value_free(img);
    wb_value_free(loss);
    wb_value_free(row);
    wb_run_dir_free(dir);
    return 0;
}
