//! File-system faults (issue 15 item 5): a read-only file system mid-run, a file where a
//! directory should be, and keys/ids that try to leave the run directory. (Disk full, the
//! run directory deleted mid-run and FIFOs/devices/directories given to `*_from_file` are in
//! tests/robustness.rs.) Mount-based cases need root; without it they print why they skip.

use std::fs;
use std::path::{Path, PathBuf};

use wandb_media::media::image::{Image, ImageOptions};
use wandb_media::run::framing::{read_records, Stop};
use wandb_media::{DType, ErrorKind, Run, RunOptions, TensorView, Value};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-fsf-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn c(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = tmp(name);
        let (src, fstype, data) = (c("tmpfs"), c("tmpfs"), c(&format!("size={size}")));
        let target = c(dir.to_str()?);
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
                "SKIP {name}: cannot mount a tmpfs ({}); run as root",
                std::io::Error::last_os_error()
            );
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = c(self.0.to_str().unwrap());
        // SAFETY: valid path.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn image(seed: u8) -> Value {
    let px: Vec<u8> = (0..8 * 8 * 3)
        .map(|i| (i as u8).wrapping_mul(seed))
        .collect();
    let t = TensorView::new(&px, DType::U8, &[8, 8, 3]).unwrap();
    Value::from(Image::from_tensor(&t, &ImageOptions::default()).unwrap())
}

fn history_rows(run: &Run) -> usize {
    let data = fs::read(run.log_path()).unwrap();
    let (recs, stop) = read_records(&data).unwrap();
    assert_eq!(stop, Stop::End);
    // History records: field 2 right after the record number (field 1).
    recs.iter()
        .filter(|r| {
            let mut p = 0;
            if r.first() == Some(&0x08) {
                p = 1;
                while r[p] & 0x80 != 0 {
                    p += 1;
                }
                p += 1;
            }
            r.get(p) == Some(&0x12)
        })
        .count()
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            all_files(&e.path(), out);
        } else if !ft.is_symlink() {
            out.push(e.path());
        }
    }
}

/// Bind-mounts `dir` over itself read-only (undone on drop).
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        let t = c(dir.to_str().unwrap());
        // SAFETY: valid paths; a bind mount of our own test directory.
        unsafe {
            assert_eq!(
                libc::mount(
                    t.as_ptr(),
                    t.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null()
                ),
                0
            );
            let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY;
            assert_eq!(
                libc::mount(
                    std::ptr::null(),
                    t.as_ptr(),
                    std::ptr::null(),
                    flags,
                    std::ptr::null()
                ),
                0,
                "{}",
                std::io::Error::last_os_error()
            );
        }
        ReadOnly(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let t = c(self.0.to_str().unwrap());
        // SAFETY: valid path.
        unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) };
    }
}

#[test]
fn read_only_file_system() {
    let Some(m) = Tmpfs::mount("ro", "4m") else {
        return;
    };
    // Read-only from the start: open fails with the reason and leaves nothing behind.
    let root = m.0.join("root");
    fs::create_dir_all(&root).unwrap();
    {
        let _ro = ReadOnly::new(&root);
        let e = Run::open(&root, RunOptions::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert!(e.message.starts_with("Read-only file system"), "{e}");
    }
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
    // The media directory turns read-only mid-run.
    let run = Run::open(&root, RunOptions::default()).unwrap();
    run.log(&[("img".into(), image(1))], None, None).unwrap();
    {
        let _ro = ReadOnly::new(run.files_dir());
        let e = run
            .log(&[("img".into(), image(2))], None, None)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io, "{e}");
        assert!(e.message.starts_with("Read-only file system"), "{e}");
        assert!(e.message.contains("media/images"), "names the path: {e}");
        // Rows without media still reach the log.
        run.log(&[("x".into(), Value::Int(1))], None, None).unwrap();
    }
    run.log(&[("img".into(), image(3))], None, None).unwrap();
    run.finish(0).unwrap();
    assert_eq!(history_rows(&run), 3);
    let mut files = Vec::new();
    all_files(run.files_dir(), &mut files);
    assert!(
        files
            .iter()
            .all(|f| !f.to_string_lossy().contains(".wb-tmp-")),
        "{files:?}"
    );
    drop(run);
}

#[test]
fn file_where_a_directory_should_be() {
    let root = tmp("filedir");
    fs::write(root.join("wandb"), b"not a dir").unwrap();
    let e = Run::open(&root, RunOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    assert!(e.message.contains("wandb"), "{e}");
    fs::remove_file(root.join("wandb")).unwrap();

    let run = Run::open(&root, RunOptions::default()).unwrap();
    fs::create_dir_all(run.files_dir().join("media")).unwrap();
    fs::write(run.files_dir().join("media/images"), b"in the way").unwrap();
    let e = run
        .log(&[("img".into(), image(4))], None, None)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    assert!(e.message.contains("media/images"), "{e}");
    // Rows without media still log; the run finishes.
    run.log(&[("x".into(), Value::Int(1))], None, None).unwrap();
    run.finish(0).unwrap();
    assert_eq!(history_rows(&run), 1);
    let _ = fs::remove_dir_all(root);
}

#[test]
fn keys_and_ids_never_escape_the_run_directory() {
    let root = tmp("escape");
    for bad_id in ["../x", "/abs", "a/b", "..", "nul\0x", &"i".repeat(200)] {
        let e = Run::open(
            &root,
            RunOptions {
                id: Some(bad_id.to_string()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad_id:?}: {e}");
    }
    let run = Run::open(&root, RunOptions::default()).unwrap();
    let long = "k".repeat(300);
    let long_path = vec!["d"; 3000].join("/");
    let keys = [
        "../../escape",
        "/etc/passwd",
        "a/../../../b",
        "..",
        ".",
        "CON",
        "NUL.png",
        "aux",
        "com1",
        "LPT1.txt",
        "a\\..\\..\\b",
        "C:\\Windows\\x",
        long.as_str(),
        long_path.as_str(),
        "nul\0byte",
        "sp ace/ünï/😀",
    ];
    let mut ok = 0;
    for (i, k) in keys.iter().enumerate() {
        let mut img = image(i as u8 + 10);
        if let Some(m) = img.media_mut() {
            let _ = m.set_caption(wandb_media::Json::str("../../caption\0"));
        }
        match run.log(&[(k.to_string(), img)], None, None) {
            Ok(()) => ok += 1,
            Err(e) => assert!(
                matches!(e.kind, ErrorKind::InvalidArgument | ErrorKind::Io),
                "{k:?}: {e}"
            ),
        }
    }
    run.finish(0).unwrap();
    assert!(ok >= 10, "only {ok} keys logged");
    // Every file under the root is inside the run directory, media inside files/media/.
    let mut files = Vec::new();
    all_files(&root, &mut files);
    let media_root = run.files_dir().join("media");
    for f in &files {
        assert!(f.starts_with(run.dir()), "{f:?} outside the run dir");
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "png" {
            assert!(f.starts_with(&media_root), "{f:?} outside files/media");
        }
    }
    let pngs = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .count();
    assert_eq!(pngs, ok);
    assert!(!Path::new("/etc/passwd_0").exists());
    let _ = fs::remove_dir_all(root);
}
