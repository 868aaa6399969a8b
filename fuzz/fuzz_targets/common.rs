// Helpers shared by the fuzz targets (included with `include!`).

use std::ffi::CString;
#[allow(unused_imports)]
use wandb_media::ffi::{
    audio::*, boxes::*, histogram::*, image::*, media::*, run::*, table::*, value::*, video::*, *,
};

/// A C string from fuzz bytes (cut at the first NUL).
#[allow(dead_code)]
fn cstr(b: &[u8]) -> CString {
    let n = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    CString::new(&b[..n]).unwrap()
}

/// A per-process scratch directory.
#[allow(dead_code)]
fn scratch() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

#[allow(dead_code)]
fn err() -> wb_error {
    // SAFETY: wb_error is plain data (status + byte array).
    unsafe { std::mem::zeroed() }
}

/// Asserts a status is a documented outcome (never WB_ERR_PANIC: a panic caught at the
/// boundary is still a bug) and frees `v` on success.
#[allow(dead_code)]
fn settle(s: wb_status, e: &wb_error, v: *mut wb_value) {
    assert!(
        !matches!(s, wb_status::WB_ERR_PANIC),
        "internal panic: {}",
        unsafe { std::ffi::CStr::from_ptr(e.message.as_ptr()) }.to_string_lossy()
    );
    if !v.is_null() {
        unsafe { wb_value_free(v) };
    }
}

/// Serialises a value against a scratch run dir (exercises binding and the JSON writer).
#[allow(dead_code)]
fn serialise(v: *const wb_value) {
    let dir = cstr(scratch().join("files").to_str().unwrap().as_bytes());
    let mut rd = std::ptr::null_mut();
    let mut e = err();
    unsafe {
        if wb_run_dir_new(dir.as_ptr(), &mut rd, &mut e) != wb_status::WB_OK {
            return;
        }
        let key = cstr(b"k");
        let mut out = std::ptr::null_mut();
        let s = wb_value_to_json(v, rd, key.as_ptr(), 0, &mut out, &mut e);
        settle(s, &e, std::ptr::null_mut());
        if s == wb_status::WB_OK {
            wb_string_free(out);
        }
        wb_run_dir_free(rd);
    }
}
