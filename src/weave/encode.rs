//! A `Value` as the Weave JSON of a call's inputs/output: plain values as JSON, media as
//! the Python client's custom-object envelopes naming files (`../shared/spec/weave.md`):
//!
//! * Video (`.mp4`/`.webm`/`.gif`: the library's encoded file or the user's file, bytes
//!   unchanged) → `moviepy.video.VideoClip.VideoClip` with `video.<ext>`;
//! * Image (`.png`, `.jpg`/`.jpeg`, `.webp`) → `PIL.Image.Image` with `image.<ext>`;
//! * Audio (`.wav`) → `wave.Wave_read` with `audio.wav`;
//! * every other file-backed value (Html, Object3D, Molecule, Plotly, a video/image/audio in
//!   another format) → `weave.type_wrappers.Content.content.Content` with `content` and
//!   `metadata.json`.
//!
//! No `load_op` is written (a native client publishes no Python op; the Python reader
//! decodes by `weave_type.type`).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::audio::Audio;
use crate::media::html::Html;
use crate::media::image::Image;
use crate::media::molecule::Molecule;
use crate::media::object3d::Object3D;
use crate::media::plotly::Plotly;
use crate::media::video::Video;
use crate::media::{Media, MediaFile};
use crate::tensor::Scalar;
use crate::value::{NdArray, Value};

use super::ids::weave_digest;

/// A file a call refers to, to be uploaded with `POST /file/create` before the call.
#[derive(Clone)]
pub struct FileRef {
    /// Weave digest of `bytes`.
    pub digest: String,
    /// File name inside the envelope (`video.mp4`, `content`, …), also the upload's name.
    pub name: String,
    /// Content type of the upload (from the extension, as Python's `mimetypes`).
    pub content_type: String,
    pub bytes: Arc<Vec<u8>>,
}

impl std::fmt::Debug for FileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileRef({} {} {} B)",
            self.name,
            self.digest,
            self.bytes.len()
        )
    }
}

/// `mimetypes.guess_type` for the names this module writes.
pub fn content_type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("gif") => "image/gif",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("wav") => "audio/x-wav",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("flac") => "audio/flac",
        Some("json") => "application/json",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

fn file_ref(name: &str, bytes: Arc<Vec<u8>>) -> FileRef {
    FileRef {
        digest: weave_digest(&bytes),
        name: name.to_string(),
        content_type: content_type_of(name).to_string(),
        bytes,
    }
}

fn envelope(type_name: &str, files: &[&FileRef]) -> Json {
    Json::object([
        ("_type", Json::str("CustomWeaveType")),
        ("weave_type", Json::object([("type", Json::str(type_name))])),
        (
            "files",
            Json::Object(
                files
                    .iter()
                    .map(|f| (f.name.clone(), Json::str(f.digest.clone())))
                    .collect(),
            ),
        ),
    ])
}

/// The lower-case extension of a media file without the dot (`mask.png` → `png`).
fn ext_of(file: &MediaFile) -> String {
    let e = file.ext.trim_start_matches('.');
    e.rsplit('.').next().unwrap_or("").to_ascii_lowercase()
}

fn mime_of_ext(ext: &str) -> &'static str {
    match ext {
        "html" => "text/html",
        "json" => "application/json",
        "pdb" => "chemical/x-pdb",
        "obj" => "text/plain",
        "gltf" => "model/gltf+json",
        "glb" => "model/gltf-binary",
        "ogg" => "audio/ogg",
        other => content_type_of(&format!("x.{other}")),
    }
}

/// The `Content` envelope: `content` (the bytes) + `metadata.json` (the fields the Python
/// `Content` restores itself from).
fn content_envelope(file: &MediaFile, files: &mut Vec<FileRef>) -> Json {
    let ext = ext_of(file);
    let mimetype = mime_of_ext(&ext);
    let filename = file
        .source_name
        .clone()
        .unwrap_or_else(|| format!("file{}", file.ext));
    let meta = Json::object([
        ("id", Json::str(super::ids::uuid_v7().replace('-', ""))),
        ("size", Json::Int(file.bytes.len() as i64)),
        ("mimetype", Json::str(mimetype)),
        ("digest", Json::str(file.sha256.clone())),
        ("filename", Json::str(filename)),
        ("content_type", Json::str("bytes")),
        ("input_type", Json::str("bytes")),
        ("encoding", Json::str("utf-8")),
        ("extension", Json::str(format!(".{ext}"))),
    ]);
    let content = file_ref("content", file.bytes.clone());
    let mut metadata = file_ref("metadata.json", Arc::new(meta.to_compact().into_bytes()));
    metadata.content_type = "application/json".into();
    let j = envelope(
        "weave.type_wrappers.Content.content.Content",
        &[&content, &metadata],
    );
    files.push(content);
    files.push(metadata);
    j
}

fn media_envelope(m: &Arc<dyn Media>, files: &mut Vec<FileRef>) -> Result<Json> {
    let any = m.as_any();
    let one = |type_name: &str, name: String, file: &MediaFile, files: &mut Vec<FileRef>| {
        let f = file_ref(&name, file.bytes.clone());
        let j = envelope(type_name, &[&f]);
        files.push(f);
        j
    };
    if let Some(v) = any.downcast_ref::<Video>() {
        let ext = ext_of(&v.file);
        return Ok(match ext.as_str() {
            "mp4" | "webm" | "gif" => one(
                "moviepy.video.VideoClip.VideoClip",
                format!("video.{ext}"),
                &v.file,
                files,
            ),
            _ => content_envelope(&v.file, files),
        });
    }
    if let Some(i) = any.downcast_ref::<Image>() {
        let ext = ext_of(&i.file);
        return Ok(match ext.as_str() {
            "png" | "webp" => one("PIL.Image.Image", format!("image.{ext}"), &i.file, files),
            "jpg" | "jpeg" => one("PIL.Image.Image", "image.jpg".into(), &i.file, files),
            _ => content_envelope(&i.file, files),
        });
    }
    if let Some(a) = any.downcast_ref::<Audio>() {
        return Ok(match ext_of(&a.file).as_str() {
            "wav" => one("wave.Wave_read", "audio.wav".into(), &a.file, files),
            _ => content_envelope(&a.file, files),
        });
    }
    let file = if let Some(h) = any.downcast_ref::<Html>() {
        &h.file
    } else if let Some(o) = any.downcast_ref::<Object3D>() {
        &o.file
    } else if let Some(o) = any.downcast_ref::<Molecule>() {
        &o.file
    } else if let Some(p) = any.downcast_ref::<Plotly>() {
        &p.file
    } else {
        return Err(Error::unsupported(format!(
            "a {} value cannot be a Weave call input or output (use its JSON or a file-backed value)",
            m.class_name()
        )));
    };
    Ok(content_envelope(file, files))
}

fn scalar_json(s: Scalar) -> Json {
    match s {
        Scalar::Int(i) => Json::Int(i),
        Scalar::UInt(u) => Json::UInt(u),
        Scalar::F32(f) => Json::Float(f64::from(f)),
        Scalar::F64(f) => Json::Float(f),
        Scalar::Bool(b) => Json::Bool(b),
    }
}

/// An array as nested lists (numpy's `tolist()`).
fn array_json(a: &NdArray) -> Json {
    fn rec(shape: &[usize], it: &mut dyn Iterator<Item = Scalar>) -> Json {
        match shape.split_first() {
            None => it.next().map(scalar_json).unwrap_or(Json::Null),
            Some((&n, rest)) => Json::Array((0..n).map(|_| rec(rest, it)).collect()),
        }
    }
    let mut it = a.iter();
    rec(&a.shape, &mut it)
}

/// The Weave JSON of a value; the files its media need are appended to `files` (in order;
/// the same bytes may appear twice, the spool stores each digest once).
pub fn encode_value(v: &Value, files: &mut Vec<FileRef>) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::str(s.clone()),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|x| encode_value(x, files))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(m) => Json::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), encode_value(x, files)?)))
                .collect::<Result<_>>()?,
        ),
        Value::Array(a) => array_json(a),
        Value::Histogram(h) => h.to_json(),
        Value::Json(j) => j.clone(),
        Value::Media(m) => media_envelope(m, files)?,
    })
}

/// Inputs must be a dict (or absent = `{}`).
pub fn encode_inputs(v: Option<&Value>, files: &mut Vec<FileRef>) -> Result<Json> {
    match v {
        None => Ok(Json::Object(Vec::new())),
        Some(d @ Value::Dict(_)) => encode_value(d, files),
        Some(_) => Err(Error::invalid(
            "inputs must be a dict value (wb_dict_new) or NULL",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::{Image, ImageOptions};
    use crate::tensor::{DType, TensorView};

    #[test]
    fn plain_values_and_arrays() {
        let mut files = Vec::new();
        let arr = NdArray::new(
            DType::F32,
            vec![2, 2],
            &[
                Scalar::F64(1.0),
                Scalar::F64(0.5),
                Scalar::F64(-2.0),
                Scalar::F64(3.0),
            ],
        );
        let v = Value::Dict(vec![
            ("step".into(), Value::Int(3)),
            ("ok".into(), Value::Bool(true)),
            ("name".into(), Value::Str("é\"x".into())),
            (
                "l".into(),
                Value::List(vec![Value::Null, Value::Float(1.5)]),
            ),
            ("a".into(), Value::Array(arr)),
        ]);
        let j = encode_inputs(Some(&v), &mut files).unwrap();
        assert_eq!(
            j.to_compact(),
            r#"{"step":3,"ok":true,"name":"é\"x","l":[null,1.5],"a":[[1.0,0.5],[-2.0,3.0]]}"#
        );
        assert!(files.is_empty());
        assert!(encode_inputs(Some(&Value::Int(1)), &mut files).is_err());
        assert_eq!(encode_inputs(None, &mut files).unwrap().to_compact(), "{}");
    }

    #[test]
    fn image_and_html_envelopes() {
        let px: Vec<u8> = (0..32 * 32 * 3).map(|i| (i % 251) as u8).collect();
        let t = TensorView::new(&px, DType::U8, &[32, 32, 3]).unwrap();
        let img = Image::from_tensor(&t, &ImageOptions::default()).unwrap();
        let png = img.file.bytes.clone();
        let mut files = Vec::new();
        let j = encode_value(&Value::from(img), &mut files).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "image.png");
        assert_eq!(files[0].content_type, "image/png");
        assert_eq!(files[0].digest, weave_digest(&png));
        assert_eq!(
            j.to_compact(),
            format!(
                r#"{{"_type":"CustomWeaveType","weave_type":{{"type":"PIL.Image.Image"}},"files":{{"image.png":"{}"}}}}"#,
                files[0].digest
            )
        );
        let h = Html::from_string("<p>hi</p>", false);
        let mut files = Vec::new();
        let j = encode_value(&Value::from(h), &mut files).unwrap();
        assert_eq!(
            j.get("weave_type").unwrap().get("type").unwrap().as_str(),
            Some("weave.type_wrappers.Content.content.Content")
        );
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["content", "metadata.json"]);
        let meta = Json::parse(std::str::from_utf8(&files[1].bytes).unwrap()).unwrap();
        assert_eq!(meta.get("mimetype").unwrap().as_str(), Some("text/html"));
        assert_eq!(
            meta.get("size").unwrap().as_i64(),
            Some(files[0].bytes.len() as i64)
        );
        assert!(j.get("load_op").is_none());
    }
}
