// Harness for README C++ snippets: the statements run inside a function with stand-ins for
// what the reader's program has (a libtorch-like tensor `t`, `weights`, a frame buffer, …).
// Lines starting with #include are moved to the top by tests/docs/snippets.py.
#include <cstdint>
#include <cstdio>
#include <vector>
#include <wandb_media.hpp>
@INCLUDES@

namespace {
struct FakeTensor {  // the part of torch::Tensor the snippets use
  std::vector<float> d = std::vector<float>(3 * 8 * 8);
  std::vector<int64_t> sz{3, 8, 8}, st{64, 8, 1};
  template <class T> T* data_ptr() { return reinterpret_cast<T*>(d.data()); }
  const std::vector<int64_t>& sizes() const { return sz; }
  const std::vector<int64_t>& strides() const { return st; }
};
}  // namespace

int snippet() {
  FakeTensor t;
  std::vector<float> weights(100);
  const int height = 48, width = 64;
  std::vector<uint8_t> frame(static_cast<size_t>(height) * width * 4);
  const uint8_t* frame_rgba = frame.data();
  bool running = false;
  int64_t step = 0;
  (void)t; (void)weights; (void)frame_rgba; (void)running; (void)step;
  {
@SNIPPET@
  }
  return 0;
}

int main() { return 0; }  // compiled and linked; snippet() is not run
