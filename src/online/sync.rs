//! Native `sync`: upload an offline (or interrupted online) run directory — ours or one
//! written by the Python SDK — with the same sender online mode uses, then mark it synced
//! (`run-<id>.wandb.synced`, as `wandb sync` does). A marked run is skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// The `.wandb` log of a run directory (or the log itself).
pub fn find_log(path: &Path) -> Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let rd = std::fs::read_dir(path).map_err(|e| Error::io(path.display(), e))?;
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
        1 => Ok(logs.remove(0)),
        0 => Err(Error::invalid(format!(
            "{}: no run-<id>.wandb log in this directory (give a run directory such as wandb/offline-run-…)",
            path.display()
        ))),
        _ => Err(Error::invalid(format!("{}: more than one .wandb log", path.display()))),
    }
}

/// Uploads one run directory. `timeout`: give up (and report what is pending) after it.
pub fn sync_dir(path: &Path, settings: Settings, timeout: Option<Duration>) -> Result<SyncResult> {
    let log = find_log(path)?;
    if synced_marker(&log).exists() {
        return Ok(SyncResult::AlreadySynced);
    }
    let dir = log.parent().unwrap_or(Path::new(".")).to_path_buf();
    let files = dir.join("files");
    std::fs::create_dir_all(&files).map_err(|e| Error::io(files.display(), e))?;
    let ctl = Ctl::new();
    ctl.set_deadline(timeout.map(|t| Instant::now() + t));
    let mut sender = Sender::new(settings, &files, ctl.clone())?;
    // An interrupted online run (or sync) continues where the server stopped acknowledging.
    sender.use_progress(&crate::online::sender::progress_path(&dir));
    // On a thread of its own: the HTTP client's resolver and the parallel uploads would
    // otherwise leave the caller's thread handle allocated (see `crate::par`).
    let out = crate::par::off_caller(|| drive(&log, &mut sender, &ctl, None));
    let out = out.into_result(&dir)?;
    std::fs::write(synced_marker(&log), b"").map_err(|e| Error::io(log.display(), e))?;
    Ok(SyncResult::Uploaded(out))
}
