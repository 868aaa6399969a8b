//! The reading half of the data-type system (issue 21): W&B JSON values and the files they
//! name back into [`Value`]s — the SDK's `WBValue.init_from_json` / `Type.from_json`.
//!
//! A [`Source`] is the directory the JSON's paths are relative to: a run's `files/`
//! directory (history rows, summaries: run JSON such as `image-file` with `boxes2D`/`mask`
//! files, `table-file` run copies, batched lists) or an artifact directory (a staged or
//! downloaded artifact: `<name>.table.json` with media cells in artifact form, `classes`
//! files). [`read_value`] dispatches on `_type` like `type_mapping()`; media read from a
//! file keep that file's bytes (logging them again writes the same bytes, no re-encoding).
//!
//! Hostile sources: every path is relative, without `..`, resolved inside the source
//! directory after symlinks (a link leaving it is refused), opened as a regular file only
//! (`O_NONBLOCK` + `fstat`), size-limited ([`MAX_FILE_BYTES`]) and checked against its
//! `sha256` when the JSON states one; image decoding has allocation limits. The walk is
//! bounded by the JSON nesting limit and runs on a helper thread (not the caller's stack).

pub mod equal;
pub mod pixels;

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::{Json, SHALLOW_DEPTH as MAX_DEPTH};
use crate::media::audio::Audio;
use crate::media::boxes::BoundingBoxes2D;
use crate::media::classes::Classes;
use crate::media::graph::Graph;
use crate::media::histogram::Histogram;
use crate::media::html::Html;
use crate::media::image::Image;
use crate::media::mask::ImageMask;
use crate::media::molecule::Molecule;
use crate::media::object3d::Object3D;
use crate::media::plotly::Plotly;
use crate::media::table::dtypes::DictKey;
use crate::media::table::{JoinKey, JoinedTable, LogMode, Table, TableOptions};
use crate::media::video::{Video, VideoFormat};
use crate::media::{
    path_extension, read_user_file, sha256_hex, ArtifactRef, Media, MediaFile, MAX_FILE_BYTES,
};
use crate::value::Value;

/// The `_type`s [`read_value`] understands, SDK `type_mapping()` names first (the artifact
/// types of `WBValue._log_type`), then the run-only forms (`table-file`, `boxes2D`, the
/// batched list types of §15.2).
pub const TYPE_MAPPING: &[(&str, &str)] = &[
    ("audio-file", "Audio"),
    ("bounding-boxes", "BoundingBoxes2D"),
    ("classes", "Classes"),
    ("graph-file", "Graph"),
    ("histogram", "Histogram"),
    ("html-file", "Html"),
    ("image-file", "Image"),
    ("joined-table", "JoinedTable"),
    ("mask", "ImageMask"),
    ("molecule-file", "Molecule"),
    ("object3D-file", "Object3D"),
    ("plotly-file", "Plotly"),
    ("table", "Table"),
    ("video-file", "Video"),
    // Run JSON only (no SDK from_json): read from the run directory.
    ("table-file", "Table"),
    ("incremental-table-file", "Table"),
    ("boxes2D", "BoundingBoxes2D"),
    ("images/separated", "list of Image"),
    ("videos", "list of Video"),
    ("audio", "list of Audio"),
    ("html", "list of Html"),
    ("object3D", "list of Object3D"),
    ("molecule", "list of Molecule"),
];

/// Whether `_type` names something [`read_value`] reads.
pub fn knows_type(t: &str) -> bool {
    TYPE_MAPPING.iter().any(|(n, _)| *n == t)
}

/// The directory a JSON value's paths are relative to.
#[derive(Debug, Clone)]
pub struct Source {
    /// Canonical (symlinks resolved) directory.
    root: PathBuf,
    /// `Some` when the directory is an artifact (values remember it: artifact source).
    artifact: Option<ArtifactSource>,
}

/// Where a value read from an artifact came from (`_artifact_source` of the SDK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSource {
    /// The artifact directory (canonical).
    pub dir: PathBuf,
    /// The name passed to `artifact.get(name)` (`None` for `init_from_json`).
    pub name: Option<String>,
    /// Hex of the artifact's server id (`b64_to_hex_id(artifact.id)`) when the caller gave
    /// it: values read then carry [`ArtifactRef`]s to their entries.
    pub hex_id: Option<String>,
}

impl Source {
    /// A source directory; it must exist and be a directory.
    pub fn new(dir: &Path) -> Result<Source> {
        let root = dir
            .canonicalize()
            .map_err(|e| Error::io(format!("source directory {}", dir.display()), e))?;
        if !root.is_dir() {
            return Err(Error::invalid(format!(
                "source {} is not a directory",
                dir.display()
            )));
        }
        Ok(Source {
            root,
            artifact: None,
        })
    }

    /// The same directory, read as an artifact (`name` as given to `artifact.get`).
    pub fn artifact(dir: &Path, name: Option<&str>) -> Result<Source> {
        let mut s = Source::new(dir)?;
        s.artifact = Some(ArtifactSource {
            dir: s.root.clone(),
            name: name.map(str::to_string),
            hex_id: None,
        });
        Ok(s)
    }

    /// The reference to entry `rel` (whose bytes are `bytes`) of the source artifact, when
    /// its id is known.
    fn entry_ref(&self, rel: &str, bytes: &[u8]) -> Option<Arc<ArtifactRef>> {
        let hex = self.artifact.as_ref()?.hex_id.as_ref()?;
        let entry: Vec<&str> = rel
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        Some(Arc::new(ArtifactRef {
            artifact_hex: hex.clone(),
            entry: entry.join("/"),
            digest: crate::media::table::digest::md5_base64(bytes),
        }))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn artifact_source(&self) -> Option<&ArtifactSource> {
        self.artifact.as_ref()
    }

    /// The file `rel` names inside the source directory. Refused: empty, absolute, `..`
    /// components, NUL, and anything that resolves (through symlinks) outside the directory.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf> {
        let bad = |why: &str| Error::invalid(format!("path {rel:?} in the JSON {why}"));
        if rel.is_empty() {
            return Err(bad("is empty"));
        }
        if rel.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        if rel.starts_with('/') || rel.starts_with('\\') || rel.contains(':') && cfg!(windows) {
            return Err(bad(
                "is absolute: paths must be relative to the source directory",
            ));
        }
        let mut joined = self.root.clone();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(p) => joined.push(p),
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(bad(
                        "contains '..': paths must stay inside the source directory",
                    ))
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(bad(
                        "is absolute: paths must be relative to the source directory",
                    ))
                }
            }
        }
        let real = joined
            .canonicalize()
            .map_err(|e| Error::io(format!("{rel} (in {})", self.root.display()), e))?;
        if !real.starts_with(&self.root) {
            return Err(bad("leaves the source directory (through a symbolic link)"));
        }
        Ok(real)
    }

    /// Reads the regular file `rel` (see [`Source::resolve`], [`read_user_file`]).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>> {
        read_user_file(&self.resolve(rel)?)
    }

    /// Reads `rel` and checks it against the JSON's `sha256` (when given).
    fn read_checked(&self, rel: &str, sha256: Option<&Json>) -> Result<Vec<u8>> {
        let bytes = self.read(rel)?;
        if let Some(want) = sha256.and_then(Json::as_str) {
            let got = sha256_hex(&bytes);
            if !got.eq_ignore_ascii_case(want) {
                return Err(Error::invalid(format!(
                    "file {rel} does not match its sha256 in the JSON (corrupt or replaced: {} ≠ {want})",
                    &got
                )));
            }
        }
        Ok(bytes)
    }
}

/// Parses W&B JSON text: strict JSON plus the bare `NaN`, `Infinity` and `-Infinity` tokens
/// serialiser A writes (history rows, run copies). Limits of [`Json::parse_shallow`] apply
/// (the value read is handed to the caller, whose thread may have a small stack).
pub fn parse_wandb_json(text: &str) -> Result<Json> {
    if !has_nonfinite_token(text) {
        return Json::parse_shallow(text);
    }
    // Tokens become marker strings, unique for this call (a random suffix the text does
    // not contain), mapped back to floats after parsing.
    let mut tag;
    loop {
        tag = format!("\u{1}wbnf{}", crate::platform::random_base36(16));
        if !text.contains(&tag[1..]) {
            break;
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let b = text.as_bytes();
    let (mut i, mut in_str, mut esc) = (0usize, false, false);
    let mut last = 0usize;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
            i += 1;
            continue;
        }
        let rest = &b[i..];
        let tok: Option<(&str, usize)> = if rest.starts_with(b"NaN") {
            Some(("nan", 3))
        } else if rest.starts_with(b"Infinity") {
            Some(("inf", 8))
        } else if rest.starts_with(b"-Infinity") {
            Some(("-inf", 9))
        } else {
            None
        };
        if let Some((name, len)) = tok {
            out.push_str(&text[last..i]);
            out.push('"');
            out.push_str("\\u0001");
            out.push_str(&tag[1..]);
            out.push_str(name);
            out.push('"');
            i += len;
            last = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    let mut j = Json::parse_shallow(&out)?;
    restore_nonfinite(&mut j, &tag, 0);
    Ok(j)
}

fn has_nonfinite_token(text: &str) -> bool {
    text.contains("NaN") || text.contains("Infinity")
}

fn restore_nonfinite(j: &mut Json, tag: &str, depth: usize) {
    if depth > MAX_DEPTH + 1 {
        return;
    }
    match j {
        Json::Str(s) if s.starts_with(tag) => match &s[tag.len()..] {
            "nan" => *j = Json::Float(f64::NAN),
            "inf" => *j = Json::Float(f64::INFINITY),
            "-inf" => *j = Json::Float(f64::NEG_INFINITY),
            _ => {}
        },
        Json::Array(a) => a
            .iter_mut()
            .for_each(|x| restore_nonfinite(x, tag, depth + 1)),
        Json::Object(m) => m
            .iter_mut()
            .for_each(|(_, v)| restore_nonfinite(v, tag, depth + 1)),
        _ => {}
    }
}

/// `init_from_json` over a whole value: any W&B JSON (a history row, a summary, one
/// member, an artifact's `<name>.<type>.json`) and the files it names → a [`Value`].
/// Objects with a `_type` become that type; others are dicts; arrays are lists.
/// Runs on a helper thread (the walk recurses once per nesting level).
pub fn read_value(j: &Json, src: &Source) -> Result<Value> {
    crate::par::off_caller(|| Reader { src }.value(j, 0))
}

/// `artifact.get(name)`: reads `<name>.<type>.json` (or `name` itself when it already ends
/// in `.json`) out of an artifact directory.
pub fn artifact_get(dir: &Path, name: &str) -> Result<Value> {
    artifact_get_with_id(dir, name, None)
}

/// `b64_to_hex_id`: the hex of the bytes a base64 artifact id (`artifact.id`, e.g.
/// `QXJ0aWZhY3Q6MTIz` = `Artifact:123`) stands for.
pub fn artifact_id_hex(id: &str) -> Result<String> {
    let bad = || {
        Error::invalid(format!(
            "artifact id {id:?} is not a W&B artifact id (the base64 `artifact.id`, e.g. \"QXJ0aWZhY3Q6MTIz\")"
        ))
    };
    if id.is_empty() || id.len() > 256 {
        return Err(bad());
    }
    let bytes = crate::media::table::digest::base64_decode(id).ok_or_else(bad)?;
    if bytes.is_empty() {
        return Err(bad());
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `artifact.get(name)` on the artifact whose server id is `artifact_id` (base64, as
/// `artifact.id`): the value and the files it names remember their entries, so logging the
/// value (or a table holding its media) references them instead of copying them.
pub fn artifact_get_with_id(dir: &Path, name: &str, artifact_id: Option<&str>) -> Result<Value> {
    let mut src = Source::artifact(dir, Some(name))?;
    if let (Some(id), Some(a)) = (artifact_id, src.artifact.as_mut()) {
        a.hex_id = Some(artifact_id_hex(id)?);
    }
    let entry = find_entry(&src, name)?;
    let bytes = src.read(&entry)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::invalid(format!("{entry} is not UTF-8 JSON")))?;
    let j = parse_wandb_json(text)?;
    let mut v = read_value(&j, &src)?;
    // `result._set_artifact_source(self, name)`: a table logged to a run references
    // `<name>.table.json` of the source.
    if let (Value::Media(m), Some(r)) = (&mut v, src.entry_ref(&entry, &bytes)) {
        if let Some(t) = Arc::get_mut(m).and_then(|m| m.as_any_mut().downcast_mut::<Table>()) {
            t.set_artifact_source((*r).clone());
        }
    }
    Ok(v)
}

/// The entry `artifact.get(name)` reads: `name` if it names a `.json` file, else the one
/// `<name>.<type>.json` whose type the library knows.
fn find_entry(src: &Source, name: &str) -> Result<String> {
    if name.ends_with(".json") {
        return Ok(name.to_string());
    }
    for (t, _) in TYPE_MAPPING.iter().take(14) {
        let candidate = format!("{name}.{t}.json");
        if src.resolve(&candidate).is_ok() {
            return Ok(candidate);
        }
    }
    Err(Error::invalid(format!(
        "artifact {} has no entry {name}.<type>.json of a known type",
        src.root.display()
    )))
}

struct Reader<'a> {
    src: &'a Source,
}

fn str_member<'j>(j: &'j Json, key: &str, what: &str) -> Result<&'j str> {
    j.get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| Error::invalid(format!("{what}: member \"{key}\" missing or not a string")))
}

fn caption_of(j: &Json) -> Option<Json> {
    j.get("caption").filter(|c| **c != Json::Null).cloned()
}

/// A dimension from the JSON (must be a non-negative integer below 2^31 when present).
fn dim(j: &Json, key: &str) -> Result<Option<u32>> {
    match j.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Int(i)) if (0..=i32::MAX as i64).contains(i) => Ok(Some(*i as u32)),
        Some(other) => Err(Error::invalid(format!(
            "\"{key}\": {} is not a valid dimension",
            other.to_compact()
        ))),
    }
}

/// The extension a file keeps when it is written again: the text after the content hash in
/// the names this library and the SDK give (`<key>_<step>_<hash20><ext>` in runs,
/// `<md5[:20]><ext>` in artifacts), else the compound suffixes of the format, else the
/// basename's last `.ext`.
fn ext_of(rel: &str, bytes: &[u8], sha256: &str) -> String {
    let base = rel.rsplit('/').next().unwrap_or(rel);
    if let Some(i) = base.rfind(&sha256[..20]) {
        return base[i + 20..].to_string();
    }
    let md5 = crate::media::table::digest::md5_hex(bytes);
    if let Some(rest) = base.strip_prefix(&md5[..20]) {
        return rest.to_string();
    }
    for compound in [
        ".mask.png",
        ".boxes2D.json",
        ".pts.json",
        ".table.json",
        ".plotly.json",
        ".graph.json",
    ] {
        if base.ends_with(compound) {
            return compound.to_string();
        }
    }
    path_extension(Path::new(base))
}

impl Reader<'_> {
    /// Reads the file `rel` as a [`MediaFile`] keeping its bytes, extension and basename.
    fn media_file(&self, rel: &str, sha256: Option<&Json>) -> Result<MediaFile> {
        let bytes = self.src.read_checked(rel, sha256)?;
        let sha = sha256_hex(&bytes);
        let ext = ext_of(rel, &bytes, &sha);
        let base = rel.rsplit('/').next().unwrap_or(rel).to_string();
        let artifact_ref = self.src.entry_ref(rel, &bytes);
        Ok(MediaFile {
            bytes: Arc::new(bytes),
            ext,
            sha256: sha,
            source_name: Some(base),
            artifact_ref,
        })
    }

    fn file_of(&self, j: &Json, what: &str) -> Result<MediaFile> {
        let path = str_member(j, "path", what)?;
        self.media_file(path, j.get("sha256"))
    }

    fn text_json(&self, rel: &str, sha256: Option<&Json>) -> Result<(Vec<u8>, Json)> {
        let bytes = self.src.read_checked(rel, sha256)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::invalid(format!("{rel}: not UTF-8 JSON")))?;
        let j = parse_wandb_json(text)
            .map_err(|e| Error::new(e.kind, format!("{rel}: {}", e.message)))?;
        Ok((bytes, j))
    }

    fn value(&self, j: &Json, depth: usize) -> Result<Value> {
        self.value_in(j, depth, false)
    }

    /// `plain`: inside a list that is not all W&B values, or a dict inside a list. There
    /// the SDK logged the JSON encoder's output (an array's histogram) and cannot log a
    /// `Histogram` object again, so such histograms stay plain JSON (logged verbatim).
    fn value_in(&self, j: &Json, depth: usize, plain: bool) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(Error::invalid(format!(
                "value nested deeper than {MAX_DEPTH} levels (the nesting limit)"
            )));
        }
        let typed = |x: &Json| matches!(x.get("_type"), Some(Json::Str(_)));
        Ok(match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::Int(*i),
            Json::UInt(_) => Value::Json(j.clone()),
            Json::Float(f) => Value::Float(*f),
            Json::Str(s) => Value::Str(s.clone()),
            Json::Array(a) => {
                let all_typed = a.iter().all(typed);
                Value::List(
                    a.iter()
                        .map(|x| {
                            let p =
                                plain || !all_typed || matches!(x, Json::Object(_)) && !typed(x);
                            self.value_in(x, depth + 1, p)
                        })
                        .collect::<Result<_>>()?,
                )
            }
            Json::Object(m) => match j.get("_type") {
                Some(Json::Str(t)) if plain && t == "histogram" => Value::Json(j.clone()),
                Some(Json::Str(t)) => self.typed(t, j, depth)?,
                _ => Value::Dict(
                    m.iter()
                        .map(|(k, v)| Ok((k.clone(), self.value_in(v, depth + 1, plain)?)))
                        .collect::<Result<_>>()?,
                ),
            },
        })
    }

    /// A cell of an artifact table (`_process_table_row`): objects whose `_type` the type
    /// mapping does not know stay plain dicts, as in the SDK.
    fn cell(&self, j: &Json, depth: usize) -> Result<Value> {
        match j.get("_type") {
            Some(Json::Str(t)) if !knows_type(t) => Ok(Value::from_json(j)),
            _ => self.value(j, depth),
        }
    }

    fn typed(&self, t: &str, j: &Json, depth: usize) -> Result<Value> {
        let media = |m: Arc<dyn Media>| Ok(Value::Media(m));
        match t {
            "image-file" => media(Arc::new(self.image(j)?)),
            "histogram" => {
                let list = |k: &str| match j.get(k) {
                    // Kept as given (`np_histogram` parts may be nested lists).
                    Some(Json::Array(a)) => Ok(a.clone()),
                    _ => Err(Error::invalid(format!("histogram: \"{k}\" must be a list"))),
                };
                Ok(Value::Histogram(Histogram::from_np(
                    list("values")?,
                    list("bins")?,
                )?))
            }
            "audio-file" => media(Arc::new(self.audio(j, None, None)?)),
            "video-file" => media(Arc::new(self.video(j)?)),
            "html-file" => media(Arc::new(Html {
                file: self.file_of(j, "html-file")?,
            })),
            "object3D-file" => media(Arc::new(Object3D {
                file: self.file_of(j, "object3D-file")?,
                caption: caption_of(j),
            })),
            "molecule-file" => media(Arc::new(Molecule {
                file: self.file_of(j, "molecule-file")?,
                caption: caption_of(j),
            })),
            "plotly-file" => media(Arc::new(Plotly {
                file: self.file_of(j, "plotly-file")?,
            })),
            "graph-file" => media(Arc::new(self.graph(j)?)),
            "table-file" | "incremental-table-file" => media(Arc::new(self.run_table(j)?)),
            "table" => media(Arc::new(self.artifact_table(j, depth)?)),
            "joined-table" => media(Arc::new(self.joined(j, depth)?)),
            "images/separated" => self.image_list(j),
            "videos" => self.member_list(j, "videos", "video-file", depth),
            "html" => self.member_list(j, "html", "html-file", depth),
            "object3D" => self.member_list(j, "objects", "object3D-file", depth),
            "audio" => self.audio_list(j),
            "molecule" => self.molecule_list(j),
            // Summary statistics of a large array (§8.4): plain data.
            "numpy.ndarray" => Ok(Value::Json(j.clone())),
            "classes" | "mask" | "boxes2D" | "bounding-boxes" => Err(Error::unsupported(format!(
                "a standalone \"{t}\" value cannot be read: it is read as part of an image-file"
            ))),
            "partitioned-table" => Err(Error::unsupported(
                "partitioned-table: reading the parts of a partitioned table is not supported",
            )),
            other => Err(Error::invalid(format!(
                "unknown _type {other:?} (not one of the types the library reads: see wb_type_mapping)"
            ))),
        }
    }

    fn image(&self, j: &Json) -> Result<Image> {
        let file = self.file_of(j, "image-file")?;
        let (w, h) = crate::media::image::file_dimensions(&file.bytes).map_err(|e| {
            Error::invalid(format!(
                "image-file {}: cannot identify image file: {e}",
                j.get("path").and_then(Json::as_str).unwrap_or("")
            ))
        })?;
        let width = dim(j, "width")?.unwrap_or(w);
        let height = dim(j, "height")?.unwrap_or(h);
        let format = match j.get("format") {
            Some(Json::Str(f)) => f.clone(),
            _ => file.ext.trim_start_matches('.').to_string(),
        };
        let grouping = match j.get("grouping") {
            None | Some(Json::Null) => None,
            Some(Json::Int(g)) => Some(*g),
            Some(Json::Bool(b)) => Some(*b as i64),
            Some(_) => return Err(Error::invalid("image-file: grouping must be an integer")),
        };
        let mut img = Image {
            source_name: file.source_name.clone(),
            file,
            format,
            width,
            height,
            caption: caption_of(j),
            grouping,
            boxes: Vec::new(),
            masks: Vec::new(),
            classes: None,
        };
        if let Some(boxes) = j.get("boxes").filter(|b| **b != Json::Null) {
            let Json::Object(layers) = boxes else {
                return Err(Error::invalid("image-file: boxes must be an object"));
            };
            for (layer, b) in layers {
                img.add_boxes(layer, self.boxes(b)?);
            }
        }
        if let Some(masks) = j.get("masks").filter(|b| **b != Json::Null) {
            let Json::Object(layers) = masks else {
                return Err(Error::invalid("image-file: masks must be an object"));
            };
            for (layer, m) in layers {
                let file = self.file_of(m, "mask")?;
                img.add_mask(
                    layer,
                    ImageMask {
                        source_name: file.source_name.clone(),
                        file,
                        class_labels: None,
                    },
                );
            }
        }
        if let Some(c) = j.get("classes").filter(|c| **c != Json::Null) {
            let path = str_member(c, "path", "image-file classes")?;
            let (_, cj) = self.text_json(path, None)?;
            let set = cj.get("class_set").ok_or_else(|| {
                Error::invalid(format!("{path}: a classes file needs \"class_set\""))
            })?;
            img.set_classes(Classes::from_json(set)?);
        }
        Ok(img)
    }

    /// A box layer: run form `{"_type": "boxes2D", "path": …}` (the layer file) or artifact
    /// form (the raw `box_data` list, `BoundingBoxes2D.from_json`).
    fn boxes(&self, b: &Json) -> Result<BoundingBoxes2D> {
        match b {
            Json::Array(_) => BoundingBoxes2D::from_layer(&Json::object([("box_data", b.clone())])),
            Json::Object(_) => {
                let path = str_member(b, "path", "boxes2D")?;
                let (bytes, layer) = self.text_json(path, b.get("sha256"))?;
                let mut boxes = BoundingBoxes2D::from_layer(&layer)?;
                // Keep the file as read (same bytes when logged again).
                boxes.file = MediaFile::new(bytes, ".boxes2D.json");
                Ok(boxes)
            }
            _ => Err(Error::invalid(
                "image-file: a box layer must be a boxes2D object or a box list",
            )),
        }
    }

    fn audio(&self, j: &Json, rate: Option<&Json>, duration: Option<&Json>) -> Result<Audio> {
        let file = self.file_of(j, "audio-file")?;
        let sample_rate = match rate {
            Some(Json::Int(r)) if (1..=u32::MAX as i64).contains(r) => Some(*r as u32),
            _ => None,
        };
        Ok(Audio {
            file,
            sample_rate,
            duration: duration.and_then(Json::as_f64),
            caption: caption_of(j),
        })
    }

    fn video(&self, j: &Json) -> Result<Video> {
        let file = self.file_of(j, "video-file")?;
        let ext = file.ext.trim_start_matches('.').to_lowercase();
        let format = VideoFormat::parse(&ext).unwrap_or(VideoFormat::Mp4);
        Ok(Video {
            file,
            format,
            width: dim(j, "width")?,
            height: dim(j, "height")?,
            caption: caption_of(j),
        })
    }

    fn graph(&self, j: &Json) -> Result<Graph> {
        let path = str_member(j, "path", "graph-file")?;
        let (_, g) = self.text_json(path, j.get("sha256"))?;
        let list = |k: &str| match g.get(k) {
            Some(Json::Array(a)) => Ok(a.clone()),
            None => Ok(Vec::new()),
            _ => Err(Error::invalid(format!("{path}: \"{k}\" must be a list"))),
        };
        Ok(Graph {
            format: g
                .get("format")
                .and_then(Json::as_str)
                .unwrap_or("keras")
                .to_string(),
            nodes: list("nodes")?,
            edges: list("edges")?,
        })
    }

    /// `table-file` of a run: the run copy `{"columns", "data"}` it points at (media cells
    /// there are their class names, as the SDK writes them).
    fn run_table(&self, j: &Json) -> Result<Table> {
        let path = str_member(j, "path", "table-file")?;
        let (_, copy) = self.text_json(path, j.get("sha256"))?;
        let log_mode = match j.get("log_mode").and_then(Json::as_str) {
            Some(m) => LogMode::parse(m)?,
            None => LogMode::Immutable,
        };
        self.table_from(&copy, log_mode, 0, false)
    }

    /// `Table.from_json`: the artifact form (cells in artifact JSON, `column_types`).
    fn artifact_table(&self, j: &Json, depth: usize) -> Result<Table> {
        let log_mode = match j.get("log_mode").and_then(Json::as_str) {
            Some(m) => LogMode::parse(m)?,
            None => LogMode::Immutable,
        };
        if log_mode == LogMode::Incremental {
            let mut whole = j.clone();
            whole.set("data", Json::Array(self.increments(j)?));
            return self.table_from(&whole, log_mode, depth, true);
        }
        self.table_from(j, log_mode, depth, true)
    }

    /// The rows of an INCREMENTAL table (`_get_data_from_increments`): the `data` of every
    /// `*.table.json` entry of the artifact directory, ordered by the
    /// `<increment>-<epoch ms>.<key>.table.json` names; none when `increment_num` is absent.
    fn increments(&self, j: &Json) -> Result<Vec<Json>> {
        if matches!(j.get("increment_num"), None | Some(Json::Null)) {
            return Ok(Vec::new());
        }
        let rd =
            std::fs::read_dir(&self.src.root).map_err(|e| Error::io(self.src.root.display(), e))?;
        let mut names: Vec<(i64, i64, String)> = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".table.json") {
                continue;
            }
            let head = name.split('.').next().unwrap_or("");
            let mut parts = head.split('-');
            let key = match (
                parts.next().and_then(|x| x.parse::<i64>().ok()),
                parts.next().map(|x| x.parse::<i64>().ok()),
            ) {
                (Some(n), None) => (n, 0),
                (Some(n), Some(Some(t))) => (n, t),
                _ => (0, 0),
            };
            names.push((key.0, key.1, name));
        }
        names.sort();
        let mut rows = Vec::new();
        for (_, _, name) in names {
            let (_, part) = self.text_json(&name, None)?;
            match part.get("data") {
                Some(Json::Array(a)) => rows.extend(a.iter().cloned()),
                _ => return Err(Error::invalid(format!("Invalid table file {name}"))),
            }
        }
        Ok(rows)
    }

    fn table_from(&self, j: &Json, log_mode: LogMode, depth: usize, typed: bool) -> Result<Table> {
        let columns = j
            .get("columns")
            .ok_or_else(|| Error::invalid("table: member \"columns\" missing"))?;
        let Some(Json::Array(rows)) = j.get("data") else {
            return Err(Error::invalid(
                "table: member \"data\" missing or not a list",
            ));
        };
        // An INCREMENTAL table reads back INCREMENTAL with no increment state (as
        // `Table.from_json` builds it): logged again, it writes increment 0 with all its rows.
        let mixed = typed && column_types_allow_any(j.get("column_types"));
        let opts = TableOptions {
            log_mode,
            allow_mixed_types: mixed,
        };
        let declared = if typed {
            j.get("column_types").filter(|c| **c != Json::Null).cloned()
        } else {
            None
        };
        if let Some(ct) = &declared {
            if ct.to_compact().contains("\"serialization_path\"") {
                return Err(Error::unsupported(
                    "table: array columns stored as .npz files (serialization_path) are not supported",
                ));
            }
        }
        let mut t = Table::from_columns_json(columns, opts)?;
        let ncols = t.ncols();
        let mut cells_rows = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            let Json::Array(cells) = row else {
                return Err(Error::invalid(format!("table: row {r} is not a list")));
            };
            if cells.len() != ncols {
                return Err(Error::invalid(format!(
                    "table: row {r} has {} cells, the table has {ncols} columns",
                    cells.len()
                )));
            }
            let cells = cells
                .iter()
                .map(|c| {
                    if typed {
                        self.cell(c, depth + 2)
                    } else {
                        Ok(Value::from_json(c))
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            cells_rows.push(cells);
        }
        for (r, cells) in cells_rows.iter().enumerate() {
            if let Err(e) = t.add_row(cells.clone()) {
                if opts.allow_mixed_types {
                    return Err(Error::new(e.kind, format!("table row {r}: {}", e.message)));
                }
                // Written by an SDK table with allow_mixed_types (or types this library
                // assigns differently): read it as a mixed-type table.
                let mut m = Table::from_columns_json(
                    columns,
                    TableOptions {
                        log_mode,
                        allow_mixed_types: true,
                    },
                )?;
                for (r, cells) in cells_rows.into_iter().enumerate() {
                    m.add_row(cells)
                        .map_err(|e| Error::new(e.kind, format!("table row {r}: {}", e.message)))?;
                }
                if let Some(ct) = declared {
                    m.set_declared_types(ct);
                }
                return Ok(m);
            }
        }
        if let Some(ct) = declared {
            t.set_declared_types(ct);
        }
        Ok(t)
    }

    fn joined(&self, j: &Json, depth: usize) -> Result<JoinedTable> {
        let (Some(Json::Str(p1)), Some(Json::Str(p2))) = (j.get("table1"), j.get("table2")) else {
            return Err(Error::unsupported(
                "joined-table: only the artifact form (with \"table1\"/\"table2\" entries) can be read; a run's joined-table JSON names no readable file",
            ));
        };
        let read_table = |p: &str| -> Result<Table> {
            let (_, tj) = self.text_json(p, None)?;
            self.artifact_table(&tj, depth + 1)
        };
        let t1 = read_table(p1)?;
        let t2 = read_table(p2)?;
        let key = match j.get("join_key") {
            Some(Json::Str(k)) => JoinKey::One(k.clone()),
            Some(Json::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
                (Json::Str(x), Json::Str(y)) => JoinKey::Pair(x.clone(), y.clone()),
                _ => return Err(Error::invalid("joined-table: join_key must be strings")),
            },
            _ => return Err(Error::invalid("joined-table: join_key missing")),
        };
        JoinedTable::new(t1, t2, key)
    }

    fn image_list(&self, j: &Json) -> Result<Value> {
        let Some(Json::Array(names)) = j.get("filenames") else {
            return Err(Error::invalid("images/separated: \"filenames\" missing"));
        };
        let nth = |k: &str, i: usize| match j.get(k) {
            Some(Json::Array(a)) => a.get(i).cloned().unwrap_or(Json::Null),
            _ => Json::Null,
        };
        let mut items = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let Json::Str(path) = name else {
                return Err(Error::invalid(
                    "images/separated: filenames must be strings",
                ));
            };
            let mut item = vec![
                ("_type".to_string(), Json::str("image-file")),
                ("path".to_string(), Json::str(path.clone())),
            ];
            // Only the first image's format is listed; others come from their files.
            if i == 0 {
                if let Some(f) = j.get("format") {
                    item.push(("format".to_string(), f.clone()));
                }
            }
            for (k, key) in [
                ("captions", "caption"),
                ("all_boxes", "boxes"),
                ("all_masks", "masks"),
            ] {
                let v = nth(k, i);
                if v != Json::Null {
                    item.push((key.to_string(), v));
                }
            }
            items.push(Value::Media(Arc::new(self.image(&Json::Object(item))?)));
        }
        Ok(Value::List(items))
    }

    fn member_list(&self, j: &Json, member: &str, t: &str, depth: usize) -> Result<Value> {
        let Some(Json::Array(items)) = j.get(member) else {
            return Err(Error::invalid(format!("list JSON: \"{member}\" missing")));
        };
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            if it.get("_type").and_then(Json::as_str) != Some(t) {
                return Err(Error::invalid(format!("list JSON: items must be {t}")));
            }
            out.push(self.value(it, depth + 1)?);
        }
        Ok(Value::List(out))
    }

    fn audio_list(&self, j: &Json) -> Result<Value> {
        let Some(Json::Array(items)) = j.get("audio") else {
            return Err(Error::invalid("audio list: \"audio\" missing"));
        };
        let nth = |k: &str, i: usize| match j.get(k) {
            Some(Json::Array(a)) => a.get(i),
            _ => None,
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            out.push(Value::Media(Arc::new(self.audio(
                it,
                nth("sampleRates", i),
                nth("durations", i),
            )?)));
        }
        Ok(Value::List(out))
    }

    fn molecule_list(&self, j: &Json) -> Result<Value> {
        let Some(Json::Array(names)) = j.get("filenames") else {
            return Err(Error::invalid("molecule list: \"filenames\" missing"));
        };
        let mut out = Vec::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            let Json::Str(path) = n else {
                return Err(Error::invalid("molecule list: filenames must be strings"));
            };
            let caption = match j.get("captions") {
                Some(Json::Array(a)) => a.get(i).filter(|c| **c != Json::Null).cloned(),
                _ => None,
            };
            out.push(Value::Media(Arc::new(Molecule {
                file: self.media_file(path, None)?,
                caption,
            })));
        }
        Ok(Value::List(out))
    }
}

/// Whether a table's `column_types` give any column the `any` type (`allow_mixed_types`).
fn column_types_allow_any(ct: Option<&Json>) -> bool {
    let Some(map) = ct
        .and_then(|c| c.get("params"))
        .and_then(|p| p.get("type_map"))
    else {
        return false;
    };
    let Json::Object(m) = map else { return false };
    m.iter().any(|(_, t)| {
        t.get("wb_type").and_then(Json::as_str) == Some("any")
            || matches!(t.get("params").and_then(|p| p.get("allowed_types")), Some(Json::Array(a)) if a.iter().any(|x| x.get("wb_type").and_then(Json::as_str) == Some("any")))
    })
}

/// Column names of a table as JSON (`wb_table_column_name`).
pub fn column_name(k: &DictKey) -> String {
    k.json_key()
}

/// Upper bound on a file this module reads (the library-wide per-file limit).
pub const MAX_READ_BYTES: u64 = MAX_FILE_BYTES;
