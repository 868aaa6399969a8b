/*
 * distributed.c — one of N processes of a distributed job, all logging to ONE run
 * (W&B shared mode). Start it with examples/c/launch_distributed.sh N, or from your own
 * launcher (torchrun, mpirun, srun) with the same WANDB_RUN_ID in every process:
 *
 *   WANDB_RUN_ID=job42 RANK=0 ./distributed [rows]     rank 0: primary, finishes the run
 *   WANDB_RUN_ID=job42 RANK=1 ./distributed [rows]     the others: workers
 *
 * The label is rank<N> (from RANK / OMPI_COMM_WORLD_RANK / PMI_RANK / SLURM_PROCID). Rows
 * carry their own x-axis `<label>/step` (the server numbers a shared run's rows in arrival
 * order, so `_step` interleaves writers): define_metric charts `<label>/loss` against it.
 * printf output goes to the run's Logs tab as `[rank<N>] …` (console redirect).
 * WANDB_MODE=offline (or WB_MODE_SHARED_OFFLINE) writes an offline shared writer that
 * `wandb-media sync` uploads later as if it had been live.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wandb_media.h"

#define CHECK(call)                                                                           \
    do {                                                                                      \
        if ((call) != WB_OK) {                                                                \
            fprintf(stderr, "%s failed: %s: %s\n", #call, wb_status_name(err.code), err.message); \
            return 1;                                                                         \
        }                                                                                     \
    } while (0)

int main(int argc, char **argv) {
    long rows = argc > 1 ? atol(argv[1]) : 100;
    const char *rank_s = getenv("RANK");
    int rank = rank_s ? atoi(rank_s) : 0;
    const char *mode = getenv("WANDB_MODE");
    wb_error err;
    wb_run_options o = wb_run_options_default();
    o.mode = (mode && strcmp(mode, "offline") == 0) ? WB_MODE_SHARED_OFFLINE : WB_MODE_SHARED;
    o.project = getenv("WANDB_PROJECT") ? NULL : "distributed-demo";
    o.primary = rank == 0 ? WB_FLAG_TRUE : WB_FLAG_FALSE;             /* rank 0 uploads metadata */
    o.update_finish_state = rank == 0 ? WB_FLAG_TRUE : WB_FLAG_FALSE; /* and finishes the run */
    o.console = WB_CONSOLE_REDIRECT;
    const char *delay = getenv("WBM_ROW_DELAY_US"); /* tests: slow writers */
    long delay_us = delay ? atol(delay) : 0;
    if (delay_us > 999999) delay_us = 999999;
    const char *interval = getenv("WBM_STATS_INTERVAL_MS");
    o.stats_interval_ms = interval ? (uint32_t)atoi(interval) : 0;
    wb_run *run = NULL;
    CHECK(wb_run_open(NULL, &o, &run, &err)); /* WANDB_DIR, WANDB_RUN_ID, … from the environment */

    char step_key[64], loss_key[64];
    snprintf(step_key, sizeof step_key, "rank%d/step", rank);
    snprintf(loss_key, sizeof loss_key, "rank%d/loss", rank);
    wb_metric_options m = wb_metric_options_default();
    m.step_metric = step_key;
    CHECK(wb_run_define_metric(run, loss_key, &m, &err));

    for (long i = 0; i < rows; i++) {
        wb_value *row = NULL, *v = NULL;
        CHECK(wb_dict_new(&row, &err));
        CHECK(wb_value_int(i, &v, &err));
        CHECK(wb_dict_set(row, step_key, v, &err));
        wb_value_free(v);
        CHECK(wb_value_float(1.0 / (double)(i + 1 + rank), &v, &err));
        CHECK(wb_dict_set(row, loss_key, v, &err));
        wb_value_free(v);
        CHECK(wb_value_int(rank, &v, &err));
        CHECK(wb_dict_set(row, "rank", v, &err));
        wb_value_free(v);
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err));
        wb_value_free(row);
        if (i % 100 == 0) printf("rank %d step %ld\n", rank, i);
        if (delay_us > 0) {
            struct timespec ts = {0, delay_us * 1000L};
            nanosleep(&ts, NULL);
        }
    }
    const char *idle = getenv("WBM_IDLE_SECS"); /* tests: an idle writer (stats only) */
    if (idle) {
        struct timespec ts = {atol(idle), 0};
        nanosleep(&ts, NULL);
    }
    printf("rank %d done\n", rank);
    fflush(stdout);
    if (wb_run_finish(run, 0, &err) != WB_OK) fprintf(stderr, "finish: %s\n", err.message);
    wb_run_free(run, NULL);
    return 0;
}
