// wandb_media/weave.hpp — Weave traces: wb::weave::Client and Call (part of the C++17 wrapper; included by
// <wandb_media.hpp>, which is what programs include: this file is not meant to be included
// on its own).
#ifndef WANDB_MEDIA_WEAVE_HPP
#define WANDB_MEDIA_WEAVE_HPP
#ifndef WANDB_MEDIA_HPP_PARTS
#error "include <wandb_media.hpp>, not its parts"
#endif

namespace wb {

// ------------------------------------------------------------------------------------------
// Weave traces
// ------------------------------------------------------------------------------------------

/// Weave traces (`weave.init` + `@weave.op` for native code): a Client traces calls of one
/// project; a Call is a scope object that ends its call.
///
///   auto client = wb::weave::Client::open("entity/project");
///   {
///     wb::Dict inputs;
///     inputs.set("step", 3).set("camera", video);
///     auto call = client.call("policy_step", inputs);
///     auto child = client.call("preprocess", step_only, &call);  // nested: same trace
///     child.end(wb::Value::integer(1));
///     call.end(output);            // or leave the scope by an exception: the call ends
///   }                              // with an exception text (see Call::~Call)
///   client.close(30.0);
namespace weave {

/// Options of Client::open (strings are borrowed: keep them alive until open returns).
struct Options {
  wb_weave_options c = wb_weave_options_default();
  /// WB_MODE_AUTO (default: WEAVE_DISABLED / WANDB_MODE, else online with an API key, else
  /// offline), WB_MODE_OFFLINE (spool only, for `wandb-media sync`), WB_MODE_ONLINE,
  /// WB_MODE_DISABLED (no-op).
  Options& mode(wb_run_mode m) noexcept {
    c.mode = m;
    return *this;
  }
  /// Trace server (default WF_TRACE_SERVER_URL, else WANDB_BASE_URL + "/traces", else
  /// https://trace.wandb.ai).
  Options& trace_server_url(const char* v) noexcept { return set(c.trace_server_url, v); }
  /// W&B API for the default entity (default WANDB_BASE_URL, else https://api.wandb.ai).
  Options& base_url(const char* v) noexcept { return set(c.base_url, v); }
  /// Default WANDB_API_KEY, else ~/.netrc.
  Options& api_key(const char* v) noexcept { return set(c.api_key, v); }
  /// Where calls and files are spooled before sending (default ./weave).
  Options& spool_dir(const char* v) noexcept { return set(c.spool_dir, v); }
  /// `wb_run_id` every call carries ("entity/project/run-id"); see Client::set_run.
  Options& wb_run_id(const char* v) noexcept { return set(c.wb_run_id, v); }

 private:
  Options& set(const char*& field, const char* v) noexcept {
    field = v;
    return *this;
  }
};

/// What flush/close report: delivered and pending counts, and why delivery is stuck.
struct Status {
  wb_weave_status c = wb_weave_status_default();
  uint64_t calls_sent() const noexcept { return c.calls_sent; }
  uint64_t calls_pending() const noexcept { return c.calls_pending; }
  uint64_t files_sent() const noexcept { return c.files_sent; }
  uint64_t files_pending() const noexcept { return c.files_pending; }
  bool server_reachable() const noexcept { return c.server_reachable; }
  /// Empty when none, e.g. "authentication failed (401) ...".
  const char* last_error() const noexcept { return c.last_error; }
};

namespace detail {
struct CallFree {
  void operator()(wb_weave_call* p) const noexcept { wb_weave_call_free(p); }
};
struct ClientFree {
  void operator()(wb_weave_client* p) const noexcept { wb_weave_client_free(p); }
};
}  // namespace detail

/// One started call: a move-only scope object. End it with end(output) or
/// end_exception(text); if neither happened when it is destroyed, it ends itself:
///  * while an exception that started after the call unwinds the stack
///    (std::uncaught_exceptions()), with the exception text "<op>: left by a C++ exception
///    while unwinding" — C++ gives a destructor no access to the exception in flight; use
///    Client::trace (or catch and call end_exception(e.what())) to record its what();
///  * otherwise with no output (None), like a Python op that returns nothing.
/// May be ended and destroyed on another thread than the one that started it; not used by
/// two threads at once.
class Call {
 public:
  Call() noexcept = default;
  Call(wb_weave_call* adopt, std::string op) noexcept : p_(adopt), op_(std::move(op)) {}
  Call(Call&& o) noexcept = default;
  Call& operator=(Call&& o) noexcept {
    if (this != &o) {
      end_implicitly();
      p_ = std::move(o.p_);
      op_ = std::move(o.op_);
      ended_ = o.ended_;
      uncaught_ = o.uncaught_;
    }
    return *this;
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  ~Call() { end_implicitly(); }

  /// Ends the call with `output` (an empty Value = None) and an optional summary object.
  Result<void> try_end(const Value& output = Value(), const char* summary_json = nullptr) noexcept {
    return end_c(output.get(), nullptr, summary_json);
  }
  /// Ends the call as failed with `exception` (its text).
  Result<void> try_end_exception(CStr exception, const char* summary_json = nullptr) noexcept {
    return end_c(nullptr, exception.c_str() ? exception.c_str() : "", summary_json);
  }
#if WB_CPP_EXCEPTIONS
  void end(const Value& output = Value(), const char* summary_json = nullptr) {
    try_end(output, summary_json).value();
  }
  void end_exception(CStr exception, const char* summary_json = nullptr) {
    try_end_exception(exception, summary_json).value();
  }
#endif
  /// The call's id / trace id (UUIDv7 text; "" for an empty Call).
  const char* id() const noexcept {
    const char* s = wb_weave_call_id(p_.get());
    return s ? s : "";
  }
  const char* trace_id() const noexcept {
    const char* s = wb_weave_call_trace_id(p_.get());
    return s ? s : "";
  }
  bool ended() const noexcept { return ended_; }
  const std::string& op_name() const noexcept { return op_; }
  wb_weave_call* get() const noexcept { return p_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 private:
  Result<void> end_c(const wb_value* output, const char* exception, const char* summary_json) noexcept {
    if (!p_) return Error(WB_ERR_NULL_ARGUMENT, "wb::weave::Call: empty call");
    ::wb::detail::CallError e;
    const wb_status st = wb_weave_call_end(p_.get(), output, exception, summary_json, e.ptr());
    if (st == WB_OK) ended_ = true;
    return ::wb::detail::status(st, e);
  }
  void end_implicitly() noexcept {
    if (!p_ || ended_) return;
    ::wb::detail::CallError e;
    wb_status st;
    if (std::uncaught_exceptions() > uncaught_) {
      std::string text = op_ + ": left by a C++ exception while unwinding";
      st = wb_weave_call_end(p_.get(), nullptr, text.c_str(), nullptr, e.ptr());
    } else {
      st = wb_weave_call_end(p_.get(), nullptr, nullptr, nullptr, e.ptr());
    }
    if (st != WB_OK) {
      char msg[WB_ERROR_MESSAGE_SIZE + 64];
      std::snprintf(msg, sizeof msg, "ending weave call %s failed: %s", op_.c_str(), e.e.message);
      ::wb::detail::report(LogLevel::Error, msg);
    }
    ended_ = true;
  }

  std::unique_ptr<wb_weave_call, detail::CallFree> p_;
  std::string op_;
  bool ended_ = false;
  int uncaught_ = std::uncaught_exceptions();  // exceptions in flight at construction
};

/// A Weave client for one project. Thread-safe: any thread may start and end calls. Move-only;
/// the destructor frees it without waiting more than ~1 s (undelivered calls stay in the spool
/// for `wandb-media sync`): call close(timeout) to wait for delivery and learn what is pending.
class Client {
 public:
  Client() noexcept = default;
  explicit Client(wb_weave_client* adopt) noexcept : p_(adopt) {}

  /// "entity/project" or "project" (entity: the API key's default entity).
  static Result<Client> try_open(CStr project, const Options& opts = {}) noexcept {
    ::wb::detail::CallError e;
    wb_weave_client* out = nullptr;
    if (wb_weave_client_open(project.c_str(), &opts.c, &out, e.ptr()) != WB_OK) return e.error();
    return Client(out);
  }
  /// Starts a call (a child of `parent`, in its trace, or a new root). `inputs` are copied.
  Result<Call> try_call(CStr op_name, const Dict& inputs = Dict(), const Call* parent = nullptr,
                        const char* attributes_json = nullptr) noexcept {
    ::wb::detail::CallError e;
    wb_weave_call* out = nullptr;
    if (wb_weave_call_start(p_.get(), op_name.c_str(), parent ? parent->get() : nullptr, inputs.get(),
                            attributes_json, &out, e.ptr()) != WB_OK)
      return e.error();
    return Call(out, op_name.c_str() ? op_name.c_str() : "");
  }
  /// Attaches a run: later calls carry its id as `wb_run_id` (nullptr detaches).
  Result<void> try_set_run(const Run* run) noexcept {
    ::wb::detail::CallError e;
    return ::wb::detail::status(wb_weave_client_set_run(p_.get(), run ? run->get() : nullptr, e.ptr()), e);
  }
  /// Waits up to `timeout_seconds` for delivery; WB_ERR_NETWORK names what is pending and
  /// why. `status` (optional) is filled either way.
  Result<void> try_flush(double timeout_seconds, Status* status = nullptr) noexcept {
    ::wb::detail::CallError e;
    return ::wb::detail::status(
        wb_weave_client_flush(p_.get(), timeout_seconds, status ? &status->c : nullptr, e.ptr()), e);
  }
  /// Flushes, then stops the sender (later calls fail with WB_ERR_STATE).
  Result<void> try_close(double timeout_seconds, Status* status = nullptr) noexcept {
    ::wb::detail::CallError e;
    return ::wb::detail::status(
        wb_weave_client_close(p_.get(), timeout_seconds, status ? &status->c : nullptr, e.ptr()), e);
  }

#if WB_CPP_EXCEPTIONS
  static Client open(CStr project, const Options& opts = {}) { return try_open(project, opts).value(); }
  Call call(CStr op_name, const Dict& inputs = Dict(), const Call* parent = nullptr,
            const char* attributes_json = nullptr) {
    return try_call(op_name, inputs, parent, attributes_json).value();
  }
  void set_run(const Run* run) { try_set_run(run).value(); }
  Status flush(double timeout_seconds) {
    Status s;
    try_flush(timeout_seconds, &s).value();
    return s;
  }
  Status close(double timeout_seconds) {
    Status s;
    try_close(timeout_seconds, &s).value();
    return s;
  }
  /// Runs `fn(call)` inside a call: its returned Value is the output; an exception thrown by
  /// `fn` ends the call with the exception's what() and is rethrown.
  template <class F>
  Value trace(CStr op_name, const Dict& inputs, F&& fn, const Call* parent = nullptr) {
    Call c = call(op_name, inputs, parent);
    Value out;
    try {
      out = std::forward<F>(fn)(c);
    } catch (const std::exception& ex) {
      if (!c.ended()) (void)c.try_end_exception(ex.what());
      throw;
    } catch (...) {
      if (!c.ended()) (void)c.try_end_exception("unknown C++ exception");
      throw;
    }
    if (!c.ended()) c.end(out);
    return out;
  }
#endif

  wb_weave_client* get() const noexcept { return p_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 private:
  std::unique_ptr<wb_weave_client, detail::ClientFree> p_;
};

}  // namespace weave

}  // namespace wb

#endif  // WANDB_MEDIA_WEAVE_HPP
