//! A native Weave client: traced calls (op name, parent, inputs, output, exception,
//! summary, attributes) with media values, delivered to a Weave trace server.
//!
//! Never stall, never lose: `start`/`end` encode the values, store media files by digest
//! and append a record to an on-disk spool ([`spool`]), then wake a background sender
//! ([`sender`]) that uploads files and batches completed calls. The spool survives
//! crashes, kills and outages; the next `flush`/`close`, a later client on the same
//! spool root, or `wandb-media sync` delivers what is left, exactly once (ids kept,
//! progress in `ack.json`). Offline mode only spools. Disabled mode does nothing.

pub mod encode;
pub mod ids;
pub mod sender;
pub mod spool;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::json::Json;
use crate::online::http::{Client as Http, Ctl};
use crate::online::{Mode, Resume, Settings};
use crate::value::Value;

use sender::{Progress, Target};
use spool::SpoolWriter;

/// Default trace server (hosted W&B).
pub const DEFAULT_TRACE_URL: &str = "https://trace.wandb.ai";

/// `wb_weave_options`.
#[derive(Debug, Clone, Default)]
pub struct WeaveOptions {
    pub mode: Mode,
    pub trace_server_url: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub spool_dir: Option<PathBuf>,
    pub wb_run_id: Option<String>,
}

/// Delivery status (`wb_weave_status`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub calls_sent: u64,
    pub calls_pending: u64,
    pub files_sent: u64,
    pub files_pending: u64,
    pub server_reachable: bool,
    pub last_error: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// A resolved configuration.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub mode: Mode,
    pub trace_url: String,
    pub base_url: String,
    pub api_key: Option<String>,
}

/// Options + environment → mode, URLs and key (see `wb_weave_options` in the header).
pub fn resolve(opts: &WeaveOptions) -> Result<Resolved> {
    let base_env = opts.base_url.clone().or_else(|| env("WANDB_BASE_URL"));
    let base_url = base_env
        .clone()
        .unwrap_or_else(|| crate::online::DEFAULT_BASE_URL.to_string())
        .trim_end_matches('/')
        .to_string();
    let trace_url = opts
        .trace_server_url
        .clone()
        .or_else(|| env("WF_TRACE_SERVER_URL"))
        .or_else(|| base_env.map(|b| format!("{}/traces", b.trim_end_matches('/'))))
        .unwrap_or_else(|| DEFAULT_TRACE_URL.to_string())
        .trim_end_matches('/')
        .to_string();
    for (what, u) in [("trace_server_url", &trace_url), ("base_url", &base_url)] {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(Error::invalid(format!(
                "{what} {u:?} must start with http:// or https://"
            )));
        }
    }
    let api_key = opts
        .api_key
        .clone()
        .or_else(|| env("WANDB_API_KEY"))
        .or_else(|| crate::online::netrc_key(&base_url));
    let mode = match opts.mode {
        Mode::Auto => {
            if env("WEAVE_DISABLED").is_some_and(|v| truthy(&v)) {
                Mode::Disabled
            } else {
                match env("WANDB_MODE").and_then(|v| Mode::parse(&v)) {
                    Some(m) if m != Mode::Auto => m,
                    _ if api_key.is_some() => Mode::Online,
                    _ => Mode::Offline,
                }
            }
        }
        m => m,
    };
    if mode == Mode::Online && api_key.is_none() {
        return Err(Error::invalid(
            "online mode needs an API key: set options.api_key, WANDB_API_KEY, or run `wandb login`",
        ));
    }
    Ok(Resolved {
        mode,
        trace_url,
        base_url,
        api_key,
    })
}

/// `"entity/project"` or `"project"` → (entity, project).
pub fn split_project(p: &str) -> Result<(Option<String>, String)> {
    let bad = |why: &str| Error::invalid(format!("project {p:?}: {why}"));
    let parts: Vec<&str> = p.split('/').collect();
    let (e, name) = match parts.as_slice() {
        [name] => (None, *name),
        [e, name] => (Some(*e), *name),
        _ => return Err(bad("use \"entity/project\" or \"project\"")),
    };
    if name.trim().is_empty() || e.is_some_and(|e| e.trim().is_empty()) {
        return Err(bad("entity and project must not be empty"));
    }
    Ok((e.map(str::to_string), name.to_string()))
}

/// The `weave` attributes the client adds to every call (the Python client adds its
/// `client_version`, `source` and OS/interpreter facts under the same key).
fn client_attributes() -> Json {
    Json::object([(
        "weave",
        Json::object([
            ("client_version", Json::str(crate::VERSION)),
            ("source", Json::str("wandb-media")),
            ("os_name", Json::str(os_name())),
            ("os_release", Json::str(std::env::consts::ARCH)),
            (
                "sys_version",
                Json::str(format!("wandb-media {} (native)", crate::VERSION)),
            ),
        ]),
    )])
}

fn os_name() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "windows" => "Windows",
        other => other,
    }
}

struct Wake {
    seq: Mutex<u64>,
    cv: Condvar,
}

impl Wake {
    fn notify(&self) {
        *self.seq.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.cv.notify_all();
    }
    fn wait(&self, d: Duration) {
        let g = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        let seen = *g;
        let _ = self
            .cv
            .wait_timeout_while(g, d, |s| *s == seen)
            .map_err(|p| p.into_inner());
    }
}

pub(crate) struct Shared {
    dir: PathBuf,
    writer: Mutex<Option<SpoolWriter>>,
    run_id: Mutex<Option<String>>,
    online: bool,
    trace_url: String,
    /// Calls started and neither ended nor abandoned.
    open_calls: AtomicU64,
    /// Calls handed to the spool for delivery (ended, abandoned, or open at close).
    calls_done: AtomicU64,
    files_written: AtomicU64,
    progress: Progress,
    wake: Wake,
    ctl: Arc<Ctl>,
    attrs: Json,
}

impl Shared {
    fn append(&self, rec: &Json, files: &[encode::FileRef]) -> Result<()> {
        let mut g = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let w = g
            .as_mut()
            .ok_or_else(|| Error::state("the weave client is closed"))?;
        for f in files {
            if w.add_file(f)? {
                self.files_written.fetch_add(1, Ordering::SeqCst);
            }
        }
        w.append(rec)
    }

    fn status(&self) -> Status {
        let p = self.progress.get();
        let done = self.calls_done.load(Ordering::SeqCst);
        let files = self.files_written.load(Ordering::SeqCst);
        Status {
            calls_sent: p.calls_sent,
            calls_pending: done.saturating_sub(p.calls_sent + p.calls_rejected),
            files_sent: p.files_sent,
            files_pending: files.saturating_sub(p.files_sent + p.files_rejected),
            server_reachable: p.reachable,
            last_error: p.last_error,
        }
    }
}

/// A Weave client (`wb_weave_client`). Thread-safe.
pub struct Client {
    shared: Option<Arc<Shared>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    closed: AtomicBool,
}

/// One started call (`wb_weave_call`).
pub struct Call {
    pub id: String,
    pub trace_id: String,
    shared: Option<Arc<Shared>>,
    ended: AtomicBool,
}

impl Client {
    /// Opens a client for `"entity/project"` or `"project"`. Never waits for the network:
    /// entity resolution and `/server_info` happen on the sender thread.
    pub fn open(project: &str, opts: &WeaveOptions) -> Result<Client> {
        let (entity, name) = split_project(project)?;
        let r = resolve(opts)?;
        if r.mode == Mode::Disabled {
            return Ok(Client {
                shared: None,
                thread: Mutex::new(None),
                closed: AtomicBool::new(false),
            });
        }
        let root = opts
            .spool_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("weave"));
        let meta = Json::object([
            ("format", Json::str(spool::FORMAT)),
            ("version", Json::Int(1)),
            (
                "entity",
                entity.clone().map(Json::Str).unwrap_or(Json::Null),
            ),
            ("project", Json::str(name.clone())),
            ("trace_server_url", Json::str(r.trace_url.clone())),
            ("base_url", Json::str(r.base_url.clone())),
            ("created_at", Json::str(ids::now_iso())),
        ]);
        let writer = SpoolWriter::create(&root, &meta)?;
        let online = r.mode == Mode::Online;
        let shared = Arc::new(Shared {
            dir: writer.dir.clone(),
            writer: Mutex::new(Some(writer)),
            run_id: Mutex::new(opts.wb_run_id.clone()),
            online,
            trace_url: r.trace_url.clone(),
            open_calls: AtomicU64::new(0),
            calls_done: AtomicU64::new(0),
            files_written: AtomicU64::new(0),
            progress: Progress::default(),
            wake: Wake {
                seq: Mutex::new(0),
                cv: Condvar::new(),
            },
            ctl: Ctl::new(),
            attrs: client_attributes(),
        });
        let mut thread = None;
        if online {
            let target = make_target(&r, entity, name)?;
            let s = shared.clone();
            let spawned = std::thread::Builder::new()
                .name("wandb-media-weave".into())
                .spawn(move || sender_thread(s, target, root));
            match spawned {
                Ok(h) => thread = Some(h),
                Err(e) => {
                    return Err(Error::io("starting the weave sender thread", e));
                }
            }
        }
        Ok(Client {
            shared: Some(shared),
            thread: Mutex::new(thread),
            closed: AtomicBool::new(false),
        })
    }

    /// The spool directory of this client (`None` when disabled).
    pub fn spool_dir(&self) -> Option<&Path> {
        self.shared.as_ref().map(|s| s.dir.as_path())
    }

    pub fn is_disabled(&self) -> bool {
        self.shared.is_none()
    }

    /// Later calls carry `wb_run_id` (`"<entity>/<project>/<run id>"` as the Python client
    /// sends inside `wandb.init`); `None` detaches.
    pub fn set_run_id(&self, id: Option<String>) {
        if let Some(s) = &self.shared {
            *s.run_id.lock().unwrap_or_else(|p| p.into_inner()) = id;
        }
    }

    /// Starts a call. `inputs` must be a dict (or `None` = `{}`); `attributes` a JSON object.
    pub fn start(
        &self,
        op_name: &str,
        parent: Option<&Call>,
        inputs: Option<&Value>,
        attributes: Option<Json>,
    ) -> Result<Call> {
        if op_name.trim().is_empty() {
            return Err(Error::invalid("op_name must not be empty"));
        }
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::state("the weave client is closed"));
        }
        let id = ids::uuid_v7();
        let trace_id = parent
            .map(|p| p.trace_id.clone())
            .unwrap_or_else(ids::uuid_v7);
        let Some(s) = &self.shared else {
            return Ok(Call {
                id,
                trace_id,
                shared: None,
                ended: AtomicBool::new(false),
            });
        };
        let mut files = Vec::new();
        let inputs = encode::encode_inputs(inputs, &mut files)?;
        let mut attrs = match attributes {
            None => Json::Object(Vec::new()),
            Some(a @ Json::Object(_)) => a,
            Some(_) => return Err(Error::invalid("attributes_json must be a JSON object")),
        };
        if attrs.get("weave").is_none() {
            if let Some(w) = s.attrs.get("weave") {
                attrs.set("weave", w.clone());
            }
        }
        let run_id = s.run_id.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let call = Json::object([
            ("id", Json::str(id.clone())),
            ("trace_id", Json::str(trace_id.clone())),
            (
                "parent_id",
                parent
                    .map(|p| Json::str(p.id.clone()))
                    .unwrap_or(Json::Null),
            ),
            ("op_name", Json::str(op_name)),
            ("display_name", Json::Null),
            ("started_at", Json::str(ids::now_iso())),
            ("attributes", attrs),
            ("inputs", inputs),
            ("wb_run_id", run_id.map(Json::Str).unwrap_or(Json::Null)),
        ]);
        let rec = Json::object([("k", Json::str("start")), ("call", call)]);
        s.append(&rec, &files)?;
        s.open_calls.fetch_add(1, Ordering::SeqCst);
        Ok(Call {
            id,
            trace_id,
            shared: Some(s.clone()),
            ended: AtomicBool::new(false),
        })
    }

    /// Waits up to `timeout` for everything spooled to be delivered. Offline: nothing is
    /// sent (`Ok`, the pending counts say what waits for `wandb-media sync`).
    pub fn flush(&self, timeout: Duration) -> (Status, Result<()>) {
        let Some(s) = &self.shared else {
            return (Status::default(), Ok(()));
        };
        if let Some(w) = s.writer.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = w.sync_data();
        }
        if !s.online {
            return (s.status(), Ok(()));
        }
        s.wake.notify();
        let deadline = Instant::now() + timeout;
        loop {
            let st = s.status();
            let p = s.progress.get();
            let pending = st.calls_pending + st.files_pending;
            let rejected = p.calls_rejected + p.files_rejected;
            if pending == 0 && rejected == 0 {
                return (st, Ok(()));
            }
            let now = Instant::now();
            if pending == 0 || p.auth_failed || now >= deadline || p.finished {
                let why = if st.last_error.is_empty() {
                    "the server did not answer in time".to_string()
                } else {
                    st.last_error.clone()
                };
                let msg = if pending == 0 {
                    format!(
                        "{} calls and {} files were refused by the trace server {}: {why}",
                        p.calls_rejected, p.files_rejected, s.trace_url
                    )
                } else {
                    format!(
                        "{} calls and {} files not delivered to {} within {:.1} s ({why}); they stay in the spool {} for the next flush or `wandb-media sync`",
                        st.calls_pending,
                        st.files_pending,
                        s.trace_url,
                        timeout.as_secs_f64(),
                        s.dir.display()
                    )
                };
                return (st, Err(Error::new(ErrorKind::Network, msg)));
            }
            let g = s.progress.state.lock().unwrap_or_else(|p| p.into_inner());
            let left = deadline - now;
            let _ = s
                .progress
                .cv
                .wait_timeout(g, left.min(Duration::from_millis(100)));
        }
    }

    /// Closes the spool (calls still open are sent as started-but-unfinished), flushes
    /// up to `timeout`, and stops the sender. Later `start`s fail with `State`.
    pub fn close(&self, timeout: Duration) -> (Status, Result<()>) {
        let Some(s) = &self.shared else {
            self.closed.store(true, Ordering::SeqCst);
            return (Status::default(), Ok(()));
        };
        if self.closed.swap(true, Ordering::SeqCst) {
            return (
                s.status(),
                Err(Error::state("the weave client is already closed")),
            );
        }
        let closed = close_writer(s);
        let (st, r) = self.flush(timeout);
        if r.is_ok() && s.online {
            // Delivered: the sender ends by itself once it has marked the spool done.
            let deadline = Instant::now() + Duration::from_secs(1);
            while !s.progress.get().finished && Instant::now() < deadline {
                let g = s.progress.state.lock().unwrap_or_else(|p| p.into_inner());
                let _ = s.progress.cv.wait_timeout(g, Duration::from_millis(20));
            }
        }
        self.stop(Duration::from_secs(1));
        let r = closed.and(r);
        (st, r)
    }

    /// Stops the sender, waiting at most `grace` for it to end (it is left to finish its
    /// current request otherwise; what was not sent stays in the spool).
    fn stop(&self, grace: Duration) {
        let Some(s) = &self.shared else { return };
        s.ctl.abort.store(true, Ordering::SeqCst);
        s.wake.notify();
        let deadline = Instant::now() + grace;
        loop {
            if s.progress.get().finished {
                if let Some(h) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    let _ = h.join();
                }
                return;
            }
            let now = Instant::now();
            if now >= deadline || self.thread.lock().map(|t| t.is_none()).unwrap_or(true) {
                // Detach: the thread ends by itself after its current request.
                drop(self.thread.lock().unwrap_or_else(|p| p.into_inner()).take());
                return;
            }
            let g = s.progress.state.lock().unwrap_or_else(|p| p.into_inner());
            let _ = s
                .progress
                .cv
                .wait_timeout(g, (deadline - now).min(Duration::from_millis(20)));
        }
    }

    pub fn status(&self) -> Status {
        self.shared.as_ref().map(|s| s.status()).unwrap_or_default()
    }
}

fn close_writer(s: &Shared) -> Result<()> {
    let mut g = s.writer.lock().unwrap_or_else(|p| p.into_inner());
    let Some(mut w) = g.take() else {
        return Ok(());
    };
    let open = s.open_calls.swap(0, Ordering::SeqCst);
    s.calls_done.fetch_add(open, Ordering::SeqCst);
    let r = w
        .append(&Json::object([("k", Json::str("close"))]))
        .and_then(|_| w.sync_data());
    drop(w);
    drop(g);
    s.wake.notify();
    r
}

impl Drop for Client {
    /// `wb_weave_client_free`: closes the spool and stops the sender within ~1 s.
    fn drop(&mut self) {
        if let Some(s) = &self.shared {
            if !self.closed.swap(true, Ordering::SeqCst) {
                let _ = close_writer(s);
                if s.online {
                    // A short grace to deliver what is quick to deliver.
                    let deadline = Instant::now() + Duration::from_millis(500);
                    while Instant::now() < deadline {
                        let st = s.status();
                        if st.calls_pending + st.files_pending == 0 {
                            break;
                        }
                        let g = s.progress.state.lock().unwrap_or_else(|p| p.into_inner());
                        let _ = s.progress.cv.wait_timeout(g, Duration::from_millis(20));
                    }
                }
            }
        }
        self.stop(Duration::from_millis(500));
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Call({} in trace {})", self.id, self.trace_id)
    }
}

impl Call {
    /// Ends the call with an output (`None` = null), or an exception text, and a summary.
    pub fn end(
        &self,
        output: Option<&Value>,
        exception: Option<&str>,
        summary: Option<Json>,
    ) -> Result<()> {
        let summary = match summary {
            None => Json::Object(Vec::new()),
            Some(j @ Json::Object(_)) => j,
            Some(_) => return Err(Error::invalid("summary_json must be a JSON object")),
        };
        let Some(s) = &self.shared else {
            if self.ended.swap(true, Ordering::SeqCst) {
                return Err(Error::state("the call was already ended"));
            }
            return Ok(());
        };
        let mut files = Vec::new();
        let output = match output {
            None => Json::Null,
            Some(v) => encode::encode_value(v, &mut files)?,
        };
        if self.ended.swap(true, Ordering::SeqCst) {
            return Err(Error::state("the call was already ended"));
        }
        let call = Json::object([
            ("id", Json::str(self.id.clone())),
            ("ended_at", Json::str(ids::now_iso())),
            ("output", output),
            ("summary", summary),
            ("exception", exception.map(Json::str).unwrap_or(Json::Null)),
        ]);
        let rec = Json::object([("k", Json::str("end")), ("call", call)]);
        if let Err(e) = s.append(&rec, &files) {
            self.ended.store(false, Ordering::SeqCst);
            return Err(e);
        }
        s.open_calls.fetch_sub(1, Ordering::SeqCst);
        s.calls_done.fetch_add(1, Ordering::SeqCst);
        s.wake.notify();
        Ok(())
    }
}

impl Drop for Call {
    /// A call freed without `end` is sent as started-but-unfinished.
    fn drop(&mut self) {
        if self.ended.load(Ordering::SeqCst) {
            return;
        }
        if let Some(s) = &self.shared {
            let rec = Json::object([
                ("k", Json::str("abandon")),
                ("id", Json::str(self.id.clone())),
            ]);
            if s.append(&rec, &[]).is_ok() {
                s.open_calls.fetch_sub(1, Ordering::SeqCst);
                s.calls_done.fetch_add(1, Ordering::SeqCst);
                s.wake.notify();
            }
        }
    }
}

fn make_target(r: &Resolved, entity: Option<String>, project: String) -> Result<Target> {
    let key = r.api_key.clone().unwrap_or_default();
    let ts = Settings::resolve(Some(&r.trace_url), Some(&key), Some(Resume::Never))?;
    let gs = Settings::resolve(Some(&r.base_url), Some(&key), Some(Resume::Never))?;
    Ok(Target {
        trace_url: r.trace_url.clone(),
        project,
        entity: Mutex::new(entity),
        http: Http::new(&ts)?,
        gql: Http::new(&gs)?,
    })
}

fn sender_thread(s: Arc<Shared>, target: Target, root: PathBuf) {
    let wait = |d: Duration| s.wake.wait(d);
    // Spools left by earlier processes (crashed, killed, or closed before delivery) for the
    // same server and project go first, then this client's own.
    for dir in spool::find_spools(&root) {
        if dir == s.dir || s.ctl.aborted() {
            continue;
        }
        if !leftover_for(&dir, &target) {
            continue;
        }
        let Ok(Some(_lock)) = spool::DirLock::try_acquire(&dir) else {
            continue;
        };
        let progress = Progress::default();
        match sender::run(&dir, &target, &s.ctl, &progress, false, &wait) {
            Ok(true) => {}
            Ok(false) => {}
            Err(e) => crate::online::warn(&format!(
                "weave: leftover spool {}: {}",
                dir.display(),
                e.message
            )),
        }
    }
    if let Err(e) = sender::run(&s.dir, &target, &s.ctl, &s.progress, true, &wait) {
        s.progress
            .update(|p| p.last_error = format!("weave sender stopped: {}", e.message));
    }
    s.progress.update(|p| p.finished = true);
}

/// Whether an earlier spool under the same root belongs to this server and project and
/// still has something to send.
fn leftover_for(dir: &Path, t: &Target) -> bool {
    if dir.join(spool::DONE_NAME).exists() {
        return false;
    }
    let Ok(meta) = spool::read_meta(dir) else {
        return false;
    };
    let entity = t.entity.lock().unwrap_or_else(|p| p.into_inner()).clone();
    meta.get("trace_server_url").and_then(Json::as_str) == Some(t.trace_url.as_str())
        && meta.get("project").and_then(Json::as_str) == Some(t.project.as_str())
        && meta
            .get("entity")
            .and_then(Json::as_str)
            .map(str::to_string)
            == entity
}

/// Result of syncing one spool directory.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    pub calls_sent: u64,
    pub files_sent: u64,
    pub already_done: bool,
}

/// `wandb-media sync` of one spool directory: delivers what is left (the writer must be
/// gone: a spool locked by a running client is refused).
pub fn sync_spool(
    dir: &Path,
    trace_url: Option<&str>,
    base_url: Option<&str>,
    api_key: Option<&str>,
    timeout: Option<Duration>,
) -> Result<SyncOutcome> {
    let meta = spool::read_meta(dir)?;
    if dir.join(spool::DONE_NAME).exists() {
        return Ok(SyncOutcome {
            already_done: true,
            ..Default::default()
        });
    }
    let Some(_lock) = spool::DirLock::try_acquire(dir)? else {
        return Err(Error::state(format!(
            "{} is in use by a running program (its client is still open)",
            dir.display()
        )));
    };
    let m = |k: &str| meta.get(k).and_then(Json::as_str).map(str::to_string);
    let opts = WeaveOptions {
        mode: Mode::Online,
        trace_server_url: trace_url
            .map(str::to_string)
            .or_else(|| env("WF_TRACE_SERVER_URL"))
            .or_else(|| base_url.map(|b| format!("{}/traces", b.trim_end_matches('/'))))
            .or_else(|| {
                env("WANDB_BASE_URL")
                    .is_none()
                    .then(|| m("trace_server_url"))
                    .flatten()
            }),
        base_url: base_url.map(str::to_string).or_else(|| {
            env("WANDB_BASE_URL")
                .is_none()
                .then(|| m("base_url"))
                .flatten()
        }),
        api_key: api_key.map(str::to_string),
        ..Default::default()
    };
    let r = resolve(&opts)?;
    let project = m("project").ok_or_else(|| Error::invalid("spool meta.json has no project"))?;
    let target = make_target(&r, m("entity"), project)?;
    let ctl = Ctl::new();
    if let Some(t) = timeout {
        ctl.set_deadline(Some(Instant::now() + t));
    }
    let progress = Progress::default();
    let before = spool::Ack::load(dir);
    let deadline_wait = |d: Duration| std::thread::sleep(d.min(Duration::from_millis(50)));
    let drained = sender::run(dir, &target, &ctl, &progress, false, &deadline_wait)?;
    let p = progress.get();
    let out = SyncOutcome {
        calls_sent: p.calls_sent.saturating_sub(before.calls_sent),
        files_sent: p.files_sent.saturating_sub(before.files_sent),
        already_done: false,
    };
    if drained && p.calls_rejected + p.files_rejected == 0 {
        return Ok(out);
    }
    let why = if p.last_error.is_empty() {
        "stopped before the end".to_string()
    } else {
        p.last_error
    };
    Err(Error::new(
        ErrorKind::Network,
        format!(
            "{}: not everything was delivered to {} ({} calls and {} files sent, {} calls refused): {why}",
            dir.display(),
            target.trace_url,
            out.calls_sent,
            out.files_sent,
            p.calls_rejected
        ),
    ))
}

/// Counts of a spool's records (for tests and `sync` reports): (starts, ends, abandons,
/// files, closed).
pub fn spool_counts(dir: &Path) -> Result<(u64, u64, u64, u64, bool)> {
    let mut r = spool::SpoolReader::open(&dir.join(spool::LOG_NAME), 0)?;
    let (mut s, mut e, mut a, mut f, mut c) = (0, 0, 0, 0, false);
    while let spool::Next::Record { payload, .. } = r.next_record()? {
        let j = Json::parse(&String::from_utf8_lossy(&payload))?;
        match j.get("k").and_then(Json::as_str) {
            Some("start") => s += 1,
            Some("end") => e += 1,
            Some("abandon") => a += 1,
            Some("file") => f += 1,
            Some("close") => c = true,
            _ => {}
        }
    }
    Ok((s, e, a, f, c))
}

#[cfg(test)]
mod tests;

/// `wandb-media sync PATH` for Weave spools: `None` when `path` is neither a spool nor a
/// directory holding spools (the caller treats it as a run directory); else prints one
/// line per spool and returns whether all of them were delivered.
pub fn sync_cli(
    path: &Path,
    trace_url: Option<&str>,
    base_url: Option<&str>,
    api_key: Option<&str>,
    timeout: Option<Duration>,
) -> Option<bool> {
    let spools = spool::find_spools(path);
    if spools.is_empty() {
        return None;
    }
    let mut ok = true;
    for d in spools {
        match sync_spool(&d, trace_url, base_url, api_key, timeout) {
            Ok(o) if o.already_done => println!("{}: already synced, skipped", d.display()),
            Ok(o) => println!(
                "{}: weave spool synced ({} calls, {} files)",
                d.display(),
                o.calls_sent,
                o.files_sent
            ),
            Err(e) => {
                eprintln!("{}: weave sync failed: {}", d.display(), e.message);
                ok = false;
            }
        }
    }
    Some(ok)
}
