/* Harness for README C snippets that are statements: they run inside main() with the
 * variables the README's earlier snippets (or the reader's program) provide. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "wandb_media.h"

static uint8_t pixels[64 * 64 * 3];

int main(void) {
    wb_error err;
    wb_run *run = NULL;
    wb_value *row = NULL, *video = NULL;
    const uint8_t *au = pixels;
    size_t au_len = 0;
    int64_t pts = 0;
    int capturing = 0;
    (void)err; (void)run; (void)row; (void)video; (void)au; (void)au_len; (void)pts; (void)capturing;
    {
@SNIPPET@
    }
    return 0;
}
