//! C ABI: the diagnostics hook (`wb_set_log_handler`). Logic: `crate::diag`.

use std::ffi::{c_char, c_void, CString};

use super::{guard, wb_error, wb_status};
use crate::diag::{self, Level};
use crate::error::Error;

/// Severity of a diagnostic message.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_log_level {
    WB_LOG_DEBUG = 0,
    WB_LOG_INFO = 1,
    /// What the SDK prints as `wandb: WARNING …` (dropped rows, ignored values, …).
    WB_LOG_WARN = 2,
    WB_LOG_ERROR = 3,
}

/// A diagnostics callback: `level`, a NUL-terminated UTF-8 `message` (valid only during the
/// call; no `wandb:` prefix, no newline) and the `user_data` given to `wb_set_log_handler`.
/// It may be called from any thread, including the library's background threads, possibly
/// concurrently, and sometimes while the library holds a run's internal lock: it must be
/// thread-safe, return quickly, not throw/unwind, and not call `wb_run_*` functions.
pub type wb_log_fn = Option<
    unsafe extern "C" fn(level: wb_log_level, message: *const c_char, user_data: *mut c_void),
>;

struct UserData(*mut c_void);
// SAFETY: the pointer is only handed back to the caller's callback, which the header
// requires to be thread-safe.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// Routes the library's diagnostics — every warning the SDK would print (a row whose step is
/// below the current one is dropped, …) — to `handler` for messages at `min_level` or above.
/// `handler` NULL restores the default: notices (`WB_LOG_INFO`, e.g. an online run's
/// `View run at <url>`), warnings and errors go to stderr as `wandb: <message>` /
/// `wandb: WARNING <message>`, unless the environment variable `WANDB_SILENT` is true.
/// Process-wide; thread-safe (may be called at any time; a message being delivered
/// concurrently may still reach the previous handler). `user_data` is passed back unchanged.
#[no_mangle]
pub unsafe extern "C" fn wb_set_log_handler(
    handler: wb_log_fn,
    user_data: *mut c_void,
    min_level: i32,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let min = match min_level {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warn,
            3 => Level::Error,
            v => {
                return Err(Error::invalid(format!(
                    "min_level = {v}: not a wb_log_level (0..3)"
                )))
            }
        };
        let Some(f) = handler else {
            diag::set_handler(None, Level::Warn);
            return Ok(());
        };
        let ud = UserData(user_data);
        diag::set_handler(
            Some(Box::new(move |level: Level, msg: &str| {
                let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
                let lvl = match level {
                    Level::Debug => wb_log_level::WB_LOG_DEBUG,
                    Level::Info => wb_log_level::WB_LOG_INFO,
                    Level::Warn => wb_log_level::WB_LOG_WARN,
                    Level::Error => wb_log_level::WB_LOG_ERROR,
                };
                let ud = &ud;
                // SAFETY: the caller's callback, with its own user_data (see wb_log_fn).
                unsafe { f(lvl, c.as_ptr(), ud.0) };
            })),
            min,
        );
        Ok(())
    })
}
