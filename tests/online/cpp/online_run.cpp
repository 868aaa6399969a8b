// online_run: a short online run through the C++ wrapper (tests/online/online.sh "bindings").
//
//   online_run ROOT N   N rows {"i": i, "loss": 1/(i+1)} and a 16x16 image every 10 rows,
//                       WB_MODE_ONLINE with base_url/api_key from WANDB_BASE_URL/WANDB_API_KEY
//                       passed as options; prints the run directory. Exit 2 on any error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "wandb_media.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: online_run ROOT N\n");
    return 2;
  }
  try {
    const long n = std::atol(argv[2]);
    const char* base = std::getenv("WANDB_BASE_URL");
    const char* key = std::getenv("WANDB_API_KEY");
    auto opts = wb::RunOptions()
                    .mode(WB_MODE_ONLINE)
                    .base_url(base)
                    .api_key(key)
                    .project("wbm-online")
                    .name("cpp-online")
                    .config_json("{\"binding\":\"cpp\"}")
                    .finish_timeout_ms(120000);
    wb::Run run = wb::Run::open(argv[1], opts);
    std::vector<uint8_t> px(16 * 16 * 3);
    for (long i = 0; i < n; i++) {
      wb::Row row;
      row.set("i", static_cast<double>(i)).set("loss", 1.0 / static_cast<double>(i + 1));
      if (i % 10 == 0) {
        for (std::size_t k = 0; k < px.size(); k++) px[k] = static_cast<uint8_t>(k * 7 + i * 13);
        row.set("img", wb::Image::from_u8(px.data(), 16, 16, 3));
      }
      run.log(row);
    }
    wb::String dir = run.dir_path();
    run.finish(0);
    std::printf("%s\n", dir.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "online_run: %s\n", e.what());
    return 2;
  }
}
