//! Driver: html, object3d, molecule, plotly, graph specs (and image boxes/masks/classes).

use std::ptr;

use serde_json::Value as J;

use crate::util::{c, check, Handle, Tensor};
use crate::{set_caption, wrap, Ctx};
use wandb_media::ffi::media::*;
use wandb_media::ffi::value::wb_value;

pub fn build(ctx: &Ctx, kind: &str, spec: &J) -> Result<Handle<wb_value>, String> {
    match kind {
        "html" => build_html(ctx, spec),
        "object3d" => build_object3d(ctx, spec),
        "molecule" => build_molecule(ctx, spec),
        "plotly" => build_plotly(spec),
        "graph" => build_graph(spec),
        other => Err(format!("not implemented: {other}")),
    }
}

fn build_html(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let inject = spec.get("inject").and_then(J::as_bool).unwrap_or(true);
    let mut out = ptr::null_mut();
    match (
        spec.get("html").and_then(J::as_str),
        spec.get("file").and_then(J::as_str),
    ) {
        (Some(h), None) => check(|e| unsafe {
            wb_html_from_string_n(h.as_ptr().cast(), h.len(), inject, &mut out, e)
        })?,
        (None, Some(f)) => {
            let p = c(&ctx.path(f));
            check(|e| unsafe { wb_html_from_file(p.as_ptr(), inject, &mut out, e) })?
        }
        _ => return Err("wb=html: needs exactly one of html / file".into()),
    }
    Ok(wrap(out))
}

fn build_object3d(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let mut out = ptr::null_mut();
    if let Some(t) = spec.get("tensor") {
        let t = Tensor::from_spec(ctx, t)?;
        check(|e| unsafe { wb_object3d_from_tensor(t.desc(), &mut out, e) })?;
    } else if let Some(f) = spec.get("file").and_then(J::as_str) {
        let p = c(&ctx.path(f));
        check(|e| unsafe { wb_object3d_from_file(p.as_ptr(), &mut out, e) })?;
    } else if let Some(pc) = spec.get("point_cloud") {
        let ty = pc.get("type").and_then(J::as_str).unwrap_or("lidar/beta");
        if ty != "lidar/beta" {
            return Err("Type not supported, only 'lidar/beta' is currently supported".into());
        }
        let points = match pc.get("points") {
            None => None,
            Some(p @ J::Object(_)) => Some(Tensor::from_spec(ctx, p)?),
            Some(p) => Some(NestedList::from_json(p)?.into_tensor()?),
        };
        let boxes = pc.get("boxes").map(|b| c(&b.to_string()));
        let vectors = pc.get("vectors").map(|v| c(&v.to_string()));
        check(|e| unsafe {
            wb_object3d_from_point_cloud(
                points.as_ref().map_or(ptr::null(), |t| t.desc()),
                boxes.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
                vectors.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
                &mut out,
                e,
            )
        })?;
    } else {
        return Err("wb=object3d: needs one of tensor / file / point_cloud".into());
    }
    let v = wrap(out);
    set_caption(&v, spec)?;
    Ok(v)
}

/// `np.array(nested_list)` for numbers: rectangular, dtype bool < int64 < float64.
struct NestedList {
    shape: Vec<i64>,
    values: Vec<J>,
}

impl NestedList {
    fn from_json(v: &J) -> Result<NestedList, String> {
        let mut shape = Vec::new();
        let mut cur = v;
        while let J::Array(a) = cur {
            shape.push(a.len() as i64);
            match a.first() {
                Some(first) => cur = first,
                None => break,
            }
        }
        let mut values = Vec::new();
        fn walk(v: &J, shape: &[i64], out: &mut Vec<J>) -> Result<(), String> {
            match (v, shape.split_first()) {
                (J::Array(a), Some((&n, rest))) if a.len() as i64 == n => {
                    a.iter().try_for_each(|x| walk(x, rest, out))
                }
                (J::Number(_) | J::Bool(_), None) => {
                    out.push(v.clone());
                    Ok(())
                }
                _ => Err("points: not a rectangular nested list of numbers".into()),
            }
        }
        walk(v, &shape, &mut values)?;
        Ok(NestedList { shape, values })
    }

    fn into_tensor(self) -> Result<Tensor, String> {
        let any_float = self
            .values
            .iter()
            .any(|v| v.as_f64().is_some() && !v.is_i64());
        let all_bool = self.values.iter().all(J::is_boolean);
        let (dtype, bytes): (&str, Vec<u8>) = if self.values.is_empty() || any_float {
            let f = |v: &J| v.as_f64().or_else(|| v.as_bool().map(|b| b as u8 as f64));
            (
                "float64",
                self.values
                    .iter()
                    .flat_map(|v| f(v).unwrap_or(0.0).to_le_bytes())
                    .collect(),
            )
        } else if all_bool {
            (
                "bool",
                self.values
                    .iter()
                    .map(|v| v.as_bool() == Some(true))
                    .map(u8::from)
                    .collect(),
            )
        } else {
            let i = |v: &J| v.as_i64().or_else(|| v.as_bool().map(i64::from));
            (
                "int64",
                self.values
                    .iter()
                    .flat_map(|v| i(v).unwrap_or(0).to_le_bytes())
                    .collect(),
            )
        };
        let b64 = b64_encode(&bytes);
        let spec = serde_json::json!({"dtype": dtype, "shape": self.shape, "b64": b64});
        Tensor::from_spec(
            &Ctx {
                cases_dir: Default::default(),
            },
            &spec,
        )
    }
}

fn b64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn build_molecule(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let f = spec
        .get("file")
        .and_then(J::as_str)
        .ok_or("wb=molecule: needs file")?;
    let p = c(&ctx.path(f));
    let mut out = ptr::null_mut();
    check(|e| unsafe { wb_molecule_from_file(p.as_ptr(), &mut out, e) })?;
    let v = wrap(out);
    set_caption(&v, spec)?;
    Ok(v)
}

fn build_plotly(spec: &J) -> Result<Handle<wb_value>, String> {
    let fig = spec.get("figure").ok_or("wb=plotly: needs figure")?;
    let text = c(&fig.to_string());
    let mut out = ptr::null_mut();
    check(|e| unsafe { wb_plotly_from_json(text.as_ptr(), &mut out, e) })?;
    Ok(wrap(out))
}

fn build_graph(spec: &J) -> Result<Handle<wb_value>, String> {
    let format = spec.get("format").and_then(J::as_str).map(c);
    let mut out = ptr::null_mut();
    check(|e| unsafe {
        wb_graph_new(
            format.as_ref().map_or(ptr::null(), |f| f.as_ptr()),
            &mut out,
            e,
        )
    })?;
    let g = wrap(out);
    for n in spec
        .get("nodes")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = c(&n.to_string());
        check(|e| unsafe { wb_graph_add_node(g.ptr(), text.as_ptr(), e) })?;
    }
    for edge in spec
        .get("edges")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let pair = edge
            .as_array()
            .filter(|p| p.len() == 2)
            .ok_or("graph edge must be [from_id, to_id]")?;
        let (a, b) = (c(&pair[0].to_string()), c(&pair[1].to_string()));
        check(|e| unsafe { wb_graph_add_edge(g.ptr(), a.as_ptr(), b.as_ptr(), e) })?;
    }
    Ok(g)
}

pub fn attach_boxes_masks_classes(
    ctx: &Ctx,
    img: &Handle<wb_value>,
    spec: &J,
) -> Result<(), String> {
    use crate::util::{c, check, Tensor};
    use wandb_media::ffi::boxes::*;
    if let Some(boxes) = spec.get("boxes") {
        let layers = boxes
            .as_object()
            .ok_or("Images \"boxes\" argument must be a dictionary")?;
        for (layer, val) in layers {
            let key = c(layer);
            let text = c(&val.to_string());
            check(|e| unsafe {
                wb_image_add_boxes_layer(img.ptr(), key.as_ptr(), text.as_ptr(), e)
            })?;
        }
    }
    if let Some(masks) = spec.get("masks") {
        let layers = masks
            .as_object()
            .ok_or("Images \"masks\" argument must be a dictionary")?;
        for (layer, val) in layers {
            let key = c(layer);
            if let Some(file) = val.get("file").and_then(J::as_str) {
                let p = c(&ctx.path(file));
                check(|e| unsafe {
                    wb_image_add_mask_file(img.ptr(), key.as_ptr(), p.as_ptr(), e)
                })?;
                continue;
            }
            let t = Tensor::from_spec(
                ctx,
                val.get("mask_data").ok_or("mask layer needs mask_data")?,
            )?;
            let labels = val.get("class_labels").map(|l| c(&l.to_string()));
            let labels_ptr = labels.as_ref().map_or(std::ptr::null(), |l| l.as_ptr());
            check(|e| unsafe {
                wb_image_add_mask(img.ptr(), key.as_ptr(), t.desc(), labels_ptr, e)
            })?;
        }
    }
    if let Some(classes) = spec.get("classes") {
        let text = c(&classes.to_string());
        check(|e| unsafe { wb_image_set_classes(img.ptr(), text.as_ptr(), e) })?;
    }
    Ok(())
}
