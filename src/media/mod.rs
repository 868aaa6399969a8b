//! One module per W&B data type. Each owns its constructor(s), validation and JSON.
//!
//! File-backed media implement [`Media`](crate::media::Media): they hold a
//! [`MediaFile`](crate::media::MediaFile) (encoded bytes + ext + sha256) from construction
//! on, and are *bound* (file placed in the run, JSON built) by
//! [`Media::to_json`](crate::media::Media::to_json) with a
//! [`BindCtx`](crate::media::BindCtx).

/// The `as_any`, `as_any_mut` and `clone_arc` methods of a `Media` impl for a `Clone` type.
macro_rules! media_object_methods {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
        fn clone_arc(&self) -> std::sync::Arc<dyn $crate::media::Media> {
            std::sync::Arc::new(self.clone())
        }
    };
}

/// `caption`/`set_caption` of a `Media` impl whose type has a `caption: Option<Json>` field.
macro_rules! media_caption_methods {
    () => {
        fn caption(&self) -> Option<&$crate::json::Json> {
            self.caption.as_ref()
        }
        fn set_caption(&mut self, caption: $crate::json::Json) -> $crate::error::Result<()> {
            self.caption = Some(caption);
            Ok(())
        }
    };
}

pub mod artifact_path;
pub mod audio;
pub mod boxes;
pub mod classes;
pub mod graph;
pub mod histogram;
pub mod html;
pub mod image;
pub mod image_header;
pub mod mask;
pub mod molecule;
pub mod object3d;
pub mod plotly;
pub mod read;
pub mod table;
pub mod video;

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::run_dir::{RunDir, Step};

/// The bytes of a media file as they will appear in the run, with their identity.
#[derive(Clone)]
pub struct MediaFile {
    pub bytes: Arc<Vec<u8>>,
    /// Extension including the dot (`.png`, `.mask.png`, `.JPG`), or empty.
    pub ext: String,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The basename of the user's file when the SDK would keep pointing at it (`is_tmp =
    /// False`: media made from a path and copied unchanged); `None` for files the library
    /// encoded (the SDK's temporary files). Artifact entry names depend on it.
    pub source_name: Option<String>,
    /// The entry this file is in the artifact it was read from, when that artifact's server
    /// id is known (`wb_artifact_get_with_options`): adding the value to an artifact again
    /// writes a reference entry to it instead of a copy (the SDK's `_artifact_source`).
    pub artifact_ref: Option<Arc<ArtifactRef>>,
}

/// An entry of a logged artifact, as the SDK refers to it from another artifact or a run:
/// `wandb-artifact://<hex of the artifact's server id>/<entry path>` (`ArtifactManifestEntry
/// .ref_url()`), with the entry's manifest digest (base64 MD5 of a file entry's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    /// `b64_to_hex_id(artifact.id)`.
    pub artifact_hex: String,
    /// Entry path inside that artifact.
    pub entry: String,
    /// The entry's digest (what a reference entry to it carries).
    pub digest: String,
}

impl ArtifactRef {
    /// `wandb-artifact://<hex id>/<entry>`.
    pub fn url(&self) -> String {
        format!("wandb-artifact://{}/{}", self.artifact_hex, self.entry)
    }
}

impl fmt::Debug for MediaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MediaFile({} bytes, {:?}, {})",
            self.bytes.len(),
            self.ext,
            &self.sha256[..12]
        )
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl MediaFile {
    pub fn new(bytes: Vec<u8>, ext: impl Into<String>) -> MediaFile {
        let sha256 = sha256_hex(&bytes);
        MediaFile {
            bytes: Arc::new(bytes),
            ext: ext.into(),
            sha256,
            source_name: None,
            artifact_ref: None,
        }
    }
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
    /// Reads a user file; the extension is the basename's text after its last dot, case kept
    /// (a basename starting with a dot and no other dot has none) — spec §1.3.
    pub fn from_path(path: &std::path::Path) -> Result<MediaFile> {
        let bytes = read_user_file(path)?;
        Ok(MediaFile::new(bytes, path_extension(path)).with_source(path))
    }
    /// Marks the file as the user's file at `path` (see `source_name`).
    pub fn with_source(mut self, path: &std::path::Path) -> MediaFile {
        self.source_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        self
    }
}

/// Largest file a `*_from_file` call reads (2 GiB): the whole file is held in memory.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Reads a file the caller named. Only regular files are read, and never more than
/// `MAX_FILE_BYTES`: a FIFO, socket, device or directory fails at once instead of blocking
/// or filling memory (`O_NONBLOCK` keeps even the `open` of a FIFO from waiting).
pub fn read_user_file(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = crate::platform::open_user_file(path).map_err(|e| Error::io(path.display(), e))?;
    let meta = f.metadata().map_err(|e| Error::io(path.display(), e))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = crate::platform::describe_file_type(&ft);
        return Err(Error::invalid(format!(
            "only regular files can be logged, this is {what}: {}",
            crate::confine::path_text(path)
        )));
    }
    let too_big = || {
        Error::overflow(format!(
            "file is larger than the {MAX_FILE_BYTES}-byte limit: {}",
            crate::confine::path_text(path)
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(meta.len() as usize).map_err(|_| {
        Error::overflow(format!(
            "cannot allocate {} bytes to read {}",
            meta.len(),
            crate::confine::path_text(path)
        ))
    })?;
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path.display(), e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// `.ext` of a path as the SDK computes it (`os.path.splitext` of the basename), or "".
pub fn path_extension(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let trimmed = name.trim_start_matches('.');
    match trimmed.rfind('.') {
        Some(i) => trimmed[i..].to_string(),
        None => String::new(),
    }
}

/// Where and under which name a value is being bound, and what got written.
pub struct BindCtx<'a> {
    pub sink: &'a RunDir,
    /// The file-name key (innermost key for history, dotted path for summary).
    pub key: &'a str,
    pub step: Step,
    /// Relative paths placed while binding (for `files` records of a run writer).
    pub placed: &'a Mutex<Vec<String>>,
}

impl<'a> BindCtx<'a> {
    /// Same context under another key.
    pub fn with_key<'b>(&'b self, key: &'b str) -> BindCtx<'b> {
        BindCtx {
            sink: self.sink,
            key,
            step: self.step,
            placed: self.placed,
        }
    }
    /// Place a file under `subdir` with the context's key and step; returns the relative path.
    pub fn place(&self, subdir: &str, file: &MediaFile) -> Result<String> {
        let rel = self.sink.place(subdir, self.key, &self.step, file)?;
        self.placed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(rel.clone());
        Ok(rel)
    }
}

/// A file-backed W&B data type.
pub trait Media: Send + Sync + fmt::Debug + 'static {
    /// The SDK class name (`Image`, `Video`, …): list batching and table run copies use it.
    fn class_name(&self) -> &'static str;
    /// Whether lists of this class are batched into one list JSON (§15.1 rule 4).
    fn batchable(&self) -> bool {
        false
    }
    /// Bind (place the file(s)) and build the single-item JSON.
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json>;
    /// The batched list JSON (§15.2); `items` all have this item's concrete type.
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let _ = (items, ctx);
        Err(Error::unsupported(format!(
            "{} lists are not batched",
            self.class_name()
        )))
    }
    /// The caption, if any (used by list JSON rules).
    fn caption(&self) -> Option<&Json> {
        None
    }
    /// Set the caption (types without captions refuse).
    fn set_caption(&mut self, caption: Json) -> Result<()> {
        let _ = caption;
        Err(Error::invalid(format!(
            "{} has no caption",
            self.class_name()
        )))
    }
    /// This value's JSON inside an artifact (a table cell, spec §9.4), adding the files it
    /// refers to to `files` (see `table::ArtifactFiles::add_media`). Types that do not
    /// implement it (Plotly, Graph, nested tables: the SDK cannot store them either) are
    /// refused when the table is logged.
    fn artifact_json(&self, files: &mut table::ArtifactFiles) -> Result<Json> {
        let _ = files;
        Err(Error::unsupported(format!(
            "{} values cannot be stored in a table artifact yet",
            self.class_name()
        )))
    }
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// A copy (values are shared by `Arc`; setters copy on write).
    fn clone_arc(&self) -> Arc<dyn Media>;
}

/// The `captions` member of Video/Molecule lists (§15.2): `false` unless the first item has
/// a caption, else every item's caption (`null` where missing).
pub fn first_caption_rule(items: &[Arc<dyn Media>]) -> Json {
    let first_has = items
        .first()
        .and_then(|m| m.caption())
        .is_some_and(|c| *c != Json::Null);
    if first_has {
        Json::Array(
            items
                .iter()
                .map(|m| m.caption().cloned().unwrap_or(Json::Null))
                .collect(),
        )
    } else {
        Json::Bool(false)
    }
}

/// The common leading JSON fields of bound media (§1.4): caption?, _type, sha256, size, path.
pub fn file_json(
    caption: Option<&Json>,
    type_name: &str,
    file: &MediaFile,
    path: String,
) -> Vec<(String, Json)> {
    let mut m = Vec::with_capacity(8);
    if let Some(c) = caption {
        if *c != Json::Null {
            m.push(("caption".to_string(), c.clone()));
        }
    }
    m.push(("_type".to_string(), Json::str(type_name)));
    m.push(("sha256".to_string(), Json::str(file.sha256.clone())));
    m.push(("size".to_string(), Json::Int(file.size() as i64)));
    m.push(("path".to_string(), Json::str(path)));
    m
}

/// `Media.to_json(artifact)` for a file-backed value (spec §9.4): caption?, path (the
/// artifact entry, added to `files`), sha256, _type. Serialiser B sorts the keys.
pub fn file_artifact_json(
    caption: Option<&Json>,
    subdir: &str,
    type_name: &str,
    file: &MediaFile,
    files: &mut table::ArtifactFiles,
) -> Vec<(String, Json)> {
    let mut m = Vec::with_capacity(6);
    if let Some(c) = caption.filter(|c| **c != Json::Null) {
        m.push(("caption".to_string(), c.clone()));
    }
    let path = files.add_media(subdir, file, file.source_name.as_deref());
    m.push(("path".to_string(), Json::str(path)));
    m.push(("sha256".to_string(), Json::str(file.sha256.clone())));
    m.push(("_type".to_string(), Json::str(type_name)));
    m
}

/// Downcast helper for list JSON builders.
pub fn downcast<T: 'static>(m: &Arc<dyn Media>) -> Result<&T> {
    m.as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| Error::invalid("list items must all be of the first item's type"))
}
