//! C ABI: runs (`wb_run_*`: offline, online, disabled). Only argument conversion; the logic is `crate::run`.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::value::wb_value;
use super::{
    deref, field_present, guard, guard_deep, null_arg, read_enum, utf8_arg, wb_error, wb_status,
    write_out, write_string,
};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::online::{Mode, Resume};
use crate::run::{FsyncPolicy, Run, RunOptions};
use crate::value::Value;

/// A run being written — offline (`<root>/wandb/offline-run-<date>_<time>-<id>/`), online
/// (`<root>/wandb/run-<date>_<time>-<id>/`, uploaded live by a background thread) or
/// disabled (nothing written) — with its `run-<id>.wandb` transaction log, which `wandb
/// sync` / `wandb-media sync` upload and `wandb leet inspect` reads (`wb_run_options.mode`).
///
/// Ownership: created by `wb_run_open`, released by `wb_run_free` (which finishes the run
/// with exit code 0 if `wb_run_finish` was not called).
///
/// Thread-safety: `wb_run_log`, `wb_run_summary_update`, `wb_run_config_update*`,
/// `wb_run_flush` and the getters may be called from any number of threads at once (media
/// are encoded in the calling threads in parallel; records are appended one call at a
/// time, in the order the calls started). `wb_run_finish` and `wb_run_free` must be called
/// once, after every other call on the run has returned.
pub struct wb_run {
    pub(crate) inner: Run,
    /// A value deeper than `json::SHALLOW_DEPTH` went into the run: its state (pending row,
    /// summary, metrics) may hold deep values, so every later call on it works on a
    /// big-stack helper thread (see `guard_deep`).
    pub(crate) deep: std::sync::atomic::AtomicBool,
}

/// Whether calls on `run` must work on a big-stack thread; `arg_deep` (a deep value
/// argument) marks the run for all later calls.
pub(crate) unsafe fn run_deep(run: *const wb_run, arg_deep: bool) -> bool {
    use std::sync::atomic::Ordering;
    // SAFETY: as `deref`.
    match unsafe { run.as_ref() } {
        Some(r) => {
            if arg_deep {
                r.deep.store(true, Ordering::SeqCst);
            }
            arg_deep || r.deep.load(Ordering::SeqCst)
        }
        None => arg_deep,
    }
}

/// When the `.wandb` log is forced to disk with fsync. In every mode a synchronous call's
/// records are handed to the OS before it returns, so they survive the process being
/// killed; fsync also protects against power loss.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_fsync_policy {
    /// fsync in `wb_run_flush` and `wb_run_finish` (default).
    WB_FSYNC_ON_FLUSH = 0,
    /// Never fsync (fastest).
    WB_FSYNC_NEVER = 1,
    /// fsync after every call's records (slowest, most durable).
    WB_FSYNC_ALWAYS = 2,
}

/// Options of `wb_run_open` (the `wandb.init` arguments). Always start from
/// `wb_run_options_default()`. All strings are UTF-8, may be NULL (= not set) and are only
/// read during `wb_run_open`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_run_options {
    /// `sizeof(wb_run_options)` as compiled by the caller.
    pub struct_size: usize,
    /// Project name (`project=`).
    pub project: *const c_char,
    /// Entity (user or team, `entity=`).
    pub entity: *const c_char,
    /// Display name (`name=`).
    pub name: *const c_char,
    /// Run id (`id=`); NULL = 8 random characters of [0-9a-z]. Must not contain
    /// `/ \ # ? % :`.
    pub id: *const c_char,
    /// Initial config as a JSON object (`config=`), e.g. `{"lr":0.001,"layers":[64,64]}`.
    pub config_json: *const c_char,
    /// Tags as a JSON array of strings (`tags=`), e.g. `["baseline","cpp"]`.
    pub tags_json: *const c_char,
    /// Run group (`group=`).
    pub group: *const c_char,
    /// Job type (`job_type=`).
    pub job_type: *const c_char,
    /// Notes (`notes=`).
    pub notes: *const c_char,
    /// When to fsync the log (default `WB_FSYNC_ON_FLUSH`).
    pub fsync: wb_fsync_policy,
    /// false (default): each call appends its records before returning. true: calls
    /// return once their media files are written and the row is queued; a writer thread
    /// appends the records; `wb_run_flush` waits for it. Write errors then surface in the
    /// next call, `wb_run_flush` or `wb_run_finish`.
    pub async_mode: bool,
    /// Async mode: how many calls may wait for the writer before callers block (0 = 1024).
    pub queue_depth: usize,
    /// Offline, online or disabled (default `WB_MODE_AUTO`: `WANDB_MODE`, else online when
    /// an API key is given here or in `WANDB_API_KEY`, else offline).
    pub mode: wb_run_mode,
    /// Online: server URL. NULL = `WANDB_BASE_URL`, else `https://api.wandb.ai`.
    pub base_url: *const c_char,
    /// Online: API key. NULL = `WANDB_API_KEY`, else the `~/.netrc` entry of the server's
    /// host (what `wandb login` writes).
    pub api_key: *const c_char,
    /// Online: `resume=` (default `WB_RESUME_DEFAULT`: `WANDB_RESUME`, else never).
    pub resume: wb_resume,
    /// Online: how long `wb_run_finish` (and `wb_run_sync`) wait for uploads, in
    /// milliseconds; 0 = default (10 minutes). When it passes, the call returns
    /// `WB_ERR_IO` naming what is pending; the run stays complete on disk for a later sync.
    /// With the default, `wb_run_finish` also stops waiting once the server has been
    /// unreachable for 2 minutes of its wait: a large upload to a reachable server may
    /// need the 10 minutes, but a program should not hang that long at exit because the
    /// network is gone (nothing is lost: the log is complete on disk). An explicit value
    /// is waited out in full. While waiting, progress is reported through the log handler
    /// at most every 5 s ("waiting for uploads: 12 rows, 3 files; server unreachable since
    /// 10:31:02"); see `wb_run_upload_status`.
    pub finish_timeout_ms: u64,
    /// true: no system-metrics sampler (the SDK's `x_disable_stats`). false (default): a
    /// thread writes the SDK's `stats` records (CPU, memory, disk, network, NVIDIA GPUs
    /// through NVML when present) every `stats_interval_ms`, until the run finishes.
    pub disable_stats: bool,
    /// Sampling interval in milliseconds (0 = 15000, the SDK's default; minimum 100).
    pub stats_interval_ms: u32,
    /// Console log of the run (the Logs tab; default `WB_CONSOLE_AUTO`). Added in 0.2:
    /// callers built against an older header pass a smaller `struct_size` and get the
    /// default.
    pub console: wb_console_mode,
    /// `WB_MODE_SHARED*`: this writer's label (the SDK's `x_label`): system-metric keys
    /// `system.<key>/l:<label>`, console lines `[<label>]`, its console file
    /// `output_<label>.log`. NULL = `WANDB_X_LABEL`, else `rank<N>` when a launcher's rank
    /// variable is set (`RANK`, `OMPI_COMM_WORLD_RANK`, `PMI_RANK`, `SLURM_PROCID`, in this
    /// order), else `<host>-<8 random [0-9a-z]>` as the SDK makes it.
    pub label: *const c_char,
    /// `WB_MODE_SHARED*`: `x_primary` (default `WB_FLAG_DEFAULT`: `WANDB_X_PRIMARY`, else
    /// true). Only the primary uploads `wandb-metadata.json`, `config.yaml` and the
    /// `wandb-summary.json` file; every writer streams its rows, summary and console.
    pub primary: wb_flag,
    /// `WB_MODE_SHARED*`: `x_update_finish_state` (default: `WANDB_X_UPDATE_FINISH_STATE`,
    /// else true): whether this writer's finish (exit code) finishes the run. Give it to one
    /// writer.
    pub update_finish_state: wb_flag,
}

/// A boolean option that can be left to its default (environment, then the documented
/// default).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_flag {
    WB_FLAG_DEFAULT = 0,
    WB_FLAG_TRUE = 1,
    WB_FLAG_FALSE = 2,
}

/// `wandb.Settings(console=…)`: what goes into the run's console log (`output_raw`
/// records, `files/output.log`, the `output.log` lines streamed online).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_console_mode {
    /// `WANDB_CONSOLE` as the SDK reads it (`off`, `redirect`, `wrap`/`auto`); without it
    /// `WB_CONSOLE_WRAP`: the library never touches the process's file descriptors unless
    /// asked to.
    WB_CONSOLE_AUTO = 0,
    /// No console log; `wb_run_console_write` is accepted and ignored.
    WB_CONSOLE_OFF = 1,
    /// Only what the host passes to `wb_run_console_write` (its own logger's sink).
    WB_CONSOLE_WRAP = 2,
    /// File descriptors 1 and 2 go through pipes (a pseudo-terminal when they were a
    /// terminal) and are teed, byte for byte, to where they went before: `printf`,
    /// `std::cout`, `fprintf(stderr)`, Go's `os.Stdout` and child processes are captured.
    /// Restored by `wb_run_finish`/`wb_run_free` (only where fd 1/2 is still the run's
    /// pipe: a program that replaced or closed them keeps its choice). Unix only (elsewhere
    /// it acts as `WB_CONSOLE_WRAP` with a warning). Also `wb_run_console_write` works.
    WB_CONSOLE_REDIRECT = 3,
}

/// The stream of a `wb_run_console_write` chunk (values = the file descriptors).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_console_stream {
    WB_CONSOLE_STDOUT = 1,
    /// Shown as `ERROR` lines in the Logs tab.
    WB_CONSOLE_STDERR = 2,
}

/// `wandb.init(mode=…)`. The log `run-<id>.wandb` is written in offline and online mode.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_run_mode {
    /// `WANDB_MODE` if set; else online when an API key is set (option or
    /// `WANDB_API_KEY`); else offline.
    WB_MODE_AUTO = 0,
    /// `<root>/wandb/offline-run-<date>_<time>-<id>/`, uploaded later with `wandb sync` or
    /// `wb_run_sync`.
    WB_MODE_OFFLINE = 1,
    /// `<root>/wandb/run-<date>_<time>-<id>/`, uploaded live by a background thread.
    WB_MODE_ONLINE = 2,
    /// Every call succeeds and does nothing (no files, no network).
    WB_MODE_DISABLED = 3,
    /// `mode="shared"` (W&B Server ≥ 0.68): one of several processes writing to one run id
    /// (give them all the same `id`), uploaded live like `WB_MODE_ONLINE`; see `label`,
    /// `primary`, `update_finish_state`. An explicit step in `wb_run_log` is an error (the
    /// server numbers a shared run's rows): log your own x-axis key with `define_metric`.
    WB_MODE_SHARED = 4,
    /// A shared writer without network (e.g. a robot): written like `WB_MODE_OFFLINE`, and
    /// `wandb-media sync` / `wb_run_sync` later upload it as the live writer would have been
    /// (its label, role and client id are kept in `logs/wandb-media-shared.json`).
    WB_MODE_SHARED_OFFLINE = 5,
}

/// `wandb.init(resume=…)` for online runs.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_resume {
    /// `WANDB_RESUME` if set, else `WB_RESUME_NEVER`.
    WB_RESUME_DEFAULT = 0,
    /// Start the run as given (a run with the same id on the server is overwritten).
    WB_RESUME_NEVER = 1,
    /// Continue the run with this id if the server has it, else start it.
    WB_RESUME_ALLOW = 2,
    /// The run must exist on the server (else uploading fails).
    WB_RESUME_MUST = 3,
}

/// Default run options (everything unset, fsync on flush, synchronous). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_run_options_default() -> wb_run_options {
    wb_run_options {
        struct_size: size_of::<wb_run_options>(),
        project: std::ptr::null(),
        entity: std::ptr::null(),
        name: std::ptr::null(),
        id: std::ptr::null(),
        config_json: std::ptr::null(),
        tags_json: std::ptr::null(),
        group: std::ptr::null(),
        job_type: std::ptr::null(),
        notes: std::ptr::null(),
        fsync: wb_fsync_policy::WB_FSYNC_ON_FLUSH,
        async_mode: false,
        queue_depth: 0,
        mode: wb_run_mode::WB_MODE_AUTO,
        base_url: std::ptr::null(),
        api_key: std::ptr::null(),
        resume: wb_resume::WB_RESUME_DEFAULT,
        finish_timeout_ms: 0,
        disable_stats: false,
        stats_interval_ms: 0,
        console: wb_console_mode::WB_CONSOLE_AUTO,
        label: std::ptr::null(),
        primary: wb_flag::WB_FLAG_DEFAULT,
        update_finish_state: wb_flag::WB_FLAG_DEFAULT,
    }
}

unsafe fn read_options(p: *const wb_run_options) -> Result<RunOptions> {
    let mut o = RunOptions::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe {
        super::versioned_size::<wb_run_options>(
            std::ptr::addr_of!((*p).struct_size),
            offset_of!(wb_run_options, queue_depth) + size_of::<usize>(),
            "options",
        )
    }?;
    macro_rules! string_field {
        ($f:ident) => {
            versioned_string_field!(p, size, wb_run_options, $f)?
        };
    }
    o.project = string_field!(project);
    o.entity = string_field!(entity);
    o.name = string_field!(name);
    o.id = string_field!(id);
    if let Some(text) = string_field!(config_json) {
        let j = Json::parse(&text)
            .map_err(|e| Error::invalid(format!("options.config_json: {}", e.message)))?;
        if !matches!(j, Json::Object(_)) {
            return Err(Error::invalid("options.config_json must be a JSON object"));
        }
        o.config = Some(j);
    }
    if let Some(text) = string_field!(tags_json) {
        let j = Json::parse(&text)
            .map_err(|e| Error::invalid(format!("options.tags_json: {}", e.message)))?;
        let Json::Array(items) = j else {
            return Err(Error::invalid(
                "options.tags_json must be a JSON array of strings",
            ));
        };
        for t in items {
            match t {
                Json::Str(s) => o.tags.push(s),
                _ => {
                    return Err(Error::invalid(
                        "options.tags_json must be a JSON array of strings",
                    ))
                }
            }
        }
    }
    o.group = string_field!(group);
    o.job_type = string_field!(job_type);
    o.notes = string_field!(notes);
    if field_present(size, offset_of!(wb_run_options, fsync), 4) {
        o.fsync = match unsafe { read_enum(std::ptr::addr_of!((*p).fsync)) } {
            0 => FsyncPolicy::OnFlush,
            1 => FsyncPolicy::Never,
            2 => FsyncPolicy::Always,
            v => return Err(Error::invalid(format!("options.fsync: unknown value {v}"))),
        };
    }
    let async_mode = field_present(size, offset_of!(wb_run_options, async_mode), 1)
        && unsafe { (std::ptr::addr_of!((*p).async_mode) as *const u8).read() } != 0;
    if async_mode {
        let depth = if field_present(
            size,
            offset_of!(wb_run_options, queue_depth),
            size_of::<usize>(),
        ) {
            unsafe { std::ptr::addr_of!((*p).queue_depth).read() }
        } else {
            0
        };
        if depth > 1 << 24 {
            return Err(Error::invalid(format!(
                "options.queue_depth = {depth} is too large (max 16777216)"
            )));
        }
        o.async_queue = Some(depth);
    }
    if field_present(size, offset_of!(wb_run_options, mode), 4) {
        o.mode = match unsafe { read_enum(std::ptr::addr_of!((*p).mode)) } {
            0 => Mode::Auto,
            1 => Mode::Offline,
            2 => Mode::Online,
            3 => Mode::Disabled,
            4 => Mode::Shared,
            5 => Mode::SharedOffline,
            v => return Err(Error::invalid(format!("options.mode: unknown value {v}"))),
        };
    }
    o.base_url = string_field!(base_url);
    o.api_key = string_field!(api_key);
    if field_present(size, offset_of!(wb_run_options, resume), 4) {
        o.resume = match unsafe { read_enum(std::ptr::addr_of!((*p).resume)) } {
            0 => None,
            1 => Some(Resume::Never),
            2 => Some(Resume::Allow),
            3 => Some(Resume::Must),
            v => return Err(Error::invalid(format!("options.resume: unknown value {v}"))),
        };
    }
    if field_present(size, offset_of!(wb_run_options, finish_timeout_ms), 8) {
        let ms = unsafe { std::ptr::addr_of!((*p).finish_timeout_ms).read() };
        if ms > 0 {
            o.finish_timeout = Some(std::time::Duration::from_millis(ms));
        }
    }
    o.disable_stats = field_present(size, offset_of!(wb_run_options, disable_stats), 1)
        && unsafe { (std::ptr::addr_of!((*p).disable_stats) as *const u8).read() } != 0;
    if field_present(size, offset_of!(wb_run_options, stats_interval_ms), 4) {
        let ms = unsafe { std::ptr::addr_of!((*p).stats_interval_ms).read() };
        if ms != 0 {
            o.stats_interval = Some(std::time::Duration::from_millis(u64::from(ms)));
        }
    }
    if field_present(size, offset_of!(wb_run_options, console), 4) {
        use crate::run::console::ConsoleMode;
        o.console = match unsafe { read_enum(std::ptr::addr_of!((*p).console)) } {
            0 => ConsoleMode::Auto,
            1 => ConsoleMode::Off,
            2 => ConsoleMode::Wrap,
            3 => ConsoleMode::Redirect,
            v => {
                return Err(Error::invalid(format!(
                    "options.console: unknown value {v}"
                )))
            }
        };
    }
    o.label = string_field!(label);
    macro_rules! flag_field {
        ($f:ident) => {
            if field_present(size, offset_of!(wb_run_options, $f), 4) {
                match unsafe { read_enum(std::ptr::addr_of!((*p).$f)) } {
                    0 => None,
                    1 => Some(true),
                    2 => Some(false),
                    v => {
                        return Err(Error::invalid(format!(
                            concat!("options.", stringify!($f), ": unknown value {}"),
                            v
                        )))
                    }
                }
            } else {
                None
            }
        };
    }
    o.primary = flag_field!(primary);
    o.update_finish_state = flag_field!(update_finish_state);
    Ok(o)
}

/// `root_dir` NULL: `WANDB_DIR` (as the SDK's `dir=` default); NULL without it is an error.
unsafe fn root_arg(root_dir: *const c_char) -> Result<String> {
    if root_dir.is_null() {
        return std::env::var("WANDB_DIR")
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Error::new(
                    crate::error::ErrorKind::NullArgument,
                    "root_dir is NULL and WANDB_DIR is not set",
                )
            });
    }
    Ok(unsafe { utf8_arg(root_dir, "root_dir") }?.to_string())
}

/// Opens a new run under `<root_dir>/wandb/` (created if needed):
/// `offline-run-<YYYYMMDD>_<HHMMSS>-<id>/{files,logs,tmp}/` and `run-<id>.wandb` (online
/// mode: `run-<YYYYMMDD>_<HHMMSS>-<id>/`), with `<root_dir>/wandb/latest-run` pointing at
/// it. `root_dir` NULL = `WANDB_DIR` (NULL without `WANDB_DIR` is `WB_ERR_NULL_ARGUMENT`).
///
/// Settings: an explicit option wins; an unset option (NULL string, `WB_MODE_AUTO`, …) is
/// taken from the environment as the SDK reads it — `WANDB_MODE`, `WANDB_API_KEY` (then
/// `~/.netrc`), `WANDB_BASE_URL`, `WANDB_PROJECT`, `WANDB_ENTITY`, `WANDB_NAME`,
/// `WANDB_NOTES`, `WANDB_TAGS` (comma-separated), `WANDB_RUN_GROUP`, `WANDB_JOB_TYPE`,
/// `WANDB_RUN_ID`, `WANDB_RESUME`, `WANDB_DIR`, `WANDB_SILENT` (no warnings on stderr);
/// else the default. Proxies: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`.
/// TLS: rustls with the system roots, or the PEM bundle in `REQUESTS_CA_BUNDLE` /
/// `SSL_CERT_FILE`.
///
/// Online mode: the calls write the log exactly as offline; a background thread reads it
/// and uploads (no call waits for the network). If the server is unreachable, the run
/// keeps going and uploads when it is back; `wb_run_finish` waits at most
/// `finish_timeout_ms`. `options` may be NULL (defaults). On
/// success `*out` owns the run: finish it with `wb_run_finish`, release it with
/// `wb_run_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_run_open(
    root_dir: *const c_char,
    options: *const wb_run_options,
    out: *mut *mut wb_run,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let root = unsafe { root_arg(root_dir) }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let opts = unsafe { read_options(options) }?;
        let inner = Run::open(root, opts)?;
        unsafe {
            write_out(
                out,
                wb_run {
                    inner,
                    deep: std::sync::atomic::AtomicBool::new(false),
                },
            )
        };
        Ok(())
    })
}

fn dict_members<'a>(v: &'a wb_value, name: &str) -> Result<&'a [(String, Value)]> {
    match &v.inner {
        Value::Dict(m) => Ok(m),
        _ => Err(Error::invalid(format!(
            "{name} must be a dict value (wandb.log must be passed a dictionary)"
        ))),
    }
}

/// Pass as `step` of `wb_run_log` for "no explicit step".
pub const WB_RUN_STEP_NONE: i64 = -1;
/// Pass as `commit` of `wb_run_log` for "not given" (the SDK's `commit=None`). Its value
/// differs from `WB_RUN_STEP_NONE` on purpose: swapping the two arguments is an error.
pub const WB_RUN_COMMIT_DEFAULT: i32 = -2;
/// `commit=False`: merge into the pending row.
pub const WB_RUN_COMMIT_FALSE: i32 = 0;
/// `commit=True`.
pub const WB_RUN_COMMIT_TRUE: i32 = 1;

/// `run.log(row, step=, commit=)`. `row` is a dict value (keys in order; values scalars,
/// lists, dicts, arrays, histograms, media). `step`: `WB_RUN_STEP_NONE` (-1) or an explicit
/// step ≥ 0. `commit`: `WB_RUN_COMMIT_DEFAULT` (-2), `WB_RUN_COMMIT_FALSE` (0: merge into
/// the pending row) or `WB_RUN_COMMIT_TRUE` (1); any other value is an error.
///
/// As in the SDK: media files are named with the local step before this call; without a
/// step and commit the row is committed as the next `_step`; `commit=0` merges into the
/// pending row; an explicit step above the current one commits the pending row first; a
/// step below it is dropped (its media are still written) with a warning through the log
/// handler (`wb_set_log_handler`), as the SDK warns. Media are encoded in the calling
/// thread. In synchronous mode this call's records (its `files` records, and the history
/// row if the call committed one) are in the log file before it returns; in async mode
/// after the next `wb_run_flush`.
/// `row` is only read. Thread-safe (see `wb_run`).
#[no_mangle]
pub unsafe extern "C" fn wb_run_log(
    run: *mut wb_run,
    row: *const wb_value,
    step: i64,
    commit: i32,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, super::deep_arg(row)) }, || {
        let run = unsafe { deref(run, "run") }?;
        let row = unsafe { deref(row, "row") }?;
        let members = dict_members(row, "row")?;
        let step = match step {
            WB_RUN_STEP_NONE => None,
            s if s >= 0 => Some(s),
            s => {
                return Err(Error::invalid(format!(
                    "step = {s}: must be >= 0 or WB_RUN_STEP_NONE (-1)"
                )))
            }
        };
        let commit = match commit {
            WB_RUN_COMMIT_DEFAULT => None,
            WB_RUN_COMMIT_FALSE => Some(false),
            WB_RUN_COMMIT_TRUE => Some(true),
            c => {
                return Err(Error::invalid(format!(
                    "commit = {c}: must be WB_RUN_COMMIT_DEFAULT (-2), WB_RUN_COMMIT_FALSE (0) \
                     or WB_RUN_COMMIT_TRUE (1)"
                )))
            }
        };
        run.inner.log(members, step, commit)
    })
}

/// `run.summary.update(dict)`: each top-level key is set in the run summary (media named
/// `<dotted key>_summary_<hash>`). `dict` is only read. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_summary_update(
    run: *mut wb_run,
    dict: *const wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, super::deep_arg(dict)) }, || {
        let run = unsafe { deref(run, "run") }?;
        let dict = unsafe { deref(dict, "dict") }?;
        run.inner.summary_update(dict_members(dict, "dict")?)
    })
}

/// `run.config.update(dict)` with a dict value of plain values (no media). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_config_update(
    run: *mut wb_run,
    dict: *const wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, super::deep_arg(dict)) }, || {
        let run = unsafe { deref(run, "run") }?;
        let dict = unsafe { deref(dict, "dict") }?;
        run.inner.config_update(dict_members(dict, "dict")?)
    })
}

/// `run.config.update(...)` from a JSON object text, e.g. `{"epochs":10}`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_config_update_json(
    run: *mut wb_run,
    json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    // SAFETY: as `utf8_arg` (read only to decide where the work runs).
    let deep = unsafe { utf8_arg(json, "json") }
        .is_ok_and(|t| crate::json::nesting_depth(t) > crate::json::SHALLOW_DEPTH);
    guard_deep(err, unsafe { run_deep(run, deep) }, || {
        let run = unsafe { deref(run, "run") }?;
        let text = unsafe { utf8_arg(json, "json") }?;
        run.inner.config_update_json(text)
    })
}

/// Appends `len` bytes of console output to the run's console log, as the SDK's `wrap`
/// console captures a `sys.stdout.write`: one `output_raw` record in the log, the line in
/// `files/output.log` (`\r` overwrites the line, ANSI escapes are kept) and, online, in the
/// streamed `output.log` (stderr lines as `ERROR`). For hosts with their own logger (a log
/// sink): pass what it writes. Invalid UTF-8 is replaced by U+FFFD; a character split
/// between two calls on one stream is joined. The bytes are not written anywhere else (not
/// to the terminal). Ignored with `WB_CONSOLE_OFF` and in disabled mode. `bytes` may be
/// NULL when `len` is 0. `stream` is a `wb_console_stream` value (an `int`, so any value
/// a caller passes is checked). Thread-safe (chunks keep the order of the calls).
#[no_mangle]
pub unsafe extern "C" fn wb_run_console_write(
    run: *mut wb_run,
    stream: i32,
    bytes: *const u8,
    len: usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let run = unsafe { deref(run, "run") }?;
        let stream = match stream {
            1 => crate::run::console::Stream::Stdout,
            2 => crate::run::console::Stream::Stderr,
            v => {
                return Err(Error::invalid(format!(
                    "stream = {v}: use WB_CONSOLE_STDOUT (1) or WB_CONSOLE_STDERR (2)"
                )))
            }
        };
        if len == 0 {
            return Ok(());
        }
        if bytes.is_null() {
            return Err(null_arg("bytes"));
        }
        if len > isize::MAX as usize {
            return Err(Error::invalid("len is too large"));
        }
        // SAFETY: the caller passes `len` readable bytes at `bytes`.
        let data = unsafe { std::slice::from_raw_parts(bytes, len) };
        run.inner.console_write(stream, data)
    })
}

/// Waits until every call that returned before this one has its records in the log file
/// (async mode), then fsyncs the log unless the policy is `WB_FSYNC_NEVER`. A pending
/// `commit=0` row stays pending. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_flush(run: *mut wb_run, err: *mut wb_error) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, false) }, || {
        unsafe { deref(run, "run") }?.inner.flush()
    })
}

/// `run.finish(exit_code)`: commits the pending row, writes the exit record (state
/// "finished"; a non-zero code is shown as failed by W&B), fsyncs and closes the log. Call
/// once, after all other calls on the run returned; later logging fails with
/// `WB_ERR_STATE`. The handle must still be released with `wb_run_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_run_finish(
    run: *mut wb_run,
    exit_code: i32,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { run_deep(run, false) }, || {
        unsafe { deref(run, "run") }?.inner.finish(exit_code)
    })
}

/// Releases a run handle. If `wb_run_finish` was not called, the run is finished first with
/// exit code 0 and the result of that is returned (a failure is also reported through the log
/// handler); otherwise returns `WB_OK`. The handle is freed in every case. NULL is a no-op
/// (`WB_OK`). Call once, after every other call on the run returned. A host that is failing
/// (an exception, a signal) should call `wb_run_finish(run, 1, …)` first so the run is
/// recorded as failed.
#[no_mangle]
pub unsafe extern "C" fn wb_run_free(run: *mut wb_run, err: *mut wb_error) -> wb_status {
    if run.is_null() {
        return super::report(err, Ok(()));
    }
    guard_deep(err, unsafe { run_deep(run, false) }, || {
        // SAFETY: `run` came from Box::into_raw in wb_run_open and is freed once.
        let run = unsafe { Box::from_raw(run) };
        let r = if run.inner.is_finished() {
            Ok(())
        } else {
            run.inner.finish(0)
        };
        if let Err(e) = &r {
            crate::diag::log(
                crate::diag::Level::Error,
                &format!("finishing the run in wb_run_free failed: {}", e.message),
            );
        }
        drop(run);
        r
    })
}

/// Async mode: how many calls that returned `WB_OK` had their records lost to a log write
/// error (the log is rolled back to its last complete record and later calls can write
/// again). `wb_run_flush` / `wb_run_finish` also return `WB_ERR_IO` once for every new loss.
/// Always 0 in synchronous mode, where the failing call itself returns the error.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_lost_calls(
    run: *const wb_run,
    out: *mut u64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let run = unsafe { deref(run, "run") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        // SAFETY: checked non-NULL; the caller provides a writable u64.
        unsafe { out.write(run.inner.lost_calls()) };
        Ok(())
    })
}

/// The run id. `*out` is owned by the caller: free it with `wb_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_id(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    unsafe { run_string(run, out, err, |r| Ok(r.id().to_string())) }
}

/// The body of the run's string getters (`wb_run_id`, `wb_run_dir_path`, `wb_run_url`, …):
/// checks `run` and `out`, then writes `get(run)` to `*out` (caller-owned) on success.
pub(crate) unsafe fn run_string(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
    get: impl FnOnce(&crate::run::Run) -> Result<String>,
) -> wb_status {
    guard(err, || {
        let run = unsafe { deref(run, "run") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let s = get(&run.inner)?;
        unsafe { write_string(out, s) }
    })
}

fn path_string(p: &std::path::Path) -> Result<String> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::invalid("the path is not valid UTF-8"))
}

/// The run directory: `<root>/wandb/offline-run-…-<id>` (offline) or
/// `<root>/wandb/run-…-<id>` (online) — what `wandb sync`, `wandb-media sync` and
/// `wandb leet inspect` take. `*out` is owned by the caller: free it with
/// `wb_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_dir_path(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    unsafe { run_string(run, out, err, |r| path_string(r.dir())) }
}

/// The run's files directory (`run.dir`; media paths in rows are relative to it). `*out`
/// is owned by the caller: free it with `wb_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_files_dir(
    run: *const wb_run,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    unsafe { run_string(run, out, err, |r| path_string(r.files_dir())) }
}

/// Uploads an existing run directory (`wandb/offline-run-…` or an interrupted online
/// `wandb/run-…`, written by this library or the Python SDK) like `wandb sync`, then marks
/// it synced (`run-<id>.wandb.synced`); a marked run is skipped (`WB_OK`, nothing sent).
/// A log cut short (killed writer) is uploaded up to its last complete record and the run
/// is finished with exit code 1. `options` may be NULL; only `base_url`, `api_key` and
/// `finish_timeout_ms` (0 = no limit) are used, with the same environment fallbacks as
/// `wb_run_open`. Blocks until done. Thread-safe. The directory is untrusted input: only
/// regular files inside its `files/` tree are read (no absolute paths, `..` or symbolic
/// links; FIFOs and devices are refused without blocking), and a log without a run record,
/// or with records beyond the limits, fails (`WB_ERR_INVALID_ARGUMENT` / `WB_ERR_IO`)
/// without a `.synced` marker.
#[no_mangle]
pub unsafe extern "C" fn wb_run_sync(
    run_dir: *const c_char,
    options: *const wb_run_options,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let dir = unsafe { utf8_arg(run_dir, "run_dir") }?;
        let opts = unsafe { read_options(options) }?;
        let settings = crate::online::Settings::resolve(
            opts.base_url.as_deref(),
            opts.api_key.as_deref(),
            None,
        )?;
        crate::online::sync::sync_dir(std::path::Path::new(dir), settings, opts.finish_timeout)
            .map(|_| ())
    })
}
