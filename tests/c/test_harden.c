/* Hardening regressions through the C ABI (issue 15): broadcast tensors fail with
 * WB_ERR_OVERFLOW instead of aborting in the allocator, and the nesting-depth limit holds on
 * a 64 KiB thread stack (the deepest accepted value is built, logged and finished there; the
 * first rejected one fails cleanly). Run under valgrind and ASan/UBSan by `make test`. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

/* Must match MAX_DEPTH in src/json/mod.rs (documented in README "Robustness"). */
#define DEPTH_LIMIT 985 /* json::MAX_DEPTH: what wandb 0.31 accepts (a 984-deep list in a row) */

#include "check.h"

static void broadcast_tensors(void) {
  uint8_t one = 7;
  int64_t shape[2] = {(int64_t)1 << 22, (int64_t)1 << 22};
  int64_t strides[2] = {0, 0};
  wb_tensor t = {&one, WB_DTYPE_U8, 2, shape, strides};
  wb_value *v = NULL;
  wb_error e;
  wb_status s = wb_value_from_tensor(&t, &v, &e);
  CHECK(s == WB_ERR_OVERFLOW && v == NULL, "value_from_tensor: %d %s", s, e.message);
  s = wb_histogram_from_tensor(&t, 0, &v, &e);
  CHECK(s == WB_ERR_OVERFLOW && v == NULL, "histogram_from_tensor: %d %s", s, e.message);
  /* A small broadcast still works: 3x4 of the one element, logged as a nested list. */
  int64_t small[2] = {3, 4};
  wb_tensor t2 = {&one, WB_DTYPE_U8, 2, small, strides};
  s = wb_value_from_tensor(&t2, &v, &e);
  CHECK(s == WB_OK, "small broadcast: %s", e.message);
  wb_value_free(v);
}

/* A list nested `depth` levels around an int (depth 1 = [5]). */
static wb_status nested_list(int depth, wb_value **out, wb_error *e) {
  wb_value *cur = NULL;
  wb_status s = wb_value_int(5, &cur, e);
  for (int i = 0; i < depth && s == WB_OK; i++) {
    wb_value *list = NULL;
    s = wb_list_new(&list, e);
    if (s == WB_OK) s = wb_list_append(list, cur, e);
    wb_value_free(cur);
    cur = list;
  }
  if (s != WB_OK) {
    wb_value_free(cur);
    return s;
  }
  *out = cur;
  return WB_OK;
}

static char *nested_json(int depth) {
  char *s = malloc((size_t)depth * 2 + 2);
  for (int i = 0; i < depth; i++) s[i] = '[';
  s[depth] = '1';
  for (int i = 0; i < depth; i++) s[depth + 1 + i] = ']';
  s[2 * depth + 1] = 0;
  return s;
}

struct depth_result {
  const char *root;
  int ok;
};

static void *depth_thread(void *arg) {
  struct depth_result *r = arg;
  wb_error e;
  wb_value *deep = NULL, *too_deep = NULL, *from_json = NULL, *row = NULL;
  wb_run *run = NULL;
  int ok = 1;
  /* The deepest value: a dict row holding a list nested DEPTH_LIMIT - 1 deep. */
  if (nested_list(DEPTH_LIMIT - 1, &deep, &e) != WB_OK) {
    fprintf(stderr, "deepest list refused: %s\n", e.message);
    ok = 0;
  }
  /* One more level is refused, cleanly. */
  wb_value *inner = NULL;
  if (nested_list(DEPTH_LIMIT, &inner, &e) != WB_OK) {
    fprintf(stderr, "list of depth %d refused: %s\n", DEPTH_LIMIT, e.message);
    ok = 0;
  } else {
    wb_value *outer = NULL;
    wb_list_new(&outer, NULL);
    wb_status s = wb_list_append(outer, inner, &e);
    if (s != WB_ERR_INVALID_ARGUMENT || strstr(e.message, "nested deeper") == NULL) {
      fprintf(stderr, "depth %d accepted: %d %s\n", DEPTH_LIMIT + 1, s, e.message);
      ok = 0;
    }
    too_deep = outer;
    wb_value_free(inner);
  }
  char *j_ok = nested_json(DEPTH_LIMIT - 1), *j_bad = nested_json(DEPTH_LIMIT + 1);
  if (wb_value_from_json(j_ok, &from_json, &e) != WB_OK) {
    fprintf(stderr, "deepest JSON refused: %s\n", e.message);
    ok = 0;
  }
  wb_value *bad = NULL;
  wb_status s = wb_value_from_json(j_bad, &bad, &e);
  if (s != WB_ERR_INVALID_ARGUMENT || bad != NULL || strstr(e.message, "nested deeper") == NULL) {
    fprintf(stderr, "too-deep JSON: %d %s\n", s, e.message);
    ok = 0;
  }
  free(j_ok);
  free(j_bad);
  /* Log both deepest values into a run and finish it, all on this small stack. */
  wb_run_options o = wb_run_options_default();
  if (ok && wb_run_open(r->root, &o, &run, &e) == WB_OK) {
    wb_dict_new(&row, NULL);
    wb_dict_set(row, "deep", deep, NULL);
    wb_dict_set(row, "json", from_json, NULL);
    if (wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &e) != WB_OK) {
      fprintf(stderr, "log: %s\n", e.message);
      ok = 0;
    }
    if (wb_run_summary_update(run, row, &e) != WB_OK) {
      fprintf(stderr, "summary: %s\n", e.message);
      ok = 0;
    }
    if (wb_run_finish(run, 0, &e) != WB_OK) {
      fprintf(stderr, "finish: %s\n", e.message);
      ok = 0;
    }
    wb_run_free(run, NULL);
  } else if (ok) {
    fprintf(stderr, "open: %s\n", e.message);
    ok = 0;
  }
  wb_value_free(row);
  wb_value_free(deep);
  wb_value_free(too_deep);
  wb_value_free(from_json);
  r->ok = ok;
  return NULL;
}

static void depth_on_small_stack(void) {
  char root[] = "/tmp/wbm-harden-c-XXXXXX";
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  struct depth_result r = {root, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  /* 64 KiB, or the platform's minimum where that is larger (glibc on ARM64: 128 KiB) */
  size_t stack = 64 * 1024;
#ifdef PTHREAD_STACK_MIN
  if (stack < (size_t)PTHREAD_STACK_MIN) stack = (size_t)PTHREAD_STACK_MIN;
#endif
  CHECK(pthread_attr_setstacksize(&attr, stack) == 0, "stack size %zu", stack);
  pthread_t th;
  CHECK(pthread_create(&th, &attr, depth_thread, &r) == 0, "pthread_create");
  pthread_join(th, NULL);
  pthread_attr_destroy(&attr);
  CHECK(r.ok, "depth limit on a 64 KiB stack");
#ifndef _WIN32 /* under wine the scratch directory stays in the prefix */
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  CHECK(system(cmd) == 0, "cleanup");
#endif
}

int main(void) {
  broadcast_tensors();
  depth_on_small_stack();
  if (failures) {
    fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  printf("test_harden: ok\n");
  return 0;
}
