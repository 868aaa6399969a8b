// terminate_run: an uncaught C++ exception mid-run (tests/online/online.sh "terminate", issue
// 23 item 4).
//
//   terminate_run ROOT N handler|nohandler
//       an online run (server from WANDB_BASE_URL/WANDB_API_KEY), project "wbm-terminate";
//       with "handler" wb::install_terminate_handler() is called first. Waits until the
//       server created the run, prints "URL <url>", "ENTITY <entity>" (the C++ accessors),
//       "DIR <dir>", logs N rows {"i": i}, flushes, then throws a std::runtime_error that
//       nothing catches: std::terminate, no unwinding, ~Run does not run. Exit 2 on errors
//       before that.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "wandb_media.hpp"

static void train_step(long i, long n) {
  if (i == n) throw std::runtime_error("loss became NaN");
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: terminate_run ROOT N handler|nohandler\n");
    return 2;
  }
  const bool handler = std::strcmp(argv[3], "handler") == 0;
  if (handler) wb::install_terminate_handler(std::chrono::seconds(60));
  const long n = std::atol(argv[2]);
  auto opts = wb::RunOptions()
                  .mode(WB_MODE_ONLINE)
                  .project("wbm-terminate")
                  .name(handler ? "terminate-handler" : "terminate-nohandler")
                  .disable_stats(true)
                  .finish_timeout_ms(600000);  // the handler's own timeout applies
  auto opened = wb::Run::try_open(argv[1], opts);
  if (!opened.ok()) {
    std::fprintf(stderr, "terminate_run: open: %s\n", opened.error().message());
    return 2;
  }
  wb::Run run = std::move(opened).value();
  wb::Result<wb::String> url = run.try_url();
  for (int i = 0; i < 3000 && !url.ok(); i++) {
    if (url.error().code() != WB_ERR_STATE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    url = run.try_url();
  }
  if (!url.ok()) {
    std::fprintf(stderr, "terminate_run: url: %s\n", url.error().message());
    return 2;
  }
  std::printf("URL %s\nENTITY %s\nDIR %s\n", url.value().c_str(), run.entity().c_str(), run.dir_path().c_str());
  std::fflush(stdout);
  for (long i = 0; i <= n; i++) {
    train_step(i, n);  // throws at i == n: nothing catches it
    wb::Row row;
    row.set("i", static_cast<double>(i));
    run.log(row);
    if (i == n - 1) run.flush();
  }
  run.finish(0);  // never reached
  return 0;
}
