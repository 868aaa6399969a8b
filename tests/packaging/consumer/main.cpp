// Packaging test consumer (C++17 header): the same row as main.c.
#include <wandb_media.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::vector<uint8_t> px(18);
  for (int i = 0; i < 18; i++) px[static_cast<std::size_t>(i)] = static_cast<uint8_t>((i * 37 + 11) % 256);
  try {
    wb::RunDir dir = wb::RunDir::open(argv[1]);
    wb::Row row;
    row.set("loss", 0.5).set("img", wb::Image::from_tensor(wb::TensorRef(px, {2, 3, 3})));
    std::printf("%s\n", row.to_json(dir, 0).c_str());
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "%s: %s\n", e.code_name(), e.what());
    return 1;
  }
  return 0;
}
