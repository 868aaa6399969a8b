// features_cpp: the run features of tests/run/c/features.c through the C++17 wrapper
// (tests/run/run.sh compares the result with the SDK's run of tests/run/features/features.py).
//
//   features_cpp metric ROOT     define_metric: globs, step metrics, summaries
//   features_cpp artifact ROOT   run.save and generic artifacts
//   features_cpp stats ROOT      system metrics every 300 ms
//
// Prints the run directory. A wb::Error is printed and the program exits with 2.
#include <wandb_media.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <ctime>
#include <vector>

namespace {

using M = wb::MetricOptions;

wb::Run open_run(const char* root) {
  return wb::Run::open(root, wb::RunOptions().project("wbm-test").entity("wbm").name("features"));
}

int finish(wb::Run& run) {
  wb::String dir = run.dir_path();
  run.finish(0);
  std::printf("%s\n", dir.c_str());
  return 0;
}

int metric(const char* root) {
  wb::Run run = open_run(root);
  {
    wb::Row r;
    r.set("acc", 0.5);
    run.log(r);
  }
  run.define_metric("train/*", M().step_metric("epoch").summary(M::kMin | M::kMax))
      .define_metric("val/loss", M().step_metric("epoch").summary(M::kMin))
      .define_metric("acc", M().summary(M::kMax | M::kMean | M::kLast))
      .define_metric("secret", M().hidden().summary(M::kNone))
      .define_metric("eval.loss", M().summary(M::kFirst | M::kMin))
      .define_metric("frame_metric", M().step_metric("frame").step_sync(false))
      .define_metric("acc", M().summary(M::kMin))
      .define_metric("val/loss", M().step_metric("env_step").overwrite());
  for (int i = 0; i < 6; i++) {
    wb::Row r;
    r.set("train/loss", 1.0 / (i + 1));
    r.set("train/acc", i * 0.1);
    r.set("acc", static_cast<double>(i * 7 % 5) / 5);
    r.set("secret", int64_t{i});
    wb::Dict ev;
    ev.set("loss", 2.0 - i * 0.25);
    r.set("eval", ev);
    r.set("frame_metric", int64_t{i});
    if (i % 2 == 0) r.set("epoch", int64_t{i / 2});
    if (i == 3) r.set("val/loss", 0.5);
    if (i == 4) r.set("frame", int64_t{40});
    run.log(r);
  }
  wb::Dict s;
  s.set("acc", 0.99);
  run.summary_update(s);
  wb::Row r;
  r.set("acc", 0.1);
  run.log(r);
  // a bad name is an error value in the non-throwing API
  if (run.try_define_metric("a*b").ok()) {
    std::fprintf(stderr, "features_cpp: inner glob accepted\n");
    return 3;
  }
  return finish(run);
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) {
    std::fprintf(stderr, "features_cpp: cannot write %s\n", path.c_str());
    std::exit(2);
  }
}

int artifact(const char* root) {
  wb::Run run = open_run(root);
  char* abs_root = realpath(root, nullptr);
  const std::string src = std::string(abs_root) + "/src";
  std::free(abs_root);
  if (std::system(("mkdir -p '" + src + "/ckpt/sub'").c_str()) != 0) return 2;
  std::string model(5000, '\0');
  for (int i = 0; i < 5000; i++) model[static_cast<std::size_t>(i)] = static_cast<char>((i * 7 + 3) % 256);
  write_file(src + "/notes.txt", "checkpoint notes\n");
  write_file(src + "/live.log", "epoch 1\n");
  write_file(src + "/ckpt/model.bin", model);
  write_file(src + "/ckpt/config.json", "{\"layers\": [64, 64]}");
  write_file(src + "/ckpt/sub/extra.txt", std::string(100, 'x'));
  {
    wb::Row r;
    r.set("x", int64_t{1});
    run.log(r);
  }
  run.save(src + "/notes.txt", src.c_str(), WB_SAVE_NOW);
  if (run.save(src + "/ckpt/*.*", src.c_str(), WB_SAVE_END) != 2) return 3;
  run.save(src + "/live.log", src.c_str());  // live (the default)
  run.log_artifact(wb::Artifact::create("model-ckpt", "model")
                       .description("a checkpoint")
                       .metadata_json("{\"epoch\":3,\"acc\":0.9,\"tags\":[\"a\",\"b\"]}")
                       .add_file(src + "/notes.txt", "docs/notes.txt")
                       .add_dir(src + "/ckpt", "weights"),
                   {"best", "epoch-3"});
  wb::Artifact raw = wb::Artifact::create("raw-data", "dataset");
  raw.add_file(src + "/live.log");
  run.log_artifact(raw);
  if (wb::Artifact::try_create("a/b", "model").ok()) return 3;
  {
    wb::Row r;
    r.set("x", int64_t{2});
    run.log(r);
  }
  return finish(run);
}

int stats(const char* root) {
  wb::Run run = wb::Run::open(
      root, wb::RunOptions().project("wbm-test").entity("wbm").name("features").stats_interval_ms(300));
  for (int i = 0; i < 7; i++) {
    wb::Row r;
    r.set("x", int64_t{i});
    run.log(r);
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, nullptr);
  }
  return finish(run);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 3 && std::strcmp(argv[1], "metric") == 0) return metric(argv[2]);
    if (argc >= 3 && std::strcmp(argv[1], "artifact") == 0) return artifact(argv[2]);
    if (argc >= 3 && std::strcmp(argv[1], "stats") == 0) return stats(argv[2]);
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "features_cpp: %s: %s\n", e.code_name(), e.message());
    return 2;
  }
  std::fprintf(stderr, "usage: features_cpp metric|artifact|stats ROOT\n");
  return 64;
}
