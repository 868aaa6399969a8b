//! `wandb.JoinedTable` (§9.6).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{random_id, ArtifactFiles, Table};
use crate::error::Result;
use crate::json::Json;
use crate::media::{BindCtx, Media};

/// `join_key`: one column name, or one per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinKey {
    One(String),
    Pair(String, String),
}

impl JoinKey {
    fn to_json(&self) -> Json {
        match self {
            JoinKey::One(k) => Json::str(k.clone()),
            JoinKey::Pair(a, b) => Json::Array(vec![Json::str(a.clone()), Json::str(b.clone())]),
        }
    }
}

/// `wandb.JoinedTable(table1, table2, join_key)` of two tables. Logged, it writes no run
/// file; its JSON is `{"_type": "joined-table", "artifact_path": …/<key>.joined-table.json}`
/// and the `run_table` artifact holds both tables ([`JoinedTable::artifact_files`]).
/// (The SDK also accepts artifact paths of tables; those only resolve inside an artifact
/// that already holds them, so only table objects are supported here.)
#[derive(Debug, Clone)]
pub struct JoinedTable {
    pub table1: Arc<Table>,
    pub table2: Arc<Table>,
    pub join_key: JoinKey,
    /// Stands in for Python's `id(self)` in the entry names `t1_<id>.table.json`.
    object_id: u64,
    binding: Arc<Mutex<Option<(PathBuf, String, Json)>>>,
}

impl JoinedTable {
    pub fn new(table1: Table, table2: Table, join_key: JoinKey) -> Result<JoinedTable> {
        let object_id = 0x7f00_0000_0000 | (crate::platform::random_u64() & 0xff_ffff_fff0);
        Ok(JoinedTable {
            table1: Arc::new(table1),
            table2: Arc::new(table2),
            join_key,
            object_id,
            binding: Arc::new(Mutex::new(None)),
        })
    }

    /// The artifact client id of the last log, if any.
    pub fn client_id(&self) -> Option<String> {
        self.binding
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|b| b.1.clone())
    }

    /// Every file of the `run_table` artifact for a log under `key`: the two tables
    /// (`t1_<id>.table.json`, `t2_<id>.table.json`, with their media) and
    /// `<key>.joined-table.json` = `{"_type": "joined-table", "join_key", "table1", "table2"}`.
    pub fn artifact_files(&self, key: &str) -> Result<ArtifactFiles> {
        let mut files = ArtifactFiles::default();
        let mut names = Vec::with_capacity(2);
        for (i, t) in [&self.table1, &self.table2].into_iter().enumerate() {
            let copy = t.artifact_copy()?;
            for e in copy.files.entries() {
                files.add_bytes(e.name.clone(), e.bytes.clone());
            }
            let name = format!("t{}_{}.table.json", i + 1, self.object_id);
            files.add_bytes(name.clone(), Arc::new(copy.json.into_bytes()));
            names.push(name);
        }
        let joined = Json::object([
            ("_type", Json::str("joined-table")),
            ("table1", Json::str(names[0].clone())),
            ("table2", Json::str(names[1].clone())),
            ("join_key", self.join_key.to_json()),
        ]);
        files.add_bytes(
            crate::media::artifact_path::entry_name(key, "joined-table")?,
            Arc::new(joined.to_artifact().into_bytes()),
        );
        Ok(files)
    }
}

impl Media for JoinedTable {
    fn class_name(&self) -> &'static str {
        "JoinedTable"
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let mut slot = self.binding.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((dir, _, json)) = slot.as_ref() {
            if dir == ctx.sink.files_dir() {
                return Ok(json.clone());
            }
        }
        let entry_name = crate::media::artifact_path::entry_name(ctx.key, "joined-table")?;
        let client_id = random_id(128);
        let json = Json::object([
            ("_type", Json::str("joined-table")),
            (
                "artifact_path",
                Json::str(format!("wandb-client-artifact://{client_id}/{entry_name}")),
            ),
        ]);
        *slot = Some((ctx.sink.files_dir().to_path_buf(), client_id, json.clone()));
        Ok(json)
    }
    media_object_methods!();
}
