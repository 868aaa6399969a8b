//! C ABI: Weave traces (`wb_weave_*`). Only argument conversion; the logic is `crate::weave`.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::time::Duration;

use super::run::{wb_run, wb_run_mode};
use super::value::wb_value;
use super::{
    deref, field_present, guard, guard_void, null_arg, read_enum, utf8_arg, wb_error, wb_status,
    write_out,
};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::online::Mode;
use crate::weave::{Call, Client, Status, WeaveOptions};

/// A Weave client: traces calls of one project to a Weave trace server.
///
/// Ownership: created by `wb_weave_client_open`, released by `wb_weave_client_free`
/// (after `wb_weave_client_close`, or instead of it). Thread-safety: fully thread-safe;
/// any number of threads may start and end calls at once. `close` and `free` must be
/// called once, after every other call on the client has returned (calls already started
/// may still be ended and freed afterwards).
pub struct wb_weave_client {
    pub(crate) inner: Client,
}

/// One started call.
///
/// Ownership: created by `wb_weave_call_start`, released by `wb_weave_call_free` (a call
/// freed without `wb_weave_call_end` stays unfinished on the server). Thread-safety: a call
/// may be ended and freed on another thread than the one that started it, and used as
/// the parent of calls started on any thread, but must not be freed while another thread
/// uses it.
pub struct wb_weave_call {
    pub(crate) inner: Call,
    id: std::ffi::CString,
    trace_id: std::ffi::CString,
}

/// Options of `wb_weave_client_open`. Always start from `wb_weave_options_default()`.
/// Strings are UTF-8, may be NULL (= not set) and are only read during the open call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_weave_options {
    /// `sizeof(wb_weave_options)` as compiled by the caller.
    pub struct_size: usize,
    /// `WB_MODE_AUTO` (default): disabled when `WEAVE_DISABLED` is true, else
    /// `WANDB_MODE`, else online when an API key is known, else offline.
    /// `WB_MODE_OFFLINE`: spool only (upload later with `wandb-media sync DIR`).
    /// `WB_MODE_ONLINE`: spool and deliver in the background. `WB_MODE_DISABLED`: no-op.
    pub mode: wb_run_mode,
    /// Trace server. NULL: `WF_TRACE_SERVER_URL`, else `WANDB_BASE_URL` + `/traces` when
    /// `WANDB_BASE_URL` (or `base_url`) is set, else `https://trace.wandb.ai`.
    pub trace_server_url: *const c_char,
    /// W&B API, used for the default entity (GraphQL `viewer`) when the project has none.
    /// NULL: `WANDB_BASE_URL`, else `https://api.wandb.ai`.
    pub base_url: *const c_char,
    /// NULL: `WANDB_API_KEY`, else the `~/.netrc` entry of the `base_url` host.
    pub api_key: *const c_char,
    /// Where calls and files are written before sending. NULL = `./weave`. Each client
    /// writes its own subdirectory `weave-<date>_<time>-<hex>/`.
    pub spool_dir: *const c_char,
    /// Optional `wb_run_id` every call carries (`"<entity>/<project>/<run id>"`, as the
    /// Python client inside `wandb.init`); see also `wb_weave_client_set_run`.
    pub wb_run_id: *const c_char,
}

/// Delivery status filled by `wb_weave_client_flush` / `_close`.
/// Initialise `struct_size` (or use `wb_weave_status_default()`); fields beyond the
/// caller's `struct_size` are not written.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_weave_status {
    /// `sizeof(wb_weave_status)` as compiled by the caller.
    pub struct_size: usize,
    /// Calls delivered by this client (ended calls, and unfinished ones sent as started).
    pub calls_sent: u64,
    /// Calls spooled but not delivered yet (offline mode: all of them, waiting for sync).
    pub calls_pending: u64,
    /// Distinct media files delivered.
    pub files_sent: u64,
    /// Distinct media files spooled but not delivered yet.
    pub files_pending: u64,
    /// Whether the last request reached the trace server.
    pub server_reachable: bool,
    /// Why delivery is stuck (e.g. "authentication failed (401) ..."), NUL-terminated
    /// UTF-8; empty when none.
    pub last_error: [c_char; 512],
}

/// Default options (everything from the environment). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_weave_options_default() -> wb_weave_options {
    wb_weave_options {
        struct_size: size_of::<wb_weave_options>(),
        mode: wb_run_mode::WB_MODE_AUTO,
        trace_server_url: std::ptr::null(),
        base_url: std::ptr::null(),
        api_key: std::ptr::null(),
        spool_dir: std::ptr::null(),
        wb_run_id: std::ptr::null(),
    }
}

/// An empty status with `struct_size` set. Thread-safe.
#[no_mangle]
pub extern "C" fn wb_weave_status_default() -> wb_weave_status {
    wb_weave_status {
        struct_size: size_of::<wb_weave_status>(),
        calls_sent: 0,
        calls_pending: 0,
        files_sent: 0,
        files_pending: 0,
        server_reachable: false,
        last_error: [0; 512],
    }
}

unsafe fn read_options(p: *const wb_weave_options) -> Result<WeaveOptions> {
    let mut o = WeaveOptions::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer whose first field is struct_size.
    let size = unsafe {
        super::versioned_size::<wb_weave_options>(
            std::ptr::addr_of!((*p).struct_size),
            size_of::<wb_weave_options>(),
            "options",
        )
    }?;
    macro_rules! string_field {
        ($f:ident) => {
            versioned_string_field!(p, size, wb_weave_options, $f)?
        };
    }
    // SAFETY: the field lies inside the caller's struct (v1 size checked above).
    o.mode = match unsafe { read_enum(std::ptr::addr_of!((*p).mode)) } {
        0 => Mode::Auto,
        1 => Mode::Offline,
        2 => Mode::Online,
        3 => Mode::Disabled,
        v => return Err(Error::invalid(format!("options.mode: unknown value {v}"))),
    };
    o.trace_server_url = string_field!(trace_server_url);
    o.base_url = string_field!(base_url);
    o.api_key = string_field!(api_key);
    o.spool_dir = string_field!(spool_dir).map(PathBuf::from);
    o.wb_run_id = string_field!(wb_run_id);
    Ok(o)
}

unsafe fn json_object_arg(p: *const c_char, name: &str) -> Result<Option<Json>> {
    if p.is_null() {
        return Ok(None);
    }
    let text = unsafe { utf8_arg(p, name) }?;
    let j = Json::parse(text).map_err(|e| Error::invalid(format!("{name}: {}", e.message)))?;
    if !matches!(j, Json::Object(_)) {
        return Err(Error::invalid(format!("{name} must be a JSON object")));
    }
    Ok(Some(j))
}

/// Opens a Weave client for `project` (`"entity/project"`, or `"project"`: the entity is
/// then the API key's default entity, resolved in the background with GraphQL `viewer`
/// like the Python client). `options` may be NULL (defaults). Never waits for the network:
/// in online mode a background thread asks `GET /server_info`, uploads files and sends
/// calls; a server that is down does not fail the open (calls wait in the spool).
/// Errors: `WB_ERR_INVALID_ARGUMENT` (project, URLs, online without an API key),
/// `WB_ERR_IO` (the spool directory cannot be created). On success `*out` owns the client.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_client_open(
    project: *const c_char,
    options: *const wb_weave_options,
    out: *mut *mut wb_weave_client,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let project = unsafe { utf8_arg(project, "project") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let opts = unsafe { read_options(options) }?;
        let inner = Client::open(project, &opts)?;
        unsafe { write_out(out, wb_weave_client { inner }) };
        Ok(())
    })
}

/// Attaches a run: calls started afterwards carry `wb_run_id` =
/// `"<entity>/<project>/<run id>"` (as the Python client inside `wandb.init`; an entity
/// the run was not given is the client's). `run` NULL detaches. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_client_set_run(
    client: *mut wb_weave_client,
    run: *const wb_run,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let c = unsafe { deref(client, "client") }?;
        let id = unsafe { run.as_ref() }.map(|r| {
            format!(
                "{}/{}/{}",
                r.inner.entity(),
                r.inner.project(),
                r.inner.id()
            )
        });
        c.inner.set_run_id(id);
        Ok(())
    })
}

/// Starts a call of `op_name` (a plain name such as `"policy_step"`), as a child of
/// `parent` (same trace) or a new root (`parent` NULL). `inputs`: a dict `wb_value`
/// (NULL = `{}`); media inside it (Video, Image, Audio, Html, …) are stored as files the
/// Python client reads back. `attributes_json`: a JSON object or NULL. Returns in
/// microseconds plus the time to write the call's media files to the spool; the value is
/// copied (the caller keeps ownership). Thread-safe. After `wb_weave_client_close`:
/// `WB_ERR_STATE`.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_call_start(
    client: *mut wb_weave_client,
    op_name: *const c_char,
    parent: *const wb_weave_call,
    inputs: *const wb_value,
    attributes_json: *const c_char,
    out: *mut *mut wb_weave_call,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let c = unsafe { deref(client, "client") }?;
        let op = unsafe { utf8_arg(op_name, "op_name") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let parent = unsafe { parent.as_ref() }.map(|p| &p.inner);
        let inputs = unsafe { inputs.as_ref() }.map(|v| &v.inner);
        let attrs = unsafe { json_object_arg(attributes_json, "attributes_json") }?;
        let call = c.inner.start(op, parent, inputs, attrs)?;
        let cs = |s: &str| std::ffi::CString::new(s).unwrap_or_default();
        let (id, trace_id) = (cs(&call.id), cs(&call.trace_id));
        unsafe {
            write_out(
                out,
                wb_weave_call {
                    inner: call,
                    id,
                    trace_id,
                },
            )
        };
        Ok(())
    })
}

/// Ends a call with `output` (NULL = None), or with `exception` (its text; NULL =
/// success), and an optional `summary_json` object. Once per call (again:
/// `WB_ERR_STATE`). The call handle must still be freed. Thread-safe with respect to other
/// calls.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_call_end(
    call: *mut wb_weave_call,
    output: *const wb_value,
    exception: *const c_char,
    summary_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let c = unsafe { deref(call, "call") }?;
        let output = unsafe { output.as_ref() }.map(|v| &v.inner);
        let exception = if exception.is_null() {
            None
        } else {
            Some(unsafe { utf8_arg(exception, "exception") }?)
        };
        let summary = unsafe { json_object_arg(summary_json, "summary_json") }?;
        c.inner.end(output, exception, summary)
    })
}

/// Frees a call. NULL is a no-op. A call freed without `wb_weave_call_end` is sent as
/// started but unfinished.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_call_free(call: *mut wb_weave_call) {
    if call.is_null() {
        return;
    }
    guard_void(|| {
        // SAFETY: `call` came from wb_weave_call_start and is freed once.
        drop(unsafe { Box::from_raw(call) });
    });
}

/// The call's id (UUIDv7 text), valid until the call is freed. NULL for a NULL call.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_call_id(call: *const wb_weave_call) -> *const c_char {
    match unsafe { call.as_ref() } {
        Some(c) => c.id.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The call's trace id (shared by every call of its tree), valid until the call is
/// freed. NULL for a NULL call.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_call_trace_id(call: *const wb_weave_call) -> *const c_char {
    match unsafe { call.as_ref() } {
        Some(c) => c.trace_id.as_ptr(),
        None => std::ptr::null(),
    }
}

unsafe fn write_status(out: *mut wb_weave_status, st: &Status) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    // SAFETY: the caller passes a writable status whose first field is struct_size.
    let size = unsafe { std::ptr::addr_of!((*out).struct_size).read() };
    if size < offset_of!(wb_weave_status, last_error) {
        return Err(Error::invalid(format!(
            "status_out.struct_size = {size} is too small: initialise it with wb_weave_status_default()"
        )));
    }
    unsafe {
        std::ptr::addr_of_mut!((*out).calls_sent).write(st.calls_sent);
        std::ptr::addr_of_mut!((*out).calls_pending).write(st.calls_pending);
        std::ptr::addr_of_mut!((*out).files_sent).write(st.files_sent);
        std::ptr::addr_of_mut!((*out).files_pending).write(st.files_pending);
        std::ptr::addr_of_mut!((*out).server_reachable).write(st.server_reachable);
    }
    if field_present(size, offset_of!(wb_weave_status, last_error), 512) {
        let mut n = st.last_error.len().min(511);
        while !st.last_error.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the field is inside the caller's struct.
        let buf = unsafe { &mut *std::ptr::addr_of_mut!((*out).last_error) };
        for (d, &s) in buf.iter_mut().zip(&st.last_error.as_bytes()[..n]) {
            *d = s as c_char;
        }
        buf[n] = 0;
    }
    Ok(())
}

fn timeout_arg(t: f64) -> Result<Duration> {
    if t.is_nan() || t < 0.0 || !t.is_finite() {
        return Err(Error::invalid(format!(
            "timeout_seconds = {t}: must be a finite number >= 0"
        )));
    }
    Ok(Duration::from_secs_f64(t.min(1e7)))
}

/// Waits up to `timeout_seconds` for everything spooled so far to be delivered.
/// `WB_OK` when nothing is pending; else `WB_ERR_NETWORK` naming what is pending and why
/// (returned at once on an authentication failure). Offline mode: `WB_OK` at once, the
/// pending counts say what waits for `wandb-media sync`. `status_out` may be NULL; it is
/// filled in both cases. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_client_flush(
    client: *mut wb_weave_client,
    timeout_seconds: f64,
    status_out: *mut wb_weave_status,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let c = unsafe { deref(client, "client") }?;
        let t = timeout_arg(timeout_seconds)?;
        let (st, r) = c.inner.flush(t);
        unsafe { write_status(status_out, &st) }?;
        r
    })
}

/// Closes the client: calls still open are recorded as started-but-unfinished, then
/// waits like `wb_weave_client_flush` and stops the sender (what was not delivered stays
/// in the spool for `wandb-media sync` or the next client on the same spool directory).
/// Later `wb_weave_call_start` returns `WB_ERR_STATE`. The client must still be freed.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_client_close(
    client: *mut wb_weave_client,
    timeout_seconds: f64,
    status_out: *mut wb_weave_status,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let c = unsafe { deref(client, "client") }?;
        let t = timeout_arg(timeout_seconds)?;
        let (st, r) = c.inner.close(t);
        unsafe { write_status(status_out, &st) }?;
        r
    })
}

/// Frees the client (closing it first if needed). NULL is a no-op. Never blocks for more
/// than about 1 s: what was not sent stays in the spool.
#[no_mangle]
pub unsafe extern "C" fn wb_weave_client_free(client: *mut wb_weave_client) {
    if client.is_null() {
        return;
    }
    guard_void(|| {
        // SAFETY: `client` came from wb_weave_client_open and is freed once.
        drop(unsafe { Box::from_raw(client) });
    });
}
