//! `console=redirect`: file descriptors 1 and 2 through pipes, teed to where they went.
//!
//! For each of fd 1 and 2: the original is kept (`dup`, close-on-exec), a pipe — or a
//! pseudo-terminal in raw mode when the fd was a terminal, so the program and its children
//! still see a terminal (line-buffered stdio, colours, window size) — replaces it with
//! `dup2`, and one reader thread copies every chunk byte for byte to the original, then
//! hands it to the run. Child processes inherit the new fds and are captured too.
//!
//! Stopping (finish/free): C stdio is flushed, the reader is given up to a second to empty
//! the pipes, the original fds are put back — only where fd 1/2 still is our pipe (a
//! program that `dup2`ed or closed its own fd keeps its choice) — and the reader drains
//! what is left (bounded: a child still writing cannot hold it) and exits.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Stream;
use crate::error::{Error, Result};

/// What the reader calls for every chunk (after teeing it).
pub type Feed = Box<dyn FnMut(Stream, &[u8]) + Send>;

struct Redir {
    target: RawFd,
    saved: RawFd,
    read: RawFd,
    /// (dev, ino) of the write end installed at `target`.
    ident: (u64, u64),
    stream: Stream,
}

/// An installed redirection (see the module docs).
pub struct Capture {
    redirs: Vec<Redir>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn last_err(what: &str) -> Error {
    Error::io(what, std::io::Error::last_os_error())
}

fn ident(fd: RawFd) -> Option<(u64, u64)> {
    // SAFETY: fstat writes into a zeroed stat we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some((st.st_dev as u64, st.st_ino as u64))
}

fn set_cloexec(fd: RawFd) {
    // SAFETY: plain fcntl on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
}

fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: closing an fd this module created.
        unsafe { libc::close(fd) };
    }
}

/// A pipe or (for a terminal) a raw pseudo-terminal: (read end, write end).
fn channel(target: RawFd) -> Result<(RawFd, RawFd)> {
    // SAFETY: isatty on a plain fd.
    if unsafe { libc::isatty(target) } == 1 {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty fills the two ints; NULL name/termios/winsize are allowed.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                // null_mut: the termios/winsize pointers are *mut on some platforms (macOS)
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if r == 0 {
            // SAFETY: termios/winsize structs we own, fds we just opened.
            unsafe {
                let mut t: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(slave, &mut t) == 0 {
                    libc::cfmakeraw(&mut t);
                    libc::tcsetattr(slave, libc::TCSANOW, &t);
                }
                let mut ws: libc::winsize = std::mem::zeroed();
                if libc::ioctl(target, libc::TIOCGWINSZ, &mut ws) == 0 {
                    libc::ioctl(slave, libc::TIOCSWINSZ, &ws);
                }
            }
            set_cloexec(master);
            return Ok((master, slave));
        }
        // No pseudo-terminal available: a pipe still captures everything.
    }
    let mut p = [-1; 2];
    // SAFETY: pipe writes two fds into `p`.
    if unsafe { libc::pipe(p.as_mut_ptr()) } != 0 {
        return Err(last_err("creating the console pipe"));
    }
    set_cloexec(p[0]);
    Ok((p[0], p[1]))
}

fn write_all(fd: RawFd, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        // SAFETY: writing from a live slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        data = &data[n as usize..];
    }
    true
}

/// Bytes waiting in a pipe / pty.
fn pending(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes an int.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } == 0 {
        n.max(0) as usize
    } else {
        0
    }
}

impl Capture {
    /// Redirects fds 1 and 2 (those that are open) and starts the reader.
    pub fn start(mut feed: Feed) -> Result<Capture> {
        let mut redirs: Vec<Redir> = Vec::new();
        let undo = |redirs: &mut Vec<Redir>| {
            for r in redirs.drain(..) {
                // SAFETY: restoring fds this function replaced.
                unsafe { libc::dup2(r.saved, r.target) };
                close(r.saved);
                close(r.read);
            }
        };
        for (target, stream) in [(1, Stream::Stdout), (2, Stream::Stderr)] {
            // A closed fd stays closed (nothing to tee to).
            // SAFETY: F_DUPFD_CLOEXEC duplicates `target` above 2.
            let saved = unsafe { libc::fcntl(target, libc::F_DUPFD_CLOEXEC, 3) };
            if saved < 0 {
                continue;
            }
            let (read, write) = match channel(target) {
                Ok(c) => c,
                Err(e) => {
                    close(saved);
                    undo(&mut redirs);
                    return Err(e);
                }
            };
            // SAFETY: dup2 onto fd 1/2.
            if unsafe { libc::dup2(write, target) } < 0 {
                let e = last_err("redirecting the console");
                close(saved);
                close(read);
                close(write);
                undo(&mut redirs);
                return Err(e);
            }
            close(write);
            let id = ident(target).unwrap_or_default();
            redirs.push(Redir {
                target,
                saved,
                read,
                ident: id,
                stream,
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let fds: Vec<(RawFd, RawFd, Stream)> =
            redirs.iter().map(|r| (r.read, r.saved, r.stream)).collect();
        let st = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wandb-media-console".into())
            .spawn(move || reader(fds, &st, &mut feed));
        match thread {
            Ok(t) => Ok(Capture {
                redirs,
                stop,
                thread: Some(t),
            }),
            Err(e) => {
                undo(&mut redirs);
                Err(Error::io("starting the console reader thread", e))
            }
        }
    }

    /// Restores fds 1 and 2 (see the module docs) and stops the reader once it has passed
    /// on everything written before this call.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // SAFETY: fflush(NULL) flushes every C stdio output stream.
        unsafe { libc::fflush(std::ptr::null_mut()) };
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.redirs.iter().any(|r| pending(r.read) > 0) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        for r in &self.redirs {
            if ident(r.target) == Some(r.ident) {
                // SAFETY: fd 1/2 is still our pipe: put the original back.
                unsafe { libc::dup2(r.saved, r.target) };
            }
        }
        self.stop.store(true, Ordering::SeqCst);
        let _ = thread.join();
        for r in self.redirs.drain(..) {
            close(r.saved);
            close(r.read);
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Most bytes drained after the stop (a child still writing cannot keep the reader).
const DRAIN_MAX: usize = 16 << 20;

fn reader(fds: Vec<(RawFd, RawFd, Stream)>, stop: &AtomicBool, feed: &mut Feed) {
    let mut buf = vec![0u8; 64 << 10];
    let mut open: Vec<bool> = vec![true; fds.len()];
    let mut tee: Vec<bool> = vec![true; fds.len()];
    let mut drained = 0usize;
    let mut drain_deadline: Option<Instant> = None;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        if stopping && drain_deadline.is_none() {
            drain_deadline = Some(Instant::now() + Duration::from_millis(200));
        }
        if !open.iter().any(|o| *o) {
            return;
        }
        if let Some(d) = drain_deadline {
            if Instant::now() >= d || drained >= DRAIN_MAX {
                return;
            }
        }
        let mut pfds: Vec<libc::pollfd> = fds
            .iter()
            .zip(&open)
            .filter(|(_, o)| **o)
            .map(|((fd, _, _), _)| libc::pollfd {
                fd: *fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let timeout = if stopping { 20 } else { 50 };
        // SAFETY: a live array of pollfds.
        let n = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            if stopping {
                return;
            }
            continue;
        }
        for p in &pfds {
            if p.revents == 0 {
                continue;
            }
            let Some(i) = fds.iter().position(|(fd, _, _)| *fd == p.fd) else {
                continue;
            };
            let (fd, saved, stream) = fds[i];
            // SAFETY: reading into our buffer.
            let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                ) {
                    continue;
                }
                // EIO: every writer of a pseudo-terminal closed it.
                open[i] = false;
                continue;
            }
            if r == 0 {
                open[i] = false;
                continue;
            }
            let data = &buf[..r as usize];
            if tee[i] && !write_all(saved, data) {
                // The original destination is gone (e.g. a closed pipe): keep capturing.
                tee[i] = false;
            }
            if stopping {
                drained += data.len();
            }
            feed(stream, data);
        }
    }
}
