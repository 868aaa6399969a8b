/* wb_run_url / wb_run_entity / wb_run_finish_within through the C ABI (issue 23): offline and
 * disabled runs have no URL (WB_ERR_UNSUPPORTED, out untouched), argument checks, and a
 * finish with its own timeout. Online URLs: tests/online (url). Run under valgrind. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wandb_media.h"

#include "check.h"

static void no_url(wb_run *run, const char *what) {
  char *s = (char *)0x1;  /* must stay untouched on failure */
  wb_error err;
  wb_status st = wb_run_url(run, &s, &err);
  CHECK(st == WB_ERR_UNSUPPORTED && s == (char *)0x1 && strstr(err.message, "has no URL"),
        "%s: wb_run_url %s %s", what, wb_status_name(st), err.message);
  st = wb_run_entity(run, &s, &err);
  CHECK(st == WB_ERR_UNSUPPORTED && s == (char *)0x1, "%s: wb_run_entity %s", what, wb_status_name(st));
}

int main(void) {
  char root[] = "/tmp/wb-c-url-XXXXXX";
  if (!mkdtemp(root)) return 2;
  wb_error err;
  wb_run_options o = wb_run_options_default();
  o.mode = WB_MODE_OFFLINE;
  o.disable_stats = true;
  wb_run *run = NULL;
  if (wb_run_open(root, &o, &run, &err) != WB_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    return 2;
  }
  no_url(run, "offline");
  char *s = NULL;
  CHECK(wb_run_url(NULL, &s, &err) == WB_ERR_NULL_ARGUMENT, "NULL run");
  CHECK(wb_run_url(run, NULL, &err) == WB_ERR_NULL_ARGUMENT, "NULL out");
  CHECK(wb_run_entity(run, NULL, NULL) == WB_ERR_NULL_ARGUMENT, "NULL out (entity)");
  CHECK(wb_run_finish_within(NULL, 1, 10, &err) == WB_ERR_NULL_ARGUMENT, "finish_within NULL");
  CHECK(wb_run_finish_within(run, 3, 1000, &err) == WB_OK, "finish_within: %s", err.message);
  CHECK(wb_run_finish_within(run, 1, 1000, &err) == WB_ERR_STATE, "second finish_within");
  no_url(run, "offline, finished");
  CHECK(wb_run_free(run, &err) == WB_OK, "free: %s", err.message);
  o.mode = WB_MODE_DISABLED;
  CHECK(wb_run_open(root, &o, &run, &err) == WB_OK, "disabled open: %s", err.message);
  no_url(run, "disabled");
  wb_run_free(run, NULL);
#ifndef _WIN32 /* under wine the scratch directory stays in the prefix (no `rm` there) */
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  if (system(cmd) != 0) return 2;
#endif
  if (failures) return 1;
  printf("test_run_url: ok\n");
  return 0;
}
