//! Native `sync`: upload an offline (or interrupted online) run directory — ours or one
//! written by the Python SDK — with the same sender online mode uses, then mark it synced
//! (`run-<id>.wandb.synced`, as `wandb sync` does). A marked run is skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::confine::path_text;
use crate::error::{Error, Result};
use crate::online::http::Ctl;
use crate::online::sender::Sender;
use crate::online::uploader::{drive, synced_marker, Outcome};
use crate::online::Settings;

/// What a sync did.
#[derive(Debug, Clone)]
pub enum SyncResult {
    /// Already marked synced: nothing sent.
    AlreadySynced,
    Uploaded(Outcome),
}

/// The `.wandb` log of a run directory (or the log itself). A log inside the directory
/// must be a regular file there (not a symlink, FIFO or device).
pub fn find_log(path: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path_text(path), e))?;
    if !meta.is_dir() {
        // A log named directly: opened later without blocking, regular files only.
        return Ok(path.to_path_buf());
    }
    let rd = std::fs::read_dir(path).map_err(|e| Error::io(path_text(path), e))?;
    let mut logs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("run-") && n.ends_with(".wandb"))
        })
        .collect();
    logs.sort();
    match logs.len() {
        1 => {
            let log = logs.remove(0);
            let m = std::fs::symlink_metadata(&log).map_err(|e| Error::io(path_text(&log), e))?;
            if !m.is_file() {
                return Err(Error::invalid(format!(
                    "{}: the run log is {}, not a regular file",
                    path_text(&log),
                    if m.file_type().is_symlink() {
                        "a symbolic link"
                    } else {
                        crate::platform::describe_file_type(&m.file_type())
                    }
                )));
            }
            Ok(log)
        }
        0 => Err(Error::invalid(format!(
            "{}: no run-<id>.wandb log in this directory (give a run directory such as wandb/offline-run-…)",
            path_text(path)
        ))),
        _ => Err(Error::invalid(format!(
            "{}: more than one .wandb log",
            path_text(path)
        ))),
    }
}

/// Whether `p` exists (a dangling or planted symlink counts: it is never followed).
fn exists_nofollow(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Uploads one run directory. `timeout`: give up (and report what is pending) after it.
/// Files are read only from inside the run's `files/` tree, never through a symbolic link
/// (see [`sync_dir_following_links`]).
pub fn sync_dir(path: &Path, settings: Settings, timeout: Option<Duration>) -> Result<SyncResult> {
    sync_dir_with(path, settings, timeout, false)
}

/// [`sync_dir`], uploading files that are symbolic links to wherever they point (as
/// `wandb sync` does; `run.save` links the saved files): only for run directories the
/// caller trusts. Paths still must be local (no absolute path, no `..`) and the targets
/// regular files.
pub fn sync_dir_following_links(
    path: &Path,
    settings: Settings,
    timeout: Option<Duration>,
) -> Result<SyncResult> {
    sync_dir_with(path, settings, timeout, true)
}

fn sync_dir_with(
    path: &Path,
    settings: Settings,
    timeout: Option<Duration>,
    follow_links: bool,
) -> Result<SyncResult> {
    let log = find_log(path)?;
    if exists_nofollow(&synced_marker(&log)) {
        return Ok(SyncResult::AlreadySynced);
    }
    let dir = log.parent().unwrap_or(Path::new(".")).to_path_buf();
    let files = dir.join("files");
    // A run directory is untrusted input: its files/ must be a directory of its own (not
    // a link elsewhere); files are read only from inside it (`Sender::confine`).
    match std::fs::symlink_metadata(&files) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::invalid(format!(
            "{}: not a directory (a symbolic link or file): refusing to sync this run directory",
            path_text(&files)
        )))
        }
        Err(_) => std::fs::create_dir(&files).map_err(|e| Error::io(path_text(&files), e))?,
    }
    let ctl = Ctl::new();
    ctl.set_deadline(timeout.map(|t| Instant::now() + t));
    let mut sender = Sender::new(settings, &files, ctl.clone())?;
    if !follow_links {
        sender.confine();
    }
    // An interrupted online run (or sync) continues where the server stopped acknowledging.
    sender.use_progress(&crate::online::sender::progress_path(&dir));
    // On a thread of its own: the HTTP client's resolver and the parallel uploads would
    // otherwise leave the caller's thread handle allocated (see `crate::par`).
    let out = crate::par::off_caller(|| drive(&log, &mut sender, &ctl, None));
    let out = out.into_result(&dir)?;
    let marker = synced_marker(&log);
    let name = marker
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::confine::write_replacing(&dir, &name, b"")?;
    Ok(SyncResult::Uploaded(out))
}

/// What a sync of a log would send, found without any network: every record is read and
/// decoded by the same reader and handed to the same sender as in [`sync_dir`] (the
/// hostile-input tests and the fuzz target use this).
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub records: usize,
    pub has_run: bool,
    pub exited: bool,
    /// Rows and files the sender queued.
    pub rows: usize,
    pub files: usize,
    /// Where and why reading stopped early, and records refused.
    pub problems: Vec<String>,
    /// The queued files a sync would open (path, first bytes read as a sync would).
    pub opened: Vec<(String, Vec<u8>)>,
}

/// Reads `log` to its end (as of opening) like [`sync_dir`] does, without sending.
pub fn scan(log: &Path, confined: bool) -> Result<Scan> {
    use crate::online::reader::{decode, LogTail, TailState};
    let files = log.parent().unwrap_or(Path::new(".")).join("files");
    let settings = Settings {
        base_url: "http://127.0.0.1:9".into(),
        api_key: "scan".into(),
        resume: crate::online::Resume::Never,
        transmit_interval: Duration::from_secs(3600),
        heartbeat: Duration::from_secs(3600),
        retry_min: Duration::from_millis(1),
        retry_max: Duration::from_millis(1),
    };
    let mut sender = Sender::new(settings, &files, Ctl::new())?;
    if confined {
        sender.confine();
    }
    let mut tail = LogTail::open(log)?;
    let end = tail.size_at_open();
    let mut out = Scan::default();
    let mut recs = Vec::new();
    loop {
        recs.clear();
        let st = tail.poll_upto(crate::online::READ_CHUNK, Some(end), &mut recs)?;
        for r in recs.drain(..) {
            out.records += 1;
            match decode(&r) {
                Ok(rec) => sender.handle(rec),
                Err(e) => out.problems.push(e.message),
            }
        }
        match st {
            TailState::More => continue,
            TailState::UpToDate => break,
            TailState::Corrupt(off, why) => {
                out.problems
                    .push(format!("unreadable at byte {off}: {why}"));
                break;
            }
        }
    }
    out.has_run = sender.has_run();
    out.exited = sender.exited();
    (out.rows, out.files) = sender.pending();
    for p in sender.queued_files() {
        match sender.open_run_file(&p) {
            Ok((f, n)) => {
                use std::io::Read;
                let mut head = Vec::new();
                let _ = f.take(n.min(64)).read_to_end(&mut head);
                out.opened.push((p, head));
            }
            Err(e) => out.problems.push(e.message),
        }
    }
    out.problems.append(&mut sender.errors);
    Ok(out)
}
