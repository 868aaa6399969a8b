//! C ABI: the run's URL and server entity (`wb_run_url`, `wb_run_entity`) and a finish with
//! its own upload timeout (`wb_run_finish_within`, used by the C++ terminate handler).
//! Logic: `crate::run::url`, `crate::online::app_url`.

use std::ffi::c_char;
use std::time::Duration;

use super::run::{run_deep, run_string, wb_run};
use super::{deref, guard_deep, wb_error, wb_status};

/// The run's page in the W&B app, `<app URL>/<entity>/<project>/runs/<id>`, for an online
/// (or shared) run once the server created it. The app URL is derived from the base URL as
/// wandb 0.31 derives it (`WANDB_APP_URL` if set; `https://api.wandb.ai` →
/// `https://forge.coreweave.com/wandb`; `https://api.<domain>` → `https://app.<domain>`; a
/// self-hosted or local server: its base URL). The same URL is logged through the log
/// handler as `View run at <url>` when it becomes known, and `View run <name> at: <url>` by
/// `wb_run_finish`.
///
/// Never waits for the network. Returns `WB_ERR_UNSUPPORTED` for an offline or disabled
/// run (it never has a URL; `wandb-media sync` prints it when it uploads the run) and
/// `WB_ERR_STATE` while the server has not created the run yet (the uploader works in the
/// background: retry later; a wrong key or an unreachable server keeps it unknown). Also
/// works after `wb_run_finish`. `*out` is owned by the caller: free it with
/// `wb_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_url(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    unsafe { run_string(run, out, err, |r| r.url()) }
}

/// The entity the server recorded the run under: the one given at open, or the API key's
/// default entity when none was given. Statuses as `wb_run_url` (`WB_ERR_UNSUPPORTED`
/// offline or disabled, `WB_ERR_STATE` until the server created the run). `*out` is owned
/// by the caller: free it with `wb_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_entity(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    unsafe { run_string(run, out, err, |r| Ok(r.location()?.entity)) }
}

/// `wb_run_finish`, waiting at most `timeout_ms` milliseconds for uploads (online) instead
/// of the run's `finish_timeout_ms`; what is not sent by then stays in the run directory for
/// `wandb-media sync`, and the status is `WB_ERR_NETWORK` as for `wb_run_finish`. For a
/// failing host that must end soon (the C++ wrapper's terminate handler finishes open runs
/// with exit code 1 through it). Same rules as `wb_run_finish` (once; then `wb_run_free`),
/// except that other threads may still be inside calls on the run, as when a process is
/// failing: the library stays memory-safe and their calls fail with `WB_ERR_STATE` once the
/// run is finished (their rows may or may not be in the log). Thread-safe in that sense.
#[no_mangle]
pub unsafe extern "C" fn wb_run_finish_within(
    run: *mut wb_run,
    exit_code: i32,
    timeout_ms: u64,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, false) }, || {
        unsafe { deref(run, "run") }?
            .inner
            .finish_within(exit_code, Duration::from_millis(timeout_ms))
    })
}
