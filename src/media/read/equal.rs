//! `wb_value_equal`: the SDK's `__eq__` for values and data types.
//!
//! * plain values: Python `==` (`1 == 1.0 == True`, NaN ≠ NaN, dicts compare as mappings,
//!   lists item by item); arrays: same shape and elements;
//! * `Image.__eq__`: same grouping, caption, width, height, decoded pixels (and mode) and
//!   explicit class set; boxes and masks are not compared (as in the SDK);
//! * `Audio.__eq__`: same file (sha256) and caption;
//! * `Media.__eq__` (Video, Html, Object3D, Molecule, Plotly, Graph): same class and sha256;
//! * `Table.__eq__`: same row count, columns, column types and cells;
//! * Histogram has no `__eq__` in the SDK (identity); here two histograms are equal when
//!   their values and bins are (the only useful meaning for a C caller).

use crate::error::Result;
use crate::json::Json;
use crate::media::audio::Audio;
use crate::media::graph::Graph;
use crate::media::html::Html;
use crate::media::image::Image;
use crate::media::molecule::Molecule;
use crate::media::object3d::Object3D;
use crate::media::plotly::Plotly;
use crate::media::table::{JoinedTable, Table};
use crate::media::video::Video;
use crate::media::Media;
use crate::tensor::Scalar;
use crate::value::Value;

use super::pixels::decode_image;

/// Python-style numeric view of a scalar value.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(*b as u8 as f64),
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Json(Json::UInt(u)) => Some(*u as f64),
        _ => None,
    }
}

fn scalar_f64(s: Scalar) -> f64 {
    match s {
        Scalar::Int(i) => i as f64,
        Scalar::UInt(u) => u as f64,
        Scalar::Bool(b) => b as u8 as f64,
        other => other.as_f64(),
    }
}

/// `a == b` with the SDK's semantics (see the module docs). Image pixels are decoded.
pub fn values_equal(a: &Value, b: &Value) -> Result<bool> {
    crate::par::off_caller(|| eq(a, b, 0))
}

fn eq(a: &Value, b: &Value, depth: usize) -> Result<bool> {
    if depth > crate::json::SHALLOW_DEPTH + 2 {
        return Ok(false);
    }
    // Plain JSON values compare as the value tree they stand for.
    if let Value::Json(j) = a {
        if !matches!(j, Json::UInt(_)) {
            return eq(&Value::from_json(j), b, depth + 1);
        }
    }
    if let Value::Json(j) = b {
        if !matches!(j, Json::UInt(_)) {
            return eq(a, &Value::from_json(j), depth + 1);
        }
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        // i64 against i64 exactly; mixed through f64 like Python's int/float comparison.
        return Ok(match (a, b) {
            (Value::Int(i), Value::Int(j)) => i == j,
            _ => x == y,
        });
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !eq(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Dict(x), Value::Dict(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, p) in x {
                match y.iter().find(|(k2, _)| k2 == k) {
                    Some((_, q)) if eq(p, q, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            x.shape == y.shape
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| scalar_f64(p) == scalar_f64(q))
        }
        (Value::Histogram(x), Value::Histogram(y)) => {
            let same = |p: &[Json], q: &[Json]| {
                p.len() == q.len() && p.iter().zip(q).all(|(m, n)| m.as_f64() == n.as_f64())
            };
            same(&x.values, &y.values) && same(&x.bins, &y.bins)
        }
        (Value::Media(x), Value::Media(y)) => media_eq(x.as_ref(), y.as_ref(), depth)?,
        _ => false,
    })
}

fn caption_eq(a: &Option<Json>, b: &Option<Json>) -> bool {
    let norm = |c: &Option<Json>| c.clone().filter(|c| *c != Json::Null);
    norm(a) == norm(b)
}

fn sha_of(m: &dyn Media) -> Option<String> {
    let any = m.as_any();
    if let Some(v) = any.downcast_ref::<Video>() {
        return Some(v.file.sha256.clone());
    }
    if let Some(v) = any.downcast_ref::<Html>() {
        return Some(v.file.sha256.clone());
    }
    if let Some(v) = any.downcast_ref::<Object3D>() {
        return Some(v.file.sha256.clone());
    }
    if let Some(v) = any.downcast_ref::<Molecule>() {
        return Some(v.file.sha256.clone());
    }
    if let Some(v) = any.downcast_ref::<Plotly>() {
        return Some(v.file.sha256.clone());
    }
    if let Some(v) = any.downcast_ref::<Graph>() {
        return Some(v.file().sha256);
    }
    None
}

fn media_eq(a: &dyn Media, b: &dyn Media, depth: usize) -> Result<bool> {
    if a.class_name() != b.class_name() {
        return Ok(false);
    }
    let (x, y) = (a.as_any(), b.as_any());
    if let (Some(p), Some(q)) = (x.downcast_ref::<Image>(), y.downcast_ref::<Image>()) {
        return image_eq(p, q);
    }
    if let (Some(p), Some(q)) = (x.downcast_ref::<Audio>(), y.downcast_ref::<Audio>()) {
        return Ok(p.file.sha256 == q.file.sha256 && caption_eq(&p.caption, &q.caption));
    }
    if let (Some(p), Some(q)) = (x.downcast_ref::<Table>(), y.downcast_ref::<Table>()) {
        return table_eq(p, q, depth);
    }
    if let (Some(p), Some(q)) = (
        x.downcast_ref::<JoinedTable>(),
        y.downcast_ref::<JoinedTable>(),
    ) {
        return Ok(p.join_key == q.join_key
            && table_eq(&p.table1, &q.table1, depth)?
            && table_eq(&p.table2, &q.table2, depth)?);
    }
    Ok(match (sha_of(a), sha_of(b)) {
        (Some(p), Some(q)) => p == q,
        _ => false,
    })
}

fn image_eq(a: &Image, b: &Image) -> Result<bool> {
    if a.grouping.filter(|&g| g != 0) != b.grouping.filter(|&g| g != 0)
        || !caption_eq(&a.caption, &b.caption)
        || a.width != b.width
        || a.height != b.height
    {
        return Ok(false);
    }
    let classes = |i: &Image| i.classes.as_ref().map(|c| c.entries.clone());
    if classes(a) != classes(b) {
        return Ok(false);
    }
    if a.file.sha256 == b.file.sha256 {
        return Ok(true);
    }
    let (p, q) = (decode_image(&a.file.bytes)?, decode_image(&b.file.bytes)?);
    Ok(p == q)
}

/// `Table._eq_debug`: rows, columns, column types, then every cell.
pub fn table_eq(a: &Table, b: &Table, depth: usize) -> Result<bool> {
    if a.nrows() != b.nrows()
        || a.columns() != b.columns()
        || !json_eq_unordered(&a.column_types_json(), &b.column_types_json(), 0)
    {
        return Ok(false);
    }
    for (r, s) in a.rows().iter().zip(b.rows()) {
        for (p, q) in r.iter().zip(s) {
            if !eq(p, q, depth + 1)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// JSON equality with objects as mappings (member order ignored) and the members of
/// `allowed_types` lists as sets (their order follows the SDK's type merging).
pub fn json_eq_unordered(a: &Json, b: &Json, depth: usize) -> bool {
    if depth > crate::json::SHALLOW_DEPTH + 4 {
        return false;
    }
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter().find(|(k2, _)| k2 == k).is_some_and(|(_, w)| {
                        if k == "allowed_types" {
                            set_eq(v, w, depth)
                        } else {
                            json_eq_unordered(v, w, depth + 1)
                        }
                    })
                })
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| json_eq_unordered(p, q, depth + 1))
        }
        (
            Json::Int(_) | Json::Float(_) | Json::UInt(_),
            Json::Int(_) | Json::Float(_) | Json::UInt(_),
        ) => a.as_f64() == b.as_f64(),
        _ => a == b,
    }
}

fn set_eq(a: &Json, b: &Json, depth: usize) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|p| y.iter().any(|q| json_eq_unordered(p, q, depth + 1)))
                && y.iter()
                    .all(|q| x.iter().any(|p| json_eq_unordered(p, q, depth + 1)))
        }
        _ => json_eq_unordered(a, b, depth + 1),
    }
}
