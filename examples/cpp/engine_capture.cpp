// A game/robot loop rendering RGBA frames at a fixed 30 fps and streaming them into an MP4
// with wb::VideoWriter (frames are encoded as they come: memory does not grow with length).
//
//   engine_capture OUT_DIR     media files go to OUT_DIR/files; each row's JSON is printed
//
// Once per simulated second a screenshot (fast PNG encoder: same pixels, ~15x faster than
// the byte-identical one) and render-time statistics are logged; the video is logged at the
// end. It uses only the non-throwing API, so it also builds with -fno-exceptions.
#include <wandb_media.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {
constexpr int kWidth = 160, kHeight = 96, kFps = 30, kSeconds = 3;

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

int fail(const char* what, const wb::Error& e) {
  std::fprintf(stderr, "%s: %s: %s\n", what, e.code_name(), e.message());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "engine-run";
  auto dir = wb::RunDir::try_open(out + "/files");
  if (!dir.ok()) return fail("run dir", dir.error());
  // (height, width, channels), as every frame is pushed; fps and format in the options.
  auto writer = wb::VideoWriter::try_open(kHeight, kWidth, 4, wb::VideoOptions().format(WB_VIDEO_MP4).fps(kFps));
  if (!writer.ok()) return fail("video writer", writer.error());

  const wb::ImageOptions fast = wb::ImageOptions().png_mode(WB_PNG_FAST);
  std::vector<uint8_t> rgba(static_cast<std::size_t>(kWidth * kHeight * 4));
  double sum_ms = 0, worst_ms = 0;
  for (int frame = 0; frame < kSeconds * kFps; ++frame) {
    const auto t0 = std::chrono::steady_clock::now();
    render(rgba, frame);
    if (auto r = writer->try_push_u8(rgba.data(), kHeight, kWidth, 4); !r.ok()) return fail("push", r.error());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    sum_ms += ms;
    worst_ms = ms > worst_ms ? ms : worst_ms;
    if ((frame + 1) % kFps != 0) continue;

    const int64_t second = frame / kFps;
    auto img = wb::Image::try_from_tensor(wb::TensorRef(rgba, {kHeight, kWidth, 4}), fast);
    if (!img.ok()) return fail("screenshot", img.error());
    wb::Row row;
    wb::Result<wb::String> json = wb::Error(WB_ERR_STATE, "row not built");
    if (row.try_set("screenshot", *img).ok() && row.try_set("sim_time_s", static_cast<double>(second + 1)).ok() &&
        row.try_set("frame_ms/mean", sum_ms / kFps).ok() && row.try_set("frame_ms/max", worst_ms).ok()) {
      json = row.try_to_json(*dir, second);
    }
    if (!json.ok()) return fail("row", json.error());
    std::printf("step %lld: %s\n", static_cast<long long>(second), json->c_str());
    sum_ms = worst_ms = 0;
  }

  auto video = writer->try_finish();
  if (!video.ok()) return fail("finish", video.error());
  wb::Row row;
  wb::Result<wb::String> json = wb::Error(WB_ERR_STATE, "row not built");
  if (video->try_set_caption("gameplay @ 30 fps").ok() && row.try_set("gameplay", *video).ok() &&
      row.try_set("frames", kSeconds * kFps).ok()) {
    json = row.try_to_json(*dir, kSeconds);
  }
  if (!json.ok()) return fail("video row", json.error());
  std::printf("step %d: %s\n", kSeconds, json->c_str());
  return 0;
}
