//! The online-mode uploader: a background thread that tails the run's `.wandb` log and
//! feeds its records to a [`Sender`]. The host's calls only append to the log and poke
//! [`Wake`]; they never wait for this thread or the network.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::online::http::{gave_up, Ctl};
use crate::online::reader::{decode, LogTail, TailState};
use crate::online::sender::Sender;
use crate::online::{Settings, READ_CHUNK};

/// Wakes the uploader when the log grew (a counter + condvar; never blocks the writer),
/// and tells it how far the log is committed: the uploader never reads past that offset,
/// because the writer truncates a failed write back to its last complete record.
#[derive(Debug, Default)]
pub struct Wake {
    seq: Mutex<u64>,
    cv: Condvar,
    committed: std::sync::atomic::AtomicU64,
    /// The run's upload status (the writer counts the rows and files it logs into it).
    pub status: Arc<crate::online::status::Status>,
}

impl Wake {
    /// The log holds `committed` bytes of complete records.
    pub fn publish(&self, committed: u64) {
        self.status.commit_staged();
        self.committed
            .store(committed, std::sync::atomic::Ordering::SeqCst);
        self.notify();
    }
    fn committed(&self) -> u64 {
        self.committed.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub fn notify(&self) {
        *self.seq.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.cv.notify_one();
    }
    fn wait(&self, seen: &mut u64, timeout: Duration) {
        let g = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        let (g, _) = self
            .cv
            .wait_timeout_while(g, timeout, |s| *s == *seen)
            .unwrap_or_else(|p| p.into_inner());
        *seen = *g;
    }
}

/// How an upload ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub complete: bool,
    pub rows_sent: usize,
    pub files_sent: usize,
    pub rows_pending: usize,
    pub files_pending: usize,
    pub errors: Vec<String>,
    pub run_path: String,
    /// The run's page in the W&B app, once the server created the run.
    pub run_url: Option<String>,
    /// The log could not be read whole (bad header, corruption, a record refused, no run
    /// record): then the run is *not* complete on disk, and no message may say it is.
    pub log_damaged: bool,
    /// The pending counts are lower bounds (counting the rest of the log was cut short).
    pub pending_at_least: bool,
}

impl Outcome {
    /// Ok when everything arrived; else an error naming what is pending.
    pub fn into_result(self, dir: &Path) -> Result<Outcome> {
        if self.complete && self.errors.is_empty() {
            return Ok(self);
        }
        let mut msg = if self.complete {
            format!("the run was uploaded to {} with errors", self.run_path)
        } else if self.log_damaged {
            format!(
                "the upload is incomplete ({} rows and {} files pending) and the run log in {} is damaged or not a run",
                self.rows_pending,
                self.files_pending,
                crate::confine::path_text(dir)
            )
        } else {
            format!(
                "the upload is incomplete ({}{} rows and {} files pending); the run is complete on disk: upload it later with `wandb-media sync {}`",
                if self.pending_at_least { "at least " } else { "" },
                self.rows_pending,
                self.files_pending,
                crate::confine::path_text(dir)
            )
        };
        for e in self.errors.iter().take(5) {
            msg.push_str("; ");
            msg.push_str(e);
        }
        Err(Error::new(ErrorKind::Io, msg))
    }
}

/// The `.synced` marker `wandb sync` writes next to a synced log.
pub fn synced_marker(log: &Path) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(".synced");
    PathBuf::from(s)
}

/// Feeds the records of `log` to `sender` until the exit record is handled (`follow`: wait
/// for more records while the writer is alive) or the log ends (sync). Returns the outcome.
pub fn drive(log: &Path, sender: &mut Sender, ctl: &Ctl, wake: Option<&Wake>) -> Outcome {
    let mut errors = Vec::new();
    let mut seen = 0u64;
    let mut damaged = false;
    let mut tail_slot: Option<LogTail> = None;
    let result: Result<()> = (|| {
        let tail = tail_slot.insert(LogTail::open(log).inspect_err(|_| damaged = true)?);
        // A sync reads what the file held when it was opened (a file that keeps growing,
        // or a link to an endless file, cannot keep it going).
        let sync_end = wake.is_none().then(|| tail.size_at_open());
        let mut recs = Vec::new();
        let mut corrupt_since: Option<Instant> = None;
        loop {
            if ctl.aborted() {
                return Ok(());
            }
            let mut state = TailState::UpToDate;
            if !sender.backpressured() && !sender.exited() {
                recs.clear();
                state = tail
                    .poll_upto(
                        READ_CHUNK,
                        wake.map(Wake::committed).or(sync_end),
                        &mut recs,
                    )
                    .inspect_err(|_| damaged = true)?;
                for (i, r) in recs.drain(..).enumerate() {
                    match decode(&r) {
                        Ok(rec) => {
                            let read = match &rec {
                                crate::online::reader::Rec::History(_) => (1, 0),
                                crate::online::reader::Rec::Files(p) => (0, p.len() as u64),
                                _ => (0, 0),
                            };
                            sender.handle(rec);
                            if let Some(w) = wake {
                                // Read and queued move together (one lock): a row read from
                                // the log is pending until the sender reports it sent.
                                w.status.handled(
                                    read,
                                    sender.pending(),
                                    (sender.rows_sent, sender.files_sent),
                                );
                            }
                        }
                        Err(e) => {
                            damaged = true;
                            errors.push(format!(
                                "a record of the log was refused and not uploaded ({} records before it in this read): {}",
                                i, e.message
                            ));
                        }
                    }
                    if sender.exited() {
                        break;
                    }
                }
            }
            if let TailState::Corrupt(off, why) = &state {
                // While following, a record being written can look torn for a moment.
                let since = *corrupt_since.get_or_insert_with(Instant::now);
                if wake.is_none() || since.elapsed() > Duration::from_secs(10) {
                    damaged = true;
                    errors.push(format!(
                        "the log is unreadable at byte {off} ({why}); uploaded what precedes it"
                    ));
                    if wake.is_none() {
                        // Sync of a log cut short (e.g. a killed writer): finish what we have.
                        sender.handle(crate::online::reader::Rec::Exit { code: 1 });
                    } else {
                        return Ok(());
                    }
                }
            } else {
                corrupt_since = None;
            }
            if sender.exited() {
                return sender.finish();
            }
            let end_of_sync = wake.is_none() && state == TailState::UpToDate;
            if end_of_sync {
                if !sender.has_run() {
                    damaged = true;
                    return Err(Error::invalid(format!(
                        "{}: the log holds no run record ({} bytes read): nothing to upload",
                        crate::confine::path_text(log),
                        tail.position()
                    )));
                }
                // An interrupted run (no exit record): complete it as failed.
                sender.handle(crate::online::reader::Rec::Exit { code: 1 });
                return sender.finish();
            }
            let pumped = sender.pump(false);
            if let Some(w) = wake {
                w.status
                    .sender(sender.pending(), (sender.rows_sent, sender.files_sent));
            }
            pumped?;
            if state == TailState::More {
                continue;
            }
            if let Some(w) = wake {
                w.wait(&mut seen, Duration::from_millis(250));
            }
        }
    })();
    if !sender.has_run() {
        // Nothing names a run: whatever else the log holds, it is not a run on disk.
        damaged = true;
    }
    if let (Err(e), Some(w)) = (&result, wake) {
        // Online: a permanent error is reported at once, not only by finish (issue 23).
        if !gave_up(e) && !ctl.aborted() {
            let dir = log.parent().unwrap_or(Path::new("."));
            w.status.failed(&e.message, &crate::confine::path_text(dir));
        }
    }
    if let Err(e) = result {
        // A give-up names the last failure (e.g. a TLS certificate error): keep it so the
        // finish/sync message says why the upload is incomplete.
        if !gave_up(&e) || !sender.complete {
            errors.push(e.message.clone());
        }
    }
    if let Some(w) = wake {
        w.status
            .sender(sender.pending(), (sender.rows_sent, sender.files_sent));
    }
    let mut all = std::mem::take(&mut sender.errors);
    all.extend(errors);
    let (mut rows_pending, mut files_pending) = sender.pending();
    let mut pending_at_least = false;
    if !sender.complete && !sender.exited() {
        // The upload stopped before the end of the log: what is pending is also everything
        // the uploader never read (the real counts, not only its queues).
        if let Some(t) = tail_slot.as_mut() {
            let (rows, files, whole) = count_rest(t, ctl, wake);
            rows_pending += rows;
            files_pending += files;
            pending_at_least = !whole;
        }
    }
    Outcome {
        complete: sender.complete,
        rows_sent: sender.rows_sent,
        files_sent: sender.files_sent,
        rows_pending,
        files_pending,
        errors: all,
        run_path: sender.run_path(),
        run_url: sender.location().map(|l| l.url),
        log_damaged: damaged,
        pending_at_least,
    }
}

/// Counts the history rows and announced files in the rest of the log (no network): up to
/// its exit record (following the writer until it is written, while the run is open) or
/// its end (sync). Stops early, returning `whole` false, when the run is dropped before its
/// exit record or the finish deadline passed by more than a moment.
fn count_rest(tail: &mut LogTail, ctl: &Ctl, wake: Option<&Wake>) -> (usize, usize, bool) {
    use crate::online::reader::fields;
    use crate::run::proto::record as r;
    let (mut rows, mut files) = (0usize, 0usize);
    let mut recs = Vec::new();
    let mut seen = 0u64;
    loop {
        // After a finish the exit record is in the log and this ends there by itself; a
        // long log is cut short just after the deadline (the host waits a moment longer).
        if ctl.past_hard_end() {
            return (rows, files, false);
        }
        recs.clear();
        let state = match tail.poll_upto(READ_CHUNK, wake.map(Wake::committed), &mut recs) {
            Ok(s) => s,
            Err(_) => return (rows, files, true),
        };
        for rec in &recs {
            for (f, v) in fields(rec) {
                match f {
                    r::HISTORY => rows += 1,
                    r::FILES => {
                        files += fields(v.bytes()).filter(|(ff, _)| *ff == 1).count();
                    }
                    r::EXIT => return (rows, files, true),
                    _ => {}
                }
            }
        }
        match state {
            TailState::More => {}
            TailState::Corrupt(..) => return (rows, files, true),
            TailState::UpToDate => match wake {
                None => return (rows, files, true),
                // Dropped without finishing: no exit record will come.
                Some(_) if ctl.aborted() => return (rows, files, false),
                Some(w) => w.wait(&mut seen, Duration::from_millis(250)),
            },
        }
    }
}

/// With the default finish timeout, `finish` stops waiting once the server has been
/// unreachable for this long of its wait (issue 23): the run is complete on disk, a later
/// `wandb-media sync` uploads it, and a program should not hang for 10 minutes at exit
/// because the network is gone. A reachable server that is slowly taking a large upload
/// still gets the whole default timeout.
pub const UNREACHABLE_GIVE_UP: Duration = Duration::from_secs(120);

/// The background uploader of an online run.
pub struct Uploader {
    ctl: Arc<Ctl>,
    wake: Arc<Wake>,
    /// The thread's outcome (not a channel: see [`crate::par`]).
    done: Arc<crate::par::Slot<Outcome>>,
    handle: Option<JoinHandle<()>>,
    log: PathBuf,
    /// The run's location once the server created it (see [`Uploader::location`]).
    location: Arc<crate::online::app_url::Location>,
}

impl Uploader {
    pub fn start(log: &Path, files_dir: &Path, settings: Settings) -> Result<Uploader> {
        let ctl = Ctl::new();
        let wake = Arc::new(Wake {
            status: Arc::new(crate::online::status::Status::new(&settings.base_url)),
            ..Wake::default()
        });
        let _ = ctl.status.set(wake.status.clone());
        let mut sender = Sender::new(settings, files_dir, ctl.clone())?;
        if let Some(dir) = log.parent() {
            sender.use_progress(&crate::online::sender::progress_path(dir));
        }
        let location = Arc::new(crate::online::app_url::Location::default());
        sender.set_location(location.clone());
        let done = Arc::new(crate::par::Slot::default());
        let (c, w, l, tx) = (ctl.clone(), wake.clone(), log.to_path_buf(), done.clone());
        let handle = std::thread::Builder::new()
            .name("wandb-media-uploader".into())
            // Values as deep as the SDK writes are parsed and serialised here.
            .stack_size(crate::json::DEEP_STACK)
            .spawn(move || {
                // A panic must still hand over an outcome (`finish` would wait out its timeout).
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    drive(&l, &mut sender, &c, Some(&w))
                }))
                .unwrap_or_else(|_| Outcome {
                    errors: vec!["the uploader thread panicked (a bug: please report it)".into()],
                    ..Outcome::default()
                });
                if out.complete && out.errors.is_empty() {
                    let _ = std::fs::write(synced_marker(&l), b"");
                }
                tx.put(out);
            })
            .map_err(|e| Error::io("starting the uploader thread", e))?;
        Ok(Uploader {
            ctl,
            wake,
            done,
            handle: Some(handle),
            log: log.to_path_buf(),
            location,
        })
    }

    pub fn wake(&self) -> Arc<Wake> {
        self.wake.clone()
    }

    /// The run's location, filled by the uploader thread once the server created the run.
    pub fn location(&self) -> Arc<crate::online::app_url::Location> {
        self.location.clone()
    }

    /// The run's upload status (readable from any thread, also after `finish`).
    pub fn status(&self) -> Arc<crate::online::status::Status> {
        self.wake.status.clone()
    }

    /// Waits (at most `timeout`) for the uploader to send everything up to the exit record.
    /// The uploader gives up a moment before the timeout; then requests still in flight are
    /// cancelled (their sockets shut down) and the thread is joined, so this returns within
    /// `timeout` and no uploader thread outlives the run. `by_default`: the caller chose no
    /// timeout, so the wait also ends once the server has been unreachable for
    /// `UNREACHABLE_GIVE_UP` of it (an explicit timeout is waited out in full).
    pub fn finish(mut self, timeout: Duration, by_default: bool) -> Result<Outcome> {
        let start = Instant::now();
        let mut end = start.checked_add(timeout);
        let margin = (timeout / 10).min(Duration::from_millis(250));
        let set_end = |end: Option<Instant>| {
            self.ctl.set_deadline(end.map(|e| e - margin));
            self.ctl.set_hard_end(end.map(|e| e - margin / 5));
        };
        set_end(end);
        self.wake.notify();
        let wait_until = |t: Option<Instant>| match t {
            Some(t) => self
                .done
                .take_within(t.saturating_duration_since(Instant::now())),
            None => self
                .done
                .take_within(Duration::from_secs(u64::from(u32::MAX))),
        };
        // Wait in slices, saying what is pending (issue 23): progress lines through the
        // log handler, and with the default timeout, stop once the server has been
        // unreachable for UNREACHABLE_GIVE_UP of this wait (the log keeps everything).
        let mut progress = crate::online::status::Progress::new();
        let mut cut = false;
        let mut out = None;
        loop {
            let soft = end.map(|e| e - margin / 2);
            let now = Instant::now();
            if soft.is_some_and(|s| now >= s) {
                break;
            }
            let slice = soft.map_or(Duration::from_millis(500), |s| {
                (s - now).min(Duration::from_millis(500))
            });
            if let Some(o) = self.done.take_within(slice) {
                out = Some(o);
                break;
            }
            let snap = self.wake.status.snapshot();
            progress.tick(&snap, end);
            if by_default && !cut && snap.unreachable_since > 0 {
                let since = std::time::UNIX_EPOCH
                    + Duration::from_secs(snap.unreachable_since.max(0) as u64);
                let down = std::time::SystemTime::now()
                    .duration_since(since)
                    .unwrap_or_default()
                    .min(start.elapsed());
                if down >= UNREACHABLE_GIVE_UP {
                    cut = true;
                    crate::diag::warn(&format!(
                        "the server has been unreachable for {} s of this finish: not waiting the rest of the default timeout (set finish_timeout_ms to wait longer)",
                        down.as_secs()
                    ));
                    let sooner = Instant::now() + Duration::from_millis(500);
                    if end.is_none_or(|e| sooner < e) {
                        end = Some(sooner);
                        set_end(end);
                    }
                }
            }
        }
        if out.is_none() {
            // A request still in flight past the deadline (a server dripping its answer),
            // or a retry sleeping: cut it, then collect the outcome it now reports.
            self.ctl.cancel();
            out = wait_until(end);
        }
        let out = match out {
            Some(o) => {
                if let Some(h) = self.handle.take() {
                    let _ = h.join();
                }
                o
            }
            None => Outcome {
                errors: vec![
                    "the uploader did not stop in time (a connection attempt still running; the thread ends within its connect timeout)".into(),
                ],
                ..Outcome::default()
            },
        };
        let dir = self.log.parent().unwrap_or(Path::new(".")).to_path_buf();
        // The SDK's footer names the run's page whether or not everything arrived.
        if let Some(loc) = self.location.get() {
            crate::diag::log(
                crate::diag::Level::Info,
                &crate::online::app_url::finish_notice(&loc),
            );
        }
        let r = out.into_result(&dir);
        self.wake
            .status
            .ended(r.is_ok(), r.as_ref().err().map(|e| e.message.as_str()));
        r
    }
}

impl Drop for Uploader {
    /// Dropped without `finish` (the run failed before it could finish): cancel everything
    /// and join the thread (promptly: requests in flight are cut).
    fn drop(&mut self) {
        self.ctl.set_deadline(Some(Instant::now()));
        self.ctl.cancel();
        self.wake.notify();
        if let Some(h) = self.handle.take() {
            if self.done.take_within(Duration::from_secs(2)).is_some() {
                let _ = h.join();
            }
        }
    }
}
