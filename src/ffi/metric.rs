//! C ABI: `wb_run_define_metric` (`run.define_metric`). Logic in `crate::run::metric`.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::run::wb_run;
use super::{deref, field_present, utf8_arg, wb_error, wb_status};
use crate::error::{Error, Result};
use crate::run::metric::{self, Goal, MetricOptions};

/// `summary="min"` (flag of `wb_metric_options.summary`; combine with `|`).
pub const WB_METRIC_SUMMARY_MIN: u32 = 1;
/// `summary="max"`.
pub const WB_METRIC_SUMMARY_MAX: u32 = 2;
/// `summary="mean"`.
pub const WB_METRIC_SUMMARY_MEAN: u32 = 4;
/// `summary="last"`.
pub const WB_METRIC_SUMMARY_LAST: u32 = 8;
/// `summary="first"`.
pub const WB_METRIC_SUMMARY_FIRST: u32 = 16;
/// `summary="none"`: the metric is left out of the run summary.
pub const WB_METRIC_SUMMARY_NONE: u32 = 32;

/// `MetricRecord.goal`. wandb 0.31's Python `define_metric` no longer takes `goal=`; the
/// field is still part of the protocol (older SDKs wrote it). Leave it UNSET to write exactly
/// what wandb 0.31 writes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_metric_goal {
    WB_METRIC_GOAL_UNSET = 0,
    WB_METRIC_GOAL_MINIMIZE = 1,
    WB_METRIC_GOAL_MAXIMIZE = 2,
}

/// Options of `wb_run_define_metric` (the keyword arguments of `run.define_metric`). Always
/// start from `wb_metric_options_default()`. Strings are UTF-8, may be NULL (= not given)
/// and are only read during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_metric_options {
    /// `sizeof(wb_metric_options)` as compiled by the caller.
    pub struct_size: usize,
    /// `step_metric=`: the key this metric is charted against (e.g. "epoch", "env_step").
    pub step_metric: *const c_char,
    /// `summary=`: `WB_METRIC_SUMMARY_*` flags or'ed together (0 = not given: the summary
    /// keeps the latest value).
    pub summary: u32,
    /// `step_sync=`: -1 = default (true when `step_metric` is set), 0 = false, 1 = true.
    /// With step sync, rows that log this metric without the step metric get its latest
    /// value inserted.
    pub step_sync: i32,
    /// `hidden=`: hide the metric from automatic charts.
    pub hidden: bool,
    /// `overwrite=`: replace an earlier definition of the same name instead of merging.
    pub overwrite: bool,
    /// See `wb_metric_goal` (default UNSET).
    pub goal: wb_metric_goal,
}

/// Default metric options (nothing given). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_metric_options_default() -> wb_metric_options {
    wb_metric_options {
        struct_size: size_of::<wb_metric_options>(),
        step_metric: std::ptr::null(),
        summary: 0,
        step_sync: -1,
        hidden: false,
        overwrite: false,
        goal: wb_metric_goal::WB_METRIC_GOAL_UNSET,
    }
}

unsafe fn read_options(p: *const wb_metric_options) -> Result<MetricOptions> {
    let mut o = MetricOptions::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() };
    if size < offset_of!(wb_metric_options, step_metric) + size_of::<*const c_char>() {
        return Err(Error::invalid(format!(
            "options.struct_size = {size} is smaller than the first wb_metric_options"
        )));
    }
    if size > size_of::<wb_metric_options>() {
        return Err(Error::invalid(format!(
            "options.struct_size = {size} is larger than this library's wb_metric_options ({}): newer header than library?",
            size_of::<wb_metric_options>()
        )));
    }
    let sm = unsafe { std::ptr::addr_of!((*p).step_metric).read() };
    if !sm.is_null() {
        let s = unsafe { utf8_arg(sm, "options.step_metric") }?;
        if !s.is_empty() {
            o.step_metric = Some(s.to_string());
        }
    }
    if field_present(size, offset_of!(wb_metric_options, summary), 4) {
        o.summary = unsafe { std::ptr::addr_of!((*p).summary).read() };
    }
    if field_present(size, offset_of!(wb_metric_options, step_sync), 4) {
        o.step_sync = match unsafe { std::ptr::addr_of!((*p).step_sync).read() } {
            -1 => None,
            0 => Some(false),
            1 => Some(true),
            v => {
                return Err(Error::invalid(format!(
                    "options.step_sync = {v}: must be -1 (default), 0 or 1"
                )))
            }
        };
    }
    let read_bool = |off: usize, ptr: *const bool| -> bool {
        field_present(size, off, 1) && unsafe { (ptr as *const u8).read() } != 0
    };
    o.hidden = read_bool(offset_of!(wb_metric_options, hidden), unsafe {
        std::ptr::addr_of!((*p).hidden)
    });
    o.overwrite = read_bool(offset_of!(wb_metric_options, overwrite), unsafe {
        std::ptr::addr_of!((*p).overwrite)
    });
    if let Some(g) = versioned_enum_field!(p, size, wb_metric_options, goal) {
        o.goal = match g {
            0 => Goal::Unset,
            1 => Goal::Minimize,
            2 => Goal::Maximize,
            v => return Err(Error::invalid(format!("options.goal: unknown value {v}"))),
        };
    }
    Ok(o)
}

/// `run.define_metric(name, step_metric=, summary=, step_sync=, hidden=, overwrite=)`:
/// appends the SDK's metric record; rows committed afterwards get the step metric's latest
/// value inserted (step sync) and the summary aggregates (`"loss": {"min": …}`) that
/// wandb-core computes. `name` may end with `*` to match every key with that prefix
/// (`"train/"` + `*`); a `*` elsewhere is an error, as in the SDK. `options` may be NULL
/// (defaults). Thread-safe (ordered with the other calls like `wb_run_summary_update`).
#[no_mangle]
pub unsafe extern "C" fn wb_run_define_metric(
    run: *mut wb_run,
    name: *const c_char,
    options: *const wb_metric_options,
    err: *mut wb_error,
) -> wb_status {
    super::guard_deep(err, unsafe { super::run::run_deep(run, false) }, || {
        let run = unsafe { deref(run, "run") }?;
        let name = unsafe { utf8_arg(name, "name") }?;
        let opts = unsafe { read_options(options) }?;
        metric::validate(name, &opts)?;
        run.inner.define_metric(name, &opts)
    })
}
