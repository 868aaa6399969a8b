/* Reads what tests/fromjson/sdk.py wrote with wandb 0.31 — a history row (row.json + the
 * run's files/ directory) and an artifact directory — through the C API and prints the same
 * dump sdk.py prints from the SDK's own reading (compared line by line by sdk.py compare).
 *
 *   read_dump ROW_JSON FILES_DIR ART_DIR ART_NAME
 *   read_dump --artifact ART_DIR ART_NAME PREFIX     (only the artifact table)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/call.h"


static uint64_t fnv(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (fread(b, 1, (size_t)n, f) != (size_t)n) exit(1);
  b[n] = 0;
  fclose(f);
  return b;
}

/* A JSON string literal as Python's json.dumps(ensure_ascii=False) writes it. */
static void print_json_string(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') printf("\\n");
    else if (c == '\t') printf("\\t");
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void dump(const char *path, const wb_value *v);

static void dump_caption(const wb_value *v) {
  char *cap = NULL;
  CHECK(wb_media_caption_json(v, &cap, E));
  printf(" caption=%s\n", cap);
  wb_string_free(cap);
}

static void dump(const char *path, const wb_value *v) {
  const char *t = wb_value_type(v);
  char sub[1024];
  if (!strcmp(t, "null")) {
    printf("%s null\n", path);
  } else if (!strcmp(t, "bool")) {
    bool b;
    CHECK(wb_value_get_bool(v, &b, E));
    printf("%s bool %d\n", path, b);
  } else if (!strcmp(t, "int")) {
    int64_t i;
    CHECK(wb_value_get_int(v, &i, E));
    printf("%s int %" PRId64 "\n", path, i);
  } else if (!strcmp(t, "float")) {
    double d;
    CHECK(wb_value_get_float(v, &d, E));
    printf("%s float %.17g\n", path, d);
  } else if (!strcmp(t, "string")) {
    const char *s;
    size_t n;
    CHECK(wb_value_get_string(v, &s, &n, E));
    printf("%s string ", path);
    print_json_string(s, n);
    putchar('\n');
  } else if (!strcmp(t, "list")) {
    size_t n;
    CHECK(wb_value_len(v, &n, E));
    printf("%s list %zu\n", path, n);
    for (size_t i = 0; i < n; i++) {
      wb_value *item;
      CHECK(wb_list_get(v, i, &item, E));
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      dump(sub, item);
      wb_value_free(item);
    }
  } else if (!strcmp(t, "dict")) {
    size_t n;
    CHECK(wb_value_len(v, &n, E));
    printf("%s dict %zu\n", path, n);
    for (size_t i = 0; i < n; i++) {
      char *key;
      wb_value *item;
      CHECK(wb_dict_entry(v, i, &key, &item, E));
      snprintf(sub, sizeof sub, "%s.%s", path, key);
      dump(sub, item);
      wb_string_free(key);
      wb_value_free(item);
    }
  } else if (!strcmp(t, "Image")) {
    wb_image_pixels px;
    CHECK(wb_image_get_pixels(v, &px, E));
    size_t n = px.height * px.width * px.channels;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += px.data[i];
    printf("%s Image %zux%zux%zu fnv=%016" PRIx64 " mean=%.3f", path, px.width, px.height,
           px.channels, fnv(px.data, n), n ? sum / (double)n : 0.0);
    wb_image_pixels_free(&px);
    dump_caption(v);
  } else if (!strcmp(t, "Audio")) {
    wb_audio_samples s;
    CHECK(wb_audio_get_samples(v, &s, E));
    double sum = 0;
    for (size_t i = 0; i < s.frames * s.channels; i++) sum += s.data[i];
    printf("%s Audio frames=%zu ch=%zu rate=%u sum=%.6f", path, s.frames, s.channels,
           s.sample_rate, sum);
    wb_audio_samples_free(&s);
    dump_caption(v);
  } else if (!strcmp(t, "histogram")) {
    size_t n;
    CHECK(wb_histogram_size(v, &n, E));
    double *vals = malloc((n + 1) * sizeof *vals), *bins = malloc((n + 1) * sizeof *bins);
    CHECK(wb_histogram_read(v, vals, bins, E));
    printf("%s histogram values=[", path);
    for (size_t i = 0; i < n; i++) printf("%s\"%.17g\"", i ? "," : "", vals[i]);
    printf("] bins=[");
    for (size_t i = 0; i <= n; i++) printf("%s\"%.17g\"", i ? "," : "", bins[i]);
    printf("]\n");
    free(vals);
    free(bins);
  } else if (!strcmp(t, "Table")) {
    size_t ncols, nrows;
    CHECK(wb_table_ncols(v, &ncols, E));
    CHECK(wb_table_nrows(v, &nrows, E));
    printf("%s Table ncols=%zu nrows=%zu cols=[", path, ncols, nrows);
    for (size_t c = 0; c < ncols; c++) {
      char *name;
      CHECK(wb_table_column_name(v, c, &name, E));
      printf("%s", c ? "," : "");
      print_json_string(name, strlen(name));
      wb_string_free(name);
    }
    printf("]\n");
    char *types;
    CHECK(wb_table_column_types_json(v, &types, E));
    printf("%s types %s\n", path, types);
    wb_string_free(types);
    for (size_t r = 0; r < nrows; r++)
      for (size_t c = 0; c < ncols; c++) {
        wb_value *cell;
        CHECK(wb_table_cell(v, r, c, &cell, E));
        snprintf(sub, sizeof sub, "%s[%zu][%zu]", path, r, c);
        dump(sub, cell);
        wb_value_free(cell);
      }
  } else if (!strcmp(t, "Video") || !strcmp(t, "Html") || !strcmp(t, "Object3D") ||
             !strcmp(t, "Molecule")) {
    const uint8_t *data;
    size_t n;
    CHECK(wb_media_file(v, &data, &n, NULL, E));
    printf("%s %s bytes=%zu fnv=%016" PRIx64 "\n", path, t, n, fnv(data, n));
  } else {
    printf("%s other %s\n", path, t);
  }
}

static void dump_artifact(const char *dir, const char *name, const char *prefix) {
  wb_value *t;
  CHECK(wb_artifact_get(dir, name, &t, E));
  dump(prefix, t);
  wb_value_free(t);
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[1], "--artifact")) {
    dump_artifact(argv[2], argv[3], argv[4]);
    return 0;
  }
  if (argc != 5) {
    fprintf(stderr, "usage: read_dump ROW_JSON FILES_DIR ART_DIR ART_NAME\n");
    return 2;
  }
  char *text = slurp(argv[1]);
  wb_value *row;
  CHECK(wb_value_from_wandb_json(text, argv[2], &row, E));
  free(text);
  size_t n;
  CHECK(wb_value_len(row, &n, E));
  for (size_t i = 0; i < n; i++) {
    char *key, path[512];
    wb_value *item;
    CHECK(wb_dict_entry(row, i, &key, &item, E));
    snprintf(path, sizeof path, "run.%s", key);
    dump(path, item);
    wb_string_free(key);
    wb_value_free(item);
  }
  wb_value_free(row);
  char prefix[512];
  snprintf(prefix, sizeof prefix, "art.%s", argv[4]);
  dump_artifact(argv[3], argv[4], prefix);
  return 0;
}
