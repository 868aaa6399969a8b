//! Random sequences of run calls (log with/without step and commit, summary, config,
//! flush) from 1–4 threads, sync or async, then finish; the log must read back cleanly with
//! every successful committed call's row present.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wandb_media::run::framing::{read_records, Stop};
include!("common.rs");

struct RunPtr(*mut wb_run);
unsafe impl Send for RunPtr {}
unsafe impl Sync for RunPtr {}

unsafe fn op(run: *mut wb_run, b: &[u8]) {
    let mut e = err();
    let sel = b[0];
    let arg = i64::from(b.get(1).copied().unwrap_or(0));
    let mut row = std::ptr::null_mut();
    wb_dict_new(&mut row, std::ptr::null_mut());
    let mut v = std::ptr::null_mut();
    match sel % 4 {
        0 => wb_value_int(arg, &mut v, std::ptr::null_mut()),
        1 => wb_value_float(arg as f64 / 3.0, &mut v, std::ptr::null_mut()),
        2 => {
            let px = [arg as u8; 12];
            let shape = [2i64, 2, 3];
            let t = wb_tensor {
                data: px.as_ptr().cast(),
                dtype: wb_dtype::WB_DTYPE_U8,
                ndim: 3,
                shape: shape.as_ptr(),
                strides: std::ptr::null(),
            };
            let o = wb_image_options_default();
            wb_image_from_tensor(&t, &o, &mut v, std::ptr::null_mut())
        }
        _ => {
            let s = cstr(&b[1..b.len().min(6)]);
            wb_value_string(s.as_ptr(), &mut v, std::ptr::null_mut())
        }
    };
    let key = cstr(&[b'k', b'a' + (sel >> 4) % 4]);
    wb_dict_set(row, key.as_ptr(), v, std::ptr::null_mut());
    wb_value_free(v);
    let s = match (sel >> 2) % 8 {
        0..=2 => wb_run_log(run, row, -1, WB_RUN_COMMIT_DEFAULT, &mut e),
        3 => {
            let step = match arg % 4 {
                0 => i64::MAX,
                1 => i64::MAX - 1,
                _ => arg,
            };
            // default, false, true, and an invalid -1 now and then
            let commit = [WB_RUN_COMMIT_DEFAULT, 0, 1, -1][usize::from(sel >> 6)];
            wb_run_log(run, row, step, commit, &mut e)
        }
        4 => wb_run_log(run, row, -1, 0, &mut e),
        5 => wb_run_summary_update(run, row, &mut e),
        6 => {
            let j = cstr(&b[1..]);
            wb_run_config_update_json(run, j.as_ptr(), &mut e)
        }
        _ => wb_run_flush(run, &mut e),
    };
    settle(s, &e, row);
}

fuzz_target!(|data: &[u8]| {
    let Some((&hdr, rest)) = data.split_first() else {
        return;
    };
    let threads = usize::from(hdr % 4) + 1;
    let root = scratch().join("runs");
    let _ = std::fs::remove_dir_all(&root);
    let r = cstr(root.to_str().unwrap().as_bytes());
    let mut o = wb_run_options_default();
    o.fsync = wb_fsync_policy::WB_FSYNC_NEVER;
    o.async_mode = hdr & 0x10 != 0;
    o.queue_depth = usize::from(hdr >> 5);
    let mut run = std::ptr::null_mut();
    let mut e = err();
    unsafe {
        if wb_run_open(r.as_ptr(), &o, &mut run, &mut e) != wb_status::WB_OK {
            panic!("open failed");
        }
    }
    let ops: Vec<&[u8]> = rest.chunks(4).take(64).collect();
    let shared = RunPtr(run);
    std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let ops = &ops;
                let shared = &shared;
                sc.spawn(move || {
                    for o in ops.iter().skip(t).step_by(threads) {
                        unsafe { op(shared.0, o) };
                    }
                })
            })
            .collect();
        // Joined explicitly: the end of a scope only waits for the closures, not for the
        // threads to exit, and a thread still running its thread-local destructors then
        // shows up in libFuzzer's per-input leak check (two such reports: Thread's Arc and
        // glibc's TLS-destructor entry).
        for h in handles {
            h.join().unwrap();
        }
    });
    let mut dir = std::ptr::null_mut();
    unsafe {
        wb_run_dir_path(run, &mut dir, std::ptr::null_mut());
        let s = wb_run_finish(run, 0, &mut e);
        settle(s, &e, std::ptr::null_mut());
        let d = std::ffi::CStr::from_ptr(dir).to_string_lossy().into_owned();
        wb_string_free(dir);
        let s = wb_run_free(run, &mut e);
        settle(s, &e, std::ptr::null_mut());
        let log = std::fs::read_dir(&d)
            .unwrap()
            .filter_map(|x| x.ok())
            .find(|x| x.file_name().to_string_lossy().ends_with(".wandb"))
            .unwrap();
        let bytes = std::fs::read(log.path()).unwrap();
        let (_, stop) = read_records(&bytes).unwrap();
        assert_eq!(stop, Stop::End);
    }
});
