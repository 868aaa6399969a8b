// wandb_media.hpp — header-only C++17 wrapper over the wandb-media C API (wandb_media.h).
//
//   #include <wandb_media.hpp>
//   wb::RunDir dir = wb::RunDir::open("run/files");
//   wb::Row row;
//   row.set("loss", 0.25).set("img", wb::Image::from_u8(pixels, 32, 32, 3));
//   wb::String json = row.to_json(dir, /*step=*/0);     // {"loss":0.25,"img":{...}}
//   wb::String sum = row.to_summary_json(dir);          // run.summary.update(row)
//
// Design
//  * Every handle type is move-only and owns its C handle through std::unique_ptr with the C
//    free function as deleter. Media types (Image, Histogram, ...) derive from wb::Value, so
//    they can be put into a Row/Dict/List directly (the container stores a cheap shared copy;
//    the C++ object stays valid).
//  * Two API styles for every fallible call:
//      - `try_xxx(...)` is noexcept and returns wb::Result<T> (value or wb::Error);
//      - `xxx(...)` returns T and throws wb::Error. These are compiled only when exceptions
//        are enabled (`__cpp_exceptions`), so the header works with -fno-exceptions.
//  * wb::Error derives from std::exception and carries the wb_status code and message
//    (stored inline: no allocation).
//  * Tensors: wb::TensorRef describes caller memory (pointer + shape + strides in elements,
//    libtorch-compatible) without copying; shape/strides are kept in fixed inline arrays.
//    The wrapper itself never allocates; only the C library does.
//  * Thread-safety is that of the C API: values may be read concurrently, not modified
//    concurrently; a RunDir may be used from many threads at once.
#ifndef WANDB_MEDIA_HPP
#define WANDB_MEDIA_HPP

#include <wandb_media.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if !defined(WB_CPP_EXCEPTIONS)
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define WB_CPP_EXCEPTIONS 1
#else
#define WB_CPP_EXCEPTIONS 0
#endif
#endif

namespace wb {

/// The library's runtime version ("major.minor.patch").
inline const char* version() noexcept { return wb_version(); }

/// Whether a library of version `runtime` ("major.minor.patch", default: the loaded
/// library's wb_version()) can serve code compiled against this header: the same major
/// version and, while the major version is 0, the same minor version (0.x releases may
/// change the C API/ABI).
inline bool version_compatible(const char* runtime = wb_version()) noexcept {
  unsigned long parts[2] = {0, 0};
  const char* p = runtime;
  for (int i = 0; i < 2; i++) {
    if (p == nullptr || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') parts[i] = parts[i] * 10 + static_cast<unsigned long>(*p++ - '0');
    if (i == 0 && *p++ != '.') return false;
  }
  if (parts[0] != WB_VERSION_MAJOR) return false;
  return WB_VERSION_MAJOR != 0 || parts[1] == WB_VERSION_MINOR;
}

namespace detail {
// Refuses to run against an incompatible library: checked once per program, before main
// (an inline variable is initialised once across all translation units). Prints why and
// aborts. Define WB_NO_VERSION_CHECK to skip it and call wb::version_compatible() yourself.
inline bool check_version_at_startup() noexcept {
  if (!version_compatible()) {
    const char* v = wb_version();
    std::fprintf(stderr,
                 "wandb_media: incompatible library: this program was compiled against wandb_media.h %s but "
                 "the loaded wandb_media library is %s (the major version, and for 0.x the minor version, "
                 "must match). Rebuild against the header of the library you ship, or ship the library "
                 "matching the header.\n",
                 WB_VERSION_STRING, v ? v : "(unknown)");
    std::abort();
  }
  return true;
}
#if !defined(WB_NO_VERSION_CHECK)
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wglobal-constructors"
#endif
inline const bool version_checked = check_version_at_startup();
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
#endif
}  // namespace detail

// ------------------------------------------------------------------------------------------
// Errors and results
// ------------------------------------------------------------------------------------------

/// An error from the C library (or from argument checks in this wrapper): status code +
/// message, stored inline (no allocation). Thrown by the throwing API, returned inside
/// wb::Result by the try_ API.
class Error : public std::exception {
 public:
  Error() noexcept { clear(); }
  explicit Error(const wb_error& e) noexcept : err_(e) {
    err_.message[WB_ERROR_MESSAGE_SIZE - 1] = '\0';
  }
  Error(wb_status code, const char* message) noexcept {
    err_.code = code;
    std::size_t n = message ? std::strlen(message) : 0;
    if (n > WB_ERROR_MESSAGE_SIZE - 1) n = WB_ERROR_MESSAGE_SIZE - 1;
    if (n) std::memcpy(err_.message, message, n);
    err_.message[n] = '\0';
  }

  /// The status (never WB_OK for a real error).
  wb_status code() const noexcept { return err_.code; }
  /// The message (names the bad argument).
  const char* message() const noexcept { return err_.message; }
  /// The status as text, e.g. "WB_ERR_INVALID_ARGUMENT".
  const char* code_name() const noexcept { return wb_status_name(err_.code); }
  const char* what() const noexcept override { return err_.message; }

  /// The raw C struct, to pass as `err` to a C function directly.
  wb_error* c_error() noexcept { return &err_; }

 private:
  void clear() noexcept {
    err_.code = WB_OK;
    err_.message[0] = '\0';
  }
  wb_error err_;
};

namespace detail {
[[noreturn]] inline void fail(const Error& e) {
#if WB_CPP_EXCEPTIONS
  throw e;
#else
  (void)e;
  std::abort();
#endif
}
}  // namespace detail

/// Either a T or an Error. `value()` on an error throws it (or aborts without exceptions):
/// check `ok()` first when compiling with -fno-exceptions.
template <class T>
class [[nodiscard]] Result {
  static_assert(std::is_nothrow_default_constructible_v<T>, "Result<T> needs a noexcept default constructor");

 public:
  Result(T value) noexcept : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(const Error& error) noexcept : error_(error) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return error_.code() == WB_OK; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const noexcept { return error_; }
  wb_status code() const noexcept { return error_.code(); }

  T& value() & {
    if (!ok()) detail::fail(error_);
    return value_;
  }
  const T& value() const& {
    if (!ok()) detail::fail(error_);
    return value_;
  }
  T&& value() && {
    if (!ok()) detail::fail(error_);
    return std::move(value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  T value_{};
  Error error_{};
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(const Error& error) noexcept : error_(error) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return error_.code() == WB_OK; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const noexcept { return error_; }
  wb_status code() const noexcept { return error_.code(); }
  /// Throws (or aborts without exceptions) if this is an error.
  void value() const {
    if (!ok()) detail::fail(error_);
  }

 private:
  Error error_{};
};

// ------------------------------------------------------------------------------------------
// Small helpers: C strings, owned library strings
// ------------------------------------------------------------------------------------------

/// A borrowed NUL-terminated UTF-8 string: from `const char*` or `const std::string&`
/// (std::string_view is deliberately not accepted: it would need a copy to add the NUL).
class CStr {
 public:
  CStr(const char* s) noexcept : p_(s) {}          // NOLINT(google-explicit-constructor)
  CStr(const std::string& s) noexcept : p_(s.c_str()) {}  // NOLINT(google-explicit-constructor)
  const char* c_str() const noexcept { return p_; }

 private:
  const char* p_;
};

namespace detail {
struct ValueFree {
  void operator()(wb_value* p) const noexcept { wb_value_free(p); }
};
struct RunDirFree {
  void operator()(wb_run_dir* p) const noexcept { wb_run_dir_free(p); }
};
struct StringFree {
  void operator()(char* p) const noexcept { wb_string_free(p); }
};

/// A fresh error struct for one C call.
struct CallError {
  wb_error e;
  CallError() noexcept {
    e.code = WB_OK;
    e.message[0] = '\0';
  }
  wb_error* ptr() noexcept { return &e; }
  Error error() const noexcept { return Error(e); }
};
}  // namespace detail

/// A string owned by the library (JSON text): freed with wb_string_free. Move-only.
class String {
 public:
  String() noexcept = default;
  explicit String(char* adopt) noexcept : p_(adopt) {}
  const char* c_str() const noexcept { return p_ ? p_.get() : ""; }
  std::string_view view() const noexcept { return std::string_view(c_str()); }
  operator std::string_view() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(view()); }
  std::size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return size() == 0; }
  char* release() noexcept { return p_.release(); }
  friend bool operator==(const String& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(std::string_view a, const String& b) noexcept { return a == b.view(); }
  friend bool operator!=(const String& a, std::string_view b) noexcept { return a.view() != b; }

 private:
  std::unique_ptr<char, detail::StringFree> p_;
};

// ------------------------------------------------------------------------------------------
// Diagnostics: the warnings the SDK prints (dropped rows, ...)
// ------------------------------------------------------------------------------------------

/// Severity of a diagnostic (`wb_log_level`).
enum class LogLevel : int { Debug = WB_LOG_DEBUG, Info = WB_LOG_INFO, Warn = WB_LOG_WARN, Error = WB_LOG_ERROR };

/// A diagnostics callback: the level and the message (UTF-8, no `wandb:` prefix, no newline;
/// the view is valid only during the call).
using LogHandler = std::function<void(LogLevel, std::string_view)>;

namespace detail {
struct LogState {
  std::mutex mu;
  std::shared_ptr<const LogHandler> handler;  // null: the library's default (stderr)
  LogLevel min = LogLevel::Warn;
};
inline LogState& log_state() noexcept {
  // One per program (an inline function's static is shared by every TU). Never destroyed,
  // so a Run with static storage duration, or a library thread, may still report during
  // exit.
  static LogState* state = new LogState;
  return *state;
}
inline std::shared_ptr<const LogHandler> current_log_handler() noexcept {
  LogState& st = log_state();
  std::lock_guard<std::mutex> lock(st.mu);
  return st.handler;
}
/// Calls `h` without letting an exception escape (it would cross the C ABI).
inline void call_log_handler(const LogHandler& h, LogLevel level, std::string_view msg) noexcept {
#if WB_CPP_EXCEPTIONS
  try {
    h(level, msg);
  } catch (...) {
    // A throwing handler loses its message; nothing may unwind into the library.
  }
#else
  h(level, msg);
#endif
}
/// The C callback installed by wb::set_log_handler. The callable is looked up (and kept
/// alive by a shared_ptr copy) on every message, so replacing the handler while another
/// thread is inside the old one is safe.
inline void log_trampoline(wb_log_level level, const char* message, void* /*user_data*/) noexcept {
  std::shared_ptr<const LogHandler> h = current_log_handler();
  if (h && *h) call_log_handler(*h, static_cast<LogLevel>(level), message ? std::string_view(message) : std::string_view());
}
/// Reports a message of this wrapper (e.g. a failed implicit finish in ~Run) the way the
/// library reports its own: to the handler installed with wb::set_log_handler, else to
/// stderr as `wandb: ERROR …` unless WANDB_SILENT is true. (A handler installed directly
/// through the C function `wb_set_log_handler` is not reached from here.)
inline void report(LogLevel level, const char* message) noexcept {
  LogState& st = log_state();
  std::shared_ptr<const LogHandler> h;
  LogLevel min;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    h = st.handler;
    min = st.min;
  }
  if (h) {
    if (*h && static_cast<int>(level) >= static_cast<int>(min)) call_log_handler(*h, level, message);
    return;
  }
  if (static_cast<int>(level) < static_cast<int>(LogLevel::Warn)) return;
  if (const char* silent = std::getenv("WANDB_SILENT")) {  // as the library reads it
    char v[8] = {};
    std::size_t n = 0;
    for (const char* c = silent; *c && n < sizeof v - 1; ++c) {
      if (*c == ' ' || *c == '\t' || *c == '\n') continue;
      v[n++] = (*c >= 'A' && *c <= 'Z') ? static_cast<char>(*c - 'A' + 'a') : *c;
    }
    const std::string_view t(v, n);
    if (t == "1" || t == "true" || t == "yes" || t == "on" || t == "y" || t == "t") return;
  }
  std::fprintf(stderr, "wandb: %s%s\n", level == LogLevel::Error ? "ERROR " : "WARNING ", message);
}
}  // namespace detail

/// Routes the library's diagnostics — every warning the SDK would print (a row whose step is
/// below the current one is dropped, …) — at `min` or above to `handler`. An empty
/// `handler` restores the default (warnings to stderr unless WANDB_SILENT). Process-wide
/// and thread-safe; the callable is kept alive while installed (and while a call into it is
/// in flight). It may be called from any thread, also the library's background threads,
/// possibly concurrently: it must be thread-safe and must not call wb::Run methods or
/// set_log_handler. An exception thrown by it is caught and dropped (never crosses the C ABI).
inline Result<void> try_set_log_handler(LogHandler handler, LogLevel min = LogLevel::Warn) noexcept {
  detail::LogState& st = detail::log_state();
  detail::CallError e;
  if (!handler) {
    if (wb_set_log_handler(nullptr, nullptr, static_cast<wb_log_level>(min), e.ptr()) != WB_OK) return e.error();
    std::lock_guard<std::mutex> lock(st.mu);
    st.handler.reset();
    st.min = min;
    return {};
  }
  std::shared_ptr<const LogHandler> h;
#if WB_CPP_EXCEPTIONS
  try {
    h = std::make_shared<const LogHandler>(std::move(handler));
  } catch (...) {
    return Error(WB_ERR_INVALID_ARGUMENT, "set_log_handler: out of memory");
  }
#else
  h = std::make_shared<const LogHandler>(std::move(handler));
#endif
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.handler = std::move(h);
    st.min = min;
  }
  if (wb_set_log_handler(&detail::log_trampoline, nullptr, static_cast<wb_log_level>(min), e.ptr()) != WB_OK) {
    std::lock_guard<std::mutex> lock(st.mu);
    st.handler.reset();
    return e.error();
  }
  return {};
}
#if WB_CPP_EXCEPTIONS
inline void set_log_handler(LogHandler handler, LogLevel min = LogLevel::Warn) {
  try_set_log_handler(std::move(handler), min).value();
}
#endif

// ------------------------------------------------------------------------------------------
// Tensors
// ------------------------------------------------------------------------------------------

/// The wb_dtype of a C++ element type (uint8_t, int8_t, uint16_t, int16_t, int32_t, int64_t,
/// uint32_t, uint64_t, float, double, bool, f16_bits, bf16_bits).
template <class T>
struct dtype_of;
template <> struct dtype_of<uint8_t> { static constexpr wb_dtype value = WB_DTYPE_U8; };
template <> struct dtype_of<int8_t> { static constexpr wb_dtype value = WB_DTYPE_I8; };
template <> struct dtype_of<uint16_t> { static constexpr wb_dtype value = WB_DTYPE_U16; };
template <> struct dtype_of<int16_t> { static constexpr wb_dtype value = WB_DTYPE_I16; };
template <> struct dtype_of<int32_t> { static constexpr wb_dtype value = WB_DTYPE_I32; };
template <> struct dtype_of<int64_t> { static constexpr wb_dtype value = WB_DTYPE_I64; };
template <> struct dtype_of<float> { static constexpr wb_dtype value = WB_DTYPE_F32; };
template <> struct dtype_of<double> { static constexpr wb_dtype value = WB_DTYPE_F64; };
template <> struct dtype_of<bool> { static constexpr wb_dtype value = WB_DTYPE_BOOL; };
template <> struct dtype_of<uint32_t> { static constexpr wb_dtype value = WB_DTYPE_U32; };
template <> struct dtype_of<uint64_t> { static constexpr wb_dtype value = WB_DTYPE_U64; };

/// float16 / bfloat16 elements as raw bits (C++17 has no such types). libtorch data
/// (`c10::Half`, `c10::BFloat16`) can also be passed untyped: `TensorRef(ptr, WB_DTYPE_F16, …)`.
struct f16_bits {
  uint16_t bits;
};
struct bf16_bits {
  uint16_t bits;
};
template <> struct dtype_of<f16_bits> { static constexpr wb_dtype value = WB_DTYPE_F16; };
template <> struct dtype_of<bf16_bits> { static constexpr wb_dtype value = WB_DTYPE_BF16; };

namespace detail {
template <class T, class = void>
struct has_dtype : std::false_type {};
template <class T>
struct has_dtype<T, std::void_t<decltype(dtype_of<T>::value)>> : std::true_type {};

// "span-like": std::data(c) and std::size(c) work (std::vector, std::array, std::span,
// c10::IntArrayRef, ...). Raw arrays are excluded (they decay to pointers instead).
template <class C, class = void>
struct is_span_like : std::false_type {};
template <class C>
struct is_span_like<C, std::void_t<decltype(std::data(std::declval<const C&>())),
                                   decltype(std::size(std::declval<const C&>()))>>
    : std::bool_constant<!std::is_array_v<C>> {};

template <class C>
using span_elem_t = std::remove_cv_t<std::remove_pointer_t<decltype(std::data(std::declval<const C&>()))>>;

template <class C, class = void>
struct is_index_span : std::false_type {};
template <class C>
struct is_index_span<C, std::enable_if_t<is_span_like<C>::value>>
    : std::bool_constant<std::is_integral_v<span_elem_t<C>> && !std::is_same_v<span_elem_t<C>, bool>> {};

template <class C, class = void>
struct is_data_span : std::false_type {};
template <class C>
struct is_data_span<C, std::enable_if_t<is_span_like<C>::value>> : has_dtype<span_elem_t<C>> {};
}  // namespace detail

/// A borrowed view of caller memory (never copied): data pointer, element type, shape and
/// optional strides **in elements** (like libtorch's `strides()`; NULL/empty = C order).
/// Shape and strides are copied into inline arrays, so a TensorRef may outlive the
/// containers they came from — but not the data. ndim above WB_TENSOR_MAX_NDIM, or a
/// shape larger than a source container, is reported when the TensorRef is used.
class TensorRef {
 public:
  /// Untyped: `data` holds elements of `dtype`.
  TensorRef(const void* data, wb_dtype dtype, std::initializer_list<int64_t> shape,
            std::initializer_list<int64_t> strides = {}) noexcept
      : data_(data), dtype_(dtype) {
    set_dims(shape.begin(), shape.size(), strides.begin(), strides.size());
  }

  /// Typed pointer + shape (+ strides): `TensorRef(ptr, {C, H, W})`.
  template <class T, class = std::enable_if_t<detail::has_dtype<std::remove_cv_t<T>>::value>>
  TensorRef(T* data, std::initializer_list<int64_t> shape, std::initializer_list<int64_t> strides = {}) noexcept
      : data_(data), dtype_(dtype_of<std::remove_cv_t<T>>::value) {
    set_dims(shape.begin(), shape.size(), strides.begin(), strides.size());
  }

  /// Typed pointer + span-like shape (e.g. `t.data_ptr<float>(), t.sizes(), t.strides()`).
  template <class T, class Shape,
            class = std::enable_if_t<detail::has_dtype<std::remove_cv_t<T>>::value && detail::is_index_span<Shape>::value>>
  TensorRef(T* data, const Shape& shape) noexcept : data_(data), dtype_(dtype_of<std::remove_cv_t<T>>::value) {
    set_dims(std::data(shape), std::size(shape), static_cast<const int64_t*>(nullptr), 0);
  }
  template <class T, class Shape, class Strides,
            class = std::enable_if_t<detail::has_dtype<std::remove_cv_t<T>>::value && detail::is_index_span<Shape>::value &&
                                     detail::is_index_span<Strides>::value>>
  TensorRef(T* data, const Shape& shape, const Strides& strides) noexcept
      : data_(data), dtype_(dtype_of<std::remove_cv_t<T>>::value) {
    set_dims(std::data(shape), std::size(shape), std::data(strides), std::size(strides));
  }

  /// A contiguous container (std::vector<float>, std::array, std::span, ...) as a 1-D tensor.
  template <class C, class = std::enable_if_t<detail::is_data_span<C>::value>>
  explicit TensorRef(const C& c) noexcept : data_(std::data(c)), dtype_(dtype_of<detail::span_elem_t<C>>::value) {
    const int64_t n = static_cast<int64_t>(std::size(c));
    set_dims(&n, 1, static_cast<const int64_t*>(nullptr), 0);
  }
  /// A contiguous container viewed with a C-order shape (checked against its size).
  template <class C, class = std::enable_if_t<detail::is_data_span<C>::value>>
  TensorRef(const C& c, std::initializer_list<int64_t> shape) noexcept
      : data_(std::data(c)), dtype_(dtype_of<detail::span_elem_t<C>>::value) {
    set_dims(shape.begin(), shape.size(), static_cast<const int64_t*>(nullptr), 0);
    check_fits(static_cast<std::size_t>(std::size(c)));
  }
  template <class C, class Shape,
            class = std::enable_if_t<detail::is_data_span<C>::value && detail::is_index_span<Shape>::value>>
  TensorRef(const C& c, const Shape& shape) noexcept : data_(std::data(c)), dtype_(dtype_of<detail::span_elem_t<C>>::value) {
    set_dims(std::data(shape), std::size(shape), static_cast<const int64_t*>(nullptr), 0);
    check_fits(static_cast<std::size_t>(std::size(c)));
  }

  const void* data() const noexcept { return data_; }
  wb_dtype dtype() const noexcept { return dtype_; }
  std::size_t ndim() const noexcept { return ndim_; }
  const int64_t* shape() const noexcept { return shape_; }
  /// nullptr when C-contiguous.
  const int64_t* strides() const noexcept { return has_strides_ ? strides_ : nullptr; }
  /// nullptr if the description is usable, else why not.
  const char* problem() const noexcept { return problem_; }

  /// The C descriptor (points into this object: keep it alive during the call).
  wb_tensor c_tensor() const noexcept {
    wb_tensor t;
    t.data = data_;
    t.dtype = dtype_;
    t.ndim = ndim_;
    t.shape = ndim_ ? shape_ : nullptr;
    t.strides = strides();
    return t;
  }

 private:
  template <class A, class B>
  void set_dims(const A* shape, std::size_t n, const B* strides, std::size_t ns) noexcept {
    if (n > WB_TENSOR_MAX_NDIM) {
      problem_ = "tensor: ndim exceeds WB_TENSOR_MAX_NDIM (32)";
      return;
    }
    if (ns != 0 && ns != n) {
      problem_ = "tensor: strides and shape have different lengths";
      return;
    }
    ndim_ = n;
    for (std::size_t i = 0; i < n; ++i) shape_[i] = static_cast<int64_t>(shape[i]);
    has_strides_ = ns != 0;
    for (std::size_t i = 0; i < ns; ++i) strides_[i] = static_cast<int64_t>(strides[i]);
  }
  void check_fits(std::size_t available) noexcept {
    if (problem_) return;
    uint64_t n = 1;
    for (std::size_t i = 0; i < ndim_; ++i) {
      if (shape_[i] < 0) return;  // the library reports negative extents
      const uint64_t d = static_cast<uint64_t>(shape_[i]);
      if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) {
        problem_ = "tensor: shape is larger than the container";
        return;
      }
      n *= d;
    }
    if (n > available) problem_ = "tensor: shape is larger than the container";
  }

  const void* data_;
  wb_dtype dtype_;
  std::size_t ndim_ = 0;
  bool has_strides_ = false;
  const char* problem_ = nullptr;
  int64_t shape_[WB_TENSOR_MAX_NDIM] = {};
  int64_t strides_[WB_TENSOR_MAX_NDIM] = {};
};

// ------------------------------------------------------------------------------------------
// Run directory
// ------------------------------------------------------------------------------------------

/// A run's files directory (media are written under it). Thread-safe. Move-only.
class RunDir {
 public:
  RunDir() noexcept = default;
  explicit RunDir(wb_run_dir* adopt) noexcept : p_(adopt) {}

  /// Opens (creating it if needed) `files_dir`.
  static Result<RunDir> try_open(CStr files_dir) noexcept {
    detail::CallError e;
    wb_run_dir* out = nullptr;
    if (wb_run_dir_new(files_dir.c_str(), &out, e.ptr()) != WB_OK) return e.error();
    return RunDir(out);
  }
  /// The run-config singletons registered by box/mask layers (`{}` if none).
  Result<String> try_config_json() const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_run_dir_config_json(p_.get(), &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
#if WB_CPP_EXCEPTIONS
  static RunDir open(CStr files_dir) { return try_open(files_dir).value(); }
  String config_json() const { return try_config_json().value(); }
#endif

  wb_run_dir* get() const noexcept { return p_.get(); }
  wb_run_dir* release() noexcept { return p_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 private:
  std::unique_ptr<wb_run_dir, detail::RunDirFree> p_;
};

// ------------------------------------------------------------------------------------------
// Values
// ------------------------------------------------------------------------------------------

namespace detail {
/// Runs a `wb_xxx(..., wb_value **out, wb_error *err)` constructor and wraps the handle.
template <class V, class F>
Result<V> make(F&& f) noexcept {
  CallError e;
  wb_value* out = nullptr;
  if (f(&out, e.ptr()) != WB_OK) return e.error();
  return V(out);
}
inline Result<void> status(wb_status st, const CallError& e) noexcept {
  if (st != WB_OK) return e.error();
  return {};
}
inline Error tensor_error(const TensorRef& t) noexcept { return Error(WB_ERR_INVALID_ARGUMENT, t.problem()); }
}  // namespace detail

/// Any loggable value (scalar, string, list, dict, array, histogram, media). Move-only owner
/// of a `wb_value*`; an empty (default-constructed) Value holds no handle.
class Value {
 public:
  Value() noexcept = default;
  explicit Value(wb_value* adopt) noexcept : p_(adopt) {}

  static Result<Value> try_null() noexcept {
    return detail::make<Value>([](wb_value** o, wb_error* e) { return wb_value_null(o, e); });
  }
  static Result<Value> try_boolean(bool v) noexcept {
    return detail::make<Value>([v](wb_value** o, wb_error* e) { return wb_value_bool(v, o, e); });
  }
  static Result<Value> try_integer(int64_t v) noexcept {
    return detail::make<Value>([v](wb_value** o, wb_error* e) { return wb_value_int(v, o, e); });
  }
  /// Unsigned integers above INT64_MAX stay exact integers.
  static Result<Value> try_integer_u64(uint64_t v) noexcept {
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return try_integer(static_cast<int64_t>(v));
    char buf[24] = {};
    std::to_chars(buf, buf + sizeof buf - 1, v);
    return try_from_json(buf);
  }
  /// NaN and ±Infinity are allowed (written NaN/Infinity like the SDK).
  static Result<Value> try_floating(double v) noexcept {
    return detail::make<Value>([v](wb_value** o, wb_error* e) { return wb_value_float(v, o, e); });
  }
  /// UTF-8 text (may contain NUL; copied).
  static Result<Value> try_string(std::string_view s) noexcept {
    return detail::make<Value>(
        [s](wb_value** o, wb_error* e) { return wb_value_string_n(s.data(), s.size(), o, e); });
  }
  /// Parses JSON text (objects → dicts in key order, arrays → lists, int/float kept apart).
  static Result<Value> try_from_json(CStr json) noexcept {
    return detail::make<Value>([json](wb_value** o, wb_error* e) { return wb_value_from_json(json.c_str(), o, e); });
  }
  /// A numpy-array value (≤ 32 elements → nested list, more → histogram/statistics). Copied.
  static Result<Value> try_array(const TensorRef& t) noexcept {
    if (t.problem()) return detail::tensor_error(t);
    const wb_tensor ct = t.c_tensor();
    return detail::make<Value>([&ct](wb_value** o, wb_error* e) { return wb_value_from_tensor(&ct, o, e); });
  }

#if WB_CPP_EXCEPTIONS
  static Value null() { return try_null().value(); }
  static Value boolean(bool v) { return try_boolean(v).value(); }
  static Value integer(int64_t v) { return try_integer(v).value(); }
  static Value integer_u64(uint64_t v) { return try_integer_u64(v).value(); }
  static Value floating(double v) { return try_floating(v).value(); }
  static Value string(std::string_view s) { return try_string(s).value(); }
  static Value from_json(CStr json) { return try_from_json(json).value(); }
  static Value array(const TensorRef& t) { return try_array(t).value(); }
#endif

  /// Caption of a media value (image, video, audio, 3-D object, molecule); "" is kept.
  Result<void> try_set_caption(CStr caption) noexcept {
    detail::CallError e;
    return detail::status(wb_value_set_caption(p_.get(), caption.c_str(), e.ptr()), e);
  }
  /// The value's JSON as `run.log({key: value})` at `step` (>= 0) writes it; media files go
  /// under `dir`. A negative step is an error (the summary has its own function).
  Result<String> try_to_json(RunDir& dir, CStr key, int64_t step) const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_value_to_json(p_.get(), dir.get(), key.c_str(), step, &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  /// The value's JSON as `run.summary.update({key: value})` writes it (media named
  /// `<key>_summary_<hash>`, NaN in dicts → null).
  Result<String> try_to_summary_json(RunDir& dir, CStr key) const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_value_to_summary_json(p_.get(), dir.get(), key.c_str(), &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
#if WB_CPP_EXCEPTIONS
  void set_caption(CStr caption) { try_set_caption(caption).value(); }
  String to_json(RunDir& dir, CStr key, int64_t step) const { return try_to_json(dir, key, step).value(); }
  String to_summary_json(RunDir& dir, CStr key) const { return try_to_summary_json(dir, key).value(); }
#endif

  wb_value* get() const noexcept { return p_.get(); }
  wb_value* release() noexcept { return p_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 protected:
  std::unique_ptr<wb_value, detail::ValueFree> p_;
};

namespace detail {
template <class T>
struct always_false : std::false_type {};

/// A C++ scalar/string → a new Value.
template <class T>
Result<Value> to_value(const T& v) noexcept {
  using U = std::decay_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return Value::try_boolean(v);
  } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
    return Value::try_null();
  } else if constexpr (std::is_integral_v<U> && std::is_unsigned_v<U>) {
    return Value::try_integer_u64(static_cast<uint64_t>(v));
  } else if constexpr (std::is_integral_v<U>) {
    return Value::try_integer(static_cast<int64_t>(v));
  } else if constexpr (std::is_floating_point_v<U>) {
    return Value::try_floating(static_cast<double>(v));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return Value::try_string(std::string_view(v));
  } else {
    static_assert(always_false<T>::value, "wb: no conversion of this type to a wb::Value");
    return Error();
  }
}
template <class T>
inline constexpr bool is_value_v = std::is_base_of_v<Value, std::decay_t<T>>;
}  // namespace detail

/// A list. Created on first append (a default-constructed List is an empty list). A list of
/// media of one type is logged batched like the SDK (`images/separated`, ...).
class List : public Value {
 public:
  List() noexcept = default;
  explicit List(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<List> try_create() noexcept {
    return detail::make<List>([](wb_value** o, wb_error* e) { return wb_list_new(o, e); });
  }
  /// Appends a shared copy of `item` (the caller keeps `item`).
  Result<void> try_append(const Value& item) noexcept {
    if (auto r = ensure(); !r.ok()) return r;
    detail::CallError e;
    return detail::status(wb_list_append(p_.get(), item.get(), e.ptr()), e);
  }
  /// Appends a scalar or string.
  template <class T, class = std::enable_if_t<!detail::is_value_v<T>>>
  Result<void> try_append(const T& item) noexcept {
    Result<Value> v = detail::to_value(item);
    if (!v.ok()) return v.error();
    return try_append(*v);
  }
#if WB_CPP_EXCEPTIONS
  static List create() { return try_create().value(); }
  List& append(const Value& item) {
    try_append(item).value();
    return *this;
  }
  template <class T, class = std::enable_if_t<!detail::is_value_v<T>>>
  List& append(const T& item) {
    try_append(item).value();
    return *this;
  }
#endif

 public:
  /// Creates the (empty) C container now if no element was added yet.
  Result<void> ensure() noexcept {
    if (p_) return {};
    auto r = try_create();
    if (!r.ok()) return r.error();
    p_.reset(r->release());
    return {};
  }
};

/// A dict (keys keep insertion order). Created on first set (a default-constructed Dict is
/// an empty dict).
class Dict : public Value {
 public:
  Dict() noexcept = default;
  explicit Dict(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<Dict> try_create() noexcept {
    return detail::make<Dict>([](wb_value** o, wb_error* e) { return wb_dict_new(o, e); });
  }
  /// `dict[key] = item` (a shared copy; the caller keeps `item`).
  Result<void> try_set(CStr key, const Value& item) noexcept {
    if (auto r = ensure(); !r.ok()) return r;
    detail::CallError e;
    return detail::status(wb_dict_set(p_.get(), key.c_str(), item.get(), e.ptr()), e);
  }
  /// `dict[key] = scalar or string`.
  template <class T, class = std::enable_if_t<!detail::is_value_v<T>>>
  Result<void> try_set(CStr key, const T& item) noexcept {
    Result<Value> v = detail::to_value(item);
    if (!v.ok()) return v.error();
    return try_set(key, *v);
  }
#if WB_CPP_EXCEPTIONS
  static Dict create() { return try_create().value(); }
  Dict& set(CStr key, const Value& item) {
    try_set(key, item).value();
    return *this;
  }
  template <class T, class = std::enable_if_t<!detail::is_value_v<T>>>
  Dict& set(CStr key, const T& item) {
    try_set(key, item).value();
    return *this;
  }
#endif

 public:
  /// Creates the (empty) C container now if no element was added yet.
  Result<void> ensure() noexcept {
    if (p_) return {};
    auto r = try_create();
    if (!r.ok()) return r.error();
    p_.reset(r->release());
    return {};
  }
};

/// One history row: a Dict serialised as `run.log(row)` at a step, or as
/// `run.summary.update(row)`.
class Row : public Dict {
 public:
  Row() noexcept = default;
  explicit Row(wb_value* adopt) noexcept : Dict(adopt) {}

  /// `{"key":value_json,...}` in key order at `step` (>= 0); media files are written under
  /// `dir`.
  Result<String> try_to_json(RunDir& dir, int64_t step) noexcept {
    if (auto r = ensure(); !r.ok()) return r.error();
    detail::CallError e;
    char* out = nullptr;
    if (wb_row_to_json(p_.get(), dir.get(), step, &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  /// The row as `run.summary.update(row)` serialises it (the summary namespace).
  Result<String> try_to_summary_json(RunDir& dir) noexcept {
    if (auto r = ensure(); !r.ok()) return r.error();
    detail::CallError e;
    char* out = nullptr;
    if (wb_row_to_summary_json(p_.get(), dir.get(), &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
#if WB_CPP_EXCEPTIONS
  Row& set(CStr key, const Value& item) {
    Dict::set(key, item);
    return *this;
  }
  template <class T, class = std::enable_if_t<!detail::is_value_v<T>>>
  Row& set(CStr key, const T& item) {
    Dict::set(key, item);
    return *this;
  }
  String to_json(RunDir& dir, int64_t step) { return try_to_json(dir, step).value(); }
  String to_summary_json(RunDir& dir) { return try_to_summary_json(dir).value(); }
#endif
};

// ------------------------------------------------------------------------------------------
// Histogram
// ------------------------------------------------------------------------------------------

/// `wandb.Histogram`.
class Histogram : public Value {
 public:
  Histogram() noexcept = default;
  explicit Histogram(wb_value* adopt) noexcept : Value(adopt) {}

  /// numpy.histogram semantics; `num_bins` 0 = 64, at most 512; NaN/inf are errors.
  static Result<Histogram> try_from_tensor(const TensorRef& data, std::size_t num_bins = 64) noexcept {
    if (data.problem()) return detail::tensor_error(data);
    const wb_tensor t = data.c_tensor();
    return detail::make<Histogram>(
        [&t, num_bins](wb_value** o, wb_error* e) { return wb_histogram_from_tensor(&t, num_bins, o, e); });
  }
  /// `np_histogram=(values, edges)` from two 1-D tensors (len(edges) == len(values) + 1).
  static Result<Histogram> try_from_np(const TensorRef& values, const TensorRef& edges) noexcept {
    if (values.problem()) return detail::tensor_error(values);
    if (edges.problem()) return detail::tensor_error(edges);
    const wb_tensor v = values.c_tensor(), b = edges.c_tensor();
    return detail::make<Histogram>(
        [&v, &b](wb_value** o, wb_error* e) { return wb_histogram_from_np(&v, &b, o, e); });
  }
  /// `np_histogram` from two JSON arrays of numbers kept verbatim.
  static Result<Histogram> try_from_np_json(CStr values_json, CStr edges_json) noexcept {
    return detail::make<Histogram>([values_json, edges_json](wb_value** o, wb_error* e) {
      return wb_histogram_from_np_json(values_json.c_str(), edges_json.c_str(), o, e);
    });
  }
#if WB_CPP_EXCEPTIONS
  static Histogram from_tensor(const TensorRef& data, std::size_t num_bins = 64) {
    return try_from_tensor(data, num_bins).value();
  }
  static Histogram from_np(const TensorRef& values, const TensorRef& edges) {
    return try_from_np(values, edges).value();
  }
  static Histogram from_np_json(CStr values_json, CStr edges_json) {
    return try_from_np_json(values_json, edges_json).value();
  }
#endif
};

// ------------------------------------------------------------------------------------------
// Image
// ------------------------------------------------------------------------------------------

/// Image encoding options (start from the library defaults; chain the setters).
struct ImageOptions {
  wb_image_options c = wb_image_options_default();
  ImageOptions& mode(wb_image_mode m) noexcept {
    c.mode = m;
    return *this;
  }
  ImageOptions& file_type(wb_image_file_type t) noexcept {
    c.file_type = t;
    return *this;
  }
  ImageOptions& convert(wb_convert v) noexcept {
    c.convert = v;
    return *this;
  }
  ImageOptions& png_mode(wb_png_mode m) noexcept {
    c.png_mode = m;
    return *this;
  }
};

/// `wandb.Image`.
class Image : public Value {
 public:
  Image() noexcept = default;
  explicit Image(wb_value* adopt) noexcept : Value(adopt) {}

  /// Packed 8-bit pixels, row-major, `channels` 1 (L), 3 (RGB) or 4 (RGBA).
  static Result<Image> try_from_u8(const uint8_t* pixels, std::size_t height, std::size_t width,
                                   std::size_t channels) noexcept {
    return detail::make<Image>([=](wb_value** o, wb_error* e) {
      return wb_image_new_u8(pixels, height, width, channels, o, e);
    });
  }
  /// Any HWC/HW tensor (`wandb.Image(np_array, mode=, file_type=)`).
  static Result<Image> try_from_tensor(const TensorRef& hwc, const ImageOptions& opts = {}) noexcept {
    if (hwc.problem()) return detail::tensor_error(hwc);
    const wb_tensor t = hwc.c_tensor();
    return detail::make<Image>(
        [&t, &opts](wb_value** o, wb_error* e) { return wb_image_from_tensor(&t, &opts.c, o, e); });
  }
  /// A channels-first (C,H,W) tensor, as the SDK treats torch tensors.
  static Result<Image> try_from_chw(const TensorRef& chw, const ImageOptions& opts = {}) noexcept {
    if (chw.problem()) return detail::tensor_error(chw);
    const wb_tensor t = chw.c_tensor();
    return detail::make<Image>(
        [&t, &opts](wb_value** o, wb_error* e) { return wb_image_from_chw_tensor(&t, &opts.c, o, e); });
  }
  /// An image file, copied unchanged.
  static Result<Image> try_from_file(CStr path) noexcept {
    return detail::make<Image>([path](wb_value** o, wb_error* e) { return wb_image_from_file(path.c_str(), o, e); });
  }
  /// `grouping` (0 is dropped from the JSON, as in the SDK).
  Result<void> try_set_grouping(int64_t grouping) noexcept {
    detail::CallError e;
    return detail::status(wb_image_set_grouping(p_.get(), grouping, e.ptr()), e);
  }
  /// A bounding-box layer (`boxes={layer: {"box_data": [...], "class_labels": {...}}}`):
  /// `box_data_json` is a JSON array of boxes, `class_labels_json` NULL or `{"<id>": name}`.
  Result<void> try_add_boxes(CStr layer, CStr box_data_json, const char* class_labels_json = nullptr) noexcept {
    detail::CallError e;
    return detail::status(
        wb_image_add_boxes(p_.get(), layer.c_str(), box_data_json.c_str(), class_labels_json, e.ptr()), e);
  }
  /// A bounding-box layer given as its whole JSON object (`{"box_data": ..., ...}`).
  Result<void> try_add_boxes_layer(CStr layer, CStr layer_json) noexcept {
    detail::CallError e;
    return detail::status(wb_image_add_boxes_layer(p_.get(), layer.c_str(), layer_json.c_str(), e.ptr()), e);
  }
  /// A mask layer from a 2-D tensor of class ids in [0, 255]; labels NULL or `{"<id>": name}`.
  Result<void> try_add_mask(CStr layer, const TensorRef& mask, const char* class_labels_json = nullptr) noexcept {
    if (mask.problem()) return detail::tensor_error(mask);
    const wb_tensor t = mask.c_tensor();
    detail::CallError e;
    return detail::status(wb_image_add_mask(p_.get(), layer.c_str(), &t, class_labels_json, e.ptr()), e);
  }
  /// A mask layer from an image file (copied unchanged).
  Result<void> try_add_mask_file(CStr layer, CStr path) noexcept {
    detail::CallError e;
    return detail::status(wb_image_add_mask_file(p_.get(), layer.c_str(), path.c_str(), e.ptr()), e);
  }
  /// The class set (`classes=[{"id": ..., "name": ...}, ...]`, a JSON array).
  Result<void> try_set_classes(CStr classes_json) noexcept {
    detail::CallError e;
    return detail::status(wb_image_set_classes(p_.get(), classes_json.c_str(), e.ptr()), e);
  }

#if WB_CPP_EXCEPTIONS
  static Image from_u8(const uint8_t* pixels, std::size_t height, std::size_t width, std::size_t channels) {
    return try_from_u8(pixels, height, width, channels).value();
  }
  static Image from_tensor(const TensorRef& hwc, const ImageOptions& opts = {}) {
    return try_from_tensor(hwc, opts).value();
  }
  static Image from_chw(const TensorRef& chw, const ImageOptions& opts = {}) { return try_from_chw(chw, opts).value(); }
  static Image from_file(CStr path) { return try_from_file(path).value(); }
  Image& set_grouping(int64_t grouping) {
    try_set_grouping(grouping).value();
    return *this;
  }
  Image& set_caption(CStr caption) {
    Value::set_caption(caption);
    return *this;
  }
  Image& add_boxes(CStr layer, CStr box_data_json, const char* class_labels_json = nullptr) {
    try_add_boxes(layer, box_data_json, class_labels_json).value();
    return *this;
  }
  Image& add_boxes_layer(CStr layer, CStr layer_json) {
    try_add_boxes_layer(layer, layer_json).value();
    return *this;
  }
  Image& add_mask(CStr layer, const TensorRef& mask, const char* class_labels_json = nullptr) {
    try_add_mask(layer, mask, class_labels_json).value();
    return *this;
  }
  Image& add_mask_file(CStr layer, CStr path) {
    try_add_mask_file(layer, path).value();
    return *this;
  }
  Image& set_classes(CStr classes_json) {
    try_set_classes(classes_json).value();
    return *this;
  }
#endif
};

// ------------------------------------------------------------------------------------------
// Table
// ------------------------------------------------------------------------------------------

/// Table options (library defaults: IMMUTABLE, type-checked columns).
struct TableOptions {
  wb_table_options c = wb_table_options_default();
  TableOptions& log_mode(wb_table_log_mode m) noexcept {
    c.log_mode = m;
    return *this;
  }
  TableOptions& allow_mixed_types(bool v) noexcept {
    c.allow_mixed_types = v;
    return *this;
  }
};

/// `wandb.Table`: columns from JSON, rows of any values (scalars, media, ...).
class Table : public Value {
 public:
  Table() noexcept = default;
  explicit Table(wb_value* adopt) noexcept : Value(adopt) {}

  /// `columns_json`: a JSON array of unique column names, all strings or all integers.
  static Result<Table> try_create(CStr columns_json, const TableOptions& opts = {}) noexcept {
    return detail::make<Table>(
        [columns_json, &opts](wb_value** o, wb_error* e) { return wb_table_new(columns_json.c_str(), &opts.c, o, e); });
  }
  /// Appends a row of `n` cells (copied; the caller keeps them).
  Result<void> try_add_row(wb_value* const* cells, std::size_t n) noexcept {
    detail::CallError e;
    return detail::status(wb_table_add_row(p_.get(), cells, n, e.ptr()), e);
  }
  /// Appends a row given as a list (its items are the cells).
  Result<void> try_add_row(const List& row) noexcept {
    if (!row) return try_add_row(nullptr, 0);
    detail::CallError e;
    return detail::status(wb_table_add_row_list(p_.get(), row.get(), e.ptr()), e);
  }
  /// Appends a row of Values and/or scalars: `table.try_add(1, "x", image)`.
  template <class... Cells>
  Result<void> try_add(const Cells&... cells) noexcept {
    List row;
    Result<void> r;
    ((r = r.ok() ? row.try_append(cells) : r), ...);
    if (!r.ok()) return r;
    return try_add_row(row);
  }
  /// Rows added so far (an error for an empty handle).
  Result<std::size_t> try_nrows() const noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_table_nrows(p_.get(), &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  /// The artifact copy (`<key>.table.json` of the run_table artifact).
  Result<String> try_artifact_json() const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_table_artifact_json(p_.get(), &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  /// `wandb.JoinedTable(t1, t2, join_key)` (join_key2: the key in t2 if it differs).
  static Result<Value> try_join(const Table& t1, const Table& t2, CStr join_key, const char* join_key2 = nullptr) noexcept {
    return detail::make<Value>([&t1, &t2, join_key, join_key2](wb_value** o, wb_error* e) {
      return wb_joined_table_new(t1.get(), t2.get(), join_key.c_str(), join_key2, o, e);
    });
  }
#if WB_CPP_EXCEPTIONS
  static Table create(CStr columns_json, const TableOptions& opts = {}) {
    return try_create(columns_json, opts).value();
  }
  template <class... Cells>
  Table& add(const Cells&... cells) {
    try_add(cells...).value();
    return *this;
  }
  Table& add_row(const List& row) {
    try_add_row(row).value();
    return *this;
  }
  std::size_t nrows() const { return try_nrows().value(); }
  String artifact_json() const { return try_artifact_json().value(); }
  static Value join(const Table& t1, const Table& t2, CStr join_key, const char* join_key2 = nullptr) {
    return try_join(t1, t2, join_key, join_key2).value();
  }
#endif
};


// ------------------------------------------------------------------------------------------
// Video
// ------------------------------------------------------------------------------------------

/// Video options (library defaults: fps 4, format unset — must be chosen —, channels-first,
/// convert AUTO). Chain the setters.
struct VideoOptions {
  wb_video_options c = wb_video_options_default();
  VideoOptions& format(wb_video_format f) noexcept {
    c.format = f;
    return *this;
  }
  VideoOptions& fps(uint32_t f) noexcept {
    c.fps = f;
    return *this;
  }
  VideoOptions& layout(wb_video_layout l) noexcept {
    c.layout = l;
    return *this;
  }
  /// MP4/WebM target bitrate in kbit/s (0 = constant quality, the default).
  VideoOptions& bitrate_kbps(uint32_t v) noexcept {
    c.bitrate_kbps = v;
    return *this;
  }
  /// MP4/WebM constant quality on the H.264 QP scale: 1 (best) … 51 (smallest); 0 = default.
  /// Not together with bitrate_kbps (WB_ERR_INVALID_ARGUMENT).
  VideoOptions& crf(uint32_t v) noexcept {
    c.crf = v;
    return *this;
  }
  /// MP4/WebM frames from one keyframe to the next (1 = all); 0 = two seconds of frames.
  VideoOptions& keyframe_interval(uint32_t v) noexcept {
    c.keyframe_interval = v;
    return *this;
  }
  VideoOptions& convert(wb_convert v) noexcept {
    c.convert = v;
    return *this;
  }
};

/// Options of encoded H.264 pass-through (Video::from_h264, VideoWriter::open_h264):
/// library defaults framing AUTO, timescale 0 (no timestamps: 1/fps apart), fps 30, no config.
struct H264Options {
  wb_video_h264_options c = wb_video_h264_options_default();
  H264Options& framing(wb_video_h264_framing f) noexcept {
    c.framing = f;
    return *this;
  }
  /// Ticks per second of pts/dts (e.g. 90000); 0 ignores timestamps.
  H264Options& timescale(uint32_t t) noexcept {
    c.timescale = t;
    return *this;
  }
  H264Options& fps(uint32_t f) noexcept {
    c.fps = f;
    return *this;
  }
  /// avcC record or Annex-B SPS/PPS; must stay valid until the call that uses the options.
  H264Options& config(const uint8_t* data, std::size_t len) noexcept {
    c.config = data;
    c.config_len = len;
    return *this;
  }
};

/// `wandb.Video`.
class Video : public Value {
 public:
  Video() noexcept = default;
  explicit Video(wb_value* adopt) noexcept : Value(adopt) {}

  /// (T,C,H,W) or (B,T,C,H,W) frames (channels-last with WB_VIDEO_CHANNELS_LAST), any dtype
  /// and strides; `opts.format` is required (GIF or MP4).
  static Result<Video> try_from_tensor(const TensorRef& frames, const VideoOptions& opts) noexcept {
    if (frames.problem()) return detail::tensor_error(frames);
    const wb_tensor t = frames.c_tensor();
    return detail::make<Video>(
        [&t, &opts](wb_value** o, wb_error* e) { return wb_video_from_tensor(&t, &opts.c, o, e); });
  }
  /// try_from_tensor plus an audio track (MP4 only, Opus): `audio` is 1-D (mono) or
  /// (frames, channels) with 1 or 2 channels, any dtype wb::Audio takes, any strides;
  /// `sample_rate` 1000..384000 Hz. See wb_video_from_tensor_with_audio.
  static Result<Video> try_from_tensor_with_audio(const TensorRef& frames, const VideoOptions& opts,
                                                  const TensorRef& audio, uint32_t sample_rate) noexcept {
    if (frames.problem()) return detail::tensor_error(frames);
    if (audio.problem()) return detail::tensor_error(audio);
    const wb_tensor t = frames.c_tensor();
    const wb_tensor a = audio.c_tensor();
    return detail::make<Video>([&t, &opts, &a, sample_rate](wb_value** o, wb_error* e) {
      return wb_video_from_tensor_with_audio(&t, &opts.c, &a, sample_rate, o, e);
    });
  }
  /// A gif/mp4/webm/ogg file, copied unchanged.
  static Result<Video> try_from_file(CStr path) noexcept {
    return detail::make<Video>([path](wb_value** o, wb_error* e) { return wb_video_from_file(path.c_str(), o, e); });
  }
  /// A whole encoded H.264 stream (Annex-B or AVCC) muxed into MP4 without re-encoding;
  /// `pts`/`dts` (dts may be null) hold `count` timestamps, one per access unit, in
  /// `opts.timescale` ticks (ignored with timescale 0). See wb_video_from_h264.
  static Result<Video> try_from_h264(const uint8_t* data, std::size_t len, const int64_t* pts, const int64_t* dts,
                                     std::size_t count, const H264Options& opts = H264Options()) noexcept {
    return detail::make<Video>([&](wb_value** o, wb_error* e) {
      return wb_video_from_h264(data, len, pts, dts, count, &opts.c, o, e);
    });
  }
#if WB_CPP_EXCEPTIONS
  static Video from_tensor(const TensorRef& frames, const VideoOptions& opts) {
    return try_from_tensor(frames, opts).value();
  }
  static Video from_tensor_with_audio(const TensorRef& frames, const VideoOptions& opts, const TensorRef& audio,
                                     uint32_t sample_rate) {
    return try_from_tensor_with_audio(frames, opts, audio, sample_rate).value();
  }
  static Video from_file(CStr path) { return try_from_file(path).value(); }
  static Video from_h264(const uint8_t* data, std::size_t len, const int64_t* pts, const int64_t* dts,
                         std::size_t count, const H264Options& opts = H264Options()) {
    return try_from_h264(data, len, pts, dts, count, opts).value();
  }
  Video& set_caption(CStr caption) {
    Value::set_caption(caption);
    return *this;
  }
#endif
};

namespace detail {
struct VideoWriterFree {
  void operator()(wb_video_writer* p) const noexcept { wb_video_writer_free(p); }
};
}  // namespace detail

/// A streaming video encoder: push (H,W,C) frames as they are produced, then finish() into a
/// wb::Video. Memory does not grow with the number of frames. One thread at a time.
class VideoWriter {
 public:
  VideoWriter() noexcept = default;
  explicit VideoWriter(wb_video_writer* adopt) noexcept : p_(adopt) {}

  /// A `height × width` video (shape order, as push_u8 and every tensor) with `channels` 3
  /// (RGB) or 4 (RGBA, alpha dropped). fps and format come from `opts` only:
  /// `VideoOptions().format(WB_VIDEO_MP4).fps(30)` (format GIF, MP4 or WEBM is required; fps 0
  /// means 4; `convert` applies to non-uint8 frames; `layout` is not used).
  static Result<VideoWriter> try_open(std::size_t height, std::size_t width, std::size_t channels,
                                      const VideoOptions& opts) noexcept {
    detail::CallError e;
    wb_video_writer* out = nullptr;
    if (wb_video_writer_new(height, width, channels, &opts.c, &out, e.ptr()) != WB_OK) return e.error();
    return VideoWriter(out);
  }
  /// A writer that muxes encoded H.264 access units (push_h264) into MP4 without re-encoding.
  static Result<VideoWriter> try_open_h264(const H264Options& opts = H264Options()) noexcept {
    detail::CallError e;
    wb_video_writer* out = nullptr;
    if (wb_video_writer_new_h264(&opts.c, &out, e.ptr()) != WB_OK) return e.error();
    return VideoWriter(out);
  }
  /// One access unit (decode order) with its pts and optional dts (null: none); bad input
  /// leaves the writer usable.
  Result<void> try_push_h264(const uint8_t* data, std::size_t len, int64_t pts, const int64_t* dts = nullptr) noexcept {
    detail::CallError e;
    return detail::status(wb_video_writer_push_h264(p_.get(), data, len, pts, dts, e.ptr()), e);
  }
  /// Encodes one (H,W,C) frame of any dtype/strides; a wrong shape leaves the writer usable.
  Result<void> try_push(const TensorRef& frame) noexcept {
    if (frame.problem()) return detail::tensor_error(frame);
    const wb_tensor t = frame.c_tensor();
    detail::CallError e;
    return detail::status(wb_video_writer_push(p_.get(), &t, e.ptr()), e);
  }
  /// Packed 8-bit frame of the writer's size and channels.
  Result<void> try_push_u8(const uint8_t* pixels, std::size_t height, std::size_t width, std::size_t channels) noexcept {
    const int64_t shape[3] = {static_cast<int64_t>(height), static_cast<int64_t>(width), static_cast<int64_t>(channels)};
    wb_tensor t;
    t.data = pixels;
    t.dtype = WB_DTYPE_U8;
    t.ndim = 3;
    t.shape = shape;
    t.strides = nullptr;
    detail::CallError e;
    return detail::status(wb_video_writer_push(p_.get(), &t, e.ptr()), e);
  }
  /// Appends audio to the video's audio track (MP4 writers only): 1-D (mono) or (frames,
  /// channels) with 1 or 2 channels, any dtype wb::Audio takes; the first call fixes channels
  /// and `sample_rate` (1000..384000 Hz). Blocks play back to back from time 0. See
  /// wb_video_writer_push_audio.
  Result<void> try_push_audio(const TensorRef& audio, uint32_t sample_rate) noexcept {
    if (audio.problem()) return detail::tensor_error(audio);
    const wb_tensor a = audio.c_tensor();
    detail::CallError e;
    return detail::status(wb_video_writer_push_audio(p_.get(), &a, sample_rate, e.ptr()), e);
  }
  /// Finishes the video (needs at least one frame). The writer is consumed in every case.
  Result<Video> try_finish() noexcept {
    wb_video_writer* w = p_.release();
    return detail::make<Video>([w](wb_value** o, wb_error* e) { return wb_video_writer_finish(w, o, e); });
  }
#if WB_CPP_EXCEPTIONS
  static VideoWriter open(std::size_t height, std::size_t width, std::size_t channels, const VideoOptions& opts) {
    return try_open(height, width, channels, opts).value();
  }
  VideoWriter& push(const TensorRef& frame) {
    try_push(frame).value();
    return *this;
  }
  VideoWriter& push_u8(const uint8_t* pixels, std::size_t height, std::size_t width, std::size_t channels) {
    try_push_u8(pixels, height, width, channels).value();
    return *this;
  }
  VideoWriter& push_audio(const TensorRef& audio, uint32_t sample_rate) {
    try_push_audio(audio, sample_rate).value();
    return *this;
  }
  Video finish() { return try_finish().value(); }
  static VideoWriter open_h264(const H264Options& opts = H264Options()) { return try_open_h264(opts).value(); }
  VideoWriter& push_h264(const uint8_t* data, std::size_t len, int64_t pts, const int64_t* dts = nullptr) {
    try_push_h264(data, len, pts, dts).value();
    return *this;
  }
#endif

  wb_video_writer* get() const noexcept { return p_.get(); }
  wb_video_writer* release() noexcept { return p_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }

 private:
  std::unique_ptr<wb_video_writer, detail::VideoWriterFree> p_;
};

// ------------------------------------------------------------------------------------------
// Audio, Html, Object3D, Molecule, Plotly, Graph
// ------------------------------------------------------------------------------------------

/// `wandb.Audio`: 1-D mono or 2-D (frames, channels) float32/float64/int16/int32 samples,
/// written as 16-bit PCM WAV identical to the SDK.
class Audio : public Value {
 public:
  Audio() noexcept = default;
  explicit Audio(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<Audio> try_from_tensor(const TensorRef& samples, uint32_t sample_rate) noexcept {
    if (samples.problem()) return detail::tensor_error(samples);
    const wb_tensor t = samples.c_tensor();
    return detail::make<Audio>(
        [&t, sample_rate](wb_value** o, wb_error* e) { return wb_audio_from_tensor(&t, sample_rate, o, e); });
  }
  /// Any audio file, copied unchanged; `sample_rate` 0 means "not given".
  static Result<Audio> try_from_file(CStr path, uint32_t sample_rate = 0) noexcept {
    return detail::make<Audio>(
        [path, sample_rate](wb_value** o, wb_error* e) { return wb_audio_from_file(path.c_str(), sample_rate, o, e); });
  }
#if WB_CPP_EXCEPTIONS
  static Audio from_tensor(const TensorRef& samples, uint32_t sample_rate) {
    return try_from_tensor(samples, sample_rate).value();
  }
  static Audio from_file(CStr path, uint32_t sample_rate = 0) { return try_from_file(path, sample_rate).value(); }
  Audio& set_caption(CStr caption) {
    Value::set_caption(caption);
    return *this;
  }
#endif
};

/// `wandb.Html` (inject = add the SDK's stylesheet snippet).
class Html : public Value {
 public:
  Html() noexcept = default;
  explicit Html(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<Html> try_from_string(std::string_view html, bool inject = true) noexcept {
    return detail::make<Html>([html, inject](wb_value** o, wb_error* e) {
      return wb_html_from_string_n(html.data(), html.size(), inject, o, e);
    });
  }
  /// A file whose name ends in `.html`.
  static Result<Html> try_from_file(CStr path, bool inject = true) noexcept {
    return detail::make<Html>(
        [path, inject](wb_value** o, wb_error* e) { return wb_html_from_file(path.c_str(), inject, o, e); });
  }
#if WB_CPP_EXCEPTIONS
  static Html from_string(std::string_view html, bool inject = true) { return try_from_string(html, inject).value(); }
  static Html from_file(CStr path, bool inject = true) { return try_from_file(path, inject).value(); }
#endif
};

/// `wandb.Object3D`: point arrays, 3-D files, or lidar point-cloud scenes.
class Object3D : public Value {
 public:
  Object3D() noexcept = default;
  explicit Object3D(wb_value* adopt) noexcept : Value(adopt) {}
  /// N×3 (xyz), N×4 (xyz + category) or N×6 (xyz + rgb) points.
  static Result<Object3D> try_from_tensor(const TensorRef& points) noexcept {
    if (points.problem()) return detail::tensor_error(points);
    const wb_tensor t = points.c_tensor();
    return detail::make<Object3D>([&t](wb_value** o, wb_error* e) { return wb_object3d_from_tensor(&t, o, e); });
  }
  /// A file ending in obj, gltf, glb, babylon, stl or pts.json, copied unchanged.
  static Result<Object3D> try_from_file(CStr path) noexcept {
    return detail::make<Object3D>([path](wb_value** o, wb_error* e) { return wb_object3d_from_file(path.c_str(), o, e); });
  }
  /// File content in memory with its type (`obj`, `gltf`, ...).
  static Result<Object3D> try_from_string(std::string_view data, CStr file_type) noexcept {
    return detail::make<Object3D>([data, file_type](wb_value** o, wb_error* e) {
      return wb_object3d_from_string(data.data(), data.size(), file_type.c_str(), o, e);
    });
  }
  /// A lidar/beta scene: points, `boxes_json` (box3d specs; NULL → []) and `vectors_json`
  /// (NULL → []).
  static Result<Object3D> try_from_point_cloud(const TensorRef& points, const char* boxes_json = nullptr,
                                               const char* vectors_json = nullptr) noexcept {
    if (points.problem()) return detail::tensor_error(points);
    const wb_tensor t = points.c_tensor();
    return detail::make<Object3D>([&t, boxes_json, vectors_json](wb_value** o, wb_error* e) {
      return wb_object3d_from_point_cloud(&t, boxes_json, vectors_json, o, e);
    });
  }
#if WB_CPP_EXCEPTIONS
  static Object3D from_tensor(const TensorRef& points) { return try_from_tensor(points).value(); }
  static Object3D from_file(CStr path) { return try_from_file(path).value(); }
  static Object3D from_string(std::string_view data, CStr file_type) { return try_from_string(data, file_type).value(); }
  static Object3D from_point_cloud(const TensorRef& points, const char* boxes_json = nullptr,
                                   const char* vectors_json = nullptr) {
    return try_from_point_cloud(points, boxes_json, vectors_json).value();
  }
  Object3D& set_caption(CStr caption) {
    Value::set_caption(caption);
    return *this;
  }
#endif
};

/// `wandb.Molecule` (pdb, pqr, mmcif, mcif, cif, sdf, sd, gro, mol2, mmtf).
class Molecule : public Value {
 public:
  Molecule() noexcept = default;
  explicit Molecule(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<Molecule> try_from_file(CStr path) noexcept {
    return detail::make<Molecule>([path](wb_value** o, wb_error* e) { return wb_molecule_from_file(path.c_str(), o, e); });
  }
  static Result<Molecule> try_from_string(std::string_view data, CStr file_type) noexcept {
    return detail::make<Molecule>([data, file_type](wb_value** o, wb_error* e) {
      return wb_molecule_from_string(data.data(), data.size(), file_type.c_str(), o, e);
    });
  }
#if WB_CPP_EXCEPTIONS
  static Molecule from_file(CStr path) { return try_from_file(path).value(); }
  static Molecule from_string(std::string_view data, CStr file_type) { return try_from_string(data, file_type).value(); }
  Molecule& set_caption(CStr caption) {
    Value::set_caption(caption);
    return *this;
  }
#endif
};

/// `wandb.Plotly` from the figure's JSON (`{"data": [...], "layout": {...}}`).
class Plotly : public Value {
 public:
  Plotly() noexcept = default;
  explicit Plotly(wb_value* adopt) noexcept : Value(adopt) {}
  static Result<Plotly> try_from_json(CStr figure_json) noexcept {
    return detail::make<Plotly>(
        [figure_json](wb_value** o, wb_error* e) { return wb_plotly_from_json(figure_json.c_str(), o, e); });
  }
#if WB_CPP_EXCEPTIONS
  static Plotly from_json(CStr figure_json) { return try_from_json(figure_json).value(); }
#endif
};

/// `wandb.Graph(format=)` with nodes (JSON objects) and edges (JSON ids).
class Graph : public Value {
 public:
  Graph() noexcept = default;
  explicit Graph(wb_value* adopt) noexcept : Value(adopt) {}
  /// `format` NULL means "keras".
  static Result<Graph> try_create(const char* format = nullptr) noexcept {
    return detail::make<Graph>([format](wb_value** o, wb_error* e) { return wb_graph_new(format, o, e); });
  }
  Result<void> try_add_node(CStr node_json) noexcept {
    detail::CallError e;
    return detail::status(wb_graph_add_node(p_.get(), node_json.c_str(), e.ptr()), e);
  }
  Result<void> try_add_edge(CStr from_id_json, CStr to_id_json) noexcept {
    detail::CallError e;
    return detail::status(wb_graph_add_edge(p_.get(), from_id_json.c_str(), to_id_json.c_str(), e.ptr()), e);
  }
#if WB_CPP_EXCEPTIONS
  static Graph create(const char* format = nullptr) { return try_create(format).value(); }
  Graph& add_node(CStr node_json) {
    try_add_node(node_json).value();
    return *this;
  }
  Graph& add_edge(CStr from_id_json, CStr to_id_json) {
    try_add_edge(from_id_json, to_id_json).value();
    return *this;
  }
#endif
};

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
class Run {
 public:
  /// `run.log` step/commit defaults.
  static constexpr int64_t kNoStep = WB_RUN_STEP_NONE;
  static constexpr int32_t kCommitDefault = WB_RUN_COMMIT_DEFAULT;
  static constexpr int32_t kCommitFalse = WB_RUN_COMMIT_FALSE;
  static constexpr int32_t kCommitTrue = WB_RUN_COMMIT_TRUE;

  Run() noexcept = default;
  explicit Run(wb_run* adopt) noexcept : p_(adopt) {}
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
#endif

  wb_run* get() const noexcept { return p_; }
  /// Gives up ownership: the caller finishes and frees the handle with the C API.
  wb_run* release() noexcept {
    wb_run* p = p_;
    p_ = nullptr;
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
// ------------------------------------------------------------------------------------------
// Reading back (issue 21): W&B JSON + files → values, accessors, equality
// ------------------------------------------------------------------------------------------

/// Decoded image pixels, H × W × C uint8 row-major (C = 1 L, 2 LA, 3 RGB, 4 RGBA).
struct Pixels {
  std::vector<uint8_t> data;
  std::size_t height = 0, width = 0, channels = 0;
};

/// Decoded audio: frames × channels float samples, interleaved.
struct Samples {
  std::vector<float> data;
  std::size_t frames = 0, channels = 0;
  uint32_t sample_rate = 0;
};

/// A histogram's counts and edges (`bins.size() == values.size() + 1`).
struct HistogramData {
  std::vector<double> values, bins;
};

namespace read {

/// `init_from_json`: any W&B JSON (a history row, one value, an artifact's
/// `<name>.<type>.json`) and the directory its paths are relative to.
inline Result<Value> try_from_wandb_json(CStr json, CStr source_dir) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) {
    return wb_value_from_wandb_json(json.c_str(), source_dir.c_str(), o, e);
  });
}
/// `artifact.get(name)` on an artifact directory.
inline Result<Value> try_artifact_get(CStr artifact_dir, CStr name) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) {
    return wb_artifact_get(artifact_dir.c_str(), name.c_str(), o, e);
  });
}
/// "null", "bool", "int", "float", "string", "list", "dict", "histogram", or the media
/// class ("Image", "Table", …).
inline std::string_view type(const Value& v) noexcept {
  const char* t = wb_value_type(v.get());
  return t ? std::string_view(t) : std::string_view();
}
inline Result<int64_t> try_as_int(const Value& v) noexcept {
  detail::CallError e;
  int64_t x = 0;
  if (wb_value_get_int(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
inline Result<double> try_as_float(const Value& v) noexcept {
  detail::CallError e;
  double x = 0;
  if (wb_value_get_float(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
inline Result<bool> try_as_bool(const Value& v) noexcept {
  detail::CallError e;
  bool x = false;
  if (wb_value_get_bool(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
/// The string's bytes (valid while `v` lives).
inline Result<std::string_view> try_as_string(const Value& v) noexcept {
  detail::CallError e;
  const char* p = nullptr;
  std::size_t n = 0;
  if (wb_value_get_string(v.get(), &p, &n, e.ptr()) != WB_OK) return e.error();
  return std::string_view(p, n);
}
/// Items of a list, members of a dict, rows of a table.
inline Result<std::size_t> try_len(const Value& v) noexcept {
  detail::CallError e;
  std::size_t n = 0;
  if (wb_value_len(v.get(), &n, e.ptr()) != WB_OK) return e.error();
  return n;
}
inline Result<Value> try_item(const Value& list, std::size_t i) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_list_get(list.get(), i, o, e); });
}
/// A dict member read back.
struct DictEntry {
  std::string key;
  Value value;
};
/// Dict member `i` (insertion order): key and value.
inline Result<DictEntry> try_entry(const Value& dict, std::size_t i) {
  detail::CallError e;
  char* k = nullptr;
  wb_value* v = nullptr;
  if (wb_dict_entry(dict.get(), i, &k, &v, e.ptr()) != WB_OK) return e.error();
  String key(k);
  DictEntry out;
  out.key = key.str();
  out.value = Value(v);
  return out;
}
inline Result<Value> try_member(const Value& dict, CStr key) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_dict_get(dict.get(), key.c_str(), o, e); });
}
inline Result<Pixels> try_pixels(const Value& image) {
  detail::CallError e;
  wb_image_pixels px{};
  if (wb_image_get_pixels(image.get(), &px, e.ptr()) != WB_OK) return e.error();
  Pixels out;
  out.height = px.height;
  out.width = px.width;
  out.channels = px.channels;
  out.data.assign(px.data, px.data + px.height * px.width * px.channels);
  wb_image_pixels_free(&px);
  return out;
}
inline Result<Samples> try_samples(const Value& audio) {
  detail::CallError e;
  wb_audio_samples s{};
  if (wb_audio_get_samples(audio.get(), &s, e.ptr()) != WB_OK) return e.error();
  Samples out;
  out.frames = s.frames;
  out.channels = s.channels;
  out.sample_rate = s.sample_rate;
  out.data.assign(s.data, s.data + s.frames * s.channels);
  wb_audio_samples_free(&s);
  return out;
}
inline Result<HistogramData> try_histogram(const Value& h) {
  detail::CallError e;
  std::size_t n = 0;
  if (wb_histogram_size(h.get(), &n, e.ptr()) != WB_OK) return e.error();
  HistogramData out;
  out.values.resize(n);
  out.bins.resize(n + 1);
  if (wb_histogram_read(h.get(), out.values.data(), out.bins.data(), e.ptr()) != WB_OK) return e.error();
  return out;
}
/// A media value's caption as JSON (`null` without one).
inline Result<String> try_caption_json(const Value& v) noexcept {
  detail::CallError e;
  char* out = nullptr;
  if (wb_media_caption_json(v.get(), &out, e.ptr()) != WB_OK) return e.error();
  return String(out);
}
/// `a == b` with the SDK's `__eq__` semantics.
inline Result<bool> try_equal(const Value& a, const Value& b) noexcept {
  detail::CallError e;
  bool eq = false;
  if (wb_value_equal(a.get(), b.get(), &eq, e.ptr()) != WB_OK) return e.error();
  return eq;
}

/// A table read back: columns, column types and rows of cells (`for (auto& row : t.rows())`).
class TableView {
 public:
  explicit TableView(const Value& table) noexcept : t_(table.get()) {}
  Result<std::size_t> try_ncols() const noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_table_ncols(t_, &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  Result<std::size_t> try_nrows() const noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_table_nrows(t_, &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  Result<std::vector<std::string>> try_columns() const {
    auto n = try_ncols();
    if (!n) return n.error();
    std::vector<std::string> out;
    for (std::size_t c = 0; c < *n; c++) {
      detail::CallError e;
      char* name = nullptr;
      if (wb_table_column_name(t_, c, &name, e.ptr()) != WB_OK) return e.error();
      out.push_back(String(name).str());
    }
    return out;
  }
  Result<String> try_column_types_json() const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_table_column_types_json(t_, &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  Result<Value> try_cell(std::size_t row, std::size_t col) const noexcept {
    return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_table_cell(t_, row, col, o, e); });
  }
  /// Row `r` as its cells.
  Result<std::vector<Value>> try_row(std::size_t r) const {
    auto n = try_ncols();
    if (!n) return n.error();
    std::vector<Value> cells;
    cells.reserve(*n);
    for (std::size_t c = 0; c < *n; c++) {
      auto cell = try_cell(r, c);
      if (!cell) return cell.error();
      cells.push_back(std::move(*cell));
    }
    return cells;
  }

  /// Input iterator over the rows (each a std::vector<Value>); an error while reading a
  /// row throws it (aborts without exceptions).
  class RowIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::vector<Value>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;
    RowIterator(const TableView* t, std::size_t r) : t_(t), r_(r) {}
    reference operator*() {
      if (!loaded_) {
        row_ = t_->try_row(r_).value();
        loaded_ = true;
      }
      return row_;
    }
    pointer operator->() { return &**this; }
    RowIterator& operator++() {
      ++r_;
      loaded_ = false;
      return *this;
    }
    bool operator==(const RowIterator& o) const noexcept { return r_ == o.r_; }
    bool operator!=(const RowIterator& o) const noexcept { return r_ != o.r_; }

   private:
    const TableView* t_;
    std::size_t r_;
    value_type row_;
    bool loaded_ = false;
  };
  struct Rows {
    const TableView* t;
    RowIterator begin() const { return RowIterator(t, 0); }
    RowIterator end() const { return RowIterator(t, t->try_nrows().value()); }
  };
  Rows rows() const noexcept { return Rows{this}; }

 private:
  wb_value* t_;
};

/// Writes a table as an artifact directory (`<dir>/<name>.table.json` + its media files).
inline Result<void> try_save_artifact_dir(const Value& table, CStr dir, CStr name) noexcept {
  detail::CallError e;
  return detail::status(wb_table_save_artifact_dir(table.get(), dir.c_str(), name.c_str(), e.ptr()), e);
}

#if WB_CPP_EXCEPTIONS
inline Value from_wandb_json(CStr json, CStr source_dir) { return try_from_wandb_json(json, source_dir).value(); }
inline Value artifact_get(CStr artifact_dir, CStr name) { return try_artifact_get(artifact_dir, name).value(); }
inline Pixels pixels(const Value& image) { return try_pixels(image).value(); }
inline Samples samples(const Value& audio) { return try_samples(audio).value(); }
inline HistogramData histogram(const Value& h) { return try_histogram(h).value(); }
inline bool equal(const Value& a, const Value& b) { return try_equal(a, b).value(); }
#endif

}  // namespace read

}  // namespace wb


#endif  // WANDB_MEDIA_HPP
