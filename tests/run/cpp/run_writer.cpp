// run_writer_cpp: writes the offline W&B reference run through the header-only C++17
// wrapper (bindings/cpp/include/wandb_media.hpp); tests/run/run.sh drives it.
//
//   run_writer_cpp basic ROOT   the reference run: exactly the rows, keys, values, steps,
//                               commit flags, summary/config calls and run options of
//                               `run_writer basic` (tests/run/c/run_writer.c) and
//                               tests/run/same_rows.py; prints the run dir (last line)
//
// Every call uses the throwing API; a wb::Error is printed and the program exits with 2.
// Structured like the C writer: one function per media family.
#include <wandb_media.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// (arange(n) * mul + add) % 256 as an image of shape h×w×c (c = 1: 2-D gray).
wb::Image pattern_image(std::size_t h, std::size_t w, std::size_t c, int mul, int add) {
  std::vector<uint8_t> px(h * w * c);
  for (std::size_t k = 0; k < px.size(); k++) px[k] = static_cast<uint8_t>((static_cast<long>(k) * mul + add) % 256);
  return wb::Image::from_u8(px.data(), h, w, c);
}

// ---- the basic run: one function per family ----

// Scalars, strings, bools, NaN, a nested dict, a small array, an empty dict.
void add_scalars(wb::Row& row, int i) {
  row.set("loss", 1.0 / (i + 1));
  row.set("acc", i * 0.01);
  row.set("epoch", static_cast<int64_t>(i / 10));
  row.set("phase", i % 2 ? "train" : "val");
  row.set("ok", i % 3 == 0);
  if (i == 3) row.set("nanval", std::numeric_limits<double>::quiet_NaN());
  if (i == 4) row.set("nanval", 0.5);  // keeps NaN out of the final summary
  if (i == 4) row.set("meta", wb::Dict::create());
  if (i == 7) {  // a row larger than a 32 KiB block: FIRST/MIDDLE/LAST chunks
    std::string t(70000, 'a');
    for (std::size_t k = 1; k < t.size(); k += 2) t[k] = 'b';
    row.set("long_text", t);
  }
  if (i == 5) {
    const double a[3] = {1.5, 2.5, 3.5};
    row.set("arr", wb::Value::array(wb::TensorRef(a, {3})));
  }
  wb::Dict eval;
  eval.set("x", static_cast<int64_t>(i * 2));
  row.set("eval", eval);
}

// Every 10 steps: a list of two images (caption on the first) and a nested image.
void add_images(wb::Row& row, int i) {
  if (i % 10 != 0) return;
  wb::Image a = pattern_image(8, 8, 3, 1, i);
  a.set_caption("step " + std::to_string(i));
  wb::Image b = pattern_image(4, 6, 1, 3, i);
  wb::List list;
  list.append(a).append(b);
  row.set("samples", list);
  // the nested image lands in row["eval"]["img"]: rebuild eval with it
  wb::Dict eval;
  eval.set("x", static_cast<int64_t>(i * 2));
  eval.set("img", pattern_image(16, 16, 3, 7, i));
  row.set("eval", eval);
}

// At step 50: a 64-bin histogram of 1000 exactly representable values.
void add_histogram(wb::Row& row, int i) {
#ifdef WB_RUN_TEST_NO_HISTOGRAM  // only while the histogram encoder is a stub
  return;
#endif
  if (i != 50) return;
  std::vector<double> v(1000);
  for (int k = 0; k < 1000; k++) v[static_cast<std::size_t>(k)] = static_cast<double>((k * 37) % 1000) / 10.0;
  row.set("weights", wb::Histogram::from_tensor(wb::TensorRef(v), 64));
}

// Step 20: an image with a box layer; step 30: an image with a mask layer. Both set
// class-label singletons in the run config (`_wandb`).
void add_boxes_masks(wb::Row& row, int i) {
  if (i == 20) {
    wb::Image img = pattern_image(12, 16, 3, 5, i);
    img.add_boxes("predictions",
                  "[{\"position\":{\"minX\":0.1,\"maxX\":0.4,\"minY\":0.2,\"maxY\":0.5},"
                  "\"class_id\":1,\"box_caption\":\"car\",\"scores\":{\"acc\":0.9}},"
                  "{\"position\":{\"minX\":0.5,\"maxX\":0.9,\"minY\":0.1,\"maxY\":0.8},"
                  "\"class_id\":2}]",
                  "{\"1\":\"car\",\"2\":\"person\"}");
    row.set("boxed", img);
  }
  if (i == 30) {
    wb::Image img = pattern_image(4, 6, 3, 9, i);
    std::vector<uint8_t> m(24);
    for (std::size_t k = 0; k < m.size(); k++) m[k] = static_cast<uint8_t>(k % 6 >= 3 ? 2 : 0);
    img.add_mask("seg", wb::TensorRef(m, {4, 6}), "{\"0\":\"bg\",\"2\":\"thing\"}");
    row.set("masked", img);
  }
}

// Step 40: a table with scalar, string, null and image cells (run copy + run_table
// artifact).
void add_table(wb::Row& row, int i) {
  if (i != 40) return;
  wb::Table t = wb::Table::create("[\"id\",\"name\",\"score\",\"img\"]");
  for (int r = 0; r < 3; r++) {
    wb::Value score = r == 1 ? wb::Value::null() : wb::Value::floating(r * 0.25);
    t.add(static_cast<int64_t>(r), "row" + std::to_string(r), score, pattern_image(4, 4, 3, 11, r));
  }
  row.set("tbl", t);
}

// Step 60: one audio clip and a list of two (caption on the first); exactly representable
// samples so the WAV bytes match the SDK's.
wb::Audio audio_clip(int n, int mul, uint32_t rate) {
  std::vector<double> a(static_cast<std::size_t>(n));
  for (int k = 0; k < n; k++) a[static_cast<std::size_t>(k)] = static_cast<double>((k * mul) % 200 - 100) / 128.0;
  return wb::Audio::from_tensor(wb::TensorRef(a), rate);
}

void add_audio(wb::Row& row, int i) {
  if (i != 60) return;
  row.set("clip", audio_clip(800, 37, 8000));
  wb::Audio a = audio_clip(400, 13, 8000);
  a.set_caption("first");
  wb::Audio b = audio_clip(300, 7, 16000);
  wb::List list;
  list.append(a).append(b);
  row.set("clips", list);
}

// Step 70: a GIF video from a (T, C, H, W) uint8 tensor at 4 fps.
void add_video(wb::Row& row, int i) {
  if (i != 70) return;
  std::vector<uint8_t> px(3 * 3 * 8 * 10);
  for (std::size_t k = 0; k < px.size(); k++) px[k] = static_cast<uint8_t>((k * 29) % 256);
  row.set("vid", wb::Video::from_tensor(wb::TensorRef(px, {3, 3, 8, 10}), wb::VideoOptions().format(WB_VIDEO_GIF).fps(4)));
}

int basic(const char* root) {
  wb::Run run = wb::Run::open(
      root, wb::RunOptions()
                .project("wbm-test")
                .entity("wbm")
                .name("same-rows")
                .config_json("{\"lr\":0.001,\"layers\":[64,64],\"optimizer\":{\"name\":\"adam\",\"beta\":0.9}}")
                .tags_json("[\"native\",\"c\"]"));

  for (int i = 0; i < 100; i++) {
    wb::Row row;
    add_scalars(row, i);
    add_images(row, i);
    add_histogram(row, i);
    add_boxes_masks(row, i);
    add_table(row, i);
    add_audio(row, i);
    add_video(row, i);
    run.log(row);
  }
  // commit=false merges into the pending row (step 100)
  {
    wb::Row r;
    r.set("partial", int64_t{1});
    run.log(r, wb::Run::kNoStep, wb::Run::kCommitFalse);
  }
  {
    wb::Row r;
    r.set("partial2", int64_t{2});
    run.log(r);
  }
  // an explicit step, then a row merged into it
  {
    wb::Row r;
    r.set("late", int64_t{1});
    run.log(r, 105);
  }
  {
    wb::Row r;
    r.set("late2", int64_t{2});
    run.log(r);
  }

  wb::Dict s;
  s.set("best_acc", 0.99);
  wb::Dict fin;
  fin.set("loss", 0.01);
  s.set("final", fin);
  run.summary_update(s);
  run.config_update_json("{\"extra\":\"v\"}");

  wb::String dir = run.dir_path();
  run.finish(0);
  run.close();
  std::printf("%s\n", dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 3 && std::strcmp(argv[1], "basic") == 0) return basic(argv[2]);
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "run_writer_cpp: %s: %s\n", e.code_name(), e.message());
    return 2;
  }
  std::fprintf(stderr, "usage: run_writer_cpp basic ROOT\n");
  return 64;
}
