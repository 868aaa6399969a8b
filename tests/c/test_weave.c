/* Weave client through the C ABI (issue 20), under valgrind with leak checking: an offline
 * client traced into from 4 threads (nested calls with an image input, ended on the
 * starting thread or handed to another), an abandoned call, a call still open at close;
 * then the spool is read back (the `.wandb` framing parsed here, independently of the
 * library) and the record counts and the files by digest are checked. Also: argument
 * errors, WB_ERR_STATE after close, disabled mode. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"

enum { THREADS = 4, STEPS = 6 };

static wb_weave_client *client;

static void *worker(void *arg) {
  int t = (int)(intptr_t)arg;
  wb_error err;
  uint8_t px[4 * 4 * 3];
  for (int k = 0; k < (int)sizeof px; k++) px[k] = (uint8_t)(k * (t % 2 + 1));
  for (int i = 0; i < STEPS; i++) {
    wb_value *in = NULL, *img = NULL, *step = NULL;
    CHECK(wb_dict_new(&in, &err) == WB_OK, "%s", err.message);
    CHECK(wb_image_new_u8(px, 4, 4, 3, &img, &err) == WB_OK, "%s", err.message);
    CHECK(wb_value_int(i, &step, &err) == WB_OK, "%s", err.message);
    wb_dict_set(in, "step", step, &err);
    wb_dict_set(in, "frame", img, &err);
    wb_weave_call *root = NULL, *child = NULL;
    CHECK(wb_weave_call_start(client, "policy_step", NULL, in, "{\"thread\":1}", &root, &err) ==
              WB_OK, "%s", err.message);
    CHECK(wb_weave_call_start(client, "preprocess", root, NULL, NULL, &child, &err) == WB_OK,
          "%s", err.message);
    CHECK(strcmp(wb_weave_call_trace_id(root), wb_weave_call_trace_id(child)) == 0,
          "trace ids differ");
    CHECK(strlen(wb_weave_call_id(child)) == 36 && wb_weave_call_id(child)[14] == '7',
          "not a UUIDv7: %s", wb_weave_call_id(child));
    CHECK(wb_weave_call_end(child, step, NULL, NULL, &err) == WB_OK, "%s", err.message);
    CHECK(wb_weave_call_end(child, NULL, NULL, NULL, &err) == WB_ERR_STATE, "ended twice");
    wb_weave_call_free(child);
    CHECK(wb_weave_call_end(root, img, i % 2 ? "ValueError: odd" : NULL, "{\"n\":2}", &err) ==
              WB_OK, "%s", err.message);
    wb_weave_call_free(root);
    wb_value_free(in);
    wb_value_free(img);
    wb_value_free(step);
  }
  return NULL;
}

/* Counts the records of a .wandb-framed file whose JSON starts with {"k":"<kind>". */
static void count_records(const char *path, int *starts, int *ends, int *abandons, int *files,
                          int *closes) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL, "open %s", path);
  if (!f) return;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *d = malloc((size_t)n);
  CHECK(fread(d, 1, (size_t)n, f) == (size_t)n, "read");
  fclose(f);
  CHECK(n >= 7 && memcmp(d, ":W&B", 4) == 0, "header");
  long pos = 7;
  char *rec = malloc((size_t)n);
  size_t rlen = 0;
  while (pos < n) {
    long left = 32768 - pos % 32768;
    if (left < 7) {
      pos += left;
      continue;
    }
    if (pos + 7 > n) break;
    unsigned len = d[pos + 4] | (unsigned)d[pos + 5] << 8;
    unsigned ty = d[pos + 6];
    CHECK(pos + 7 + (long)len <= n, "truncated chunk");
    if (ty == 1 || ty == 2) rlen = 0;
    memcpy(rec + rlen, d + pos + 7, len);
    rlen += len;
    pos += 7 + (long)len;
    if (ty == 1 || ty == 4) {
      rec[rlen] = 0;
      if (!strncmp(rec, "{\"k\":\"start\"", 12)) (*starts)++;
      else if (!strncmp(rec, "{\"k\":\"end\"", 10)) (*ends)++;
      else if (!strncmp(rec, "{\"k\":\"abandon\"", 14)) (*abandons)++;
      else if (!strncmp(rec, "{\"k\":\"file\"", 11)) (*files)++;
      else if (!strncmp(rec, "{\"k\":\"close\"", 12)) (*closes)++;
    }
  }
  free(rec);
  free(d);
}

static int count_dir(const char *path) {
  DIR *dir = opendir(path);
  if (!dir) return -1;
  int c = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (e->d_name[0] != '.') c++;
  closedir(dir);
  return c;
}

int main(void) {
  char root[] = "/tmp/wbm-weave-c-XXXXXX";
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  wb_error err;
  wb_weave_options o = wb_weave_options_default();
  o.mode = WB_MODE_OFFLINE;
  o.spool_dir = root;
  o.trace_server_url = "http://127.0.0.1:9";
  CHECK(wb_weave_client_open("bad/project/name", &o, &client, &err) == WB_ERR_INVALID_ARGUMENT,
        "bad project accepted");
  CHECK(wb_weave_client_open("ent/proj", &o, &client, &err) == WB_OK, "%s", err.message);

  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);

  wb_weave_call *open_call = NULL, *abandoned = NULL, *bad = NULL;
  CHECK(wb_weave_call_start(client, "left_open", NULL, NULL, NULL, &open_call, &err) == WB_OK,
        "%s", err.message);
  CHECK(wb_weave_call_start(client, "abandoned", NULL, NULL, NULL, &abandoned, &err) == WB_OK,
        "%s", err.message);
  wb_weave_call_free(abandoned);
  CHECK(wb_weave_call_start(client, "x", NULL, NULL, "[1]", &bad, &err) ==
            WB_ERR_INVALID_ARGUMENT, "attributes must be an object");
  CHECK(wb_weave_call_start(client, NULL, NULL, NULL, NULL, &bad, &err) == WB_ERR_NULL_ARGUMENT,
        "NULL op");

  wb_weave_status st = wb_weave_status_default();
  CHECK(wb_weave_client_flush(client, 1.0, &st, &err) == WB_OK, "%s", err.message);
  CHECK(st.calls_pending == THREADS * STEPS * 2 + 1, "pending %llu",
        (unsigned long long)st.calls_pending);
  CHECK(wb_weave_client_close(client, 1.0, &st, &err) == WB_OK, "%s", err.message);
  CHECK(st.calls_pending == THREADS * STEPS * 2 + 2, "pending after close %llu",
        (unsigned long long)st.calls_pending);
  CHECK(st.files_pending == 2 && st.calls_sent == 0, "files %llu",
        (unsigned long long)st.files_pending);
  CHECK(wb_weave_call_start(client, "late", NULL, NULL, NULL, &bad, &err) == WB_ERR_STATE,
        "start after close");
  CHECK(wb_weave_call_end(open_call, NULL, NULL, NULL, &err) == WB_ERR_STATE, "end after close");
  wb_weave_call_free(open_call);
  wb_weave_client_free(client);

  /* The spool: one weave-* directory. */
  DIR *dir = opendir(root);
  char spool[512] = "";
  struct dirent *e;
  while (dir && (e = readdir(dir)) != NULL)
    if (!strncmp(e->d_name, "weave-", 6)) snprintf(spool, sizeof spool, "%s/%s", root, e->d_name);
  if (dir) closedir(dir);
  CHECK(spool[0], "no spool directory");
  char path[600];
  int s = 0, en = 0, a = 0, fi = 0, c = 0;
  snprintf(path, sizeof path, "%s/calls.wandb", spool);
  count_records(path, &s, &en, &a, &fi, &c);
  CHECK(s == THREADS * STEPS * 2 + 2 && en == THREADS * STEPS * 2 && a == 1 && fi == 2 && c == 1,
        "records: %d starts %d ends %d abandons %d files %d closes", s, en, a, fi, c);
  snprintf(path, sizeof path, "%s/files", spool);
  CHECK(count_dir(path) == 2, "files dir has %d entries", count_dir(path));

  /* Disabled: no spool, no error. */
  o.mode = WB_MODE_DISABLED;
  wb_weave_client *off = NULL;
  wb_weave_call *call = NULL;
  CHECK(wb_weave_client_open("p", &o, &off, &err) == WB_OK, "%s", err.message);
  CHECK(wb_weave_call_start(off, "op", NULL, NULL, NULL, &call, &err) == WB_OK, "%s", err.message);
  CHECK(wb_weave_call_end(call, NULL, NULL, NULL, &err) == WB_OK, "%s", err.message);
  wb_weave_call_free(call);
  CHECK(wb_weave_client_close(off, 0, NULL, &err) == WB_OK, "%s", err.message);
  wb_weave_client_free(off);
  wb_weave_client_free(NULL);
  wb_weave_call_free(NULL);
  CHECK(count_dir(root) == 1, "disabled mode wrote files");

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
  if (failures) {
    fprintf(stderr, "test_weave: %d failures\n", failures);
    return 1;
  }
  printf("test_weave: ok\n");
  return 0;
}
