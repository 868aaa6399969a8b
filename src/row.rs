//! `history_dict_to_json` / `val_to_json` (spec §15) and the summary variant (§15.5):
//! turns a dict of values into the row the SDK hands to its record writer.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::histogram::histogram_of;
use crate::media::{BindCtx, Media};
use crate::run_dir::{RunDir, Step};
use crate::stats::{try_array_stats, HistData, StatValue};
use crate::tensor::{DType, Scalar};
use crate::value::{NdArray, Value};

/// A converted row: top-level keys in order, each value ready for serialiser A.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row's keys and their JSON, in the order given.
    pub items: Vec<(String, Json)>,
    /// Files placed while converting (relative to the files dir), in order.
    pub placed: Vec<String>,
}

impl Row {
    /// `{"k":v,…}` with serialiser A — the `row.json` of the compat contract.
    pub fn to_compact(&self) -> String {
        Json::Object(self.items.clone()).to_compact()
    }
}

/// Convert a history row (`run.log(row)` with the SDK's local step `step`) or, with
/// `Step::Summary`, a summary update.
pub fn convert_row(row: &[(String, Value)], sink: &RunDir, step: Step) -> Result<Row> {
    let placed = Mutex::new(Vec::new());
    let mut items = Vec::with_capacity(row.len());
    for (key, value) in row {
        let ctx = BindCtx {
            sink,
            key,
            step,
            placed: &placed,
        };
        // `publish_partial_history` pops a user `_step` after `history_dict_to_json` (its
        // media are still bound and written) but before JSON encoding: the encoder's work
        // (array histograms, "not JSON serializable") never happens for it. The summary
        // keeps `_step`.
        if key == "_step" && step != Step::Summary {
            bind_only(value, &ctx)?;
            continue;
        }
        items.push((key.clone(), convert_top(value, &ctx)?));
    }
    Ok(Row {
        items,
        placed: placed.into_inner().unwrap_or_else(|p| p.into_inner()),
    })
}

/// What `val_to_json` alone does to a history value: bind media (files written) in dicts,
/// single media and all-media lists; plain values and arrays are left to the encoder.
fn bind_only(value: &Value, ctx: &BindCtx<'_>) -> Result<()> {
    match value {
        Value::Media(_) => {
            convert_value(value, ctx, true)?;
        }
        Value::Dict(members) => {
            for (k, v) in members {
                bind_only(v, &ctx.with_key(k))?;
            }
        }
        Value::List(items) if items.iter().all(Value::is_wb_value) => {
            convert_list(items, ctx)?;
        }
        _ => {}
    }
    Ok(())
}

/// Convert a top-level value of a row. In a summary update the SDK runs `json_friendly` on
/// top-level values a second time, which turns a numpy *scalar* NaN (a size-1 array of any
/// float dtype) into `null`; nested, only float32 scalars become `null` (float64 ones are
/// Python floats to the JSON encoder and stay `NaN`).
pub fn convert_top(value: &Value, ctx: &BindCtx<'_>) -> Result<Json> {
    if let Value::Array(a) = value {
        let nan = match a.get(0) {
            Some(Scalar::F64(v)) => v.is_nan(),
            Some(Scalar::F32(v)) => v.is_nan(),
            _ => false,
        };
        if ctx.step == Step::Summary && a.len() == 1 && nan {
            return Ok(Json::Null);
        }
    }
    convert_value(value, ctx, true)
}

/// Convert one value bound under `key` (nested dicts use their own keys, §1.2).
pub fn convert_value(value: &Value, ctx: &BindCtx<'_>, in_dict: bool) -> Result<Json> {
    let summary = ctx.step == Step::Summary;
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        // Summary updates turn float NaN into null at any dict depth (not inside lists).
        Value::Float(f) if summary && in_dict && f.is_nan() => Json::Null,
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => j.clone(),
        Value::Histogram(h) => h.to_json(),
        Value::Array(a) => ndarray_json(a, summary)?,
        Value::Media(m) => m.to_json(ctx)?,
        Value::Dict(members) => {
            let mut out = Vec::with_capacity(members.len());
            for (k, v) in members {
                let key = if summary {
                    format!("{}.{}", ctx.key, k)
                } else {
                    k.clone()
                };
                out.push((k.clone(), convert_value(v, &ctx.with_key(&key), true)?));
            }
            Json::Object(out)
        }
        Value::List(items) => convert_list(items, ctx)?,
    })
}

fn convert_list(items: &[Value], ctx: &BindCtx<'_>) -> Result<Json> {
    if items.iter().all(Value::is_wb_value) {
        if let Some(Value::Media(first)) = items.first() {
            let same_class = items.iter().all(|v| match v {
                Value::Media(m) => m.as_any().type_id() == first.as_any().type_id(),
                _ => false,
            });
            if first.batchable() && same_class {
                let media: Vec<Arc<dyn Media>> = items
                    .iter()
                    .filter_map(|v| match v {
                        Value::Media(m) => Some(m.clone()),
                        _ => None,
                    })
                    .collect();
                return first.list_to_json(&media, ctx);
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            out.push(convert_value(v, ctx, false)?);
        }
        return Ok(Json::Array(out));
    }
    // Not all W&B values: left to the JSON encoder, which cannot serialise media.
    plain_json(&Value::List(items.to_vec()), ctx.step == Step::Summary)
}

/// What the SDK's JSON encoder does with values `val_to_json` left alone.
fn plain_json(value: &Value, summary: bool) -> Result<Json> {
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => j.clone(),
        Value::Array(a) => ndarray_json(a, summary)?,
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|v| plain_json(v, summary))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), plain_json(v, summary)?)))
                .collect::<Result<_>>()?,
        ),
        Value::Histogram(_) => return Err(not_serialisable("Histogram")),
        Value::Media(m) => return Err(not_serialisable(m.class_name())),
    })
}

fn not_serialisable(class: &str) -> Error {
    Error::invalid(format!(
        "Object of type {class} is not JSON serializable (media inside a list mixed with plain values, or inside a dict in a list)"
    ))
}

fn scalar_json(s: Scalar) -> Json {
    match s {
        Scalar::Int(i) => Json::Int(i),
        Scalar::UInt(u) => Json::UInt(u),
        Scalar::F32(v) => Json::Float(v as f64),
        Scalar::F64(v) => Json::Float(v),
        Scalar::Bool(b) => Json::Bool(b),
    }
}

/// `ndarray.tolist()`: `data` (C order) as nested JSON lists of `shape`.
pub fn nested_list(shape: &[usize], data: &[Scalar]) -> Json {
    match shape.split_first() {
        None => data.first().map(|&s| scalar_json(s)).unwrap_or(Json::Null),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            Json::Array(
                (0..n)
                    .map(|i| nested_list(rest, &data[i * stride..(i + 1) * stride]))
                    .collect(),
            )
        }
    }
}

/// numpy arrays logged directly (§8.4): scalar, nested list (≤ 32 elements), 32-bin
/// histogram (history) or statistics (summary).
pub fn ndarray_json(a: &NdArray, summary: bool) -> Result<Json> {
    let n = a.len();
    if n == 1 {
        let Some(first) = a.get(0) else {
            return Ok(Json::Null);
        };
        // Summary: a float32 numpy scalar reaches the JSON encoder's `default`, whose
        // `json_friendly` turns NaN into None (float64 scalars are floats and stay NaN).
        if let (true, Scalar::F32(v)) = (summary, first) {
            if v.is_nan() {
                return Ok(Json::Null);
            }
        }
        return Ok(scalar_json(first));
    }
    if n <= 32 {
        return Ok(nested_list(&a.shape, &a.scalars()));
    }
    if summary {
        return array_statistics(a);
    }
    // f64 data is used in place; other dtypes are widened once (fallibly).
    let (counts, edges) = histogram_of(&a.view(), 32)?;
    Ok(Json::object([
        ("_type", Json::str("histogram")),
        (
            "values",
            Json::Array(counts.into_iter().map(Json::Int).collect()),
        ),
        (
            "bins",
            Json::Array(edges.into_iter().map(Json::Float).collect()),
        ),
    ]))
}

fn stat_json(v: StatValue) -> Json {
    match v {
        StatValue::Float(f) => Json::Float(f),
        StatValue::Int(i) => Json::Int(i),
        StatValue::UInt(u) => Json::UInt(u),
        StatValue::Bool(b) => Json::Bool(b),
    }
}

/// The summary statistics object of §8.4, computed in the array's own dtype like numpy.
fn array_statistics(a: &NdArray) -> Result<Json> {
    use std::borrow::Cow;
    // The elements in their own dtype, borrowed from the array when aligned (else copied
    // fallibly): no widened copy of a large array.
    let v = a.view();
    let floats64: Cow<'_, [f64]>;
    let floats32: Cow<'_, [f32]>;
    let i8s: Cow<'_, [i8]>;
    let i16s: Cow<'_, [i16]>;
    let i32s: Cow<'_, [i32]>;
    let i64s: Cow<'_, [i64]>;
    let u8s: Cow<'_, [u8]>;
    let u16s: Cow<'_, [u16]>;
    let u32s: Cow<'_, [u32]>;
    let u64s: Cow<'_, [u64]>;
    let data = match a.dtype {
        DType::F64 => {
            floats64 = v.elems::<f64>()?;
            HistData::F64(&floats64)
        }
        DType::F32 => {
            floats32 = v.elems::<f32>()?;
            HistData::F32(&floats32)
        }
        DType::I8 => {
            i8s = v.elems::<i8>()?;
            HistData::I8(&i8s)
        }
        DType::I16 => {
            i16s = v.elems::<i16>()?;
            HistData::I16(&i16s)
        }
        DType::I32 => {
            i32s = v.elems::<i32>()?;
            HistData::I32(&i32s)
        }
        DType::I64 => {
            i64s = v.elems::<i64>()?;
            HistData::I64(&i64s)
        }
        DType::U8 => {
            u8s = v.elems::<u8>()?;
            HistData::U8(&u8s)
        }
        DType::U16 => {
            u16s = v.elems::<u16>()?;
            HistData::U16(&u16s)
        }
        DType::U32 => {
            u32s = v.elems::<u32>()?;
            HistData::U32(&u32s)
        }
        DType::U64 => {
            u64s = v.elems::<u64>()?;
            HistData::U64(&u64s)
        }
        DType::BF16 => {
            // torch `.float()` first: the float32 statistics
            floats32 = Cow::Owned(v.to_f32()?);
            HistData::F32(&floats32)
        }
        DType::F16 => {
            // numpy reduces float16 in float32 (mean/var accumulate in float32) and returns
            // float16 results: the float32 statistics rounded to float16.
            // Percentiles: the float32 ones rounded to float16 (checked against numpy).
            floats32 = Cow::Owned(v.to_f32()?);
            let st = try_array_stats(HistData::F32(&floats32)).map_err(Error::invalid)?;
            let h = |v: f64| half::f16::from_f64(v).to_f64();
            let halves: Vec<half::f16> = floats32.iter().map(|&v| half::f16::from_f32(v)).collect();
            let (var, mean, mn, mx) = crate::stats::f16_var_mean_min_max(&halves);
            return Ok(Json::object([
                ("_type", Json::str("numpy.ndarray")),
                ("var", Json::Float(var)),
                ("mean", Json::Float(mean)),
                ("min", Json::Float(mn)),
                ("max", Json::Float(mx)),
                ("10%", Json::Float(h(st.p10))),
                ("25%", Json::Float(h(st.p25))),
                ("75%", Json::Float(h(st.p75))),
                ("90%", Json::Float(h(st.p90))),
                ("size", Json::Int(st.size as i64)),
            ]));
        }
        DType::Bool => {
            return Err(Error::invalid(
                "numpy boolean subtract, the `-` operator, is not supported (summary statistics of a bool array)",
            ))
        }
    };
    let st = try_array_stats(data).map_err(Error::invalid)?;
    // `np.percentile` of a float32 array is a float32 numpy scalar: the encoder's
    // `json_friendly` writes its NaN as null. float64 percentiles are floats: NaN.
    let pct = |v: f64| {
        if a.dtype == DType::F32 && v.is_nan() {
            Json::Null
        } else {
            Json::Float(v)
        }
    };
    Ok(Json::object([
        ("_type", Json::str("numpy.ndarray")),
        ("var", Json::Float(st.var)),
        ("mean", Json::Float(st.mean)),
        ("min", stat_json(st.min_value)),
        ("max", stat_json(st.max_value)),
        ("10%", pct(st.p10)),
        ("25%", pct(st.p25)),
        ("75%", pct(st.p75)),
        ("90%", pct(st.p90)),
        ("size", Json::Int(st.size as i64)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::Image;

    fn sink() -> (RunDir, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "wbm-row-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        (RunDir::new(&dir).unwrap(), dir)
    }

    fn img(v: u8) -> Value {
        Value::from(Image::from_u8(&[v; 12], 2, 2, 3).unwrap())
    }

    #[test]
    fn nested_media_use_innermost_key_and_summary_dotted_path() {
        let (rd, dir) = sink();
        let row = vec![(
            "eval".to_string(),
            Value::Dict(vec![
                ("img".into(), img(0)),
                ("nan".into(), Value::Float(f64::NAN)),
            ]),
        )];
        let h = convert_row(&row, &rd, Step::Num(3)).unwrap();
        let text = h.to_compact();
        assert!(
            text.contains("\"path\":\"media/images/img_3_7899d6ced52159786ff0.png\""),
            "{text}"
        );
        assert!(text.contains("\"nan\":NaN"), "{text}");
        assert_eq!(
            h.placed,
            vec!["media/images/img_3_7899d6ced52159786ff0.png".to_string()]
        );
        let s = convert_row(&row, &rd, Step::Summary).unwrap().to_compact();
        assert!(
            s.contains("media/images/eval.img_summary_7899d6ced52159786ff0.png"),
            "{s}"
        );
        assert!(s.contains("\"nan\":null"), "{s}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn lists_batch_only_homogeneous_media() {
        let (rd, dir) = sink();
        let hist = Value::Histogram(
            crate::media::histogram::Histogram::from_np(
                vec![Json::Int(1)],
                vec![Json::Int(0), Json::Int(1)],
            )
            .unwrap(),
        );
        let row = vec![
            ("imgs".to_string(), Value::List(vec![img(0), img(1)])),
            ("mixed".to_string(), Value::List(vec![img(0), hist.clone()])),
            ("empty".to_string(), Value::List(vec![])),
            (
                "plain".to_string(),
                Value::List(vec![Value::Int(1), Value::Float(f64::NAN)]),
            ),
        ];
        let text = convert_row(&row, &rd, Step::Summary).unwrap().to_compact();
        assert!(
            text.contains("\"imgs\":{\"_type\":\"images/separated\""),
            "{text}"
        );
        assert!(
            text.contains("\"mixed\":[{\"_type\":\"image-file\""),
            "{text}"
        );
        assert!(
            text.contains("{\"_type\":\"histogram\",\"values\":[1],\"bins\":[0,1]}]"),
            "{text}"
        );
        assert!(text.contains("\"empty\":[]"), "{text}");
        assert!(
            text.contains("\"plain\":[1,NaN]"),
            "NaN inside lists is kept in the summary: {text}"
        );
        let bad = vec![("x".to_string(), Value::List(vec![img(0), Value::Int(1)]))];
        let e = convert_row(&bad, &rd, Step::Num(0)).unwrap_err();
        assert!(
            e.message
                .contains("Object of type Image is not JSON serializable"),
            "{}",
            e.message
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn image_lists_are_pruned_to_108() {
        let (rd, dir) = sink();
        let row = vec![(
            "many".to_string(),
            Value::List((0..112).map(|i| img(i as u8)).collect()),
        )];
        let j = convert_row(&row, &rd, Step::Num(0))
            .unwrap()
            .items
            .remove(0)
            .1;
        assert_eq!(j.get("count"), Some(&Json::Int(108)));
        match j.get("filenames") {
            Some(Json::Array(f)) => assert_eq!(f.len(), 108),
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn small_arrays_become_scalars_and_lists() {
        let a = NdArray::new(
            DType::F32,
            vec![2, 1],
            &[Scalar::F32(0.1), Scalar::F32(2.0)],
        );
        assert_eq!(
            ndarray_json(&a, false).unwrap().to_compact(),
            "[[0.10000000149011612],[2.0]]"
        );
        let one = NdArray::new(DType::I64, vec![], &[Scalar::Int(7)]);
        assert_eq!(ndarray_json(&one, false).unwrap().to_compact(), "7");
    }
}
