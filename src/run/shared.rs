//! Shared mode (`mode="shared"`, wandb ≥ 0.19.9, W&B Server ≥ 0.68): several processes write
//! to one run id. Facts: `../shared/spec/shared-mode.md` (wandb 0.31.0 observed).
//!
//! A shared writer has a **label** (the SDK's `x_label`: system-metric keys
//! `system.<key>/l:<label>`, console lines `<ts> [<label>] …`, its console file
//! `output_<label>.log`), is **primary** or not (`x_primary`: only the primary uploads
//! `wandb-metadata.json`, `config.yaml` and the `wandb-summary.json` file) and owns the
//! **finish state** or not (`x_update_finish_state`: only the owner's last file_stream
//! request carries `complete`/`exitcode`). Each writer has a random **client id** sent as
//! `X-WANDB-CLIENT-ID` (GraphQL) / `X-WANDB-ASYNC-CLIENT-ID` (file_stream) with
//! `X-WANDB-USE-ASYNC-FILESTREAM: true`.
//!
//! The writer's run directory keeps these in `logs/wandb-media-shared.json`, so that a
//! shared writer that ran offline (`WB_MODE_SHARED_OFFLINE`) is uploaded by
//! `wandb-media sync` exactly as a live writer would have been.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::json::Json;

/// `logs/wandb-media-shared.json` in a shared writer's run directory.
pub const SHARED_FILE: &str = "wandb-media-shared.json";

/// What identifies one shared writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub label: String,
    pub primary: bool,
    /// `x_update_finish_state`: this writer's exit finishes the run.
    pub finish_owner: bool,
    pub client_id: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str) -> Result<Option<bool>> {
    match env(name) {
        None => Ok(None),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(Error::invalid(format!("{name}={v:?}: use true or false"))),
        },
    }
}

/// The launcher rank variables checked for the default label, in this order.
pub const RANK_VARS: [&str; 4] = ["RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID"];

/// The default label: `rank<N>` from the first launcher rank variable set (a number), else
/// the SDK's `<host>-<8 random [0-9a-z]>`.
pub fn default_label() -> String {
    for v in RANK_VARS {
        if let Some(r) = env(v) {
            if let Ok(n) = r.trim().parse::<u64>() {
                return format!("rank{n}");
            }
        }
    }
    format!(
        "{}-{}",
        crate::platform::hostname(),
        crate::platform::random_base36(8)
    )
}

/// A UUIDv7 string (what wandb 0.31 sends as the client id); the same generator as Weave's
/// call ids.
pub fn client_id() -> String {
    crate::weave::ids::uuid_v7()
}

/// wandb-core's `SanitizeFilename` for the console file name (`/`, `\`, NUL and the
/// characters Windows forbids become `_`, control characters are dropped, trailing dots and
/// spaces trimmed).
pub fn sanitize(label: &str) -> String {
    let s: String = label
        .chars()
        .filter(|c| !c.is_control() || *c == '\0')
        .map(|c| match c {
            '/' | '\\' | '\0' | '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    s.trim_end_matches(['.', ' ']).trim().to_string()
}

/// The writer of a shared run from the options (explicit value, then `WANDB_X_LABEL`,
/// `WANDB_X_PRIMARY`, `WANDB_X_UPDATE_FINISH_STATE`, then the defaults).
pub fn resolve(
    label: Option<&str>,
    primary: Option<bool>,
    update_finish_state: Option<bool>,
) -> Result<Writer> {
    let label = match label.map(str::to_string).or_else(|| env("WANDB_X_LABEL")) {
        Some(l) => l,
        None => default_label(),
    };
    if label.is_empty() || label.chars().count() > 128 || sanitize(&label).is_empty() {
        return Err(Error::invalid(format!(
            "shared-mode label {label:?}: use 1 to 128 characters that make a file name"
        )));
    }
    let primary = match primary {
        Some(p) => p,
        None => env_bool("WANDB_X_PRIMARY")?.unwrap_or(true),
    };
    let finish_owner = match update_finish_state {
        Some(p) => p,
        None => env_bool("WANDB_X_UPDATE_FINISH_STATE")?.unwrap_or(true),
    };
    Ok(Writer {
        label,
        primary,
        finish_owner,
        client_id: client_id(),
    })
}

/// The writer's console file (`output_<sanitized label>.log`).
pub fn console_file(label: &str) -> String {
    format!("output_{}.log", sanitize(label))
}

fn path(logs_dir: &Path) -> PathBuf {
    logs_dir.join(SHARED_FILE)
}

/// Writes `logs/wandb-media-shared.json`.
pub fn save(logs_dir: &Path, w: &Writer) -> Result<()> {
    let j = Json::object([
        ("label", Json::str(&w.label)),
        ("primary", Json::Bool(w.primary)),
        ("update_finish_state", Json::Bool(w.finish_owner)),
        ("client_id", Json::str(&w.client_id)),
    ]);
    let p = path(logs_dir);
    std::fs::write(&p, j.to_compact()).map_err(|e| Error::io(p.display(), e))
}

/// Reads `logs/wandb-media-shared.json` (None: not a shared writer's directory, or
/// unreadable).
pub fn load(logs_dir: &Path) -> Option<Writer> {
    // A run directory may come from another machine: a regular file only, never blocking,
    // at most the size seen at open.
    let bytes = crate::confine::read_regular(&path(logs_dir)).ok()?;
    let j = Json::parse(std::str::from_utf8(&bytes).ok()?).ok()?;
    Some(Writer {
        label: j.get("label")?.as_str()?.to_string(),
        primary: j.get("primary") != Some(&Json::Bool(false)),
        finish_owner: j.get("update_finish_state") != Some(&Json::Bool(false)),
        client_id: j.get("client_id")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_labels_files() {
        let id = client_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "7");
        assert_ne!(client_id(), id);
        assert_eq!(sanitize("node/1:rank 0. "), "node_1_rank 0");
        assert_eq!(console_file("rank0"), "output_rank0.log");
        let w = resolve(Some("rank3"), Some(false), None).unwrap();
        assert!(!w.primary && w.finish_owner && w.label == "rank3");
        assert!(resolve(Some(""), None, None).is_err());
        let dir = std::env::temp_dir().join(format!("wbm-shared-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        save(&dir, &w).unwrap();
        assert_eq!(load(&dir), Some(w));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
