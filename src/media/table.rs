//! `wandb.Table` (§9) and `wandb.JoinedTable` (§9.6).
//!
//! A table is columns (all strings or all ints) plus rows of cells (any [`Value`]:
//! scalars, NaN/±inf, lists, dicts, arrays, media). Rows are checked like the SDK: length,
//! and per-column types unless `allow_mixed_types` ([`dtypes`]).
//!
//! Logging a table (binding, §9.2–9.3) writes the **run copy**
//! `media/table/<key>_<step>_<hash20>.table.json` = `{"columns", "data"}` (serialiser A,
//! first 10 000 rows, media cells as their class name, NaN kept) and returns
//! `{_type: table-file, sha256, size, artifact_path, _latest_artifact_path, path, ncols,
//! nrows, log_mode}`. The artifact URLs carry two fresh 128-character `[0-9a-z]` client ids
//! (the SDK's random artifact ids); [`Table::binding`] exposes them to a run writer. Media
//! inside cells are not written to the run directory (the SDK puts them in the artifact only).
//! A table is bound once: logging it again returns the same JSON (an IMMUTABLE table keeps
//! it even after more rows are added, as the SDK does; adding a row to a MUTABLE table
//! starts a new binding).
//!
//! The **artifact copy** (`<key>.table.json` inside the `run_table` artifact, §9.4) is
//! produced by [`Table::artifact_copy`]: serialiser B, sorted keys, NaN → null, media
//! cells as their artifact JSON, `column_types`, plus the files the artifact must hold
//! ([`ArtifactFiles`]). Checked byte for byte against staged artifact files of the SDK for
//! scalar/string/bool/None/list/dict/±inf/NaN cells, int column names and image cells (with
//! boxes, masks, file masks, class sets). Known differences:
//! * `box_score_keys` (a Python set of strings, emitted in hash order) is sorted; other sets
//!   (label ids) are emitted in ascending order, which is CPython's order for small ints;
//! * array columns that are not 1-D of length ≤ 150 (the SDK writes `.npz` side files) are
//!   refused (`Unsupported`);
//! * media other than images and nested tables refuse until their type implements
//!   [`Media::artifact_json`] (Audio, Video, Html, Object3D …);
//! * class-set file names hash the Python `repr` of the set, whose `isprintable` rule is
//!   approximated for unusual Unicode (see [`pyrepr`]);
//! * cells the SDK would type specially are not recognised: `wandb-artifact://` strings,
//!   datetimes (no such value exists here), primary/foreign keys;
//! * `JoinedTable` entry names use a random number where the SDK uses `id(self)`.

pub mod digest;
pub mod dtypes;
mod incremental;
mod joined;
pub mod pyrepr;

use incremental::IncrState;
pub use incremental::Increment;
pub use joined::{JoinKey, JoinedTable};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::json::{write_artifact, Json};
use crate::media::{BindCtx, Media, MediaFile};
use crate::tensor::Scalar;
use crate::value::{NdArray, Value};

use dtypes::{type_of, value_repr, DictKey, WbType};

/// `Table.MAX_ROWS`: rows kept in the run copy.
pub const MAX_ROWS: usize = 10_000;
/// `Table.MAX_ARTIFACT_ROWS`: rows kept in the artifact copy.
pub const MAX_ARTIFACT_ROWS: usize = 200_000;
/// 1-D array columns up to this length stay inline in the artifact copy.
pub const MAX_EMBEDDING_DIMENSIONS: usize = 150;

/// `log_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogMode {
    #[default]
    Immutable,
    Mutable,
    /// Accepted by the SDK but not supported here (time-based artifact entry names).
    Incremental,
}

impl LogMode {
    pub fn name(self) -> &'static str {
        match self {
            LogMode::Immutable => "IMMUTABLE",
            LogMode::Mutable => "MUTABLE",
            LogMode::Incremental => "INCREMENTAL",
        }
    }
    pub fn parse(s: &str) -> Result<LogMode> {
        match s {
            "IMMUTABLE" => Ok(LogMode::Immutable),
            "MUTABLE" => Ok(LogMode::Mutable),
            "INCREMENTAL" => Ok(LogMode::Incremental),
            _ => Err(Error::invalid(format!(
                "Invalid log_mode: {s}. Must be one of ['IMMUTABLE', 'MUTABLE', 'INCREMENTAL']"
            ))),
        }
    }
}

/// Table construction options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableOptions {
    pub log_mode: LogMode,
    /// Disable per-column type checking (`allow_mixed_types=True`).
    pub allow_mixed_types: bool,
}

// ---------------------------------------------------------------------------------------
// Random artifact client ids
// ---------------------------------------------------------------------------------------

/// `n` random characters from `[0-9a-z]` (the SDK's `runid.generate_id(n)` alphabet),
/// from the OS random source ([`crate::platform::random_base36`]).
pub fn random_id(n: usize) -> String {
    crate::platform::random_base36(n)
}

// ---------------------------------------------------------------------------------------
// Artifact files
// ---------------------------------------------------------------------------------------

/// One file of an artifact: entry name (relative path inside the artifact), bytes and the
/// manifest digest (base64 MD5).
#[derive(Debug, Clone)]
pub struct ArtifactEntry {
    pub name: String,
    /// The content (of the referenced file, for a reference entry).
    pub bytes: Arc<Vec<u8>>,
    pub digest: String,
    /// `Some(url)`: a reference entry (`wandb-artifact://<hex id>/<entry>`, size 0, no
    /// file), what the SDK's `artifact.add_reference(source_entry.ref_url())` writes for a
    /// value read from another artifact.
    pub reference: Option<String>,
}

/// The files an artifact copy needs besides the table JSON itself (media of cells,
/// class-set files), each added once.
#[derive(Debug, Clone, Default)]
pub struct ArtifactFiles {
    entries: Vec<ArtifactEntry>,
}

impl ArtifactFiles {
    /// Adds `bytes` as entry `name` (a second add of the same name is ignored); returns it.
    pub fn add_bytes(&mut self, name: String, bytes: Arc<Vec<u8>>) -> String {
        if !self.entries.iter().any(|e| e.name == name) {
            let digest = digest::md5_base64(&bytes);
            self.entries.push(ArtifactEntry {
                name: name.clone(),
                bytes,
                digest,
                reference: None,
            });
        }
        name
    }

    /// Adds a reference entry `name` → `r` (a second add of the same name is ignored).
    /// `bytes`: the referenced file's content (not uploaded; an artifact directory written
    /// with it has the layout `artifact.download()` gives, references resolved).
    pub fn add_reference(
        &mut self,
        name: String,
        r: &crate::media::ArtifactRef,
        bytes: Arc<Vec<u8>>,
    ) -> String {
        if !self.entries.iter().any(|e| e.name == name) {
            self.entries.push(ArtifactEntry {
                name: name.clone(),
                bytes,
                digest: r.digest.clone(),
                reference: Some(r.url()),
            });
        }
        name
    }

    /// Adds a media file as `Media.to_json(artifact)` names it: an encoded (temporary)
    /// file becomes `<subdir>/<md5[:20]><ext>`, a user file `<subdir>/<sha256[:20]>/<basename>`.
    pub fn add_media(
        &mut self,
        subdir: &str,
        file: &MediaFile,
        source_name: Option<&str>,
    ) -> String {
        // Read from an artifact whose id is known: the SDK's `Media.to_json(artifact)` adds
        // a reference to the source entry, under the source's entry name.
        if let Some(r) = &file.artifact_ref {
            return self.add_reference(r.entry.clone(), r, file.bytes.clone());
        }
        let name = match source_name {
            Some(base) => format!(
                "{subdir}/{}/{base}",
                &file.sha256[..20.min(file.sha256.len())]
            ),
            None => {
                let md5 = digest::md5_hex(&file.bytes);
                format!("{subdir}/{}{}", &md5[..20], file.ext)
            }
        };
        self.add_bytes(name, file.bytes.clone())
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[ArtifactEntry] {
        &self.entries
    }

    /// Entry lookup by name.
    pub fn get(&self, name: &str) -> Option<&ArtifactEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// A table's artifact copy: the `<key>.table.json` text and the other files it refers to.
#[derive(Debug, Clone)]
pub struct TableArtifact {
    /// Serialiser B text of the artifact copy.
    pub json: String,
    pub files: ArtifactFiles,
}

/// How a table was bound to a run (what a run writer needs for the `run_table` artifact
/// `run-<run id>-<key>` with entry `<key>.table.json`).
#[derive(Debug, Clone)]
pub struct TableBinding {
    pub files_dir: PathBuf,
    /// The key the table was logged under (artifact name suffix, entry name stem).
    pub key: String,
    /// The artifact's `client_id` (128 × `[0-9a-z]`).
    pub client_id: String,
    /// The artifact's `sequence_client_id`.
    pub sequence_client_id: String,
    /// `<key>.table.json`.
    pub entry_name: String,
    /// Relative path of the run copy.
    pub path: String,
    /// The row JSON that was returned.
    pub json: Json,
    /// The source entry the table referenced when it was bound: the `run_table` artifact
    /// then holds only a reference entry to it.
    pub source: Option<Arc<crate::media::ArtifactRef>>,
    /// An INCREMENTAL table's increment (`None` for the other log modes).
    pub increment: Option<Increment>,
}

// ---------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------

/// A `wandb.Table`.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<DictKey>,
    rows: Vec<Vec<Value>>,
    types: Vec<WbType>,
    log_mode: LogMode,
    allow_mixed_types: bool,
    binding: Arc<Mutex<Option<TableBinding>>>,
    /// `column_types` of a table read from an artifact (`Table.from_json` keeps them as
    /// `_column_types`): reported, compared and written again until a row is added.
    declared_types: Option<Json>,
    /// The `<name>.table.json` entry of the artifact this table was read from with
    /// `artifact.get(name)` and a known artifact id: logging the table references it
    /// (`artifact_path`, and a reference entry in the `run_table` artifact) instead of
    /// writing a copy. Dropped when a row is added (the SDK keeps it, so its reference
    /// would name a table without the new rows).
    source: Option<Arc<crate::media::ArtifactRef>>,
    incr: Arc<Mutex<IncrState>>,
}

fn columns_repr(columns: &[DictKey]) -> String {
    let parts: Vec<String> = columns.iter().map(DictKey::repr).collect();
    format!("[{}]", parts.join(", "))
}

fn contains_histogram(v: &Value) -> bool {
    match v {
        Value::Histogram(_) => true,
        Value::List(items) => items.iter().any(contains_histogram),
        Value::Dict(m) => m.iter().any(|(_, v)| contains_histogram(v)),
        _ => false,
    }
}

fn scalar_json(s: Scalar, nan_to_null: bool) -> Json {
    match s {
        Scalar::Int(i) => Json::Int(i),
        Scalar::UInt(u) => Json::UInt(u),
        Scalar::Bool(b) => Json::Bool(b),
        Scalar::F32(f) if nan_to_null && f.is_nan() => Json::Null,
        Scalar::F64(f) if nan_to_null && f.is_nan() => Json::Null,
        Scalar::F32(f) => Json::Float(f as f64),
        Scalar::F64(f) => Json::Float(f),
    }
}

/// numpy `.tolist()` of an array (nested lists; a 0-d array gives its scalar).
fn array_tolist(shape: &[usize], data: &[Scalar], nan_to_null: bool) -> Json {
    match shape.split_first() {
        None => data
            .first()
            .map(|&s| scalar_json(s, nan_to_null))
            .unwrap_or(Json::Null),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            Json::Array(
                (0..n)
                    .map(|i| {
                        let part = data.get(i * stride..(i + 1) * stride).unwrap_or(&[]);
                        array_tolist(rest, part, nan_to_null)
                    })
                    .collect(),
            )
        }
    }
}

/// A run-copy cell (`_numpy_arrays_to_lists` + the compact writer).
fn run_cell(v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => j.clone(),
        Value::List(items) => Json::Array(items.iter().map(run_cell).collect::<Result<_>>()?),
        Value::Dict(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), run_cell(v)?)))
                .collect::<Result<_>>()?,
        ),
        // A 0-d array stands for a numpy scalar (see `dtypes::type_of`).
        Value::Array(a) => array_tolist(&a.shape, &a.scalars(), false),
        Value::Media(m) => Json::str(m.class_name()),
        Value::Histogram(_) => return Err(histogram_cell_error()),
    })
}

fn nan_to_null(j: &Json) -> Json {
    match j {
        Json::Float(f) if f.is_nan() => Json::Null,
        Json::Array(a) => Json::Array(a.iter().map(nan_to_null).collect()),
        Json::Object(m) => {
            Json::Object(m.iter().map(|(k, v)| (k.clone(), nan_to_null(v))).collect())
        }
        other => other.clone(),
    }
}

/// An artifact-copy cell (`_json_helper`; NaN → null at any depth).
fn artifact_cell(v: &Value, files: &mut ArtifactFiles) -> Result<Json> {
    Ok(match v {
        Value::Float(f) if f.is_nan() => Json::Null,
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => nan_to_null(j),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|v| artifact_cell(v, files))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), artifact_cell(v, files)?)))
                .collect::<Result<_>>()?,
        ),
        Value::Array(a) => array_tolist(&a.shape, &a.scalars(), true),
        Value::Media(m) => m.artifact_json(files)?,
        Value::Histogram(_) => return Err(histogram_cell_error()),
    })
}

fn histogram_cell_error() -> Error {
    Error::invalid(
        "Object of type Histogram is not JSON serializable: a Histogram cannot be a table cell",
    )
}

impl Table {
    /// `wandb.Table(columns=columns, log_mode=…, allow_mixed_types=…)` with no rows.
    /// Columns are all strings or all ints (the SDK fails on mixed names when it writes
    /// the artifact) and must be unique.
    pub fn new(columns: Vec<DictKey>, opts: TableOptions) -> Result<Table> {
        let all_str = columns.iter().all(|c| matches!(c, DictKey::Str(_)));
        let all_int = columns.iter().all(|c| matches!(c, DictKey::Int(_)));
        if !all_str && !all_int {
            return Err(Error::invalid(
                "columns argument expects list of strings or ints (all strings or all ints)",
            ));
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                return Err(Error::invalid(format!(
                    "columns: duplicate column name {}",
                    c.repr()
                )));
            }
        }
        let initial = if opts.allow_mixed_types {
            WbType::optional(WbType::Any)
        } else {
            WbType::optional(WbType::Unknown)
        };
        Ok(Table {
            types: vec![initial; columns.len()],
            columns,
            rows: Vec::new(),
            log_mode: opts.log_mode,
            allow_mixed_types: opts.allow_mixed_types,
            binding: Arc::new(Mutex::new(None)),
            declared_types: None,
            source: None,
            incr: Arc::new(Mutex::new(IncrState::default())),
        })
    }

    /// Columns from a JSON array of strings or integers.
    pub fn from_columns_json(columns: &Json, opts: TableOptions) -> Result<Table> {
        let Json::Array(items) = columns else {
            return Err(Error::invalid(
                "columns argument expects a `list` object (a JSON array)",
            ));
        };
        let cols = items
            .iter()
            .map(|c| match c {
                Json::Str(s) => Ok(DictKey::Str(s.clone())),
                Json::Int(i) => Ok(DictKey::Int(*i)),
                _ => Err(Error::invalid(
                    "columns argument expects list of strings or ints",
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        Table::new(cols, opts)
    }

    pub fn columns(&self) -> &[DictKey] {
        &self.columns
    }
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }
    pub fn ncols(&self) -> usize {
        self.columns.len()
    }
    pub fn nrows(&self) -> usize {
        self.rows.len()
    }
    pub fn log_mode(&self) -> LogMode {
        self.log_mode
    }
    pub fn allow_mixed_types(&self) -> bool {
        self.allow_mixed_types
    }
    /// Keeps the `column_types` JSON a table was read with (see `declared_types`).
    pub fn set_declared_types(&mut self, column_types: Json) {
        self.declared_types = Some(column_types);
    }
    /// Marks the table as read from artifact entry `r` (see the `source` field).
    pub fn set_artifact_source(&mut self, r: crate::media::ArtifactRef) {
        self.source = Some(Arc::new(r));
    }
    /// The artifact entry this table references when logged (`None`: it is written).
    pub fn artifact_source(&self) -> Option<&crate::media::ArtifactRef> {
        self.source.as_deref()
    }
    /// The column types as W&B type JSON: the declared ones of a table read from an
    /// artifact (until a row is added), else the ones computed from the cells.
    pub fn column_types_json(&self) -> Json {
        match &self.declared_types {
            Some(j) => j.clone(),
            None => self.type_dict().to_json(),
        }
    }
    /// The declared type of column `i` (`type_map[<name>]`), if the table has them.
    fn declared_type(&self, i: usize) -> Option<Json> {
        let key = self.columns.get(i)?.json_key();
        self.declared_types
            .as_ref()?
            .get("params")?
            .get("type_map")?
            .get(&key)
            .cloned()
    }
    /// The current column types (`{"col": type}`, a `typedDict`).
    pub fn type_dict(&self) -> WbType {
        WbType::TypedDict(
            self.columns
                .iter()
                .cloned()
                .zip(self.types.iter().cloned())
                .collect(),
        )
    }

    /// `table.add_data(*cells)`: checks the row length, refuses Histogram cells (the SDK
    /// fails later, when it writes the run copy) and type-checks every column.
    pub fn add_row(&mut self, cells: Vec<Value>) -> Result<()> {
        if cells.len() != self.columns.len() {
            return Err(Error::invalid(format!(
                "This table expects {} columns: {}, found {}",
                self.columns.len(),
                columns_repr(&self.columns),
                cells.len()
            )));
        }
        if cells.iter().any(contains_histogram) {
            return Err(histogram_cell_error());
        }
        let mut new_types = Vec::with_capacity(self.types.len());
        let mut failed = false;
        for (t, v) in self.types.iter().zip(&cells) {
            let a = t.assign(v);
            failed |= a == WbType::Invalid;
            new_types.push(a);
        }
        if failed {
            return Err(Error::invalid(format!(
                "Data row contained incompatible types:\n{}",
                self.explain_row(&cells)
            )));
        }
        if self.log_mode == LogMode::Mutable {
            self.binding = Arc::new(Mutex::new(None));
        }
        if self.log_mode == LogMode::Incremental {
            // `allow_incremental_logging_after_append`: after a log, the next log writes
            // the next increment; the logged one joins `previous_increments_paths`.
            let mut slot = self.binding.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(b) = slot.take() {
                let mut st = self.incr.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(Json::Str(url)) = b.json.get("artifact_path") {
                    st.previous.push(url.clone());
                }
                st.num = Some(st.num.unwrap_or(0) + 1);
            }
        }
        self.types = new_types;
        self.rows.push(cells);
        self.declared_types = None;
        self.source = None;
        Ok(())
    }

    fn explain_row(&self, cells: &[Value]) -> String {
        let join = |f: &dyn Fn(usize) -> String| -> String {
            let parts: Vec<String> = (0..self.columns.len()).map(f).collect();
            format!("{{{}}}", parts.join(", "))
        };
        let row_repr = join(&|i| format!("{}: {}", self.columns[i].repr(), value_repr(&cells[i])));
        let row_type =
            join(&|i| format!("{}: {}", self.columns[i].repr(), type_of(&cells[i]).repr()));
        let mut msg = format!(
            "{row_repr} of type {row_type} is not assignable to {}",
            self.type_dict().repr()
        );
        for (i, (t, v)) in self.types.iter().zip(cells).enumerate() {
            if t.assign(v) == WbType::Invalid {
                msg.push_str(&format!(
                    "\nKey {}:\n{}",
                    self.columns[i].repr(),
                    t.explain(v, 1)
                ));
            }
        }
        msg
    }

    /// The run copy `{"columns": [...], "data": [first 10 000 rows]}` (media cells as class
    /// names, NaN kept).
    pub fn run_copy_json(&self) -> Result<Json> {
        self.run_copy_json_from(0)
    }

    /// The run copy of the rows from `start` (an increment's rows: `_to_table_json` with
    /// `_last_logged_idx` set; at most `MAX_ROWS` of them).
    fn run_copy_json_from(&self, start: usize) -> Result<Json> {
        let rows = self.rows.get(start..).unwrap_or(&[]);
        if start == 0 && rows.len() > MAX_ROWS {
            crate::diag::warn(&format!(
                "Truncating wandb.Table object to {MAX_ROWS} rows."
            ));
        }
        let data = rows[..rows.len().min(MAX_ROWS)]
            .iter()
            .map(|row| {
                Ok(Json::Array(
                    row.iter().map(run_cell).collect::<Result<_>>()?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Json::object([
            (
                "columns",
                Json::Array(self.columns.iter().map(DictKey::to_json).collect()),
            ),
            ("data", Json::Array(data)),
        ]))
    }

    /// Column types as the artifact copy states them: 1-D array columns (≤ 150 long) become
    /// fixed-length number lists; longer or multi-dimensional ones would need `.npz` files.
    fn artifact_types(&self) -> Result<Vec<WbType>> {
        let mut types = self.types.clone();
        for (i, t) in types.iter_mut().enumerate() {
            let nd = match &*t {
                WbType::NdArray(shape) => Some(shape.clone()),
                WbType::Union(m) => m.iter().find_map(|x| match x {
                    WbType::NdArray(shape) => Some(shape.clone()),
                    _ => None,
                }),
                _ => None,
            };
            if let Some(shape) = nd {
                match shape.as_slice() {
                    [n] if *n <= MAX_EMBEDDING_DIMENSIONS => {
                        *t = WbType::List {
                            elem: Box::new(WbType::Number),
                            length: Some(*n),
                        };
                    }
                    _ => {
                        return Err(Error::unsupported(format!(
                            "column {}: arrays of shape {shape:?} are stored by the SDK as .npz files, which this library does not write",
                            self.columns[i].repr()
                        )))
                    }
                }
            }
        }
        Ok(types)
    }

    fn artifact_data(&self, files: &mut ArtifactFiles) -> Result<Vec<Json>> {
        self.artifact_data_range(0, self.rows.len(), files)
    }

    fn artifact_data_range(
        &self,
        start: usize,
        end: usize,
        files: &mut ArtifactFiles,
    ) -> Result<Vec<Json>> {
        let rows = self.rows.get(start..end).unwrap_or(&[]);
        if rows.len() > MAX_ARTIFACT_ROWS {
            crate::diag::warn(&format!(
                "Truncating wandb.Table object to {MAX_ARTIFACT_ROWS} rows."
            ));
        }
        rows[..rows.len().min(MAX_ARTIFACT_ROWS)]
            .iter()
            .map(|row| {
                Ok(Json::Array(
                    row.iter()
                        .map(|v| artifact_cell(v, files))
                        .collect::<Result<_>>()?,
                ))
            })
            .collect()
    }

    /// The artifact copy (§9.4) and the files it refers to. Its entry name in the
    /// `run_table` artifact is `<key>.table.json` (see [`TableBinding`]).
    ///
    /// An INCREMENTAL table writes the rows of its last bound increment (or, not logged
    /// yet, the rows since its last log) with `increment_num` and
    /// `previous_increments_paths`, as `Table.to_json(artifact)` does after
    /// `Table.to_json` set them.
    pub fn artifact_copy(&self) -> Result<TableArtifact> {
        let mut files = ArtifactFiles::default();
        let types = self.artifact_types()?;
        let increment = self.artifact_increment();
        let data = match &increment {
            Some(inc) => self.artifact_data_range(inc.start, inc.end, &mut files)?,
            None => self.artifact_data(&mut files)?,
        };
        // Sorted keys, with int column names sorted as numbers (Python sorts the dict keys
        // before turning them into strings).
        let mut order: Vec<usize> = (0..self.columns.len()).collect();
        order.sort_by(|&a, &b| match (&self.columns[a], &self.columns[b]) {
            (DictKey::Int(x), DictKey::Int(y)) => x.cmp(y),
            (x, y) => x.json_key().cmp(&y.json_key()),
        });
        let mut s =
            String::from("{\"_type\": \"table\", \"column_types\": {\"params\": {\"type_map\": {");
        for (n, &i) in order.iter().enumerate() {
            if n > 0 {
                s.push_str(", ");
            }
            write_artifact(&Json::Str(self.columns[i].json_key()), &mut s);
            s.push_str(": ");
            let t = self.declared_type(i).unwrap_or_else(|| types[i].to_json());
            write_artifact(&t, &mut s);
        }
        s.push_str("}}, \"wb_type\": \"typedDict\"}, \"columns\": ");
        write_artifact(
            &Json::Array(self.columns.iter().map(DictKey::to_json).collect()),
            &mut s,
        );
        s.push_str(", \"data\": ");
        let nrows = data.len();
        write_artifact(&Json::Array(data), &mut s);
        if let Some(inc) = &increment {
            s.push_str(&format!(", \"increment_num\": {}", inc.num));
        }
        s.push_str(&format!(
            ", \"log_mode\": \"{}\", \"ncols\": {}, \"nrows\": {}",
            self.log_mode.name(),
            self.columns.len(),
            nrows
        ));
        if let Some(inc) = &increment {
            s.push_str(", \"previous_increments_paths\": ");
            write_artifact(
                &Json::Array(inc.previous.iter().map(|p| Json::str(p.clone())).collect()),
                &mut s,
            );
        }
        s.push('}');
        Ok(TableArtifact { json: s, files })
    }

    /// The binding made by the last log (`None` before the first one).
    pub fn binding(&self) -> Option<TableBinding> {
        self.binding
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Media for Table {
    fn class_name(&self) -> &'static str {
        "Table"
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let mut slot = self.binding.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = slot.as_ref() {
            if b.files_dir == ctx.sink.files_dir() {
                return Ok(b.json.clone());
            }
        }
        if self.log_mode == LogMode::Incremental {
            let b = self.bind_increment(ctx)?;
            let json = b.json.clone();
            *slot = Some(b);
            return Ok(json);
        }
        let entry_name = crate::media::artifact_path::entry_name(ctx.key, "table")?;
        let bytes = self.run_copy_json()?.to_compact().into_bytes();
        let file = MediaFile::new(bytes, ".table.json");
        let path = ctx.place("media/table", &file)?;
        let client_id = random_id(128);
        let sequence_client_id = random_id(128);
        let mut members = vec![
            ("_type".to_string(), Json::str("table-file")),
            ("sha256".to_string(), Json::str(file.sha256.clone())),
            ("size".to_string(), Json::Int(file.size() as i64)),
        ];
        match &self.source {
            // Read from an artifact (`_artifact_source` with a name): the reference to the
            // source entry, and no `_latest_artifact_path` (the SDK's `artifact.add` returns
            // the reference entry before it sets an artifact target).
            Some(r) => members.push(("artifact_path".to_string(), Json::str(r.url()))),
            None => {
                members.push((
                    "artifact_path".to_string(),
                    Json::str(format!("wandb-client-artifact://{client_id}/{entry_name}")),
                ));
                members.push((
                    "_latest_artifact_path".to_string(),
                    Json::str(format!(
                        "wandb-client-artifact://{sequence_client_id}:latest/{entry_name}"
                    )),
                ));
            }
        }
        members.extend([
            ("path".to_string(), Json::str(path.clone())),
            ("ncols".to_string(), Json::Int(self.columns.len() as i64)),
            ("nrows".to_string(), Json::Int(self.rows.len() as i64)),
            ("log_mode".to_string(), Json::str(self.log_mode.name())),
        ]);
        let json = Json::Object(members);
        *slot = Some(TableBinding {
            files_dir: ctx.sink.files_dir().to_path_buf(),
            key: ctx.key.to_string(),
            client_id,
            sequence_client_id,
            entry_name,
            path,
            json: json.clone(),
            source: self.source.clone(),
            increment: None,
        });
        Ok(json)
    }
    /// A table inside a table cell: its own artifact JSON, nested.
    fn artifact_json(&self, files: &mut ArtifactFiles) -> Result<Json> {
        let types = self.artifact_types()?;
        let data = self.artifact_data(files)?;
        let nrows = data.len();
        let type_dict = WbType::TypedDict(self.columns.iter().cloned().zip(types).collect());
        Ok(Json::object([
            ("_type", Json::str("table")),
            (
                "columns",
                Json::Array(self.columns.iter().map(DictKey::to_json).collect()),
            ),
            ("data", Json::Array(data)),
            ("ncols", Json::Int(self.columns.len() as i64)),
            ("nrows", Json::Int(nrows as i64)),
            ("column_types", type_dict.to_json()),
            ("log_mode", Json::str(self.log_mode.name())),
        ]))
    }
    media_object_methods!();
}

/// A 1-D array value (helper for tests and callers building embedding cells).
pub fn array_value(data: Vec<Scalar>, dtype: crate::tensor::DType) -> Value {
    Value::Array(NdArray::new(dtype, vec![data.len()], &data))
}

#[cfg(test)]
mod tests;
