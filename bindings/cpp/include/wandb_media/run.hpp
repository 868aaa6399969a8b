// wandb_media/run.hpp — runs: RunOptions, Artifact, Metric, Run, ConsoleBuf (part of the C++17 wrapper; included by
// <wandb_media.hpp>, which is what programs include: this file is not meant to be included
// on its own).
#ifndef WANDB_MEDIA_RUN_HPP
#define WANDB_MEDIA_RUN_HPP
#ifndef WANDB_MEDIA_HPP_PARTS
#error "include <wandb_media.hpp>, not its parts"
#endif

#include "terminate.hpp"  // the registry of open runs (install_terminate_handler)

namespace wb {

// ------------------------------------------------------------------------------------------
// Runs (offline, online, disabled)
// ------------------------------------------------------------------------------------------

/// `wandb.init` arguments (strings are borrowed: keep them alive until Run::open returns).
struct RunOptions {
  wb_run_options c = wb_run_options_default();
  RunOptions& project(const char* v) noexcept { return set(c.project, v); }
  RunOptions& entity(const char* v) noexcept { return set(c.entity, v); }
  RunOptions& name(const char* v) noexcept { return set(c.name, v); }
  RunOptions& id(const char* v) noexcept { return set(c.id, v); }
  /// A JSON object, e.g. `{"lr":0.001}`.
  RunOptions& config_json(const char* v) noexcept { return set(c.config_json, v); }
  /// A JSON array of strings.
  RunOptions& tags_json(const char* v) noexcept { return set(c.tags_json, v); }
  RunOptions& group(const char* v) noexcept { return set(c.group, v); }
  RunOptions& job_type(const char* v) noexcept { return set(c.job_type, v); }
  RunOptions& notes(const char* v) noexcept { return set(c.notes, v); }
  RunOptions& fsync(wb_fsync_policy f) noexcept {
    c.fsync = f;
    return *this;
  }
  /// Records are appended by a writer thread; flush() waits for it.
  RunOptions& async_mode(bool v, std::size_t queue_depth = 0) noexcept {
    c.async_mode = v;
    c.queue_depth = queue_depth;
    return *this;
  }
  /// WB_MODE_AUTO (default: WANDB_MODE, else online with an API key), WB_MODE_OFFLINE,
  /// WB_MODE_ONLINE or WB_MODE_DISABLED.
  RunOptions& mode(wb_run_mode m) noexcept {
    c.mode = m;
    return *this;
  }
  /// Online: server URL (default WANDB_BASE_URL, else https://api.wandb.ai).
  RunOptions& base_url(const char* v) noexcept { return set(c.base_url, v); }
  /// Online: API key (default WANDB_API_KEY, else ~/.netrc).
  RunOptions& api_key(const char* v) noexcept { return set(c.api_key, v); }
  /// Online: resume=never/allow/must (default WANDB_RESUME, else never).
  RunOptions& resume(wb_resume r) noexcept {
    c.resume = r;
    return *this;
  }
  /// Online: how long finish() waits for uploads (0 = 10 minutes).
  RunOptions& finish_timeout_ms(uint64_t ms) noexcept {
    c.finish_timeout_ms = ms;
    return *this;
  }
  /// No system-metrics sampler thread (default: one, writing `stats` records).
  RunOptions& disable_stats(bool v = true) noexcept {
    c.disable_stats = v;
    return *this;
  }
  /// System-metrics sampling interval (0 = 15000 ms, the SDK's default; minimum 100).
  RunOptions& stats_interval_ms(uint32_t ms) noexcept {
    c.stats_interval_ms = ms;
    return *this;
  }
  /// Console log: WB_CONSOLE_AUTO (default: WANDB_CONSOLE, else WB_CONSOLE_WRAP),
  /// WB_CONSOLE_OFF, WB_CONSOLE_WRAP (only Run::console_write / ConsoleBuf) or
  /// WB_CONSOLE_REDIRECT (fds 1 and 2 captured and teed: std::cout, printf, children).
  RunOptions& console(wb_console_mode m) noexcept {
    c.console = m;
    return *this;
  }
  /// WB_MODE_SHARED / WB_MODE_SHARED_OFFLINE: this writer's label (default WANDB_X_LABEL,
  /// else rank<N> from RANK/OMPI_COMM_WORLD_RANK/PMI_RANK/SLURM_PROCID, else host-<random>).
  RunOptions& label(const char* v) noexcept { return set(c.label, v); }
  /// Shared mode: x_primary (default WANDB_X_PRIMARY, else true).
  RunOptions& primary(bool v) noexcept {
    c.primary = v ? WB_FLAG_TRUE : WB_FLAG_FALSE;
    return *this;
  }
  /// Shared mode: x_update_finish_state (default WANDB_X_UPDATE_FINISH_STATE, else true).
  RunOptions& update_finish_state(bool v) noexcept {
    c.update_finish_state = v ? WB_FLAG_TRUE : WB_FLAG_FALSE;
    return *this;
  }

 private:
  RunOptions& set(const char*& field, const char* v) noexcept {
    field = v;
    return *this;
  }
};

/// Uploads a run directory like `wandb sync` (then marks it synced; a synced run is
/// skipped). Only base_url, api_key and finish_timeout_ms of `opts` are used.
inline Result<void> try_sync_run(CStr run_dir, const RunOptions& opts = {}) noexcept {
  detail::CallError e;
  return detail::status(wb_run_sync(run_dir.c_str(), &opts.c, e.ptr()), e);
}
#if WB_CPP_EXCEPTIONS
inline void sync_run(CStr run_dir, const RunOptions& opts = {}) { try_sync_run(run_dir, opts).value(); }
#endif
namespace detail {
struct ArtifactFree {
  void operator()(wb_artifact* p) const noexcept { wb_artifact_free(p); }
};
}  // namespace detail

/// A generic artifact (`wandb.Artifact(name, type)`), logged with `Run::log_artifact`.
/// Files are read when it is logged. RAII; movable, not copyable.
class Artifact {
 public:
  Artifact() noexcept = default;
  explicit Artifact(wb_artifact* adopt) noexcept : p_(adopt) {}
  static Result<Artifact> try_create(CStr name, CStr type) noexcept {
    detail::CallError e;
    wb_artifact* out = nullptr;
    if (wb_artifact_new(name.c_str(), type.c_str(), &out, e.ptr()) != WB_OK) return e.error();
    return Artifact(out);
  }
  Result<void> try_set_description(CStr d) noexcept {
    detail::CallError e;
    return detail::status(wb_artifact_set_description(p_.get(), d.c_str(), e.ptr()), e);
  }
  /// A JSON object, e.g. `{"epoch":3}`.
  Result<void> try_set_metadata_json(CStr json) noexcept {
    detail::CallError e;
    return detail::status(wb_artifact_set_metadata_json(p_.get(), json.c_str(), e.ptr()), e);
  }
  /// `name`: the entry's path in the artifact (nullptr = the file name).
  Result<void> try_add_file(CStr path, const char* name = nullptr) noexcept {
    detail::CallError e;
    return detail::status(wb_artifact_add_file(p_.get(), path.c_str(), name, e.ptr()), e);
  }
  /// Every file below `dir`, as `<name>/<relative path>` (nullptr: at the root).
  Result<void> try_add_dir(CStr dir, const char* name = nullptr) noexcept {
    detail::CallError e;
    return detail::status(wb_artifact_add_dir(p_.get(), dir.c_str(), name, e.ptr()), e);
  }
#if WB_CPP_EXCEPTIONS
  static Artifact create(CStr name, CStr type) { return try_create(name, type).value(); }
  Artifact& description(CStr d) {
    try_set_description(d).value();
    return *this;
  }
  Artifact& metadata_json(CStr json) {
    try_set_metadata_json(json).value();
    return *this;
  }
  Artifact& add_file(CStr path, const char* name = nullptr) {
    try_add_file(path, name).value();
    return *this;
  }
  Artifact& add_dir(CStr dir, const char* name = nullptr) {
    try_add_dir(dir, name).value();
    return *this;
  }
#endif
  wb_artifact* get() const noexcept { return p_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 private:
  std::unique_ptr<wb_artifact, detail::ArtifactFree> p_;
};

/// The keyword arguments of `run.define_metric` (builder; strings must outlive the call).
struct MetricOptions {
  wb_metric_options c = wb_metric_options_default();
  /// `summary=` flags.
  enum Summary : uint32_t {
    kMin = WB_METRIC_SUMMARY_MIN,
    kMax = WB_METRIC_SUMMARY_MAX,
    kMean = WB_METRIC_SUMMARY_MEAN,
    kLast = WB_METRIC_SUMMARY_LAST,
    kFirst = WB_METRIC_SUMMARY_FIRST,
    kNone = WB_METRIC_SUMMARY_NONE,
  };
  /// `step_metric=`: the x-axis key (e.g. "epoch", "frame", "env_step").
  MetricOptions& step_metric(const char* v) noexcept {
    c.step_metric = v;
    return *this;
  }
  /// `summary=`: e.g. `MetricOptions::kMin | MetricOptions::kMax`.
  MetricOptions& summary(uint32_t flags) noexcept {
    c.summary = flags;
    return *this;
  }
  MetricOptions& step_sync(bool v) noexcept {
    c.step_sync = v ? 1 : 0;
    return *this;
  }
  MetricOptions& hidden(bool v = true) noexcept {
    c.hidden = v;
    return *this;
  }
  MetricOptions& overwrite(bool v = true) noexcept {
    c.overwrite = v;
    return *this;
  }
  MetricOptions& goal(wb_metric_goal g) noexcept {
    c.goal = g;
    return *this;
  }
};

/// A run: offline (`<root>/wandb/offline-run-…/`, uploadable with `wandb sync` or
/// `wandb-media sync`), online (`<root>/wandb/run-…/`, uploaded live; the same log is
/// written) or disabled, as `RunOptions::mode` (default: `WANDB_MODE`, else online with an
/// API key, else offline). log,
/// summary/config updates and flush may be called from many threads at once; finish(),
/// close() and the destructor after all other calls returned.
///
/// Ending a run: call `finish(exit_code)` (or `close()`) to learn whether the exit record
/// was written — both report failure (throw, or return an Error from the try_ forms). If
/// neither was called, the destructor finishes the run with exit code 1 when it runs while
/// an exception thrown after the Run was constructed is unwinding (a crashed run is shown
/// as failed, as the SDK does), else 0. The destructor never throws: a failed implicit
/// finish is reported through the log handler (wb::set_log_handler; default stderr).
///
/// An exception that nothing catches does not unwind: std::terminate runs without calling
/// destructors (the standard leaves the unwinding to the implementation; GCC and Clang do
/// not unwind), so ~Run never runs, the exit record is never written and an online run stays
/// "running" on the server (its directory still holds every row for `wandb-media sync`).
/// Catch in main so the stack unwinds and ~Run finishes the run with exit code 1:
///
///     int main() try {
///       wb::Run run = wb::Run::open("out", opts);
///       train(run);                    // may throw
///       run.finish(0);
///       return 0;
///     } catch (const std::exception& e) {
///       std::fprintf(stderr, "%s\n", e.what());  // run was finished with exit code 1
///       return 1;
///     }
///
/// For what main cannot catch (exceptions escaping other threads, noexcept violations),
/// call wb::install_terminate_handler() early: it finishes every open Run with exit code 1
/// (bounded wait for uploads) before the previous handler aborts.
/// What an online run's upload is doing (Run::upload_status; see wb_run_upload_status).
struct UploadStatus {
  wb_upload_status c;
  UploadStatus() noexcept : c(wb_upload_status_default()) {}
  /// WB_UPLOAD_OFFLINE, _CONNECTING, _UPLOADING, _UP_TO_DATE, _RETRYING, _FAILED, _FINISHED.
  wb_upload_state state() const noexcept { return c.state; }
  /// The HTTP status of the refusal that stopped uploading (401, 404, …); 0 when none.
  uint32_t http_status() const noexcept { return c.http_status; }
  uint64_t rows_sent() const noexcept { return c.rows_sent; }
  uint64_t rows_pending() const noexcept { return c.rows_pending; }
  uint64_t files_sent() const noexcept { return c.files_sent; }
  uint64_t files_pending() const noexcept { return c.files_pending; }
  /// Unix time (s) since which requests fail; 0 while the server is reachable.
  int64_t unreachable_since() const noexcept { return c.unreachable_since; }
  /// Why uploading fails or retries, with the likely fix; empty when all is well.
  const char* last_error() const noexcept { return c.last_error; }
};

class Run {
 public:
  /// `run.log` step/commit defaults.
  static constexpr int64_t kNoStep = WB_RUN_STEP_NONE;
  static constexpr int32_t kCommitDefault = WB_RUN_COMMIT_DEFAULT;
  static constexpr int32_t kCommitFalse = WB_RUN_COMMIT_FALSE;
  static constexpr int32_t kCommitTrue = WB_RUN_COMMIT_TRUE;

  Run() noexcept = default;
  explicit Run(wb_run* adopt) noexcept : p_(adopt) { detail::register_run(p_); }
  Run(Run&& o) noexcept : p_(o.p_), finished_(o.finished_), uncaught_(o.uncaught_) { o.p_ = nullptr; }
  Run& operator=(Run&& o) noexcept {
    if (this != &o) {
      end_implicitly();
      p_ = o.p_;
      finished_ = o.finished_;
      uncaught_ = o.uncaught_;
      o.p_ = nullptr;
    }
    return *this;
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() { end_implicitly(); }

  static Result<Run> try_open(CStr root_dir, const RunOptions& opts = {}) noexcept {
    detail::CallError e;
    wb_run* out = nullptr;
    if (wb_run_open(root_dir.c_str(), &opts.c, &out, e.ptr()) != WB_OK) return e.error();
    return Run(out);
  }
  /// `run.log(row, step=, commit=)`; step kNoStep or >= 0; commit kCommitDefault,
  /// kCommitFalse or kCommitTrue. A step below the current one is dropped with a warning
  /// through the log handler, as the SDK does.
  Result<void> try_log(Dict& row, int64_t step = kNoStep, int32_t commit = kCommitDefault) noexcept {
    if (auto r = row.ensure(); !r.ok()) return r;
    detail::CallError e;
    return detail::status(wb_run_log(p_, row.get(), step, commit, e.ptr()), e);
  }
  /// `run.summary.update(dict)`.
  Result<void> try_summary_update(Dict& dict) noexcept {
    if (auto r = dict.ensure(); !r.ok()) return r;
    detail::CallError e;
    return detail::status(wb_run_summary_update(p_, dict.get(), e.ptr()), e);
  }
  /// `run.config.update(dict)` (plain values).
  Result<void> try_config_update(Dict& dict) noexcept {
    if (auto r = dict.ensure(); !r.ok()) return r;
    detail::CallError e;
    return detail::status(wb_run_config_update(p_, dict.get(), e.ptr()), e);
  }
  Result<void> try_config_update_json(CStr json) noexcept {
    detail::CallError e;
    return detail::status(wb_run_config_update_json(p_, json.c_str(), e.ptr()), e);
  }
  Result<void> try_flush() noexcept {
    detail::CallError e;
    return detail::status(wb_run_flush(p_, e.ptr()), e);
  }
  /// `run.finish(exit_code)`: commits the pending row, writes the exit record and closes the
  /// log. Once only (a second call is WB_ERR_STATE); the destructor then only frees.
  Result<void> try_finish(int32_t exit_code = 0) noexcept {
    detail::CallError e;
    const wb_status st = wb_run_finish(p_, exit_code, e.ptr());
    if (p_) finished_ = true;  // the library marks the run finished even when the write failed
    return detail::status(st, e);
  }
  /// Finishes the run with exit code 0 unless finish() was called, and releases the handle
  /// (also on error). Reports whether that finish worked. The Run is empty afterwards.
  Result<void> try_close() noexcept {
    wb_run* p = p_;
    p_ = nullptr;
    detail::unregister_run(p);
    detail::CallError e;
    return detail::status(wb_run_free(p, e.ptr()), e);
  }
  /// `run.define_metric(name, …)`; `name` may end with `*` (a prefix glob).
  Result<void> try_define_metric(CStr name, const MetricOptions& opts = {}) noexcept {
    detail::CallError e;
    return detail::status(wb_run_define_metric(p_, name.c_str(), &opts.c, e.ptr()), e);
  }
  /// `run.save(glob, base_path=, policy=)`: links the matches into the run's files and
  /// announces them for upload; returns how many files were saved.
  Result<std::size_t> try_save(CStr glob, const char* base_path = nullptr, wb_save_policy policy = WB_SAVE_LIVE) noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_run_save(p_, glob.c_str(), base_path, policy, &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  /// `run.log_artifact(artifact, aliases=)` ("latest" is always added).
  Result<void> try_log_artifact(const Artifact& a, std::initializer_list<const char*> aliases = {}) noexcept {
    detail::CallError e;
    return detail::status(wb_run_log_artifact(p_, a.get(), aliases.begin(), aliases.size(), e.ptr()), e);
  }
  /// Aliases as an array of C strings (e.g. from a `std::vector<const char*>`).
  Result<void> try_log_artifact(const Artifact& a, const char* const* aliases, std::size_t n) noexcept {
    detail::CallError e;
    return detail::status(wb_run_log_artifact(p_, a.get(), aliases, n, e.ptr()), e);
  }
  /// Appends console output to the run's console log (`output_raw`, output.log, the Logs
  /// tab); see wb_run_console_write. ConsoleBuf wraps it as a std::streambuf.
  Result<void> try_console_write(wb_console_stream stream, const void* data, std::size_t len) noexcept {
    detail::CallError e;
    return detail::status(
        wb_run_console_write(p_, stream, static_cast<const uint8_t*>(data), len, e.ptr()), e);
  }
  Result<String> try_id() const noexcept { return get_string(wb_run_id); }
  /// Async mode: calls that returned OK but whose records were lost to a write error.
  Result<uint64_t> try_lost_calls() const noexcept {
    detail::CallError e;
    uint64_t n = 0;
    if (auto r = detail::status(wb_run_lost_calls(p_, &n, e.ptr()), e); !r.ok()) return r.error();
    return n;
  }
  /// `<root>/wandb/offline-run-…-<id>` (offline) or `<root>/wandb/run-…-<id>` (online):
  /// what `wandb sync` and `wandb-media sync` take.
  Result<String> try_dir_path() const noexcept { return get_string(wb_run_dir_path); }
  /// The files directory (`run.dir`): media paths in rows are relative to it.
  Result<String> try_files_dir() const noexcept { return get_string(wb_run_files_dir); }
  /// The run's page in the W&B app (`run.url`), once the server created the run (online);
  /// WB_ERR_UNSUPPORTED offline/disabled, WB_ERR_STATE not yet known (see wb_run_url).
  Result<String> try_url() const noexcept { return get_string(wb_run_url); }
  /// The entity the server recorded the run under (`run.entity`); errors as try_url.
  Result<String> try_entity() const noexcept { return get_string(wb_run_entity); }
  /// try_finish waiting at most `timeout_ms` for uploads (see wb_run_finish_within).
  Result<void> try_finish_within(int32_t exit_code, uint64_t timeout_ms) noexcept {
    detail::CallError e;
    const wb_status st = wb_run_finish_within(p_, exit_code, timeout_ms, e.ptr());
    if (p_) finished_ = true;
    return detail::status(st, e);
  }
  /// What the upload is doing (online runs; offline/disabled: WB_UPLOAD_OFFLINE). Never
  /// blocks on the network; thread-safe, also while other threads log and after finish.
  Result<UploadStatus> try_upload_status() const noexcept {
    detail::CallError e;
    UploadStatus st;
    if (auto r = detail::status(wb_run_upload_status(p_, &st.c, e.ptr()), e); !r.ok()) return r.error();
    return st;
  }

#if WB_CPP_EXCEPTIONS
  static Run open(CStr root_dir, const RunOptions& opts = {}) { return try_open(root_dir, opts).value(); }
  Run& log(Dict& row, int64_t step = kNoStep, int32_t commit = kCommitDefault) {
    try_log(row, step, commit).value();
    return *this;
  }
  Run& summary_update(Dict& dict) {
    try_summary_update(dict).value();
    return *this;
  }
  Run& config_update(Dict& dict) {
    try_config_update(dict).value();
    return *this;
  }
  Run& config_update_json(CStr json) {
    try_config_update_json(json).value();
    return *this;
  }
  Run& define_metric(CStr name, const MetricOptions& opts = {}) {
    try_define_metric(name, opts).value();
    return *this;
  }
  std::size_t save(CStr glob, const char* base_path = nullptr, wb_save_policy policy = WB_SAVE_LIVE) {
    return try_save(glob, base_path, policy).value();
  }
  Run& log_artifact(const Artifact& a, std::initializer_list<const char*> aliases = {}) {
    try_log_artifact(a, aliases).value();
    return *this;
  }
  void flush() { try_flush().value(); }
  Run& console_write(wb_console_stream stream, std::string_view text) {
    try_console_write(stream, text.data(), text.size()).value();
    return *this;
  }
  void finish(int32_t exit_code = 0) { try_finish(exit_code).value(); }
  void close() { try_close().value(); }
  String id() const { return try_id().value(); }
  uint64_t lost_calls() const { return try_lost_calls().value(); }
  String dir_path() const { return try_dir_path().value(); }
  String files_dir() const { return try_files_dir().value(); }
  String url() const { return try_url().value(); }
  String entity() const { return try_entity().value(); }
  void finish_within(int32_t exit_code, uint64_t timeout_ms) { try_finish_within(exit_code, timeout_ms).value(); }
  UploadStatus upload_status() const { return try_upload_status().value(); }
#endif

  wb_run* get() const noexcept { return p_; }
  /// Gives up ownership: the caller finishes and frees the handle with the C API.
  wb_run* release() noexcept {
    wb_run* p = p_;
    p_ = nullptr;
    detail::unregister_run(p);
    return p;
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  Result<String> get_string(wb_status (*f)(const wb_run*, char**, wb_error*)) const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (f(p_, &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  /// The destructor's (and move-assignment's) end of the run: exit code 1 while an
  /// exception that started after construction unwinds, else 0; failures are reported.
  void end_implicitly() noexcept {
    if (!p_) return;
    wb_run* p = p_;
    p_ = nullptr;
    detail::unregister_run(p);
    detail::CallError e;
    if (!finished_ && std::uncaught_exceptions() > uncaught_) {
      if (wb_run_finish(p, 1, e.ptr()) != WB_OK) {
        char msg[WB_ERROR_MESSAGE_SIZE + 96];
        std::snprintf(msg, sizeof msg, "finishing the run with exit code 1 while an exception unwinds failed: %s",
                      e.e.message);
        detail::report(LogLevel::Error, msg);
      }
    }
    // Finishes with exit code 0 if still needed; the library reports a failure through the
    // log handler itself.
    (void)wb_run_free(p, nullptr);
  }

  wb_run* p_ = nullptr;
  bool finished_ = false;
  int uncaught_ = std::uncaught_exceptions();  // exceptions in flight at construction
};

/// A std::streambuf that sends what is written to it to a run's console log (a log sink for
/// hosts with their own logger), optionally also to another streambuf (tee):
///
///     wb::ConsoleBuf buf(run.get(), WB_CONSOLE_STDOUT, std::cout.rdbuf());
///     std::ostream log(&buf);                 // or: std::clog.rdbuf(&buf);
///     log << "epoch " << 3 << " loss " << 0.25 << "\n";
///
/// Lines are handed over at each '\n' (and at flush/sync); a run error is reported once
/// through the log handler and further output still goes to the tee. Not thread-safe (as a
/// std::streambuf); the run must outlive it. The destructor flushes.
class ConsoleBuf : public std::streambuf {
 public:
  ConsoleBuf(wb_run* run, wb_console_stream stream, std::streambuf* tee = nullptr) noexcept
      : run_(run), stream_(stream), tee_(tee) {}
  ConsoleBuf(const ConsoleBuf&) = delete;
  ConsoleBuf& operator=(const ConsoleBuf&) = delete;
  ~ConsoleBuf() override { send(); }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    if (tee_ && traits_type::eq_int_type(tee_->sputc(c), traits_type::eof())) tee_ = nullptr;
    line_.push_back(c);
    if (c == '\n' || line_.size() >= 8192) send();
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (tee_ && tee_->sputn(s, n) != n) tee_ = nullptr;
    line_.append(s, static_cast<std::size_t>(n));
    if (line_.find('\n') != std::string::npos || line_.size() >= 8192) send();
    return n;
  }
  int sync() override {
    send();
    if (tee_) tee_->pubsync();
    return 0;
  }

 private:
  void send() noexcept {
    if (line_.empty() || !run_) return;
    wb_error err{};
    if (wb_run_console_write(run_, stream_, reinterpret_cast<const uint8_t*>(line_.data()), line_.size(), &err) != WB_OK) {
      if (!reported_) std::fprintf(stderr, "wandb-media: console log: %s\n", err.message);
      reported_ = true;
    }
    line_.clear();
  }
  wb_run* run_;
  wb_console_stream stream_;
  std::streambuf* tee_;
  std::string line_;
  bool reported_ = false;
};


}  // namespace wb

#endif  // WANDB_MEDIA_RUN_HPP
