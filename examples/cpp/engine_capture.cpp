// A game/robot loop capturing RGBA frames at a fixed 30 fps and logging them as W&B media.
//
//   engine_capture OUT_DIR     media files go to OUT_DIR/files; each row's JSON is printed
//
// Every simulated second (30 frames) the current frame is logged as an image with the fast
// PNG encoder (WB_PNG_FAST: same pixels, ~15x faster than the byte-identical one), together
// with render-time statistics. (Streams every frame into an MP4 with wb::VideoWriter once
// the streaming video C API is merged.)
#include <wandb_media.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {
constexpr int kWidth = 160, kHeight = 96, kFps = 30;

// "Render" one RGBA frame: a ball bouncing over a gradient.
void render(std::vector<uint8_t>& rgba, int frame) {
  const float t = static_cast<float>(frame) / kFps;
  const float bx = (0.5f + 0.4f * std::sin(2.0f * t)) * kWidth, by = (0.5f + 0.4f * std::cos(3.0f * t)) * kHeight;
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      uint8_t* p = &rgba[static_cast<std::size_t>((y * kWidth + x) * 4)];
      const float dx = static_cast<float>(x) - bx, dy = static_cast<float>(y) - by;
      const bool ball = dx * dx + dy * dy < 100.0f;
      p[0] = ball ? 255 : static_cast<uint8_t>(x * 255 / kWidth);
      p[1] = ball ? 64 : static_cast<uint8_t>(y * 255 / kHeight);
      p[2] = ball ? 32 : static_cast<uint8_t>(128 + 64 * std::sin(t));
      p[3] = 255;
    }
}
}  // namespace

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "engine-run";
  auto dir = wb::RunDir::try_open(out + "/files");
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.error().message());
    return 1;
  }
  const wb::ImageOptions fast = wb::ImageOptions().png_mode(WB_PNG_FAST);
  std::vector<uint8_t> rgba(static_cast<std::size_t>(kWidth * kHeight * 4));
  std::vector<double> frame_ms;
  for (int frame = 0; frame < 3 * kFps; ++frame) {
    const auto t0 = std::chrono::steady_clock::now();
    render(rgba, frame);
    frame_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if ((frame + 1) % kFps != 0) continue;

    // The non-throwing API: suitable for engines built with -fno-exceptions.
    const int64_t second = frame / kFps;
    auto img = wb::Image::try_from_tensor(wb::TensorRef(rgba, {kHeight, kWidth, 4}), fast);
    if (!img.ok()) {
      std::fprintf(stderr, "image: %s\n", img.error().message());
      return 1;
    }
    double sum = 0, worst = 0;
    for (double ms : frame_ms) sum += ms, worst = ms > worst ? ms : worst;
    wb::Row row;
    wb::Result<wb::String> json = wb::Error(WB_ERR_STATE, "row not built");
    if (row.try_set("frame", *img).ok() && row.try_set("sim_time_s", static_cast<double>(second + 1)).ok() &&
        row.try_set("render_ms/mean", sum / static_cast<double>(frame_ms.size())).ok() &&
        row.try_set("render_ms/max", worst).ok()) {
      json = row.try_to_json(*dir, second);
    }
    if (!json.ok()) {
      std::fprintf(stderr, "row: %s\n", json.error().message());
      return 1;
    }
    std::printf("step %lld: %s\n", static_cast<long long>(second), json->c_str());
    frame_ms.clear();
  }
  return 0;
}
