//! Offline runs without Python: a thread-safe writer of the run directory and `.wandb`
//! transaction log that `wandb offline` mode produces (spec §15.3–§16), readable by the real
//! `wandb` CLI (`wandb leet inspect`, `wandb sync`).
//!
//! ```text
//! <root>/wandb/latest-run -> offline-run-<YYYYMMDD>_<HHMMSS>-<id>
//! <root>/wandb/offline-run-<YYYYMMDD>_<HHMMSS>-<id>/
//!     files/           run.dir: media/… (paths in the JSON are relative to it)
//!     logs/  tmp/
//!     run-<id>.wandb   header, run, environment, then per log call: files… (a logged
//!                      table's run_table artifact right before its run copy), config
//!                      (when box/mask class labels were set), and per committed row:
//!                      runtime summary, summary mirror, history; summary/config
//!                      updates; at finish: runtime summary, pending row, exit
//!     tmp/artifacts/   staged files of table artifacts (their manifests' local_path)
//! ```
//!
//! Two step counters exist, as in the SDK (§15.4): the **local step** (Python's
//! `run._local_step`) names media files and is advanced in the calling thread; the **row
//! step** (`_step`) is assigned by wandb-core's partial-history logic, which this module
//! reproduces when it appends (explicit steps, `commit=false` merging, dropped old steps).
//!
//! Concurrency: every call takes a ticket when it starts (that fixes its local step); media
//! are encoded and written in the calling threads in parallel; records are appended in
//! ticket order under one lock (or by a writer thread fed through a bounded queue in async
//! mode). A row is therefore never torn or lost, and rows logged without explicit steps get
//! `_step` in the order their calls took their tickets — the same order that numbered their
//! media files.
//!
//! Durability: in synchronous mode every call's records are written to the file (one
//! `write` per call, after the media files they reference were written atomically) before
//! it returns, so a killed process leaves a log that readers accept up to the last complete
//! record. `FsyncPolicy` decides when the file is also forced to disk.

pub mod artifact;
#[doc(hidden)]
pub mod console;
#[doc(hidden)]
pub mod framing;
mod log;
pub mod metric;
mod options;
#[doc(hidden)]
pub mod proto;
#[doc(hidden)]
pub mod record;
#[doc(hidden)]
pub mod shared;
#[doc(hidden)]
pub mod system;
#[doc(hidden)]
pub mod tables;
mod url;

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::platform::{hostname, link_latest, local_stamp, os_name};
use crate::row::convert_row;
use crate::run::framing::Framer;
use crate::run::tables::Pending;
use crate::run_dir::{RunDir, Step};
use crate::value::Value;
use log::Log;
use options::apply_env;
pub use options::{FsyncPolicy, RunOptions, DEFAULT_FINISH_TIMEOUT, DEFAULT_QUEUE_DEPTH};

/// A committed, queued or applied unit of work for the log.
enum Job {
    Log {
        files: Vec<String>,
        artifacts: Vec<Pending>,
        /// The row bound box or mask layers (which register config singletons).
        singletons: bool,
        items: Vec<(String, Json)>,
        step: Option<i64>,
        commit: Option<bool>,
    },
    Summary {
        files: Vec<String>,
        artifacts: Vec<Pending>,
        items: Vec<(String, Json)>,
    },
    Config {
        items: Vec<(String, Json)>,
    },
    Metric {
        name: String,
        opts: metric::MetricOptions,
    },
    /// A ready record body (`run.save` files, generic artifacts, system stats).
    Record {
        field: u32,
        body: proto::Msg,
        /// With the `_info.stream_id` the SDK's client records carry (not on stats).
        stream: bool,
    },
}

/// The SDK-side counters (`run._local_step`) and the ticket dispenser.
struct SdkSteps {
    local_step: i64,
    next_ticket: u64,
}

struct QueueState {
    jobs: VecDeque<Job>,
    submitted: u64,
    done: u64,
    stop: bool,
}

struct Queue {
    state: Mutex<QueueState>,
    jobs_cv: Condvar,
    space_cv: Condvar,
    done_cv: Condvar,
    depth: usize,
}

struct Shared {
    id: String,
    project: String,
    entity: String,
    run_dir: PathBuf,
    files: RunDir,
    /// `<run dir>/tmp/artifacts`: staged copies of table artifacts' files.
    staging: RunDir,
    start: Instant,
    fsync: FsyncPolicy,
    steps: Mutex<SdkSteps>,
    turn: Mutex<u64>,
    turn_cv: Condvar,
    log: Mutex<Log>,
    queue: Option<Queue>,
    /// An unrecoverable error (the log could not be rolled back, or the run directory was
    /// deleted) makes the run read-only; later calls report it.
    failed: Mutex<Option<Error>>,
    finished: AtomicBool,
    /// Async mode: calls that returned OK but whose records could not be written (their
    /// batch hit an I/O error), and how many of them flush/finish already reported.
    lost: AtomicU64,
    lost_reported: AtomicU64,
    lost_error: Mutex<Option<Error>>,
    /// The console log (`None`: `console=off` or disabled).
    console: Mutex<Option<console::State>>,
}

/// An offline run being written. Fully thread-safe: `log`, `summary_update`,
/// `config_update` and `flush` may be called from any number of threads at once; `finish`
/// once, after the other calls returned. Dropping an unfinished run finishes it with exit
/// code 0 (like the SDK's exit hook).
pub struct Run {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Online mode: the background uploader (taken by `finish`).
    uploader: Mutex<Option<crate::online::uploader::Uploader>>,
    /// Online mode: the run's location once the server created it (see `url.rs`).
    location: Option<Arc<crate::online::app_url::Location>>,
    /// Online mode: what the upload is doing (`upload_status`).
    upload_status: Option<Arc<crate::online::status::Status>>,
    finish_timeout: Duration,
    /// No `finish_timeout` was given (the default applies; see [`Run::finish_within`]).
    finish_timeout_is_default: bool,
    /// Disabled mode: every call succeeds and does nothing.
    disabled: bool,
    /// The system-metrics sampler (stopped by `finish`).
    stats: Mutex<Option<system::Sampler>>,
    /// `console=redirect`: the fd 1/2 redirection (stopped by `finish`).
    capture: Mutex<Option<console::Capture>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run ids: the SDK forbids `/ \ # ? % :`; also refuse what cannot be a path component.
fn validate_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 128 {
        return Err(Error::invalid("run id must be 1 to 128 characters"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid(format!("run id {id:?} is not allowed")));
    }
    if let Some(c) = id
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '#' | '?' | '%' | ':') || c.is_control())
    {
        return Err(Error::invalid(format!(
            "run id {id:?} contains {c:?}; run ids must not contain / \\ # ? % : or control characters"
        )));
    }
    Ok(())
}

/// 8 random characters of `[0-9a-z]` (the SDK's `generate_id`).
pub fn random_run_id() -> String {
    crate::platform::random_base36(8)
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Run {
    /// Opens a new offline run under `<root>/wandb/` (created if needed), writes the log's
    /// header, run and environment records and points `latest-run` at it.
    pub fn open(root: impl AsRef<Path>, opts: RunOptions) -> Result<Run> {
        if let Some(i) = opts.stats_interval.filter(|_| !opts.disable_stats) {
            if i < system::MIN_INTERVAL {
                return Err(Error::invalid(format!(
                    "stats interval {} ms: must be at least {} ms",
                    i.as_millis(),
                    system::MIN_INTERVAL.as_millis()
                )));
            }
        }
        // Every path written into the log (artifact manifests' local_path, …) is absolute, as
        // the SDK writes them, so `wandb sync` works from any working directory.
        let mut opts = opts;
        let mode = apply_env(&mut opts)?;
        let console_mode = opts.console.resolve()?;
        if mode == crate::online::Mode::Disabled {
            return Run::disabled(opts);
        }
        use crate::online::Mode;
        let writer = match mode {
            Mode::Shared | Mode::SharedOffline => Some(shared::resolve(
                opts.label.as_deref(),
                opts.primary,
                opts.update_finish_state,
            )?),
            _ => None,
        };
        let online = match mode {
            // A shared writer attaches by id: no resume query (wandb 0.31).
            Mode::Online | Mode::Shared => Some(crate::online::Settings::resolve(
                opts.base_url.as_deref(),
                opts.api_key.as_deref(),
                if writer.is_some() {
                    Some(crate::online::Resume::Never)
                } else {
                    opts.resume
                },
            )?),
            _ => None,
        };
        let root = absolute_path(root.as_ref())?;
        let root = root.as_path();
        let set_id = opts.id.is_some();
        let id = match opts.id {
            Some(id) => {
                validate_id(&id)?;
                id
            }
            None => random_run_id(),
        };
        let config_members = match &opts.config {
            None => Vec::new(),
            Some(Json::Object(m)) => m.clone(),
            Some(_) => return Err(Error::invalid("config must be a JSON object")),
        };
        if config_members.iter().any(|(k, _)| k == "_wandb") {
            return Err(Error::invalid(
                "config key \"_wandb\" is reserved for the library",
            ));
        }
        let wall = SystemTime::now();
        let start = Instant::now();
        let start_unix = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        let prefix = if online.is_some() {
            "run"
        } else {
            "offline-run"
        };
        let name = match &writer {
            // Writers of one shared run on one machine start in the same second: each gets
            // its own directory (`wandb sync` reads the id from run-<id>.wandb, not the name).
            Some(w) => format!(
                "{prefix}-{}-{id}-{}",
                local_stamp(wall),
                shared::sanitize(&w.label).replace(' ', "_")
            ),
            None => format!("{prefix}-{}-{id}", local_stamp(wall)),
        };
        let wandb_dir = root.join("wandb");
        let run_dir = wandb_dir.join(&name);
        fs::create_dir_all(&wandb_dir).map_err(|e| Error::io(wandb_dir.display(), e))?;
        // Created here (never an existing directory), so a failed open can remove it.
        fs::create_dir(&run_dir).map_err(|e| Error::io(run_dir.display(), e))?;
        let mut orphan = RemoveOnDrop(Some(run_dir.clone()));
        for sub in ["files", "logs", "tmp"] {
            let d = run_dir.join(sub);
            fs::create_dir_all(&d).map_err(|e| Error::io(d.display(), e))?;
        }
        if let Some(w) = &writer {
            shared::save(&run_dir.join("logs"), w)?;
        }
        let log_path = run_dir.join(format!("run-{id}.wandb"));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&log_path)
            .map_err(|e| Error::io(log_path.display(), e))?;
        let files_dir_path = run_dir.join("files");
        let files = RunDir::new(run_dir.join("files"))?;
        let staging = RunDir::new(run_dir.join("tmp").join("artifacts"))?;

        let project = opts.project.unwrap_or_default();
        let entity = opts.entity.unwrap_or_default();
        let host = hostname();
        // `_wandb` first, then the user's keys, as the SDK's run record lists them.
        let mut config = vec![("_wandb".to_string(), Json::Object(Vec::new()))];
        config.extend(config_members);
        let info = record::RunInfo {
            run_id: &id,
            entity: &entity,
            project: &project,
            display_name: opts.name.as_deref().unwrap_or(""),
            group: opts.group.as_deref().unwrap_or(""),
            job_type: opts.job_type.as_deref().unwrap_or(""),
            notes: opts.notes.as_deref().unwrap_or(""),
            tags: &opts.tags,
            host: &host,
            config: &config,
            start: start_unix,
            set_id,
        };
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let env = record::EnvInfo {
            os: os_name(),
            host: host.clone(),
            program: exe.clone(),
            args: std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            root: fs::canonicalize(root)
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            executable: exe,
            cpu_count: std::thread::available_parallelism()
                .map(|n| n.get() as i64)
                .unwrap_or(0),
            started_at: start_unix,
            writer_id: String::new(),
        };

        let mut buf = Vec::new();
        let framer = Framer::new_file(&mut buf);
        let mut log = Log {
            file: Some(file),
            framer,
            num: 0,
            core_step: 0,
            pending: Vec::new(),
            wandb_config: "{}".into(),
            config: Arc::new(config.clone()),
            dropped_rows: 0,
            metrics: metric::Metrics::default(),
            buf: Vec::new(),
            wake: None,
            shared: writer.is_some(),
            len: 0,
            path: log_path.clone(),
        };
        log.append(
            proto::record::HEADER,
            &record::header(),
            Some(&id),
            &mut buf,
        );
        log.append(proto::record::RUN, &record::run(&info), Some(&id), &mut buf);
        log.append(
            proto::record::ENVIRONMENT,
            &record::environment(&env),
            None,
            &mut buf,
        );
        log.write(&buf, opts.fsync != FsyncPolicy::Never)?;
        link_latest(&wandb_dir, &name)?;
        // Online: the uploader tails the log (started after the first records are in it).
        let uploader = match online {
            Some(settings) => {
                let u = crate::online::uploader::Uploader::start(
                    &log_path,
                    &run_dir.join("files"),
                    settings,
                )?;
                let wake = u.wake();
                wake.publish(log.len);
                log.wake = Some(wake);
                Some(u)
            }
            None => None,
        };

        let queue = opts.async_queue.map(|d| Queue {
            state: Mutex::new(QueueState {
                jobs: VecDeque::new(),
                submitted: 0,
                done: 0,
                stop: false,
            }),
            jobs_cv: Condvar::new(),
            space_cv: Condvar::new(),
            done_cv: Condvar::new(),
            depth: if d == 0 { DEFAULT_QUEUE_DEPTH } else { d },
        });
        let shared = Arc::new(Shared {
            id,
            project,
            entity,
            run_dir,
            files,
            staging,
            start,
            fsync: opts.fsync,
            steps: Mutex::new(SdkSteps {
                local_step: 0,
                next_ticket: 0,
            }),
            turn: Mutex::new(0),
            turn_cv: Condvar::new(),
            log: Mutex::new(log),
            queue,
            failed: Mutex::new(None),
            finished: AtomicBool::new(false),
            lost: AtomicU64::new(0),
            lost_reported: AtomicU64::new(0),
            lost_error: Mutex::new(None),
            console: Mutex::new(match console_mode {
                console::ConsoleMode::Off => None,
                _ => Some(console::State::new(
                    &files_dir_path,
                    &writer
                        .as_ref()
                        .map_or(console::OUTPUT_FILE.to_string(), |w| {
                            shared::console_file(&w.label)
                        }),
                )),
            }),
        });
        let writer = if shared.queue.is_some() {
            let s = shared.clone();
            Some(
                std::thread::Builder::new()
                    .name("wandb-media-run-writer".into())
                    // Rows as deep as the SDK accepts are serialised here.
                    .stack_size(crate::json::DEEP_STACK)
                    .spawn(move || s.writer_loop())
                    .map_err(|e| Error::io("starting the run writer thread", e))?,
            )
        } else {
            None
        };
        let stats = if opts.disable_stats {
            None
        } else {
            // A weak reference: the sampler never keeps a dropped run alive.
            let weak = Arc::downgrade(&shared);
            let emit = move |body: proto::Msg| match weak.upgrade() {
                Some(s) if !s.finished.load(Ordering::SeqCst) => s
                    .submit(Job::Record {
                        field: proto::record::STATS,
                        body,
                        stream: false,
                    })
                    .is_ok(),
                _ => false,
            };
            let interval = opts.stats_interval.unwrap_or(system::DEFAULT_INTERVAL);
            Some(system::Sampler::start(interval, Box::new(emit))?)
        };
        let capture = if console_mode == console::ConsoleMode::Redirect {
            console_capture(&shared)?
        } else {
            None
        };
        orphan.0 = None;
        let location = uploader.as_ref().map(|u| u.location());
        Ok(Run {
            shared,
            writer: Mutex::new(writer),
            upload_status: uploader.as_ref().map(|u| u.status()),
            uploader: Mutex::new(uploader),
            location,
            finish_timeout: opts.finish_timeout.unwrap_or(DEFAULT_FINISH_TIMEOUT),
            finish_timeout_is_default: opts.finish_timeout.is_none(),
            disabled: false,
            stats: Mutex::new(stats),
            capture: Mutex::new(capture),
        })
    }

    /// A disabled run (`mode=disabled`): nothing is written, every call returns Ok.
    fn disabled(opts: RunOptions) -> Result<Run> {
        let id = opts.id.unwrap_or_else(random_run_id);
        let shared = Arc::new(Shared {
            id,
            project: opts.project.unwrap_or_default(),
            entity: opts.entity.unwrap_or_default(),
            run_dir: PathBuf::new(),
            files: RunDir::new("")?,
            staging: RunDir::new("")?,
            start: Instant::now(),
            fsync: FsyncPolicy::Never,
            steps: Mutex::new(SdkSteps {
                local_step: 0,
                next_ticket: 0,
            }),
            turn: Mutex::new(0),
            turn_cv: Condvar::new(),
            log: Mutex::new(Log {
                file: None,
                framer: Framer::new_file(&mut Vec::new()),
                num: 0,
                core_step: 0,
                pending: Vec::new(),
                wandb_config: String::new(),
                config: Arc::new(Vec::new()),
                dropped_rows: 0,
                buf: Vec::new(),
                wake: None,
                shared: false,
                metrics: metric::Metrics::default(),
                len: 0,
                path: PathBuf::new(),
            }),
            queue: None,
            failed: Mutex::new(None),
            finished: AtomicBool::new(false),
            lost: AtomicU64::new(0),
            lost_reported: AtomicU64::new(0),
            lost_error: Mutex::new(None),
            console: Mutex::new(None),
        });
        Ok(Run {
            shared,
            writer: Mutex::new(None),
            uploader: Mutex::new(None),
            location: None,
            upload_status: None,
            finish_timeout: Duration::ZERO,
            finish_timeout_is_default: false,
            disabled: true,
            stats: Mutex::new(None),
            capture: Mutex::new(None),
        })
    }

    /// True in disabled mode.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// The run id.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The project given at open (may be empty: the server's default).
    pub fn project(&self) -> &str {
        &self.shared.project
    }

    /// The entity given at open (may be empty: the server's default entity).
    pub fn entity(&self) -> &str {
        &self.shared.entity
    }

    /// `<root>/wandb/offline-run-…-<id>` (what `wandb sync` takes).
    pub fn dir(&self) -> &Path {
        &self.shared.run_dir
    }

    /// The files directory (`run.dir`); media paths in rows are relative to it.
    pub fn files_dir(&self) -> &Path {
        self.shared.files.files_dir()
    }

    /// The `.wandb` log file.
    pub fn log_path(&self) -> PathBuf {
        self.shared
            .run_dir
            .join(format!("run-{}.wandb", self.shared.id))
    }

    /// The sink media are written to (for building JSON outside a row).
    pub fn run_dir(&self) -> &RunDir {
        &self.shared.files
    }

    /// Rows dropped so far because their explicit step was below the current row step
    /// (wandb-core drops them with a warning; their media files are still written).
    pub fn dropped_rows(&self) -> u64 {
        lock(&self.shared.log).dropped_rows
    }

    /// Async mode: how many calls that returned OK had their records lost to a write error
    /// (always 0 in synchronous mode, where the failing call itself returns the error).
    /// `flush` and `finish` also fail once for every new loss.
    pub fn lost_calls(&self) -> u64 {
        self.shared.lost.load(Ordering::SeqCst)
    }

    /// `run.log(row, step=, commit=)` (§15.3/§15.4). `step`: `None` or ≥ 0. Media are
    /// named with the local step before this call; the row is appended (or merged into the
    /// pending row) with wandb-core's step rules.
    pub fn log(
        &self,
        row: &[(String, Value)],
        step: Option<i64>,
        commit: Option<bool>,
    ) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        if step.is_some() && lock(&s.log).shared {
            return Err(Error::invalid(
                "an explicit step is not allowed in shared mode: the server numbers the rows of \
                 a shared run (wandb ignores it with a warning); log your own x-axis key and \
                 use define_metric(name, step_metric=that key)",
            ));
        }
        if let Some(st) = step {
            if st < 0 {
                return Err(Error::invalid(format!("step = {st}: must be >= 0")));
            }
        }
        let (ticket, namespace) = {
            let mut st = lock(&s.steps);
            let advances = (step.is_none() && commit.is_none()) || commit == Some(true);
            let next = step.map_or(st.local_step, |stp| stp.max(st.local_step));
            if advances && next == i64::MAX {
                return Err(Error::overflow(format!(
                    "step overflow: the step would pass {} (int64 max)",
                    i64::MAX
                )));
            }
            let ns = st.local_step;
            if let Some(stp) = step {
                if stp > st.local_step {
                    st.local_step = stp;
                }
            }
            if (step.is_none() && commit.is_none()) || commit == Some(true) {
                st.local_step += 1;
            }
            let t = st.next_ticket;
            st.next_ticket += 1;
            (t, ns)
        };
        let turn = Turn {
            shared: s,
            ticket,
            done: false,
        };
        let tables = tables::find(row, &s.files, false);
        let converted = convert_row(row, &s.files, Step::Num(namespace))?;
        let artifacts = tables::artifacts(tables, &s.files, &s.staging, &s.id)?;
        let mut items = converted.items;
        // The SDK drops a user `_step` and stamps `_timestamp` unless the user gave one.
        items.retain(|(k, _)| k != "_step");
        if !items.iter().any(|(k, _)| k == "_timestamp") {
            items.push(("_timestamp".into(), Json::Float(unix_now().as_secs_f64())));
        }
        // Box and mask layers set their class-label singletons when bound (§3.4, §4.3).
        let singletons = converted
            .placed
            .iter()
            .any(|p| p.ends_with(".boxes2D.json") || p.ends_with(".mask.png"));
        let job = Job::Log {
            singletons,
            files: dedup(converted.placed),
            artifacts,
            items,
            step,
            commit,
        };
        turn.wait();
        let r = s.submit(job);
        turn.advance();
        r
    }

    /// `run.summary.update(dict)` (§15.5): media named `<dotted key>_summary_<hash>`.
    pub fn summary_update(&self, dict: &[(String, Value)]) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        let tables = tables::find(dict, &s.files, true);
        let converted = convert_row(dict, &s.files, Step::Summary)?;
        let artifacts = tables::artifacts(tables, &s.files, &s.staging, &s.id)?;
        s.submit(Job::Summary {
            files: dedup(converted.placed),
            artifacts,
            items: converted.items,
        })
    }

    /// `run.config.update(dict)`: plain values only (numbers, strings, bools, null, lists,
    /// dicts, arrays as nested lists).
    pub fn config_update(&self, dict: &[(String, Value)]) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        let mut items = Vec::with_capacity(dict.len());
        for (k, v) in dict {
            if k == "_wandb" {
                return Err(Error::invalid(
                    "config key \"_wandb\" is reserved for the library",
                ));
            }
            items.push((k.clone(), config_json(k, v)?));
        }
        s.submit(Job::Config { items })
    }

    /// `config_update` from JSON text (an object).
    pub fn config_update_json(&self, text: &str) -> Result<()> {
        match Json::parse(text)? {
            Json::Object(m) => {
                let dict: Vec<(String, Value)> = m
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect();
                self.config_update(&dict)
            }
            _ => Err(Error::invalid("config JSON must be an object")),
        }
    }

    /// `run.define_metric(name, step_metric=, step_sync=, hidden=, summary=, overwrite=)`:
    /// writes the SDK's `MetricRecord`; rows committed afterwards get the step metric
    /// inserted and summary aggregates as wandb-core computes them (see [`metric`]).
    /// `name` may end with `*` (a glob over keys with that prefix).
    pub fn define_metric(&self, name: &str, opts: &metric::MetricOptions) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        metric::validate(name, opts)?;
        s.submit(Job::Metric {
            name: name.to_string(),
            opts: opts.clone(),
        })
    }

    /// `run.save(glob, base_path=, policy=)`: links every match into the files directory
    /// (see [`artifact::save`]) and appends one `files` record; returns the saved paths
    /// (relative to the files directory). No match: nothing is written.
    pub fn save(
        &self,
        glob: &str,
        base_path: Option<&str>,
        policy: artifact::SavePolicy,
    ) -> Result<Vec<String>> {
        if self.disabled {
            return Ok(Vec::new());
        }
        let s = &self.shared;
        s.check_open()?;
        let saved = artifact::save(s.files.files_dir(), glob, base_path, policy)?;
        if saved.is_empty() {
            return Ok(Vec::new());
        }
        s.submit(Job::Record {
            field: proto::record::FILES,
            body: artifact::files_record(&saved),
            stream: true,
        })?;
        Ok(saved.into_iter().map(|x| x.path).collect())
    }

    /// `run.log_artifact(artifact, aliases=)`: stages the artifact's files under
    /// `<run dir>/tmp/artifacts/` and appends its `artifact` record (`wandb sync` uploads
    /// it). The artifact can be logged again (a new version if its files changed).
    pub fn log_artifact(&self, a: &artifact::Artifact, aliases: &[String]) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        let root = std::path::absolute(s.staging.files_dir())
            .map_err(|e| Error::io(s.staging.files_dir().display(), e))?;
        let logged = artifact::stage(a, aliases, &root)?;
        s.submit(Job::Record {
            field: proto::record::ARTIFACT,
            body: artifact::record(&s.id, &s.project, &s.entity, &logged),
            stream: true,
        })
    }

    /// `wb_run_console_write`: a chunk of the program's console output (`stream`), as the
    /// SDK's `wrap` console captures a write: one `output_raw` record (split above
    /// [`console::MAX_RECORD_TEXT`]) and the run's `output.log`. Invalid UTF-8 becomes
    /// U+FFFD; a character split between two calls of one stream is joined. Ignored with
    /// `console=off`. Thread-safe (chunks keep the order of the calls).
    pub fn console_write(&self, stream: console::Stream, bytes: &[u8]) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        s.console_write(stream, bytes)
    }

    /// Waits until everything submitted so far is in the log file (async mode), then
    /// fsyncs it unless the policy is `Never`. The pending (uncommitted) row stays pending.
    pub fn flush(&self) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let s = &self.shared;
        s.check_open()?;
        s.wait_queue_drained();
        if let Some(st) = lock(&s.console).as_mut() {
            if let Err(e) = st.flush() {
                crate::diag::warn(&format!("console log: {e}"));
            }
        }
        let log = lock(&s.log);
        if let Err(e) = log.check_identity() {
            drop(log);
            *lock(&s.failed) = Some(e.clone());
            return Err(e);
        }
        if s.fsync != FsyncPolicy::Never {
            if let Some(f) = &log.file {
                f.sync_data()
                    .map_err(|e| Error::io("fsync of the run log", e))?;
            }
        }
        drop(log);
        s.check_failed()?;
        s.check_lost()
    }

    /// What the upload of an online run is doing (`None`: offline or disabled run).
    /// Thread-safe, never blocks on the network; also after `finish`.
    pub fn upload_status(&self) -> Option<crate::online::status::Snapshot> {
        self.upload_status.as_ref().map(|s| s.snapshot())
    }

    /// Whether `finish` was called (successfully or not).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::SeqCst)
    }

    /// `run.finish(exit_code)`: commits the pending row, writes the exit record, fsyncs
    /// (unless `Never`) and closes the log. Later calls fail with a state error.
    pub fn finish(&self, exit_code: i32) -> Result<()> {
        self.finish_inner(
            exit_code,
            self.finish_timeout,
            self.finish_timeout_is_default,
        )
    }

    /// [`Run::finish`] waiting at most `timeout` for uploads (online) instead of the
    /// run's `finish_timeout` (an explicit timeout: waited out in full).
    pub fn finish_within(&self, exit_code: i32, timeout: Duration) -> Result<()> {
        self.finish_inner(exit_code, timeout, false)
    }

    /// `by_default`: the timeout is the default one (not chosen by the caller), so the wait
    /// ends early once the server has been unreachable for a while (see the uploader).
    fn finish_inner(&self, exit_code: i32, timeout: Duration, by_default: bool) -> Result<()> {
        let s = &self.shared;
        if s.finished.swap(true, Ordering::SeqCst) {
            return Err(Error::state("the run is already finished"));
        }
        if let Some(mut sampler) = lock(&self.stats).take() {
            sampler.stop();
        }
        if self.disabled {
            return Ok(());
        }
        // The console first: what the program printed up to here is in the log before
        // the exit record, and output.log is complete when the uploader sees the exit.
        if let Some(c) = lock(&self.capture).take() {
            c.stop();
        }
        s.console_finish();
        if let Some(q) = &s.queue {
            s.wait_queue_drained();
            lock(&q.state).stop = true;
            q.jobs_cv.notify_all();
            if let Some(h) = lock(&self.writer).take() {
                let _ = h.join();
            }
        }
        if let Err(e) = s.check_failed() {
            // Nothing more can be written; close the log.
            lock(&s.log).file = None;
            return Err(e);
        }
        let mut log = lock(&s.log);
        if let Err(e) = log.check_identity() {
            log.file = None;
            *lock(&s.failed) = Some(e.clone());
            return Err(e);
        }
        let snap = log.snapshot();
        let mut buf = std::mem::take(&mut log.buf);
        buf.clear();
        let rt = s.start.elapsed();
        log.append(
            proto::record::SUMMARY,
            &record::runtime_summary(rt.as_secs() as i64),
            None,
            &mut buf,
        );
        log.commit_pending(s.start, &mut buf);
        let rt = s.start.elapsed();
        log.append(
            proto::record::EXIT,
            &record::exit(exit_code, rt.as_secs() as i64),
            Some(&s.id),
            &mut buf,
        );
        let r = log.write(&buf, s.fsync != FsyncPolicy::Never);
        log.buf = buf;
        match r {
            Ok(()) => {
                log.commit();
                log.file = None;
                drop(log);
                let lost = s.check_lost();
                // Online: wait (bounded) for the uploader to send everything up to the exit
                // record.
                let uploaded = match lock(&self.uploader).take() {
                    Some(u) => u.finish(timeout, by_default).map(|_| ()),
                    None => Ok(()),
                };
                lost.and(uploaded)
            }
            Err(e) if log.file.is_some() && lock(&s.failed).is_none() => {
                // Rolled back to the last complete record: finish can be retried (e.g.
                // after space was freed); the run stays open until then.
                log.restore(snap);
                drop(log);
                s.finished.store(false, Ordering::SeqCst);
                Err(e)
            }
            Err(e) => {
                log.file = None;
                Err(e)
            }
        }
    }
}

/// Removes a directory tree when dropped, unless disarmed (`.0 = None`).
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// `os.path.abspath`: joined with the working directory and normalised lexically (`.` and
/// `..` components removed; symlinks are not resolved).
pub fn absolute_path(p: &Path) -> Result<PathBuf> {
    use std::path::Component;
    let abs = std::path::absolute(p).map_err(|e| Error::io(p.display(), e))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    Ok(out)
}

/// `dict.update`: existing keys keep their position.
fn merge_config(config: &mut Vec<(String, Json)>, items: Vec<(String, Json)>) {
    for (k, v) in items {
        match config.iter_mut().find(|(ck, _)| *ck == k) {
            Some(slot) => slot.1 = v,
            None => config.push((k, v)),
        }
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|p| seen.insert(p.clone()));
    v
}

/// Config values: what `json.dumps` accepts after the SDK's `json_friendly` (no media).
fn config_json(key: &str, v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i),
        Value::Float(f) => Json::Float(*f),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => j.clone(),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|i| config_json(key, i))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(m) => Json::Object(
            m.iter()
                .map(|(k, i)| Ok((k.clone(), config_json(key, i)?)))
                .collect::<Result<_>>()?,
        ),
        Value::Array(a) => {
            fn nest(shape: &[usize], data: &[crate::tensor::Scalar]) -> Json {
                use crate::tensor::Scalar;
                match shape.split_first() {
                    None => match data.first() {
                        Some(Scalar::Int(i)) => Json::Int(*i),
                        Some(Scalar::UInt(u)) => Json::UInt(*u),
                        Some(Scalar::F32(f)) => Json::Float(f64::from(*f)),
                        Some(Scalar::F64(f)) => Json::Float(*f),
                        Some(Scalar::Bool(b)) => Json::Bool(*b),
                        None => Json::Null,
                    },
                    Some((&n, rest)) => {
                        let stride: usize = rest.iter().product();
                        Json::Array(
                            (0..n)
                                .map(|i| {
                                    nest(
                                        rest,
                                        data.get(i * stride..(i + 1) * stride).unwrap_or(&[]),
                                    )
                                })
                                .collect(),
                        )
                    }
                }
            }
            nest(&a.shape, &a.scalars())
        }
        Value::Histogram(_) | Value::Media(_) => {
            return Err(Error::invalid(format!(
                "config[{key:?}]: media and histograms cannot be stored in the config"
            )))
        }
    })
}

/// A call's place in the append order (taken when the call starts).
struct Turn<'a> {
    shared: &'a Shared,
    ticket: u64,
    done: bool,
}

impl Turn<'_> {
    fn wait(&self) {
        let mut t = lock(&self.shared.turn);
        while *t != self.ticket {
            t = self
                .shared
                .turn_cv
                .wait(t)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
    fn advance(mut self) {
        self.pass();
    }
    fn pass(&mut self) {
        if self.done {
            return;
        }
        self.wait();
        *lock(&self.shared.turn) += 1;
        self.shared.turn_cv.notify_all();
        self.done = true;
    }
}

impl Drop for Turn<'_> {
    /// A call that failed (or panicked) still hands the turn on, after its predecessors.
    fn drop(&mut self) {
        self.pass();
    }
}

/// Starts `console=redirect` feeding the run (a weak reference: the capture never keeps a
/// dropped run alive).
#[cfg(unix)]
fn console_capture(shared: &Arc<Shared>) -> Result<Option<console::Capture>> {
    let weak = Arc::downgrade(shared);
    let feed = move |stream: console::Stream, bytes: &[u8]| {
        if let Some(s) = weak.upgrade() {
            let _ = s.console_write(stream, bytes);
        }
    };
    console::Capture::start(Box::new(feed)).map(Some)
}

#[cfg(not(unix))]
fn console_capture(_shared: &Arc<Shared>) -> Result<Option<console::Capture>> {
    crate::diag::warn("console=redirect is not supported on this platform: using wrap");
    Ok(None)
}

impl Shared {
    fn console_write(&self, stream: console::Stream, bytes: &[u8]) -> Result<()> {
        let mut g = lock(&self.console);
        let Some(st) = g.as_mut() else {
            return Ok(());
        };
        let text = st.decode(stream, bytes);
        self.console_text(st, stream, &text)
    }

    fn console_text(
        &self,
        st: &mut console::State,
        stream: console::Stream,
        text: &str,
    ) -> Result<()> {
        let ts = unix_now();
        for piece in console::split_text(text, console::MAX_RECORD_TEXT) {
            self.submit(Job::Record {
                field: proto::record::OUTPUT_RAW,
                body: record::output_raw(stream == console::Stream::Stderr, ts, piece),
                stream: true,
            })?;
            st.feed(stream, piece, ts);
        }
        Ok(())
    }

    /// Flushes undecoded bytes and brings `output.log` up to date (at finish).
    fn console_finish(&self) {
        let mut g = lock(&self.console);
        let Some(st) = g.as_mut() else { return };
        for stream in [console::Stream::Stdout, console::Stream::Stderr] {
            let rest = st.finish_carry(stream);
            if !rest.is_empty() {
                let _ = self.console_text(st, stream, &rest);
            }
        }
        if let Err(e) = st.flush() {
            crate::diag::warn(&format!("console log: {e}"));
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.finished.load(Ordering::SeqCst) {
            return Err(Error::state("the run is finished"));
        }
        self.check_failed()
    }

    fn check_failed(&self) -> Result<()> {
        match &*lock(&self.failed) {
            Some(e) => Err(Error::new(
                e.kind,
                format!(
                    "the run log is unusable after an earlier error: {}",
                    e.message
                ),
            )),
            None => Ok(()),
        }
    }

    /// Reports (once) calls lost in async mode since the last report.
    fn check_lost(&self) -> Result<()> {
        let lost = self.lost.load(Ordering::SeqCst);
        let reported = self.lost_reported.swap(lost, Ordering::SeqCst);
        if lost > reported {
            let why = lock(&self.lost_error)
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            return Err(Error::new(
                crate::error::ErrorKind::Io,
                format!(
                    "{} queued call(s) lost ({lost} in total, see lost_calls): {why}",
                    lost - reported
                ),
            ));
        }
        Ok(())
    }

    /// Records a write error: a rolled-back log stays usable; otherwise the run is failed.
    fn note_write_error(&self, log: &Log, e: &Error) {
        if log.file.is_none() {
            *lock(&self.failed) = Some(e.clone());
        }
    }

    /// Appends a job's records (synchronous mode) or queues it (async mode).
    fn submit(&self, job: Job) -> Result<()> {
        match &self.queue {
            None => {
                let mut log = lock(&self.log);
                if log.file.is_none() {
                    return Err(Error::state("the run is finished"));
                }
                let snap = log.snapshot();
                let mut buf = std::mem::take(&mut log.buf);
                buf.clear();
                log.apply(job, self, &mut buf);
                let r = log.write(&buf, self.fsync == FsyncPolicy::Always);
                log.buf = buf;
                match &r {
                    Ok(()) => log.commit(),
                    Err(e) => {
                        log.restore(snap);
                        self.note_write_error(&log, e);
                    }
                }
                r
            }
            Some(q) => {
                let mut st = lock(&q.state);
                while st.jobs.len() >= q.depth && !st.stop {
                    st = q.space_cv.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                if st.stop {
                    return Err(Error::state("the run is finished"));
                }
                st.jobs.push_back(job);
                st.submitted += 1;
                drop(st);
                q.jobs_cv.notify_one();
                Ok(())
            }
        }
    }

    fn wait_queue_drained(&self) {
        if let Some(q) = &self.queue {
            let mut st = lock(&q.state);
            let target = st.submitted;
            while st.done < target {
                st = q.done_cv.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// The async writer: takes whatever is queued, appends it with one write, repeats.
    fn writer_loop(&self) {
        let Some(q) = &self.queue else { return };
        loop {
            let batch: Vec<Job> = {
                let mut st = lock(&q.state);
                while st.jobs.is_empty() && !st.stop {
                    st = q.jobs_cv.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                if st.jobs.is_empty() {
                    return;
                }
                let n = st.jobs.len().min(256);
                st.jobs.drain(..n).collect()
            };
            q.space_cv.notify_all();
            let n = batch.len() as u64;
            {
                let mut log = lock(&self.log);
                let snap = log.snapshot();
                let mut buf = std::mem::take(&mut log.buf);
                buf.clear();
                for job in batch {
                    log.apply(job, self, &mut buf);
                }
                let failed = lock(&self.failed).clone();
                let r = match failed {
                    Some(e) => Err(e),
                    None => log.write(&buf, self.fsync == FsyncPolicy::Always),
                };
                log.buf = buf;
                if r.is_ok() {
                    log.commit();
                }
                if let Err(e) = r {
                    // The batch is lost (the log was rolled back to its last complete
                    // record); the callers' OK is corrected at the next flush/finish.
                    log.restore(snap);
                    self.note_write_error(&log, &e);
                    *lock(&self.lost_error) = Some(e);
                    self.lost.fetch_add(n, Ordering::SeqCst);
                }
            }
            lock(&q.state).done += n;
            q.done_cv.notify_all();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if !self.shared.finished.load(Ordering::SeqCst) {
            let _ = self.finish(0);
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("id", &self.shared.id)
            .field("dir", &self.shared.run_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests;
