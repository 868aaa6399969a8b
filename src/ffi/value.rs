//! C ABI: values, lists, dicts, the run-directory sink and JSON output.

use std::ffi::c_char;

use super::{
    deep_arg, deref, deref_mut, guard, guard_deep, guard_void, null_arg, tensor_view, utf8_arg,
    utf8_arg_n, wb_error, wb_status, wb_tensor, write_out, write_string,
};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::row::{convert_row, convert_top};
use crate::run_dir::{RunDir, Step};
use crate::value::{NdArray, Value};

/// An opaque loggable value: scalar, string, list, dict, array, histogram or media object.
///
/// Ownership: created by a `wb_value_*`, `wb_list_new`, `wb_dict_new`, `wb_image_*`,
/// `wb_histogram_*` … constructor; owned by the caller; free with `wb_value_free`. Adding a
/// value to a list or dict stores a (cheap, shared) copy: the caller still owns and must
/// free the original. Thread-safety: a value may be read (logged, serialised, added to
/// containers) from several threads at once, but must not be modified (setters,
/// `wb_list_append`, `wb_dict_set`) while another thread uses it.
pub struct wb_value {
    pub(crate) inner: Value,
}

/// A run's files directory: where media files are written (`media/…`) and the run-config
/// singletons (box/mask class labels) collected.
///
/// Ownership: created by `wb_run_dir_new`, freed by `wb_run_dir_free`. Thread-safety: fully
/// thread-safe; many threads may serialise values into one `wb_run_dir` at once.
pub struct wb_run_dir {
    pub(crate) inner: RunDir,
}

pub(crate) fn step_of(step: i64) -> Result<Step> {
    if step >= 0 {
        return Ok(Step::Num(step));
    }
    Err(Error::invalid(format!(
        "step = {step}: must be >= 0 (for the summary namespace use \
         wb_row_to_summary_json / wb_value_to_summary_json)"
    )))
}

/// Shared constructor tail: check `out`, build, write the handle.
pub(crate) fn new_value(
    out: *mut *mut wb_value,
    make: impl FnOnce() -> Result<Value>,
) -> Result<()> {
    if out.is_null() {
        return Err(null_arg("out"));
    }
    let inner = make()?;
    // SAFETY: `out` is non-NULL.
    unsafe { write_out(out, wb_value { inner }) };
    Ok(())
}

/// Creates a JSON `null` value. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_null(out: *mut *mut wb_value, err: *mut wb_error) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::Null)))
}

/// Creates a boolean value. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_bool(
    v: bool,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::Bool(v))))
}

/// Creates an integer value. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_int(
    v: i64,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::Int(v))))
}

/// Creates a float value (NaN and ±Infinity allowed: written as `NaN`/`Infinity` like the
/// SDK). Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_float(
    v: f64,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::Float(v))))
}

/// Creates a string value from NUL-terminated UTF-8 (copied). Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_string(
    s: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        new_value(out, || {
            Ok(Value::Str(unsafe { utf8_arg(s, "s") }?.to_string()))
        })
    })
}

/// Creates a string value from `len` bytes of UTF-8 (copied; may contain NUL). `s` may be
/// NULL when `len` is 0. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_string_n(
    s: *const c_char,
    len: usize,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        new_value(out, || {
            Ok(Value::Str(unsafe { utf8_arg_n(s, len, "s") }?.to_string()))
        })
    })
}

/// Creates a value from JSON text (objects become dicts in key order, arrays lists; numbers
/// keep the int/float distinction). Useful for config-like nested data and for plain W&B
/// values such as graph nodes. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_from_json(
    json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let text = unsafe { utf8_arg(json, "json") }?;
        let deep = crate::json::nesting_depth(text) > crate::json::SHALLOW_DEPTH;
        // A deep value is parsed, converted and its JSON dropped on a big-stack thread.
        let make = || Json::parse(text).map(|j| Value::from_json(&j));
        let v = if deep {
            crate::par::off_caller(make)?
        } else {
            make()?
        };
        new_value(out, || Ok(v))
    })
}

/// Creates a numpy-array value (logged as the SDK logs an `np.ndarray`: one element → that
/// scalar, ≤ 32 elements → nested list, more → 32-bin histogram, or statistics in the
/// summary). The data is copied. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_value_from_tensor(
    t: *const wb_tensor,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let view = unsafe { tensor_view(t, "tensor") }?;
        new_value(out, || Ok(Value::Array(NdArray::from_tensor(&view)?)))
    })
}

/// Creates an empty list. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_list_new(out: *mut *mut wb_value, err: *mut wb_error) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::List(Vec::new()))))
}

/// Appends a copy of `item` to `list` (a list value). The caller keeps ownership of `item`.
/// A list whose items are all media of one type (images, videos, audio, html, 3-D objects,
/// molecules) is logged batched like the SDK (`images/separated`, …).
#[no_mangle]
pub unsafe extern "C" fn wb_list_append(
    list: *mut wb_value,
    item: *const wb_value,
    err: *mut wb_error,
) -> wb_status {
    let deep = unsafe { deep_arg(item) };
    guard_deep(err, deep, || {
        let item = unsafe { deref(item, "item") }?.inner.clone();
        unsafe { deref_mut(list, "list") }?.inner.list_push(item)
    })
}

/// Creates an empty dict (keys keep insertion order). Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_dict_new(out: *mut *mut wb_value, err: *mut wb_error) -> wb_status {
    guard(err, || new_value(out, || Ok(Value::Dict(Vec::new()))))
}

/// Sets `dict[key]` to a copy of `item` (UTF-8 key; an existing key keeps its position, as
/// in Python). The caller keeps ownership of `item`.
#[no_mangle]
pub unsafe extern "C" fn wb_dict_set(
    dict: *mut wb_value,
    key: *const c_char,
    item: *const wb_value,
    err: *mut wb_error,
) -> wb_status {
    // The replaced value (if any) is dropped here too: deep when the dict is.
    let deep = unsafe { deep_arg(item) || deep_arg(dict) };
    guard_deep(err, deep, || {
        let key = unsafe { utf8_arg(key, "key") }?;
        let item = unsafe { deref(item, "item") }?.inner.clone();
        unsafe { deref_mut(dict, "dict") }?
            .inner
            .dict_set(key, item)
    })
}

/// Sets the caption of a media value (image, video, audio, 3-D object, molecule). An empty
/// string is kept (`"caption": ""`), as in the SDK.
#[no_mangle]
pub unsafe extern "C" fn wb_value_set_caption(
    v: *mut wb_value,
    caption: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let caption = unsafe { utf8_arg(caption, "caption") }?;
        let v = unsafe { deref_mut(v, "value") }?;
        match v.inner.media_mut() {
            Some(m) => m.set_caption(Json::str(caption)),
            None => Err(Error::invalid(
                "value: captions can only be set on media values",
            )),
        }
    })
}

/// Frees a value. NULL is a no-op. Values added to lists/dicts stay valid there.
#[no_mangle]
pub unsafe extern "C" fn wb_value_free(v: *mut wb_value) {
    if v.is_null() {
        return;
    }
    // SAFETY: `v` came from Box::into_raw in this library and is freed once.
    let b = unsafe { Box::from_raw(v) };
    if b.inner.is_deep() {
        // Dropping recurses once per level: on a big-stack thread.
        guard_void(|| crate::par::off_caller(move || drop(b)));
    } else {
        guard_void(|| drop(b));
    }
}

/// Opens (creating it if needed) a run's files directory `files_dir` (UTF-8 path). Media
/// file paths in JSON are relative to it. Free with `wb_run_dir_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_run_dir_new(
    files_dir: *const c_char,
    out: *mut *mut wb_run_dir,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(files_dir, "files_dir") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let inner = RunDir::new(path)?;
        unsafe { write_out(out, wb_run_dir { inner }) };
        Ok(())
    })
}

/// Frees a run-directory handle (the files stay). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn wb_run_dir_free(dir: *mut wb_run_dir) {
    if dir.is_null() {
        return;
    }
    // SAFETY: `dir` came from Box::into_raw in this library and is freed once.
    guard_void(|| drop(unsafe { Box::from_raw(dir) }));
}

/// The run-config singletons registered so far by box/mask layers, as compact JSON
/// (`{"bounding_box/class_labels":{…},"mask/class_labels":{…}}`, `{}` if none) — what the
/// SDK stores under `config._wandb`. `*json_out` is owned by the caller: free it with
/// `wb_string_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_run_dir_config_json(
    dir: *const wb_run_dir,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let dir = unsafe { deref(dir, "dir") }?;
        if json_out.is_null() {
            return Err(null_arg("json_out"));
        }
        unsafe { write_string(json_out, dir.inner.config_json().to_compact()) }
    })
}

fn value_json(
    v: *const wb_value,
    dir: *mut wb_run_dir,
    key: *const c_char,
    step: Result<Step>,
    json_out: *mut *mut c_char,
) -> Result<()> {
    let v = unsafe { deref(v, "value") }?;
    let dir = unsafe { deref(dir, "dir") }?;
    let key = unsafe { utf8_arg(key, "key") }?;
    if json_out.is_null() {
        return Err(null_arg("json_out"));
    }
    let step = step?;
    let placed = std::sync::Mutex::new(Vec::new());
    let ctx = crate::media::BindCtx {
        sink: &dir.inner,
        key,
        step,
        placed: &placed,
    };
    let j = convert_top(&v.inner, &ctx)?;
    unsafe { write_string(json_out, j.to_compact()) }
}

fn row_json(
    row: *const wb_value,
    dir: *mut wb_run_dir,
    step: Result<Step>,
    json_out: *mut *mut c_char,
) -> Result<()> {
    let row = unsafe { deref(row, "row") }?;
    let dir = unsafe { deref(dir, "dir") }?;
    if json_out.is_null() {
        return Err(null_arg("json_out"));
    }
    let Value::Dict(members) = &row.inner else {
        return Err(Error::invalid(
            "row must be a dict value (wandb.log must be passed a dictionary)",
        ));
    };
    let converted = convert_row(members, &dir.inner, step?)?;
    unsafe { write_string(json_out, converted.to_compact()) }
}

/// Serialises one value as the SDK's `val_to_json` + compact writer would for
/// `run.log({key: value})` at local step `step` (>= 0): media files are written under `dir`
/// (atomically; identical content once) and the JSON text is returned in `*json_out` (free
/// with `wb_string_free`). A negative step is an error (the summary namespace has its own
/// function, `wb_value_to_summary_json`). Thread-safe (`dir` may be shared).
#[no_mangle]
pub unsafe extern "C" fn wb_value_to_json(
    v: *const wb_value,
    dir: *mut wb_run_dir,
    key: *const c_char,
    step: i64,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { deep_arg(v) }, || {
        value_json(v, dir, key, step_of(step), json_out)
    })
}

/// Like `wb_value_to_json` in the summary namespace (`run.summary.update({key: value})`):
/// media are named `<dotted.key>_summary_<hash>` and NaN floats in dicts become `null`.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_to_summary_json(
    v: *const wb_value,
    dir: *mut wb_run_dir,
    key: *const c_char,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { deep_arg(v) }, || {
        value_json(v, dir, key, Ok(Step::Summary), json_out)
    })
}

/// Serialises a whole row (a dict value) as `run.log(row)` at local step `step` (>= 0) does
/// (`history_dict_to_json`): returns `{"key":value_json,…}` in key order, byte-identical to
/// the SDK's values. Media files are written under `dir`. `*json_out`: free with
/// `wb_string_free`. A negative step is an error. Thread-safe (`dir` may be shared).
#[no_mangle]
pub unsafe extern "C" fn wb_row_to_json(
    row: *const wb_value,
    dir: *mut wb_run_dir,
    step: i64,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { deep_arg(row) }, || {
        row_json(row, dir, step_of(step), json_out)
    })
}

/// Like `wb_row_to_json` for `run.summary.update(row)` (the summary namespace). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_row_to_summary_json(
    row: *const wb_value,
    dir: *mut wb_run_dir,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard_deep(err, unsafe { deep_arg(row) }, || {
        row_json(row, dir, Ok(Step::Summary), json_out)
    })
}
