//! C ABI: html, 3-D objects, molecules, plotly figures, graphs.

use std::ffi::c_char;
use std::path::Path;

use super::value::{new_value, wb_value};
use super::{deref_mut, guard, tensor_view, utf8_arg, utf8_arg_n, wb_error, wb_status, wb_tensor};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::graph::{self, edge_json, Graph};
use crate::media::html::Html;
use crate::media::molecule::Molecule;
use crate::media::object3d::{box_from_json, tolist, Object3D};
use crate::media::plotly::Plotly;
use crate::value::Value;

/// An optional UTF-8 argument (NULL → `None`).
unsafe fn opt_utf8<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        unsafe { utf8_arg(p, name) }.map(Some)
    }
}

fn parse_json_arg(text: &str, name: &str) -> Result<Json> {
    Json::parse(text).map_err(|e| Error::new(e.kind, format!("{name}: {}", e.message)))
}

// ------------------------------------------------------------------------------------ html

/// Creates `wandb.Html(html, inject=inject)` from literal HTML (NUL-terminated UTF-8; never
/// treated as a path). With `inject` (the SDK default) the stylesheet snippet is added
/// after the first `<head>`, else in a new head after the first `<html>`, else in front
/// (case-sensitive), and the result is stripped of surrounding whitespace. Html has no
/// caption. `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_html_from_string(
    html: *const c_char,
    inject: bool,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let html = unsafe { utf8_arg(html, "html") }?;
        new_value(out, || Ok(Value::from(Html::from_string(html, inject))))
    })
}

/// Like `wb_html_from_string` with an explicit byte length (`len` bytes of UTF-8, no NUL
/// needed; `html` may be NULL when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn wb_html_from_string_n(
    html: *const c_char,
    len: usize,
    inject: bool,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let html = unsafe { utf8_arg_n(html, len, "html") }?;
        new_value(out, || Ok(Value::from(Html::from_string(html, inject))))
    })
}

/// Creates `wandb.Html(path, inject=inject)` from an existing file whose name ends in
/// `.html` (anything else is an error here; the SDK would log the path text as HTML). The
/// file must be UTF-8. With `inject` it is re-written (CRLF/CR → LF, snippet added,
/// stripped); without, copied byte for byte. UTF-8 path, read during the call.
/// `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_html_from_file(
    path: *const c_char,
    inject: bool,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        new_value(out, || {
            Ok(Value::from(Html::from_file(Path::new(path), inject)?))
        })
    })
}

// -------------------------------------------------------------------------------- object3d

/// Creates `wandb.Object3D(np_array)` from a 2-D tensor with 3 (`x y z`), 4 (`x y z
/// category`) or 6 (`x y z r g b`) columns, any dtype: written as `.pts.json` (the nested
/// list; float32 values as their float64 expansion, NaN/±inf as `NaN`/`Infinity`, integers
/// as integers), byte-identical to the SDK. Other shapes are the SDK's ValueError. Caption:
/// `wb_value_set_caption`. The tensor is read during the call only. `*out`: free with
/// `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_object3d_from_tensor(
    tensor: *const wb_tensor,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        new_value(out, || Ok(Value::from(Object3D::from_tensor(&t)?)))
    })
}

/// Creates `wandb.Object3D(path)` from a 3-D file: the path must END WITH `obj`, `gltf`,
/// `glb`, `babylon`, `stl` or `pts.json` (case-sensitive, as the SDK checks); the file is
/// copied unchanged with that extension. UTF-8 path, read during the call.
/// `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_object3d_from_file(
    path: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        new_value(out, || {
            Ok(Value::from(Object3D::from_file(Path::new(path))?))
        })
    })
}

/// Creates `wandb.Object3D(io, file_type=file_type)` from 3-D file content held in memory
/// as text (`len` bytes of UTF-8, e.g. an OBJ or glTF document; `data` may be NULL when
/// `len` is 0). `file_type` (NUL-terminated) is one of `obj`, `gltf`, `glb`, `babylon`,
/// `stl`, `pts.json`. `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_object3d_from_string(
    data: *const c_char,
    len: usize,
    file_type: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let data = unsafe { utf8_arg_n(data, len, "data") }?;
        let ty = unsafe { utf8_arg(file_type, "file_type") }?;
        new_value(out, || Ok(Value::from(Object3D::from_text(data, ty)?)))
    })
}

/// Creates a point-cloud scene (`wandb.Object3D.from_point_cloud(points, boxes, vectors)`,
/// type `lidar/beta`), written as `.pts.json` `{"type","vectors","points","boxes"}`.
///
/// * `points`: any tensor (usually N×3, N×4 or N×6), written like numpy `tolist()`;
///   NULL → `[]`.
/// * `boxes_json`: NULL (→ `[]`) or a JSON array; each element is either a `wandb.box3d`
///   spec `{"center":[x,y,z],"size":[x,y,z],"orientation":[r,i,j,k],"color":…,
///   "label"?:…,"score"?:…}` — the 8 corners are computed exactly as the SDK does (the
///   quaternion is normalised; all-zero is an error) and `color`/`label`/`score` are
///   written verbatim (`null` when absent) — or an already computed box object containing
///   `"corners"`, written verbatim.
/// * `vectors_json`: NULL (→ `[]`) or a JSON array written verbatim, e.g.
///   `[{"start":[0,0,0],"end":[1,1,1]}]`.
///
/// Caption: `wb_value_set_caption`. All inputs are read during the call only.
/// `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_object3d_from_point_cloud(
    points: *const wb_tensor,
    boxes_json: *const c_char,
    vectors_json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let points = if points.is_null() {
            Json::Array(Vec::new())
        } else {
            tolist(&unsafe { tensor_view(points, "points") }?)?
        };
        let array_arg = |p: *const c_char, name: &str| -> Result<Vec<Json>> {
            match unsafe { opt_utf8(p, name) }? {
                None => Ok(Vec::new()),
                Some(text) => match parse_json_arg(text, name)? {
                    Json::Array(a) => Ok(a),
                    _ => Err(Error::invalid(format!("{name} must be a JSON array"))),
                },
            }
        };
        let boxes = array_arg(boxes_json, "boxes_json")?
            .iter()
            .enumerate()
            .map(|(i, b)| box_from_json(b, i))
            .collect::<Result<Vec<_>>>()?;
        let vectors = array_arg(vectors_json, "vectors_json")?;
        new_value(out, || {
            Ok(Value::from(Object3D::from_scene(points, boxes, vectors)))
        })
    })
}

// -------------------------------------------------------------------------------- molecule

/// Creates `wandb.Molecule(path)`: the extension after the last dot must be one of `pdb`,
/// `pqr`, `mmcif`, `mcif`, `cif`, `sdf`, `sd`, `gro`, `mol2`, `mmtf` (case-sensitive); the
/// file is copied unchanged. Caption: `wb_value_set_caption`. UTF-8 path, read during the
/// call. `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_molecule_from_file(
    path: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        new_value(out, || {
            Ok(Value::from(Molecule::from_file(Path::new(path))?))
        })
    })
}

/// Creates `wandb.Molecule(io, file_type=file_type)` from molecule text held in memory
/// (`len` bytes of UTF-8, e.g. a PDB block; `data` may be NULL when `len` is 0), written
/// with the extension `.<file_type>` (one of the types of `wb_molecule_from_file`).
/// `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_molecule_from_string(
    data: *const c_char,
    len: usize,
    file_type: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let data = unsafe { utf8_arg_n(data, len, "data") }?;
        let ty = unsafe { utf8_arg(file_type, "file_type") }?;
        new_value(out, || Ok(Value::from(Molecule::from_text(data, ty)?)))
    })
}

// ---------------------------------------------------------------------------------- plotly

/// Creates `wandb.Plotly(fig)` from the figure as JSON text (a JSON object, what plotly's
/// `fig.to_plotly_json()` / `fig.to_json()` gives: `{"data": [...], "layout": {...}}`).
/// Written as `.plotly.json` with the SDK's compact writer, keys in the given order,
/// numbers as written (`1` stays an integer, `4.0` a float). Strict JSON (no NaN tokens).
/// Plotly has no caption and lists of plots are plain JSON lists. `*out`: free with
/// `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_plotly_from_json(
    figure_json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let text = unsafe { utf8_arg(figure_json, "figure_json") }?;
        let fig = parse_json_arg(text, "figure_json")?;
        new_value(out, || Ok(Value::from(Plotly::from_figure(&fig)?)))
    })
}

// ----------------------------------------------------------------------------------- graph

/// Creates an empty `wandb.Graph(format=format)`; `format` NULL means `"keras"`. Add nodes
/// with `wb_graph_add_node` and edges with `wb_graph_add_edge`; the `.graph.json` file
/// (`{"format","nodes","edges"}`) is written when the value is logged. A graph has no
/// caption and lists of graphs are plain JSON lists. `*out`: free with `wb_value_free`.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_graph_new(
    format: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let format = unsafe { opt_utf8(format, "format") }?.unwrap_or("keras");
        new_value(out, || Ok(Value::from(Graph::new(format))))
    })
}

fn graph_mut(v: &mut wb_value) -> Result<&mut Graph> {
    v.inner
        .media_mut()
        .and_then(|m| m.as_any_mut().downcast_mut::<Graph>())
        .ok_or_else(|| Error::invalid("graph: not a graph value (create it with wb_graph_new)"))
}

/// Adds `Node(**attrs)` to a graph. `node_json` is a JSON object with any of `id`, `name`,
/// `class_name`, `size`, `parameters`, `output_shape`, `is_output`, `num_parameters`
/// (constructor arguments: skipped when null) and `functions`, `child_parameters`,
/// `is_constant` (attributes: kept even when null); other keys are an error. The node is
/// written with the SDK's key order: `name` first (null when not given), then the fields in
/// the order above. Ids must be strings, numbers, booleans or null.
/// Not thread-safe for the same `graph` (it is modified); copies already added to lists or
/// dicts are not affected.
#[no_mangle]
pub unsafe extern "C" fn wb_graph_add_node(
    graph: *mut wb_value,
    node_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let text = unsafe { utf8_arg(node_json, "node_json") }?;
        let attrs = parse_json_arg(text, "node_json")?;
        let g = graph_mut(unsafe { deref_mut(graph, "graph") }?)?;
        g.add_node(&attrs).map(|_| ())
    })
}

/// Adds an edge between the nodes whose ids are `from_id_json` and `to_id_json` (JSON
/// values, e.g. `"\"conv1\""` or `"3"`; compared like Python dict keys, so `3` finds a node
/// with id `3.0`). Both must name nodes already added (the last one added wins for
/// duplicate ids). Written as `[from_id, to_id]`. Not thread-safe for the same `graph`.
#[no_mangle]
pub unsafe extern "C" fn wb_graph_add_edge(
    graph: *mut wb_value,
    from_id_json: *const c_char,
    to_id_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let from = parse_json_arg(
            unsafe { utf8_arg(from_id_json, "from_id_json") }?,
            "from_id_json",
        )?;
        let to = parse_json_arg(unsafe { utf8_arg(to_id_json, "to_id_json") }?, "to_id_json")?;
        let g = graph_mut(unsafe { deref_mut(graph, "graph") }?)?;
        g.add_edge(&from, &to)
    })
}

/// Creates a bare `wandb.Node` value (logged as its attribute dict, e.g.
/// `{"name":"x","id":1}`; not a file). `node_json` as for `wb_graph_add_node`.
/// `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_graph_node_value(
    node_json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let text = unsafe { utf8_arg(node_json, "node_json") }?;
        let node = graph::node_json(&parse_json_arg(text, "node_json")?)?;
        new_value(out, || Ok(Value::Json(node)))
    })
}

/// Creates a bare `wandb.Edge` value, logged as `[from_id, to_id]` (both JSON values,
/// written verbatim). `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_graph_edge_value(
    from_id_json: *const c_char,
    to_id_json: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let from = parse_json_arg(
            unsafe { utf8_arg(from_id_json, "from_id_json") }?,
            "from_id_json",
        )?;
        let to = parse_json_arg(unsafe { utf8_arg(to_id_json, "to_id_json") }?, "to_id_json")?;
        new_value(out, || Ok(Value::Json(edge_json(&from, &to))))
    })
}
