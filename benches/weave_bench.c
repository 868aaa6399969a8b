/* Weave call overhead (issue 20, `make bench`): N root calls, each call_start + call_end
 * with a 1-frame 64x64 RGB image input (a distinct image per call, PNG-encoded before the
 * timed section, as a host hands over a frame it already has) and a small output.
 * Prints ONE JSON line: {"impl","mode","n","p50_us","p99_us","max_us","calls_per_s",
 * "flush_s","calls_pending","max_rss_kb"}.
 *
 *   weave_bench N        (default 2000)
 *
 * Online when WF_TRACE_SERVER_URL is set (WANDB_API_KEY, WANDB_PROJECT as the demo),
 * else offline into a temporary spool. The timed part is only start+end: delivery runs on
 * the client's background thread; flush_s is the time close needed afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "wandb_media.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#define OK(call)                                                        \
  do {                                                                  \
    if ((call) != WB_OK) {                                              \
      fprintf(stderr, "weave_bench: %s: %s\n", #call, err.message);    \
      return 1;                                                         \
    }                                                                   \
  } while (0)

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  if (n < 1) n = 1;
  wb_error err;
  const char *ts = getenv("WF_TRACE_SERVER_URL");
  int online = ts && *ts;
  const char *proj = getenv("WANDB_PROJECT");
  if (!proj || !*proj) proj = "wbm-bench/weave";
  char spool[] = "/tmp/wbm-weave-bench-XXXXXX";
  if (!mkdtemp(spool)) return 1;
  wb_weave_options o = wb_weave_options_default();
  o.mode = online ? WB_MODE_ONLINE : WB_MODE_OFFLINE;
  o.spool_dir = spool;
  wb_weave_client *client = NULL;
  OK(wb_weave_client_open(proj, &o, &client, &err));

  wb_value **inputs = calloc((size_t)n, sizeof *inputs);
  double *lat = calloc((size_t)n, sizeof *lat);
  uint8_t px[64 * 64 * 3];
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < (int)sizeof px; k++) px[k] = (uint8_t)(k * 7 + i);
    px[0] = (uint8_t)i;
    px[1] = (uint8_t)(i >> 8);
    px[2] = (uint8_t)(i >> 16);
    wb_value *img = NULL, *d = NULL;
    OK(wb_image_new_u8(px, 64, 64, 3, &img, &err));
    OK(wb_dict_new(&d, &err));
    OK(wb_dict_set(d, "frame", img, &err));
    wb_value_free(img);
    inputs[i] = d;
  }
  wb_value *out = NULL;
  OK(wb_value_from_json("{\"action\":[0.1,-0.2,0.5]}", &out, &err));

  double t0 = now();
  for (long i = 0; i < n; i++) {
    double a = now();
    wb_weave_call *c = NULL;
    OK(wb_weave_call_start(client, "policy_step", NULL, inputs[i], NULL, &c, &err));
    OK(wb_weave_call_end(c, out, NULL, NULL, &err));
    wb_weave_call_free(c);
    lat[i] = (now() - a) * 1e6;
  }
  double total = now() - t0;
  double f0 = now();
  wb_weave_status st = wb_weave_status_default();
  /* WEAVE_CLOSE_TIMEOUT (seconds, default 120): the server-down row needs only a few. */
  const char *cto = getenv("WEAVE_CLOSE_TIMEOUT");
  double close_timeout = cto && atof(cto) > 0 ? atof(cto) : 120.0;
  wb_status cs = wb_weave_client_close(client, close_timeout, &st, &err);
  double flush = now() - f0;
  wb_weave_client_free(client);
  qsort(lat, (size_t)n, sizeof *lat, cmp);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"impl\": \"wandb-media C\", \"mode\": \"%s\", \"n\": %ld, \"p50_us\": %.1f, "
         "\"p99_us\": %.1f, \"max_us\": %.1f, \"calls_per_s\": %.0f, \"flush_s\": %.3f, "
         "\"calls_pending\": %llu, \"close_ok\": %s, \"max_rss_kb\": %ld}\n",
         online ? "online" : "offline", n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1],
         (double)n / total, flush, (unsigned long long)st.calls_pending,
         cs == WB_OK ? "true" : "false", ru.ru_maxrss);
  for (long i = 0; i < n; i++) wb_value_free(inputs[i]);
  free(inputs);
  free(lat);
  wb_value_free(out);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", spool);
  if (system(cmd) != 0) return 1;
  return cs == WB_OK ? 0 : 1;
}
