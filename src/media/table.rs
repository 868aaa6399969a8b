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
pub mod pyrepr;

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

/// One increment of an INCREMENTAL table, as bound by a log: the rows `start..end` (the
/// rows added since the previous log) and the state the SDK writes with them.
#[derive(Debug, Clone)]
pub struct Increment {
    pub num: u64,
    pub start: usize,
    pub end: usize,
    /// The `artifact_path`s of the earlier increments.
    pub previous: Vec<String>,
}

/// The increment state of an INCREMENTAL table (`_increment_num`, `_last_logged_idx`,
/// `_previous_increments_paths`, `_run_target_for_increments`). Shared by clones, like
/// the binding.
#[derive(Debug, Clone, Default)]
struct IncrState {
    num: Option<u64>,
    /// Rows logged so far (`_last_logged_idx + 1`); `None` before the first log.
    logged: Option<usize>,
    previous: Vec<String>,
    /// The run (files directory) the table is logged to: an incremental table can only be
    /// logged to one run.
    run: Option<PathBuf>,
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
        let increment = if self.log_mode == LogMode::Incremental {
            Some(match self.binding().and_then(|b| b.increment) {
                Some(inc) => inc,
                None => {
                    let st = self.incr.lock().unwrap_or_else(|p| p.into_inner());
                    Increment {
                        num: st.num.unwrap_or(0),
                        start: st.logged.unwrap_or(0),
                        end: self.rows.len(),
                        previous: st.previous.clone(),
                    }
                }
            })
        } else {
            None
        };
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

    /// Binds the next increment of an INCREMENTAL table (`_log_table_artifact`,
    /// `bind_to_run` and `to_json` of wandb 0.31): the run copy holds the rows added since
    /// the last log; the artifact entry is `<increment_num>-<epoch ms>.<key>.table.json`,
    /// named before `to_json` sets the number, so the first one is `None-<ms>…` as the
    /// SDK writes it; the JSON's `nrows` counts all rows.
    fn bind_increment(&self, ctx: &BindCtx<'_>) -> Result<TableBinding> {
        let mut st = self.incr.lock().unwrap_or_else(|p| p.into_inner());
        let dir = ctx.sink.files_dir().to_path_buf();
        match &st.run {
            Some(r) if *r != dir => {
                return Err(Error::invalid(
                    "An incremental Table can only be logged to one Run.",
                ))
            }
            _ => st.run = Some(dir.clone()),
        }
        let stem = crate::media::artifact_path::entry_name(ctx.key, "table")?;
        let label = st.num.map_or_else(|| "None".to_string(), |n| n.to_string());
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let entry_name = format!("{label}-{ms}.{stem}");
        crate::media::artifact_path::validate_relpath(&entry_name)?;
        let num = st.num.unwrap_or(0);
        st.num = Some(num);
        let start = st.logged.unwrap_or(0).min(self.rows.len());
        let bytes = self.run_copy_json_from(start)?.to_compact().into_bytes();
        let file = MediaFile::new(bytes, ".table.json");
        let path = ctx.place("media/table", &file)?;
        let client_id = random_id(128);
        let sequence_client_id = random_id(128);
        let previous = st.previous.clone();
        let json = Json::Object(vec![
            ("_type".to_string(), Json::str("incremental-table-file")),
            ("sha256".to_string(), Json::str(file.sha256.clone())),
            ("size".to_string(), Json::Int(file.size() as i64)),
            (
                "artifact_path".to_string(),
                Json::str(format!("wandb-client-artifact://{client_id}/{entry_name}")),
            ),
            (
                "_latest_artifact_path".to_string(),
                Json::str(format!(
                    "wandb-client-artifact://{sequence_client_id}:latest/{entry_name}"
                )),
            ),
            ("path".to_string(), Json::str(path.clone())),
            ("increment_num".to_string(), Json::Int(num as i64)),
            (
                "previous_increments_paths".to_string(),
                Json::Array(previous.iter().map(|p| Json::str(p.clone())).collect()),
            ),
            ("ncols".to_string(), Json::Int(self.columns.len() as i64)),
            ("nrows".to_string(), Json::Int(self.rows.len() as i64)),
            ("log_mode".to_string(), Json::str(self.log_mode.name())),
        ]);
        st.logged = Some(self.rows.len());
        Ok(TableBinding {
            files_dir: dir,
            key: ctx.key.to_string(),
            client_id,
            sequence_client_id,
            entry_name,
            path,
            json,
            source: None,
            increment: Some(Increment {
                num,
                start,
                end: self.rows.len(),
                previous,
            }),
        })
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

// ---------------------------------------------------------------------------------------
// JoinedTable
// ---------------------------------------------------------------------------------------

/// `join_key`: one column name, or one per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinKey {
    One(String),
    Pair(String, String),
}

impl JoinKey {
    fn to_json(&self) -> Json {
        match self {
            JoinKey::One(k) => Json::str(k.clone()),
            JoinKey::Pair(a, b) => Json::Array(vec![Json::str(a.clone()), Json::str(b.clone())]),
        }
    }
}

/// `wandb.JoinedTable(table1, table2, join_key)` of two tables. Logged, it writes no run
/// file; its JSON is `{"_type": "joined-table", "artifact_path": …/<key>.joined-table.json}`
/// and the `run_table` artifact holds both tables ([`JoinedTable::artifact_files`]).
/// (The SDK also accepts artifact paths of tables; those only resolve inside an artifact
/// that already holds them, so only table objects are supported here.)
#[derive(Debug, Clone)]
pub struct JoinedTable {
    pub table1: Arc<Table>,
    pub table2: Arc<Table>,
    pub join_key: JoinKey,
    /// Stands in for Python's `id(self)` in the entry names `t1_<id>.table.json`.
    object_id: u64,
    binding: Arc<Mutex<Option<(PathBuf, String, Json)>>>,
}

impl JoinedTable {
    pub fn new(table1: Table, table2: Table, join_key: JoinKey) -> Result<JoinedTable> {
        let object_id = 0x7f00_0000_0000 | (crate::platform::random_u64() & 0xff_ffff_fff0);
        Ok(JoinedTable {
            table1: Arc::new(table1),
            table2: Arc::new(table2),
            join_key,
            object_id,
            binding: Arc::new(Mutex::new(None)),
        })
    }

    /// The artifact client id of the last log, if any.
    pub fn client_id(&self) -> Option<String> {
        self.binding
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|b| b.1.clone())
    }

    /// Every file of the `run_table` artifact for a log under `key`: the two tables
    /// (`t1_<id>.table.json`, `t2_<id>.table.json`, with their media) and
    /// `<key>.joined-table.json` = `{"_type": "joined-table", "join_key", "table1", "table2"}`.
    pub fn artifact_files(&self, key: &str) -> Result<ArtifactFiles> {
        let mut files = ArtifactFiles::default();
        let mut names = Vec::with_capacity(2);
        for (i, t) in [&self.table1, &self.table2].into_iter().enumerate() {
            let copy = t.artifact_copy()?;
            for e in copy.files.entries() {
                files.add_bytes(e.name.clone(), e.bytes.clone());
            }
            let name = format!("t{}_{}.table.json", i + 1, self.object_id);
            files.add_bytes(name.clone(), Arc::new(copy.json.into_bytes()));
            names.push(name);
        }
        let joined = Json::object([
            ("_type", Json::str("joined-table")),
            ("table1", Json::str(names[0].clone())),
            ("table2", Json::str(names[1].clone())),
            ("join_key", self.join_key.to_json()),
        ]);
        files.add_bytes(
            crate::media::artifact_path::entry_name(key, "joined-table")?,
            Arc::new(joined.to_artifact().into_bytes()),
        );
        Ok(files)
    }
}

impl Media for JoinedTable {
    fn class_name(&self) -> &'static str {
        "JoinedTable"
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let mut slot = self.binding.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((dir, _, json)) = slot.as_ref() {
            if dir == ctx.sink.files_dir() {
                return Ok(json.clone());
            }
        }
        let entry_name = crate::media::artifact_path::entry_name(ctx.key, "joined-table")?;
        let client_id = random_id(128);
        let json = Json::object([
            ("_type", Json::str("joined-table")),
            (
                "artifact_path",
                Json::str(format!("wandb-client-artifact://{client_id}/{entry_name}")),
            ),
        ]);
        *slot = Some((ctx.sink.files_dir().to_path_buf(), client_id, json.clone()));
        Ok(json)
    }
    media_object_methods!();
}

/// A 1-D array value (helper for tests and callers building embedding cells).
pub fn array_value(data: Vec<Scalar>, dtype: crate::tensor::DType) -> Value {
    Value::Array(NdArray::new(dtype, vec![data.len()], &data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::image::Image;
    use crate::run_dir::{RunDir, Step};

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    fn table(cols: &[&str]) -> Table {
        Table::new(
            cols.iter().map(|c| DictKey::Str(c.to_string())).collect(),
            TableOptions::default(),
        )
        .unwrap()
    }

    fn bind(v: &dyn Media, dir: &RunDir, key: &str, step: i64) -> Json {
        let placed = Mutex::new(Vec::new());
        let ctx = BindCtx {
            sink: dir,
            key,
            step: Step::Num(step),
            placed: &placed,
        };
        v.to_json(&ctx).unwrap()
    }

    fn tmp_dir(name: &str) -> (PathBuf, RunDir) {
        let p = std::env::temp_dir().join(format!("wbm-table-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        let rd = RunDir::new(&p).unwrap();
        (p, rd)
    }

    #[test]
    fn spec_vector_run_copy() {
        // §20: Table(columns=["x","y"], data=np.array([[1,2],[3,4]])) → 4258fa77…, 42 bytes.
        let mut t = table(&["x", "y"]);
        t.add_row(vec![Value::Int(1), Value::Int(2)]).unwrap();
        t.add_row(vec![Value::Int(3), Value::Int(4)]).unwrap();
        let file = MediaFile::new(t.run_copy_json().unwrap().to_compact().into_bytes(), "");
        assert_eq!(file.size(), 42);
        assert!(
            file.sha256.starts_with("4258fa77b12ff507cdfa"),
            "{}",
            file.sha256
        );
    }

    #[test]
    fn row_json_and_binding_once() {
        let (p, rd) = tmp_dir("bind");
        let mut t = table(&["a"]);
        t.add_row(vec![Value::Int(1)]).unwrap();
        t.add_row(vec![Value::Int(2)]).unwrap();
        let j = bind(&t, &rd, "tab", 123456);
        let text = j.to_compact();
        assert!(text.starts_with(
            r#"{"_type":"table-file","sha256":"7cad2a554f5ba00c989f1afd7ce1886691c7cb9a3b82a521b2dbff789a6628f9","size":34,"artifact_path":"wandb-client-artifact://"#
        ), "{text}");
        assert!(text.ends_with(
            r#"/tab.table.json","path":"media/table/tab_123456_7cad2a554f5ba00c989f.table.json","ncols":1,"nrows":2,"log_mode":"IMMUTABLE"}"#
        ), "{text}");
        let b = t.binding().unwrap();
        assert_eq!(b.client_id.len(), 128);
        assert!(b
            .client_id
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_ne!(b.client_id, b.sequence_client_id);
        assert!(text.contains(&format!("{}:latest/tab.table.json", b.sequence_client_id)));
        // Bound once: the same JSON again, even after a row was added (IMMUTABLE).
        t.add_row(vec![Value::Int(3)]).unwrap();
        assert_eq!(bind(&t, &rd, "other", 7), j);
        // MUTABLE: a new binding after a mutation.
        let mut m = Table::new(
            vec![DictKey::Str("a".into())],
            TableOptions {
                log_mode: LogMode::Mutable,
                ..Default::default()
            },
        )
        .unwrap();
        m.add_row(vec![Value::Int(1)]).unwrap();
        let j1 = bind(&m, &rd, "m", 1);
        assert_eq!(bind(&m, &rd, "m", 2), j1);
        m.add_row(vec![Value::Int(2)]).unwrap();
        let j2 = bind(&m, &rd, "m", 2);
        assert_ne!(j1, j2);
        assert!(j2
            .to_compact()
            .contains(r#""nrows":2,"log_mode":"MUTABLE""#));
        let _ = std::fs::remove_dir_all(&p);
    }

    #[test]
    fn validation_errors() {
        let mut t = table(&["a", "b"]);
        assert_eq!(
            t.add_row(vec![Value::Int(3)]).unwrap_err().message,
            "This table expects 2 columns: ['a', 'b'], found 1"
        );
        t.add_row(vec![Value::Int(1), s("x")]).unwrap();
        let e = t.add_row(vec![s("y"), s("x")]).unwrap_err().message;
        assert!(e.starts_with("Data row contained incompatible types:\n{'a': 'y', 'b': 'x'} of type {'a': String, 'b': String} is not assignable to {'a': None or Number, 'b': None or String}\nKey 'a':\n\tString not assignable to None or Number"), "{e}");
        t.add_row(vec![Value::Float(f64::NAN), Value::Null])
            .unwrap();
        let h = crate::media::histogram::Histogram::from_np(
            vec![Json::Int(1)],
            vec![Json::Int(0), Json::Int(1)],
        )
        .unwrap();
        assert!(t
            .add_row(vec![Value::Histogram(h), Value::Null])
            .unwrap_err()
            .message
            .contains("Histogram is not JSON serializable"));
        assert_eq!(t.nrows(), 2);
        assert!(Table::from_columns_json(
            &Json::parse(r#"["a",1]"#).unwrap(),
            TableOptions::default()
        )
        .is_err());
        assert!(Table::from_columns_json(
            &Json::parse(r#"[true]"#).unwrap(),
            TableOptions::default()
        )
        .is_err());
        let mut mixed = Table::new(
            vec![DictKey::Str("a".into())],
            TableOptions {
                allow_mixed_types: true,
                ..Default::default()
            },
        )
        .unwrap();
        mixed.add_row(vec![Value::Int(1)]).unwrap();
        mixed.add_row(vec![s("x")]).unwrap();
        mixed.add_row(vec![Value::Null]).unwrap();
    }

    #[test]
    fn artifact_copy_matches_sdk_for_scalars() {
        // Real SDK output (wandb 0.31.0, offline run, staged artifact file).
        let mut t = table(&["i", "f", "s", "b", "none", "list", "dict"]);
        let d = |k: &str, n: Value| Value::Dict(vec![("k".into(), s(k)), ("n".into(), n)]);
        t.add_row(vec![
            Value::Int(1),
            Value::Float(0.5),
            s("x"),
            Value::Bool(true),
            Value::Null,
            Value::List(vec![Value::Int(1), Value::Float(2.5)]),
            d("v", Value::Int(1)),
        ])
        .unwrap();
        t.add_row(vec![
            Value::Int(2),
            Value::Float(f64::NAN),
            s("ünï ✓"),
            Value::Bool(false),
            Value::Null,
            Value::List(vec![]),
            d("w", Value::Float(2.5)),
        ])
        .unwrap();
        let a = t.artifact_copy().unwrap();
        assert_eq!(
            a.json,
            r#"{"_type": "table", "column_types": {"params": {"type_map": {"b": {"params": {"allowed_types": [{"wb_type": "boolean"}, {"wb_type": "none"}]}, "wb_type": "union"}, "dict": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"type_map": {"k": {"wb_type": "string"}, "n": {"wb_type": "number"}}}, "wb_type": "typedDict"}]}, "wb_type": "union"}, "f": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}, "i": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}, "list": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"element_type": {"wb_type": "number"}, "length": 0}, "wb_type": "list"}]}, "wb_type": "union"}, "none": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "unknown"}]}, "wb_type": "union"}, "s": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "string"}]}, "wb_type": "union"}}}, "wb_type": "typedDict"}, "columns": ["i", "f", "s", "b", "none", "list", "dict"], "data": [[1, 0.5, "x", true, null, [1, 2.5], {"k": "v", "n": 1}], [2, null, "\u00fcn\u00ef \u2713", false, null, [], {"k": "w", "n": 2.5}]], "log_mode": "IMMUTABLE", "ncols": 7, "nrows": 2}"#
        );
        assert!(a.files.entries().is_empty());
    }

    #[test]
    fn artifact_copy_int_columns_and_arrays() {
        let mut t = Table::new(
            vec![DictKey::Int(10), DictKey::Int(2)],
            TableOptions::default(),
        )
        .unwrap();
        let l = |a: i64, b: i64| Value::List(vec![Value::Int(a), Value::Int(b)]);
        t.add_row(vec![Value::Float(f64::INFINITY), l(1, 2)])
            .unwrap();
        t.add_row(vec![Value::Float(f64::NEG_INFINITY), l(2, 3)])
            .unwrap();
        assert_eq!(
            t.artifact_copy().unwrap().json,
            r#"{"_type": "table", "column_types": {"params": {"type_map": {"2": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"element_type": {"wb_type": "number"}, "length": 2}, "wb_type": "list"}]}, "wb_type": "union"}, "10": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}}}, "wb_type": "typedDict"}, "columns": [10, 2], "data": [[Infinity, [1, 2]], [-Infinity, [2, 3]]], "log_mode": "IMMUTABLE", "ncols": 2, "nrows": 2}"#
        );
        assert_eq!(
            t.run_copy_json().unwrap().to_compact(),
            r#"{"columns":[10,2],"data":[[Infinity,[1,2]],[-Infinity,[2,3]]]}"#
        );
        // 1-D array column → fixed-length list type, inline data.
        let mut a = table(&["a"]);
        a.add_row(vec![array_value(
            vec![Scalar::Int(0), Scalar::Int(1), Scalar::Int(2)],
            crate::tensor::DType::I64,
        )])
        .unwrap();
        assert_eq!(
            a.artifact_copy().unwrap().json,
            r#"{"_type": "table", "column_types": {"params": {"type_map": {"a": {"params": {"element_type": {"wb_type": "number"}, "length": 3}, "wb_type": "list"}}}, "wb_type": "typedDict"}, "columns": ["a"], "data": [[[0, 1, 2]]], "log_mode": "IMMUTABLE", "ncols": 1, "nrows": 1}"#
        );
        assert_eq!(
            a.run_copy_json().unwrap().to_compact(),
            r#"{"columns":["a"],"data":[[[0,1,2]]]}"#
        );
    }

    #[test]
    fn media_cells() {
        let (p, rd) = tmp_dir("media");
        let img = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
        let mut img = img;
        img.caption = Some(Json::str("ci"));
        let mut t = table(&["a", "img"]);
        t.add_row(vec![Value::Int(1), Value::from(img)]).unwrap();
        t.add_row(vec![Value::Null, Value::Null]).unwrap();
        assert_eq!(
            t.run_copy_json().unwrap().to_compact(),
            r#"{"columns":["a","img"],"data":[[1,"Image"],[null,null]]}"#
        );
        let j = bind(&t, &rd, "t", 4);
        assert_eq!(j.get("nrows"), Some(&Json::Int(2)));
        // only the run copy is written to the run directory
        let mut found = Vec::new();
        for e in walk(&p) {
            found.push(e);
        }
        assert_eq!(found.len(), 1, "{found:?}");
        let a = t.artifact_copy().unwrap();
        assert!(a.json.contains(r#"{"_type": "image-file", "caption": "ci", "format": "png", "height": 2, "path": "media/images/dc3f36c134870fcb08ff.png", "sha256": "7899d6ced52159786ff083934df42788da01a30b7ed9bb7756d7f3f5a94ef685", "width": 2}"#), "{}", a.json);
        assert_eq!(
            a.files.entries()[0].name,
            "media/images/dc3f36c134870fcb08ff.png"
        );
        assert_eq!(a.files.entries()[0].digest, "3D82wTSHD8sI/xuVeb/adw==");
        let _ = std::fs::remove_dir_all(&p);
    }

    #[test]
    fn artifact_copy_with_images_matches_the_sdk() {
        // tests/data/media_b/sdk_image_table.json: the staged artifact file of a real SDK run
        // (wandb 0.31.0); only `box_score_keys` (a Python set, hash order) is sorted.
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/media_b");
        let expected = std::fs::read_to_string(data.join("sdk_image_table.json")).unwrap();
        let mut img = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
        img.caption = Some(Json::str("ci"));
        let mut img2 = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
        let layer = |t: &str| {
            crate::media::boxes::BoundingBoxes2D::from_layer(&Json::parse(t).unwrap()).unwrap()
        };
        img2.add_boxes("pred", layer(r#"{"box_data":[{"position":{"minX":1,"maxX":2,"minY":3,"maxY":4},"class_id":1,"scores":{"acc":0.5,"b":1}}],"class_labels":{"1":"car"}}"#));
        img2.add_boxes("p2", layer(r#"{"box_data":[{"position":{"middle":[1,2],"width":3,"height":4},"class_id":5,"scores":{"z":2}}]}"#));
        let m = [0u8, 2, 2, 0];
        let t = crate::tensor::TensorView::new(&m, crate::tensor::DType::U8, &[2, 2]).unwrap();
        let labels = Json::parse(r#"{"0":"bg","2":"x"}"#).unwrap();
        img2.add_mask(
            "m",
            crate::media::mask::ImageMask::from_tensor(&t, Some(&labels)).unwrap(),
        );
        img2.add_mask(
            "mf",
            crate::media::mask::ImageMask::from_file(&data.join("mask_layer.png")).unwrap(),
        );
        img2.set_classes(
            crate::media::classes::Classes::from_json(
                &Json::parse(r#"[{"id":0,"name":"bg"}]"#).unwrap(),
            )
            .unwrap(),
        );
        img2.set_grouping(3);
        let mut img3 = Image::from_file(&data.join("photo.png")).unwrap();
        let one = [1u8];
        let t1 = crate::tensor::TensorView::new(&one, crate::tensor::DType::U8, &[1, 1]).unwrap();
        img3.add_mask(
            "m",
            crate::media::mask::ImageMask::from_tensor(&t1, None).unwrap(),
        );
        let mut t = table(&["a", "img"]);
        t.add_row(vec![Value::Int(1), Value::from(img)]).unwrap();
        t.add_row(vec![Value::Int(2), Value::from(img2)]).unwrap();
        t.add_row(vec![Value::Null, Value::Null]).unwrap();
        t.add_row(vec![Value::Int(3), Value::from(img3)]).unwrap();
        let a = t.artifact_copy().unwrap();
        assert_eq!(a.json, expected.trim_end());
        let names: Vec<&str> = a.files.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "media/images/dc3f36c134870fcb08ff.png",
                "media/classes/210ae510ae19b4ccd4300c970a33f250_cls.classes.json",
                "media/images/mask/0b9fe0fe4c1f8add26e5.mask.png",
                "media/images/mask/416e66d804d8072f7faf/mask_layer.png",
                "media/images/bf31a076e8059dee0f35/photo.png",
                "media/classes/7b2a0a3e7101ba491ea0583920a70c66_cls.classes.json",
                "media/images/mask/333ac9fa5ce7039407ad.mask.png",
            ]
        );
        let cls = a
            .files
            .get("media/classes/210ae510ae19b4ccd4300c970a33f250_cls.classes.json")
            .unwrap();
        assert_eq!(cls.digest, "AwDzP8pIEcvEhEMfRWHbMA==");
    }

    #[test]
    fn run_copy_keeps_10000_rows_and_counts_all() {
        let (p, rd) = tmp_dir("cap");
        let mut t = table(&["i", "f", "s", "b", "l"]);
        for i in 0..10_001i64 {
            t.add_row(vec![
                Value::Int(i),
                Value::Float(i as f64 * 0.5),
                s("row"),
                Value::Bool(i % 2 == 0),
                Value::List(vec![Value::Int(i), Value::Int(i + 1)]),
            ])
            .unwrap();
        }
        let j = bind(&t, &rd, "t", 0);
        assert_eq!(j.get("nrows"), Some(&Json::Int(10_001)));
        let path = j.get("path").and_then(Json::as_str).unwrap().to_string();
        let copy = Json::parse(&std::fs::read_to_string(p.join(&path)).unwrap()).unwrap();
        match copy.get("data") {
            Some(Json::Array(rows)) => {
                assert_eq!(rows.len(), 10_000);
                assert_eq!(
                    rows[9_999].to_compact(),
                    "[9999,4999.5,\"row\",false,[9999,10000]]"
                );
            }
            other => panic!("run copy data: {other:?}"),
        }
        let a = t.artifact_copy().unwrap();
        assert!(
            a.json.contains("\"nrows\": 10001"),
            "artifact copy keeps every row"
        );
        let _ = std::fs::remove_dir_all(&p);
    }

    /// Stands in for `wandb.Html` (another module) in the compat case `table_media`.
    #[derive(Debug, Clone)]
    struct FakeHtml;
    impl Media for FakeHtml {
        fn class_name(&self) -> &'static str {
            "Html"
        }
        fn to_json(&self, _ctx: &BindCtx<'_>) -> Result<Json> {
            Err(Error::state("a media cell must not be bound to the run"))
        }
        media_object_methods!();
    }

    #[test]
    fn compat_table_media_run_copy() {
        let (p, rd) = tmp_dir("tmedia");
        let img = |seed: u8| {
            let px: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(seed)).collect();
            Value::from(Image::from_u8(&px, 4, 4, 3).unwrap())
        };
        let mut t = table(&["id", "image", "score", "clip"]);
        t.add_row(vec![
            Value::Int(0),
            img(3),
            Value::Float(0.5),
            Value::from(FakeHtml),
        ])
        .unwrap();
        t.add_row(vec![
            Value::Int(1),
            img(5),
            Value::Float(f64::NAN),
            Value::Null,
        ])
        .unwrap();
        t.add_row(vec![
            Value::Int(2),
            Value::Null,
            Value::Float(1.0),
            Value::from(FakeHtml),
        ])
        .unwrap();
        let j = bind(&t, &rd, "t", 4);
        // expected/table_media/row.json (ids masked)
        assert_eq!(
            j.get("sha256"),
            Some(&Json::str(
                "b0dd9b52f0e3cb6025f6962af7a6f73be45d53273e5499835b1659f0563f98f6"
            ))
        );
        assert_eq!(j.get("size"), Some(&Json::Int(114)));
        assert_eq!(
            j.get("path"),
            Some(&Json::str(
                "media/table/t_4_b0dd9b52f0e3cb6025f6.table.json"
            ))
        );
        assert_eq!(walk(&p).len(), 1);
        // html cells have no artifact JSON yet
        assert_eq!(
            t.artifact_copy().unwrap_err().kind,
            crate::error::ErrorKind::Unsupported
        );
        let _ = std::fs::remove_dir_all(&p);
    }

    fn walk(p: &std::path::Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                let path = e.path();
                if path.is_dir() {
                    out.extend(walk(&path));
                } else {
                    out.push(path);
                }
            }
        }
        out
    }

    #[test]
    fn joined_table() {
        let (p, rd) = tmp_dir("joined");
        let mut a = table(&["id"]);
        a.add_row(vec![Value::Int(1)]).unwrap();
        let b = a.clone();
        let j = JoinedTable::new(a, b, JoinKey::One("id".into())).unwrap();
        let json = bind(&j, &rd, "jt", 0).to_compact();
        assert!(json
            .starts_with(r#"{"_type":"joined-table","artifact_path":"wandb-client-artifact://"#));
        assert!(json.ends_with(r#"/jt.joined-table.json"}"#));
        assert_eq!(json.len(), r#"{"_type":"joined-table","artifact_path":"wandb-client-artifact:///jt.joined-table.json"}"#.len() + 128);
        let files = j.artifact_files("jt").unwrap();
        let names: Vec<&str> = files.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), 3);
        let joined = std::str::from_utf8(&files.get("jt.joined-table.json").unwrap().bytes)
            .unwrap()
            .to_string();
        assert_eq!(
            joined,
            format!(
                r#"{{"_type": "joined-table", "join_key": "id", "table1": "{}", "table2": "{}"}}"#,
                names[0], names[1]
            )
        );
        assert!(names[0].starts_with("t1_") && names[1].starts_with("t2_"));
        assert!(walk(&p).is_empty(), "no run file");
        let _ = std::fs::remove_dir_all(&p);
    }

    #[test]
    fn incremental_tables_log_their_new_rows() {
        let dir = tempfile::tempdir().unwrap();
        let rd = RunDir::new(dir.path()).unwrap();
        let mut t = Table::new(
            vec![DictKey::Str("a".into())],
            TableOptions {
                log_mode: LogMode::Incremental,
                ..Default::default()
            },
        )
        .unwrap();
        t.add_row(vec![Value::Int(1)]).unwrap();
        t.add_row(vec![Value::Int(2)]).unwrap();
        let j0 = bind(&t, &rd, "k", 0);
        assert_eq!(
            j0.get("_type").unwrap().as_str(),
            Some("incremental-table-file")
        );
        assert_eq!(j0.get("increment_num"), Some(&Json::Int(0)));
        assert_eq!(j0.get("nrows"), Some(&Json::Int(2)));
        let p0 = j0
            .get("artifact_path")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        // The first entry is named before the number is set, as the SDK does.
        assert!(
            p0.contains("/None-") && p0.ends_with(".k.table.json"),
            "{p0}"
        );
        let a0 = t.artifact_copy().unwrap().json;
        assert!(a0.contains(r#""data": [[1], [2]], "increment_num": 0, "log_mode": "INCREMENTAL", "ncols": 1, "nrows": 2, "previous_increments_paths": []}"#), "{a0}");
        // Unchanged: the same value again.
        assert_eq!(bind(&t, &rd, "k", 1), j0);
        t.add_row(vec![Value::Int(3)]).unwrap();
        let j1 = bind(&t, &rd, "k", 2);
        assert_eq!(j1.get("increment_num"), Some(&Json::Int(1)));
        assert_eq!(j1.get("nrows"), Some(&Json::Int(3)));
        assert_eq!(
            j1.get("previous_increments_paths"),
            Some(&Json::Array(vec![Json::str(p0.clone())]))
        );
        let p1 = j1.get("artifact_path").unwrap().as_str().unwrap();
        assert!(p1.contains("/1-"), "{p1}");
        let run_copy = std::fs::read_to_string(
            rd.files_dir()
                .join(j1.get("path").unwrap().as_str().unwrap()),
        )
        .unwrap();
        assert_eq!(run_copy, r#"{"columns":["a"],"data":[[3]]}"#);
        let a1 = t.artifact_copy().unwrap().json;
        assert!(a1.contains(r#""data": [[3]], "increment_num": 1"#), "{a1}");
        // One run only.
        let other = tempfile::tempdir().unwrap();
        let rd2 = RunDir::new(other.path()).unwrap();
        t.add_row(vec![Value::Int(4)]).unwrap();
        let placed = Mutex::new(Vec::new());
        let ctx = BindCtx {
            sink: &rd2,
            key: "k",
            step: Step::Num(0),
            placed: &placed,
        };
        let e = t.to_json(&ctx).unwrap_err();
        assert!(
            e.message.contains("only be logged to one Run"),
            "{}",
            e.message
        );
    }
}
