//! Delivery of a spool to the trace server: files first (`POST /file/create`), then
//! completed calls in batches (`POST /v2/{entity}/{project}/calls/complete`, or the legacy
//! `POST /call/upsert_batch` on servers without that route), calls that never ended as
//! started-but-unfinished (`call/start` only). Used by the client's background thread
//! (a live spool, which the host keeps appending to until its `close` record) and by
//! `wandb-media sync` (a spool whose writer is gone).
//!
//! Exactly once: the ids come from the spool (never regenerated); progress is saved in
//! `ack.json` after every delivery; a batch re-sent after a crash between delivery and
//! ack is answered "duplicate id" by a strict server, which counts as delivered.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::Result;
use crate::json::Json;
use crate::online::http::{multipart, Answer, Client, Ctl};

use super::spool::{self, Ack, Next, SpoolReader, FILES_DIR, LOG_NAME};

/// Batches stay below this many bytes of JSON (the server's limit is 32 MiB).
pub const MAX_BATCH_BYTES: usize = 31 << 20;
/// And below this many calls.
pub const MAX_BATCH_CALLS: usize = 1000;
/// Calls/files read ahead of delivery (bytes of call JSON held in memory at most, plus
/// one record): the spool on disk is the queue, this is only its window.
pub const QUEUE_MAX_BYTES: usize = 32 << 20;
const QUEUE_MAX_ITEMS: usize = 20_000;

/// Where a spool goes.
pub struct Target {
    /// Trace server base URL (no trailing slash).
    pub trace_url: String,
    /// Project name (without entity).
    pub project: String,
    /// Entity, or `None` to resolve with GraphQL `viewer` on `gql` first.
    pub entity: Mutex<Option<String>>,
    /// Trace server client (auth `api:<key>`).
    pub http: Client,
    /// W&B API client for GraphQL (entity resolution).
    pub gql: Client,
}

/// Counters and state shared with the waiting host thread.
#[derive(Debug, Default, Clone)]
pub struct PState {
    pub calls_sent: u64,
    pub files_sent: u64,
    /// Calls/files the server refused permanently (4xx other than auth): not delivered.
    pub calls_rejected: u64,
    pub files_rejected: u64,
    pub reachable: bool,
    pub last_error: String,
    pub auth_failed: bool,
    /// The log was closed and everything in it handled.
    pub drained: bool,
    /// The sender thread ended.
    pub finished: bool,
}

#[derive(Debug, Default)]
pub struct Progress {
    pub state: Mutex<PState>,
    pub cv: Condvar,
}

impl Progress {
    pub fn update(&self, f: impl FnOnce(&mut PState)) {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g);
        drop(g);
        self.cv.notify_all();
    }
    pub fn get(&self) -> PState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Files uploaded at once.
const PARALLEL_UPLOADS: usize = 4;

enum Outcome {
    Sent,
    Refused(String),
}

enum Item {
    File {
        rec: u64,
        digest: String,
        name: String,
        ct: String,
    },
    Complete {
        rec: u64,
        start_off: u64,
        start: Json,
        end: Json,
        size: usize,
    },
    StartOnly {
        rec: u64,
        start_off: u64,
        start: Json,
    },
}

impl Item {
    fn rec(&self) -> u64 {
        match self {
            Item::File { rec, .. } | Item::Complete { rec, .. } | Item::StartOnly { rec, .. } => {
                *rec
            }
        }
    }
    fn start_off(&self) -> Option<u64> {
        match self {
            Item::File { .. } => None,
            Item::Complete { start_off, .. } | Item::StartOnly { start_off, .. } => {
                Some(*start_off)
            }
        }
    }
    fn bytes(&self) -> usize {
        match self {
            Item::File { .. } => 128,
            Item::Complete { size, .. } => *size,
            Item::StartOnly { .. } => 1024,
        }
    }
}

fn dup_answer(a: &Answer) -> bool {
    let t = a.text(2000).to_ascii_lowercase();
    t.contains("duplicate") || t.contains("already exists") || t.contains("unique constraint")
}

fn complete_mode_required(a: &Answer) -> bool {
    a.text(2000).contains("CALLS_COMPLETE_MODE_REQUIRED")
}

/// The delivery state of one spool.
pub struct Deliverer<'a> {
    dir: PathBuf,
    target: &'a Target,
    ctl: &'a Ctl,
    progress: &'a Progress,
    /// A writer may still append (until its `close` record).
    live: bool,
    reader: SpoolReader,
    ack: Ack,
    saved: Ack,
    open: HashMap<String, (u64, Json)>,
    queue: VecDeque<Item>,
    queue_bytes: usize,
    uploaded: HashSet<String>,
    /// End offset of the last record handled.
    handled: u64,
    /// The log is finished (close record, or the end of a dead writer's log).
    pub log_done: bool,
    /// `calls/complete` (true) or the legacy `call/upsert_batch` (false).
    complete_mode: bool,
    batch_cap: usize,
    server_info_done: bool,
}

impl<'a> Deliverer<'a> {
    pub fn new(
        dir: &Path,
        target: &'a Target,
        ctl: &'a Ctl,
        progress: &'a Progress,
        live: bool,
    ) -> Result<Deliverer<'a>> {
        let ack = Ack::load(dir);
        let log = dir.join(LOG_NAME);
        let mut open = HashMap::new();
        for &off in &ack.open {
            if let Some(rec) = spool::record_at(&log, off)? {
                if let Some(call) = rec.get("call") {
                    if let Some(id) = call.get("id").and_then(Json::as_str) {
                        open.insert(id.to_string(), (off, call.clone()));
                    }
                }
            }
        }
        let reader = SpoolReader::open(&log, ack.offset)?;
        progress.update(|p| {
            p.calls_sent = ack.calls_sent;
            p.files_sent = ack.files_sent;
        });
        Ok(Deliverer {
            dir: dir.to_path_buf(),
            target,
            ctl,
            progress,
            live,
            reader,
            handled: ack.offset,
            saved: ack.clone(),
            ack,
            open,
            queue: VecDeque::new(),
            queue_bytes: 0,
            uploaded: HashSet::new(),
            log_done: false,
            complete_mode: true,
            batch_cap: MAX_BATCH_CALLS,
            server_info_done: false,
        })
    }

    /// Nothing left: the log is finished and every item handled.
    pub fn drained(&self) -> bool {
        self.log_done && self.queue.is_empty()
    }

    pub fn queue_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn push(&mut self, item: Item) {
        self.queue_bytes += item.bytes();
        self.queue.push_back(item);
    }

    fn finish_log(&mut self, at: u64) {
        let mut rest: Vec<(String, (u64, Json))> = self.open.drain().collect();
        rest.sort_by_key(|(_, (off, _))| *off);
        for (_, (off, start)) in rest {
            self.push(Item::StartOnly {
                rec: at,
                start_off: off,
                start,
            });
        }
        self.handled = self.handled.max(at);
        self.log_done = true;
    }

    fn handle(&mut self, payload: &[u8], start: u64, end: u64) {
        self.handled = end;
        let Ok(rec) = Json::parse(&String::from_utf8_lossy(payload)) else {
            crate::online::warn(&format!(
                "weave spool {}: unreadable record at offset {start} skipped",
                self.dir.display()
            ));
            return;
        };
        let s = |k: &str| rec.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        match rec.get("k").and_then(Json::as_str).unwrap_or("") {
            "file" => self.push(Item::File {
                rec: start,
                digest: s("digest"),
                name: s("name"),
                ct: s("ct"),
            }),
            "start" => {
                if let Some(call) = rec.get("call") {
                    if let Some(id) = call.get("id").and_then(Json::as_str) {
                        self.open.insert(id.to_string(), (start, call.clone()));
                    }
                }
            }
            "end" => {
                let Some(call) = rec.get("call") else { return };
                let id = call.get("id").and_then(Json::as_str).unwrap_or("");
                if let Some((off, st)) = self.open.remove(id) {
                    let size = payload.len() + st.to_compact().len();
                    self.push(Item::Complete {
                        rec: start,
                        start_off: off,
                        start: st,
                        end: call.clone(),
                        size,
                    });
                }
            }
            "abandon" => {
                let id = s("id");
                if let Some((off, st)) = self.open.remove(&id) {
                    self.push(Item::StartOnly {
                        rec: start,
                        start_off: off,
                        start: st,
                    });
                }
            }
            "close" => self.finish_log(end),
            _ => {}
        }
    }

    /// Reads records into the in-memory window.
    pub fn fill(&mut self) -> Result<()> {
        while !self.log_done
            && self.queue_bytes < QUEUE_MAX_BYTES
            && self.queue.len() < QUEUE_MAX_ITEMS
        {
            match self.reader.next_record()? {
                Next::Record {
                    payload,
                    start,
                    end,
                } => self.handle(&payload, start, end),
                Next::Pending => {
                    if !self.live {
                        let at = self.reader.position();
                        self.finish_log(at);
                    }
                    break;
                }
                Next::Corrupt { offset, reason } => {
                    crate::online::warn(&format!(
                        "weave spool {}: {reason} at offset {offset}: the records before it are sent",
                        self.dir.display()
                    ));
                    self.finish_log(offset);
                    break;
                }
            }
        }
        Ok(())
    }

    /// Saves `ack.json` when progress changed.
    pub fn save_ack(&mut self) {
        let front = self.queue.front().map(Item::rec).unwrap_or(self.handled);
        let mut open: Vec<u64> = self
            .open
            .values()
            .map(|(o, _)| *o)
            .chain(self.queue.iter().filter_map(Item::start_off))
            .filter(|&o| o < front)
            .collect();
        open.sort_unstable();
        open.dedup();
        self.ack.offset = front;
        self.ack.open = open;
        if self.ack != self.saved {
            match self.ack.save(&self.dir) {
                Ok(()) => self.saved = self.ack.clone(),
                Err(e) => crate::online::warn(&format!("weave: saving delivery progress: {e}")),
            }
        }
    }

    fn note_error(&self, msg: String, reachable: bool, auth: bool) {
        self.progress.update(|p| {
            p.last_error = msg.chars().take(500).collect();
            p.reachable = reachable;
            p.auth_failed = auth;
        });
    }

    /// One request, retried on connection errors, 429, 5xx and auth failures (with
    /// backoff, `Retry-After` honoured) until it gets another answer; `None` when the
    /// deadline passed or the sender was stopped.
    fn send(&self, what: &str, attempt: &dyn Fn() -> Result<Answer>) -> Option<Answer> {
        let (min, max) = self.target.http.retry_bounds();
        let mut wait = min;
        let mut n = 0u32;
        loop {
            if self.ctl.aborted() {
                return None;
            }
            n += 1;
            let (why, answer) = match attempt() {
                Ok(a) if a.ok() => {
                    self.progress.update(|p| {
                        p.reachable = true;
                        if !p.auth_failed {
                            p.last_error.clear();
                        }
                        p.auth_failed = false;
                    });
                    return Some(a);
                }
                Ok(a) if a.status == 401 || a.status == 403 => {
                    self.note_error(
                        format!(
                            "authentication failed ({}) at {}: check WANDB_API_KEY",
                            a.status, self.target.trace_url
                        ),
                        true,
                        true,
                    );
                    (format!("HTTP {}", a.status), Some(a))
                }
                Ok(a) if a.retryable() && !dup_answer(&a) => {
                    let why = format!("HTTP {} {}", a.status, a.text(200));
                    self.note_error(format!("{what}: {why}"), true, false);
                    (why, Some(a))
                }
                Ok(a) => return Some(a),
                Err(e) => {
                    self.note_error(
                        format!(
                            "server unreachable ({}): {}",
                            self.target.trace_url, e.message
                        ),
                        false,
                        false,
                    );
                    (e.message, None)
                }
            };
            let delay = self.target.http.retry_delay(wait, answer.as_ref());
            if n == 1 || n.is_multiple_of(10) {
                crate::online::warn(&format!(
                    "weave: {what} failed ({why}); retrying in {delay:.1?}"
                ));
            }
            if !self.ctl.sleep(delay) {
                return None;
            }
            wait = (wait * 2).min(max);
        }
    }

    fn project_id(&self) -> Option<String> {
        let e = self
            .target
            .entity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        Some(format!("{e}/{}", self.target.project))
    }

    /// Resolves the entity (GraphQL `viewer`) and asks `/server_info` once. False when
    /// stopped before the entity was known.
    pub fn prepare(&mut self) -> bool {
        while self.project_id().is_none() {
            if self.ctl.aborted() {
                return false;
            }
            let q = "query DefaultEntity { viewer { username defaultEntity { name } } }";
            match self
                .target
                .gql
                .graphql("DefaultEntity", q, Json::object::<&str>([]), self.ctl)
            {
                Ok(data) => {
                    let v = data.get("viewer");
                    let name = v
                        .and_then(|v| v.get("defaultEntity"))
                        .and_then(|d| d.get("name"))
                        .and_then(Json::as_str)
                        .or_else(|| v.and_then(|v| v.get("username")).and_then(Json::as_str));
                    match name {
                        Some(n) if !n.is_empty() => {
                            *self.target.entity.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(n.to_string());
                        }
                        _ => {
                            self.note_error(
                                format!(
                                    "the W&B API at {} has no viewer for this API key: give the project as \"entity/project\"",
                                    self.target.gql.base_url
                                ),
                                true,
                                true,
                            );
                            if !self.ctl.sleep(self.target.http.retry_bounds().1) {
                                return false;
                            }
                        }
                    }
                }
                Err(e) => {
                    let auth = e.message.contains("HTTP 401") || e.message.contains("HTTP 403");
                    self.note_error(
                        format!(
                            "resolving the default entity (GraphQL viewer): {}",
                            e.message
                        ),
                        false,
                        auth,
                    );
                    if !self.ctl.sleep(self.target.http.retry_bounds().0) {
                        return false;
                    }
                }
            }
        }
        if !self.server_info_done {
            self.server_info_done = true;
            let url = format!("{}/server_info", self.target.trace_url);
            match self.target.http.get_once("GET /server_info", &url) {
                Ok(a) if a.ok() => self.progress.update(|p| p.reachable = true),
                Ok(a) => crate::online::warn(&format!(
                    "weave: GET /server_info answered HTTP {}",
                    a.status
                )),
                Err(e) => {
                    self.note_error(
                        format!(
                            "server unreachable ({}): {}",
                            self.target.trace_url, e.message
                        ),
                        false,
                        false,
                    );
                }
            }
        }
        true
    }

    fn pop(&mut self, n: usize) {
        for _ in 0..n {
            if let Some(i) = self.queue.pop_front() {
                self.queue_bytes = self.queue_bytes.saturating_sub(i.bytes());
            }
        }
    }

    /// Delivers the front of the queue (a file, a batch of complete calls, or one
    /// unfinished call). False when stopped (deadline/abort) before it was delivered.
    pub fn deliver_front(&mut self) -> bool {
        let Some(pid) = self.project_id() else {
            return false;
        };
        let trace = self.target.trace_url.clone();
        // Files already handled leave the front.
        while let Some(Item::File { digest, .. }) = self.queue.front() {
            if !self.uploaded.contains(digest) {
                break;
            }
            self.pop(1);
        }
        // Every file in the window goes before any call (a call needs the files before it;
        // later ones early do no harm), a few uploads at a time.
        let todo: Vec<(String, String, String)> = self
            .queue
            .iter()
            .filter_map(|i| match i {
                Item::File {
                    digest, name, ct, ..
                } if !self.uploaded.contains(digest) => {
                    Some((digest.clone(), name.clone(), ct.clone()))
                }
                _ => None,
            })
            .take(PARALLEL_UPLOADS)
            .collect();
        let ok = if !todo.is_empty() {
            self.deliver_files(&pid, &trace, todo)
        } else {
            match self.queue.front() {
                None => return true,
                Some(Item::StartOnly { start, .. }) => {
                    let start = with_project(start, &pid);
                    self.deliver_start_only(&pid, &trace, start)
                }
                Some(_) => self.deliver_batch(&pid, &trace),
            }
        };
        if ok {
            self.save_ack();
        }
        ok
    }

    /// Uploads files concurrently (on this sender's own threads); false when stopped.
    fn deliver_files(
        &mut self,
        pid: &str,
        trace: &str,
        todo: Vec<(String, String, String)>,
    ) -> bool {
        let this = &*self;
        let results: Vec<Option<Outcome>> = std::thread::scope(|s| {
            let hs: Vec<_> = todo
                .iter()
                .map(|(d, n, c)| s.spawn(move || this.upload(pid, trace, d, n, c)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(None)).collect()
        });
        let mut all = true;
        for ((digest, name, _), r) in todo.into_iter().zip(results) {
            match r {
                None => all = false,
                Some(Outcome::Sent) => {
                    self.ack.files_sent += 1;
                    self.progress.update(|p| p.files_sent += 1);
                    self.uploaded.insert(digest);
                }
                Some(Outcome::Refused(msg)) => {
                    self.note_error(format!("POST /file/create {name}: {msg}"), true, false);
                    self.progress.update(|p| p.files_rejected += 1);
                    self.uploaded.insert(digest);
                }
            }
        }
        if self.uploaded.len() > 100_000 {
            // Bounded: forgetting only means a later duplicate upload of the same bytes.
            let keep: HashSet<String> = self
                .queue
                .iter()
                .filter_map(|i| match i {
                    Item::File { digest, .. } if self.uploaded.contains(digest) => {
                        Some(digest.clone())
                    }
                    _ => None,
                })
                .collect();
            self.uploaded = keep;
        }
        all
    }

    fn upload(
        &self,
        pid: &str,
        trace: &str,
        digest: &str,
        name: &str,
        ct: &str,
    ) -> Option<Outcome> {
        let path = self.dir.join(FILES_DIR).join(digest);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                return Some(Outcome::Refused(format!(
                    "spool file {} unreadable ({e})",
                    path.display()
                )))
            }
        };
        let (ctype, body) = multipart(
            &[("project_id", pid), ("expected_digest", digest)],
            "file",
            name,
            ct,
            &bytes,
        );
        drop(bytes);
        let url = format!("{trace}/file/create");
        let a = self.send("POST /file/create", &|| {
            self.target
                .http
                .post_once("POST /file/create", &url, &ctype, &body)
        })?;
        if a.ok() || dup_answer(&a) {
            if let Some(d) = Json::parse(&a.text(1000))
                .ok()
                .and_then(|j| j.get("digest").and_then(Json::as_str).map(str::to_string))
            {
                if d != digest {
                    crate::online::warn(&format!(
                        "weave: server digest {d} differs from ours {digest} for {name}"
                    ));
                }
            }
            Some(Outcome::Sent)
        } else {
            Some(Outcome::Refused(format!(
                "HTTP {} {}",
                a.status,
                a.text(300)
            )))
        }
    }

    fn deliver_start_only(&mut self, pid: &str, trace: &str, start: Json) -> bool {
        loop {
            let (what, url, body) = if self.complete_mode {
                (
                    "POST call/start",
                    format!("{trace}/v2/{pid}/call/start"),
                    Json::object([("start", start.clone())]).to_compact(),
                )
            } else {
                (
                    "POST /call/upsert_batch",
                    format!("{trace}/call/upsert_batch"),
                    Json::object([(
                        "batch",
                        Json::Array(vec![Json::object([
                            ("mode", Json::str("start")),
                            ("req", Json::object([("start", start.clone())])),
                        ])]),
                    )])
                    .to_compact(),
                )
            };
            let Some(a) = self.send(what, &|| {
                self.target
                    .http
                    .post_once(what, &url, "application/json", body.as_bytes())
            }) else {
                return false;
            };
            if a.ok() || dup_answer(&a) {
                self.ack.calls_sent += 1;
                self.progress.update(|p| p.calls_sent += 1);
            } else if self.complete_mode && a.status == 404 {
                self.complete_mode = false;
                continue;
            } else if !self.complete_mode && complete_mode_required(&a) {
                self.complete_mode = true;
                continue;
            } else {
                self.reject(1, &a);
            }
            self.pop(1);
            return true;
        }
    }

    fn reject(&self, n: u64, a: &Answer) {
        let msg = format!(
            "{n} call(s) refused by the server: HTTP {} {}",
            a.status,
            a.text(300)
        );
        crate::online::warn(&format!("weave: {msg}"));
        self.progress.update(|p| {
            p.calls_rejected += n;
            p.last_error = msg;
        });
    }

    fn deliver_batch(&mut self, pid: &str, trace: &str) -> bool {
        loop {
            // Complete calls from the front (files between them are uploaded), within the
            // limits, up to the next unfinished call.
            let mut picked: Vec<usize> = Vec::new();
            let mut bytes = 16;
            for (k, item) in self.queue.iter().enumerate() {
                match item {
                    Item::Complete { size, .. } => {
                        if !picked.is_empty()
                            && (bytes + size + 64 > MAX_BATCH_BYTES
                                || picked.len() >= self.batch_cap)
                        {
                            break;
                        }
                        picked.push(k);
                        bytes += size + 64;
                    }
                    Item::File { .. } => {}
                    Item::StartOnly { .. } => break,
                }
            }
            let n = picked.len();
            let calls = picked.iter().filter_map(|&k| match &self.queue[k] {
                Item::Complete { start, end, .. } => Some((start, end)),
                _ => None,
            });
            let (what, url, body) = if self.complete_mode {
                let batch: Vec<Json> = calls
                    .map(|(s, e)| {
                        let mut c = with_project(s, pid);
                        if let Json::Object(m) = e {
                            for (k, v) in m {
                                if k != "id" {
                                    c.set(k, v.clone());
                                }
                            }
                        }
                        c
                    })
                    .collect();
                (
                    "POST calls/complete",
                    format!("{trace}/v2/{pid}/calls/complete"),
                    Json::object([("batch", Json::Array(batch))]).to_compact(),
                )
            } else {
                let mut batch = Vec::new();
                for (s, e) in calls {
                    batch.push(Json::object([
                        ("mode", Json::str("start")),
                        ("req", Json::object([("start", with_project(s, pid))])),
                    ]));
                    batch.push(Json::object([
                        ("mode", Json::str("end")),
                        ("req", Json::object([("end", with_project(e, pid))])),
                    ]));
                }
                (
                    "POST /call/upsert_batch",
                    format!("{trace}/call/upsert_batch"),
                    Json::object([("batch", Json::Array(batch))]).to_compact(),
                )
            };
            let Some(a) = self.send(what, &|| {
                self.target
                    .http
                    .post_once(what, &url, "application/json", body.as_bytes())
            }) else {
                return false;
            };
            drop(body);
            if a.ok() {
                self.ack.calls_sent += n as u64;
                self.progress.update(|p| p.calls_sent += n as u64);
                self.remove(&picked);
                self.batch_cap = (self.batch_cap * 2).min(MAX_BATCH_CALLS);
                return true;
            }
            if self.complete_mode && a.status == 404 {
                crate::online::warn(
                    "weave: the server has no calls/complete: using call/upsert_batch",
                );
                self.complete_mode = false;
                continue;
            }
            if !self.complete_mode && complete_mode_required(&a) {
                self.complete_mode = true;
                continue;
            }
            if n > 1 {
                // 413, a duplicate id in the batch, or a call the server refuses: halve to
                // isolate it.
                self.batch_cap = (n / 2).max(1);
                continue;
            }
            if dup_answer(&a) {
                self.ack.calls_sent += 1;
                self.progress.update(|p| p.calls_sent += 1);
            } else {
                self.reject(1, &a);
            }
            self.remove(&picked);
            return true;
        }
    }

    /// Removes the queue items at these (ascending) positions.
    fn remove(&mut self, picked: &[usize]) {
        let mut k = 0;
        let mut p = picked.iter().peekable();
        let mut freed = 0;
        self.queue.retain(|i| {
            let drop = p.peek() == Some(&&k);
            if drop {
                p.next();
                freed += i.bytes();
            }
            k += 1;
            !drop
        });
        self.queue_bytes = self.queue_bytes.saturating_sub(freed);
    }
}

/// A call JSON with `project_id` first.
fn with_project(call: &Json, pid: &str) -> Json {
    let mut m = vec![("project_id".to_string(), Json::str(pid))];
    if let Json::Object(fields) = call {
        m.extend(fields.iter().filter(|(k, _)| k != "project_id").cloned());
    }
    // A run attached without an entity: `"/<project>/<run id>"` gets this client's entity.
    let entity = pid.split('/').next().unwrap_or("");
    for (k, v) in m.iter_mut() {
        if k == "wb_run_id" {
            if let Json::Str(s) = v {
                if s.starts_with('/') {
                    *s = format!("{entity}{s}");
                }
            }
        }
    }
    Json::Object(m)
}

/// Delivers a spool completely (or until the deadline/abort): the loop of both the
/// background thread (`live`, woken by `wait`) and `sync`. Returns true when drained.
pub fn run(
    dir: &Path,
    target: &Target,
    ctl: &Ctl,
    progress: &Progress,
    live: bool,
    wait: &dyn Fn(Duration),
) -> Result<bool> {
    let mut d = Deliverer::new(dir, target, ctl, progress, live)?;
    if !d.prepare() {
        return Ok(false);
    }
    loop {
        if ctl.aborted() {
            d.save_ack();
            return Ok(false);
        }
        d.fill()?;
        if d.queue_empty() {
            d.save_ack();
            if d.drained() {
                let _ = spool::write_atomic(&dir.join(spool::DONE_NAME), b"delivered\n");
                progress.update(|p| p.drained = true);
                return Ok(true);
            }
            wait(Duration::from_millis(200));
            continue;
        }
        if !d.deliver_front() {
            d.save_ack();
            return Ok(false);
        }
    }
}
