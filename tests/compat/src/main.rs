//! Compat driver (`tests/compat/driver CASES_DIR OUT_DIR`, contract in
//! `shared/compat/README.md` §2). It goes through the C ABI only: every value is built with
//! the exported `wb_*` functions, exactly as a C program would.

mod audio;
mod media_misc;
mod roundtrip;
mod table;
mod util;
mod video;

use std::fs;
use std::path::{Path, PathBuf};
use std::ptr;

use serde_json::Value as J;
use util::{c, check, string_from_c, Handle, Tensor};
use wandb_media::ffi::histogram::*;
use wandb_media::ffi::image::*;
use wandb_media::ffi::value::*;

/// Per-case state: where relative `file` paths point.
pub struct Ctx {
    pub cases_dir: PathBuf,
}

impl Ctx {
    pub fn path(&self, rel: &str) -> String {
        self.cases_dir.join(rel).to_string_lossy().into_owned()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `--roundtrip`: also read every output back (issue 21) and check it (roundtrip.rs).
    let rt = args.len() == 4 && args[3] == "--roundtrip";
    if args.len() != 3 && !rt {
        eprintln!("usage: {} CASES_DIR OUT_DIR [--roundtrip]", args[0]);
        std::process::exit(2);
    }
    let mut rt_stats = roundtrip::Stats::default();
    let cases_dir = PathBuf::from(&args[1]);
    let out_dir = PathBuf::from(&args[2]);
    let mut names: Vec<PathBuf> = fs::read_dir(&cases_dir)
        .expect("read cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let ctx = Ctx {
        cases_dir: cases_dir.clone(),
    };
    let (mut ok, mut errs) = (0, 0);
    for case_path in names {
        let name = case_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let dir = out_dir.join(&name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create case dir");
        match run_case(&ctx, &case_path, &dir) {
            Ok((row, value, step)) => {
                fs::write(dir.join("row.json"), &row).expect("write row.json");
                ok += 1;
                if rt {
                    let rt_dir = out_dir.with_extension("roundtrip").join(&name);
                    rt_stats.check(&name, &case_path, &dir, &rt_dir, &row, &value, step);
                }
            }
            Err(msg) => {
                let _ = fs::remove_file(dir.join("row.json"));
                fs::write(
                    dir.join("error.txt"),
                    if msg.is_empty() { "error".into() } else { msg },
                )
                .expect("write error.txt");
                errs += 1;
            }
        }
    }
    eprintln!("compat driver: {ok} rows written, {errs} errors");
    if rt {
        std::process::exit(rt_stats.report());
    }
}

/// A case's row JSON, the value that was logged (without the reserved keys) and its step
/// (`None` = summary).
type CaseOut = (String, Handle<wb_value>, Option<i64>);

fn run_case(ctx: &Ctx, case_path: &Path, dir: &Path) -> Result<CaseOut, String> {
    let text = fs::read_to_string(case_path).map_err(|e| e.to_string())?;
    let case: J = serde_json::from_str(&text).map_err(|e| format!("case JSON: {e}"))?;
    let step = match &case["step"] {
        J::String(s) if s == "summary" => None,
        J::Number(n) => Some(n.as_i64().ok_or("bad step")?),
        _ => return Err("bad step".into()),
    };
    let files = dir.join("files");
    let files_c = c(&files.to_string_lossy());
    let mut rd: *mut wb_run_dir = ptr::null_mut();
    check(|e| unsafe { wb_run_dir_new(files_c.as_ptr(), &mut rd, e) })?;
    let rd = Handle::new(rd, |p| unsafe { wb_run_dir_free(p) });
    let row = build_value(ctx, &case["row"])?;
    let mut out = ptr::null_mut();
    let to_json = |row: &Handle<wb_value>, out: &mut *mut std::ffi::c_char| {
        check(|e| unsafe {
            match step {
                Some(step) => wb_row_to_json(row.ptr(), rd.ptr(), step, out, e),
                None => wb_row_to_summary_json(row.ptr(), rd.ptr(), out, e),
            }
        })
    };
    to_json(&row, &mut out)?;
    let text = string_from_c(out);
    // Contract §2.1: row.json leaves out `_step`, `_runtime` and `_timestamp` (their values
    // are still converted above, so their media files exist). Serialise the row again
    // without them: same files, same bytes.
    const RESERVED: [&str; 3] = ["_step", "_runtime", "_timestamp"];
    let Some(members) = case["row"].as_object() else {
        return Ok((text, row, step));
    };
    if !members.keys().any(|k| RESERVED.contains(&k.as_str())) {
        return Ok((text, row, step));
    }
    let mut rest = members.clone();
    rest.retain(|k, _| !RESERVED.contains(&k.as_str()));
    let row = build_value(ctx, &J::Object(rest))?;
    let mut out = ptr::null_mut();
    to_json(&row, &mut out)?;
    Ok((string_from_c(out), row, step))
}

/// A case VALUE → a `wb_value` (owned handle).
pub fn build_value(ctx: &Ctx, v: &J) -> Result<Handle<wb_value>, String> {
    let mut out: *mut wb_value = ptr::null_mut();
    match v {
        J::Null => check(|e| unsafe { wb_value_null(&mut out, e) })?,
        J::Bool(b) => check(|e| unsafe { wb_value_bool(*b, &mut out, e) })?,
        J::Number(n) => {
            if n.is_i64() {
                check(|e| unsafe { wb_value_int(n.as_i64().unwrap(), &mut out, e) })?
            } else if n.is_u64() {
                let t = c(&n.to_string());
                check(|e| unsafe { wb_value_from_json(t.as_ptr(), &mut out, e) })?
            } else {
                check(|e| unsafe { wb_value_float(n.as_f64().unwrap(), &mut out, e) })?
            }
        }
        J::String(s) => {
            check(|e| unsafe { wb_value_string_n(s.as_ptr().cast(), s.len(), &mut out, e) })?
        }
        J::Array(items) => {
            check(|e| unsafe { wb_list_new(&mut out, e) })?;
            let list = wrap(out);
            for item in items {
                let h = build_value(ctx, item)?;
                check(|e| unsafe { wb_list_append(list.ptr(), h.ptr(), e) })?;
            }
            return Ok(list);
        }
        J::Object(m) if !m.contains_key("wb") => {
            check(|e| unsafe { wb_dict_new(&mut out, e) })?;
            let dict = wrap(out);
            for (k, item) in m {
                let h = build_value(ctx, item)?;
                let key = c(k);
                check(|e| unsafe { wb_dict_set(dict.ptr(), key.as_ptr(), h.ptr(), e) })?;
            }
            return Ok(dict);
        }
        J::Object(m) => return build_spec(ctx, m["wb"].as_str().unwrap_or(""), v),
    }
    Ok(wrap(out))
}

pub fn wrap(p: *mut wb_value) -> Handle<wb_value> {
    Handle::new(p, |p| unsafe { wb_value_free(p) })
}

fn build_spec(ctx: &Ctx, kind: &str, spec: &J) -> Result<Handle<wb_value>, String> {
    match kind {
        "image" => build_image(ctx, spec),
        "histogram" => build_histogram(ctx, spec),
        "ndarray" => {
            let t = Tensor::from_spec(ctx, &spec["tensor"])?;
            let mut out = ptr::null_mut();
            check(|e| unsafe { wb_value_from_tensor(t.desc(), &mut out, e) })?;
            Ok(wrap(out))
        }
        "float" => {
            let v = match &spec["value"] {
                J::String(s) if s == "NaN" => f64::NAN,
                J::String(s) if s == "Infinity" => f64::INFINITY,
                J::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
                J::Number(n) => n.as_f64().unwrap(),
                other => return Err(format!("bad float {other}")),
            };
            let mut out = ptr::null_mut();
            check(|e| unsafe { wb_value_float(v, &mut out, e) })?;
            Ok(wrap(out))
        }
        "video" => video::build(ctx, spec),
        "audio" => audio::build(ctx, spec),
        "table" => table::build(ctx, spec),
        "html" | "object3d" | "molecule" | "plotly" | "graph" => media_misc::build(ctx, kind, spec),
        other => Err(format!("unknown data type spec {other:?}")),
    }
}

fn set_caption(v: &Handle<wb_value>, spec: &J) -> Result<(), String> {
    if let Some(cap) = spec.get("caption").and_then(J::as_str) {
        let cap = c(cap);
        check(|e| unsafe { wb_value_set_caption(v.ptr(), cap.as_ptr(), e) })?;
    }
    Ok(())
}

fn build_image(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let mut out = ptr::null_mut();
    if let Some(file) = spec.get("file").and_then(J::as_str) {
        let p = c(&ctx.path(file));
        check(|e| unsafe { wb_image_from_file(p.as_ptr(), &mut out, e) })?;
    } else {
        let mut opts = wb_image_options_default();
        opts.convert = match spec.get("normalize").and_then(J::as_str) {
            Some("legacy") => wb_convert::WB_CONVERT_LEGACY,
            Some(other) => return Err(format!("unknown normalize {other}")),
            None => wb_convert::WB_CONVERT_CAST,
        };
        if let Some(m) = spec.get("mode").and_then(J::as_str) {
            opts.mode = match m {
                "L" => wb_image_mode::WB_IMAGE_MODE_L,
                "LA" => wb_image_mode::WB_IMAGE_MODE_LA,
                "RGB" => wb_image_mode::WB_IMAGE_MODE_RGB,
                "RGBA" => wb_image_mode::WB_IMAGE_MODE_RGBA,
                other => return Err(format!("unsupported mode {other}")),
            };
        }
        if let Some(ft) = spec.get("file_type").and_then(J::as_str) {
            opts.file_type = match ft {
                "png" => wb_image_file_type::WB_IMAGE_PNG,
                "jpg" => wb_image_file_type::WB_IMAGE_JPG,
                "jpeg" => wb_image_file_type::WB_IMAGE_JPEG,
                "bmp" => wb_image_file_type::WB_IMAGE_BMP,
                _ => return Err("file_type must be one of ['png', 'jpg', 'jpeg', 'bmp']".into()),
            };
        }
        let t = Tensor::from_spec(ctx, &spec["tensor"])?;
        check(|e| unsafe { wb_image_from_tensor(t.desc(), &opts, &mut out, e) })?;
    }
    let img = wrap(out);
    set_caption(&img, spec)?;
    if let Some(g) = spec.get("grouping").and_then(J::as_i64) {
        check(|e| unsafe { wb_image_set_grouping(img.ptr(), g, e) })?;
    }
    media_misc::attach_boxes_masks_classes(ctx, &img, spec)?;
    Ok(img)
}

fn build_histogram(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let mut out = ptr::null_mut();
    if let Some(np) = spec.get("np_histogram") {
        let parts = np.as_array().filter(|a| a.len() == 2).ok_or(
            "Expected np_histogram to be a tuple of (values, bin_edges) or sequence to be specified",
        )?;
        if parts.iter().all(J::is_object) {
            let v = Tensor::from_spec(ctx, &parts[0])?;
            let b = Tensor::from_spec(ctx, &parts[1])?;
            check(|e| unsafe { wb_histogram_from_np(v.desc(), b.desc(), &mut out, e) })?;
        } else {
            // A list and a tensor (or two lists): what a C caller holding one part as
            // numbers and the other as an array does — turn the array into its
            // `.tolist()` JSON and pass both as JSON arrays.
            let part = |p: &J| -> Result<String, String> {
                if p.is_object() {
                    Ok(Tensor::from_spec(ctx, p)?.tolist_json()?)
                } else {
                    Ok(p.to_string())
                }
            };
            let v = c(&part(&parts[0])?);
            let b = c(&part(&parts[1])?);
            check(|e| unsafe { wb_histogram_from_np_json(v.as_ptr(), b.as_ptr(), &mut out, e) })?;
        }
    } else {
        let t = Tensor::from_spec(ctx, &spec["tensor"])?;
        // numpy.histogram(bins=n): n <= 0 is an error; absent means the SDK default (0 here).
        let bins = match spec.get("num_bins") {
            None => 0,
            Some(n) => match n.as_i64() {
                Some(n) if n > 0 => n as usize,
                _ => return Err("`bins` must be positive, when an integer".into()),
            },
        };
        check(|e| unsafe { wb_histogram_from_tensor(t.desc(), bins, &mut out, e) })?;
    }
    Ok(wrap(out))
}
