//! `run.define_metric` (wandb 0.31): the `MetricRecord` the SDK's `Metric._commit` writes, and
//! what wandb-core does with defined metrics when it commits a row (reproduced here because
//! an offline log holds core's output, not the client's):
//!
//! * a metric with a `step_metric` (and `step_sync`, the default when a step metric is
//!   given) gets the latest value of its step metric inserted into every row that logs it
//!   without the step metric (as a float; 0 before the step metric was ever logged);
//! * glob names (`"train/*"`: a `*` suffix) apply to every later key with that prefix
//!   (keys starting with `_` excepted); core expands them in memory and writes no record;
//! * the summary mirror of a committed row carries, for a metric with summary
//!   aggregations, an object `{"min":…, "max":…, "mean":…, "last":…, "first":…}` instead of
//!   the latest value, and nothing for `summary="none"`. Aggregates run over every value the
//!   key ever had (also values logged before the metric was defined), as core's per-key
//!   summary state does; an explicit `summary.update` of a key resets its aggregation.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::run::proto::{self, Msg};
use crate::run::record::{core_json, go_float, Leaves};

/// `summary="min"`.
pub const SUMMARY_MIN: u32 = 1;
/// `summary="max"`.
pub const SUMMARY_MAX: u32 = 2;
/// `summary="mean"`.
pub const SUMMARY_MEAN: u32 = 4;
/// `summary="last"`.
pub const SUMMARY_LAST: u32 = 8;
/// `summary="first"`.
pub const SUMMARY_FIRST: u32 = 16;
/// `summary="none"`: the key is left out of the summary.
pub const SUMMARY_NONE: u32 = 32;
const SUMMARY_ALL: u32 = 63;
const AGGREGATES: u32 = SUMMARY_MIN | SUMMARY_MAX | SUMMARY_MEAN | SUMMARY_LAST | SUMMARY_FIRST;

/// `MetricRecord.goal` (wandb 0.31's `define_metric` no longer takes `goal=`; the field is
/// still in the protocol and older SDKs wrote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Goal {
    #[default]
    Unset,
    Minimize,
    Maximize,
}

/// The arguments of `run.define_metric(name, …)` besides the name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricOptions {
    /// `step_metric=`: the key charted as this metric's x-axis.
    pub step_metric: Option<String>,
    /// `step_sync=`; `None` = true when a step metric is given (the SDK's default).
    pub step_sync: Option<bool>,
    /// `hidden=`: hide from automatic charts.
    pub hidden: bool,
    /// `summary=`: `SUMMARY_*` flags (0 = not given).
    pub summary: u32,
    pub goal: Goal,
    /// `overwrite=`: replace an earlier definition instead of merging with it.
    pub overwrite: bool,
}

/// The SDK's argument checks (`wandb.Error: Unhandled define_metric() arg: …`).
pub fn validate(name: &str, o: &MetricOptions) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(
            "define_metric() requires non-empty name argument",
        ));
    }
    let stripped = name.strip_suffix('*').unwrap_or(name);
    if stripped.contains('*') {
        return Err(Error::invalid(format!(
            "Unhandled define_metric() arg: name (glob suffixes only): {name}"
        )));
    }
    if o.summary & !SUMMARY_ALL != 0 {
        return Err(Error::invalid(format!(
            "Unhandled define_metric() arg: summary flags {:#x} (known: MIN=1 MAX=2 MEAN=4 LAST=8 FIRST=16 NONE=32)",
            o.summary
        )));
    }
    Ok(())
}

/// `MetricRecord` exactly as `wandb_metric.Metric._commit` builds it.
pub fn record(name: &str, o: &MetricOptions) -> Msg {
    use proto::metric as f;
    let mut m = Msg::new();
    if name.ends_with('*') {
        m.string(f::GLOB_NAME, name);
    } else {
        m.string(f::NAME, name);
    }
    let step_metric = o.step_metric.as_deref().unwrap_or("");
    m.string(f::STEP_METRIC, step_metric);
    let step_sync = o.step_sync.unwrap_or(!step_metric.is_empty());
    let mut opts = Msg::new();
    opts.boolean(f::options::STEP_SYNC, step_sync)
        .boolean(f::options::HIDDEN, o.hidden)
        .boolean(f::options::DEFINED, true);
    m.message(f::OPTIONS, &opts);
    if o.summary != 0 {
        let mut s = Msg::new();
        s.boolean(f::summary::MIN, o.summary & SUMMARY_MIN != 0)
            .boolean(f::summary::MAX, o.summary & SUMMARY_MAX != 0)
            .boolean(f::summary::MEAN, o.summary & SUMMARY_MEAN != 0)
            .boolean(f::summary::LAST, o.summary & SUMMARY_LAST != 0)
            .boolean(f::summary::NONE, o.summary & SUMMARY_NONE != 0)
            .boolean(f::summary::FIRST, o.summary & SUMMARY_FIRST != 0);
        m.message(f::SUMMARY, &s);
    }
    m.int(
        f::GOAL,
        match o.goal {
            Goal::Unset => 0,
            Goal::Minimize => 1,
            Goal::Maximize => 2,
        },
    );
    if o.overwrite {
        let mut c = Msg::new();
        c.boolean(f::control::OVERWRITE, true);
        m.message(f::CONTROL, &c);
    }
    m
}

/// wandb-core's `definedMetric` (merged over `define_metric` calls unless `overwrite`).
#[derive(Debug, Clone, Default)]
struct Defined {
    sync_step: bool,
    step: String,
    no_summary: bool,
    track: u32,
}

impl Defined {
    fn with(mut self, o: &MetricOptions) -> Defined {
        let step = o.step_metric.as_deref().unwrap_or("");
        self.sync_step |= o.step_sync.unwrap_or(!step.is_empty());
        if !step.is_empty() {
            self.step = step.to_string();
        }
        if o.summary != 0 {
            self.no_summary = o.summary & SUMMARY_NONE != 0;
            self.track |= o.summary & AGGREGATES;
        }
        self
    }
}

/// Core's per-key summary state (`metricSummary`); the latest value is the row's own.
#[derive(Debug, Clone, Default)]
struct KeySummary {
    /// `None` = Go's nil (JSON null).
    first: Option<Json>,
    has_data: bool,
    min: f64,
    max: f64,
    total: f64,
    count: u64,
    track: u32,
    no_summary: bool,
}

/// Go's `min`/`max` for float64: NaN wins.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

impl KeySummary {
    fn update(&mut self, v: &Json) {
        if !self.has_data {
            self.first = Some(v.clone());
        }
        self.has_data = true;
        let x = match v {
            Json::Int(i) => *i as f64,
            Json::UInt(u) => *u as f64,
            Json::Float(f) => *f,
            _ => return,
        };
        if self.count > 0 {
            self.min = go_min(self.min, x);
            self.max = go_max(self.max, x);
        } else {
            self.min = x;
            self.max = x;
        }
        self.total += x;
        self.count += 1;
    }

    /// The summary value's JSON text, `None` when the key has no summary.
    fn value_json(&self, latest: &Json) -> Option<String> {
        if self.no_summary || !self.has_data {
            return None;
        }
        if self.track == 0 {
            return match latest {
                Json::Null => None,
                v => Some(core_json(v)),
            };
        }
        let mut out = String::from("{");
        let sep = |out: &mut String, k: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            out.push('"');
            out.push_str(k);
            out.push_str("\":");
        };
        if self.track & SUMMARY_LAST != 0 {
            sep(&mut out, "last");
            out.push_str(&core_json(latest));
        }
        if self.track & SUMMARY_FIRST != 0 {
            sep(&mut out, "first");
            out.push_str(&core_json(self.first.as_ref().unwrap_or(&Json::Null)));
        }
        if self.track & SUMMARY_MAX != 0 {
            sep(&mut out, "max");
            go_float(self.max, &mut out);
        }
        if self.track & SUMMARY_MIN != 0 {
            sep(&mut out, "min");
            go_float(self.min, &mut out);
        }
        if self.track & SUMMARY_MEAN != 0 {
            sep(&mut out, "mean");
            go_float(self.total / self.count as f64, &mut out);
        }
        out.push('}');
        Some(out)
    }
}

/// core's `splitEscapedDottedMetricName`: `a.b` → `[a, b]`, `a\.b` → `[a.b]`.
fn split_escaped(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in name.chars() {
        if escaped {
            if c != '.' {
                cur.push('\\');
            }
            cur.push(c);
            escaped = false;
        } else if c == '.' {
            parts.push(std::mem::take(&mut cur));
        } else if c == '\\' {
            escaped = true;
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

fn split_dots(name: &str) -> Vec<String> {
    name.split('.').map(str::to_string).collect()
}

/// The defined metrics and per-key summary state of a run (owned by the append path).
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    defined: HashMap<String, Defined>,
    /// Glob metrics in definition order (core matches them in map order; with overlapping
    /// globs the first defined wins here).
    globs: Vec<(String, Defined)>,
    /// Latest value of every step metric (0 until logged).
    latest_step: Vec<(String, f64)>,
    summaries: HashMap<Vec<String>, KeySummary>,
    /// Undo information since `checkpoint` (a failed log write rolls the state back).
    journal: Option<Journal>,
}

type Definitions = (HashMap<String, Defined>, Vec<(String, Defined)>);

/// What changed since a checkpoint: only the touched summary keys are saved (a row costs
/// its own keys, not the whole map); definitions are copied on their first change.
#[derive(Debug)]
struct Journal {
    latest_step: Vec<(String, f64)>,
    /// `defined` and `globs` before their first change.
    defined: Option<Definitions>,
    /// Previous state of each summary key in change order (`None`: the key was new).
    summaries: Vec<(Vec<String>, Option<KeySummary>)>,
}

impl Metrics {
    /// Starts recording changes so that `rollback` can undo them (ends a previous one).
    pub fn checkpoint(&mut self) {
        self.journal = Some(Journal {
            latest_step: self.latest_step.clone(),
            defined: None,
            summaries: Vec::new(),
        });
    }

    /// Forgets the undo information (the changes are kept).
    pub fn commit(&mut self) {
        self.journal = None;
    }

    /// Undoes every change since `checkpoint`.
    pub fn rollback(&mut self) {
        let Some(j) = self.journal.take() else { return };
        self.latest_step = j.latest_step;
        if let Some((defined, globs)) = j.defined {
            self.defined = defined;
            self.globs = globs;
        }
        for (path, old) in j.summaries.into_iter().rev() {
            match old {
                Some(s) => {
                    self.summaries.insert(path, s);
                }
                None => {
                    self.summaries.remove(&path);
                }
            }
        }
    }

    /// Saves the definitions before their first change in a checkpoint.
    fn journal_defined(&mut self) {
        if let Some(j) = &mut self.journal {
            if j.defined.is_none() {
                j.defined = Some((self.defined.clone(), self.globs.clone()));
            }
        }
    }

    /// The summary state of `path` for changing (created when new), journaled.
    fn summary_mut(&mut self, path: &[String]) -> &mut KeySummary {
        if let Some(j) = &mut self.journal {
            j.summaries
                .push((path.to_vec(), self.summaries.get(path).cloned()));
        }
        if !self.summaries.contains_key(path) {
            self.summaries.insert(path.to_vec(), KeySummary::default());
        }
        self.summaries
            .get_mut(path)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    /// A `define_metric` call (core's `handleMetric`).
    pub fn define(&mut self, name: &str, o: &MetricOptions) {
        self.journal_defined();
        if let Some(step) = o.step_metric.as_deref().filter(|s| !s.is_empty()) {
            if !self.latest_step.iter().any(|(k, _)| k == step) {
                self.latest_step.push((step.to_string(), 0.0));
            }
        }
        if let Some(glob) = name.strip_suffix('*').map(|_| name) {
            let slot = match self.globs.iter().position(|(g, _)| g == glob) {
                Some(i) => i,
                None => {
                    self.globs.push((glob.to_string(), Defined::default()));
                    self.globs.len() - 1
                }
            };
            let prev = if o.overwrite {
                Defined::default()
            } else {
                self.globs[slot].1.clone()
            };
            self.globs[slot].1 = prev.with(o);
            return;
        }
        let prev = if o.overwrite {
            Defined::default()
        } else {
            self.defined.get(name).cloned().unwrap_or_default()
        };
        let d = prev.with(o);
        self.configure(split_escaped(name), &d);
        self.defined.insert(name.to_string(), d);
    }

    fn configure(&mut self, path: Vec<String>, d: &Defined) {
        if path.is_empty() {
            return;
        }
        let s = self.summary_mut(&path);
        s.no_summary = d.no_summary;
        s.track = d.track;
    }

    /// An explicit `summary.update` of a top-level key (core's `SetExplicit`).
    pub fn explicit_summary(&mut self, key: &str) {
        let s = self.summary_mut(&[key.to_string()]);
        s.track = 0;
        s.has_data = true;
    }

    /// Before a row is committed: latest step values, glob expansion, step insertion
    /// (core's `UpdateMetrics` + `InsertStepMetrics`).
    pub fn prepare_row(&mut self, leaves: &mut Leaves) {
        if self.defined.is_empty() && self.globs.is_empty() {
            return;
        }
        for (key, latest) in self.latest_step.iter_mut() {
            let path = split_dots(key);
            if let Some((_, v)) = leaves.iter().find(|(p, _)| *p == path) {
                match v {
                    Json::Int(i) => *latest = *i as f64,
                    Json::UInt(u) => *latest = *u as f64,
                    Json::Float(f) => *latest = *f,
                    _ => {}
                }
            }
        }
        if !self.globs.is_empty() {
            let mut expanded = Vec::new();
            for (p, _) in leaves.iter() {
                let key = p.join(".");
                if key.starts_with('_') || self.defined.contains_key(&key) {
                    continue;
                }
                if let Some((_, d)) = self
                    .globs
                    .iter()
                    .find(|(g, _)| key.starts_with(g.trim_end_matches('*')))
                {
                    expanded.push((key, d.clone()));
                }
            }
            if !expanded.is_empty() {
                self.journal_defined();
            }
            for (key, d) in expanded {
                self.configure(split_escaped(&key), &d);
                self.defined.insert(key, d);
            }
        }
        let mut inserts: Vec<(Vec<String>, f64)> = Vec::new();
        for (p, _) in leaves.iter() {
            let Some(d) = self.defined.get(&p.join(".")) else {
                continue;
            };
            if d.step.is_empty() || !d.sync_step {
                continue;
            }
            let sp = split_dots(&d.step);
            let present = leaves.iter().any(|(q, _)| q.starts_with(&sp))
                || inserts.iter().any(|(q, _)| *q == sp);
            if present {
                continue;
            }
            if let Some((_, latest)) = self.latest_step.iter().find(|(k, _)| *k == d.step) {
                inserts.push((sp, *latest));
            }
        }
        for (p, v) in inserts {
            crate::run::record::merge_leaf(leaves, p, Json::Float(v));
        }
    }

    /// The summary items of a committed row (core's `UpdateSummaries`): `(path, value_json)`.
    pub fn summary_items(&mut self, leaves: &Leaves) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::with_capacity(leaves.len());
        for (p, v) in leaves {
            let s = self.summary_mut(p);
            s.update(v);
            if let Some(text) = s.value_json(v) {
                out.push((p.clone(), text));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(items: &[(&str, Json)]) -> Leaves {
        items
            .iter()
            .map(|(k, v)| (split_dots(k), v.clone()))
            .collect()
    }

    fn summary(m: &mut Metrics, items: &[(&str, Json)]) -> Vec<(String, String)> {
        let mut l = leaves(items);
        m.prepare_row(&mut l);
        m.summary_items(&l)
            .into_iter()
            .map(|(p, v)| (p.join("."), v))
            .collect()
    }

    #[test]
    fn records_like_the_sdk() {
        // Bytes of the records wandb 0.31 wrote for the same calls (record body only).
        let o = MetricOptions {
            step_metric: Some("epoch".into()),
            summary: SUMMARY_MIN | SUMMARY_MAX,
            ..Default::default()
        };
        assert_eq!(
            record("train/*", &o).as_bytes(),
            &[
                0x12, 7, b't', b'r', b'a', b'i', b'n', b'/', b'*', 0x22, 5, b'e', b'p', b'o', b'c',
                b'h', 0x32, 4, 8, 1, 0x18, 1, 0x3a, 4, 8, 1, 0x10, 1
            ][..]
        );
        let o = MetricOptions {
            hidden: true,
            summary: SUMMARY_NONE,
            ..Default::default()
        };
        assert_eq!(
            record("secret", &o).as_bytes(),
            &[
                0x0a, 6, b's', b'e', b'c', b'r', b'e', b't', 0x32, 4, 0x10, 1, 0x18, 1, 0x3a, 2,
                0x30, 1
            ][..]
        );
        assert!(validate("a*b*", &MetricOptions::default()).is_err());
        assert!(validate("", &MetricOptions::default()).is_err());
        assert!(validate("a/*", &MetricOptions::default()).is_ok());
    }

    #[test]
    fn summaries_and_step_sync_like_core() {
        let mut m = Metrics::default();
        // Logged before the definition: still part of the aggregates.
        assert_eq!(
            summary(&mut m, &[("acc", Json::Float(0.5))]),
            [("acc".to_string(), "0.5".to_string())]
        );
        m.define(
            "acc",
            &MetricOptions {
                summary: SUMMARY_MAX | SUMMARY_MEAN | SUMMARY_LAST,
                ..Default::default()
            },
        );
        m.define(
            "train/*",
            &MetricOptions {
                step_metric: Some("epoch".into()),
                summary: SUMMARY_MIN,
                ..Default::default()
            },
        );
        m.define(
            "secret",
            &MetricOptions {
                summary: SUMMARY_NONE,
                ..Default::default()
            },
        );
        let s = summary(
            &mut m,
            &[
                ("acc", Json::Int(1)),
                ("train/loss", Json::Float(2.0)),
                ("secret", Json::Int(3)),
            ],
        );
        assert_eq!(
            s,
            [
                (
                    "acc".to_string(),
                    r#"{"last":1,"max":1,"mean":0.75}"#.to_string()
                ),
                ("train/loss".to_string(), r#"{"min":2}"#.to_string()),
                ("epoch".to_string(), "0".to_string()),
            ]
        );
        let mut l = leaves(&[("epoch", Json::Int(4)), ("train/loss", Json::Float(1.0))]);
        m.prepare_row(&mut l);
        assert_eq!(l.len(), 2);
        m.summary_items(&l);
        let mut l = leaves(&[("train/loss", Json::Float(3.0))]);
        m.prepare_row(&mut l);
        assert_eq!(l[1], (vec!["epoch".to_string()], Json::Float(4.0)));
        let s = m.summary_items(&l);
        assert_eq!(s[0].1, r#"{"min":1}"#);
        // `_` keys never match a glob; an explicit summary update resets aggregation.
        m.define(
            "*",
            &MetricOptions {
                summary: SUMMARY_MAX,
                ..Default::default()
            },
        );
        m.explicit_summary("acc");
        let s = summary(&mut m, &[("_x", Json::Int(1)), ("acc", Json::Int(0))]);
        assert_eq!(
            s,
            [
                ("_x".to_string(), "1".to_string()),
                ("acc".to_string(), "0".to_string())
            ]
        );
    }

    #[test]
    fn escaped_names() {
        assert_eq!(split_escaped("a.b"), ["a", "b"]);
        assert_eq!(split_escaped(r"a\.b.c"), ["a.b", "c"]);
    }
}
