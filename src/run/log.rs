//! The run's `.wandb` log as the append path sees it: records framed and written one call
//! at a time, undone on an I/O error, and wandb-core's partial-history step logic.

use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::framing::Framer;
use super::record::{self, Leaves};
use super::tables::Pending;
use super::{merge_config, metric, proto, Job, Shared};
use crate::error::{Error, Result};
use crate::json::Json;

/// Everything the append path owns (behind one lock).
pub(super) struct Log {
    pub(super) file: Option<File>,
    pub(super) framer: Framer,
    pub(super) num: i64,
    /// wandb-core's current row step.
    pub(super) core_step: i64,
    /// Leaves of the uncommitted row (`commit=false` / explicit step).
    pub(super) pending: Leaves,
    /// Compact text of the `_wandb` config last written.
    pub(super) wandb_config: String,
    /// The whole run config (`_wandb` first, then keys in insertion order): the SDK
    /// persists all of it whenever a box/mask singleton is set. Shared with a rollback
    /// snapshot (copied only when a call changes it).
    pub(super) config: Arc<Vec<(String, Json)>>,
    /// Rows dropped because their explicit step was below the current one (as core does).
    pub(super) dropped_rows: u64,
    /// Defined metrics and per-key summary state (`define_metric`).
    pub(super) metrics: metric::Metrics,
    pub(super) buf: Vec<u8>,
    /// Online mode: pokes the uploader after every write.
    pub(super) wake: Option<Arc<crate::online::uploader::Wake>>,
    /// Shared mode: history records carry no `_step` (the server numbers the rows).
    pub(super) shared: bool,
    /// Bytes of complete records in the file: a failed write is truncated back to it.
    pub(super) len: u64,
    /// The log's path (to notice the run directory being deleted or replaced).
    pub(super) path: PathBuf,
}

/// What `Log::apply` changes, saved before a write so a failed write can be undone (the
/// metrics state keeps its own undo journal).
pub(super) struct LogSnapshot {
    framer: Framer,
    num: i64,
    core_step: i64,
    pending: Leaves,
    wandb_config: String,
    config: Arc<Vec<(String, Json)>>,
    dropped_rows: u64,
}

impl Log {
    pub(super) fn append(
        &mut self,
        field: u32,
        body: &proto::Msg,
        stream: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        self.num += 1;
        let payload = record::record(self.num, field, body, stream);
        if let Some(w) = &self.wake {
            w.status.stage_record(field, &payload);
        }
        self.framer.append(&payload, out);
    }

    /// One `write` of a call's records (a record is never split across calls). On an I/O
    /// error the file is truncated back to its last complete record, so the log stays
    /// readable and later calls can write again; if even that fails, `file` is closed.
    pub(super) fn write(&mut self, buf: &[u8], sync: bool) -> Result<()> {
        let Some(f) = self.file.as_mut() else {
            return Err(Error::state("the run is finished"));
        };
        let what = || format!("writing the run log {}", self.path.display());
        if let Err(e) = f.write_all(buf) {
            let err = Error::io(what(), e);
            let rolled_back = f
                .set_len(self.len)
                .and_then(|()| f.seek(SeekFrom::Start(self.len)).map(|_| ()));
            if let Err(e2) = rolled_back {
                self.file = None;
                return Err(Error::new(
                    err.kind,
                    format!(
                        "{}; the log could not be truncated back to its last record ({e2})",
                        err.message
                    ),
                ));
            }
            return Err(err);
        }
        self.len += buf.len() as u64;
        // A run directory deleted under us: writes still succeed, into an unlinked file.
        match f.metadata() {
            Ok(m) if matches!(crate::platform::file_identity(&m), Some((_, _, 0))) => {
                self.file = None;
                return Err(Error::new(
                    crate::error::ErrorKind::Io,
                    format!(
                        "the run log was deleted (was the run directory removed?): {}",
                        crate::confine::path_text(&self.path)
                    ),
                ));
            }
            _ => {}
        }
        if sync {
            f.sync_data()
                .map_err(|e| Error::io("fsync of the run log", e))?;
        }
        if let Some(w) = &self.wake {
            w.publish(self.len);
        }
        Ok(())
    }

    /// The open log is still the file at its path (not deleted, moved or replaced).
    pub(super) fn check_identity(&self) -> Result<()> {
        let Some(f) = &self.file else { return Ok(()) };
        let open = f
            .metadata()
            .map_err(|e| Error::io(self.path.display(), e))?;
        let gone = |why: &str| {
            Error::new(
                crate::error::ErrorKind::Io,
                format!(
                    "the run log {why} (was the run directory removed or replaced?): {}",
                    crate::confine::path_text(&self.path)
                ),
            )
        };
        let open = crate::platform::file_identity(&open);
        match fs::metadata(&self.path).map(|m| crate::platform::file_identity(&m)) {
            Err(_) => Err(gone("no longer exists")),
            Ok(Some((dev, ino, _))) if open.is_some_and(|o| (o.0, o.1) != (dev, ino)) => {
                Err(gone("was replaced by another file"))
            }
            Ok(_) if matches!(open, Some((_, _, 0))) => Err(gone("was deleted")),
            Ok(_) => Ok(()),
        }
    }

    /// Saves the state a write changes (and starts the metrics journal): `restore` after a
    /// failed write, `commit` after a successful one.
    pub(super) fn snapshot(&mut self) -> LogSnapshot {
        self.metrics.checkpoint();
        LogSnapshot {
            framer: self.framer.clone(),
            num: self.num,
            core_step: self.core_step,
            pending: self.pending.clone(),
            wandb_config: self.wandb_config.clone(),
            config: self.config.clone(),
            dropped_rows: self.dropped_rows,
        }
    }

    pub(super) fn restore(&mut self, s: LogSnapshot) {
        self.framer = s.framer;
        self.num = s.num;
        self.core_step = s.core_step;
        self.pending = s.pending;
        self.wandb_config = s.wandb_config;
        self.config = s.config;
        self.dropped_rows = s.dropped_rows;
        self.metrics.rollback();
        if let Some(w) = &self.wake {
            w.status.discard_staged();
        }
    }

    /// A write succeeded: the snapshot is no longer needed.
    pub(super) fn commit(&mut self) {
        self.metrics.commit();
    }

    /// Commits the pending row as wandb-core does: runtime summary, summary mirror, history.
    pub(super) fn commit_pending(&mut self, start: Instant, out: &mut Vec<u8>) {
        if self.pending.is_empty() {
            return;
        }
        let rt = start.elapsed();
        self.append(
            proto::record::SUMMARY,
            &record::runtime_summary(rt.as_secs() as i64),
            None,
            out,
        );
        let mut leaves = std::mem::take(&mut self.pending);
        record::merge_leaf(
            &mut leaves,
            vec!["_runtime".into()],
            Json::Float(rt.as_secs_f64()),
        );
        if !self.shared {
            record::merge_leaf(&mut leaves, vec!["_step".into()], Json::Int(self.core_step));
        }
        self.metrics.prepare_row(&mut leaves);
        let summary = self.metrics.summary_items(&leaves);
        self.append(
            proto::record::SUMMARY,
            &record::summary_items(&summary),
            None,
            out,
        );
        let body = if self.shared {
            record::history_items(&leaves)
        } else {
            record::history(&leaves, self.core_step)
        };
        self.append(proto::record::HISTORY, &body, None, out);
    }

    /// `files` records, one per file; a table's `run_table` artifact record goes right
    /// before its run copy's record (where the SDK logs it), artifacts without a run copy
    /// (joined tables) first.
    pub(super) fn announce_files(
        &mut self,
        files: &[String],
        artifacts: Vec<Pending>,
        s: &Shared,
        out: &mut Vec<u8>,
    ) {
        let emit = |log: &mut Log, p: Pending, out: &mut Vec<u8>| {
            let body = record::table_artifact(&s.id, &s.project, &s.entity, &p.artifact);
            log.append(proto::record::ARTIFACT, &body, Some(&s.id), out);
        };
        let (unplaced, mut placed): (Vec<Pending>, Vec<Pending>) = artifacts
            .into_iter()
            .partition(|p| p.run_copy.as_ref().is_none_or(|r| !files.contains(r)));
        for p in unplaced {
            emit(self, p, out);
        }
        for f in files {
            while let Some(i) = placed.iter().position(|p| p.run_copy.as_ref() == Some(f)) {
                emit(self, placed.remove(i), out);
            }
            self.append(proto::record::FILES, &record::files(&[f]), Some(&s.id), out);
        }
    }

    pub(super) fn apply(&mut self, job: Job, s: &Shared, out: &mut Vec<u8>) {
        match job {
            Job::Log {
                files,
                artifacts,
                singletons,
                items,
                step,
                commit,
            } => {
                self.announce_files(&files, artifacts, s, out);
                // Box/mask class-label singletons (§3.4): like the SDK, the whole `_wandb`
                // object again for every row that bound box/mask layers (and whenever it
                // changed).
                let cfg = s.files.config_json();
                let text = cfg.to_compact();
                if singletons || text != self.wandb_config {
                    merge_config(
                        Arc::make_mut(&mut self.config),
                        vec![("_wandb".into(), cfg)],
                    );
                    let body = record::update(&record::key_items(&self.config));
                    self.append(proto::record::CONFIG, &body, Some(&s.id), out);
                    self.wandb_config = text;
                }
                // wandb-core's partial-history step rules (§15.4 table).
                if let Some(st) = step {
                    if st > self.core_step {
                        self.commit_pending(s.start, out);
                        self.core_step = st;
                    } else if st < self.core_step {
                        self.dropped_rows += 1;
                        crate::diag::warn(&format!(
                            "Tried to log to step {st} that is less than the current step {}. \
                             Steps must be monotonically increasing, so this data will be \
                             ignored. See https://wandb.me/define-metric to log data out of \
                             order.",
                            self.core_step
                        ));
                        return;
                    }
                }
                let mut leaves = Leaves::new();
                for (k, v) in &items {
                    record::flatten_into(&mut vec![k.clone()], v, &mut leaves);
                }
                if self.pending.is_empty() {
                    self.pending = leaves;
                } else {
                    for (p, v) in leaves {
                        record::merge_leaf(&mut self.pending, p, v);
                    }
                }
                if commit.unwrap_or(step.is_none()) {
                    self.commit_pending(s.start, out);
                    // `log` refuses calls that would pass i64::MAX (core_step <= local step).
                    self.core_step = self.core_step.saturating_add(1);
                }
            }
            Job::Summary {
                files,
                artifacts,
                items,
            } => {
                self.announce_files(&files, artifacts, s, out);
                let body = record::update(&record::key_items(&items));
                self.append(proto::record::SUMMARY, &body, Some(&s.id), out);
                for (k, _) in &items {
                    self.metrics.explicit_summary(k);
                }
            }
            Job::Record {
                field,
                body,
                stream,
            } => {
                let id = stream.then_some(s.id.as_str());
                self.append(field, &body, id, out);
            }
            Job::Metric { name, opts } => {
                let body = metric::record(&name, &opts);
                self.append(proto::record::METRIC, &body, Some(&s.id), out);
                self.metrics.define(&name, &opts);
            }
            Job::Config { items } => {
                let body = record::update(&record::key_items(&items));
                self.append(proto::record::CONFIG, &body, Some(&s.id), out);
                merge_config(Arc::make_mut(&mut self.config), items);
            }
        }
    }
}
