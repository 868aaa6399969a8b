//! Native sync's whole reading path on an arbitrary run directory (issue 22): the bytes are
//! the run's `.wandb` log (possibly torn, corrupt or crafted), read by
//! `online::sync::scan` — the reader, the record decoder (bounded depth and size) and the
//! sender's record handling, then the opening of every file the log names, confined to the
//! run's `files/` tree. Properties: no panic, no stack overflow, no hang, and the canary next
//! to the run (also reachable through planted links in `files/`) is never opened.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

const CANARY: &[u8] = b"CANARY-fuzz-sync";

fn setup() -> PathBuf {
    let root = std::env::temp_dir().join(format!("wbm-fuzz-sync-{}", std::process::id()));
    let run = root.join("run");
    if !run.join("files").is_dir() {
        std::fs::create_dir_all(run.join("files/media")).unwrap();
        std::fs::write(root.join("canary.txt"), CANARY).unwrap();
        std::fs::write(run.join("files/media/ok.png"), b"png").unwrap();
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(root.join("canary.txt"), run.join("files/leak"));
            let _ = std::os::unix::fs::symlink(&root, run.join("files/up"));
        }
    }
    run.join("run-fuzz.wandb")
}

fuzz_target!(|data: &[u8]| {
    let log = setup();
    std::fs::write(&log, data).unwrap();
    if let Ok(s) = wandb_media::online::sync::scan(&log, true) {
        for (path, head) in &s.opened {
            assert!(!head.starts_with(CANARY), "{path:?}: read outside the run");
        }
        assert!(s.records <= data.len() / 7 + 1);
    }
});
