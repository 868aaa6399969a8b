/*
 * url_run: the run's URL through the C ABI (tests/online/online.sh "url", issue 23 item 3).
 *
 *   url_run online ROOT N [stderr]   an online run (server from WANDB_BASE_URL/WANDB_API_KEY),
 *                                    project "wbm-url", name "url-run", no entity; prints
 *                                    "FIRST <status>" (wb_run_url right after open), polls
 *                                    wb_run_url until known (30 s), prints "URL <url>",
 *                                    "ENTITY <entity>", "ID <id>", "DIR <dir>", logs N rows,
 *                                    finishes, prints "AFTER <url>" (wb_run_url after finish).
 *                                    Log-handler messages (WB_LOG_INFO and up) are printed as
 *                                    "LOG <level> <message>"; with "stderr" no handler is
 *                                    installed (the default handler prints to stderr).
 *   url_run offline ROOT             an offline run: "URL <status> <message>", "ENTITY
 *                                    <status> <message>", "DIR <dir>"
 * Exit 2 on any unexpected error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../support/call.h"


static void on_log(wb_log_level level, const char *message, void *user_data) {
    (void)user_data;
    /* One printf per message: stdio locks the stream, so lines never interleave. */
    printf("LOG %d %s\n", (int)level, message);
    fflush(stdout);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void print_string(const char *tag, wb_status (*f)(const wb_run *, char **, wb_error *),
                         const wb_run *run) {
    char *s = NULL;
    wb_error err;
    wb_status st = f(run, &s, &err);
    if (st == WB_OK) {
        printf("%s %s\n", tag, s);
        wb_string_free(s);
    } else {
        if (s != NULL) {
            fprintf(stderr, "url_run: out written on failure\n");
            exit(2);
        }
        printf("%s %s %s\n", tag, wb_status_name(st), err.message);
    }
}

static int online(const char *root, long n, int use_stderr) {
    if (!use_stderr) CHECK(wb_set_log_handler(on_log, NULL, WB_LOG_INFO, E));
    wb_run_options o = wb_run_options_default();
    o.mode = WB_MODE_ONLINE;
    o.project = "wbm-url";
    o.name = "url-run";
    o.disable_stats = true;
    o.finish_timeout_ms = 120000;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    char *url = NULL;
    wb_error err;
    wb_status st = wb_run_url(run, &url, &err);
    printf("FIRST %s\n", wb_status_name(st));
    for (int i = 0; st != WB_OK && i < 3000; i++) {
        if (st != WB_ERR_STATE) wbt_die(__FILE__, __LINE__, "wb_run_url", st, &err);
        sleep_ms(10);
        st = wb_run_url(run, &url, &err);
    }
    if (st != WB_OK) wbt_die(__FILE__, __LINE__, "wb_run_url (30 s)", st, &err);
    printf("URL %s\n", url);
    wb_string_free(url);
    print_string("ENTITY", wb_run_entity, run);
    print_string("ID", wb_run_id, run);
    print_string("DIR", wb_run_dir_path, run);
    fflush(stdout);
    for (long i = 0; i < n; i++) {
        wb_value *row = NULL, *v = NULL;
        CHECK(wb_dict_new(&row, E));
        CHECK(wb_value_float((double)i, &v, E));
        CHECK(wb_dict_set(row, "i", v, E));
        wb_value_free(v);
        CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
        wb_value_free(row);
    }
    CHECK(wb_run_finish(run, 0, E));
    print_string("AFTER", wb_run_url, run);
    CHECK(wb_run_free(run, E));
    return 0;
}

static int offline(const char *root) {
    wb_run_options o = wb_run_options_default();
    o.mode = WB_MODE_OFFLINE;
    o.project = "wbm-url";
    o.name = "url-offline";
    o.disable_stats = true;
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    print_string("URL", wb_run_url, run);
    print_string("ENTITY", wb_run_entity, run);
    print_string("DIR", wb_run_dir_path, run);
    wb_value *row = NULL, *v = NULL;
    CHECK(wb_dict_new(&row, E));
    CHECK(wb_value_float(1.5, &v, E));
    CHECK(wb_dict_set(row, "x", v, E));
    wb_value_free(v);
    CHECK(wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, E));
    wb_value_free(row);
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "online") == 0)
        return online(argv[2], atol(argv[3]), argc >= 5 && strcmp(argv[4], "stderr") == 0);
    if (argc >= 3 && strcmp(argv[1], "offline") == 0) return offline(argv[2]);
    fprintf(stderr, "usage: url_run online ROOT N [stderr] | offline ROOT\n");
    return 2;
}
