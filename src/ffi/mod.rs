//! The C ABI. Only pointer/argument conversion lives here; all logic is in the Rust API.
//!
//! Every exported function runs behind [`ffi_guard!`] (a panic boundary), returns a
//! [`wb_status`], writes its out-parameters only on success and fills the optional
//! caller-provided [`wb_error`] on failure (safe for Go: no thread-local state needed).

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

/// Reads the C enum field `$f` of a versioned options struct `$p` (of type `$ty`, whose caller
/// declared `$size` bytes): `Some(raw int)` when the caller's struct has the field.
macro_rules! versioned_enum_field {
    ($p:expr, $size:expr, $ty:ty, $f:ident) => {
        if $crate::ffi::field_present($size, std::mem::offset_of!($ty, $f), 4) {
            // SAFETY: the field lies inside the caller's `$size` readable bytes.
            Some(unsafe { $crate::ffi::read_enum(std::ptr::addr_of!((*$p).$f)) })
        } else {
            None
        }
    };
}

/// Reads the optional UTF-8 string field `$f` (a `const char *`) of a versioned options struct
/// `$p` (of type `$ty`, whose caller declared `$size` bytes): `Ok(None)` when the caller's
/// struct is too old to have it or the pointer is NULL, an error naming `options.$f` when the
/// text is not UTF-8. Evaluates to `Result<Option<String>>`.
macro_rules! versioned_string_field {
    ($p:expr, $size:expr, $ty:ty, $f:ident) => {{
        if $crate::ffi::field_present(
            $size,
            std::mem::offset_of!($ty, $f),
            std::mem::size_of::<*const std::ffi::c_char>(),
        ) {
            // SAFETY: the field lies inside the caller's `$size` readable bytes.
            let ptr = unsafe { std::ptr::addr_of!((*$p).$f).read() };
            if ptr.is_null() {
                Ok(None)
            } else {
                // SAFETY: a non-NULL string field is a NUL-terminated string (the API's rule).
                unsafe { $crate::ffi::utf8_arg(ptr, concat!("options.", stringify!($f))) }
                    .map(|s| Some(s.to_string()))
            }
        } else {
            Ok(None)
        }
    }};
}

// Declaration order = order of the functions in each section of the generated header.
pub mod audio;
pub mod boxes;
pub mod histogram;
pub mod image;
pub mod log;
pub mod media;
pub mod run;
pub mod run_status;
pub mod run_url;
// run features (after the run functions): define_metric, save/artifacts
pub mod artifact;
pub mod metric;
pub mod read;
pub mod table;
pub mod value;
pub mod video;
pub mod video_h264;
// Weave traces (after the media and run sections)
pub mod weave;

use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorKind, Result};
use crate::tensor::{strided_span, DType, TensorView};

/// Result of every fallible call. `WB_OK` is 0; anything else is an error and the optional
/// `wb_error` says what went wrong.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_status {
    /// Success.
    WB_OK = 0,
    /// A required pointer argument was NULL (the message names it).
    WB_ERR_NULL_ARGUMENT = 1,
    /// An argument has a bad value, shape, dtype or combination; the SDK rejects it too.
    WB_ERR_INVALID_ARGUMENT = 2,
    /// A string argument was not valid UTF-8 (the message names it).
    WB_ERR_INVALID_UTF8 = 3,
    /// A size computation overflowed (shape × strides × item size, …).
    WB_ERR_OVERFLOW = 4,
    /// Valid input this library cannot encode (e.g. `ogg` video from a tensor).
    WB_ERR_UNSUPPORTED = 5,
    /// A filesystem operation failed; nothing already written was lost.
    WB_ERR_IO = 6,
    /// An internal panic was caught; the library state is unchanged. Please report it.
    WB_ERR_PANIC = 7,
    /// The object is in the wrong state for this call (e.g. a finished writer).
    WB_ERR_STATE = 8,
    /// The server could not be reached, refused the request, or delivery did not finish
    /// in time; the message says which and what is still pending. Nothing was lost.
    WB_ERR_NETWORK = 9,
}

/// Size of `wb_error.message`, including the terminating NUL.
pub const WB_ERROR_MESSAGE_SIZE: usize = 512;

/// Optional error detail, owned by the caller (stack or heap; no free function needed).
/// Pass a pointer to one as the last argument of any fallible call, or NULL.
/// On failure `code` is the returned status and `message` a NUL-terminated UTF-8 text
/// (truncated to 511 bytes). On success `code` is `WB_OK` and `message` is empty.
/// Thread-safety: one struct per call in flight; never shared between concurrent calls.
#[repr(C)]
pub struct wb_error {
    /// The status of the call that filled this struct.
    pub code: wb_status,
    /// NUL-terminated UTF-8 message naming the bad argument.
    pub message: [c_char; WB_ERROR_MESSAGE_SIZE],
}

pub(crate) fn status_of(kind: ErrorKind) -> wb_status {
    match kind {
        ErrorKind::NullArgument => wb_status::WB_ERR_NULL_ARGUMENT,
        ErrorKind::InvalidArgument => wb_status::WB_ERR_INVALID_ARGUMENT,
        ErrorKind::InvalidUtf8 => wb_status::WB_ERR_INVALID_UTF8,
        ErrorKind::Overflow => wb_status::WB_ERR_OVERFLOW,
        ErrorKind::Unsupported => wb_status::WB_ERR_UNSUPPORTED,
        ErrorKind::Io => wb_status::WB_ERR_IO,
        ErrorKind::Panic => wb_status::WB_ERR_PANIC,
        ErrorKind::State => wb_status::WB_ERR_STATE,
        ErrorKind::Network => wb_status::WB_ERR_NETWORK,
    }
}

/// Fill the caller's error struct (if any) and return the status.
pub(crate) fn report(err: *mut wb_error, result: Result<()>) -> wb_status {
    let (code, msg) = match &result {
        Ok(()) => (wb_status::WB_OK, ""),
        Err(e) => (status_of(e.kind), e.message.as_str()),
    };
    if !err.is_null() {
        // Truncate on a UTF-8 boundary so the message stays valid UTF-8.
        let mut n = msg.len().min(WB_ERROR_MESSAGE_SIZE - 1);
        while !msg.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the caller passes either NULL or a pointer to a writable wb_error.
        unsafe {
            let e = &mut *err;
            e.code = code;
            for (dst, &src) in e.message.iter_mut().zip(&msg.as_bytes()[..n]) {
                *dst = src as c_char;
            }
            e.message[n] = 0;
        }
    }
    code
}

pub(crate) fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    let detail = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error (panic caught at the C boundary): {detail}")
}

/// Run `body` behind a panic boundary and report its result through `err`.
pub(crate) fn guard(err: *mut wb_error, body: impl FnOnce() -> Result<()>) -> wb_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => report(err, r),
        Err(p) => report(err, Err(Error::new(ErrorKind::Panic, panic_message(p)))),
    }
}

/// A closure moved to the helper thread of [`guard_deep`]. Its raw pointers (the caller's
/// arguments) are only used while the caller waits in `join`, as on the caller's thread.
struct OnHelper<F>(F);
// SAFETY: see above: the helper thread runs the closure while the calling thread is
// blocked in `join`, so nothing is used from two threads at once.
unsafe impl<F> Send for OnHelper<F> {}
impl<F> OnHelper<F> {
    fn into_inner(self) -> F {
        self.0
    }
}

/// `guard`, running `body` on a helper thread with a big stack when `deep` (a value deeper
/// than `json::SHALLOW_DEPTH` is involved: walks over it recurse once per level), so the
/// caller's thread needs no more stack than for a shallow value.
pub(crate) fn guard_deep(
    err: *mut wb_error,
    deep: bool,
    body: impl FnOnce() -> Result<()>,
) -> wb_status {
    if !deep {
        return guard(err, body);
    }
    let job = OnHelper(body);
    guard(err, move || {
        crate::par::off_caller(move || job.into_inner()())
    })
}

/// Whether a value argument is deep (NULL: no).
pub(crate) unsafe fn deep_arg(v: *const value::wb_value) -> bool {
    // SAFETY: as `deref`.
    unsafe { v.as_ref() }.is_some_and(|v| v.inner.is_deep())
}

/// Run a void function (free functions) behind a panic boundary.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(ErrorKind::NullArgument, format!("{name} must not be NULL"))
}

/// A shared reference from a pointer, or a NULL-argument error naming it.
pub(crate) unsafe fn deref<'a, T>(p: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: non-NULL pointers come from this library's constructors (handles) or the
    // caller's valid structs, as the header documents.
    unsafe { p.as_ref() }.ok_or_else(|| null_arg(name))
}

pub(crate) unsafe fn deref_mut<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T> {
    // SAFETY: as in `deref`; the header documents that a handle must not be used from two
    // threads at once while it is being modified.
    unsafe { p.as_mut() }.ok_or_else(|| null_arg(name))
}

/// A UTF-8 string argument (NUL-terminated).
pub(crate) unsafe fn utf8_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Error::new(
            ErrorKind::InvalidUtf8,
            format!("{name} is not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// A UTF-8 string argument given as pointer + length (no NUL needed; may contain NUL).
pub(crate) unsafe fn utf8_arg_n<'a>(p: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    if len == 0 {
        return Ok("");
    }
    if p.is_null() {
        return Err(null_arg(name));
    }
    if len > isize::MAX as usize {
        return Err(Error::overflow(format!("{name}: length too large")));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `p`.
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUtf8,
            format!("{name} is not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// Write a handle to an out-parameter (only called on success).
pub(crate) unsafe fn write_out<T>(out: *mut *mut T, value: T) {
    // SAFETY: `out` was checked non-NULL by the caller of this helper.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Hand a Rust string to C as an owned, NUL-terminated buffer (free with `wb_string_free`).
pub(crate) unsafe fn write_string(out: *mut *mut c_char, s: String) -> Result<()> {
    let c = std::ffi::CString::new(s).map_err(|_| Error::invalid("output contains a NUL byte"))?;
    // SAFETY: `out` was checked non-NULL by the caller of this helper.
    unsafe { *out = c.into_raw() };
    Ok(())
}

/// Read a C enum field as its integer value without ever materialising an invalid Rust enum.
pub(crate) unsafe fn read_enum<E>(field: *const E) -> i32 {
    // SAFETY: C enums are `int`-sized on every supported ABI; the field is readable.
    unsafe { (field as *const i32).read_unaligned() }
}

/// Element type of a `wb_tensor`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_dtype {
    WB_DTYPE_U8 = 0,
    WB_DTYPE_I8 = 1,
    WB_DTYPE_U16 = 2,
    WB_DTYPE_I16 = 3,
    WB_DTYPE_I32 = 4,
    WB_DTYPE_I64 = 5,
    WB_DTYPE_F32 = 6,
    WB_DTYPE_F64 = 7,
    /// One byte per element, 0 = false, anything else = true.
    WB_DTYPE_BOOL = 8,
    /// IEEE half (numpy float16); computed in float16 like numpy where the SDK would.
    WB_DTYPE_F16 = 9,
    /// bfloat16 (torch.bfloat16): read as the float32 values `tensor.float()` gives.
    WB_DTYPE_BF16 = 10,
    WB_DTYPE_U32 = 11,
    WB_DTYPE_U64 = 12,
}

/// Maximum `ndim` of a `wb_tensor`.
pub const WB_TENSOR_MAX_NDIM: usize = 32;

/// Describes caller-owned array data (DLPack-like, so libtorch's `data_ptr()`, `sizes()` and
/// `strides()` can be passed directly). Little-endian elements.
///
/// * `data`: first element (index [0,…,0]); may be NULL only when some extent is 0.
/// * `shape`: `ndim` non-negative extents (may be NULL when `ndim` is 0).
/// * `strides`: `ndim` strides **in elements** (not bytes; may be negative or 0), or NULL for
///   C-contiguous (row-major) data.
///
/// Ownership: the library only reads the memory during the call; nothing is retained.
#[repr(C)]
pub struct wb_tensor {
    pub data: *const c_void,
    pub dtype: wb_dtype,
    pub ndim: usize,
    pub shape: *const i64,
    pub strides: *const i64,
}

/// Validate a tensor descriptor and view its memory.
pub(crate) unsafe fn tensor_view<'a>(t: *const wb_tensor, name: &str) -> Result<TensorView<'a>> {
    if t.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: `t` is non-NULL and points at a caller-owned descriptor; fields are read raw.
    let (data, dtype_raw, ndim, shape_p, strides_p) = unsafe {
        (
            std::ptr::addr_of!((*t).data).read(),
            read_enum(std::ptr::addr_of!((*t).dtype)),
            std::ptr::addr_of!((*t).ndim).read(),
            std::ptr::addr_of!((*t).shape).read(),
            std::ptr::addr_of!((*t).strides).read(),
        )
    };
    let dtype = match dtype_raw {
        0 => DType::U8,
        1 => DType::I8,
        2 => DType::U16,
        3 => DType::I16,
        4 => DType::I32,
        5 => DType::I64,
        6 => DType::F32,
        7 => DType::F64,
        8 => DType::Bool,
        9 => DType::F16,
        10 => DType::BF16,
        11 => DType::U32,
        12 => DType::U64,
        other => {
            return Err(Error::invalid(format!(
                "{name}.dtype: unknown dtype value {other}"
            )))
        }
    };
    if ndim > WB_TENSOR_MAX_NDIM {
        return Err(Error::invalid(format!(
            "{name}.ndim = {ndim} exceeds {WB_TENSOR_MAX_NDIM}"
        )));
    }
    if ndim > 0 && shape_p.is_null() {
        return Err(null_arg(&format!("{name}.shape")));
    }
    // SAFETY: shape/strides point at `ndim` readable int64 values (documented).
    let shape_raw: &[i64] = if ndim == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(shape_p, ndim) }
    };
    let mut shape = Vec::with_capacity(ndim);
    for (i, &d) in shape_raw.iter().enumerate() {
        if d < 0 {
            return Err(Error::invalid(format!(
                "{name}.shape[{i}] = {d} is negative"
            )));
        }
        shape.push(
            usize::try_from(d)
                .map_err(|_| Error::overflow(format!("{name}.shape[{i}] too large")))?,
        );
    }
    let strides: Option<Vec<isize>> = if strides_p.is_null() || ndim == 0 {
        None
    } else {
        // SAFETY: as above.
        let s = unsafe { std::slice::from_raw_parts(strides_p, ndim) };
        Some(
            s.iter()
                .map(|&v| {
                    isize::try_from(v)
                        .map_err(|_| Error::overflow(format!("{name}.strides too large")))
                })
                .collect::<Result<_>>()?,
        )
    };
    let (before, span) = strided_span(dtype, &shape, strides.as_deref())
        .map_err(|e| Error::new(e.kind, format!("{name}: {}", e.message)))?;
    if span == 0 {
        return TensorView::strided(&[], 0, dtype, &shape, strides.as_deref());
    }
    if data.is_null() {
        return Err(null_arg(&format!("{name}.data")));
    }
    let start = (data as usize)
        .checked_sub(before)
        .ok_or_else(|| Error::invalid(format!("{name}: strides reach below address 0")))?;
    if start.checked_add(span).is_none() {
        return Err(Error::overflow(format!(
            "{name}: addressed range wraps around"
        )));
    }
    // SAFETY: the caller guarantees that every element addressed by shape × strides is
    // readable for the duration of the call; [start, start+span) is exactly that range.
    let bytes = unsafe { std::slice::from_raw_parts(start as *const u8, span) };
    TensorView::strided(bytes, before, dtype, &shape, strides.as_deref())
}

/// Reads `struct_size` of a versioned options struct and checks it: at least `v1_size` (the
/// first version's fields) and at most what this library knows (`size_of::<T>()`). A size
/// outside that range means an uninitialised struct (not from `*_default()`) or a header
/// newer than the library: refused with a clear error instead of reading garbage.
pub(crate) unsafe fn versioned_size<T>(
    struct_size: *const usize,
    v1_size: usize,
    name: &str,
) -> Result<usize> {
    // SAFETY: the caller passes a non-NULL options pointer whose first field is struct_size.
    let size = unsafe { struct_size.read() };
    let max = std::mem::size_of::<T>();
    if size < v1_size || size > max {
        return Err(Error::invalid(format!(
            "{name}.struct_size = {size} is not a size this library knows ({v1_size}..={max}): \
             initialise the struct with its *_default() function, and build against the \
             header of the library you run with"
        )));
    }
    Ok(size)
}

/// Whether a field (at `offset`, `len` bytes) lies inside a caller's versioned options struct
/// of `struct_size` bytes (older callers pass smaller structs; missing fields keep defaults).
pub(crate) fn field_present(struct_size: usize, offset: usize, len: usize) -> bool {
    offset + len <= struct_size
}

/// The library version as a static NUL-terminated string (`"major.minor.patch"`).
/// Never NULL; do not free. Thread-safe.
#[no_mangle]
pub extern "C" fn wb_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Frees a string returned by this library (JSON text, …). NULL is a no-op.
/// Thread-safe; each string must be freed once.
#[no_mangle]
pub unsafe extern "C" fn wb_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    guard_void(|| {
        // SAFETY: `s` came from CString::into_raw in this library.
        drop(unsafe { std::ffi::CString::from_raw(s) });
    });
}

/// Returns a static, NUL-terminated name for a `wb_status` value (`"WB_ERR_IO"`, …;
/// `"WB_ERR_UNKNOWN"` for other numbers). Never NULL; do not free. Thread-safe.
#[no_mangle]
pub extern "C" fn wb_status_name(status: i32) -> *const c_char {
    let s: &'static str = match status {
        0 => "WB_OK\0",
        1 => "WB_ERR_NULL_ARGUMENT\0",
        2 => "WB_ERR_INVALID_ARGUMENT\0",
        3 => "WB_ERR_INVALID_UTF8\0",
        4 => "WB_ERR_OVERFLOW\0",
        5 => "WB_ERR_UNSUPPORTED\0",
        6 => "WB_ERR_IO\0",
        7 => "WB_ERR_PANIC\0",
        8 => "WB_ERR_STATE\0",
        9 => "WB_ERR_NETWORK\0",
        _ => "WB_ERR_UNKNOWN\0",
    };
    s.as_ptr() as *const c_char
}
