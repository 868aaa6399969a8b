//! Untrusted paths (issue 22): printing them safely, and opening files named by a run
//! directory (which may come from another machine) without leaving it, blocking or reading
//! without bound.
//!
//! * [`escape`] / [`path_text`]: the one escaping of text that names a path in a message:
//!   control characters (NUL, newline, ESC, DEL, C1 …) and bytes that are not UTF-8 are
//!   written as `\0`, `\n`, `\t`, `\r`, `\xNN` or `\u{NNNN}`, so a hostile file name cannot
//!   forge or split a log line or a terminal's output.
//! * [`open_regular`]: a user path opened without blocking (`O_NONBLOCK`, so the `open` of a
//!   FIFO returns at once), then `fstat`: anything but a regular file is refused, and the
//!   size seen there is the most that will be read.
//! * [`open_beneath`]: a path relative to a root (a run's `files/` directory), resolved
//!   without ever leaving it: no absolute path, no `..`, and no symlink (Linux: `openat2`
//!   with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, else an `O_NOFOLLOW` `openat` walk of
//!   every component; other platforms: a component check and `symlink_metadata` of each
//!   prefix), then the checks of [`open_regular`].

use std::fs::File;
use std::path::{Component, Path};

use crate::error::{Error, ErrorKind, Result};

pub use crate::text_escape::{escape, path_text};

fn type_error(p: &Path, m: &std::fs::Metadata) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "{} is {}, not a regular file",
            path_text(p),
            crate::platform::describe_file_type(&m.file_type())
        ),
    )
}

/// Checks an open file: a regular file (`fstat`), returning its size at this moment.
fn regular(p: &Path, f: &File) -> Result<u64> {
    let m = f.metadata().map_err(|e| Error::io(path_text(p), e))?;
    if !m.is_file() {
        return Err(type_error(p, &m));
    }
    #[cfg(unix)]
    {
        // Back to blocking reads: a regular file never blocks, and `read_to_end` must not
        // see EAGAIN on the (rare) file systems that honour O_NONBLOCK for files.
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor this `File` owns; no memory is passed.
        unsafe {
            let fd = f.as_raw_fd();
            let fl = libc::fcntl(fd, libc::F_GETFL);
            if fl >= 0 {
                libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(m.len())
}

/// Opens a user-named file for reading: never blocks in `open` (FIFO, device), refuses
/// anything but a regular file, and returns the size seen by `fstat` (read at most that).
pub fn open_regular(p: &Path) -> Result<(File, u64)> {
    let f = crate::platform::open_user_file(p).map_err(|e| Error::io(path_text(p), e))?;
    let n = regular(p, &f)?;
    Ok((f, n))
}

/// Reads a user-named regular file ([`open_regular`]): at most the size seen at open.
pub fn read_regular(p: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let (f, n) = open_regular(p)?;
    let mut out = Vec::new();
    f.take(n)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path_text(p), e))?;
    Ok(out)
}

/// Writes `dir/name` by creating a new temp file in `dir` (`O_EXCL | O_NOFOLLOW`) and
/// renaming it over `name`: whatever was at `name` (a symlink out of the run, a FIFO) is
/// replaced, never followed or opened.
pub fn write_replacing(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    local_components(name)?;
    let dest = dir.join(name);
    let parent = dest.parent().unwrap_or(dir);
    let (tmp, mut f) =
        crate::run_dir::create_temp(parent).map_err(|e| Error::io(path_text(&dest), e))?;
    let r = f.write_all(bytes).and_then(|()| f.flush()).and_then(|()| {
        drop(f);
        std::fs::rename(&tmp, &dest)
    });
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path_text(&dest), e));
    }
    Ok(())
}

/// Creates `dir` and its missing parents below `root` (which must exist), where every
/// component that exists must be a real directory: a symlink (to anywhere) is refused,
/// so nothing is ever created or written through a link out of the run.
pub fn mkdirs_beneath(root: &Path, dir: &Path) -> Result<()> {
    let rel = dir.strip_prefix(root).map_err(|_| {
        Error::invalid(format!("{} is outside {}", path_text(dir), path_text(root)))
    })?;
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(s) => cur.push(s),
            Component::CurDir => continue,
            _ => {
                return Err(Error::invalid(format!(
                    "{} leaves {}",
                    path_text(dir),
                    path_text(root)
                )))
            }
        }
        match std::fs::create_dir(&cur) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !std::fs::symlink_metadata(&cur).is_ok_and(|m| m.is_dir()) {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "{} is a symbolic link or a file, not a directory of the run: not writing through it",
                            path_text(&cur)
                        ),
                    ));
                }
            }
            Err(e) => return Err(Error::io(path_text(&cur), e)),
        }
    }
    Ok(())
}

/// Checks that `rel` is a local relative path: not empty, not absolute, no `..` (or `.`)
/// component, no NUL, no drive or root. Returns its normal components.
pub fn local_components(rel: &str) -> Result<Vec<&str>> {
    let bad = |why: &str| {
        Error::invalid(format!(
            "{}: {why} (only files inside the run's files directory are read)",
            escape(rel)
        ))
    };
    if rel.is_empty() {
        return Err(bad("empty path"));
    }
    if rel.contains('\0') {
        return Err(bad("NUL in the path"));
    }
    let p = Path::new(rel);
    let mut out = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s.to_str().unwrap_or("")),
            Component::CurDir => {}
            Component::ParentDir => return Err(bad("'..' leaves the directory")),
            Component::RootDir | Component::Prefix(_) => return Err(bad("absolute path")),
        }
    }
    if cfg!(windows) && rel.contains(['\\', ':']) {
        return Err(bad("'\\' or ':' in the path"));
    }
    if out.is_empty() {
        return Err(bad("no file name"));
    }
    Ok(out)
}

/// Opens `root/rel` for reading without leaving `root` (see the module documentation):
/// `rel` must be local ([`local_components`]), no component may be a symlink, and the
/// file must be regular. Returns the file and its size.
pub fn open_beneath(root: &Path, rel: &str) -> Result<(File, u64)> {
    let parts = local_components(rel)?;
    let full = root.join(rel);
    #[cfg(target_os = "linux")]
    {
        let f = linux::open_beneath(root, &parts).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) || e.raw_os_error() == Some(libc::EXDEV) {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "{}: a symbolic link in the path (links are not followed out of or inside the run's files directory)",
                        path_text(&full)
                    ),
                )
            } else {
                Error::io(path_text(&full), e)
            }
        })?;
        let n = regular(&full, &f)?;
        Ok((f, n))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut cur = root.to_path_buf();
        for part in &parts {
            cur.push(part);
            let m = std::fs::symlink_metadata(&cur).map_err(|e| Error::io(path_text(&cur), e))?;
            if m.file_type().is_symlink() {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!(
                        "{}: a symbolic link in the path (links are not followed out of or inside the run's files directory)",
                        path_text(&full)
                    ),
                ));
            }
        }
        open_regular(&full)
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    fn cstr(b: &[u8]) -> io::Result<CString> {
        CString::new(b).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    /// `root/parts…` opened read-only, non-blocking, never following a symlink, never
    /// leaving `root`.
    pub fn open_beneath(root: &Path, parts: &[&str]) -> io::Result<File> {
        let root_c = cstr(root.as_os_str().as_bytes())?;
        let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY;
        // SAFETY: a NUL-terminated path; the result is checked before use.
        let dfd = unsafe { libc::open(root_c.as_ptr(), flags) };
        if dfd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `dfd` is a fresh descriptor owned from here on.
        let dir = unsafe { OwnedFd::from_raw_fd(dfd) };
        let rel = cstr(parts.join("/").as_bytes())?;
        let file_flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = file_flags as u64;
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        use std::os::fd::AsRawFd;
        // SAFETY: openat2 with a valid directory descriptor, a NUL-terminated path and an
        // `open_how` of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                rel.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: a fresh descriptor returned by the kernel.
            return Ok(unsafe { File::from_raw_fd(fd as i32) });
        }
        let err = io::Error::last_os_error();
        if !matches!(
            err.raw_os_error(),
            Some(libc::ENOSYS) | Some(libc::EPERM) | Some(libc::E2BIG)
        ) {
            return Err(err);
        }
        // Kernels before 5.6 (or a seccomp filter): one O_NOFOLLOW openat per component.
        let mut cur = dir;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let c = cstr(part.as_bytes())?;
            let fl = if last {
                file_flags | libc::O_NOFOLLOW
            } else {
                libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY | libc::O_NOFOLLOW
            };
            // SAFETY: openat with a valid directory descriptor and a NUL-terminated name.
            let fd = unsafe { libc::openat(cur.as_raw_fd(), c.as_ptr(), fl) };
            if fd < 0 {
                let e = io::Error::last_os_error();
                // A directory component that is a symlink fails O_DIRECTORY|O_NOFOLLOW
                // with ENOTDIR: report it as the link it is.
                if e.raw_os_error() == Some(libc::ENOTDIR) {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                return Err(e);
            }
            // SAFETY: a fresh descriptor.
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            if last {
                return Ok(File::from(owned));
            }
            cur = owned;
        }
        Err(io::Error::from(io::ErrorKind::InvalidInput))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(escape("a\nb\0c\x1b[31m\u{7f}é"), "a\\nb\\0c\\x1b[31m\\x7fé");
        assert_eq!(escape("x\u{85}\u{202e}y"), "x\\u{0085}\\u{202e}y");
        #[cfg(unix)]
        {
            use std::{ffi::OsStr, os::unix::ffi::OsStrExt};
            assert_eq!(path_text(OsStr::from_bytes(b"a\xffb\n")), "a\\xffb\\n");
        }
    }

    #[test]
    fn local_paths_only() {
        assert!(local_components("a/b.png").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a\0b", ".", "./"] {
            assert!(local_components(bad).is_err(), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn beneath_refuses_links_fifos_and_escapes() {
        let d = std::env::temp_dir().join(format!("wbm-confine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let root = d.join("files");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(d.join("secret"), b"canary").unwrap();
        std::fs::write(root.join("sub/ok.txt"), b"hello").unwrap();
        std::os::unix::fs::symlink(d.join("secret"), root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../secret", root.join("rel")).unwrap();
        std::os::unix::fs::symlink("..", root.join("up")).unwrap();
        std::os::unix::fs::symlink("sub/ok.txt", root.join("inside")).unwrap();
        let fifo = std::ffi::CString::new(root.join("fifo").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (mut f, n) = open_beneath(&root, "sub/ok.txt").unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).unwrap();
        assert_eq!((s.as_str(), n), ("hello", 5));
        for bad in [
            "abs",
            "rel",
            "up/secret",
            "inside",
            "fifo",
            "sub",
            "../secret",
            "/etc/passwd",
            "missing",
        ] {
            assert!(open_beneath(&root, bad).is_err(), "{bad}");
        }
        assert!(open_regular(&root.join("fifo"))
            .unwrap_err()
            .message
            .contains("FIFO"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
