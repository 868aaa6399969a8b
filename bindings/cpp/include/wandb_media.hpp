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

}  // namespace wb

// The rest of the wrapper, by subject (each part needs what precedes it).
#define WANDB_MEDIA_HPP_PARTS 1
#include "wandb_media/run.hpp"
#include "wandb_media/weave.hpp"
#include "wandb_media/read.hpp"
#undef WANDB_MEDIA_HPP_PARTS

#endif  // WANDB_MEDIA_HPP
