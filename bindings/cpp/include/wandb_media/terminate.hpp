// wandb_media/terminate.hpp — open runs at std::terminate: the registry of open wb::Run
// handles and the opt-in terminate handler (part of the C++17 wrapper; included by
// wandb_media/run.hpp through <wandb_media.hpp>, which is what programs include: this file
// is not meant to be included on its own).
#ifndef WANDB_MEDIA_TERMINATE_HPP
#define WANDB_MEDIA_TERMINATE_HPP
#ifndef WANDB_MEDIA_HPP_PARTS
#error "include <wandb_media.hpp>, not its parts"
#endif

#include <atomic>
#include <chrono>
#include <thread>

namespace wb {

// ------------------------------------------------------------------------------------------
// Uncaught exceptions (issue 23, item 4)
// ------------------------------------------------------------------------------------------

namespace detail {

/// The handles of every open wb::Run of the program (registered by Run's constructor,
/// removed before the handle is freed or released), for the terminate handler. One per
/// program (an inline function's static: shared by every translation unit that includes the
/// wrapper; with -fvisibility=hidden each shared library has its own). Never destroyed, so a
/// Run with static storage duration can still unregister at exit.
struct RunRegistry {
  std::mutex mu;
  std::vector<wb_run*> runs;
  std::terminate_handler previous = nullptr;
  std::atomic<uint64_t> timeout_ms{10000};
  std::atomic<bool> installed{false};
  /// The thread finishing the runs at terminate (a second thread waits for the abort).
  std::atomic<bool> terminating{false};
  std::atomic<std::thread::id> terminating_thread{};
};

inline RunRegistry& run_registry() noexcept {
  static RunRegistry* r = new RunRegistry();  // never freed (see RunRegistry)
  return *r;
}

inline void register_run(wb_run* p) noexcept {
  if (!p) return;
  RunRegistry& r = run_registry();
#if WB_CPP_EXCEPTIONS
  try {
#endif
    std::lock_guard<std::mutex> lock(r.mu);
    r.runs.push_back(p);
#if WB_CPP_EXCEPTIONS
  } catch (...) {
    // Out of memory: this run is only not finished by the terminate handler.
  }
#endif
}

inline void unregister_run(wb_run* p) noexcept {
  if (!p) return;
  RunRegistry& r = run_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (std::size_t i = 0; i < r.runs.size(); i++) {
    if (r.runs[i] == p) {
      r.runs[i] = r.runs.back();
      r.runs.pop_back();
      break;
    }
  }
}

}  // namespace detail

/// Finishes every open wb::Run of the program (registered while a wb::Run owns its handle)
/// with `exit_code`, waiting at most `timeout` in total for their uploads (online runs; what
/// is not sent by then stays in the run directory for `wandb-media sync`); the handles stay
/// owned by their wb::Run objects (their destructors then only free them). Returns how many
/// runs this call finished (runs already finished are skipped). For a program's own failure
/// paths (a signal handler that can afford it, a fatal-error hook); the terminate handler
/// below calls it.
///
/// Thread-safety: may be called from any thread, also while other threads are inside calls
/// on those runs (their later calls fail with WB_ERR_STATE; the library stays memory-safe);
/// a wb::Run destroyed concurrently waits until this returns. Waits at most 1 s for the
/// registry's lock (then finishes nothing and says so through the log handler).
inline std::size_t finish_open_runs(int32_t exit_code, std::chrono::milliseconds timeout) noexcept {
  using clock = std::chrono::steady_clock;
  detail::RunRegistry& r = detail::run_registry();
  std::unique_lock<std::mutex> lock(r.mu, std::defer_lock);
  const auto lock_until = clock::now() + std::chrono::seconds(1);
  while (!lock.try_lock()) {
    if (clock::now() > lock_until) {
      detail::report(LogLevel::Error, "finish_open_runs: the run registry stayed locked for 1 s; no run finished");
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto deadline = clock::now() + timeout;
  std::size_t finished = 0;
  for (wb_run* p : r.runs) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    // Every run gets at least a moment to write its exit record and send what is quick.
    const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(left.count(), 100));
    wb_error e{};
    const wb_status st = wb_run_finish_within(p, exit_code, ms, &e);
    if (st == WB_OK) {
      finished++;
    } else if (st != WB_ERR_STATE) {  // WB_ERR_STATE: finished already
      finished++;                      // the exit record is written; the upload is incomplete
      char msg[WB_ERROR_MESSAGE_SIZE + 64];
      std::snprintf(msg, sizeof msg, "finishing an open run at terminate: %s", e.message);
      detail::report(LogLevel::Error, msg);
    }
  }
  return finished;
}

namespace detail {

[[noreturn]] inline void terminate_handler() noexcept {
  RunRegistry& r = run_registry();
  const std::thread::id me = std::this_thread::get_id();
  bool expected = false;
  if (r.terminating.compare_exchange_strong(expected, true)) {
    r.terminating_thread.store(me);
    const std::size_t n = finish_open_runs(1, std::chrono::milliseconds(r.timeout_ms.load()));
    if (n > 0) {
      char msg[160];
      std::snprintf(msg, sizeof msg,
                    "std::terminate (an uncaught exception?): finished %zu open run(s) with exit code 1", n);
      report(LogLevel::Error, msg);
    }
  } else if (r.terminating_thread.load() != me) {
    // Another thread is finishing the runs and will end the process.
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // The previous handler (e.g. libstdc++'s verbose handler, which prints the exception
  // and aborts), else abort.
  std::terminate_handler prev = r.previous;
  if (prev && prev != &terminate_handler) prev();
  std::abort();
}

}  // namespace detail

/// Opt-in: installs a std::terminate handler that finishes every open wb::Run with exit code
/// 1 — the server then shows the run as failed, with every row logged before — waiting at
/// most `upload_timeout` in total for uploads, then calls the handler that was installed
/// before (libstdc++'s prints the uncaught exception) or std::abort. Why: an exception that
/// nothing catches calls std::terminate *without unwinding the stack* (implementations may
/// skip it), so ~Run never runs and an online run stays "running" on the server (its
/// directory keeps everything for `wandb-media sync`). Catching in main (see Run) is the
/// portable fix; this handler covers the rest (uncaught exceptions in other threads,
/// noexcept violations). Call it once, early in main; calling it again only updates the
/// timeout. Not async-signal-safe: it does not handle signals (SIGSEGV, SIGKILL).
/// Thread-safe.
inline void install_terminate_handler(std::chrono::milliseconds upload_timeout = std::chrono::seconds(10)) noexcept {
  detail::RunRegistry& r = detail::run_registry();
  r.timeout_ms.store(static_cast<uint64_t>(std::max<int64_t>(upload_timeout.count(), 0)));
  std::lock_guard<std::mutex> lock(r.mu);
  if (!r.installed.exchange(true)) r.previous = std::set_terminate(&detail::terminate_handler);
}

}  // namespace wb

#endif  // WANDB_MEDIA_TERMINATE_HPP
