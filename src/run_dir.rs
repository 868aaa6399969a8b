//! The sink: the only code that creates directories or writes files (design card).
//!
//! It names media files like the SDK (`media/<subdir>/<sanitised key>_<step>_<hash20><ext>`,
//! spec §1.2), writes them atomically (temp file + rename), writes identical content once,
//! and keeps the run-config singletons that box/mask layers register (§3.4, §4.3).

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::MediaFile;

/// The namespace a value is serialised under: the SDK's local step, or `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// History: `run.log` at this local step (media file names carry it).
    Num(i64),
    /// `run.summary` (media file names carry `summary`).
    Summary,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Num(n) => write!(f, "{n}"),
            Step::Summary => f.write_str("summary"),
        }
    }
}

/// SDK key sanitising on POSIX (§1.2): drop leading `/`, then `.` → `_` and `..` → `__` per
/// `/`-separated component. Empty components collapse when the path is normalised.
pub fn sanitise_key(key: &str) -> String {
    key.trim_start_matches('/')
        .split('/')
        .map(|c| match c {
            "." => "_",
            ".." => "__",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Relative path (always `/`) of a media file, after the OS-style normalisation the SDK
/// applies (`a//b` → `a/b`). The result can never escape the files directory: no component
/// is empty, `.` or `..`, and it never starts with `/`.
pub fn media_path(subdir: &str, key: &str, step: &Step, sha256: &str, ext: &str) -> Result<String> {
    if key.contains('\0') {
        return Err(Error::invalid("key contains a NUL character"));
    }
    // The SDK on Windows rejects keys that are not valid file names there (`util.
    // make_file_path_upload_safe`, same message); elsewhere they are kept (§1.2).
    if cfg!(windows) && key.contains(['<', '>', ':', '"', '\\', '?', '*']) {
        return Err(Error::invalid(format!(
            "Path {key} is invalid. Please remove invalid filename characters (\\, :, *, ?, \", <, >, |)"
        )));
    }
    let hash20 = sha256
        .get(..20)
        .ok_or_else(|| Error::invalid("sha256 must have 64 hex digits"))?;
    let name = format!("{}_{}_{}{}", sanitise_key(key), step, hash20, ext);
    let joined = format!("{subdir}/{name}");
    let parts: Vec<&str> = joined.split('/').filter(|c| !c.is_empty()).collect();
    if parts.iter().any(|c| *c == "." || *c == "..") {
        // Only reachable through odd extensions; the sanitised key cannot produce it.
        return Err(Error::invalid(format!(
            "media path {joined:?} would leave the run directory"
        )));
    }
    Ok(parts.join("/"))
}

/// A run's `files/` directory.
#[derive(Debug)]
pub struct RunDir {
    files_dir: PathBuf,
    config: Mutex<Json>,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 unpredictable bits (getrandom; a counter/time/pid mix only if that fails).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_ok() {
        return u64::from_ne_bytes(b);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let c = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    (t ^ (u64::from(std::process::id()) << 40) ^ c.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Creates a new temp file `.wb-tmp-<16 random hex>` in `dir` with `O_CREAT|O_EXCL|
/// O_NOFOLLOW` (mode 0644 before umask): a planted file or symlink is never opened, and two
/// processes sharing the directory (same pid in different containers) never collide.
pub fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let mut last = None;
    for _ in 0..16 {
        let tmp = dir.join(format!(".wb-tmp-{:016x}", random_u64()));
        match crate::platform::create_new_nofollow(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp file name")))
}

impl RunDir {
    /// Opens (creating if needed) a run's files directory.
    pub fn new(files_dir: impl AsRef<Path>) -> Result<RunDir> {
        let files_dir = files_dir.as_ref().to_path_buf();
        fs::create_dir_all(&files_dir).map_err(|e| Error::io(files_dir.display(), e))?;
        Ok(RunDir {
            files_dir,
            config: Mutex::new(Json::Object(Vec::new())),
        })
    }

    /// The files directory media paths in the JSON are relative to.
    pub fn files_dir(&self) -> &Path {
        &self.files_dir
    }

    /// Creates `dir` (inside the files directory) and its missing parents below the files
    /// directory, which must still exist: once the run directory was removed, nothing is
    /// re-created (no `files/media/images/` with a file in a deleted run, issue 22).
    pub fn create_dirs_beneath(&self, dir: &Path) -> Result<()> {
        let gone = || {
            Error::new(
                crate::error::ErrorKind::Io,
                format!(
                    "the run's files directory no longer exists (was the run directory deleted?): {}",
                    crate::confine::path_text(&self.files_dir)
                ),
            )
        };
        match fs::metadata(&self.files_dir) {
            Ok(m) if m.is_dir() => {}
            _ => return Err(gone()),
        }
        crate::confine::mkdirs_beneath(&self.files_dir, dir).map_err(|e| {
            if fs::metadata(&self.files_dir).is_err() {
                gone()
            } else {
                e
            }
        })
    }

    /// Places a media file and returns its relative path.
    pub fn place(&self, subdir: &str, key: &str, step: &Step, file: &MediaFile) -> Result<String> {
        let rel = media_path(subdir, key, step, &file.sha256, &file.ext)?;
        self.write_file(&rel, &file.bytes)?;
        Ok(rel)
    }

    /// Writes `bytes` at `rel` (relative, `/`-separated) atomically; a file that is already
    /// there with the same size is kept (names are content hashes, so it is the same file).
    pub fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let dest = self.files_dir.join(rel);
        if let Ok(meta) = fs::symlink_metadata(&dest) {
            if meta.is_file() && meta.len() == bytes.len() as u64 {
                return Ok(());
            }
        }
        let dir = dest.parent().unwrap_or(&self.files_dir);
        self.create_dirs_beneath(dir)?;
        let (tmp, mut f) = create_temp(dir).map_err(|e| Error::io(dest.display(), e))?;
        let result = (|| -> std::io::Result<()> {
            f.write_all(bytes)?;
            f.flush()?;
            drop(f);
            fs::rename(&tmp, &dest)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(dest.display(), e));
        }
        Ok(())
    }

    /// Registers a `<image key>_wandb_delimeter_<layer>` class-label map under
    /// `config._wandb[kind]` (kind = `bounding_box/class_labels` or `mask/class_labels`).
    pub fn add_class_labels(&self, kind: &str, image_key: &str, layer: &str, labels: Json) {
        let name = format!("{image_key}_wandb_delimeter_{layer}");
        let entry = Json::object([
            ("type", Json::str(kind)),
            ("key", Json::str(name.clone())),
            ("value", labels),
        ]);
        let mut cfg = self.config.lock().unwrap_or_else(|p| p.into_inner());
        if cfg.get(kind).is_none() {
            cfg.set(kind, Json::Object(Vec::new()));
        }
        if let Json::Object(m) = &mut *cfg {
            if let Some((_, group)) = m.iter_mut().find(|(k, _)| k == kind) {
                group.set(&name, entry);
            }
        }
    }

    /// The `_wandb` config singletons registered so far (an object, possibly empty).
    pub fn config_json(&self) -> Json {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "eaa4a94ea300e0d2c775968cbe42f0b5b51ceafdeb73d64e9efddf6d4e880865";

    #[test]
    fn key_sanitising_matches_spec_table() {
        let p = |k: &str| media_path("media/images", k, &Step::Num(0), H, ".png").unwrap();
        assert_eq!(p("img"), "media/images/img_0_eaa4a94ea300e0d2c775.png");
        assert_eq!(
            p("a/../b"),
            "media/images/a/__/b_0_eaa4a94ea300e0d2c775.png"
        );
        assert_eq!(p("/abs/x"), "media/images/abs/x_0_eaa4a94ea300e0d2c775.png");
        assert_eq!(p(".."), "media/images/___0_eaa4a94ea300e0d2c775.png");
        assert_eq!(p("a//b"), "media/images/a/b_0_eaa4a94ea300e0d2c775.png");
        assert_eq!(
            p("trail/"),
            "media/images/trail/_0_eaa4a94ea300e0d2c775.png"
        );
        assert_eq!(
            p("./x/./y"),
            "media/images/_/x/_/y_0_eaa4a94ea300e0d2c775.png"
        );
        assert_eq!(
            media_path("media/images", "nested.img", &Step::Summary, H, ".png").unwrap(),
            "media/images/nested.img_summary_eaa4a94ea300e0d2c775.png"
        );
    }

    #[test]
    fn writes_atomically_and_once() {
        let dir = std::env::temp_dir().join(format!("wbm-rundir-{}", std::process::id()));
        let rd = RunDir::new(&dir).unwrap();
        rd.write_file("media/x/a.bin", b"abc").unwrap();
        rd.write_file("media/x/a.bin", b"abc").unwrap();
        assert_eq!(fs::read(dir.join("media/x/a.bin")).unwrap(), b"abc");
        let names: Vec<_> = fs::read_dir(dir.join("media/x"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp files left: {names:?}");
        rd.add_class_labels(
            "mask/class_labels",
            "img",
            "m",
            Json::object([("1", Json::str("a"))]),
        );
        assert_eq!(
            rd.config_json().to_compact(),
            r#"{"mask/class_labels":{"img_wandb_delimeter_m":{"type":"mask/class_labels","key":"img_wandb_delimeter_m","value":{"1":"a"}}}}"#
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
