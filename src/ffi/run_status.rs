//! C ABI: what an online run's upload is doing (`wb_run_upload_status`, issue 23). Logic:
//! `crate::online::status`.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::run::wb_run;
use super::{deref, field_present, guard, null_arg, wb_error, wb_status};
use crate::error::Error;
use crate::online::status::State;

/// Size of `wb_upload_status.last_error`, including the terminating NUL.
pub const WB_UPLOAD_ERROR_SIZE: usize = 512;

/// The state of a run's upload (`wb_upload_status.state`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_upload_state {
    /// Offline or disabled run: nothing is uploaded live (`wandb-media sync` uploads an
    /// offline run later).
    WB_UPLOAD_OFFLINE = 0,
    /// Online, no request has reached the server yet (the first one goes out at open).
    WB_UPLOAD_CONNECTING = 1,
    /// The server answers; rows or files are waiting to be sent.
    WB_UPLOAD_UPLOADING = 2,
    /// The server answers; everything logged so far has been sent.
    WB_UPLOAD_UP_TO_DATE = 3,
    /// Requests fail in a way worth retrying (connection refused or reset, timeout, TLS,
    /// HTTP 5xx or 429): the uploader retries with backoff; `unreachable_since` says since
    /// when. The run keeps logging to its file meanwhile.
    WB_UPLOAD_RETRYING = 4,
    /// Uploading stopped: the server refused a request for good (a wrong API key: HTTP
    /// 401/403; a wrong base URL: 404; an unknown entity or project), or `wb_run_finish`
    /// ended with data pending. `last_error` says why and what to fix, `http_status` the
    /// refusal's status. Nothing is lost: the run keeps writing its log, and `wandb-media
    /// sync <run dir>` uploads it later.
    WB_UPLOAD_FAILED = 5,
    /// `wb_run_finish` uploaded everything.
    WB_UPLOAD_FINISHED = 6,
}

/// What `wb_run_upload_status` reports. Owned by the caller (stack or heap; nothing to
/// free). Initialise it with `wb_upload_status_default()` (or set `struct_size`): fields
/// beyond the caller's `struct_size` are not written, so a program built against an older
/// header keeps working.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_upload_status {
    /// `sizeof(wb_upload_status)` as compiled by the caller.
    pub struct_size: usize,
    /// See `wb_upload_state`.
    pub state: wb_upload_state,
    /// The HTTP status of the refusal that stopped uploading (401, 403, 404, …); 0 when
    /// none.
    pub http_status: u32,
    /// History rows the server acknowledged.
    pub rows_sent: u64,
    /// History rows logged (in the run's log) and not acknowledged yet.
    pub rows_pending: u64,
    /// Files uploaded (media, `run.save` files, and the run's own metadata, summary,
    /// config and console files).
    pub files_sent: u64,
    /// Files logged or queued and not uploaded yet.
    pub files_pending: u64,
    /// Unix time (seconds) since which requests fail (`WB_UPLOAD_RETRYING`); 0 while the
    /// server is reachable.
    pub unreachable_since: i64,
    /// Why uploading fails or retries, with the likely fix (e.g. `UpsertBucket:
    /// authentication failed (401) for <https://api.wandb.ai>: check WANDB_API_KEY / wandb
    /// login …`), NUL-terminated UTF-8, truncated to 511 bytes; empty when all is well.
    pub last_error: [c_char; WB_UPLOAD_ERROR_SIZE],
}

/// An empty status with `struct_size` set (state `WB_UPLOAD_OFFLINE`). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_upload_status_default() -> wb_upload_status {
    wb_upload_status {
        struct_size: size_of::<wb_upload_status>(),
        state: wb_upload_state::WB_UPLOAD_OFFLINE,
        http_status: 0,
        rows_sent: 0,
        rows_pending: 0,
        files_sent: 0,
        files_pending: 0,
        unreachable_since: 0,
        last_error: [0; WB_UPLOAD_ERROR_SIZE],
    }
}

/// What the run's upload is doing now: state, rows and files sent and pending, the last
/// error and since when the server is unreachable. An offline or disabled run reports
/// `WB_UPLOAD_OFFLINE` with zero counts. Never blocks on the network (a copy of counters
/// the uploader keeps). Thread-safe: may be called from any thread at any time while the
/// run logs, and after `wb_run_finish` (until `wb_run_free`). `out->struct_size` must be
/// set (`wb_upload_status_default()`); `*out` is written only on success.
#[no_mangle]
pub unsafe extern "C" fn wb_run_upload_status(
    run: *const wb_run,
    out: *mut wb_upload_status,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let run = unsafe { deref(run, "run") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        // SAFETY: the caller passes a writable status whose first field is struct_size.
        let size = unsafe { std::ptr::addr_of!((*out).struct_size).read() };
        let v1 = offset_of!(wb_upload_status, last_error);
        if size < v1 || size > size_of::<wb_upload_status>() {
            return Err(Error::invalid(format!(
                "out->struct_size = {size} is not a size this library knows ({v1}..={}): initialise it with wb_upload_status_default()",
                size_of::<wb_upload_status>()
            )));
        }
        let snap = run.inner.upload_status();
        let state = match snap.as_ref().map(|s| s.state) {
            None | Some(State::Offline) => wb_upload_state::WB_UPLOAD_OFFLINE,
            Some(State::Connecting) => wb_upload_state::WB_UPLOAD_CONNECTING,
            Some(State::Uploading) => wb_upload_state::WB_UPLOAD_UPLOADING,
            Some(State::UpToDate) => wb_upload_state::WB_UPLOAD_UP_TO_DATE,
            Some(State::Retrying) => wb_upload_state::WB_UPLOAD_RETRYING,
            Some(State::Failed) => wb_upload_state::WB_UPLOAD_FAILED,
            Some(State::Finished) => wb_upload_state::WB_UPLOAD_FINISHED,
        };
        let snap = snap.unwrap_or(crate::online::status::Snapshot {
            state: State::Offline,
            rows_sent: 0,
            rows_pending: 0,
            files_sent: 0,
            files_pending: 0,
            http_status: 0,
            last_error: String::new(),
            unreachable_since: 0,
        });
        // SAFETY: every field below lies inside the caller's `size` writable bytes.
        unsafe {
            std::ptr::addr_of_mut!((*out).state).write(state);
            std::ptr::addr_of_mut!((*out).http_status).write(u32::from(snap.http_status));
            std::ptr::addr_of_mut!((*out).rows_sent).write(snap.rows_sent);
            std::ptr::addr_of_mut!((*out).rows_pending).write(snap.rows_pending);
            std::ptr::addr_of_mut!((*out).files_sent).write(snap.files_sent);
            std::ptr::addr_of_mut!((*out).files_pending).write(snap.files_pending);
            std::ptr::addr_of_mut!((*out).unreachable_since).write(snap.unreachable_since);
        }
        if field_present(size, v1, WB_UPLOAD_ERROR_SIZE) {
            let text = &snap.last_error;
            let mut n = text.len().min(WB_UPLOAD_ERROR_SIZE - 1);
            while !text.is_char_boundary(n) {
                n -= 1;
            }
            // SAFETY: the field is inside the caller's struct.
            let buf = unsafe { &mut *std::ptr::addr_of_mut!((*out).last_error) };
            for (d, &s) in buf.iter_mut().zip(&text.as_bytes()[..n]) {
                *d = s as c_char;
            }
            buf[n] = 0;
        }
        Ok(())
    })
}
