//! `init_from_json` (issue 21): the input is split at NUL bytes into the W&B JSON text and
//! up to four file contents, written into a fresh source directory as the files the JSON
//! may name (`media/images/a.png`, `media/audio/a.wav`, `media/table/t.table.json`,
//! `media/images/mask/m.mask.png`). A value that reads is then used the way a caller would:
//! accessors (pixels, masks, samples, histogram, table cells), equality with itself, and
//! logging it again. Any status is fine except a caught panic; a crash or hang is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wandb_media::ffi::read::*;
include!("common.rs");

const FILES: [&str; 4] = [
    "media/images/a.png",
    "media/audio/a.wav",
    "media/table/t.table.json",
    "media/images/mask/m.mask.png",
];

fn use_value(v: *const wb_value, depth: usize) {
    if depth > 4 {
        return;
    }
    let mut e = err();
    unsafe {
        let t = std::ffi::CStr::from_ptr(wb_value_type(v)).to_bytes().to_vec();
        match t.as_slice() {
            b"Image" => {
                let mut px: wb_image_pixels = std::mem::zeroed();
                settle(wb_image_get_pixels(v, &mut px, &mut e), &e, std::ptr::null_mut());
                wb_image_pixels_free(&mut px);
                let mut n = 0usize;
                if wb_image_mask_count(v, &mut n, &mut e) == wb_status::WB_OK && n > 0 {
                    let mut layer = std::ptr::null_mut();
                    let s = wb_image_get_mask(v, 0, &mut layer, &mut px, &mut e);
                    settle(s, &e, std::ptr::null_mut());
                    if s == wb_status::WB_OK {
                        wb_string_free(layer);
                        wb_image_pixels_free(&mut px);
                    }
                }
            }
            b"Audio" => {
                let mut s: wb_audio_samples = std::mem::zeroed();
                settle(wb_audio_get_samples(v, &mut s, &mut e), &e, std::ptr::null_mut());
                wb_audio_samples_free(&mut s);
            }
            b"histogram" => {
                let mut n = 0usize;
                if wb_histogram_size(v, &mut n, &mut e) == wb_status::WB_OK && n < 4096 {
                    let mut a = vec![0f64; n + 1];
                    let mut b = vec![0f64; n + 1];
                    settle(wb_histogram_read(v, a.as_mut_ptr(), b.as_mut_ptr(), &mut e), &e, std::ptr::null_mut());
                }
            }
            b"Table" => {
                let (mut r, mut c) = (0usize, 0usize);
                wb_table_nrows(v, &mut r, &mut e);
                wb_table_ncols(v, &mut c, &mut e);
                let mut types = std::ptr::null_mut();
                if wb_table_column_types_json(v, &mut types, &mut e) == wb_status::WB_OK {
                    wb_string_free(types);
                }
                for i in 0..r.min(4) {
                    for j in 0..c.min(4) {
                        let mut cell = std::ptr::null_mut();
                        if wb_table_cell(v, i, j, &mut cell, &mut e) == wb_status::WB_OK {
                            use_value(cell, depth + 1);
                            wb_value_free(cell);
                        }
                    }
                }
            }
            b"list" => {
                let mut n = 0usize;
                wb_value_len(v, &mut n, &mut e);
                for i in 0..n.min(4) {
                    let mut item = std::ptr::null_mut();
                    if wb_list_get(v, i, &mut item, &mut e) == wb_status::WB_OK {
                        use_value(item, depth + 1);
                        wb_value_free(item);
                    }
                }
            }
            _ => {}
        }
        let mut eq = false;
        settle(wb_value_equal(v, v, &mut eq, &mut e), &e, std::ptr::null_mut());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |&b| b == 0);
    let json = parts.next().unwrap_or(&[]);
    let dir = scratch().join("src");
    let _ = std::fs::remove_dir_all(&dir);
    for (name, part) in FILES.iter().zip(parts) {
        let p = dir.join(name);
        let _ = std::fs::create_dir_all(p.parent().unwrap());
        let _ = std::fs::write(&p, part);
    }
    let _ = std::fs::create_dir_all(&dir);
    let j = cstr(json);
    let d = cstr(dir.to_str().unwrap().as_bytes());
    let mut out = std::ptr::null_mut();
    let mut e = err();
    let s = unsafe { wb_value_from_wandb_json(j.as_ptr(), d.as_ptr(), &mut out, &mut e) };
    settle(s, &e, std::ptr::null_mut());
    if s == wb_status::WB_OK {
        use_value(out, 0);
        serialise(out);
        unsafe { wb_value_free(out) };
    }
});
