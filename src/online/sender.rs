//! Turns `.wandb` records into W&B API calls, as wandb-core's sender does (reference:
//! wandb/wandb `core/internal/stream/sender.go`, `runupserter`, `filestream`, `runfiles`,
//! `pkg/artifacts/saver.go`; our own implementation):
//!
//! * run record → `ServerFeaturesQuery`, then `UpsertBucket` (name, project, entity, group,
//!   notes, display name, job type, host, tags, config as `{"key": {"value": …}}`); config
//!   records → another `UpsertBucket` with the config (debounced);
//! * environment record → `wandb-metadata.json` written to the files dir and uploaded;
//! * files records → `CreateRunFiles` → `PUT uploadUrl` with `uploadHeaders`, then the path
//!   in file_stream's `uploaded` list;
//! * history records → one JSON line each (nested keys become nested objects) in
//!   `wandb-history.jsonl` with line offsets; summary records update the summary tree, sent
//!   whole as `wandb-summary.json`; file_stream requests at most every transmit interval,
//!   at the size limit (10 MB), or as a heartbeat;
//! * artifact records (run tables) → `CreateArtifact`; unless the server answers
//!   `COMMITTED`, `CreateArtifactManifest` + `PUT` of the manifest,
//!   `CreateArtifactFiles` + `PUT` of each file, `CommitArtifact`;
//! * exit record → `wandb-summary.json` and `config.yaml` uploaded, remaining files and
//!   artifacts, then the last file_stream request with `complete` and `exitcode`.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::online::http::{Client, Ctl};
use crate::online::reader::{ArtifactRec, Item, Rec, RunRec};
use crate::online::{Resume, Settings, MAX_PENDING_BYTES, MAX_PENDING_FILES};
use crate::run::record::core_json;

const Q_FEATURES: &str = "query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }";

const Q_UPSERT: &str = "mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $description: String, $displayName: String, $notes: String, $commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String, $repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString) { upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity, description: $description, displayName: $displayName, notes: $notes, config: $config, commit: $commit, host: $host, debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics}) { bucket { id name displayName project { id name entity { id name } } historyLineCount } inserted } }";

const Q_RESUME: &str = "query RunResumeStatus($project: String, $entity: String, $name: String!) { model(name: $project, entityName: $entity) { id name entity { id name } bucket(name: $name, missingOk: true) { id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount historyTail eventsTail config tags notes wandbConfig(keys: [\"t\"]) } } }";

const Q_RUN_FILES: &str = "mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) { createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) { runID uploadHeaders files { name uploadUrl } } }";

const Q_CREATE_ARTIFACT: &str = "mutation CreateArtifact($input: CreateArtifactInput!) { createArtifact(input: $input) { artifact { id state artifactSequence { latestArtifact { id } } } } }";

const Q_ARTIFACT_MANIFEST: &str = "mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) { createArtifactManifest(input: {artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name, digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType}) { artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } } } }";

const Q_ARTIFACT_FILES: &str = "mutation CreateArtifactFiles($storageLayout: ArtifactStorageLayout!, $artifactFiles: [CreateArtifactFileSpecInput!]!) { createArtifactFiles(input: {artifactFiles: $artifactFiles, storageLayout: $storageLayout}) { files { edges { node { id name displayName uploadUrl uploadHeaders artifact { id } } } } } }";

const Q_COMMIT_ARTIFACT: &str = "mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: {artifactID: $artifactID}) { artifact { id digest } } }";

/// Parallel PUTs per CreateRunFiles batch.
const UPLOAD_THREADS: usize = 4;

const HISTORY_FILE: &str = "wandb-history.jsonl";
const SUMMARY_FILE: &str = "wandb-summary.json";
const CONFIG_FILE: &str = "config.yaml";
const META_FILE: &str = "wandb-metadata.json";

fn s(v: &str) -> Json {
    Json::str(v)
}

fn opt(v: &str) -> Json {
    if v.is_empty() {
        Json::Null
    } else {
        Json::str(v)
    }
}

/// Parses an item's JSON text (core also writes `NaN` / `Infinity`). Text that is not
/// JSON is kept as a string (as before); JSON beyond the nesting or size limits is an
/// error, never silently a string (issue 22, item 8).
fn parse_value(text: &str) -> Result<Json> {
    Ok(match text {
        "NaN" => Json::Float(f64::NAN),
        "Infinity" => Json::Float(f64::INFINITY),
        "-Infinity" => Json::Float(f64::NEG_INFINITY),
        _ => match Json::parse_deep(text, crate::json::SDK_MAX_DEPTH) {
            Ok(j) => j,
            Err(e)
                if e.kind == crate::error::ErrorKind::Overflow
                    || e.message.contains("nested deeper") =>
            {
                return Err(e)
            }
            Err(_) => Json::Str(text.to_string()),
        },
    })
}

/// Sets `path` in a JSON object tree (creating objects on the way). Iterative: the path
/// length (bounded by the reader) costs no stack.
fn set_path(tree: &mut Json, path: &[String], value: Json) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = tree;
    for key in parents {
        node = child_object(node, key);
    }
    *child_object(node, last) = value;
}

/// The member `key` of `node` (made an object if it is not), created as null if missing.
fn child_object<'a>(node: &'a mut Json, key: &str) -> &'a mut Json {
    if !matches!(node, Json::Object(_)) {
        *node = Json::Object(Vec::new());
    }
    let Json::Object(m) = node else {
        unreachable!("made an object above")
    };
    let i = match m.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            m.push((key.to_string(), Json::Null));
            m.len() - 1
        }
    };
    &mut m[i].1
}

fn remove_path(tree: &mut Json, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = tree;
    for key in parents {
        let Json::Object(m) = node else { return };
        let Some((_, child)) = m.iter_mut().find(|(k, _)| k == key) else {
            return;
        };
        node = child;
    }
    if let Json::Object(m) = node {
        m.retain(|(k, _)| k != last);
    }
}

/// The run's state on the server side of the protocol.
pub struct Sender {
    client: Arc<Client>,
    ctl: Arc<Ctl>,
    settings: Settings,
    files_dir: PathBuf,
    run: Option<RunRec>,
    /// Set once `UpsertBucket` succeeded.
    pub upserted: bool,
    entity: String,
    project: String,
    run_id: String,
    config: Json,
    config_dirty: bool,
    summary: Json,
    summary_dirty: bool,
    history: VecDeque<String>,
    history_bytes: usize,
    /// Resume: the server's next step (its last `_step` + 1), once `RunResumeStatus` answered.
    resume_next: Option<i64>,
    /// Resume: `RunResumeStatus` answered (or not needed).
    resume_known: bool,
    /// Resume: added to every row's `_step` (fixed by the first row after the answer).
    step_shift: Option<i64>,
    /// Resume: rows decoded before the server's answer, and their size.
    held_rows: Vec<Json>,
    held_bytes: usize,
    history_offset: usize,
    uploaded: Vec<String>,
    files: VecDeque<String>,
    queued: HashSet<String>,
    artifacts: VecDeque<ArtifactRec>,
    metadata: Option<Json>,
    exit: Option<i32>,
    last_fs: Instant,
    last_config: Instant,
    /// Permanent (non-retryable) errors, reported at finish.
    pub errors: Vec<String>,
    /// Set when the whole run has been uploaded (final file_stream accepted).
    pub complete: bool,
    /// Rows and files sent so far (diagnostics).
    pub rows_sent: usize,
    pub files_sent: usize,
    /// Append-only record of what the server acknowledged (`h <history lines>` /
    /// `f <path>`), so a later sync of an interrupted run sends only the rest.
    progress: Option<std::fs::File>,
    /// History records to skip (already acknowledged by the server).
    skip_history: usize,
    done_files: HashSet<String>,
    /// Sync of a run directory (untrusted input): files are read only from inside the
    /// `files/` tree, never through a symlink ([`crate::confine::open_beneath`]). An
    /// online run's own files (`run.save` links them) are read through links, but still
    /// only regular files, without blocking.
    confined: bool,
    /// The console log (`output_raw` records) and its lines waiting for file_stream.
    console: crate::run::console::Console,
    console_lines: crate::run::console::StreamSink,
    /// Resume: the server's console line count (file_stream offsets start there).
    console_offset: u64,
    /// Shared mode: this writer (label, primary, finish owner, client id).
    shared: Option<crate::run::shared::Writer>,
    /// Shared mode: the `_step` of the next row (wandb 0.31 sends a per-writer counter).
    shared_step: i64,
    /// Shared mode: system-metrics rows for `wandb-events.jsonl` (keys
    /// `system.<key>/l:<label>`) and the next line offset.
    events: VecDeque<String>,
    events_offset: usize,
    /// Online run: where the run's location goes once the server answered (announced
    /// through the log handler); the server's display name of the run.
    location: Option<Arc<crate::online::app_url::Location>>,
    display_name: String,
}

/// The progress file of a run's upload (`<run dir>/logs/wandb-media-upload.txt`).
pub fn progress_path(run_dir: &Path) -> PathBuf {
    run_dir.join("logs").join("wandb-media-upload.txt")
}

impl Sender {
    pub fn new(settings: Settings, files_dir: &Path, ctl: Arc<Ctl>) -> Result<Sender> {
        Ok(Sender {
            client: Arc::new(Client::new(&settings)?),
            ctl,
            settings,
            files_dir: files_dir.to_path_buf(),
            run: None,
            upserted: false,
            entity: String::new(),
            project: String::new(),
            run_id: String::new(),
            config: Json::Object(Vec::new()),
            config_dirty: false,
            summary: Json::Object(Vec::new()),
            summary_dirty: false,
            history: VecDeque::new(),
            history_bytes: 0,
            resume_next: None,
            resume_known: false,
            step_shift: None,
            held_rows: Vec::new(),
            held_bytes: 0,
            history_offset: 0,
            uploaded: Vec::new(),
            files: VecDeque::new(),
            queued: HashSet::new(),
            artifacts: VecDeque::new(),
            metadata: None,
            exit: None,
            last_fs: Instant::now(),
            last_config: Instant::now(),
            errors: Vec::new(),
            complete: false,
            rows_sent: 0,
            files_sent: 0,
            progress: None,
            skip_history: 0,
            done_files: HashSet::new(),
            confined: false,
            console: crate::run::console::Console::new(),
            console_lines: crate::run::console::StreamSink::default(),
            console_offset: 0,
            shared: None,
            shared_step: 0,
            events: VecDeque::new(),
            events_offset: 0,
            location: None,
            display_name: String::new(),
        })
    }

    /// Treat the run directory as untrusted input (native sync): see `confined`.
    pub fn confine(&mut self) {
        self.confined = true;
    }

    /// Opens a file of the run (`path` relative to the files directory): local paths only,
    /// regular files only, never blocking; the size seen now is the most that is read.
    pub fn open_run_file(&self, path: &str) -> Result<(std::fs::File, u64)> {
        open_run_file_at(&self.files_dir, self.confined, path)
    }

    /// Resumes from (and then appends to) a progress file: rows and files the server
    /// already acknowledged are not sent again.
    pub fn use_progress(&mut self, path: &Path) {
        // A shared writer's identity lives next to the progress file.
        if let Some(w) = crate::run::shared::load(path.parent().unwrap_or(Path::new("."))) {
            self.set_shared(w);
        }
        // Read only a regular file, without blocking, at most the size seen at open.
        if let Ok(text) =
            crate::confine::read_regular(path).map(|b| String::from_utf8_lossy(&b).into_owned())
        {
            for line in text.lines() {
                if let Some(n) = line.strip_prefix("h ") {
                    if let Ok(n) = n.trim().parse::<usize>() {
                        self.skip_history = self.skip_history.max(n);
                    }
                } else if let Some(f) = line.strip_prefix("f ") {
                    self.done_files.insert(f.to_string());
                }
            }
        }
        self.history_offset = self.skip_history;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Never append through a link planted in the run directory.
            o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        self.progress = o
            .open(path)
            .ok()
            .filter(|f| f.metadata().is_ok_and(|m| m.is_file()));
    }

    /// Makes this sender a shared-mode writer (see [`crate::run::shared`]).
    pub fn set_shared(&mut self, w: crate::run::shared::Writer) {
        self.client.set_shared_id(&w.client_id);
        self.console_lines.label = Some(w.label.clone());
        self.settings.resume = Resume::Never;
        self.shared = Some(w);
    }

    fn primary(&self) -> bool {
        self.shared.as_ref().is_none_or(|w| w.primary)
    }

    fn note(&mut self, line: String) {
        if let Some(f) = self.progress.as_mut() {
            use std::io::Write;
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// True while the uploader should stop reading the log (memory bound).
    pub fn backpressured(&self) -> bool {
        self.history_bytes + self.held_bytes + self.console_lines.bytes >= MAX_PENDING_BYTES
            || self.files.len() >= MAX_PENDING_FILES
    }

    pub fn exited(&self) -> bool {
        self.exit.is_some()
    }

    /// Rows not yet accepted by the server and files not yet uploaded.
    pub fn pending(&self) -> (usize, usize) {
        (self.history.len() + self.held_rows.len(), self.files.len())
    }

    /// Files waiting for upload (paths relative to the files directory).
    pub fn queued_files(&self) -> Vec<String> {
        self.files.iter().cloned().collect()
    }

    /// Whether the log's run record was read.
    pub fn has_run(&self) -> bool {
        self.run.is_some()
    }

    /// An item's value; a refused one (beyond the limits) is reported and skipped.
    fn value(&mut self, it: &Item) -> Option<Json> {
        match parse_value(&it.value_json) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(format!(
                    "the value of {} was not uploaded: {}",
                    crate::confine::escape(&it.path.join(".")),
                    e.message
                ));
                None
            }
        }
    }

    fn apply_config(&mut self, update: &[Item], remove: &[Item]) {
        for it in update {
            if let Some(v) = self.value(it) {
                set_path(&mut self.config, &it.path, v);
            }
        }
        for it in remove {
            remove_path(&mut self.config, &it.path);
        }
        self.config_dirty = true;
    }

    /// Takes one decoded record (no network here; see [`Sender::pump`]).
    pub fn handle(&mut self, rec: Rec) {
        match rec {
            Rec::Run(r) => {
                if self.run.is_none() {
                    self.apply_config(&r.config, &[]);
                    self.run = Some(r);
                }
            }
            Rec::Config { update, remove } => self.apply_config(&update, &remove),
            Rec::History(_) if self.skip_history > 0 => self.skip_history -= 1,
            Rec::History(items) => {
                let mut row = Json::Object(Vec::new());
                let mut size = 0;
                for it in &items {
                    size += it.value_json.len() + 8;
                    if let Some(v) = self.value(it) {
                        set_path(&mut row, &it.path, v);
                    }
                }
                if self.settings.resume != Resume::Never && !self.resume_known {
                    // The step sequence continues the server's: wait for RunResumeStatus.
                    self.held_bytes += size;
                    self.held_rows.push(row);
                } else {
                    self.push_row(row);
                }
            }
            Rec::Summary { update, remove } => {
                for it in &update {
                    if let Some(v) = self.value(it) {
                        set_path(&mut self.summary, &it.path, v);
                    }
                }
                for it in &remove {
                    remove_path(&mut self.summary, &it.path);
                }
                self.summary_dirty = true;
            }
            Rec::Files(paths) => {
                for p in paths {
                    self.queue_file(p);
                }
            }
            Rec::Artifact(a) => self.artifacts.push_back(a),
            Rec::Environment(members) => {
                self.metadata = Some(Json::Object(members));
            }
            Rec::Exit { code } => {
                if self.exit.is_none() {
                    self.exit = Some(code);
                }
            }
            Rec::Stats { ts, items } => {
                // Streamed for shared writers (labelled keys); see README "Distributed training".
                let Some(w) = &self.shared else { return };
                if self.events.len() >= 10_000 {
                    return; // bounded: system metrics are the first thing to drop
                }
                let t = ts.0 as f64 + ts.1 as f64 / 1e9;
                let start = self
                    .run
                    .as_ref()
                    .map_or(t, |r| r.start_seconds as f64 + r.start_nanos as f64 / 1e9);
                let mut row = vec![
                    ("_wandb".to_string(), Json::Bool(true)),
                    ("_timestamp".to_string(), Json::Float(t)),
                    ("_runtime".to_string(), Json::Float((t - start).max(0.0))),
                ];
                for it in &items {
                    // A value beyond the reader's limits is dropped (metrics are best effort).
                    if let Ok(v) = parse_value(&it.value_json) {
                        let key = it.path.join(".");
                        row.push((format!("system.{key}/l:{}", w.label), v));
                    }
                }
                self.events.push_back(core_json(&Json::Object(row)));
            }
            Rec::OutputRaw { stderr, line, ts } => {
                use crate::run::console::Stream;
                let stream = if stderr {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                };
                self.console
                    .write(stream, &line, ts, &mut self.console_lines);
            }
            Rec::Other => {}
        }
    }

    fn queue_file(&mut self, p: String) {
        if self.done_files.contains(&p) {
            return;
        }
        // A path out of the files directory (absolute, `..`, empty) is never uploaded.
        if let Err(e) = crate::confine::local_components(&p) {
            self.errors
                .push(format!("a files record was refused: {}", e.message));
            return;
        }
        if self.queued.insert(p.clone()) {
            self.files.push_back(p);
        }
    }

    /// Config as the server takes it: `{"key": {"value": …}}`.
    fn config_json(&self) -> String {
        let mut out = Vec::new();
        if let Json::Object(m) = &self.config {
            for (k, v) in m {
                out.push((k.clone(), Json::object([("value", v.clone())])));
            }
        }
        Json::Object(out).to_compact()
    }

    fn ensure_wandb_config(&mut self) {
        let has = matches!(&self.config, Json::Object(m) if m.iter().any(|(k, _)| k == "_wandb"));
        if !has {
            set_path(
                &mut self.config,
                &["_wandb".into()],
                Json::Object(Vec::new()),
            );
        }
    }

    fn upsert(&mut self, with_params: bool) -> Result<()> {
        let run = self.run.clone().unwrap_or_default();
        self.ensure_wandb_config();
        let name = if self.run_id.is_empty() {
            &run.run_id
        } else {
            &self.run_id
        };
        let entity = if self.entity.is_empty() {
            &run.entity
        } else {
            &self.entity
        };
        let project = if self.project.is_empty() {
            &run.project
        } else {
            &self.project
        };
        let mut vars = vec![
            ("name", opt(name)),
            ("project", opt(project)),
            ("entity", opt(entity)),
        ];
        if with_params {
            vars.push(("groupName", opt(&run.group)));
            vars.push(("displayName", opt(&run.display_name)));
            vars.push(("notes", opt(&run.notes)));
            vars.push(("host", opt(&run.host)));
            vars.push(("jobType", opt(&run.job_type)));
            vars.push(("tags", Json::Array(run.tags.iter().map(|t| s(t)).collect())));
        }
        vars.push(("config", s(&self.config_json())));
        let vars: Vec<(&str, Json)> = vars.into_iter().filter(|(_, v)| *v != Json::Null).collect();
        let data = self
            .client
            .graphql("UpsertBucket", Q_UPSERT, Json::object(vars), &self.ctl)?;
        let bucket = data.get("upsertBucket").and_then(|u| u.get("bucket"));
        if let (Some(b), true, false) = (bucket, self.shared.is_some(), self.upserted) {
            // A shared writer appends history after the rows already there.
            if let Some(n) = b.get("historyLineCount").and_then(Json::as_i64) {
                if self.rows_sent == 0 && self.skip_history == 0 {
                    self.history_offset = n.max(0) as usize;
                }
            }
        }
        if let Some(b) = bucket {
            if let Some(n) = b.get("name").and_then(Json::as_str) {
                self.run_id = n.to_string();
            }
            if let Some(n) = b.get("displayName").and_then(Json::as_str) {
                self.display_name = n.to_string();
            }
            if let Some(p) = b.get("project") {
                if let Some(n) = p.get("name").and_then(Json::as_str) {
                    self.project = n.to_string();
                }
                if let Some(n) = p
                    .get("entity")
                    .and_then(|e| e.get("name"))
                    .and_then(Json::as_str)
                {
                    self.entity = n.to_string();
                }
            }
        }
        if self.run_id.is_empty() {
            self.run_id = run.run_id.clone();
        }
        if self.project.is_empty() {
            self.project = if run.project.is_empty() {
                "uncategorized".into()
            } else {
                run.project.clone()
            };
        }
        Ok(())
    }

    /// Queues one history line; on a resumed run, `_step` continues after the server's last
    /// step (as wandb-core's starting step). Logging never waits for the server, so the log
    /// holds this run's own steps (0, 1, …); the shift is fixed by the first row sent: rows
    /// from `next - first` on, or unchanged when the run already logs steps >= the server's
    /// next one (explicit steps continuing a checkpoint).
    fn push_row(&mut self, mut row: Json) {
        if self.shared.is_some() && row.get("_step").is_none() {
            set_path(
                &mut row,
                &["_step".to_string()],
                Json::Int(self.shared_step),
            );
            self.shared_step += 1;
        }
        if let Some(next) = self.resume_next {
            let step = row.get("_step").and_then(Json::as_i64);
            let shift = *self
                .step_shift
                .get_or_insert_with(|| (next - step.unwrap_or(0)).max(0));
            if let (Some(st), true) = (step, shift > 0) {
                set_path(&mut row, &["_step".to_string()], Json::Int(st + shift));
            }
        }
        let line = core_json(&row);
        self.history_bytes += line.len();
        self.history.push_back(line);
    }

    /// The summary as sent/uploaded (`_step` shifted as the rows on a resumed run).
    fn summary_text(&self) -> String {
        match self.step_shift {
            Some(shift) if shift > 0 => {
                let mut sm = self.summary.clone();
                if let Some(st) = sm.get("_step").and_then(Json::as_i64) {
                    set_path(&mut sm, &["_step".to_string()], Json::Int(st + shift));
                }
                core_json(&sm)
            }
            _ => core_json(&self.summary),
        }
    }

    /// The server's last `_step` of a run: the last `historyTail` line's, else the summary's
    /// (openwandb reports no history tail and `historyLineCount` 0).
    fn last_server_step(bucket: &Json) -> Option<i64> {
        let step_of = |text: &str| match Json::parse(text) {
            Ok(v) => v.get("_step").and_then(Json::as_i64),
            Err(_) => None,
        };
        let from_tail = bucket
            .get("historyTail")
            .and_then(Json::as_str)
            .and_then(|t| match Json::parse(t) {
                Ok(Json::Array(lines)) => lines.last().and_then(Json::as_str).and_then(step_of),
                _ => None,
            });
        let from_summary = bucket
            .get("summaryMetrics")
            .and_then(Json::as_str)
            .and_then(step_of);
        match (from_tail, from_summary) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// `RunResumeStatus`: continue history at the server's line count and step, keep its
    /// summary and the config keys this run does not set.
    fn resume(&mut self) -> Result<()> {
        let run = self.run.clone().unwrap_or_default();
        let vars = Json::object([
            ("project", opt(&run.project)),
            ("entity", opt(&run.entity)),
            ("name", s(&run.run_id)),
        ]);
        let data = self
            .client
            .graphql("RunResumeStatus", Q_RESUME, vars, &self.ctl)?;
        let bucket = data
            .get("model")
            .and_then(|m| m.get("bucket"))
            .filter(|b| **b != Json::Null);
        match (bucket, self.settings.resume) {
            (None, Resume::Must) => Err(Error::state(format!(
                "resume=\"must\" but run {:?} does not exist on the server",
                run.run_id
            ))),
            (None, _) => Ok(()),
            (Some(b), _) => {
                self.resume_next = Self::last_server_step(b).map(|s| s + 1);
                if let Some(n) = b.get("historyLineCount").and_then(Json::as_i64) {
                    self.history_offset = n.max(0) as usize;
                }
                if let Some(n) = b.get("logLineCount").and_then(Json::as_i64) {
                    self.console_offset = n.max(0) as u64;
                }
                if let Some(text) = b.get("summaryMetrics").and_then(Json::as_str) {
                    if let Ok(Json::Object(old)) = Json::parse(text) {
                        // `_step` is this run's (shifted when sent), never the server's.
                        for (k, v) in old.into_iter().filter(|(k, _)| k != "_step") {
                            if !matches!(&self.summary, Json::Object(m) if m.iter().any(|(mk, _)| *mk == k))
                            {
                                set_path(&mut self.summary, &[k], v);
                            }
                        }
                    }
                }
                if let Some(text) = b.get("config").and_then(Json::as_str) {
                    if let Ok(Json::Object(old)) = Json::parse(text) {
                        for (k, v) in old {
                            let v = v.get("value").cloned().unwrap_or(v);
                            if !matches!(&self.config, Json::Object(m) if m.iter().any(|(mk, _)| *mk == k))
                            {
                                set_path(&mut self.config, &[k], v);
                            }
                        }
                    }
                }
                Ok(())
            }
        }
    }

    fn start(&mut self) -> Result<()> {
        if self.upserted || self.run.is_none() {
            return Ok(());
        }
        if self.settings.resume != Resume::Never {
            self.resume()?;
        }
        self.resume_known = true;
        for row in std::mem::take(&mut self.held_rows) {
            self.push_row(row);
        }
        self.held_bytes = 0;
        self.upsert(true)?;
        // As wandb-core, after the first upsert. The answer only tunes optional protocol
        // features (none used here); an error is not fatal.
        let _ = self.client.graphql(
            "ServerFeaturesQuery",
            Q_FEATURES,
            Json::Object(Vec::new()),
            &self.ctl,
        );
        self.upserted = true;
        self.publish_location();
        self.config_dirty = false;
        self.last_config = Instant::now();
        Ok(())
    }

    /// Writes a file the sender makes (summary, config, metadata) into the files
    /// directory: a new temp file renamed over the name, so a symlink planted there is
    /// replaced, never followed out of the run.
    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        crate::confine::write_replacing(&self.files_dir, name, bytes)
    }

    /// Uploads queued files: `CreateRunFiles` for a batch, then one `PUT` each.
    fn upload_files(&mut self, max: usize, all: bool) -> Result<()> {
        while !self.files.is_empty() {
            let batch: Vec<String> = self.files.iter().take(max.min(100)).cloned().collect();
            let vars = Json::object([
                ("entity", s(&self.entity)),
                ("project", s(&self.project)),
                ("run", s(&self.run_id)),
                ("files", Json::Array(batch.iter().map(|p| s(p)).collect())),
            ]);
            let data = self
                .client
                .graphql("CreateRunFiles", Q_RUN_FILES, vars, &self.ctl)?;
            let crf = data.get("createRunFiles").cloned().unwrap_or(Json::Null);
            let headers: Vec<String> = match crf.get("uploadHeaders") {
                Some(Json::Array(h)) => h
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            let urls: Vec<(String, String)> = match crf.get("files") {
                Some(Json::Array(fs)) => fs
                    .iter()
                    .filter_map(|f| {
                        Some((
                            f.get("name")?.as_str()?.to_string(),
                            f.get("uploadUrl")?.as_str()?.to_string(),
                        ))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            // PUTs of a batch run on up to UPLOAD_THREADS threads (as wandb-core's file
            // transfer manager uploads in parallel); any give-up aborts the batch.
            let jobs: Vec<(String, Option<String>)> = batch
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        urls.iter().find(|(n, _)| n == p).map(|(_, u)| u.clone()),
                    )
                })
                .collect();
            let next = std::sync::atomic::AtomicUsize::new(0);
            let results: Vec<(usize, Result<()>)> = crate::par::scope(|sc| {
                let handles: Vec<_> = (0..UPLOAD_THREADS.min(jobs.len()))
                    .map(|_| {
                        sc.spawn(|| {
                            let mut out = Vec::new();
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                let Some((path, url)) = jobs.get(i) else {
                                    break;
                                };
                                let r = match url {
                                    None => Err(Error::invalid(format!(
                                        "{path}: the server gave no upload URL"
                                    ))),
                                    // Streamed from disk: regular files only, opened
                                    // without blocking and confined to the run's files/
                                    // tree; the size at the start is what is sent.
                                    Some(url) => {
                                        let label = crate::confine::escape(path);
                                        let (root, confined) =
                                            (self.files_dir.clone(), self.confined);
                                        let open = move || open_run_file_at(&root, confined, path);
                                        self.client.put(
                                            &format!("upload of {label}"),
                                            url,
                                            &headers,
                                            &crate::online::http::Body::File {
                                                label: &label,
                                                open: &open,
                                            },
                                            &self.ctl,
                                        )
                                    }
                                };
                                out.push((i, r));
                            }
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            let mut results = results;
            results.sort_by_key(|(i, _)| *i);
            let mut give_up = None;
            for (i, r) in results {
                match r {
                    Ok(()) => {
                        self.files_sent += 1;
                        self.uploaded.push(jobs[i].0.clone());
                        self.note(format!("f {}\n", jobs[i].0));
                    }
                    Err(e) if crate::online::http::gave_up(&e) => give_up = Some(e),
                    Err(e) => self.errors.push(e.message),
                }
            }
            if let Some(e) = give_up {
                // Keep the files for a later attempt (re-uploading an uploaded file is harmless).
                return Err(e);
            }
            for _ in 0..batch.len() {
                self.files.pop_front();
            }
            if !all {
                break;
            }
        }
        Ok(())
    }

    /// One file_stream request of at most ~10 MB (history lines first, then the summary).
    fn send_stream(&mut self, complete: Option<i32>) -> Result<()> {
        let mut files = Vec::new();
        let mut n = 0;
        let mut size = 0;
        let mut content = Vec::new();
        for line in &self.history {
            if n > 0 && size + line.len() > MAX_PENDING_BYTES {
                break;
            }
            size += line.len();
            content.push(Json::str(line.clone()));
            n += 1;
        }
        if n > 0 {
            files.push((
                HISTORY_FILE.to_string(),
                Json::object([
                    ("offset", Json::Int(self.history_offset as i64)),
                    ("content", Json::Array(content)),
                ]),
            ));
        }
        let all_history = n == self.history.len();
        let n_events = self.events.len();
        if n_events > 0 {
            files.push((
                "wandb-events.jsonl".to_string(),
                Json::object([
                    ("offset", Json::Int(self.events_offset as i64)),
                    (
                        "content",
                        Json::Array(self.events.iter().map(|l| Json::str(l.clone())).collect()),
                    ),
                ]),
            ));
        }
        let send_summary = self.summary_dirty && all_history;
        if send_summary {
            files.push((
                SUMMARY_FILE.to_string(),
                Json::object([
                    ("offset", Json::Int(0)),
                    ("content", Json::Array(vec![Json::str(self.summary_text())])),
                ]),
            ));
        }
        // One run of consecutive console lines per request (as core: the API takes one).
        let console = if all_history {
            self.console_lines
                .take_run(MAX_PENDING_BYTES.saturating_sub(size).max(1))
        } else {
            None
        };
        if let Some((offset, lines)) = &console {
            files.push((
                crate::run::console::OUTPUT_FILE.to_string(),
                Json::object([
                    ("offset", Json::Int((self.console_offset + offset) as i64)),
                    (
                        "content",
                        Json::Array(lines.iter().map(|l| Json::str(l.clone())).collect()),
                    ),
                ]),
            ));
        }
        let mut body = Vec::new();
        if !files.is_empty() {
            body.push(("files".to_string(), Json::Object(files)));
        }
        let uploaded = std::mem::take(&mut self.uploaded);
        if !uploaded.is_empty() {
            body.push((
                "uploaded".into(),
                Json::Array(uploaded.iter().map(|p| s(p)).collect()),
            ));
        }
        let last = all_history && self.console_lines.lines.is_empty() && complete.is_some();
        let owner = self.shared.as_ref().is_none_or(|w| w.finish_owner);
        if last && owner {
            body.push(("complete".into(), Json::Bool(true)));
            body.push((
                "exitcode".into(),
                Json::Int(i64::from(complete.unwrap_or(0))),
            ));
        }
        let path = format!(
            "/files/{}/{}/{}/file_stream",
            self.entity, self.project, self.run_id
        );
        let text = Json::Object(body).to_compact();
        if let Err(e) = self
            .client
            .post_json("file_stream", &path, text.as_bytes(), &self.ctl)
        {
            let mut back = uploaded;
            back.append(&mut self.uploaded);
            self.uploaded = back;
            if let Some((offset, lines)) = console {
                self.console_lines.put_back(offset, lines);
            }
            return Err(e);
        }
        for _ in 0..n {
            if let Some(l) = self.history.pop_front() {
                self.history_bytes -= l.len();
            }
        }
        self.events.drain(..n_events);
        self.events_offset += n_events;
        self.history_offset += n;
        self.rows_sent += n;
        if n > 0 {
            self.note(format!("h {}\n", self.history_offset));
        }
        if send_summary {
            self.summary_dirty = false;
        }
        self.last_fs = Instant::now();
        if last {
            self.complete = true;
        }
        Ok(())
    }

    /// Does whatever network work is due. `flush`: send file_stream now. Returns an error
    /// when a call gave up (deadline) or failed permanently.
    pub fn pump(&mut self, flush: bool) -> Result<()> {
        if self.run.is_none() {
            return Ok(());
        }
        self.start()?;
        if !self.primary() {
            // Only the primary writer uploads the metadata file.
            self.metadata = None;
        }
        if let Some(meta) = self.metadata.take() {
            // A metadata file already there (written by the Python SDK) is kept as is.
            if std::fs::symlink_metadata(self.files_dir.join(META_FILE)).is_err() {
                let text = crate::json::Json::to_artifact(&meta);
                self.write_file(META_FILE, text.as_bytes())?;
            }
            let mut rest: VecDeque<String> = std::mem::take(&mut self.files);
            self.files.push_back(META_FILE.into());
            self.files.append(&mut rest);
            self.queued.insert(META_FILE.into());
        }
        if self.config_dirty
            && (flush || self.last_config.elapsed() >= std::time::Duration::from_secs(5))
        {
            self.upsert(false)?;
            self.config_dirty = false;
            self.last_config = Instant::now();
        }
        self.upload_files(100, false)?;
        let due = self.last_fs.elapsed() >= self.settings.transmit_interval;
        let heartbeat = self.last_fs.elapsed() >= self.settings.heartbeat;
        let has_data = !self.history.is_empty()
            || self.summary_dirty
            || !self.uploaded.is_empty()
            || !self.console_lines.lines.is_empty()
            || !self.events.is_empty();
        if (has_data && (flush || due || self.history_bytes >= MAX_PENDING_BYTES)) || heartbeat {
            self.send_stream(None)?;
            while self.history_bytes + self.console_lines.bytes >= MAX_PENDING_BYTES {
                self.send_stream(None)?;
            }
        }
        Ok(())
    }

    /// After the exit record: summary/config files, artifacts, remaining files, the last
    /// file_stream request (`complete`, `exitcode`).
    pub fn finish(&mut self) -> Result<()> {
        if self.run.is_none() {
            // A log without its run record (empty, header only, garbage): nothing names
            // the run, so nothing is sent (no CreateRunFiles with empty names).
            return Err(Error::invalid(
                "the log holds no run record: nothing to upload",
            ));
        }
        let code = self.exit.unwrap_or(0);
        self.pump(false)?;
        // The console log the run wrote (the SDK uploads it at finish).
        let output = match &self.shared {
            Some(w) => crate::run::shared::console_file(&w.label),
            None => crate::run::console::OUTPUT_FILE.to_string(),
        };
        if !self.queued.contains(&output) && self.files_dir.join(&output).is_file() {
            self.queue_file(output);
        }
        let primary = self.primary();
        if primary && !self.queued.contains(SUMMARY_FILE) {
            self.write_file(SUMMARY_FILE, self.summary_text().as_bytes())?;
            self.queue_file(SUMMARY_FILE.into());
        }
        if self.config_dirty {
            self.upsert(false)?;
            self.config_dirty = false;
        }
        if primary && !self.queued.contains(CONFIG_FILE) {
            self.ensure_wandb_config();
            self.write_file(CONFIG_FILE, config_yaml(&self.config).as_bytes())?;
            self.queue_file(CONFIG_FILE.into());
        }
        while let Some(a) = self.artifacts.front().cloned() {
            if let Err(e) = self.save_artifact(&a) {
                if crate::online::http::gave_up(&e) {
                    return Err(e);
                }
                self.errors
                    .push(format!("artifact {}: {}", a.name, e.message));
            }
            self.artifacts.pop_front();
        }
        self.upload_files(100, true)?;
        while !self.complete {
            self.send_stream(Some(code))?;
        }
        Ok(())
    }

    fn save_artifact(&mut self, a: &ArtifactRec) -> Result<()> {
        let entity = if a.entity.is_empty() {
            self.entity.clone()
        } else {
            a.entity.clone()
        };
        let project = if a.project.is_empty() {
            self.project.clone()
        } else {
            a.project.clone()
        };
        let aliases: Vec<Json> = a
            .aliases
            .iter()
            .map(|al| Json::object([("artifactCollectionName", s(&a.name)), ("alias", s(al))]))
            .collect();
        let input = Json::object([
            ("entityName", s(&entity)),
            ("projectName", s(&project)),
            ("artifactTypeName", s(&a.ty)),
            ("artifactCollectionName", s(&a.name)),
            ("runName", s(&self.run_id)),
            ("digest", s(&a.digest)),
            ("digestAlgorithm", s("MANIFEST_MD5")),
            ("aliases", Json::Array(aliases)),
            ("enableDigestDeduplication", Json::Bool(true)),
            ("clientID", s(&a.client_id)),
            ("sequenceClientID", s(&a.sequence_client_id)),
        ]);
        let data = self.client.graphql(
            "CreateArtifact",
            Q_CREATE_ARTIFACT,
            Json::object([("input", input)]),
            &self.ctl,
        )?;
        let art = data
            .get("createArtifact")
            .and_then(|c| c.get("artifact"))
            .cloned()
            .unwrap_or(Json::Null);
        let id = art
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if art.get("state").and_then(Json::as_str) == Some("COMMITTED") || id.is_empty() {
            return Ok(());
        }
        // Manifest (wandb-storage-policy-v1, digests base64 MD5).
        let mut contents = Vec::new();
        for e in &a.entries {
            contents.push((
                e.path.clone(),
                Json::object([("digest", s(&e.digest)), ("size", Json::Int(e.size))]),
            ));
        }
        let manifest = Json::object([
            ("version", Json::Int(1)),
            (
                "storagePolicy",
                s(if a.storage_policy.is_empty() {
                    "wandb-storage-policy-v1"
                } else {
                    &a.storage_policy
                }),
            ),
            (
                "storagePolicyConfig",
                Json::object([(
                    "storageLayout",
                    s(if a.storage_layout.is_empty() {
                        "V2"
                    } else {
                        &a.storage_layout
                    }),
                )]),
            ),
            ("contents", Json::Object(contents)),
        ]);
        let vars = Json::object([
            ("artifactID", s(&id)),
            ("name", s("wandb_manifest.json")),
            ("digest", s(&a.digest)),
            ("entityName", s(&entity)),
            ("projectName", s(&project)),
            ("runName", s(&self.run_id)),
            ("manifestType", s("FULL")),
            ("includeUpload", Json::Bool(true)),
        ]);
        let data = self.client.graphql(
            "CreateArtifactManifest",
            Q_ARTIFACT_MANIFEST,
            vars,
            &self.ctl,
        )?;
        let file = data
            .get("createArtifactManifest")
            .and_then(|m| m.get("artifactManifest"))
            .and_then(|m| m.get("file"))
            .cloned()
            .unwrap_or(Json::Null);
        // Files first, then the manifest, then commit (as the saver orders them).
        let specs: Vec<Json> = a
            .entries
            .iter()
            .map(|e| {
                Json::object([
                    ("artifactID", s(&id)),
                    ("name", s(&e.path)),
                    ("md5", s(&e.digest)),
                ])
            })
            .collect();
        if !specs.is_empty() {
            let vars = Json::object([
                ("storageLayout", s("V2")),
                ("artifactFiles", Json::Array(specs)),
            ]);
            let data =
                self.client
                    .graphql("CreateArtifactFiles", Q_ARTIFACT_FILES, vars, &self.ctl)?;
            let edges = data
                .get("createArtifactFiles")
                .and_then(|c| c.get("files"))
                .and_then(|f| f.get("edges"))
                .cloned()
                .unwrap_or(Json::Null);
            if let Json::Array(edges) = edges {
                for (e, edge) in a.entries.iter().zip(edges.iter()) {
                    let node = edge.get("node").cloned().unwrap_or(Json::Null);
                    let Some(url) = node.get("uploadUrl").and_then(Json::as_str) else {
                        continue;
                    };
                    let headers: Vec<String> = match node.get("uploadHeaders") {
                        Some(Json::Array(h)) => h
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    };
                    self.client.put_file(
                        &format!("artifact file {}", e.path),
                        url,
                        &headers,
                        Path::new(&e.local_path),
                        &self.ctl,
                    )?;
                }
            }
        }
        if let Some(url) = file.get("uploadUrl").and_then(Json::as_str) {
            let headers: Vec<String> = match file.get("uploadHeaders") {
                Some(Json::Array(h)) => h
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            self.client.put(
                "artifact manifest",
                url,
                &headers,
                &crate::online::http::Body::Bytes(manifest.to_compact().as_bytes()),
                &self.ctl,
            )?;
        }
        self.client.graphql(
            "CommitArtifact",
            Q_COMMIT_ARTIFACT,
            Json::object([("artifactID", s(&id))]),
            &self.ctl,
        )?;
        Ok(())
    }

    /// `entity/project/run_id` once known.
    pub fn run_path(&self) -> String {
        format!("{}/{}/{}", self.entity, self.project, self.run_id)
    }

    /// Makes this sender publish the run's location (and announce its URL through the log
    /// handler) once the server created the run: an online run's uploader.
    pub fn set_location(&mut self, slot: Arc<crate::online::app_url::Location>) {
        self.location = Some(slot);
    }

    /// Where the server put the run, once `UpsertBucket` answered.
    pub fn location(&self) -> Option<crate::online::app_url::RunLocation> {
        use crate::online::app_url as au;
        // The server names the entity in its answer; else the one the run asked for.
        let entity = match (&self.entity, &self.run) {
            (e, _) if !e.is_empty() => e.clone(),
            (_, Some(r)) => r.entity.clone(),
            _ => String::new(),
        };
        if !self.upserted || self.run_id.is_empty() || entity.is_empty() {
            return None;
        }
        Some(au::RunLocation {
            url: au::run_url(
                &au::app_url(&self.settings.base_url),
                &entity,
                &self.project,
                &self.run_id,
            ),
            entity,
            project: self.project.clone(),
            run_id: self.run_id.clone(),
            name: self.display_name.clone(),
        })
    }

    fn publish_location(&self) {
        if let (Some(slot), Some(loc)) = (&self.location, self.location()) {
            if slot.set(loc.clone()) {
                crate::diag::log(
                    crate::diag::Level::Info,
                    &crate::online::app_url::open_notice(&loc),
                );
            }
        }
    }
}

/// `config.yaml` as wandb-core writes it: top-level keys sorted, each `{value: …}`, block
/// style with 4-space indentation (yaml.v3); strings quoted when plain style would change
/// their meaning.
pub fn config_yaml(config: &Json) -> String {
    let mut out = String::new();
    let mut keys: Vec<(String, Json)> = match config {
        Json::Object(m) => m.clone(),
        _ => Vec::new(),
    };
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let wrapped = Json::Object(
        keys.into_iter()
            .map(|(k, v)| (k, Json::object([("value", v)])))
            .collect(),
    );
    yaml_block(&wrapped, 0, &mut out);
    out
}

fn yaml_scalar(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Int(i) => i.to_string(),
        Json::UInt(u) => u.to_string(),
        Json::Float(f) => {
            if f.is_nan() {
                ".nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    ".inf".into()
                } else {
                    "-.inf".into()
                }
            } else {
                core_json(v)
            }
        }
        Json::Str(st) => yaml_str(st),
        Json::Array(a) if a.is_empty() => "[]".into(),
        Json::Object(m) if m.is_empty() => "{}".into(),
        _ => core_json(v),
    }
}

fn yaml_str(st: &str) -> String {
    let plain = !st.is_empty()
        && !st.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !st.ends_with(' ')
        && !st.contains(": ")
        && !st.contains(" #")
        && !st.chars().any(|c| c.is_control())
        && !matches!(
            st.to_ascii_lowercase().as_str(),
            "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && st.parse::<f64>().is_err();
    if plain {
        st.to_string()
    } else {
        let mut q = String::new();
        crate::json::write_str_compact(st, &mut q);
        q
    }
}

/// Block-style levels of `config.yaml` (yaml.v3's style, 4 spaces each); deeper values are
/// written in flow style (compact JSON, which is YAML): the indentation of block style
/// grows with depth on every line, so a deep config would make the file quadratic in its
/// input (issue 22, item 9). Every value up to this depth is byte-identical to core's.
pub const YAML_BLOCK_DEPTH: usize = 32;

fn yaml_block(v: &Json, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let block = indent / 4 < YAML_BLOCK_DEPTH;
    match v {
        Json::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                out.push_str(&pad);
                out.push_str(&yaml_str(k));
                out.push(':');
                match child {
                    Json::Object(cm) if block && !cm.is_empty() => {
                        out.push('\n');
                        yaml_block(child, indent + 4, out);
                    }
                    Json::Array(a) if block && !a.is_empty() => {
                        out.push('\n');
                        yaml_block(child, indent + 4, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&yaml_scalar(child));
                        out.push('\n');
                    }
                }
            }
        }
        Json::Array(a) if !a.is_empty() => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Json::Object(cm) if block && !cm.is_empty() => {
                        let mut sub = String::new();
                        yaml_block(item, indent + 2, &mut sub);
                        out.push_str(sub.trim_start());
                    }
                    _ => {
                        out.push_str(&yaml_scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&pad);
            out.push_str(&yaml_scalar(v));
            out.push('\n');
        }
    }
}

/// Opens `path` (relative) of a run's files directory: confined beneath it (no `..`, no
/// absolute path, no link followed) unless the caller trusts the directory, regular files
/// only, never blocking; returns the file and its size now.
fn open_run_file_at(root: &Path, confined: bool, path: &str) -> Result<(std::fs::File, u64)> {
    if confined {
        crate::confine::open_beneath(root, path)
    } else {
        crate::confine::local_components(path)?;
        crate::confine::open_regular(&root.join(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lines_nest_keys() {
        let dir = std::env::temp_dir();
        let settings = Settings {
            base_url: "http://127.0.0.1:9".into(),
            api_key: "k".into(),
            resume: Resume::Never,
            transmit_interval: std::time::Duration::from_secs(15),
            heartbeat: std::time::Duration::from_secs(30),
            retry_min: std::time::Duration::from_millis(1),
            retry_max: std::time::Duration::from_millis(2),
        };
        let mut s = Sender::new(settings, &dir, Ctl::new()).unwrap();
        s.handle(Rec::History(vec![
            Item {
                path: vec!["a".into(), "b".into()],
                value_json: "1".into(),
            },
            Item {
                path: vec!["_step".into()],
                value_json: "0".into(),
            },
            Item {
                path: vec!["x".into()],
                value_json: "NaN".into(),
            },
        ]));
        assert_eq!(s.history[0], "{\"a\":{\"b\":1},\"_step\":0,\"x\":NaN}");
    }

    fn step_row(step: i64) -> Rec {
        Rec::History(vec![Item {
            path: vec!["_step".into()],
            value_json: step.to_string(),
        }])
    }

    #[test]
    fn resume_continues_the_server_steps() {
        let bucket = Json::parse(
            r#"{"historyTail":"[\"{\\\"_step\\\":28}\",\"{\\\"_step\\\":29}\"]","summaryMetrics":"{\"_step\":7}"}"#,
        )
        .unwrap();
        assert_eq!(Sender::last_server_step(&bucket), Some(29));
        let only_summary =
            Json::parse(r#"{"historyTail":null,"summaryMetrics":"{\"_step\":7}"}"#).unwrap();
        assert_eq!(Sender::last_server_step(&only_summary), Some(7));
        assert_eq!(Sender::last_server_step(&Json::parse("{}").unwrap()), None);

        let settings = |r| Settings {
            base_url: "http://127.0.0.1:9".into(),
            api_key: "k".into(),
            resume: r,
            transmit_interval: std::time::Duration::from_secs(15),
            heartbeat: std::time::Duration::from_secs(30),
            retry_min: std::time::Duration::from_millis(1),
            retry_max: std::time::Duration::from_millis(2),
        };
        let dir = std::env::temp_dir();
        // auto steps 0, 1 after a server run ending at step 29: 30, 31 (held until the answer)
        let mut s = Sender::new(settings(Resume::Allow), &dir, Ctl::new()).unwrap();
        s.handle(step_row(0));
        assert!(s.history.is_empty() && s.held_rows.len() == 1);
        s.resume_next = Some(30);
        s.resume_known = true;
        for row in std::mem::take(&mut s.held_rows) {
            s.push_row(row);
        }
        s.handle(step_row(1));
        assert_eq!(
            Vec::from(s.history.clone()),
            ["{\"_step\":30}", "{\"_step\":31}"]
        );
        // explicit steps already past the server's: unchanged
        let mut s = Sender::new(settings(Resume::Allow), &dir, Ctl::new()).unwrap();
        s.resume_next = Some(30);
        s.resume_known = true;
        s.handle(step_row(40));
        assert_eq!(Vec::from(s.history.clone()), ["{\"_step\":40}"]);
    }

    #[test]
    fn yaml_like_core() {
        let c = Json::object([
            ("lr", Json::Float(0.001)),
            ("layers", Json::Array(vec![Json::Int(64), Json::Int(64)])),
            ("name", Json::str("yes")),
        ]);
        assert_eq!(
            config_yaml(&c),
            "layers:\n    value:\n        - 64\n        - 64\nlr:\n    value: 0.001\nname:\n    value: \"yes\"\n"
        );
    }
}
