//! Tables logged in rows (spec §9.2): the `run_table` artifact record.
//!
//! Binding a `Table` (or `JoinedTable`) happens inside the row conversion, which gives it
//! fresh artifact client ids. The run writer notes which tables of a row were already bound
//! to this run before converting, and for each table bound by the conversion it stages the
//! artifact's files (the `<key>.table.json` artifact copy and the media of its cells) under
//! `<run dir>/tmp/artifacts/` and builds the `ArtifactRecord` wandb-core would write:
//! name `run-<run id>-<key>` (sanitised), type `run_table`, alias `latest`, manifest
//! entries with base64-MD5 digests and absolute `local_path`s, manifest digest = MD5 of
//! `wandb-artifact-manifest-v1\n` + `<path>:<digest>\n` per entry sorted by path.

use std::sync::Arc;

use crate::error::Result;
use crate::media::table::digest::md5_hex;
use crate::media::table::{random_id, JoinedTable, Table};
use crate::media::Media;
use crate::run::record::{sanitize_artifact_name, ArtifactEntry, TableArtifact};
use crate::run_dir::RunDir;
use crate::value::Value;

/// (entry name, bytes, base64 MD5 digest, reference URL of a reference entry)
type Entry = (String, Arc<Vec<u8>>, String, Option<String>);

fn entries_of(files: &crate::media::table::ArtifactFiles) -> Vec<Entry> {
    files
        .entries()
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.bytes.clone(),
                e.digest.clone(),
                e.reference.clone(),
            )
        })
        .collect()
}

/// A table-like value found in a row, with the key it is bound under.
pub struct Found {
    key: String,
    media: Arc<dyn Media>,
    /// Artifact client id of an earlier binding to this run (re-logging an unchanged
    /// IMMUTABLE table creates no new artifact).
    before: Option<String>,
}

fn bound_client_id(m: &dyn Media, files: &RunDir) -> Option<String> {
    let any = m.as_any();
    if let Some(t) = any.downcast_ref::<Table>() {
        return t
            .binding()
            .filter(|b| b.files_dir == files.files_dir())
            .map(|b| b.client_id);
    }
    if let Some(j) = any.downcast_ref::<JoinedTable>() {
        // A joined table keeps only its last binding's id; a re-log into the same run
        // returns the same JSON and the id does not change.
        return j.client_id();
    }
    None
}

fn walk(v: &Value, key: &str, files: &RunDir, out: &mut Vec<Found>) {
    match v {
        Value::Media(m) => {
            let any = m.as_any();
            if any.is::<Table>() || any.is::<JoinedTable>() {
                out.push(Found {
                    key: key.to_string(),
                    media: m.clone(),
                    before: bound_client_id(m.as_ref(), files),
                });
            }
        }
        // Nested dicts bind under their innermost key (§1.2); list items under the list's.
        Value::Dict(members) => {
            for (k, child) in members {
                walk(child, k, files, out);
            }
        }
        Value::List(items) => {
            for child in items {
                walk(child, key, files, out);
            }
        }
        _ => {}
    }
}

/// Tables of a row (before converting it). `summary`: keys are dotted paths, as the
/// summary namespace names them.
pub fn find(row: &[(String, Value)], files: &RunDir, summary: bool) -> Vec<Found> {
    let mut out = Vec::new();
    for (k, v) in row {
        if summary {
            walk_summary(v, k, files, &mut out);
        } else {
            walk(v, k, files, &mut out);
        }
    }
    out
}

fn walk_summary(v: &Value, key: &str, files: &RunDir, out: &mut Vec<Found>) {
    match v {
        Value::Dict(members) => {
            for (k, child) in members {
                walk_summary(child, &format!("{key}.{k}"), files, out);
            }
        }
        other => walk(other, key, files, out),
    }
}

/// One artifact to write with the row, placed before the table's run copy `files` record
/// (`run_copy` = its relative path; `None` for joined tables, which write no run file).
pub struct Pending {
    pub run_copy: Option<String>,
    pub artifact: TableArtifact,
}

/// Artifacts for the tables the conversion bound (call after converting the row).
/// Stages their files through a `RunDir` rooted at `<run dir>/tmp/artifacts`.
pub fn artifacts(
    found: Vec<Found>,
    files: &RunDir,
    staging: &RunDir,
    run_id: &str,
) -> Result<Vec<Pending>> {
    let mut out = Vec::new();
    for f in found {
        let now = bound_client_id(f.media.as_ref(), files);
        if now.is_none() || now == f.before {
            continue;
        }
        let any = f.media.as_any();
        let incremental = any
            .downcast_ref::<Table>()
            .is_some_and(|t| t.log_mode() == crate::media::table::LogMode::Incremental);
        let (key, client_id, sequence_client_id, run_copy, entries) =
            if let Some(t) = any.downcast_ref::<Table>() {
                let Some(b) = t.binding() else { continue };
                if let Some(src) = &b.source {
                    // Read from another artifact: one reference entry `<key>.table.json`
                    // to the source's `<name>.table.json` (no copy of the table or its
                    // media), as `artifact.add` does for a value with `_artifact_source`.
                    let entries = vec![(
                        b.entry_name.clone(),
                        Arc::new(Vec::new()),
                        src.digest.clone(),
                        Some(src.url()),
                    )];
                    (
                        b.key,
                        b.client_id,
                        b.sequence_client_id,
                        Some(b.path),
                        entries,
                    )
                } else {
                    let copy = t.artifact_copy()?;
                    let mut entries = entries_of(&copy.files);
                    let json = Arc::new(copy.json.into_bytes());
                    let digest = crate::media::table::digest::md5_base64(&json);
                    entries.push((b.entry_name.clone(), json, digest, None));
                    (
                        b.key,
                        b.client_id,
                        b.sequence_client_id,
                        Some(b.path),
                        entries,
                    )
                }
            } else if let Some(j) = any.downcast_ref::<JoinedTable>() {
                let Some(client_id) = j.client_id() else {
                    continue;
                };
                let files = j.artifact_files(&f.key)?;
                let entries = entries_of(&files);
                (f.key.clone(), client_id, random_id(128), None, entries)
            } else {
                continue;
            };
        let stage_dir = client_id[..client_id.len().min(16)].to_string();
        let mut manifest = Vec::with_capacity(entries.len());
        for (n, (name, bytes, digest, reference)) in entries.into_iter().enumerate() {
            if reference.is_some() {
                manifest.push(ArtifactEntry {
                    path: name,
                    digest,
                    size: 0,
                    local_path: String::new(),
                    reference,
                });
                continue;
            }
            let rel = format!("{stage_dir}/{n}");
            staging.write_file(&rel, &bytes)?;
            manifest.push(ArtifactEntry {
                path: name,
                digest,
                size: bytes.len() as u64,
                local_path: staging.files_dir().join(&rel).display().to_string(),
                reference: None,
            });
        }
        // The SDK's manifest lists entries sorted by path (and hashes them in that order).
        manifest.sort_by(|a, b| a.path.cmp(&b.path));
        let mut text = String::from("wandb-artifact-manifest-v1\n");
        for e in &manifest {
            text.push_str(&format!("{}:{}\n", e.path, e.digest));
        }
        out.push(Pending {
            run_copy,
            artifact: TableArtifact {
                name: if incremental {
                    incremental_artifact_name(run_id, &key)
                } else {
                    artifact_name(run_id, &key)
                },
                incremental,
                digest: md5_hex(text.as_bytes()),
                client_id,
                sequence_client_id,
                entries: manifest,
            },
        });
    }
    Ok(out)
}

/// `run-<run id>-incr-<key>` (an INCREMENTAL table's artifact), sanitised like the SDK.
pub fn incremental_artifact_name(run_id: &str, key: &str) -> String {
    sanitize_artifact_name(&format!("run-{run_id}-incr-{key}"))
}

/// `run-<run id>-<key>`, sanitised like the SDK.
pub fn artifact_name(run_id: &str, key: &str) -> String {
    sanitize_artifact_name(&format!("run-{run_id}-{key}"))
}
