// A robot policy loop traced to Weave from C++ (wb::weave): every step is a `policy_step` call
// with the camera clip it saw as a video input, a nested `preprocess` call, and the action, an
// overlay image and an audio cue as its output. Python's weave client reads the trace back as
// moviepy clips, PIL images and wave objects.
//
//   weave_policy_cpp [N]     N steps (default 3)
//
// Environment: WANDB_PROJECT ("entity/project", or the project with WANDB_ENTITY),
// WF_TRACE_SERVER_URL (else WANDB_BASE_URL + "/traces"), WANDB_API_KEY. Calls are spooled in
// ./weave first; the exit status is non-zero when close() reports calls it could not deliver
// (they stay in the spool for `wandb-media sync weave`). WEAVE_POLICY_STEP_MS paces the loop
// like a real controller (the model "thinks" that long inside policy_step); WEAVE_CLOSE_TIMEOUT
// is how long close() waits for delivery (seconds, default 60).
#include <wandb_media.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <chrono>
#include <vector>

namespace {

constexpr int64_t kFrames = 16, kHeight = 48, kWidth = 64, kFps = 8, kOverlay = 32, kSamples = 1600;

// The camera clip of step i: (T, H, W, 3) uint8 (tests/weave/policy_values.py has the formula).
std::vector<uint8_t> camera(int64_t i) {
  std::vector<uint8_t> px(static_cast<std::size_t>(kFrames * kHeight * kWidth * 3));
  std::size_t k = 0;
  for (int64_t t = 0; t < kFrames; t++)
    for (int64_t y = 0; y < kHeight; y++)
      for (int64_t x = 0; x < kWidth; x++) {
        px[k++] = static_cast<uint8_t>(3 * x + 4 * t);
        px[k++] = static_cast<uint8_t>(4 * y + 8 * (i % 8));
        px[k++] = static_cast<uint8_t>(2 * (x + y));
      }
  return px;
}

std::vector<uint8_t> overlay(int64_t i) {
  std::vector<uint8_t> px(static_cast<std::size_t>(kOverlay * kOverlay * 3));
  std::size_t k = 0;
  for (int64_t y = 0; y < kOverlay; y++)
    for (int64_t x = 0; x < kOverlay; x++) {
      px[k++] = static_cast<uint8_t>(8 * x);
      px[k++] = static_cast<uint8_t>(8 * y);
      px[k++] = static_cast<uint8_t>((37 * i) % 256);
    }
  return px;
}

// A short 16 kHz mono int16 cue (stored exactly in the WAV).
std::vector<int16_t> cue(int64_t i) {
  std::vector<int16_t> s(static_cast<std::size_t>(kSamples));
  for (int64_t k = 0; k < kSamples; k++) s[static_cast<std::size_t>(k)] = static_cast<int16_t>((k * 37 + i * 101) % 2000 - 1000);
  return s;
}

double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atof(v) : fallback;
}

std::string project_from_env() {
  const char* p = std::getenv("WANDB_PROJECT");
  const char* e = std::getenv("WANDB_ENTITY");
  std::string project = p && *p ? p : "weave-policy";
  if (project.find('/') == std::string::npos && e && *e) project = std::string(e) + "/" + project;
  return project;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 3;
  const auto think = std::chrono::milliseconds(static_cast<int64_t>(env_number("WEAVE_POLICY_STEP_MS", 0)));
  try {
    auto client = wb::weave::Client::open(project_from_env());
    for (int64_t i = 0; i < n; i++) {
      const std::vector<uint8_t> frames = camera(i);
      auto video = wb::Video::from_tensor(wb::TensorRef(frames.data(), {kFrames, kHeight, kWidth, 3}),
                                          wb::VideoOptions().format(WB_VIDEO_MP4).fps(kFps).layout(WB_VIDEO_CHANNELS_LAST));
      wb::Dict inputs;
      inputs.set("step", i).set("camera", video);
      auto call = client.call("policy_step", inputs);  // ends itself if an exception leaves this scope
      {
        wb::Dict pre_in;
        pre_in.set("step", i);
        auto pre = client.call("preprocess", pre_in, &call);  // nested: same trace, parent = call
        wb::Dict pre_out;
        pre_out.set("step", i);
        pre.end(pre_out);
      }
      std::printf("step %lld started\n", static_cast<long long>(i));
      std::fflush(stdout);
      std::this_thread::sleep_for(think);
      const std::vector<uint8_t> px = overlay(i);
      const std::vector<int16_t> samples = cue(i);
      wb::List action;
      action.append(0.1 * static_cast<double>(i)).append(-0.2 * static_cast<double>(i)).append(0.5);
      wb::Dict output;
      output.set("action", action)
          .set("overlay", wb::Image::from_u8(px.data(), kOverlay, kOverlay, 3))
          .set("audio", wb::Audio::from_tensor(wb::TensorRef(samples.data(), {kSamples}), 16000));
      call.end(output);
      std::printf("step %lld done\n", static_cast<long long>(i));
      std::fflush(stdout);
    }
    wb::weave::Status st;
    auto closed = client.try_close(env_number("WEAVE_CLOSE_TIMEOUT", 60.0), &st);
    std::printf("weave_policy_cpp: %llu calls sent, %llu pending, %llu files sent\n",
                static_cast<unsigned long long>(st.calls_sent()), static_cast<unsigned long long>(st.calls_pending()),
                static_cast<unsigned long long>(st.files_sent()));
    if (!closed.ok()) {
      std::fprintf(stderr, "weave_policy_cpp: %s\n", closed.error().message());
      return 1;
    }
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "weave_policy_cpp: %s: %s\n", e.code_name(), e.message());
    return 2;
  }
  return 0;
}
