//! INCREMENTAL tables (`log_mode="INCREMENTAL"`, wandb 0.31): each log binds only the rows
//! added since the previous one, as an increment of the run's `run-<id>-incr-<key>`
//! artifact.

use std::path::PathBuf;

use super::{random_id, LogMode, Table, TableBinding};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{BindCtx, MediaFile};

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
pub(super) struct IncrState {
    pub(super) num: Option<u64>,
    /// Rows logged so far (`_last_logged_idx + 1`); `None` before the first log.
    pub(super) logged: Option<usize>,
    pub(super) previous: Vec<String>,
    /// The run (files directory) the table is logged to: an incremental table can only be
    /// logged to one run.
    pub(super) run: Option<PathBuf>,
}

impl Table {
    /// The increment an artifact copy holds: the last log's, or (never logged) the rows
    /// from the state on; `None` for the other log modes.
    pub(super) fn artifact_increment(&self) -> Option<Increment> {
        if self.log_mode != LogMode::Incremental {
            return None;
        }
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
    }

    /// Binds the next increment of an INCREMENTAL table (`_log_table_artifact`,
    /// `bind_to_run` and `to_json` of wandb 0.31): the run copy holds the rows added since
    /// the last log; the artifact entry is `<increment_num>-<epoch ms>.<key>.table.json`,
    /// named before `to_json` sets the number, so the first one is `None-<ms>…` as the
    /// SDK writes it; the JSON's `nrows` counts all rows.
    pub(super) fn bind_increment(&self, ctx: &BindCtx<'_>) -> Result<TableBinding> {
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
}
