//! The records of a native offline run, built the way wandb-core 0.31.0 writes them into an
//! offline run's `.wandb` log (spec §16.3; observed by decoding logs written by the SDK).
//!
//! What wandb-core does with a Python row, and what this module reproduces:
//! * history rows are **flattened**: every nested object becomes leaf items with a
//!   `nested_key` path (lists are not split; empty objects disappear);
//! * leaf values are **re-encoded** by core's JSON writer ([`core_json`]): floats in Go's
//!   shortest `%g` form (`1`, `1e-05`, `1.7953059169793212e+09`), integers beyond int64 as
//!   floats, strings with only `"`, `\` and control characters escaped;
//! * each committed row is preceded by a runtime summary
//!   (`_wandb.runtime` / `_runtime` in whole seconds) and a summary record mirroring the
//!   row's non-null leaves;
//! * summary and config updates keep the client's items (`key` + serialiser-A JSON).

use crate::json::Json;
use crate::run::proto::{self, Msg};

/// Leaves of a flattened row: `(nested_key path, value)` (values are never objects, except
/// objects inside lists).
pub type Leaves = Vec<(Vec<String>, Json)>;

/// wandb-core's JSON text for a value (see the module docs).
pub fn core_json(v: &Json) -> String {
    let mut s = String::new();
    write_core(v, &mut s);
    s
}

fn write_core(v: &Json, out: &mut String) {
    crate::json::write_compact_numbers(v, out, |n, out| match n {
        Json::Int(i) => out.push_str(&i.to_string()),
        // Core parses integers outside int64 as float64.
        Json::UInt(u) => go_float(*u as f64, out),
        Json::Float(f) => go_float(*f, out),
        _ => unreachable!("numbers only"),
    })
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 64)` plus `NaN`/`Infinity`/`-Infinity` (see
/// [`crate::json::format_float_go`], the crate's one float formatter).
pub fn go_float(x: f64, out: &mut String) {
    crate::json::format_float_go(x, out)
}

/// Flatten one top-level history item the way core does (`{"a":{"b":1}}` → `["a","b"]`;
/// empty objects vanish; lists stay whole).
pub fn flatten_into(path: &mut Vec<String>, v: &Json, out: &mut Leaves) {
    match v {
        Json::Object(members) => {
            for (k, child) in members {
                path.push(k.clone());
                flatten_into(path, child, out);
                path.pop();
            }
        }
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

/// Merge leaves into a pending (uncommitted) row as core's partial-history handling does:
/// setting a path replaces the same path, every path below it and every leaf above it
/// (`{"e":{"a":1}}` then `{"e":3}` leaves only `e`).
pub fn merge_leaf(pending: &mut Leaves, path: Vec<String>, value: Json) {
    pending.retain(|(p, _)| !(p.starts_with(&path) || path.starts_with(p)));
    pending.push((path, value));
}

fn item(path: &[String], value_json: &str, nested: bool) -> Msg {
    let mut m = Msg::new();
    if nested {
        for k in path {
            m.repeated_string(proto::item::NESTED_KEY, k);
        }
    } else {
        m.string(
            proto::item::KEY,
            path.first().map(String::as_str).unwrap_or(""),
        );
    }
    m.string(proto::item::VALUE_JSON, value_json);
    m
}

/// Wrap a record body: `Record { num, <field>: body, _info? }`.
pub fn record(num: i64, field: u32, body: &Msg, stream_id: Option<&str>) -> Vec<u8> {
    let mut r = Msg::new();
    r.int(proto::record::NUM, num);
    r.message(field, body);
    if let Some(id) = stream_id {
        let mut info = Msg::new();
        info.string(proto::record_info::STREAM_ID, id);
        r.message(proto::record::INFO, &info);
    }
    r.into_bytes()
}

/// `HeaderRecord`. `min_consumer` is what wandb 0.31.0 writes; the producer names this
/// library (semver build metadata keeps it parseable).
pub fn header() -> Msg {
    let mut v = Msg::new();
    v.string(
        proto::header::PRODUCER,
        &format!("0.31.0+wandb-media.{}", crate::VERSION),
    )
    .string(proto::header::MIN_CONSUMER, "0.70.0");
    let mut h = Msg::new();
    h.message(proto::header::VERSION_INFO, &v);
    h
}

/// A `google.protobuf.Timestamp`.
pub fn timestamp(unix: std::time::Duration) -> Msg {
    let mut t = Msg::new();
    t.int(proto::timestamp::SECONDS, unix.as_secs() as i64)
        .int(proto::timestamp::NANOS, i64::from(unix.subsec_nanos()));
    t
}

/// `OutputRawRecord`: one console chunk (timestamp in microseconds, as the SDK stamps it).
pub fn output_raw(stderr: bool, unix: std::time::Duration, line: &str) -> Msg {
    use proto::output_raw as f;
    let micros = std::time::Duration::from_micros(unix.as_micros() as u64);
    let mut m = Msg::new();
    m.int(f::OUTPUT_TYPE, if stderr { 0 } else { 1 })
        .message(f::TIMESTAMP, &timestamp(micros))
        .string(f::LINE, line);
    m
}

/// Items `{key, value_json}` (serialiser A), as the SDK sends config and summary updates.
pub fn key_items(items: &[(String, Json)]) -> Vec<Msg> {
    items
        .iter()
        .map(|(k, v)| item(std::slice::from_ref(k), &v.to_compact(), false))
        .collect()
}

/// A `ConfigRecord` / `SummaryRecord` body from items.
pub fn update(items: &[Msg]) -> Msg {
    let mut m = Msg::new();
    for it in items {
        m.message(proto::update::UPDATE, it);
    }
    m
}

/// What goes into a `RunRecord`.
#[derive(Debug, Clone, Default)]
pub struct RunInfo<'a> {
    pub run_id: &'a str,
    pub entity: &'a str,
    pub project: &'a str,
    pub display_name: &'a str,
    pub group: &'a str,
    pub job_type: &'a str,
    pub notes: &'a str,
    pub tags: &'a [String],
    pub host: &'a str,
    /// Config items (`_wandb` first, as the SDK sends it).
    pub config: &'a [(String, Json)],
    pub start: std::time::Duration,
    pub set_id: bool,
}

/// `RunRecord` (with the init-time telemetry features a native run can claim honestly).
pub fn run(info: &RunInfo<'_>) -> Msg {
    use proto::run as f;
    let mut m = Msg::new();
    m.string(f::RUN_ID, info.run_id)
        .string(f::ENTITY, info.entity)
        .string(f::PROJECT, info.project)
        .message(f::CONFIG, &update(&key_items(info.config)))
        .string(f::RUN_GROUP, info.group)
        .string(f::JOB_TYPE, info.job_type)
        .string(f::DISPLAY_NAME, info.display_name)
        .string(f::NOTES, info.notes);
    for t in info.tags {
        m.repeated_string(f::TAGS, t);
    }
    m.string(f::HOST, info.host)
        .message(f::START_TIME, &timestamp(info.start));
    let mut feature = Msg::new();
    feature
        .boolean(proto::telemetry::F_OFFLINE, true)
        .boolean(
            proto::telemetry::F_SET_INIT_NAME,
            !info.display_name.is_empty(),
        )
        .boolean(proto::telemetry::F_SET_INIT_ID, info.set_id)
        .boolean(proto::telemetry::F_SET_INIT_TAGS, !info.tags.is_empty())
        .boolean(
            proto::telemetry::F_SET_INIT_CONFIG,
            info.config.len() > 1, // more than `_wandb`
        );
    let mut tel = Msg::new();
    tel.message(proto::telemetry::FEATURE, &feature);
    m.message(f::TELEMETRY, &tel);
    m
}

/// What goes into an `EnvironmentRecord` (uploaded as `wandb-metadata.json` by sync).
#[derive(Debug, Clone, Default)]
pub struct EnvInfo {
    pub os: String,
    pub host: String,
    pub program: String,
    pub args: Vec<String>,
    pub root: String,
    pub executable: String,
    pub cpu_count: i64,
    pub started_at: std::time::Duration,
    pub writer_id: String,
}

pub fn environment(e: &EnvInfo) -> Msg {
    use proto::environment as f;
    let mut m = Msg::new();
    m.string(f::OS, &e.os)
        .message(f::STARTED_AT, &timestamp(e.started_at));
    for a in &e.args {
        m.repeated_string(f::ARGS, a);
    }
    m.string(f::PROGRAM, &e.program)
        .string(f::ROOT, &e.root)
        .string(f::HOST, &e.host)
        .string(f::EXECUTABLE, &e.executable)
        .int(f::CPU_COUNT, e.cpu_count)
        .int(f::CPU_COUNT_LOGICAL, e.cpu_count)
        .string(f::WRITER_ID, &e.writer_id);
    m
}

/// `FilesRecord` announcing one media file (policy NOW, type OTHER: the defaults core uses).
pub fn files(paths: &[&str]) -> Msg {
    let mut m = Msg::new();
    for p in paths {
        let mut it = Msg::new();
        it.string(proto::files::PATH, p);
        m.message(proto::files::FILES, &it);
    }
    m
}

/// The runtime summary core writes before every committed row and at exit.
pub fn runtime_summary(whole_seconds: i64) -> Msg {
    let v = whole_seconds.to_string();
    update(&[
        item(&["_wandb".into(), "runtime".into()], &v, true),
        item(&["_runtime".into()], &v, false),
    ])
}

/// A summary record of `(nested_key path, value_json)` items (core's summary update of a
/// committed row, see `metric::Metrics::summary_items`).
pub fn summary_items(items: &[(Vec<String>, String)]) -> Msg {
    let items: Vec<Msg> = items.iter().map(|(p, v)| item(p, v, true)).collect();
    update(&items)
}

/// `HistoryRecord` of a committed row (step 0 is an empty `HistoryStep`, as core writes).
pub fn history(leaves: &Leaves, step: i64) -> Msg {
    let mut m = history_items(leaves);
    let mut s = Msg::new();
    s.int(proto::history::STEP_NUM, step);
    m.message(proto::history::STEP, &s);
    m
}

/// A shared-mode `HistoryRecord`: items only, no `step` (wandb 0.31 lets the server number
/// a shared run's rows).
pub fn history_items(leaves: &Leaves) -> Msg {
    let mut m = Msg::new();
    for (p, v) in leaves {
        m.message(proto::history::ITEM, &item(p, &core_json(v), true));
    }
    m
}

/// `RunExitRecord`.
pub fn exit(exit_code: i32, runtime_seconds: i64) -> Msg {
    let mut m = Msg::new();
    m.int(proto::exit::EXIT_CODE, i64::from(exit_code)).int(
        proto::exit::RUNTIME,
        runtime_seconds.min(i64::from(i32::MAX)),
    );
    m
}

/// The SDK's `sanitize_artifact_name`: characters outside `[A-Za-z0-9_.-]` are removed and,
/// if any were, `-<url-safe base64 of the big-endian CRC-32 of the original name>` (6
/// characters) is appended (§9.2).
pub fn sanitize_artifact_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    if kept == name {
        return kept;
    }
    let crc = crc32fast::hash(name.as_bytes());
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let v = u64::from(crc) << 16; // 32 bits → six 6-bit digits (the last padded with zeros)
    let suffix: String = (0..6)
        .map(|i| B64[((v >> (42 - 6 * i)) & 63) as usize] as char)
        .collect();
    format!("{kept}-{suffix}")
}

/// One manifest entry of a `run_table` artifact (§16.3).
#[derive(Debug, Clone)]
pub struct ArtifactEntry {
    /// Entry name (`<key>.table.json`, `media/images/<md5 hash20>.png`, …).
    pub path: String,
    /// Base64 MD5 of the content.
    pub digest: String,
    pub size: u64,
    /// Absolute path of the staged copy (empty for a reference entry).
    pub local_path: String,
    /// A reference entry's URL (`wandb-artifact://<hex id>/<entry>`): written as `ref`,
    /// without `size` (0) and `local_path`, as the SDK's `_make_artifact_manifest` does.
    pub reference: Option<String>,
}

/// The artifact a logged table creates: `run-<run id>-<key>` of type `run_table`.
#[derive(Debug, Clone)]
pub struct TableArtifact {
    pub name: String,
    /// An INCREMENTAL table's increment: type `wandb-run-incremental-table` and
    /// `incremental_beta1` set (`run_table` otherwise).
    pub incremental: bool,
    pub digest: String,
    pub client_id: String,
    pub sequence_client_id: String,
    pub entries: Vec<ArtifactEntry>,
}

/// The `ArtifactManifest` message (version 1, storage policy v1 with layout V2) of an
/// artifact's entries; shared by `run_table` and generic artifacts.
pub fn manifest(entries: &[ArtifactEntry]) -> Msg {
    use proto::artifact as f;
    let mut manifest = Msg::new();
    manifest
        .int(f::manifest::VERSION, 1)
        .string(f::manifest::STORAGE_POLICY, "wandb-storage-policy-v1");
    let mut policy = Msg::new();
    policy.string(1, "storageLayout").string(2, "\"V2\"");
    manifest.message(f::manifest::STORAGE_POLICY_CONFIG, &policy);
    for e in entries {
        let mut em = Msg::new();
        em.string(f::entry::PATH, &e.path)
            .string(f::entry::DIGEST, &e.digest);
        if let Some(r) = &e.reference {
            em.string(f::entry::REF, r);
        } else {
            em.int(f::entry::SIZE, e.size as i64)
                .string(f::entry::LOCAL_PATH, &e.local_path);
        }
        manifest.message(f::manifest::CONTENTS, &em);
    }
    manifest
}

/// `ArtifactRecord` for a logged table (finalized immediately, alias `latest`).
pub fn table_artifact(run_id: &str, project: &str, entity: &str, a: &TableArtifact) -> Msg {
    use proto::artifact as f;
    let manifest = manifest(&a.entries);
    let mut m = Msg::new();
    m.string(f::RUN_ID, run_id)
        .string(f::PROJECT, project)
        .string(f::ENTITY, entity)
        .string(
            f::TYPE,
            if a.incremental {
                "wandb-run-incremental-table"
            } else {
                "run_table"
            },
        )
        .string(f::NAME, &a.name)
        .string(f::DIGEST, &a.digest)
        .repeated_string(f::ALIASES, "latest")
        .message(f::MANIFEST, &manifest)
        .boolean(f::FINALIZE, true)
        .string(f::CLIENT_ID, &a.client_id)
        .string(f::SEQUENCE_CLIENT_ID, &a.sequence_client_id)
        .string(f::DIGEST_ALGORITHM, "MANIFEST_MD5");
    if a.incremental {
        m.boolean(f::INCREMENTAL_BETA1, true);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64) -> String {
        let mut s = String::new();
        go_float(x, &mut s);
        s
    }

    #[test]
    fn floats_like_wandb_core() {
        // Every pair observed in a log written by wandb 0.31.0.
        for (x, want) in [
            (1.0, "1"),
            (2.0, "2"),
            (0.505741427, "0.505741427"),
            (1795309236.7509363, "1.7953092367509363e+09"),
            (1e-5, "1e-05"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (12345678.0, "1.2345678e+07"),
            (0.0001, "0.0001"),
            (1.5e-7, "1.5e-07"),
            (-1.5e-10, "-1.5e-10"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.1f32 as f64, "0.10000000149011612"),
            (-0.0, "-0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1.5788537790000001, "1.5788537790000001"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.3333333333333333, "1.3333333333333333"),
            (1.03125, "1.03125"),
        ] {
            assert_eq!(g(x), want, "{x:?}");
        }
        assert_eq!(
            core_json(&Json::UInt(1u64 << 63 | 5)),
            "9.223372036854776e+18"
        );
    }

    #[test]
    fn core_json_keeps_order_and_strings() {
        let v = Json::Array(vec![
            Json::object([("b", Json::Int(1)), ("a", Json::Float(2.0))]),
            Json::Null,
            Json::str("a<b>&c é \u{2028} \u{1} \u{7f} \"q\" \\ /\n"),
        ]);
        assert_eq!(
            core_json(&v),
            "[{\"b\":1,\"a\":2},null,\"a<b>&c é \u{2028} \\u0001 \u{7f} \\\"q\\\" \\\\ /\\n\"]"
        );
    }

    #[test]
    fn artifact_names_like_the_sdk() {
        assert_eq!(sanitize_artifact_name("run-abc-tbl"), "run-abc-tbl");
        assert_eq!(
            sanitize_artifact_name("run-abc-my table/x"),
            "run-abc-mytablex-8TBMRA"
        );
        assert_eq!(sanitize_artifact_name("run-abc-é"), "run-abc--toi70Q");
    }

    #[test]
    fn flattening_and_merging_follow_core() {
        let row = Json::object([
            (
                "eval",
                Json::object([
                    ("a", Json::Int(1)),
                    ("c", Json::object([("x", Json::Int(1))])),
                ]),
            ),
            ("empty", Json::Object(vec![])),
            ("v", Json::Int(1)),
        ]);
        let mut leaves = Leaves::new();
        if let Json::Object(m) = &row {
            for (k, v) in m {
                flatten_into(&mut vec![k.clone()], v, &mut leaves);
            }
        }
        let paths: Vec<String> = leaves.iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(paths, ["eval.a", "eval.c.x", "v"]);
        merge_leaf(&mut leaves, vec!["eval".into(), "c".into()], Json::Int(5));
        merge_leaf(&mut leaves, vec!["v".into(), "q".into()], Json::Int(1));
        let paths: Vec<String> = leaves.iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(paths, ["eval.a", "eval.c", "v.q"]);
    }
}
