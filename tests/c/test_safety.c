/* Safety regressions through the C ABI (issue 22): wb_run_save never removes a directory
 * nor writes through a link out of the run (wandb 0.31 raises IsADirectoryError and deletes
 * nothing), and a run whose directory was deleted does not re-create files/media/ when a
 * later call fails. Run under valgrind by `make test-c`. */
#ifdef _WIN32
/* The cases are POSIX links and directory modes (what wb_run_save links on Linux/macOS);
 * the Windows cross run builds this file without them. */
#include <stdio.h>
int main(void) {
  puts("test_safety: POSIX symlink cases, not applicable on Windows");
  return 0;
}
#else
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"

static int is_dir(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void write_file(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static int read_is(const char *p, const char *text) {
  char buf[64] = {0};
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static wb_value *image(void) {
  uint8_t px[4 * 4 * 3];
  memset(px, 9, sizeof px);
  wb_value *img = NULL;
  wb_error e;
  if (wb_image_new_u8(px, 4, 4, 3, &img, &e) != WB_OK) fprintf(stderr, "image: %s\n", e.message);
  return img;
}

static void log_image(wb_run *run, wb_status *st, wb_error *e) {
  wb_value *row = NULL, *img = image();
  wb_dict_new(&row, NULL);
  wb_dict_set(row, "img", img, NULL);
  *st = wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, e);
  wb_value_free(img);
  wb_value_free(row);
}

static void save_never_deletes(const char *root) {
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
  CHECK(chdir(root) == 0, "chdir");
  wb_run_options o = wb_run_options_default();
  wb_run *run = NULL;
  wb_error e;
  CHECK(wb_run_open(root, &o, &run, &e) == WB_OK, "open: %s", e.message);
  char *files = NULL;
  wb_run_files_dir(run, &files, NULL);
  wb_status st;
  log_image(run, &st, &e);
  CHECK(st == WB_OK, "log: %s", e.message);
  char images[4200];
  snprintf(images, sizeof images, "%s/media/images", files);
  CHECK(is_dir(images), "no %s", images);
  /* save("media") with a ./media folder: refused, files/media kept. */
  mkdir("media", 0755);
  write_file("media/user.txt", "user data");
  size_t n = 99;
  st = wb_run_save(run, "media", NULL, WB_SAVE_LIVE, &n, &e);
  CHECK(st == WB_ERR_IO && strstr(e.message, "is a directory"), "save(media): %d %s", st, e.message);
  CHECK(is_dir(images), "save(\"media\") removed the run's files/media/images");
  CHECK(read_is("media/user.txt", "user data"), "the user's ./media changed");
  /* save("data") links files/data -> ./data; a later save into data/ must not write or
   * delete through that link. */
  mkdir("data", 0755);
  mkdir("data/subdir", 0755);
  write_file("data/subdir/keep.txt", "keep");
  mkdir("other", 0755);
  mkdir("other/data", 0755);
  mkdir("other/data/subdir", 0755);
  st = wb_run_save(run, "data", NULL, WB_SAVE_LIVE, &n, &e);
  CHECK(st == WB_OK, "save(data): %s", e.message);
  char glob[4200], base[4200];
  snprintf(glob, sizeof glob, "%s/other/data/subdir", root);
  snprintf(base, sizeof base, "%s/other", root);
  st = wb_run_save(run, glob, base, WB_SAVE_LIVE, &n, &e);
  CHECK(st == WB_ERR_IO, "save(other/data/subdir) through the link: %d %s", st, e.message);
  CHECK(read_is("data/subdir/keep.txt", "keep"), "the user's ./data/subdir was deleted");
  CHECK(wb_run_finish(run, 0, &e) == WB_OK, "finish: %s", e.message);
  wb_run_free(run, NULL);
  wb_string_free(files);
  CHECK(chdir(cwd) == 0, "chdir back");
}

static void deleted_dir_stays_deleted(const char *root) {
  wb_run_options o = wb_run_options_default();
  wb_run *run = NULL;
  wb_error e;
  CHECK(wb_run_open(root, &o, &run, &e) == WB_OK, "open: %s", e.message);
  char *dir = NULL;
  wb_run_dir_path(run, &dir, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0, "rm");
  wb_status st;
  log_image(run, &st, &e);
  CHECK(st == WB_ERR_IO, "log after the run dir was deleted: %d %s", st, e.message);
  struct stat sb;
  CHECK(lstat(dir, &sb) != 0, "the deleted run directory %s was re-created", dir);
  wb_run_free(run, NULL);
  wb_string_free(dir);
}

int main(void) {
  char root[] = "/tmp/wbm-safety-c-XXXXXX";
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  save_never_deletes(root);
  char root2[] = "/tmp/wbm-safety-c2-XXXXXX";
  CHECK(mkdtemp(root2) != NULL, "mkdtemp");
  deleted_dir_stays_deleted(root2);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s %s", root, root2);
  CHECK(system(cmd) == 0, "cleanup");
  if (failures) {
    fprintf(stderr, "test_safety: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_safety: ok\n");
  return 0;
}
#endif /* _WIN32 */
