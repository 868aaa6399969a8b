//! Hostile run directories (issue 22), the part that needs no server: every truncation
//! offset of two small real logs (one written by this library, one by the Python SDK,
//! `tests/data/hostile/python-sdk-run.wandb`), seeded random bit flips, and crafted records,
//! read by `online::sync::scan` — the same reader, decoder and sender a sync uses, up to the
//! network. Properties: no panic or abort, every scan bounded in time, records never appear
//! from nowhere (a prefix never holds more than a longer one), and no file outside the run's
//! `files/` tree is ever opened (a canary file next to the run must never be read).
//! The server side (uploads, messages, markers, FIFOs, `/dev/zero`) is tests/online's
//! `hostile` case; `wb_run_save`, deep config YAML and the deleted run dir are at the end.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wandb_media::online::sync::{scan, Scan};
use wandb_media::run::artifact::SavePolicy;
use wandb_media::run::framing::Framer;
use wandb_media::run::proto::{self, Msg};
use wandb_media::{ErrorKind, Json, Run, RunOptions, Value};

const CANARY: &[u8] = b"CANARY-must-never-be-read-by-sync";

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-hostile-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A run directory `root/run` holding `log` as its `.wandb`, a canary next to it, and
/// `files/` links that point at the canary (a sync must not follow them).
fn plant(root: &Path, log: &[u8]) -> PathBuf {
    let run = root.join("run");
    let _ = fs::remove_dir_all(&run);
    fs::create_dir_all(run.join("files")).unwrap();
    fs::write(root.join("canary.txt"), CANARY).unwrap();
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink(root.join("canary.txt"), run.join("files/leak.txt"));
        let _ = std::os::unix::fs::symlink(root, run.join("files/up"));
    }
    let p = run.join("run-hostile.wandb");
    fs::write(&p, log).unwrap();
    p
}

fn timed_scan(log: &Path) -> Option<Scan> {
    let t0 = Instant::now();
    let r = scan(log, true);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "scan took {:?}",
        t0.elapsed()
    );
    let s = r.ok()?;
    for (path, head) in &s.opened {
        assert!(
            !head.starts_with(&CANARY[..8]),
            "{path}: a file outside the run was read"
        );
    }
    Some(s)
}

/// A small real log written by this library: config, rows with an image, nested keys,
/// summary, a saved file, exit.
fn our_log(root: &Path) -> Vec<u8> {
    let run = Run::open(root.join("writer"), RunOptions::default()).unwrap();
    run.config_update(&[("lr".into(), Value::Float(0.1))])
        .unwrap();
    let px: Vec<u8> = (0..4 * 4 * 3).map(|i| (i * 7) as u8).collect();
    let t = wandb_media::TensorView::new(&px, wandb_media::DType::U8, &[4, 4, 3]).unwrap();
    let img = wandb_media::media::image::Image::from_tensor(
        &t,
        &wandb_media::media::image::ImageOptions::default(),
    )
    .unwrap();
    for i in 0..3 {
        let row = vec![
            ("loss".to_string(), Value::Float(1.0 / f64::from(i + 1))),
            (
                "nested".to_string(),
                Value::Dict(vec![("a".into(), Value::Int(i64::from(i)))]),
            ),
            ("img".to_string(), Value::from(img.clone())),
        ];
        run.log(&row, None, None).unwrap();
    }
    run.summary_update(&[("best".into(), Value::Float(0.5))])
        .unwrap();
    let dir = run.dir().to_path_buf();
    run.finish(0).unwrap();
    let log = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    fs::read(log).unwrap()
}

fn py_log() -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile/python-sdk-run.wandb"))
        .unwrap()
}

#[test]
fn every_truncation_offset() {
    let root = tmp("trunc");
    let logs = [("ours", our_log(&root)), ("python", py_log())];
    let mut offsets = 0;
    for (name, log) in &logs {
        let full = timed_scan(&plant(&root, log)).expect("the whole log reads");
        assert!(
            full.has_run && full.exited && full.rows >= 3,
            "{name}: {full:?}"
        );
        // The media files are not planted: only their absence may be reported.
        assert!(
            full.problems.iter().all(|p| p.contains("No such file")),
            "{name}: {:?}",
            full.problems
        );
        let mut last = 0;
        for off in 0..log.len() {
            let s = timed_scan(&plant(&root, &log[..off]));
            offsets += 1;
            let n = s.as_ref().map_or(0, |s| s.records);
            assert!(
                n >= last && n <= full.records,
                "{name} @{off}: {n} records after {last}"
            );
            last = n;
            if off < 7 {
                assert!(
                    s.is_none_or(|s| !s.has_run),
                    "{name} @{off}: a run from {off} bytes"
                );
            }
        }
    }
    eprintln!("truncation offsets: {offsets}");
    assert!(offsets > 2500, "{offsets}");
    let _ = fs::remove_dir_all(root);
}

#[test]
fn random_bit_flips() {
    let root = tmp("flips");
    let logs = [our_log(&root), py_log()];
    let mut x: u64 = 20261207;
    let mut rnd = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let mut cases = 0;
    let mut damaged = 0;
    for i in 0..3000 {
        let mut log = logs[i % 2].clone();
        for _ in 0..1 + rnd(3) {
            let at = rnd(log.len());
            log[at] ^= 1 << rnd(8);
        }
        // Some flips also re-seal the chunk checksums so the decoder sees the damage.
        if i % 3 == 0 {
            reseal(&mut log);
        }
        if let Some(s) = timed_scan(&plant(&root, &log)) {
            damaged += usize::from(!s.problems.is_empty());
        }
        cases += 1;
    }
    eprintln!("bit-flip cases: {cases} ({damaged} reported damage)");
    assert!(damaged > 100, "{damaged}");
    let _ = fs::remove_dir_all(root);
}

/// Recomputes every chunk checksum of a log whose framing is intact (the flipped bytes are
/// then seen by the record decoder rather than the chunk check).
fn reseal(log: &mut [u8]) {
    let mut i = 7;
    while i + 7 <= log.len() {
        let left = 32 * 1024 - i % (32 * 1024);
        if left < 7 {
            i += left;
            continue;
        }
        let len = usize::from(u16::from_le_bytes([log[i + 4], log[i + 5]]));
        let ty = log[i + 6];
        if len == 0 && ty == 0 || i + 7 + len > log.len() || 7 + len > left {
            return;
        }
        let crc = wandb_media::run::framing::chunk_crc(ty, &log[i + 7..i + 7 + len]);
        log[i..i + 4].copy_from_slice(&crc.to_le_bytes());
        i += 7 + len;
    }
}

// --- crafted records -----------------------------------------------------------------

fn frame(records: &[Msg]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut f = Framer::new_file(&mut out);
    for r in records {
        f.append(&r.clone().into_bytes(), &mut out);
    }
    out
}

fn run_record(id: &str) -> Msg {
    let mut run = Msg::new();
    run.string(proto::run::RUN_ID, id)
        .string(proto::run::PROJECT, "hostile");
    let mut r = Msg::new();
    r.message(proto::record::RUN, &run);
    r
}

fn files_record(paths: &[&str]) -> Msg {
    let mut files = Msg::new();
    for p in paths {
        let mut it = Msg::new();
        it.string(proto::files::PATH, p);
        files.message(proto::files::FILES, &it);
    }
    let mut r = Msg::new();
    r.message(proto::record::FILES, &files);
    r
}

/// A history record with one item: `nested_key` path (field 2) and value JSON (field 16).
fn history_record(path: &[String], value_json: &str) -> Msg {
    let mut item = Msg::new();
    for k in path {
        item.string(2, k);
    }
    item.string(16, value_json);
    let mut h = Msg::new();
    h.message(proto::history::ITEM, &item);
    let mut r = Msg::new();
    r.message(proto::record::HISTORY, &h);
    r
}

fn exit_record() -> Msg {
    let mut e = Msg::new();
    e.int(1, 0);
    let mut r = Msg::new();
    r.message(proto::record::EXIT, &e);
    r
}

#[test]
fn crafted_records() {
    let root = tmp("crafted");
    let mut cases = 0;
    let mut case = |name: &str, recs: Vec<Msg>, check: &dyn Fn(&Scan) -> bool| {
        let s = timed_scan(&plant(&root, &frame(&recs))).unwrap_or_else(|| panic!("{name}"));
        assert!(check(&s), "{name}: {s:?}");
        cases += 1;
    };
    let deep_key: Vec<String> = (0..30_000).map(|i| format!("k{i}")).collect();
    case(
        "30000-element nested_key",
        vec![
            run_record("a"),
            history_record(&deep_key, "1"),
            exit_record(),
        ],
        &|s| s.rows == 0 && s.problems.iter().any(|p| p.contains("nested_key")),
    );
    let deep = |d: usize| format!("{}1{}", "[".repeat(d), "]".repeat(d));
    case(
        "value nested 5000 deep",
        vec![
            run_record("a"),
            history_record(&["x".into()], &deep(5000)),
            exit_record(),
        ],
        &|s| s.problems.iter().any(|p| p.contains("nested deeper")),
    );
    case(
        "value nested 900 deep (the SDK writes up to ~984)",
        vec![
            run_record("a"),
            history_record(&["x".into()], &deep(900)),
            exit_record(),
        ],
        &|s| s.rows == 1 && s.problems.is_empty(),
    );
    let canary = root.join("canary.txt");
    let canary = canary.to_str().unwrap();
    for p in [
        canary,
        "../../canary.txt",
        "../canary.txt",
        "leak.txt",
        "up/canary.txt",
        "/etc/passwd",
        "a\0b",
    ] {
        case(
            &format!("files record {p:?}"),
            vec![run_record("a"), files_record(&[p]), exit_record()],
            &|s| s.opened.is_empty() && !s.problems.is_empty(),
        );
    }
    #[cfg(unix)]
    {
        let fifo =
            std::ffi::CString::new(root.join("run/files").join("fifo").to_str().unwrap()).unwrap();
        // Planted after `plant` recreated the run: a second scan of the same records.
        let log = plant(
            &root,
            &frame(&[
                run_record("a"),
                files_record(&["fifo", "zero"]),
                exit_record(),
            ]),
        );
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink("/dev/zero", root.join("run/files/zero")).unwrap();
        let s = timed_scan(&log).unwrap();
        assert!(s.opened.is_empty() && s.problems.len() >= 2, "{s:?}");
        cases += 1;
        // The log itself a FIFO: refused at once, never opened for a blocking read.
        let _ = fs::remove_file(&log);
        let c = std::ffi::CString::new(log.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let t0 = Instant::now();
        let e = scan(&log, true).unwrap_err();
        assert!(
            t0.elapsed() < Duration::from_secs(2) && e.message.contains("FIFO"),
            "{e}"
        );
        cases += 1;
    }
    // Chunk lengths that lie: a header claiming 65535 bytes, and a record that never ends.
    let mut bad = frame(&[run_record("a")]);
    bad.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 1]);
    bad.extend_from_slice(&[7; 100]);
    let s = timed_scan(&plant(&root, &bad)).unwrap();
    assert!(s.has_run && !s.problems.is_empty(), "{s:?}");
    cases += 1;
    // Protobuf lengths beyond the record: the field reader stops, nothing is read past it.
    // field 2 (history), wire type 2, a length of 2^63 - 1
    let rec = vec![0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    let mut out = Vec::new();
    let mut f = Framer::new_file(&mut out);
    f.append(&run_record("a").into_bytes(), &mut out);
    f.append(&rec, &mut out);
    let s = timed_scan(&plant(&root, &out)).unwrap();
    assert!(s.has_run && s.rows == 0, "{s:?}");
    cases += 1;
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("header only", frame(&[])),
        ("garbage", b"not a wandb log at all, just text\n".repeat(20)),
        (
            "no run record",
            frame(&[history_record(&["x".into()], "1"), exit_record()]),
        ),
    ] {
        let s = timed_scan(&plant(&root, &bytes));
        assert!(s.is_none_or(|s| !s.has_run), "{name}");
        cases += 1;
    }
    eprintln!("crafted cases: {cases}");
    let _ = fs::remove_dir_all(root);
}

// --- item 1: wb_run_save never deletes, never writes through a link ---------------------

/// Runs `f` with the working directory set to `dir` (tests in this file that use relative
/// paths take this lock).
fn in_dir<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let old = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::env::set_current_dir(old).unwrap();
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

#[test]
fn save_never_removes_a_directory() {
    let root = tmp("save");
    in_dir(&root, || {
        let run = Run::open(&root, RunOptions::default()).unwrap();
        let files = run.dir().join("files");
        // Images logged: files/media/images/…
        let px = [9u8; 4 * 4 * 3];
        let t = wandb_media::TensorView::new(&px, wandb_media::DType::U8, &[4, 4, 3]).unwrap();
        let img = wandb_media::media::image::Image::from_tensor(
            &t,
            &wandb_media::media::image::ImageOptions::default(),
        )
        .unwrap();
        run.log(&[("img".to_string(), Value::from(img))], None, None)
            .unwrap();
        let before: Vec<_> = fs::read_dir(files.join("media/images")).unwrap().collect();
        assert_eq!(before.len(), 1);
        // Case 1: save("media") with a ./media folder (wandb 0.31: IsADirectoryError).
        fs::create_dir_all(root.join("media")).unwrap();
        fs::write(root.join("media/user.txt"), b"user data").unwrap();
        let e = run.save("media", None, SavePolicy::Live).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert!(e.message.contains("is a directory"), "{e}");
        assert!(
            files.join("media/images").is_dir(),
            "files/media was removed"
        );
        assert!(!fs::symlink_metadata(files.join("media"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_dir(files.join("media/images")).unwrap().count(), 1);
        // Case 2: save("data") links files/data -> ./data; a later save whose destination
        // is data/subdir must not delete the user's ./data/subdir through that link.
        fs::create_dir_all(root.join("data/subdir")).unwrap();
        fs::write(root.join("data/subdir/keep.txt"), b"keep").unwrap();
        fs::create_dir_all(root.join("other/data/subdir")).unwrap();
        run.save("data", None, SavePolicy::Live).unwrap();
        let e = run
            .save(
                root.join("other/data/subdir").to_str().unwrap(),
                Some(root.join("other").to_str().unwrap()),
                SavePolicy::Live,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert_eq!(
            fs::read(root.join("data/subdir/keep.txt")).unwrap(),
            b"keep"
        );
        // Case 3: a file saved "into" the linked directory is not written through the link.
        fs::write(root.join("other/data/f.txt"), b"new").unwrap();
        fs::write(root.join("data/f.txt"), b"user's own").unwrap();
        let e = run
            .save(
                root.join("other/data/f.txt").to_str().unwrap(),
                Some(root.join("other").to_str().unwrap()),
                SavePolicy::Now,
            )
            .unwrap_err();
        assert!(e.message.contains("not writing through"), "{e}");
        assert_eq!(fs::read(root.join("data/f.txt")).unwrap(), b"user's own");
        // A plain file save still works (and replaces its own earlier link).
        fs::write(root.join("notes.txt"), b"n").unwrap();
        assert_eq!(
            run.save("notes.txt", None, SavePolicy::Live).unwrap(),
            ["notes.txt"]
        );
        assert_eq!(
            run.save("notes.txt", None, SavePolicy::Live).unwrap(),
            ["notes.txt"]
        );
        assert_eq!(fs::read(files.join("notes.txt")).unwrap(), b"n");
        run.finish(0).unwrap();
    });
    let _ = fs::remove_dir_all(root);
}

// --- item 9: config.yaml linear in its input ------------------------------------------

#[test]
fn deep_config_yaml_is_linear() {
    use wandb_media::online::sender::config_yaml;
    for depth in [100usize, 1000] {
        let text = format!("{}1{}", "{\"k\":".repeat(depth), "}".repeat(depth));
        let yaml = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(move || {
                let mut v = Json::Int(1);
                for _ in 0..depth {
                    v = Json::object([("k", v)]);
                }
                config_yaml(&Json::object([("deep", v)]))
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(
            yaml.len() < 40 * text.len() + 4096,
            "depth {depth}: {} bytes of YAML from {} bytes",
            yaml.len(),
            text.len()
        );
        // Shallow levels keep core's block style; the deep rest is flow (JSON) on one line.
        assert!(
            yaml.starts_with("deep:\n    value:\n        k:\n"),
            "{}",
            &yaml[..80]
        );
    }
}

// --- item 11: a deleted run directory is not re-created -------------------------------

#[test]
fn deleted_run_dir_is_not_recreated_by_media() {
    let root = tmp("deleted-media");
    let run = Run::open(&root, RunOptions::default()).unwrap();
    run.log(&[("a".to_string(), Value::Int(1))], None, None)
        .unwrap();
    let dir = run.dir().to_path_buf();
    fs::remove_dir_all(&dir).unwrap();
    let px = [1u8; 8 * 8 * 3];
    let t = wandb_media::TensorView::new(&px, wandb_media::DType::U8, &[8, 8, 3]).unwrap();
    let img = wandb_media::media::image::Image::from_tensor(
        &t,
        &wandb_media::media::image::ImageOptions::default(),
    )
    .unwrap();
    for _ in 0..2 {
        let e = run
            .log(&[("img".to_string(), Value::from(img.clone()))], None, None)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert!(
            !dir.exists(),
            "the deleted run directory was re-created: {e}"
        );
    }
    let _ = fs::remove_dir_all(root);
}
