//! Issue 22, items 3–4 (uploads and artifacts): a path that was a regular file when it was
//! added to an artifact and became a FIFO, or a link to `/dev/zero`, or changed size before
//! `log_artifact`, fails that call at once with a clear error (0.2.0: the FIFO blocked
//! forever, `/dev/zero` was copied without end). Each case runs on a helper thread with a
//! deadline so that a regression fails the test instead of hanging it.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wandb_media::online::Mode;
use wandb_media::run::artifact::Artifact;
use wandb_media::{Run, RunOptions};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "wbm-uploads-{name}-{}-{}",
        std::process::id(),
        wandb_media::platform::random_base36(6)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn offline(root: &Path) -> Run {
    Run::open(
        root,
        RunOptions {
            mode: Mode::Offline,
            disable_stats: true,
            ..RunOptions::default()
        },
    )
    .unwrap()
}

/// Logs an artifact holding `file` (added while it was a regular file) after `change`
/// replaced it; returns the error, which must come within 5 s.
fn log_after(name: &str, change: impl FnOnce(&Path)) -> (String, Duration) {
    let root = tmp(name);
    let file = root.join("weights.bin");
    std::fs::write(&file, vec![7u8; 1000]).unwrap();
    let mut a = Artifact::new("model", "model").unwrap();
    a.add_file(&file, None).unwrap();
    change(&file);
    let run = offline(&root);
    let (tx, rx) = mpsc::channel();
    let t = Instant::now();
    std::thread::spawn(move || {
        let r = run.log_artifact(&a, &[]);
        let _ = tx.send(r.map_err(|e| e.message));
        let _ = run.finish(0);
    });
    let r = rx
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("{name}: log_artifact did not return within 5 s"));
    let took = t.elapsed();
    let _ = std::fs::remove_dir_all(&root);
    (r.expect_err("log_artifact must refuse the file"), took)
}

#[cfg(unix)]
#[test]
fn artifact_file_that_became_a_fifo_does_not_block() {
    let (e, took) = log_after("fifo", |f| {
        std::fs::remove_file(f).unwrap();
        let c = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    });
    assert!(
        e.contains("not a regular file") && e.contains("FIFO"),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[cfg(unix)]
#[test]
fn artifact_file_that_became_a_link_to_dev_zero_is_not_copied() {
    let (e, took) = log_after("devzero", |f| {
        std::fs::remove_file(f).unwrap();
        std::os::unix::fs::symlink("/dev/zero", f).unwrap();
    });
    assert!(
        e.contains("not a regular file") && e.contains("device"),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn artifact_file_that_changed_size_is_refused() {
    let (e, _) = log_after("grown", |f| {
        std::fs::write(f, vec![1u8; 5000]).unwrap();
    });
    assert!(e.contains("1000 bytes then, 5000 now"), "{e}");
}

#[test]
fn artifact_files_are_copied_exactly() {
    let root = tmp("exact");
    let file = root.join("data.bin");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let mut a = Artifact::new("data", "dataset").unwrap();
    a.add_file(&file, Some("d/data.bin")).unwrap();
    let run = offline(&root);
    run.log_artifact(&a, &[]).unwrap();
    let staging = run.dir().join("tmp").join("artifacts");
    run.finish(0).unwrap();
    let mut copies = Vec::new();
    for d in std::fs::read_dir(&staging).unwrap() {
        for f in std::fs::read_dir(d.unwrap().path()).unwrap() {
            copies.push(std::fs::read(f.unwrap().path()).unwrap());
        }
    }
    assert_eq!(copies, vec![bytes]);
    let _ = std::fs::remove_dir_all(&root);
}

#[cfg(unix)]
#[test]
fn add_file_refuses_what_is_not_a_regular_file() {
    let root = tmp("addfifo");
    let fifo = root.join("p");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut a = Artifact::new("x", "model").unwrap();
    assert!(a.add_file(&fifo, None).is_err());
    assert!(a.add_file(Path::new("/dev/zero"), None).is_err());
    let _ = std::fs::remove_dir_all(&root);
}
