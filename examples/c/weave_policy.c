/* weave_policy: traces a robot policy loop as Weave calls (issue 20 item 7).
 *
 *   weave_policy N
 *
 * N root calls "policy_step", each with one child "preprocess". Root inputs:
 * {"step": i, "camera": <Video: 16 frames 48x64 RGB uint8, MP4, 8 fps>}; output:
 * {"action": [0.1 i, -0.2 i, 0.5], "overlay": <Image 32x32 RGB PNG>}.
 *
 * Environment: WANDB_PROJECT ("entity/project", or the project with WANDB_ENTITY; default
 * "weave-demo"), WF_TRACE_SERVER_URL (else WANDB_BASE_URL + "/traces"), WANDB_API_KEY.
 * With neither WF_TRACE_SERVER_URL nor WANDB_BASE_URL set, the demo runs OFFLINE: calls
 * are written to ./weave/ for a later `wandb-media sync ./weave` (this is how `make demo`
 * runs without a server). WEAVE_CLOSE_TIMEOUT: seconds close waits (default 60).
 * Exit status: 0 when close delivered everything (offline: spooled), 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wandb_media.h"

#define CHECK(call)                                                                   \
  do {                                                                                \
    if ((call) != WB_OK) {                                                            \
      fprintf(stderr, "weave_policy: %s failed: %s\n", #call, err.message);         \
      return 1;                                                                       \
    }                                                                                 \
  } while (0)

enum { T = 16, H = 48, W = 64, C = 3, OV = 32 };

static int trace_step(wb_weave_client *client, int64_t i) {
  wb_error err;
  static uint8_t frames[T * H * W * C];
  static uint8_t overlay[OV * OV * C];
  for (int t = 0; t < T; t++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        uint8_t *p = &frames[((t * H + y) * W + x) * C];
        p[0] = (uint8_t)(3 * x + 4 * t);
        p[1] = (uint8_t)(4 * y + 8 * (i % 8));
        p[2] = (uint8_t)(2 * (x + y));
      }
  for (int y = 0; y < OV; y++)
    for (int x = 0; x < OV; x++) {
      uint8_t *p = &overlay[(y * OV + x) * C];
      p[0] = (uint8_t)(8 * x);
      p[1] = (uint8_t)(8 * y);
      p[2] = (uint8_t)((37 * i) % 256);
    }

  int64_t shape[4] = {T, H, W, C};
  wb_tensor tensor = {frames, WB_DTYPE_U8, 4, shape, NULL};
  wb_video_options vo = wb_video_options_default();
  vo.format = WB_VIDEO_MP4;
  vo.fps = 8;
  vo.layout = WB_VIDEO_CHANNELS_LAST;
  wb_value *camera = NULL, *step = NULL, *inputs = NULL, *child_in = NULL;
  CHECK(wb_video_from_tensor(&tensor, &vo, &camera, &err));
  CHECK(wb_value_int(i, &step, &err));
  CHECK(wb_dict_new(&inputs, &err));
  CHECK(wb_dict_set(inputs, "step", step, &err));
  CHECK(wb_dict_set(inputs, "camera", camera, &err));
  CHECK(wb_dict_new(&child_in, &err));
  CHECK(wb_dict_set(child_in, "step", step, &err));

  wb_weave_call *root = NULL, *child = NULL;
  CHECK(wb_weave_call_start(client, "policy_step", NULL, inputs, NULL, &root, &err));
  CHECK(wb_weave_call_start(client, "preprocess", root, child_in, NULL, &child, &err));
  wb_value *child_out = NULL, *nframes = NULL;
  CHECK(wb_dict_new(&child_out, &err));
  CHECK(wb_value_int(T, &nframes, &err));
  CHECK(wb_dict_set(child_out, "frames", nframes, &err));
  CHECK(wb_weave_call_end(child, child_out, NULL, NULL, &err));
  wb_weave_call_free(child);

  wb_value *out = NULL, *action = NULL, *img = NULL;
  double a[3] = {0.1 * (double)i, -0.2 * (double)i, 0.5};
  CHECK(wb_list_new(&action, &err));
  for (int k = 0; k < 3; k++) {
    wb_value *f = NULL;
    CHECK(wb_value_float(a[k], &f, &err));
    CHECK(wb_list_append(action, f, &err));
    wb_value_free(f);
  }
  CHECK(wb_image_new_u8(overlay, OV, OV, C, &img, &err));
  CHECK(wb_dict_new(&out, &err));
  CHECK(wb_dict_set(out, "action", action, &err));
  CHECK(wb_dict_set(out, "overlay", img, &err));
  CHECK(wb_weave_call_end(root, out, NULL, NULL, &err));
  wb_weave_call_free(root);

  wb_value_free(camera);
  wb_value_free(step);
  wb_value_free(inputs);
  wb_value_free(child_in);
  wb_value_free(child_out);
  wb_value_free(nframes);
  wb_value_free(out);
  wb_value_free(action);
  wb_value_free(img);
  return 0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 3;
  if (n < 0) n = 0;
  const char *proj = getenv("WANDB_PROJECT");
  const char *ent = getenv("WANDB_ENTITY");
  char project[512];
  if (!proj || !*proj) proj = "weave-demo";
  if (!strchr(proj, '/') && ent && *ent)
    snprintf(project, sizeof project, "%s/%s", ent, proj);
  else
    snprintf(project, sizeof project, "%s", proj);

  wb_weave_options opts = wb_weave_options_default();
  const char *ts = getenv("WF_TRACE_SERVER_URL"), *base = getenv("WANDB_BASE_URL");
  int offline = !(ts && *ts) && !(base && *base);
  if (offline) opts.mode = WB_MODE_OFFLINE;

  wb_error err;
  wb_weave_client *client = NULL;
  CHECK(wb_weave_client_open(project, &opts, &client, &err));
  for (long i = 0; i < n; i++)
    if (trace_step(client, i) != 0) {
      wb_weave_client_free(client);
      return 1;
    }
  const char *to = getenv("WEAVE_CLOSE_TIMEOUT");
  double timeout = to && *to ? atof(to) : 60.0;
  wb_weave_status st = wb_weave_status_default();
  wb_status s = wb_weave_client_close(client, timeout, &st, &err);
  printf("weave_policy: %ld steps traced to %s (%s): %llu calls sent, %llu pending, %llu files sent\n",
         n, project, offline ? "offline, spooled in ./weave" : "online",
         (unsigned long long)st.calls_sent, (unsigned long long)st.calls_pending,
         (unsigned long long)st.files_sent);
  wb_weave_client_free(client);
  if (s != WB_OK) {
    fprintf(stderr, "weave_policy: close: %s\n", err.message);
    return 1;
  }
  return 0;
}
