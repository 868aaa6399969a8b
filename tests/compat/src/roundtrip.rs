//! `--roundtrip` (issue 21): every output is read back through the C ABI
//! (`wb_value_from_wandb_json` on `row.json` + the case's `files/`), logged again into a
//! fresh run directory (same step) and checked:
//! 1. the second row JSON equals the first (table artifact client ids, which are random
//!    per log, are compared as placeholders);
//! 2. the second `files/` tree has the same files with the same bytes;
//! 3. the value read back from the second output equals the one read from the first
//!    (`wb_value_equal`);
//! 4. the value read equals the value that was logged, unless the case holds something the
//!    run JSON does not carry (listed in `lossy`: then the mismatch is expected and counted).
//!
//! Cases whose row the run directory cannot answer (a joined table: its JSON names only an
//! artifact entry) are counted as skipped with the reason.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::ptr;

use serde_json::Value as J;
use wandb_media::ffi::read::*;
use wandb_media::ffi::value::*;

use crate::util::{c, check, string_from_c, Handle};
use crate::wrap;

#[derive(Default)]
pub struct Stats {
    ok: usize,
    equal_written: usize,
    lossy: BTreeMap<&'static str, usize>,
    skipped: Vec<String>,
    failures: Vec<String>,
}

/// Why the value read from a run cannot equal the value logged (the run JSON drops it).
fn lossy(v: &J, in_table: bool) -> Option<&'static str> {
    match v {
        J::Array(items) => {
            // Image lists (§15.2): no grouping; captions only if the first image has one.
            let imgs: Vec<&J> = items.iter().filter(|i| i["wb"] == "image").collect();
            if !imgs.is_empty() && imgs.len() == items.len() {
                if imgs.len() > 108 {
                    return Some("image list: pruned to 108 images");
                }
                if imgs.iter().any(|i| i.get("grouping").is_some()) {
                    return Some("image list: grouping is not in list JSON");
                }
                if imgs[0].get("caption").is_none()
                    && imgs.iter().any(|i| i.get("caption").is_some())
                {
                    return Some("image list: captions dropped when the first has none");
                }
            }
            items.iter().find_map(|i| lossy(i, in_table))
        }
        J::Object(m) => match m.get("wb").and_then(J::as_str) {
            None => m.values().find_map(|x| lossy(x, in_table)),
            Some("ndarray") => Some("ndarray: logged as a list, scalar or histogram"),
            Some("float") if !m["value"].is_number() => {
                Some("NaN/inf: NaN != NaN (or null in summaries)")
            }
            Some("image") if m.contains_key("classes") => Some("image classes are not in run JSON"),
            Some(_) if in_table => Some("table run copy: media cells are their class names"),
            Some("table") => m.values().find_map(|x| lossy(x, true)),
            Some("histogram")
                if m.get("np_histogram")
                    .is_some_and(|h| h.to_string().contains('"')) =>
            {
                Some("histogram from tensors: np_histogram given as arrays")
            }
            Some(_) => None,
        },
        _ => None,
    }
}

fn read_back(row: &str, files: &Path) -> Result<Handle<wb_value>, String> {
    let (j, d) = (c(row), c(&files.to_string_lossy()));
    let mut out = ptr::null_mut();
    check(|e| unsafe { wb_value_from_wandb_json(j.as_ptr(), d.as_ptr(), &mut out, e) })?;
    Ok(wrap(out))
}

fn equal(a: &Handle<wb_value>, b: &Handle<wb_value>) -> Result<bool, String> {
    let mut eq = false;
    check(|e| unsafe { wb_value_equal(a.ptr(), b.ptr(), &mut eq, e) })?;
    Ok(eq)
}

/// Replaces the 128-character artifact client ids (random per log) by a placeholder.
fn normalise(row: &str) -> String {
    let mut out = String::with_capacity(row.len());
    let mut rest = row;
    const P: &str = "wandb-client-artifact://";
    while let Some(i) = rest.find(P) {
        out.push_str(&rest[..i + P.len()]);
        rest = &rest[i + P.len()..];
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        out.push_str("<id>");
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = fs::read(&p) {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, b);
            }
        }
    }
    out
}

impl Stats {
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        name: &str,
        case_path: &Path,
        dir: &Path,
        rt_dir: &Path,
        row: &str,
        written: &Handle<wb_value>,
        step: Option<i64>,
    ) {
        match self.check_inner(case_path, dir, rt_dir, row, written, step) {
            Ok(Some(skip)) => self.skipped.push(format!("{name}: {skip}")),
            Ok(None) => self.ok += 1,
            Err(e) => self.failures.push(format!("{name}: {e}")),
        }
    }

    fn check_inner(
        &mut self,
        case_path: &Path,
        dir: &Path,
        rt_dir: &Path,
        row: &str,
        written: &Handle<wb_value>,
        step: Option<i64>,
    ) -> Result<Option<String>, String> {
        if step.is_none() && row.contains("NaN") {
            return Ok(Some(
                "summary with NaN from numpy values: re-logged as Python floats they become null (summary rule, §15.5)".into(),
            ));
        }
        if row.contains("\"joined-table\"") {
            return Ok(Some(
                "joined-table: the run JSON names only an artifact entry".into(),
            ));
        }
        let files1 = dir.join("files");
        let v1 = read_back(row, &files1).map_err(|e| format!("read back: {e}"))?;
        let _ = fs::remove_dir_all(rt_dir);
        let files2 = rt_dir.join("files");
        fs::create_dir_all(&files2).map_err(|e| e.to_string())?;
        let f2 = c(&files2.to_string_lossy());
        let mut rd = ptr::null_mut();
        check(|e| unsafe { wb_run_dir_new(f2.as_ptr(), &mut rd, e) })?;
        let rd = Handle::new(rd, |p| unsafe { wb_run_dir_free(p) });
        let mut out = ptr::null_mut();
        check(|e| unsafe {
            match step {
                Some(s) => wb_row_to_json(v1.ptr(), rd.ptr(), s, &mut out, e),
                None => wb_row_to_summary_json(v1.ptr(), rd.ptr(), &mut out, e),
            }
        })
        .map_err(|e| format!("log again: {e}"))?;
        let row2 = string_from_c(out);
        if normalise(&row2) != normalise(row) {
            return Err(format!(
                "row JSON differs after the round trip:\n  first:  {}\n  second: {}",
                &row[..row.len().min(400)],
                &row2[..row2.len().min(400)]
            ));
        }
        let case: J = serde_json::from_str(&fs::read_to_string(case_path).unwrap_or_default())
            .unwrap_or(J::Null);
        // Reserved keys (`_step` …) are left out of row.json but their files were written.
        let reserved = case["row"].as_object().is_some_and(|m| {
            m.keys()
                .any(|k| ["_step", "_runtime", "_timestamp"].contains(&k.as_str()))
        });
        let (mut t1, t2) = (tree(&files1), tree(&files2));
        if reserved {
            t1.retain(|k, _| t2.contains_key(k));
        }
        if t1.keys().ne(t2.keys()) {
            return Err(format!(
                "files differ: {:?} vs {:?}",
                t1.keys().collect::<Vec<_>>(),
                t2.keys().collect::<Vec<_>>()
            ));
        }
        for (k, b) in &t1 {
            if t2[k] != *b {
                return Err(format!("file {k} has different bytes after the round trip"));
            }
        }
        let v2 = read_back(&row2, &files2).map_err(|e| format!("read back (2): {e}"))?;
        // NaN != NaN (Python): values holding NaN are checked by JSON and bytes above.
        let has_nan = row.contains("NaN") || t1.values().any(|b| b.windows(3).any(|w| w == b"NaN"));
        if !has_nan && !equal(&v1, &v2)? {
            return Err("the values read from the two outputs are not equal".into());
        }
        let reason = lossy(&case["row"], false).or(if has_nan { Some("NaN != NaN") } else { None });
        let eq = equal(written, &v1)?;
        match (eq, reason) {
            (true, _) => self.equal_written += 1,
            (false, Some(r)) => *self.lossy.entry(r).or_default() += 1,
            (false, None) => {
                return Err("the value read back is not equal to the value logged".into())
            }
        }
        Ok(None)
    }

    /// Prints the summary; the exit status (1 if any case failed).
    pub fn report(&self) -> i32 {
        for f in &self.failures {
            println!("ROUNDTRIP FAIL {f}");
        }
        for s in &self.skipped {
            println!("roundtrip skip {s}");
        }
        for (r, n) in &self.lossy {
            println!("roundtrip: {n} read back unequal to the logged value as expected ({r})");
        }
        println!(
            "roundtrip: {} passed ({} equal to the logged value), {} skipped, {} failed",
            self.ok,
            self.equal_written,
            self.skipped.len(),
            self.failures.len()
        );
        i32::from(!self.failures.is_empty())
    }
}
