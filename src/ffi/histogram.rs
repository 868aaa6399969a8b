//! C ABI: histograms.

use std::ffi::c_char;

use super::value::{new_value, wb_value};
use super::{guard, tensor_view, utf8_arg, wb_error, wb_status, wb_tensor};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::histogram::{Histogram, DEFAULT_BINS};
use crate::row::nested_list;
use crate::value::Value;

/// Creates `wandb.Histogram(data, num_bins=num_bins)`: numpy.histogram semantics (any NaN
/// or ±inf is an error), `num_bins` 0 means the default 64, more than 512 is an error.
/// Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_histogram_from_tensor(
    tensor: *const wb_tensor,
    num_bins: usize,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        let bins = if num_bins == 0 {
            DEFAULT_BINS
        } else {
            num_bins
        };
        new_value(out, || {
            Ok(Value::Histogram(Histogram::from_tensor(&t, bins)?))
        })
    })
}

/// `array.tolist()` as the SDK's `Histogram(np_histogram=...)` takes it: a plain (maybe
/// nested) list whatever its length — never the >32-element history-array rule. A 0-d
/// array has no `len()` in Python, which is the SDK's error too.
fn tensor_list(t: &crate::tensor::TensorView<'_>, name: &str) -> Result<Vec<Json>> {
    if t.ndim() == 0 {
        return Err(Error::invalid(format!(
            "object of type 'int' has no len() ({name} is a 0-d array)"
        )));
    }
    match nested_list(t.shape(), &t.to_scalars()?) {
        Json::Array(items) => Ok(items),
        _ => Ok(Vec::new()),
    }
}

/// Creates `wandb.Histogram(np_histogram=(values, edges))` from two tensors taken as
/// `.tolist()` (integer tensors stay integers; a 2-D tensor stays a nested list, as in the
/// SDK). Needs `len(edges) == len(values)+1` (first axis) and at most 512 values. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_histogram_from_np(
    values: *const wb_tensor,
    edges: *const wb_tensor,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = tensor_list(&unsafe { tensor_view(values, "values") }?, "values")?;
        let e = tensor_list(&unsafe { tensor_view(edges, "edges") }?, "edges")?;
        new_value(out, || Ok(Value::Histogram(Histogram::from_np(v, e)?)))
    })
}

/// Like `wb_histogram_from_np`, from two JSON arrays kept verbatim (`[0,1,2]` stays
/// integers, `[0, 0.5]` keeps its mixed types, nested arrays stay nested like the SDK's).
#[no_mangle]
pub unsafe extern "C" fn wb_histogram_from_np_json(
    values_json: *const c_char,
    edges_json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let parse = |p: *const c_char, name: &str| -> Result<Vec<Json>> {
            match Json::parse(unsafe { utf8_arg(p, name) }?)? {
                Json::Array(a) => Ok(a),
                _ => Err(Error::invalid(format!("{name} must be a JSON array"))),
            }
        };
        let v = parse(values_json, "values_json")?;
        let e = parse(edges_json, "edges_json")?;
        new_value(out, || Ok(Value::Histogram(Histogram::from_np(v, e)?)))
    })
}
