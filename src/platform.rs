//! The few operating-system services the library needs, behind one portable interface
//! (Linux, macOS, Windows; x86-64 and ARM64): random ids, the local wall-clock stamp in run
//! directory names, host and OS names for the run metadata, the `latest-run` link, `glob`,
//! read-only file permissions and loading optional shared libraries (NVML).
//!
//! Crates do the work where one exists (`getrandom`, `chrono`, `gethostname`, `libloading`,
//! `glob`); `cfg`-guarded std/libc code covers the rest. Behaviour that the wandb SDK changes
//! by platform follows the SDK (`latest-run` is not created on Windows, where the SDK's
//! `settings.symlink` defaults to false); everything that ends up in logged bytes (media file
//! names, JSON `path`s) is the same on every platform, so outputs stay byte-identical.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// (device, inode, link count) of a file, where the platform has them (Unix): how the run
/// log notices its directory was deleted or replaced under it. `None` elsewhere (Windows:
/// the equivalents are unstable in std); callers then check only that the path exists.
pub fn file_identity(m: &std::fs::Metadata) -> Option<(u64, u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((m.dev(), m.ino(), m.nlink()))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        None
    }
}

/// Opens a file the caller named for reading without ever blocking: on Unix with
/// `O_NONBLOCK | O_NOCTTY`, so even the `open` of a FIFO returns at once (the caller then
/// refuses anything but a regular file). Windows opens of pipes/devices by path do not wait.
pub fn open_user_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Opens a user-named file for reading without blocking ([`open_user_file`]) and checks the
/// opened file (`fstat`, not the path: no race with a rename): anything but a regular file
/// (FIFO, socket, device such as `/dev/zero`, directory) is refused. Returns the file and
/// its size now, which callers treat as the most they read.
pub fn open_regular_file(path: &Path) -> Result<(std::fs::File, u64)> {
    let f = open_user_file(path).map_err(|e| Error::io(path.display(), e))?;
    let meta = f.metadata().map_err(|e| Error::io(path.display(), e))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(Error::invalid(format!(
            "{}: not a regular file ({}): refused",
            path.display(),
            describe_file_type(&ft)
        )));
    }
    Ok((f, meta.len()))
}

/// What a non-regular file is, for the error message.
pub fn describe_file_type(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        } else if ft.is_socket() {
            return "a socket";
        } else if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Creates `path` new for writing (`create_new`: fails if anything exists there), never
/// following a symlink (Unix: `O_NOFOLLOW`, plus `O_CLOEXEC`; Windows' CREATE_NEW fails on
/// an existing link too).
pub fn create_new_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    o.open(path)
}

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `n` bytes from the OS random source (`getrandom`). If that fails (it does not on any
/// supported OS), falls back to the process-random `RandomState` keys mixed with the
/// clock and a counter: ids only need to be unique, not secret.
pub fn random_bytes(out: &mut [u8]) {
    if getrandom::fill(out).is_ok() {
        return;
    }
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for chunk in out.chunks_mut(8) {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        if let Ok(d) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// A random `u64`.
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    random_bytes(&mut b);
    u64::from_le_bytes(b)
}

/// `n` uniformly random characters of `[0-9a-z]` (the SDK's `runid.generate_id(n)`).
pub fn random_base36(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut pool = [0u8; 64];
    while out.len() < n {
        random_bytes(&mut pool);
        for &b in &pool {
            // 252 = 7 × 36: rejection keeps the choice uniform.
            if b < 252 && out.len() < n {
                out.push(BASE36[usize::from(b % 36)] as char);
            }
        }
    }
    out
}

/// `YYYYMMDD_HHMMSS` in local time (the SDK uses `datetime.now()`), via `chrono`'s
/// platform time-zone lookup (TZ / zoneinfo on Unix, the system zone on Windows).
pub fn local_stamp(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.format("%Y%m%d_%H%M%S").to_string()
}

/// This machine's host name (`socket.gethostname()`), empty if unavailable.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// `<system>-<release>-<machine>` (Unix `uname`), the prefix of Python's
/// `platform.platform()`; on Windows `Windows-<machine>`.
pub fn os_name() -> String {
    #[cfg(unix)]
    {
        // SAFETY: uname only writes the provided struct.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut u) } == 0 {
            let field = |f: &[libc::c_char]| {
                let bytes: Vec<u8> = f
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| c as u8)
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            };
            return format!(
                "{}-{}-{}",
                field(&u.sysname),
                field(&u.release),
                field(&u.machine)
            );
        }
    }
    #[cfg(windows)]
    {
        let machine = match std::env::consts::ARCH {
            "x86_64" => "AMD64",
            "aarch64" => "ARM64",
            other => other,
        };
        format!("Windows-{machine}")
    }
    #[cfg(not(windows))]
    std::env::consts::OS.to_string()
}

/// Points `<wandb dir>/latest-run` at `target` (a sibling directory name), atomically
/// replaced, as the SDK's `_safe_symlink`. On Windows the SDK does not create the link
/// (`settings.symlink` is false there) and neither do we.
pub fn link_latest(wandb_dir: &Path, target: &str) -> Result<()> {
    #[cfg(unix)]
    {
        let link = wandb_dir.join("latest-run");
        let tmp = wandb_dir.join(format!(".latest-run.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).map_err(|e| Error::io(tmp.display(), e))?;
        std::fs::rename(&tmp, &link).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(link.display(), e)
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (wandb_dir, target);
        Ok(())
    }
}

/// Whether `latest-run` links are made on this platform.
pub const LINKS_LATEST_RUN: bool = cfg!(unix);

/// Symlinks `src` (absolute) at `dst`; false where symlinks are unavailable or fail (the
/// SDK's `settings.symlink` is false on Windows, so callers go on to a hard link or copy).
pub fn symlink_file(src: &Path, dst: &Path) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(src, dst).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = (src, dst);
        false
    }
}

/// Whether two paths name the same file (same device and inode / file index).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        // Hard links made by `run.save` share contents; canonical paths tell files apart.
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Makes a file read-only (mode 0400 on Unix, the read-only attribute elsewhere).
pub fn set_read_only(p: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o400));
    }
    #[cfg(not(unix))]
    {
        if let Ok(m) = std::fs::metadata(p) {
            let mut perm = m.permissions();
            perm.set_readonly(true);
            let _ = std::fs::set_permissions(p, perm);
        }
    }
}

/// `glob.glob(pattern)` sorted like Python's `sorted()` (byte order of the path); hidden
/// files are only matched by patterns that name the dot, as in Python. Unix: libc `glob(3)`
/// (whose `*`/`?`/`[...]` rules and `**` = `*` match Python's non-recursive glob); elsewhere
/// the `glob` crate with `**` collapsed to `*` for the same non-recursive meaning.
pub fn glob_sorted(pattern: &Path) -> Result<Vec<PathBuf>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(pattern.as_os_str().as_bytes())
            .map_err(|_| Error::invalid("the path contains a NUL byte"))?;
        // SAFETY: glob_t is plain data; glob() fills it and globfree() releases it.
        let mut g: libc::glob_t = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::glob(c.as_ptr(), 0, None, &mut g) };
        let mut out = Vec::new();
        if rc == 0 {
            for i in 0..g.gl_pathc {
                // SAFETY: gl_pathv has gl_pathc valid NUL-terminated strings.
                let s = unsafe { std::ffi::CStr::from_ptr(*g.gl_pathv.add(i)) };
                out.push(PathBuf::from(std::ffi::OsStr::from_bytes(s.to_bytes())));
            }
        }
        unsafe { libc::globfree(&mut g) };
        if rc != 0 && rc != libc::GLOB_NOMATCH {
            return Err(Error::io(
                pattern.display(),
                std::io::Error::other(format!("glob failed ({rc})")),
            ));
        }
        out.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        Ok(out)
    }
    #[cfg(not(unix))]
    {
        let mut p = pattern.to_string_lossy().into_owned();
        while p.contains("**") {
            p = p.replace("**", "*");
        }
        let opts = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let paths = glob::glob_with(&p, opts).map_err(|e| Error::invalid(e.to_string()))?;
        let mut out: Vec<PathBuf> = paths.filter_map(|r| r.ok()).collect();
        out.sort_by_key(|a| a.to_string_lossy().into_owned());
        Ok(out)
    }
}

/// A shared library loaded at run time (`libloading`), `None` if it cannot be loaded.
pub fn load_library(names: &[&str]) -> Option<libloading::Library> {
    names.iter().find_map(|n| {
        // SAFETY: loading runs the library's initialisers; callers only name well-known
        // vendor libraries (NVML) whose initialisers have no preconditions.
        unsafe { libloading::Library::new(n) }.ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_ids_are_uniform_enough_and_distinct() {
        let a = random_base36(128);
        assert_eq!(a.len(), 128);
        assert!(a.bytes().all(|b| BASE36.contains(&b)));
        assert_ne!(a, random_base36(128));
        let mut seen = [0u32; 36];
        for b in random_base36(36_000).bytes() {
            seen[BASE36.iter().position(|&x| x == b).unwrap()] += 1;
        }
        // Expected 1000 each; 6 sigma ≈ 190.
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }

    #[test]
    fn local_stamp_has_the_sdk_shape() {
        let s = local_stamp(SystemTime::now());
        assert_eq!(s.len(), 15);
        assert_eq!(&s[8..9], "_");
        assert!(s
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit()));
    }
}
