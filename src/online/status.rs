//! What an online run's upload is doing right now (issue 23, items 1 and 2): a [`Status`]
//! shared by the run's writer (rows and files it appended to the log), the HTTP client
//! (requests that reached the server, retries, refusals) and the uploader thread (what the
//! sender has read, queued and sent; a permanent failure; the end). Any thread reads a
//! consistent [`Snapshot`] of it at any time (`wb_run_upload_status`).
//!
//! It also says so through the log handler ([`crate::diag`]): a permanent error at once
//! (with its likely fix), `reconnected to <host>` after an outage, and progress lines while
//! `finish` waits ([`Progress`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::diag::{self, Level};

/// The state of an online run's upload (`wb_upload_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Offline or disabled run: nothing is uploaded live.
    Offline = 0,
    /// No request has reached the server yet.
    Connecting = 1,
    /// The server answered; rows or files are waiting to be sent.
    Uploading = 2,
    /// The server answered; everything logged so far was sent.
    UpToDate = 3,
    /// The last request failed in a way worth retrying (connection error, 5xx, 429): the
    /// uploader is retrying; `unreachable_since` says since when.
    Retrying = 4,
    /// A permanent error (a refused key, a wrong URL, an unknown entity, …) stopped the
    /// uploader, or `finish` ended with data still pending: the log on disk holds
    /// everything (upload it later with `wandb-media sync`).
    Failed = 5,
    /// `finish` uploaded everything.
    Finished = 6,
}

/// A copy of the status at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub state: State,
    pub rows_sent: u64,
    pub rows_pending: u64,
    pub files_sent: u64,
    pub files_pending: u64,
    /// The HTTP status of the request that stopped the upload (0: none, or not HTTP).
    pub http_status: u16,
    /// Why the upload is failing or retrying ("" when all is well).
    pub last_error: String,
    /// Unix time (seconds) since which no request reached the server (0: reachable).
    pub unreachable_since: i64,
}

/// The uploader's side, under one lock.
#[derive(Debug, Default, Clone)]
struct Inner {
    /// A request reached the server at least once.
    connected: bool,
    /// Since when requests fail with retryable errors (None: the last one got through).
    failing_since: Option<SystemTime>,
    /// The outage was reported (a retry warning was printed), so its end is too.
    outage_reported: bool,
    /// The sender stopped on a permanent error / `finish` gave up with data pending.
    failed: bool,
    finished: bool,
    http_status: u16,
    last_error: String,
    /// History records and file paths the sender has read from the log.
    rows_read: u64,
    files_read: u64,
    /// Rows and files read but not acknowledged yet (the sender's queues).
    rows_queued: u64,
    files_queued: u64,
    rows_sent: u64,
    files_sent: u64,
    /// The base URL (for messages).
    base_url: String,
}

/// The shared status of one online run (see the module doc). All methods are thread-safe.
#[derive(Debug, Default)]
pub struct Status {
    /// The writer's counts: history records / file paths of the records being written
    /// (staged) and of records in the log (committed).
    staged_rows: AtomicU64,
    staged_files: AtomicU64,
    rows_logged: AtomicU64,
    files_logged: AtomicU64,
    inner: Mutex<Inner>,
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `HH:MM:SS` local time.
fn clock(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%H:%M:%S")
        .to_string()
}

/// `scheme://host[:port]` of a URL (for messages; never a path or query).
pub fn origin_text(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}")
    }
}

impl Status {
    pub fn new(base_url: &str) -> Status {
        let s = Status::default();
        s.lock().base_url = base_url.to_string();
        s
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    // --- the writer (under the run's log lock; lock-free here) ---

    /// A record of type `field` (`proto::record::*`) with encoded `payload` is being
    /// written to the log (counted once [`Status::commit_staged`] says it is in the file).
    pub fn stage_record(&self, field: u32, payload: &[u8]) {
        use crate::run::proto::record as r;
        match field {
            r::HISTORY => {
                self.staged_rows.fetch_add(1, Ordering::Relaxed);
            }
            r::FILES => {
                let mut n = 0u64;
                for (f, v) in crate::online::reader::fields(payload) {
                    if f == r::FILES {
                        n += crate::online::reader::fields(v.bytes())
                            .filter(|(ff, _)| *ff == 1)
                            .count() as u64;
                    }
                }
                self.staged_files.fetch_add(n, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// The staged records are in the log.
    pub fn commit_staged(&self) {
        let r = self.staged_rows.swap(0, Ordering::Relaxed);
        let f = self.staged_files.swap(0, Ordering::Relaxed);
        self.rows_logged.fetch_add(r, Ordering::SeqCst);
        self.files_logged.fetch_add(f, Ordering::SeqCst);
    }

    /// The staged records were rolled back (a failed write).
    pub fn discard_staged(&self) {
        self.staged_rows.store(0, Ordering::Relaxed);
        self.staged_files.store(0, Ordering::Relaxed);
    }

    // --- the HTTP client ---

    /// A request got an answer (any status) from the server: ends an outage (reported as
    /// "reconnected to <host>" when its start was reported).
    pub fn reached(&self) {
        let mut g = self.lock();
        g.connected = true;
        if let Some(since) = g.failing_since.take() {
            let reported = std::mem::replace(&mut g.outage_reported, false);
            if !g.failed {
                g.last_error.clear();
            }
            let host = origin_text(&g.base_url);
            drop(g);
            if reported {
                let secs = SystemTime::now()
                    .duration_since(since)
                    .unwrap_or_default()
                    .as_secs();
                diag::log(
                    Level::Warn,
                    &format!(
                        "reconnected to {host} (unreachable since {}, {secs} s); uploading what waited",
                        clock(since)
                    ),
                );
            }
        }
    }

    /// A request failed with a retryable error (`why`); `reported`: a warning was printed.
    pub fn retrying(&self, what: &str, why: &str, reported: bool) {
        let mut g = self.lock();
        g.failing_since.get_or_insert_with(SystemTime::now);
        g.outage_reported |= reported;
        if !g.failed {
            g.last_error = format!("{what} failed ({why}); retrying");
        }
    }

    /// The server refused a request with HTTP `status` (permanent).
    pub fn refused(&self, status: u16) {
        let mut g = self.lock();
        g.connected = true;
        g.failing_since = None;
        g.http_status = status;
    }

    // --- the uploader thread ---

    /// The uploader read `read` (rows, files) from the log and handed them to the sender,
    /// whose counters are now `queued` and `sent` (one lock: a snapshot never sees them read
    /// but not yet queued).
    pub fn handled(&self, read: (u64, u64), queued: (usize, usize), sent: (usize, usize)) {
        let mut g = self.lock();
        g.rows_read += read.0;
        g.files_read += read.1;
        g.rows_queued = queued.0 as u64;
        g.files_queued = queued.1 as u64;
        g.rows_sent = sent.0 as u64;
        g.files_sent = sent.1 as u64;
    }

    /// The sender's counters now.
    pub fn sender(&self, queued: (usize, usize), sent: (usize, usize)) {
        let mut g = self.lock();
        g.rows_queued = queued.0 as u64;
        g.files_queued = queued.1 as u64;
        g.rows_sent = sent.0 as u64;
        g.files_sent = sent.1 as u64;
    }

    /// The upload stopped on a permanent error: reported now through the log handler
    /// (`run_dir`: where the log is, for the sync hint).
    pub fn failed(&self, message: &str, run_dir: &str) {
        let mut g = self.lock();
        if g.failed {
            return;
        }
        g.failed = true;
        g.failing_since = None;
        g.last_error = message.to_string();
        drop(g);
        diag::log(
            Level::Error,
            &format!(
                "uploading stopped: {message}. The run keeps writing its log; upload it later with `wandb-media sync {run_dir}`"
            ),
        );
    }

    /// `finish` ended: everything sent, or what is pending (`error`).
    pub fn ended(&self, complete: bool, error: Option<&str>) {
        let mut g = self.lock();
        if complete && error.is_none() {
            g.finished = true;
            g.rows_queued = 0;
            g.files_queued = 0;
        } else {
            g.failed = true;
            if let Some(e) = error {
                g.last_error = e.to_string();
            }
        }
    }

    /// A consistent copy.
    pub fn snapshot(&self) -> Snapshot {
        let g = self.lock().clone();
        let logged = (
            self.rows_logged.load(Ordering::SeqCst),
            self.files_logged.load(Ordering::SeqCst),
        );
        snapshot_of(&g, logged)
    }
}

/// The state machine: which state a set of facts is.
fn state_of(g: &Inner, pending: bool) -> State {
    if g.finished {
        State::Finished
    } else if g.failed {
        State::Failed
    } else if g.failing_since.is_some() {
        State::Retrying
    } else if !g.connected {
        State::Connecting
    } else if pending {
        State::Uploading
    } else {
        State::UpToDate
    }
}

fn snapshot_of(g: &Inner, logged: (u64, u64)) -> Snapshot {
    let (rows_logged, files_logged) = logged;
    let (rows_pending, files_pending) = if g.finished {
        (0, 0)
    } else {
        (
            rows_logged.saturating_sub(g.rows_read) + g.rows_queued,
            files_logged.saturating_sub(g.files_read) + g.files_queued,
        )
    };
    Snapshot {
        state: state_of(g, rows_pending + files_pending > 0),
        rows_sent: g.rows_sent,
        rows_pending,
        files_sent: g.files_sent,
        files_pending,
        http_status: g.http_status,
        last_error: g.last_error.clone(),
        unreachable_since: g.failing_since.map_or(0, unix),
    }
}

/// The message of a permanent HTTP refusal, with its likely fix.
pub fn explain_http(status: u16, base_url: &str, url: &str, body: &str) -> String {
    let base = origin_text(base_url);
    let at = origin_text(url);
    match status {
        401 | 403 => format!(
            "authentication failed ({status}) for {at}: check WANDB_API_KEY / `wandb login` (the API key was refused){}",
            if body.trim().is_empty() {
                String::new()
            } else {
                format!("; the server said: {}", body.trim())
            }
        ),
        404 if at == base => format!(
            "not found (404) at {url_path} on {base}: is {base_url} the W&B server's base URL, and do the entity and project exist?{}",
            if body.trim().is_empty() {
                String::new()
            } else {
                format!("; the server said: {}", body.trim())
            },
            url_path = url.get(base.len()..).unwrap_or("").split('?').next().unwrap_or("")
        ),
        _ => format!("HTTP {status}: {body}"),
    }
}

/// A GraphQL refusal (`errors` in the answer) of `op` for `entity/project`: names them.
pub fn explain_graphql(op: &str, entity: &str, project: &str, errors: &str) -> String {
    let lower = errors.to_ascii_lowercase();
    let hint = if lower.contains("entity")
        || lower.contains("not found")
        || lower.contains("permission")
    {
        format!(
            " (entity {:?}, project {:?}: check the entity and project names, WANDB_ENTITY / WANDB_PROJECT, and that the API key may write there)",
            entity, project
        )
    } else {
        String::new()
    };
    format!("{op}: {errors}{hint}")
}

/// A transport error's text with its likely cause (`https://` against a plain-HTTP server).
pub fn explain_transport(text: &str, url: &str) -> String {
    if text.contains("InvalidContentType") || text.contains("corrupt message") {
        let plain = url.replacen("https://", "http://", 1);
        format!(
            "{text} (the server answered plain HTTP to a TLS request: is the base URL {}?)",
            origin_text(&plain)
        )
    } else {
        text.to_string()
    }
}

/// Progress lines while `finish` waits (at most every [`Progress::EVERY`]).
pub struct Progress {
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    /// First line after this long of waiting, then at most this often.
    pub const FIRST: Duration = Duration::from_secs(2);
    pub const EVERY: Duration = Duration::from_secs(5);

    pub fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last: None,
        }
    }

    /// Prints a line if one is due (`end`: when finish gives up).
    pub fn tick(&mut self, st: &Snapshot, end: Option<Instant>) {
        let now = Instant::now();
        let due = match self.last {
            None => now.duration_since(self.start) >= Self::FIRST,
            Some(t) => now.duration_since(t) >= Self::EVERY,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let (level, text) = progress_line(st, end.map(|e| e.saturating_duration_since(now)));
        diag::log(level, &text);
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

/// One progress line (and its level: a warning while the server is unreachable).
pub fn progress_line(st: &Snapshot, left: Option<Duration>) -> (Level, String) {
    let mut s = format!(
        "waiting for uploads: {} rows, {} files",
        st.rows_pending, st.files_pending
    );
    let level = if st.unreachable_since > 0 {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(st.unreachable_since as u64);
        s.push_str(&format!("; server unreachable since {}", clock(t)));
        Level::Warn
    } else {
        Level::Info
    };
    if let Some(left) = left {
        s.push_str(&format!(" (gives up in {} s)", left.as_secs()));
    }
    (level, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        let s = Status::new("http://127.0.0.1:9");
        assert_eq!(s.snapshot().state, State::Connecting);
        // the writer logs 3 rows and 1 file (one committed write), then 1 rolled back
        for _ in 0..3 {
            s.stage_record(crate::run::proto::record::HISTORY, b"");
        }
        s.commit_staged();
        s.stage_record(crate::run::proto::record::HISTORY, b"");
        s.discard_staged();
        let snap = s.snapshot();
        assert_eq!((snap.rows_pending, snap.files_pending), (3, 0));
        s.reached();
        assert_eq!(s.snapshot().state, State::Uploading);
        s.handled((3, 0), (1, 0), (2, 0));
        let snap = s.snapshot();
        assert_eq!((snap.rows_sent, snap.rows_pending), (2, 1));
        s.retrying("file_stream", "connection refused", true);
        let snap = s.snapshot();
        assert_eq!(snap.state, State::Retrying);
        assert!(snap.unreachable_since > 0 && snap.last_error.contains("connection refused"));
        s.reached();
        s.sender((0, 0), (3, 0));
        let snap = s.snapshot();
        assert_eq!((snap.state, snap.unreachable_since), (State::UpToDate, 0));
        assert_eq!(snap.last_error, "");
        s.refused(401);
        s.failed("authentication failed (401)", "/x");
        s.reached();
        let snap = s.snapshot();
        assert_eq!((snap.state, snap.http_status), (State::Failed, 401));
        assert_eq!(snap.last_error, "authentication failed (401)");
        let f = Status::new("http://x");
        f.ended(true, None);
        assert_eq!(f.snapshot().state, State::Finished);
    }

    #[test]
    fn messages_name_the_fix() {
        let m = explain_http(401, "http://127.0.0.1:5", "http://127.0.0.1:5/graphql", "");
        assert!(
            m.starts_with(
                "authentication failed (401) for http://127.0.0.1:5: check WANDB_API_KEY"
            ),
            "{m}"
        );
        let m = explain_http(404, "http://h:1/x", "http://h:1/x/graphql", "nope");
        assert!(
            m.contains("not found (404)") && m.contains("base URL"),
            "{m}"
        );
        let m = explain_transport(
            "io: received corrupt message of type InvalidContentType",
            "https://127.0.0.1:7/graphql",
        );
        assert!(m.contains("is the base URL http://127.0.0.1:7?"), "{m}");
        let (lvl, line) = progress_line(
            &Snapshot {
                state: State::Retrying,
                rows_sent: 0,
                rows_pending: 12,
                files_sent: 0,
                files_pending: 3,
                http_status: 0,
                last_error: String::new(),
                unreachable_since: 1,
            },
            None,
        );
        assert_eq!(lvl, Level::Warn);
        assert!(
            line.starts_with("waiting for uploads: 12 rows, 3 files; server unreachable since "),
            "{line}"
        );
    }
}
