// status_run: Run::upload_status through the C++ wrapper (tests/online/status.py "bindings").
//
//   status_run ROOT N   N rows (a 16x16 image every 10) online (server and key from the
//                       environment); after 1.5 s prints "MID <status>", then finishes and
//                       prints "FINISH ok|<error>", "END <status>" and "DIR <run dir>", where
//                       <status> is: state http rows_sent rows_pending files_sent
//                       files_pending unreachable_since last_error. Exit 2 on other errors.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <vector>

#include "wandb_media.hpp"

static void print(const char* tag, const wb::UploadStatus& s) {
  std::printf("%s %d %u %llu %llu %llu %llu %lld %s\n", tag, static_cast<int>(s.state()), s.http_status(),
              static_cast<unsigned long long>(s.rows_sent()), static_cast<unsigned long long>(s.rows_pending()),
              static_cast<unsigned long long>(s.files_sent()), static_cast<unsigned long long>(s.files_pending()),
              static_cast<long long>(s.unreachable_since()), s.last_error());
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: status_run ROOT N\n");
    return 2;
  }
  try {
    const long n = std::atol(argv[2]);
    auto opts = wb::RunOptions().mode(WB_MODE_ONLINE).project("wbm-status").finish_timeout_ms(60000);
    wb::Run run = wb::Run::open(argv[1], opts);
    std::vector<uint8_t> px(16 * 16 * 3);
    for (long i = 0; i < n; i++) {
      wb::Row row;
      row.set("i", static_cast<double>(i));
      if (i % 10 == 0) row.set("img", wb::Image::from_u8(px.data(), 16, 16, 3));
      run.log(row);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    print("MID", run.upload_status());
    wb::String dir = run.dir_path();
    auto r = run.try_finish(0);
    std::printf("FINISH %s\n", r.ok() ? "ok" : r.error().message());
    print("END", run.upload_status());
    std::printf("DIR %s\n", dir.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "status_run: %s\n", e.what());
    return 2;
  }
}
