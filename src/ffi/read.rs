//! C ABI of the reading half (issue 21): `wb_value_from_wandb_json` (`init_from_json`),
//! `wb_artifact_get` (`artifact.get`), the type mapping, accessors for what was read, and
//! `wb_value_equal` (`__eq__`). Logic in `crate::media::read`.

use std::ffi::{c_char, CStr};
use std::path::Path;

use super::value::wb_value;
use super::{
    deref, guard, guard_void, null_arg, utf8_arg, wb_error, wb_status, write_out, write_string,
};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::audio::Audio;
use crate::media::graph::Graph;
use crate::media::html::Html;
use crate::media::image::Image;
use crate::media::molecule::Molecule;
use crate::media::object3d::Object3D;
use crate::media::plotly::Plotly;
use crate::media::read::{self, pixels, Source, TYPE_MAPPING};
use crate::media::table::Table;
use crate::media::video::Video;
use crate::media::MediaFile;
use crate::value::Value;

/// `WBValue.init_from_json` over any W&B JSON value: a history row or summary (an object
/// of values), one member's JSON, or an artifact's `<name>.<type>.json` content.
/// `source_dir` is the directory the JSON's paths are relative to: a run's `files/`
/// directory, or an artifact directory. Objects with a `_type` from `wb_type_mapping_name`
/// become that type (media keep the bytes of the files they name: logging them again
/// writes the same files); other objects become dicts, arrays lists. `NaN`/`Infinity`
/// tokens are accepted. Errors: malformed JSON, unknown `_type`, missing/corrupt files
/// (sha256 mismatch), paths that are absolute, contain `..` or leave `source_dir`
/// through a symbolic link, non-regular files, files above 2 GiB, nesting deeper than 32.
/// On success `*out` owns the value (`wb_value_free`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_from_wandb_json(
    json: *const c_char,
    source_dir: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let text = unsafe { utf8_arg(json, "json") }?;
        let dir = unsafe { utf8_arg(source_dir, "source_dir") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let j = read::parse_wandb_json(text)?;
        let src = Source::new(Path::new(dir))?;
        let v = read::read_value(&j, &src)?;
        unsafe { write_out(out, wb_value { inner: v }) };
        Ok(())
    })
}

/// `artifact.get(name)` on an artifact directory (staged, or downloaded with
/// `wandb artifact get` / `artifact.download()`): reads `<name>.<type>.json` (the first
/// type of `wb_type_mapping_name` present; `name` itself when it ends in `.json`) and the
/// files it refers to, as `wb_value_from_wandb_json` does. On success `*out` owns the
/// value. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_get(
    artifact_dir: *const c_char,
    name: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    // SAFETY: the caller's pointers, passed on; NULL options are the defaults.
    unsafe { wb_artifact_get_with_options(artifact_dir, name, std::ptr::null(), out, err) }
}

/// Options of `wb_artifact_get_with_options`. Start from `wb_artifact_get_options_default()`
/// (it sets `struct_size`, so later versions can add fields compatibly).
///
/// Why the caller supplies the id: the SDK's reference to an artifact entry is
/// `wandb-artifact://<hex of the artifact's server id>/<entry>`, and neither a downloaded
/// artifact directory (`wandb artifact get`, `artifact.download()`: the files only) nor a
/// staged one (the id is assigned by the server when the artifact is committed) holds that
/// id. The program that downloaded the artifact knows it (`artifact.id` in Python, the
/// `id` field of the GraphQL `artifact` query). The qualified name
/// (`entity/project/name:v3`) is not asked for: nothing the SDK writes for a referenced
/// value contains it (wandb 0.31: `ArtifactManifestEntry.ref_url()` and
/// `WBArtifactHandler.store_path` use the id and the entry path only).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_artifact_get_options {
    /// `sizeof(wb_artifact_get_options)` as compiled by the caller.
    pub struct_size: usize,
    /// The source artifact's server id as W&B reports it (`artifact.id`: base64, e.g.
    /// `"QXJ0aWZhY3Q6MTIz"`), or NULL. When set, the value read remembers its source like
    /// the SDK's `artifact.get` result: a table logged to a run writes `artifact_path =
    /// "wandb-artifact://<hex id>/<name>.table.json"` and its `run_table` artifact holds one
    /// reference entry to it (no copy); media cells of the table and their masks
    /// (image files and mask files), added to another table that is logged, become
    /// reference entries to their files in the source (same entry names, the source
    /// digests, size 0, no upload); class-set files are written again, as the SDK does.
    pub artifact_id: *const c_char,
}

/// Default options (no artifact id: values read are copied when logged). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_artifact_get_options_default() -> wb_artifact_get_options {
    wb_artifact_get_options {
        struct_size: std::mem::size_of::<wb_artifact_get_options>(),
        artifact_id: std::ptr::null(),
    }
}

/// `wb_artifact_get` with options (`options` may be NULL: the same as `wb_artifact_get`).
/// With `options->artifact_id`, the value refers back to the source artifact when it is
/// logged or put in a logged table (see `wb_artifact_get_options`); a malformed id is
/// `WB_ERR_INVALID_ARGUMENT`. A table loses its reference when a row is added (it no
/// longer is the source's table; the SDK would keep referencing the old rows). On success
/// `*out` owns the value. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_get_with_options(
    artifact_dir: *const c_char,
    name: *const c_char,
    options: *const wb_artifact_get_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let dir = unsafe { utf8_arg(artifact_dir, "artifact_dir") }?;
        let name = unsafe { utf8_arg(name, "name") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let mut id: Option<&str> = None;
        if !options.is_null() {
            // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
            let size = unsafe {
                super::versioned_size::<wb_artifact_get_options>(
                    std::ptr::addr_of!((*options).struct_size),
                    std::mem::offset_of!(wb_artifact_get_options, artifact_id)
                        + std::mem::size_of::<*const c_char>(),
                    "options",
                )
            }?;
            if super::field_present(
                size,
                std::mem::offset_of!(wb_artifact_get_options, artifact_id),
                std::mem::size_of::<*const c_char>(),
            ) {
                let p = unsafe { std::ptr::addr_of!((*options).artifact_id).read() };
                if !p.is_null() {
                    id = Some(unsafe { utf8_arg(p, "options.artifact_id") }?);
                }
            }
        }
        let v = read::artifact_get_with_id(Path::new(dir), name, id)?;
        unsafe { write_out(out, wb_value { inner: v }) };
        Ok(())
    })
}

/// The reference a value read with an artifact id writes when logged: for a table, the
/// `artifact_path` URL (`wandb-artifact://<hex id>/<name>.table.json`); for file-backed
/// media, the URL of its file's entry. `*out` receives an owned string (`wb_string_free`),
/// or NULL when the value refers to nothing (read without an id, made by the program, or a
/// table a row was added to). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_artifact_reference(
    value: *const wb_value,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let url = match v {
            Value::Media(m) if m.as_any().is::<Table>() => v
                .media_ref::<Table>()
                .and_then(Table::artifact_source)
                .map(|r| r.url()),
            _ => file_of(v).and_then(|f| f.artifact_ref.map(|r| r.url())),
        };
        match url {
            Some(u) => unsafe { write_string(out, u) },
            None => {
                unsafe { out.write(std::ptr::null_mut()) };
                Ok(())
            }
        }
    })
}

/// Number of entries of the type mapping (`_type` names the library reads).
#[no_mangle]
pub extern "C" fn wb_type_mapping_count() -> usize {
    TYPE_MAPPING.len()
}

static TYPE_NAMES: [&CStr; 23] = [
    c"audio-file",
    c"bounding-boxes",
    c"classes",
    c"graph-file",
    c"histogram",
    c"html-file",
    c"image-file",
    c"joined-table",
    c"mask",
    c"molecule-file",
    c"object3D-file",
    c"plotly-file",
    c"table",
    c"video-file",
    c"table-file",
    c"incremental-table-file",
    c"boxes2D",
    c"images/separated",
    c"videos",
    c"audio",
    c"html",
    c"object3D",
    c"molecule",
];

/// The `i`-th `_type` name of the type mapping (`i < wb_type_mapping_count()`), else NULL.
/// The first 14 are the SDK's `WBValue.type_mapping()` keys the library reads (artifact
/// types); the others are run-JSON forms (`table-file`, `boxes2D`, batched lists). The
/// string is static. (`bounding-boxes`, `classes` and `mask` are read as parts of an image.)
#[no_mangle]
pub extern "C" fn wb_type_mapping_name(i: usize) -> *const c_char {
    TYPE_NAMES.get(i).map_or(std::ptr::null(), |c| c.as_ptr())
}

/// Whether `type_name` is a `_type` the library reads (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn wb_type_is_known(type_name: *const c_char) -> bool {
    if type_name.is_null() {
        return false;
    }
    // SAFETY: NUL-terminated string from the caller.
    let s = unsafe { CStr::from_ptr(type_name) };
    s.to_str().is_ok_and(read::knows_type)
}

// ---------------------------------------------------------------------------------------
// What a value is
// ---------------------------------------------------------------------------------------

static KINDS: [(&str, &CStr); 19] = [
    ("null", c"null"),
    ("bool", c"bool"),
    ("int", c"int"),
    ("float", c"float"),
    ("string", c"string"),
    ("list", c"list"),
    ("dict", c"dict"),
    ("ndarray", c"ndarray"),
    ("histogram", c"histogram"),
    ("json", c"json"),
    ("Image", c"Image"),
    ("Audio", c"Audio"),
    ("Video", c"Video"),
    ("Table", c"Table"),
    ("JoinedTable", c"JoinedTable"),
    ("Html", c"Html"),
    ("Object3D", c"Object3D"),
    ("Molecule", c"Molecule"),
    ("Plotly", c"Plotly"),
];

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "string",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Array(_) => "ndarray",
        Value::Histogram(_) => "histogram",
        Value::Json(_) => "json",
        Value::Media(m) => m.class_name(),
    }
}

/// What `value` is: "null", "bool", "int", "float", "string", "list", "dict", "ndarray",
/// "histogram", "json" (other plain JSON, e.g. integers above 2^63), or the media class
/// ("Image", "Audio", "Video", "Table", "JoinedTable", "Html", "Object3D", "Molecule",
/// "Plotly", "Graph"). Static string; NULL for a NULL value.
#[no_mangle]
pub unsafe extern "C" fn wb_value_type(value: *const wb_value) -> *const c_char {
    let Some(v) = (unsafe { value.as_ref() }) else {
        return std::ptr::null();
    };
    let k = kind_of(&v.inner);
    if k == "Graph" {
        return c"Graph".as_ptr();
    }
    KINDS
        .iter()
        .find(|(n, _)| *n == k)
        .map_or(c"unknown".as_ptr(), |(_, c)| c.as_ptr())
}

unsafe fn value_ref<'a>(v: *const wb_value, name: &str) -> Result<&'a Value> {
    Ok(&unsafe { deref(v, name) }?.inner)
}

unsafe fn out_ptr<T>(p: *mut T, name: &str) -> Result<&'static mut T> {
    // SAFETY: caller-provided out-parameter.
    unsafe { p.as_mut() }.ok_or_else(|| null_arg(name))
}

fn wrong(name: &str, want: &str, v: &Value) -> Error {
    Error::invalid(format!("{name}: is {}, not {want}", kind_of(v)))
}

/// A bool, int or float value as a double (`1`, `1.0`, `true` → 1.0). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_get_float(
    value: *const wb_value,
    out: *mut f64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let x = match v {
            Value::Bool(b) => *b as u8 as f64,
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Json(Json::UInt(u)) => *u as f64,
            other => return Err(wrong("value", "a number", other)),
        };
        *unsafe { out_ptr(out, "out") }? = x;
        Ok(())
    })
}

/// An int or bool value as int64 (a float value is an error). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_get_int(
    value: *const wb_value,
    out: *mut i64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let x = match v {
            Value::Bool(b) => *b as i64,
            Value::Int(i) => *i,
            other => return Err(wrong("value", "an int", other)),
        };
        *unsafe { out_ptr(out, "out") }? = x;
        Ok(())
    })
}

/// A bool value. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_get_bool(
    value: *const wb_value,
    out: *mut bool,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let Value::Bool(b) = v else {
            return Err(wrong("value", "a bool", v));
        };
        *unsafe { out_ptr(out, "out") }? = *b;
        Ok(())
    })
}

/// A string value: `*data` points at its UTF-8 bytes (not NUL-terminated; may contain NUL),
/// `*len` their count. The pointer stays valid while `value` is alive and unmodified.
#[no_mangle]
pub unsafe extern "C" fn wb_value_get_string(
    value: *const wb_value,
    data: *mut *const c_char,
    len: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let Value::Str(s) = v else {
            return Err(wrong("value", "a string", v));
        };
        *unsafe { out_ptr(data, "data") }? = s.as_ptr() as *const c_char;
        *unsafe { out_ptr(len, "len") }? = s.len();
        Ok(())
    })
}

/// Number of items of a list, members of a dict, or rows of a table. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_len(
    value: *const wb_value,
    out: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let n = match v {
            Value::List(a) => a.len(),
            Value::Dict(m) => m.len(),
            Value::Media(m) if m.as_any().is::<Table>() => {
                v.media_ref::<Table>().map_or(0, Table::nrows)
            }
            other => return Err(wrong("value", "a list, dict or table", other)),
        };
        *unsafe { out_ptr(out, "out") }? = n;
        Ok(())
    })
}

/// Item `index` of a list: `*out` receives an owned copy (`wb_value_free`).
#[no_mangle]
pub unsafe extern "C" fn wb_list_get(
    list: *const wb_value,
    index: usize,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(list, "list") }?;
        let Value::List(items) = v else {
            return Err(wrong("list", "a list", v));
        };
        let item = items.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "index {index} out of range (list of {})",
                items.len()
            ))
        })?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe {
            write_out(
                out,
                wb_value {
                    inner: item.clone(),
                },
            )
        };
        Ok(())
    })
}

/// Member `index` of a dict (insertion order): `*key` receives its key (free with
/// `wb_string_free`) and `*out` (if not NULL) an owned copy of its value.
#[no_mangle]
pub unsafe extern "C" fn wb_dict_entry(
    dict: *const wb_value,
    index: usize,
    key: *mut *mut c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(dict, "dict") }?;
        let Value::Dict(m) = v else {
            return Err(wrong("dict", "a dict", v));
        };
        let (k, item) = m.get(index).ok_or_else(|| {
            Error::invalid(format!("index {index} out of range (dict of {})", m.len()))
        })?;
        if key.is_null() {
            return Err(null_arg("key"));
        }
        unsafe { write_string(key, k.clone()) }?;
        if !out.is_null() {
            unsafe {
                write_out(
                    out,
                    wb_value {
                        inner: item.clone(),
                    },
                )
            };
        }
        Ok(())
    })
}

/// The member `key` of a dict: `*out` receives an owned copy; `WB_ERR_INVALID_ARGUMENT`
/// if there is none.
#[no_mangle]
pub unsafe extern "C" fn wb_dict_get(
    dict: *const wb_value,
    key: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(dict, "dict") }?;
        let key = unsafe { utf8_arg(key, "key") }?;
        let Value::Dict(m) = v else {
            return Err(wrong("dict", "a dict", v));
        };
        let item = m
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::invalid(format!("dict has no member {key:?}")))?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe {
            write_out(
                out,
                wb_value {
                    inner: item.clone(),
                },
            )
        };
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

unsafe fn table_of<'a>(v: *const wb_value, name: &str) -> Result<&'a Table> {
    let v = unsafe { value_ref(v, name) }?;
    v.media_ref::<Table>()
        .ok_or_else(|| wrong(name, "a table", v))
}

/// Number of columns of a table. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_table_ncols(
    table: *const wb_value,
    out: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_of(table, "table") }?;
        *unsafe { out_ptr(out, "out") }? = t.ncols();
        Ok(())
    })
}

/// Name of column `col` (integer column names as their decimal text): `*out` is owned
/// (`wb_string_free`).
#[no_mangle]
pub unsafe extern "C" fn wb_table_column_name(
    table: *const wb_value,
    col: usize,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_of(table, "table") }?;
        let c = t.columns().get(col).ok_or_else(|| {
            Error::invalid(format!("column {col} out of range ({} columns)", t.ncols()))
        })?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe { write_string(out, read::column_name(c)) }
    })
}

/// The table's column types as W&B type JSON (`{"wb_type": "typedDict", "params":
/// {"type_map": {column: type}}}`, as in an artifact's `column_types`). Owned string.
#[no_mangle]
pub unsafe extern "C" fn wb_table_column_types_json(
    table: *const wb_value,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_of(table, "table") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe { write_string(out, t.column_types_json().to_compact()) }
    })
}

/// Cell (`row`, `col`): `*out` receives an owned copy (`wb_value_free`); media cells are
/// media values (an image cell read from an artifact decodes with `wb_image_get_pixels`).
#[no_mangle]
pub unsafe extern "C" fn wb_table_cell(
    table: *const wb_value,
    row: usize,
    col: usize,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_of(table, "table") }?;
        let cell = t.rows().get(row).and_then(|r| r.get(col)).ok_or_else(|| {
            Error::invalid(format!(
                "cell ({row}, {col}) out of range ({} rows × {} columns)",
                t.nrows(),
                t.ncols()
            ))
        })?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe {
            write_out(
                out,
                wb_value {
                    inner: cell.clone(),
                },
            )
        };
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------

/// Decoded image pixels: `height` × `width` × `channels` uint8, row-major, interleaved
/// (channels 1 = L, 2 = LA, 3 = RGB, 4 = RGBA), i.e. a C-contiguous uint8 `wb_tensor` of
/// shape (H, W, C). Owned by the caller: release with `wb_image_pixels_free`.
#[repr(C)]
pub struct wb_image_pixels {
    pub data: *mut u8,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

fn give_pixels(px: pixels::DecodedImage, out: &mut wb_image_pixels) {
    let b: Box<[u8]> = px.data.into_boxed_slice();
    out.height = px.height as usize;
    out.width = px.width as usize;
    out.channels = px.channels as usize;
    out.data = Box::into_raw(b) as *mut u8;
}

/// Decodes an image value's file (PNG, JPEG, BMP, GIF's first frame, …) into `*out`.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_image_get_pixels(
    image: *const wb_value,
    out: *mut wb_image_pixels,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(image, "image") }?;
        let img = v
            .media_ref::<Image>()
            .ok_or_else(|| wrong("image", "an Image", v))?;
        let out = unsafe { out_ptr(out, "out") }?;
        let px = crate::par::off_caller(|| pixels::decode_image(&img.file.bytes))?;
        give_pixels(px, out);
        Ok(())
    })
}

/// Releases the buffer of `wb_image_get_pixels` / `wb_image_get_mask` and zeroes `*px`.
/// NULL or an already released struct is a no-op.
#[no_mangle]
pub unsafe extern "C" fn wb_image_pixels_free(px: *mut wb_image_pixels) {
    guard_void(|| {
        let Some(px) = (unsafe { px.as_mut() }) else {
            return;
        };
        if !px.data.is_null() {
            let n = px.height * px.width * px.channels;
            // SAFETY: made by `give_pixels` from a boxed slice of exactly n bytes.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(px.data, n)) });
        }
        *px = wb_image_pixels {
            data: std::ptr::null_mut(),
            height: 0,
            width: 0,
            channels: 0,
        };
    })
}

/// The image's box layers as JSON `{layer: {"box_data": [...], "class_labels": {...}}}`
/// (`{}` without boxes). Owned string.
#[no_mangle]
pub unsafe extern "C" fn wb_image_boxes_json(
    image: *const wb_value,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(image, "image") }?;
        let img = v
            .media_ref::<Image>()
            .ok_or_else(|| wrong("image", "an Image", v))?;
        let j = Json::Object(
            img.boxes
                .iter()
                .map(|(k, b)| {
                    (
                        k.clone(),
                        Json::object([
                            ("box_data", Json::Array(b.box_data.clone())),
                            ("class_labels", b.class_labels.to_json()),
                        ]),
                    )
                })
                .collect(),
        );
        if out.is_null() {
            return Err(null_arg("out"));
        }
        unsafe { write_string(out, j.to_compact()) }
    })
}

/// Number of mask layers of an image.
#[no_mangle]
pub unsafe extern "C" fn wb_image_mask_count(
    image: *const wb_value,
    out: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(image, "image") }?;
        let img = v
            .media_ref::<Image>()
            .ok_or_else(|| wrong("image", "an Image", v))?;
        *unsafe { out_ptr(out, "out") }? = img.masks.len();
        Ok(())
    })
}

/// Mask layer `index`: `*layer` its name (`wb_string_free`), `*out` its decoded pixels
/// (class ids, 1 channel for the SDK's masks; `wb_image_pixels_free`).
#[no_mangle]
pub unsafe extern "C" fn wb_image_get_mask(
    image: *const wb_value,
    index: usize,
    layer: *mut *mut c_char,
    out: *mut wb_image_pixels,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(image, "image") }?;
        let img = v
            .media_ref::<Image>()
            .ok_or_else(|| wrong("image", "an Image", v))?;
        let (name, mask) = img.masks.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "mask {index} out of range ({} masks)",
                img.masks.len()
            ))
        })?;
        if layer.is_null() {
            return Err(null_arg("layer"));
        }
        let out = unsafe { out_ptr(out, "out") }?;
        let px = crate::par::off_caller(|| pixels::decode_image(&mask.file.bytes))?;
        unsafe { write_string(layer, name.clone()) }?;
        give_pixels(px, out);
        Ok(())
    })
}

/// Decoded audio: `frames` × `channels` float samples (interleaved, PCM16 / 32768 as
/// soundfile reads them), the WAV's sample rate. Release with `wb_audio_samples_free`.
#[repr(C)]
pub struct wb_audio_samples {
    pub data: *mut f32,
    pub frames: usize,
    pub channels: usize,
    pub sample_rate: u32,
}

/// Decodes an audio value's WAV file into `*out` (other containers: `WB_ERR_UNSUPPORTED`).
#[no_mangle]
pub unsafe extern "C" fn wb_audio_get_samples(
    audio: *const wb_value,
    out: *mut wb_audio_samples,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(audio, "audio") }?;
        let a = v
            .media_ref::<Audio>()
            .ok_or_else(|| wrong("audio", "an Audio", v))?;
        let out = unsafe { out_ptr(out, "out") }?;
        let d = pixels::decode_wav(&a.file.bytes).map_err(|e| Error::unsupported(e.message))?;
        let frames = d.frames();
        let b: Box<[f32]> = d.samples.into_boxed_slice();
        out.frames = frames;
        out.channels = d.channels as usize;
        out.sample_rate = d.sample_rate;
        out.data = Box::into_raw(b) as *mut f32;
        Ok(())
    })
}

/// Releases `wb_audio_get_samples`' buffer and zeroes `*s`; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn wb_audio_samples_free(s: *mut wb_audio_samples) {
    guard_void(|| {
        let Some(s) = (unsafe { s.as_mut() }) else {
            return;
        };
        if !s.data.is_null() {
            let n = s.frames * s.channels;
            // SAFETY: made above from a boxed slice of exactly n floats.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(s.data, n)) });
        }
        *s = wb_audio_samples {
            data: std::ptr::null_mut(),
            frames: 0,
            channels: 0,
            sample_rate: 0,
        };
    })
}

fn file_of(v: &Value) -> Option<MediaFile> {
    let Value::Media(m) = v else { return None };
    let a = m.as_any();
    if let Some(x) = a.downcast_ref::<Image>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Audio>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Video>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Html>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Object3D>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Molecule>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Plotly>() {
        return Some(x.file.clone());
    }
    if let Some(x) = a.downcast_ref::<Graph>() {
        return Some(x.file());
    }
    None
}

/// The file of a file-backed media value (Image, Audio, Video, Html, Object3D, Molecule,
/// Plotly, Graph): `*data`/`*len` its bytes (exactly what logging it writes), `*ext` (may
/// be NULL) its extension with the dot (`.mp4`, `.mask.png`). The pointers stay valid while
/// `value` is alive and unmodified.
#[no_mangle]
pub unsafe extern "C" fn wb_media_file(
    value: *const wb_value,
    data: *mut *const u8,
    len: *mut usize,
    ext: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let f = file_of(v).ok_or_else(|| wrong("value", "file-backed media", v))?;
        // The bytes live in an Arc shared with the value itself (Graph: computed, so kept
        // only for the other types).
        let ptr = match v {
            Value::Media(m) if m.as_any().is::<Graph>() => {
                return Err(Error::unsupported(
                    "a Graph's file is written from its nodes; use wb_value_to_json",
                ))
            }
            _ => f.bytes.as_ptr(),
        };
        if !ext.is_null() {
            unsafe { write_string(ext, f.ext.clone()) }?;
        }
        *unsafe { out_ptr(data, "data") }? = ptr;
        *unsafe { out_ptr(len, "len") }? = f.bytes.len();
        Ok(())
    })
}

/// Video facts: `*width`/`*height` (0 when unknown: videos made from files carry none)
/// and its container format name (static string: "gif", "mp4", "webm", "ogg").
#[no_mangle]
pub unsafe extern "C" fn wb_video_info(
    video: *const wb_value,
    width: *mut u32,
    height: *mut u32,
    format: *mut *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(video, "video") }?;
        let x = v
            .media_ref::<Video>()
            .ok_or_else(|| wrong("video", "a Video", v))?;
        if let Some(w) = unsafe { width.as_mut() } {
            *w = x.width.unwrap_or(0);
        }
        if let Some(h) = unsafe { height.as_mut() } {
            *h = x.height.unwrap_or(0);
        }
        if let Some(f) = unsafe { format.as_mut() } {
            *f = match x.format.name() {
                "gif" => c"gif",
                "webm" => c"webm",
                "ogg" => c"ogg",
                _ => c"mp4",
            }
            .as_ptr();
        }
        Ok(())
    })
}

/// A media value's caption as JSON (`null` when it has none). Owned string.
#[no_mangle]
pub unsafe extern "C" fn wb_media_caption_json(
    value: *const wb_value,
    out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(value, "value") }?;
        let Value::Media(m) = v else {
            return Err(wrong("value", "media", v));
        };
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let c = m.caption().cloned().unwrap_or(Json::Null);
        unsafe { write_string(out, c.to_compact()) }
    })
}

/// Number of bins of a histogram value (`*nvalues`; there are `nvalues + 1` edges).
#[no_mangle]
pub unsafe extern "C" fn wb_histogram_size(
    histogram: *const wb_value,
    nvalues: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(histogram, "histogram") }?;
        let Value::Histogram(h) = v else {
            return Err(wrong("histogram", "a histogram", v));
        };
        *unsafe { out_ptr(nvalues, "nvalues") }? = h.values.len();
        Ok(())
    })
}

/// Copies a histogram's counts into `values` (`nvalues` doubles, see `wb_histogram_size`)
/// and its edges into `bins` (`nvalues + 1` doubles). Either may be NULL to skip it.
#[no_mangle]
pub unsafe extern "C" fn wb_histogram_read(
    histogram: *const wb_value,
    values: *mut f64,
    bins: *mut f64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { value_ref(histogram, "histogram") }?;
        let Value::Histogram(h) = v else {
            return Err(wrong("histogram", "a histogram", v));
        };
        for (dst, src) in [(values, &h.values), (bins, &h.bins)] {
            if dst.is_null() {
                continue;
            }
            for (i, x) in src.iter().enumerate() {
                // SAFETY: the caller provides room for the documented counts.
                unsafe { dst.add(i).write(x.as_f64().unwrap_or(f64::NAN)) };
            }
        }
        Ok(())
    })
}

/// `a == b` with the SDK's `__eq__` semantics: same type and content (numbers compare as
/// Python numbers, dicts as mappings; images: caption, grouping, size, decoded pixels and
/// explicit classes; audio: file and caption; other media: same file; tables: columns,
/// column types and every cell; histograms: values and bins). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_value_equal(
    a: *const wb_value,
    b: *const wb_value,
    equal: *mut bool,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let a = unsafe { value_ref(a, "a") }?;
        let b = unsafe { value_ref(b, "b") }?;
        let out = unsafe { out_ptr(equal, "equal") }?;
        *out = read::equal::values_equal(a, b)?;
        Ok(())
    })
}

/// Writes `table` as an artifact directory, the layout `artifact.download()` gives:
/// `<dir>/<name>.table.json` (the artifact copy, as `wb_table_artifact_json`) and the files
/// its cells refer to (`media/images/…`, class sets …). `dir` is created if needed; existing
/// files of the same names are replaced. Read it back with `wb_artifact_get(dir, name)`,
/// from Python with `wandb.Table.from_json`, or log it with `wb_artifact_add_dir`.
#[no_mangle]
pub unsafe extern "C" fn wb_table_save_artifact_dir(
    table: *const wb_value,
    dir: *const c_char,
    name: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_of(table, "table") }?;
        let dir = unsafe { utf8_arg(dir, "dir") }?;
        let name = unsafe { utf8_arg(name, "name") }?;
        if name.is_empty() || name.contains('/') || name.contains('\\') || name == ".." {
            return Err(Error::invalid(
                "name must be a plain file name stem (no '/')",
            ));
        }
        let copy = t.artifact_copy()?;
        let root = Path::new(dir);
        let write = |rel: &str, bytes: &[u8]| -> Result<()> {
            let p = root.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| Error::io(p.display(), e))
        };
        for e in copy.files.entries() {
            write(&e.name, &e.bytes)?;
        }
        write(&format!("{name}.table.json"), copy.json.as_bytes())
    })
}
