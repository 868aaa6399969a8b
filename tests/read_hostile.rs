//! Hostile sources for the reading half (issue 21): every bad input is a clear error
//! status, never a crash, a hang or a read outside the source directory; calls run on a
//! 64 KiB stack (as tests/robustness.rs does) to show no recursion depends on the input.

use std::ffi::{CStr, CString};
use std::fs;
use std::path::Path;

use wandb_media::ffi::read::*;
use wandb_media::ffi::value::*;
use wandb_media::ffi::{wb_error, wb_status};

fn err() -> wb_error {
    unsafe { std::mem::zeroed() }
}

/// Reads `json` against `dir` on a 64 KiB stack; Ok(value type) or Err((status, message)).
fn read(json: &str, dir: &Path) -> Result<String, (wb_status, String)> {
    let json = json.to_string();
    let dir = dir.to_path_buf();
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let j = CString::new(json).unwrap();
            let d = CString::new(dir.to_str().unwrap()).unwrap();
            let mut out = std::ptr::null_mut();
            let mut e = err();
            let s = unsafe { wb_value_from_wandb_json(j.as_ptr(), d.as_ptr(), &mut out, &mut e) };
            if s == wb_status::WB_OK {
                let t = unsafe { CStr::from_ptr(wb_value_type(out)) }
                    .to_string_lossy()
                    .into_owned();
                unsafe { wb_value_free(out) };
                Ok(t)
            } else {
                assert!(out.is_null(), "out must stay untouched on failure");
                let m = unsafe { CStr::from_ptr(e.message.as_ptr()) }
                    .to_string_lossy()
                    .into_owned();
                Err((s, m))
            }
        })
        .unwrap()
        .join()
        .expect("no panic, no stack overflow")
}

fn png_2x2() -> Vec<u8> {
    wandb_media::media::image::Image::from_u8(&[0, 50, 100, 150], 2, 2, 1)
        .unwrap()
        .file
        .bytes
        .to_vec()
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("files");
    fs::create_dir_all(src.join("media/images")).unwrap();
    fs::write(src.join("media/images/ok.png"), png_2x2()).unwrap();
    // A file outside the source directory that nothing may read.
    fs::write(t.path().join("secret.png"), png_2x2()).unwrap();
    (t, src)
}

fn img(path: &str) -> String {
    format!(
        r#"{{"_type": "image-file", "path": {}, "format": "png"}}"#,
        serde_json::to_string(path).unwrap()
    )
}

fn expect_err(r: Result<String, (wb_status, String)>, want: &str) {
    match r {
        Ok(t) => panic!("expected an error containing {want:?}, read a {t}"),
        Err((s, m)) => {
            assert_ne!(s, wb_status::WB_ERR_PANIC, "{m}");
            assert!(m.contains(want), "message {m:?} should contain {want:?}");
        }
    }
}

#[test]
fn a_good_image_reads() {
    let (_t, src) = setup();
    assert_eq!(read(&img("media/images/ok.png"), &src).unwrap(), "Image");
}

#[test]
fn paths_that_leave_the_source_are_refused() {
    let (t, src) = setup();
    expect_err(read(&img("../secret.png"), &src), "'..'");
    expect_err(read(&img("media/../../secret.png"), &src), "'..'");
    let abs = t.path().join("secret.png");
    expect_err(read(&img(abs.to_str().unwrap()), &src), "absolute");
    expect_err(read(&img(""), &src), "empty");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            t.path().join("secret.png"),
            src.join("media/images/link.png"),
        )
        .unwrap();
        expect_err(
            read(&img("media/images/link.png"), &src),
            "leaves the source directory",
        );
        std::os::unix::fs::symlink(t.path(), src.join("up")).unwrap();
        expect_err(
            read(&img("up/secret.png"), &src),
            "leaves the source directory",
        );
    }
}

#[test]
fn missing_corrupt_and_special_files_are_errors() {
    let (_t, src) = setup();
    expect_err(read(&img("media/images/none.png"), &src), "none.png");
    fs::write(src.join("media/images/trunc.png"), &png_2x2()[..20]).unwrap();
    expect_err(read(&img("media/images/trunc.png"), &src), "image");
    fs::write(src.join("media/images/garbage.png"), b"not an image at all").unwrap();
    expect_err(read(&img("media/images/garbage.png"), &src), "image");
    // A sha256 that does not match the file.
    let j = format!(
        r#"{{"_type": "image-file", "path": "media/images/ok.png", "sha256": "{}"}}"#,
        "0".repeat(64)
    );
    expect_err(read(&j, &src), "sha256");
    // A directory and a FIFO are not regular files (the FIFO must not block).
    expect_err(read(&img("media/images"), &src), "regular files");
    #[cfg(unix)]
    {
        let fifo = src.join("media/images/fifo.png");
        let c = CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        expect_err(read(&img("media/images/fifo.png"), &src), "regular files");
    }
    // A truncated table run copy / WAV.
    fs::create_dir_all(src.join("media/table")).unwrap();
    fs::write(
        src.join("media/table/t.table.json"),
        br#"{"columns": ["a"], "data": [[1], ["#,
    )
    .unwrap();
    expect_err(
        read(
            r#"{"_type": "table-file", "path": "media/table/t.table.json"}"#,
            &src,
        ),
        "t.table.json",
    );
}

#[test]
fn wrong_types_and_shapes_are_errors() {
    let (_t, src) = setup();
    expect_err(read(r#"{"_type": "no-such-type"}"#, &src), "unknown _type");
    expect_err(read(r#"{"_type": "image-file"}"#, &src), "path");
    expect_err(read(r#"{"_type": "image-file", "path": 5}"#, &src), "path");
    expect_err(
        read(
            r#"{"_type": "histogram", "values": [1], "bins": [0]}"#,
            &src,
        ),
        "len(bins)",
    );
    expect_err(
        read(r#"{"_type": "histogram", "values": 3, "bins": [0]}"#, &src),
        "list",
    );
    expect_err(
        read(
            r#"{"_type": "table", "columns": ["a"], "data": [[1, 2]]}"#,
            &src,
        ),
        "row 0 has 2 cells",
    );
    expect_err(
        read(r#"{"_type": "table", "columns": ["a"], "data": 7}"#, &src),
        "data",
    );
    expect_err(
        read(
            r#"{"_type": "image-file", "path": "media/images/ok.png", "width": -4}"#,
            &src,
        ),
        "dimension",
    );
    expect_err(read("{\"a\": ", &src), "invalid JSON");
    // Unknown `_type`s inside artifact table cells stay plain dicts (the SDK's rule).
    let t = r#"{"_type": "table", "columns": ["a"], "data": [[{"_type": "mystery", "x": 1}]]}"#;
    assert_eq!(read(t, &src).unwrap(), "Table");
}

#[test]
fn huge_declared_sizes_do_not_allocate() {
    let (_t, src) = setup();
    // A PNG header declaring 100000 × 100000 pixels: the image decoder's limits refuse it.
    let mut png = png_2x2();
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    // (fix the IHDR CRC so the header itself is valid)
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    fs::write(src.join("media/images/huge.png"), &png).unwrap();
    let j = CString::new(img("media/images/huge.png")).unwrap();
    let d = CString::new(src.to_str().unwrap()).unwrap();
    let mut v = std::ptr::null_mut();
    let mut e = err();
    let s = unsafe { wb_value_from_wandb_json(j.as_ptr(), d.as_ptr(), &mut v, &mut e) };
    // Reading keeps the file (no decode); decoding the pixels is what must fail cleanly.
    assert_eq!(s, wb_status::WB_OK);
    let mut px: wb_image_pixels = unsafe { std::mem::zeroed() };
    let s = unsafe { wb_image_get_pixels(v, &mut px, &mut e) };
    assert_ne!(s, wb_status::WB_OK);
    assert!(px.data.is_null());
    unsafe { wb_value_free(v) };
    // A WAV whose data chunk claims 4 GiB reads only what is there.
    let mut wav = b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\xff\xff\xff\xff".to_vec();
    wav.extend_from_slice(&[0, 64, 0, 192]);
    fs::create_dir_all(src.join("media/audio")).unwrap();
    fs::write(src.join("media/audio/a.wav"), &wav).unwrap();
    let j = CString::new(r#"{"_type": "audio-file", "path": "media/audio/a.wav"}"#).unwrap();
    let mut v = std::ptr::null_mut();
    assert_eq!(
        unsafe { wb_value_from_wandb_json(j.as_ptr(), d.as_ptr(), &mut v, &mut e) },
        wb_status::WB_OK
    );
    let mut s: wb_audio_samples = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { wb_audio_get_samples(v, &mut s, &mut e) },
        wb_status::WB_OK
    );
    assert_eq!((s.frames, s.channels, s.sample_rate), (2, 1, 8000));
    let got = unsafe { std::slice::from_raw_parts(s.data, 2) }.to_vec();
    assert_eq!(got, vec![0.5, -0.5]);
    unsafe { wb_audio_samples_free(&mut s) };
    unsafe { wb_value_free(v) };
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &x in b {
        c ^= x as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let (_t, src) = setup();
    for depth in [33usize, 100, 100_000] {
        let j = "[".repeat(depth) + &"]".repeat(depth);
        expect_err(read(&j, &src), "nest");
        let j = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
        expect_err(read(&j, &src), "nest");
    }
    // The deepest accepted value reads on the 64 KiB stack.
    let j = "[".repeat(32) + &"]".repeat(32);
    assert_eq!(read(&j, &src).unwrap(), "list");
}

#[test]
fn nan_tokens_and_markers_in_strings() {
    let (_t, src) = setup();
    assert_eq!(
        read("[NaN, Infinity, -Infinity, \"NaN\"]", &src).unwrap(),
        "list"
    );
    assert_eq!(read("\"Infinity\"", &src).unwrap(), "string");
    expect_err(read("[NaNx]", &src), "invalid JSON");
}

#[test]
fn incremental_tables_read_all_increments_in_order() {
    // The SDK's layout: `<increment>-<epoch ms>.<key>.table.json` entries (the first one
    // literally `None-…`), read by `Table.from_json` of the latest increment.
    let t = tempfile::tempdir().unwrap();
    let part = |rows: &str, n: &str| {
        format!(
            r#"{{"_type": "table", "columns": ["a"], "data": {rows}, "increment_num": {n}, "log_mode": "INCREMENTAL", "ncols": 1, "nrows": 1}}"#
        )
    };
    fs::write(
        t.path().join("None-1000.inc.table.json"),
        part("[[1]]", "null"),
    )
    .unwrap();
    fs::write(t.path().join("2-3000.inc.table.json"), part("[[3]]", "2")).unwrap();
    fs::write(t.path().join("1-2000.inc.table.json"), part("[[2]]", "1")).unwrap();
    let dir = CString::new(t.path().to_str().unwrap()).unwrap();
    let name = CString::new("2-3000.inc.table.json").unwrap();
    let mut v = std::ptr::null_mut();
    let mut e = err();
    assert_eq!(
        unsafe { wb_artifact_get(dir.as_ptr(), name.as_ptr(), &mut v, &mut e) },
        wb_status::WB_OK
    );
    let mut n = 0usize;
    assert_eq!(
        unsafe { wandb_media::ffi::table::wb_table_nrows(v, &mut n, &mut e) },
        wb_status::WB_OK
    );
    assert_eq!(n, 3);
    let mut got = Vec::new();
    for r in 0..3 {
        let mut cell = std::ptr::null_mut();
        assert_eq!(
            unsafe { wb_table_cell(v, r, 0, &mut cell, &mut e) },
            wb_status::WB_OK
        );
        let mut x = 0i64;
        assert_eq!(
            unsafe { wb_value_get_int(cell, &mut x, &mut e) },
            wb_status::WB_OK
        );
        got.push(x);
        unsafe { wb_value_free(cell) };
    }
    // None-… sorts as increment 0 (the SDK's parse failure fallback), then 1, 2.
    assert_eq!(got, vec![1, 2, 3]);
    unsafe { wb_value_free(v) };
}
