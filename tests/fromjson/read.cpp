// The C++ wrapper reading what wandb 0.31 wrote (issue 21): the SDK's artifact table
// through wb::read (TableView row iteration, std::vector pixels/samples), printed in the
// dump format of sdk.py / read_dump.c and compared with the SDK's own reading.
//   read_cpp ART_DIR NAME PREFIX
#include <cinttypes>
#include <cstdio>
#include <string>

#include "wandb_media.hpp"

static uint64_t fnv(const uint8_t* p, std::size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') o += '\\', o += ch;
    else if (c == '\n') o += "\\n";
    else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else o += ch;
  }
  return o + "\"";
}

static void dump(const std::string& path, const wb::Value& v) {
  auto t = wb::read::type(v);
  if (t == "null") {
    std::printf("%s null\n", path.c_str());
  } else if (t == "int") {
    std::printf("%s int %" PRId64 "\n", path.c_str(), wb::read::try_as_int(v).value());
  } else if (t == "float") {
    std::printf("%s float %.17g\n", path.c_str(), wb::read::try_as_float(v).value());
  } else if (t == "bool") {
    std::printf("%s bool %d\n", path.c_str(), wb::read::try_as_bool(v).value() ? 1 : 0);
  } else if (t == "string") {
    std::printf("%s string %s\n", path.c_str(), json_string(wb::read::try_as_string(v).value()).c_str());
  } else if (t == "list") {
    std::size_t n = wb::read::try_len(v).value();
    std::printf("%s list %zu\n", path.c_str(), n);
    for (std::size_t i = 0; i < n; i++) dump(path + "[" + std::to_string(i) + "]", wb::read::try_item(v, i).value());
  } else if (t == "dict") {
    std::size_t n = wb::read::try_len(v).value();
    std::printf("%s dict %zu\n", path.c_str(), n);
    for (std::size_t i = 0; i < n; i++) {
      auto kv = wb::read::try_entry(v, i).value();
      dump(path + "." + kv.key, kv.value);
    }
  } else if (t == "Image") {
    wb::Pixels px = wb::read::pixels(v);
    double sum = 0;
    for (uint8_t b : px.data) sum += b;
    std::printf("%s Image %zux%zux%zu fnv=%016" PRIx64 " mean=%.3f caption=%s\n", path.c_str(), px.width,
                px.height, px.channels, fnv(px.data.data(), px.data.size()),
                px.data.empty() ? 0.0 : sum / static_cast<double>(px.data.size()),
                wb::read::try_caption_json(v).value().c_str());
  } else if (t == "Audio") {
    wb::Samples s = wb::read::samples(v);
    double sum = 0;
    for (float x : s.data) sum += x;
    std::printf("%s Audio frames=%zu ch=%zu rate=%u sum=%.6f caption=%s\n", path.c_str(), s.frames, s.channels,
                s.sample_rate, sum, wb::read::try_caption_json(v).value().c_str());
  } else if (t == "Table") {
    wb::read::TableView tv(v);
    auto cols = tv.try_columns().value();
    std::printf("%s Table ncols=%zu nrows=%zu cols=[", path.c_str(), cols.size(), tv.try_nrows().value());
    for (std::size_t c = 0; c < cols.size(); c++) std::printf("%s%s", c ? "," : "", json_string(cols[c]).c_str());
    std::printf("]\n%s types %s\n", path.c_str(), tv.try_column_types_json().value().c_str());
    std::size_t r = 0;
    for (const auto& row : tv.rows()) {
      for (std::size_t c = 0; c < row.size(); c++)
        dump(path + "[" + std::to_string(r) + "][" + std::to_string(c) + "]", row[c]);
      r++;
    }
  } else {
    std::printf("%s other %s\n", path.c_str(), std::string(t).c_str());
  }
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  wb::Value t = wb::read::artifact_get(argv[1], argv[2]);
  dump(argv[3], t);
  // Equality: the table equals itself read a second time, not a table with a cell changed.
  wb::Value again = wb::read::artifact_get(argv[1], argv[2]);
  if (!wb::read::equal(t, again)) {
    std::fprintf(stderr, "the same artifact read twice is not equal\n");
    return 1;
  }
  return 0;
}
