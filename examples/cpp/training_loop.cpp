// A libtorch-style training loop logging W&B media from C++ without Python.
//
//   training_loop OUT_DIR      media files go to OUT_DIR/files; each row's JSON is printed
//
// Per step: loss, a batch of CHW float images, a weight histogram; at the end a rollout video.
// `Tensor` below stands in for torch::Tensor: it exposes the same data_ptr<T>(), sizes()
// and strides() (in elements), which is all wb::TensorRef needs. With libtorch, pass
// `t.data_ptr<float>(), t.sizes(), t.strides()` exactly the same way (after .cpu()).
#include <wandb_media.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace {

// Minimal strided float tensor with torch-like accessors.
struct Tensor {
  std::shared_ptr<std::vector<float>> storage;  // shared by views, like torch storage
  std::vector<int64_t> shape, stride;
  int64_t offset = 0;

  static Tensor zeros(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.stride.assign(t.shape.size(), 1);
    for (std::size_t i = t.shape.size(); i-- > 1;) t.stride[i - 1] = t.stride[i] * t.shape[i];
    const int64_t n = std::accumulate(t.shape.begin(), t.shape.end(), int64_t{1}, [](int64_t a, int64_t b) { return a * b; });
    t.storage = std::make_shared<std::vector<float>>(static_cast<std::size_t>(n), 0.0f);
    return t;
  }
  template <class T>
  const T* data_ptr() const {
    return storage->data() + offset;
  }
  const std::vector<int64_t>& sizes() const { return shape; }
  const std::vector<int64_t>& strides() const { return stride; }
  float& at(std::initializer_list<int64_t> idx) {
    int64_t off = offset, d = 0;
    for (int64_t i : idx) off += i * stride[static_cast<std::size_t>(d++)];
    return (*storage)[static_cast<std::size_t>(off)];
  }
  // t[i] of the first dimension: a view sharing storage (no copy), like torch.
  Tensor select0(int64_t i) const {
    Tensor v;
    v.storage = storage;
    v.offset = offset + i * stride[0];
    v.shape.assign(shape.begin() + 1, shape.end());
    v.stride.assign(stride.begin() + 1, stride.end());
    return v;
  }
};

// "Model output": a batch of N reconstructed images, NCHW float in [0, 1].
Tensor fake_reconstructions(int64_t step, int64_t n, int64_t h, int64_t w) {
  Tensor t = Tensor::zeros({n, 3, h, w});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const float fx = static_cast<float>(x) / static_cast<float>(w), fy = static_cast<float>(y) / static_cast<float>(h);
        const float phase = 0.3f * static_cast<float>(step) + static_cast<float>(b);
        t.at({b, 0, y, x}) = 0.5f + 0.5f * std::sin(6.0f * fx + phase);
        t.at({b, 1, y, x}) = fy;
        t.at({b, 2, y, x}) = 0.5f + 0.5f * std::cos(4.0f * (fx + fy) - phase);
      }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "cpp-run";
  try {
    wb::RunDir dir = wb::RunDir::open(out + "/files");
    std::vector<float> weights(4096);
    for (int64_t step = 0; step < 4; ++step) {
      // ... forward / backward / optimizer step would be here ...
      for (std::size_t i = 0; i < weights.size(); ++i)
        weights[i] = std::sin(static_cast<float>(i) * 0.37f) * (1.0f + 0.25f * static_cast<float>(step));
      const double loss = 1.0 / (1.0 + static_cast<double>(step));
      const Tensor recon = fake_reconstructions(step, 2, 32, 48);

      wb::Row row;
      row.set("train/loss", loss).set("train/lr", 1e-3 * std::pow(0.9, static_cast<double>(step)));
      // Each CHW image of the batch, straight from the tensor memory (floats in [0,1] are
      // scaled to 0..255 by the default WB_CONVERT_AUTO).
      wb::List samples;
      for (int64_t b = 0; b < 2; ++b) {
        const Tensor img = recon.select0(b);
        samples.append(wb::Image::from_chw(wb::TensorRef(img.data_ptr<float>(), img.sizes(), img.strides()))
                           .set_caption("sample " + std::to_string(b)));
      }
      row.set("reconstructions", samples);
      row.set("weights", wb::Histogram::from_tensor(wb::TensorRef(weights), 64));
      std::printf("step %lld: %s\n", static_cast<long long>(step), row.to_json(dir, step).c_str());
    }
    // Rollouts at the end: a (T,C,H,W) float tensor becomes an MP4 straight from its memory.
    const Tensor frames = fake_reconstructions(100, 16, 32, 48);
    wb::Row last;
    last.set("rollout", wb::Video::from_tensor(wb::TensorRef(frames.data_ptr<float>(), frames.sizes(), frames.strides()),
                                               wb::VideoOptions().format(WB_VIDEO_MP4).fps(8))
                            .set_caption("policy rollout"));
    std::printf("step %d: %s\n", 4, last.to_json(dir, 4).c_str());
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "wandb-media: %s: %s\n", e.code_name(), e.what());
    return 1;
  }
  return 0;
}
