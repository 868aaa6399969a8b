//! Hardening regressions (issue 15): each test reproduces a fault found by probing/fuzzing
//! and checks the fix on real outputs (files on disk, log records, error kinds).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wandb_media::media::histogram::Histogram;
use wandb_media::media::image::{Image, ImageOptions};
use wandb_media::run::framing::{read_records, Stop};
use wandb_media::run::proto;
use wandb_media::value::NdArray;
use wandb_media::{DType, ErrorKind, Json, Run, RunDir, RunOptions, TensorView, Value};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-harden-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Top-level field numbers of a record payload (the record type is the oneof member).
fn record_kind(payload: &[u8]) -> u32 {
    let mut pos = 0;
    let varint = |pos: &mut usize| -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = payload[*pos];
            *pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    };
    while pos < payload.len() {
        let tag = varint(&mut pos);
        let field = (tag >> 3) as u32;
        match tag & 7 {
            0 => {
                varint(&mut pos);
            }
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let n = varint(&mut pos) as usize;
                pos += n;
            }
            w => panic!("wire type {w}"),
        }
        if field != proto::record::NUM && field < 100 {
            return field;
        }
    }
    0
}

/// (history rows, exit records, how reading stopped) of a run log.
fn log_rows(path: &Path) -> (usize, usize, Stop) {
    let data = fs::read(path).unwrap();
    let (recs, stop) = read_records(&data).unwrap();
    let kinds: Vec<u32> = recs.iter().map(|r| record_kind(r)).collect();
    let n = |k| kinds.iter().filter(|&&x| x == k).count();
    (n(proto::record::HISTORY), n(proto::record::EXIT), stop)
}

fn row(k: &str, v: Value) -> Vec<(String, Value)> {
    vec![(k.to_string(), v)]
}

// --- broadcast tensors -----------------------------------------------------------------

#[test]
fn broadcast_tensor_is_capped_not_aborting() {
    // One real element, strides 0: 2^44 logical elements (used to abort the process in the
    // allocator: "memory allocation of 17592186044416 bytes failed").
    let one = [7u8];
    let e =
        TensorView::strided(&one, 0, DType::U8, &[1 << 22, 1 << 22], Some(&[0, 0])).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    assert!(e.message.contains("exceed the limit"), "{e}");
    // Within the cap a broadcast view still works and reads its one element everywhere.
    let v = TensorView::strided(&one, 0, DType::U8, &[3, 4], Some(&[0, 0])).unwrap();
    assert_eq!(v.to_u8_cast().unwrap(), vec![7; 12]);
    let a = NdArray::from_tensor(&v).unwrap();
    assert_eq!(a.len(), 12);
    assert!(a.iter().all(|s| s == wandb_media::tensor::Scalar::Int(7)));
}

#[test]
fn empty_array_with_huge_outer_axes_is_refused() {
    // fuzz/artifacts tensor_ctor oom-9071…: int8, shape (69, 69, 69, 69, 57, 0) → 1.3e9
    // nested empty lists in the row JSON (out of memory). Now refused up front.
    let none: [u8; 0] = [];
    let e = TensorView::new(&none, DType::I8, &[69, 69, 69, 69, 57, 0]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    assert!(e.message.contains("zero-length axis"), "{e}");
    // Small empty arrays are fine and serialise as nested empty lists.
    let v = TensorView::new(&none, DType::I8, &[2, 3, 0]).unwrap();
    let a = NdArray::from_tensor(&v).unwrap();
    let j = wandb_media::row::ndarray_json(&a, false).unwrap();
    assert_eq!(j.to_compact(), "[[[],[],[]],[[],[],[]]]");
}

#[test]
fn fallible_allocation_reports_overflow() {
    // More elements than any allocator can give: an error, not an abort.
    let e = wandb_media::tensor::try_vec::<u128>(usize::MAX / 8).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow);
}

// --- steps ------------------------------------------------------------------------------

#[test]
fn step_overflow_is_an_error() {
    let root = tmp("step");
    let run = Run::open(&root, RunOptions::default()).unwrap();
    run.log(&row("a", Value::Int(1)), Some(i64::MAX), None)
        .unwrap();
    let e = run.log(&row("a", Value::Int(2)), None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    let e = run
        .log(&row("a", Value::Int(3)), Some(i64::MAX), Some(true))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    // commit=false keeps merging into the pending row at i64::MAX.
    run.log(&row("b", Value::Int(4)), None, Some(false))
        .unwrap();
    run.finish(0).unwrap();
    let (hist, exits, stop) = log_rows(&run.log_path());
    assert_eq!((hist, exits, stop), (1, 1, Stop::End));
    let data = fs::read(run.log_path()).unwrap();
    let text = String::from_utf8_lossy(&data);
    assert!(
        text.contains("9223372036854775807"),
        "the row keeps _step = i64::MAX"
    );
    assert!(!text.contains("-9223372036854775808"), "no wrapped step");
    let _ = fs::remove_dir_all(root);
}

// --- temp files -------------------------------------------------------------------------

#[test]
fn temp_files_never_follow_planted_symlinks() {
    let root = tmp("symlink");
    let victim = root.join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    let files = root.join("files");
    let media = files.join("media/x");
    fs::create_dir_all(&media).unwrap();
    // The old names were `.wb-tmp-<pid>-<counter>`: plant every one a process could use.
    for i in 0..2000 {
        let name = media.join(format!(".wb-tmp-{}-{i}", std::process::id()));
        std::os::unix::fs::symlink(&victim, name).unwrap();
    }
    let rd = RunDir::new(&files).unwrap();
    for i in 0..50u8 {
        rd.write_file(&format!("media/x/f{i}.bin"), &[i; 10])
            .unwrap();
    }
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    for i in 0..50u8 {
        assert_eq!(
            fs::read(media.join(format!("f{i}.bin"))).unwrap(),
            vec![i; 10]
        );
    }
    // A planted symlink at the destination is replaced, its target untouched.
    std::os::unix::fs::symlink(&victim, media.join("dest.bin")).unwrap();
    rd.write_file("media/x/dest.bin", b"12345678").unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(!fs::symlink_metadata(media.join("dest.bin"))
        .unwrap()
        .file_type()
        .is_symlink());
    let _ = fs::remove_dir_all(root);
}

// --- run directory faults ---------------------------------------------------------------

#[test]
fn deleted_run_dir_is_detected() {
    let root = tmp("deleted");
    let run = Run::open(&root, RunOptions::default()).unwrap();
    run.log(&row("a", Value::Int(1)), None, None).unwrap();
    fs::remove_dir_all(run.dir()).unwrap();
    let e = run.log(&row("a", Value::Int(2)), None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    assert!(e.message.contains("deleted"), "{e}");
    assert_eq!(run.flush().unwrap_err().kind, ErrorKind::Io);
    assert_eq!(run.finish(0).unwrap_err().kind, ErrorKind::Io);
    let _ = fs::remove_dir_all(root);
}

#[test]
fn deleted_run_dir_is_detected_async_at_flush() {
    let root = tmp("deleted-async");
    let opts = RunOptions {
        async_queue: Some(8),
        ..Default::default()
    };
    let run = Run::open(&root, opts).unwrap();
    run.log(&row("a", Value::Int(1)), None, None).unwrap();
    run.flush().unwrap();
    fs::remove_dir_all(run.dir()).unwrap();
    // Calls may return OK (queued); flush must not.
    let _ = run.log(&row("a", Value::Int(2)), None, None);
    assert_eq!(run.flush().unwrap_err().kind, ErrorKind::Io);
    let _ = fs::remove_dir_all(root);
}

#[test]
fn failed_open_leaves_no_orphan_dir() {
    let root = tmp("orphan");
    fs::create_dir_all(root.join("wandb/latest-run/x")).unwrap();
    let e = Run::open(&root, RunOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    let names: Vec<String> = fs::read_dir(root.join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["latest-run".to_string()]);
    let _ = fs::remove_dir_all(root);
}

#[test]
fn config_wandb_key_rejected_at_open() {
    let root = tmp("cfg");
    let opts = RunOptions {
        config: Some(Json::parse(r#"{"lr":1,"_wandb":{"x":1}}"#).unwrap()),
        ..Default::default()
    };
    let e = Run::open(&root, opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("_wandb"), "{e}");
    assert!(!root.join("wandb").exists() || fs::read_dir(root.join("wandb")).unwrap().count() == 0);
    let _ = fs::remove_dir_all(root);
}

// --- *_from_file ------------------------------------------------------------------------

fn fails_fast(path: &Path) -> wandb_media::Error {
    let t = Instant::now();
    let e = Image::from_file(path).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{path:?} blocked");
    e
}

#[test]
fn from_file_refuses_fifos_devices_dirs() {
    let root = tmp("fifo");
    let fifo = root.join("pipe.png");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Run the FIFO case on a thread so a regression hangs only that thread.
    let (tx, rx) = std::sync::mpsc::channel();
    let f2 = fifo.clone();
    std::thread::spawn(move || tx.send(Image::from_file(&f2).map(|_| ())).unwrap());
    let r = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("reading a FIFO blocked");
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
    assert!(e.message.contains("FIFO"), "{e}");
    let e = fails_fast(Path::new("/dev/zero"));
    assert!(e.message.contains("device"), "{e}");
    let e = fails_fast(&root);
    assert!(e.message.contains("directory"), "{e}");
    let e = wandb_media::media::audio::Audio::from_file(Path::new("/dev/zero"), None).unwrap_err();
    assert!(e.message.contains("device"), "{e}");
    let _ = fs::remove_dir_all(root);
}

#[test]
fn io_errors_put_the_reason_first() {
    let long = format!("/nonexistent/{}/x.png", "d".repeat(600));
    let e = Image::from_file(Path::new(&long)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.message.starts_with("No such file or directory"), "{e}");
}

#[test]
fn hostile_headers_do_not_allocate_the_claim() {
    let root = tmp("hostile");
    // A PNG header claiming 100 000 × 100 000 RGBA pixels (40 GB): only the header is read.
    fn crc32(b: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &x in b {
            c ^= u32::from(x);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xedb8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, ty: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = ty.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    let p = root.join("big.png");
    fs::write(&p, &png).unwrap();
    let img = Image::from_file(&p).unwrap();
    assert_eq!((img.width, img.height), (100_000, 100_000));
    assert_eq!(img.file.size(), png.len() as u64);
    // A WAV claiming 4 GB of samples is copied as the small file it is.
    let mut wav = b"RIFF\xff\xff\xff\xffWAVEfmt ".to_vec();
    wav.extend_from_slice(&[
        16, 0, 0, 0, 1, 0, 1, 0, 0x44, 0xac, 0, 0, 0x88, 0x58, 1, 0, 2, 0, 16, 0,
    ]);
    wav.extend_from_slice(b"data\xff\xff\xff\xff");
    wav.extend_from_slice(&[0; 64]);
    let w = root.join("big.wav");
    fs::write(&w, &wav).unwrap();
    let a = wandb_media::media::audio::Audio::from_file(&w, Some(44100)).unwrap();
    assert_eq!(a.file.size(), wav.len() as u64);
    let _ = fs::remove_dir_all(root);
}

// --- histogram --------------------------------------------------------------------------

#[test]
fn histogram_bins_checked_before_computing() {
    let data: Vec<u8> = vec![1; 1 << 20];
    let t = TensorView::new(&data, DType::U8, &[1 << 20]).unwrap();
    let start = Instant::now();
    let e = Histogram::from_tensor(&t, 1 << 28).unwrap_err();
    assert!(e.message.contains("maximum length"), "{e}");
    assert!(start.elapsed() < Duration::from_millis(200));
}

// --- log write errors on a full file system ----------------------------------------------

/// A size-limited tmpfs mounted for the test, unmounted on drop. `None` (with the reason
/// printed) where mounting is impossible (not root, no CAP_SYS_ADMIN).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = tmp(name);
        let c = |s: &str| std::ffi::CString::new(s).unwrap();
        let (src, target, fstype, data) = (
            c("tmpfs"),
            c(dir.to_str()?),
            c("tmpfs"),
            c(&format!("size={size}")),
        );
        // SAFETY: valid NUL-terminated strings.
        let rc = unsafe {
            libc::mount(
                src.as_ptr(),
                target.as_ptr(),
                fstype.as_ptr(),
                0,
                data.as_ptr().cast(),
            )
        };
        if rc != 0 {
            eprintln!(
                "SKIP tmpfs test {name}: cannot mount tmpfs ({})",
                std::io::Error::last_os_error()
            );
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let c = std::ffi::CString::new(self.0.to_str().unwrap()).unwrap();
        // SAFETY: valid path.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn noise_image(seed: u32) -> Value {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let px: Vec<u8> = (0..48 * 48 * 3)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let t = TensorView::new(&px, DType::U8, &[48, 48, 3]).unwrap();
    Value::from(Image::from_tensor(&t, &ImageOptions::default()).unwrap())
}

fn no_temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut bad = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if e.file_name().to_string_lossy().starts_with(".wb-tmp-") {
                bad.push(p);
            }
        }
    }
    bad
}

fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &dst.join(e.file_name()));
        } else if ft.is_file() {
            fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

fn disk_full_case(async_queue: Option<usize>) {
    let name = if async_queue.is_some() {
        "full-async"
    } else {
        "full-sync"
    };
    let Some(fs_) = Tmpfs::mount(name, "400k") else {
        return;
    };
    let root = fs_.0.clone();
    let run = Run::open(
        &root,
        RunOptions {
            async_queue,
            ..Default::default()
        },
    )
    .unwrap();
    // Ballast we can delete later to free space.
    let ballast = root.join("ballast");
    let _ = fs::write(&ballast, vec![0u8; 150_000]);
    let mut ok = 0usize;
    let mut failures = 0usize;
    for i in 0..400u32 {
        let r = run.log(
            &[
                ("i".to_string(), Value::Int(i64::from(i))),
                ("img".to_string(), noise_image(i)),
            ],
            None,
            None,
        );
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Io, "{e}");
                assert!(
                    e.message.starts_with("No space left on device"),
                    "reason first: {e}"
                );
                assert!(e.message.contains(root.to_str().unwrap()), "path: {e}");
                failures += 1;
                if failures > 20 {
                    break;
                }
            }
        }
    }
    assert!(failures > 0, "the file system never filled up");
    // Fill the last bytes too: now only the log write itself can fail.
    let filler = root.join("filler");
    {
        use std::io::Write;
        let mut f = fs::File::create(&filler).unwrap();
        while f.write_all(&[0u8; 512]).is_ok() {}
    }
    // (The log's last tmpfs page may still have room for a few rows.)
    let mut log_failed = false;
    for i in 0..400 {
        match run.log(&row("scalar", Value::Str(format!("{i:0>200}"))), None, None) {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Io, "{e}");
                assert!(e.message.starts_with("No space left on device"), "{e}");
                assert!(e.message.contains("run log"), "{e}");
                log_failed = true;
                break;
            }
        }
    }
    assert!(
        log_failed || async_queue.is_some(),
        "sync logs on a full disk kept returning OK"
    );
    let lost = if async_queue.is_some() {
        let r = run.flush();
        let lost = run.lost_calls();
        assert!(
            lost >= 1,
            "queued rows on a full disk are counted as lost ({lost})"
        );
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert!(e.message.contains("lost"), "{e}");
        // Reported once: the next flush is clean (nothing new was lost).
        lost as usize
    } else {
        0
    };
    assert!(
        no_temp_files(&root).is_empty(),
        "{:?}",
        no_temp_files(&root)
    );
    // The log reads cleanly up to its last complete record.
    let (hist, _, stop) = log_rows(&run.log_path());
    assert_eq!(stop, Stop::End);
    assert_eq!(hist, ok - lost, "every OK row is in the log exactly once");
    // For tests/run/run.sh (fsfull): a copy of the full-disk run for `wandb leet inspect`.
    if let Ok(keep) = std::env::var("WBM_KEEP_FULL_RUN") {
        let dst = Path::new(&keep).join(name);
        let _ = fs::remove_dir_all(&dst);
        copy_tree(run.dir(), &dst);
        fs::write(dst.join("expected-rows"), hist.to_string()).unwrap();
    }
    // Free space: the same run continues and finishes.
    fs::remove_file(&ballast).unwrap();
    fs::remove_file(&filler).unwrap();
    if async_queue.is_some() {
        run.flush().unwrap();
    }
    let mut freed_ok = 0;
    for i in 0..3u32 {
        if run
            .log(&row("after", Value::Int(i64::from(i))), None, None)
            .is_ok()
        {
            freed_ok += 1;
        }
    }
    assert_eq!(freed_ok, 3);
    run.finish(0).unwrap();
    let (hist2, exits, stop) = log_rows(&run.log_path());
    assert_eq!((hist2, exits, stop), (hist + 3, 1, Stop::End));
    drop(fs_);
}

#[test]
fn disk_full_sync_recovers() {
    disk_full_case(None);
}

#[test]
fn disk_full_async_loss_is_counted() {
    disk_full_case(Some(4));
}

// --- nesting depth and JSON size limits ------------------------------------------------

#[test]
fn nesting_limit_for_values_and_json() {
    use wandb_media::json::{MAX_DEPTH, MAX_JSON_BYTES};
    let nested = |d: usize| format!("{}1{}", "[".repeat(d), "]".repeat(d));
    assert!(Json::parse(&nested(MAX_DEPTH)).is_ok());
    let e = Json::parse(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message
            .contains(&format!("nested deeper than {MAX_DEPTH}")),
        "{e}"
    );
    // wandb 0.31 accepts a 984-deep list under a key (measured): so do we.
    assert_eq!(MAX_DEPTH, 985);
    // Brackets inside strings do not count.
    assert!(Json::parse(&format!("[\"{}\"]", "[".repeat(1000))).is_ok());
    // Values: a list holding MAX_DEPTH - 1 levels is the deepest.
    let mut v = Value::Int(1);
    for _ in 0..MAX_DEPTH - 1 {
        let mut l = Value::List(Vec::new());
        l.list_push(v).unwrap();
        v = l;
    }
    let mut top = Value::List(Vec::new());
    top.list_push(v.clone()).unwrap();
    assert_eq!(top.depth(), MAX_DEPTH);
    let mut over = Value::Dict(Vec::new());
    let e = over.dict_set("x", top).unwrap_err();
    assert!(e.message.contains("nested deeper"), "{e}");
    // A 10^8-element array is refused before parsing (size, then element count).
    let e = Json::parse(&"0,".repeat(MAX_JSON_BYTES / 2 + 1)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    let many = format!("[{}0]", "0,".repeat(5_000_000));
    let t = Instant::now();
    let e = Json::parse(&many).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Overflow, "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}
