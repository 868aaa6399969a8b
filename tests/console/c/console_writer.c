/*
 * console_writer: the console log through the C ABI (tests/console/console.sh).
 *
 *   console_writer chunks ROOT FILE OUT   WB_CONSOLE_WRAP: every line "O <hex>" / "E <hex>"
 *                                         of FILE is one wb_run_console_write on stdout /
 *                                         stderr (the differential against the SDK); the
 *                                         run dir is written to OUT; offline or online as
 *                                         the environment says
 *   console_writer redirect ROOT OUT      WB_CONSOLE_REDIRECT: printf, fprintf(stderr), a
 *                                         child process (sh), a \r progress bar, a 200 KB
 *                                         line, write(2) on fd 1, then finish; prints
 *                                         "after finish" once fds are restored
 *   console_writer fds ROOT OUT           WB_CONSOLE_REDIRECT, then the program dup2s
 *                                         /dev/null over its own fd 1 and closes fd 2
 *                                         before finishing (must neither hang nor crash)
 *   console_writer flood ROOT OUT MB      WB_CONSOLE_REDIRECT: MB megabytes of lines, then a
 *                                         10 MB line without newline and invalid UTF-8;
 *                                         prints the peak RSS (KB) to OUT's ".rss"
 *   console_writer bench ROOT N MODE T    prints N lines with console MODE off|redirect;
 *                                         writes the seconds taken (to finish) to file T
 *   console_writer offline ROOT           (valgrind) wrap + redirect in one process
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../../support/call.h"


static wb_run *open_run_mode(const char *root, wb_console_mode mode, wb_run_mode run_mode) {
    wb_run_options o = wb_run_options_default();
    o.mode = run_mode;
    o.disable_stats = true;
    o.console = mode;
    o.project = "console";
    wb_run *run = NULL;
    CHECK(wb_run_open(root, &o, &run, E));
    return run;
}

static wb_run *open_run(const char *root, wb_console_mode mode) {
    return open_run_mode(root, mode, WB_MODE_OFFLINE);
}

static void write_dir(wb_run *run, const char *out) {
    char *dir = NULL;
    CHECK(wb_run_dir_path(run, &dir, E));
    FILE *f = fopen(out, "w");
    if (!f) exit(3);
    fprintf(f, "%s\n", dir);
    fclose(f);
    wb_string_free(dir);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int cmd_chunks(const char *root, const char *file, const char *out) {
    /* WANDB_MODE / WANDB_API_KEY decide offline or online */
    wb_run *run = open_run_mode(root, WB_CONSOLE_WRAP, WB_MODE_AUTO);
    FILE *f = fopen(file, "r");
    if (!f) return 3;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned char *buf = malloc(1 << 20);
    while ((n = getline(&line, &cap, f)) > 0) {
        if (n < 2) continue;
        size_t len = 0;
        for (ssize_t i = 2; i + 1 < n && hexval(line[i]) >= 0; i += 2)
            buf[len++] = (unsigned char)(hexval(line[i]) * 16 + hexval(line[i + 1]));
        CHECK(wb_run_console_write(run, line[0] == 'E' ? WB_CONSOLE_STDERR : WB_CONSOLE_STDOUT,
                                   buf, len, E));
    }
    free(buf);
    free(line);
    fclose(f);
    write_dir(run, out);
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    return 0;
}

static int cmd_redirect(const char *root, const char *out) {
    wb_run *run = open_run(root, WB_CONSOLE_REDIRECT);
    write_dir(run, out);
    printf("isatty=%d\n", isatty(1));
    printf("line one from printf\n");
    fprintf(stderr, "an error from fprintf\n");
    printf("line two from printf\n");
    fflush(stdout);
    if (system("echo child stdout line; echo child stderr line >&2") != 0) return 4;
    for (int i = 0; i <= 100; i += 25) {
        printf("\rprogress %d%%", i);
        fflush(stdout);
    }
    printf("\n");
    printf("\x1b[32mgreen\x1b[0m and \xff invalid\n");
    static char big[200001];
    memset(big, 'x', sizeof big - 1);
    printf("%s\n", big);
    fflush(stdout); /* stdio keeps the end of the big line when stdout is not a terminal */
    const char raw[] = "raw write(2) on fd 1\n";
    if (write(1, raw, sizeof raw - 1) < 0) return 5;
    printf("last line without newline");
    CHECK(wb_run_finish(run, 0, E));
    printf("\nafter finish\n");
    fflush(stdout);
    CHECK(wb_run_free(run, E));
    return 0;
}

static int cmd_fds(const char *root, const char *out) {
    wb_run *run = open_run(root, WB_CONSOLE_REDIRECT);
    write_dir(run, out);
    printf("before dup2\n");
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0) return 4;
    close(null);
    close(2);
    printf("into /dev/null\n");
    fflush(stdout);
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    /* fd 1 is still the program's /dev/null (not put back): nothing appears. */
    printf("after finish (to /dev/null)\n");
    fflush(stdout);
    return 0;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int cmd_flood(const char *root, const char *out, long mb) {
    wb_run *run = open_run(root, WB_CONSOLE_REDIRECT);
    write_dir(run, out);
    static char line[1024];
    memset(line, 'y', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = 0;
    for (long i = 0; i < mb * 1024; i++) fputs(line, stdout);
    /* a 10 MB line without newline, with invalid UTF-8 every 4 KB */
    char *big = malloc(10 << 20);
    memset(big, 'z', 10 << 20);
    for (long i = 4096; i < (10 << 20); i += 4096) big[i] = (char)0xc3;
    fwrite(big, 1, 10 << 20, stdout);
    free(big);
    fflush(stdout);
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    char p[4096];
    snprintf(p, sizeof p, "%s.rss", out);
    FILE *f = fopen(p, "w");
    if (!f) return 3;
    fprintf(f, "%ld\n", peak_rss_kb());
    fclose(f);
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_bench(const char *root, long n, const char *mode, const char *out) {
    int redirect = strcmp(mode, "redirect") == 0;
    wb_run *run = open_run(root, redirect ? WB_CONSOLE_REDIRECT : WB_CONSOLE_OFF);
    double t0 = now_s();
    for (long i = 0; i < n; i++) printf("step %ld loss %.6f\n", i, 1.0 / (double)(i + 1));
    fflush(stdout);
    CHECK(wb_run_finish(run, 0, E));
    double t1 = now_s();
    CHECK(wb_run_free(run, E));
    FILE *f = fopen(out, "w");
    if (!f) return 3;
    fprintf(f, "%.6f\n", t1 - t0);
    fclose(f);
    return 0;
}

static int cmd_offline(const char *root) {
    /* valgrind: both modes, API writes with split UTF-8 and invalid bytes */
    wb_run *run = open_run(root, WB_CONSOLE_WRAP);
    const uint8_t e_acute[2] = {0xc3, 0xa9};
    CHECK(wb_run_console_write(run, WB_CONSOLE_STDOUT, e_acute, 1, E));
    CHECK(wb_run_console_write(run, WB_CONSOLE_STDOUT, e_acute + 1, 1, E));
    CHECK(wb_run_console_write(run, WB_CONSOLE_STDERR, (const uint8_t *)"\xff\n", 2, E));
    wb_error err;
    if (wb_run_console_write(run, (wb_console_stream)7, (const uint8_t *)"x", 1, &err) !=
        WB_ERR_INVALID_ARGUMENT)
        return 6;
    if (wb_run_console_write(run, WB_CONSOLE_STDOUT, NULL, 1, &err) != WB_ERR_NULL_ARGUMENT) return 7;
    CHECK(wb_run_console_write(run, WB_CONSOLE_STDOUT, NULL, 0, E));
    CHECK(wb_run_finish(run, 0, E));
    CHECK(wb_run_free(run, E));
    run = open_run(root, WB_CONSOLE_REDIRECT);
    printf("redirected under valgrind\n");
    CHECK(wb_run_free(run, E));
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "chunks") == 0) return cmd_chunks(argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "redirect") == 0) return cmd_redirect(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "fds") == 0) return cmd_fds(argv[2], argv[3]);
    if (argc >= 5 && strcmp(argv[1], "flood") == 0) return cmd_flood(argv[2], argv[3], atol(argv[4]));
    if (argc >= 6 && strcmp(argv[1], "bench") == 0) return cmd_bench(argv[2], atol(argv[3]), argv[4], argv[5]);
    if (argc >= 3 && strcmp(argv[1], "offline") == 0) return cmd_offline(argv[2]);
    fprintf(stderr, "usage: see the comment at the top of console_writer.c\n");
    return 2;
}
