//! The console log of a run (the run page's Logs tab), as wandb 0.31 writes it.
//!
//! Facts (wandb 0.31.0 offline run decoded, wandb-core `runconsolelogs` and
//! `terminalemulator` read; this is our own implementation):
//! * every captured write becomes one `output_raw` record in the `.wandb` log:
//!   `OutputRawRecord { output_type (STDERR = 0, STDOUT = 1), timestamp (µs), line }` with
//!   `_info.stream_id`; `line` is a proto `string` (valid UTF-8: invalid bytes are replaced
//!   by U+FFFD here, a sequence split between writes is joined);
//! * wandb-core runs each stream through a small terminal emulator (32-line view; `\r`
//!   returns to column 0 and overwrites, `\n` is also a carriage return, `ESC[A`/`ESC[B`
//!   move the cursor, every other escape sequence is kept as text, lines are cut at 4096
//!   characters). Both streams allocate lines from one model that remembers the last 32
//!   lines; older lines are final. `files/output.log` holds each line's content;
//!   file_stream sends `output.log` lines as `<ts> <content>`, stderr lines as
//!   `ERROR <ts> <content>` (`ts` = UTC `YYYY-MM-DDTHH:MM:SS.ffffff`, the time the line was
//!   started), a shared-mode writer inserts `[<label>] ` before the content.
//!
//! Memory is bounded whatever the output: the model holds at most 32 lines of at most 4096
//! characters, the file writer at most [`FILE_BUFFER`] bytes of finished lines.
//! Where core uses the time it processes a record for a line's timestamp, we use the
//! record's own timestamp (the time the output was produced), so live upload and a later
//! sync give the same lines.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Lines the model keeps (core's `maxTerminalLines`).
pub const MAX_LINES: usize = 32;
/// Characters per line (core's `maxTerminalLineLength`).
pub const MAX_LINE_CHARS: usize = 4096;
/// Finished lines buffered before they are appended to `output.log`.
pub const FILE_BUFFER: usize = 64 << 10;
/// Largest `output_raw` record this library writes (bigger writes are split at character
/// boundaries, far below the uploader's read chunk).
pub const MAX_RECORD_TEXT: usize = 256 << 10;
/// The console file's name in the files directory.
pub const OUTPUT_FILE: &str = "output.log";

/// Which stream a console chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// `wandb.Settings(console=…)` for a native run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsoleMode {
    /// `WANDB_CONSOLE` if set (`off`; `redirect`; `wrap`/`auto`/… = [`ConsoleMode::Wrap`]),
    /// else [`ConsoleMode::Wrap`].
    #[default]
    Auto,
    /// No console log (`console="off"`): console writes are ignored.
    Off,
    /// Only what the host passes to `console_write` (the SDK's `wrap`: the process's file
    /// descriptors are left alone).
    Wrap,
    /// File descriptors 1 and 2 go through pipes (a pseudo-terminal when they were a
    /// terminal), teed to where they went before.
    Redirect,
}

impl ConsoleMode {
    /// `WANDB_CONSOLE` as the SDK reads it.
    pub fn parse(s: &str) -> Option<ConsoleMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Some(ConsoleMode::Off),
            "redirect" => Some(ConsoleMode::Redirect),
            "wrap" | "wrap_raw" | "wrap_emu" | "auto" => Some(ConsoleMode::Wrap),
            _ => None,
        }
    }

    /// Resolves `Auto` from `WANDB_CONSOLE` (an unknown value is an error).
    pub fn resolve(self) -> crate::error::Result<ConsoleMode> {
        if self != ConsoleMode::Auto {
            return Ok(self);
        }
        match std::env::var("WANDB_CONSOLE")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => Ok(ConsoleMode::Wrap),
            Some(v) => ConsoleMode::parse(&v).ok_or_else(|| {
                crate::error::Error::invalid(format!(
                    "WANDB_CONSOLE={v:?}: use off, wrap or redirect"
                ))
            }),
        }
    }
}

/// One line of the console log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    content: Vec<char>,
    /// Characters of `content` as of its last change: core reports a line only when a
    /// character changes, so spaces that merely pad it (a trailing `' '`) stay unseen until
    /// a later change on the line (observed: `"other \x1b[B"` gives `"other"`).
    shown: usize,
    pub stderr: bool,
    /// Unix time the line was started.
    pub ts: Duration,
}

impl Line {
    /// The line as core reports it.
    pub fn chars(&self) -> &[char] {
        &self.content[..self.shown]
    }

    pub fn text(&self) -> String {
        self.chars().iter().collect()
    }

    /// Sets the character at `offset` (spaces fill a gap); false when nothing changed.
    fn put(&mut self, c: char, offset: usize) -> bool {
        if offset >= MAX_LINE_CHARS {
            return false;
        }
        while offset >= self.content.len() {
            self.content.push(' ');
        }
        if self.content[offset] == c {
            return false;
        }
        self.content[offset] = c;
        self.shown = self.content.len();
        true
    }

    /// The file_stream line: `[ERROR ]<ts> [[<label>] ]<content>`.
    pub fn legacy(&self, label: Option<&str>) -> String {
        let ts = crate::online::reader::rfc3339(
            self.ts.as_secs() as i64,
            i64::from(self.ts.subsec_nanos()),
        );
        let ts = ts.trim_end_matches('Z');
        let prefix = if self.stderr { "ERROR " } else { "" };
        match label {
            Some(l) if !l.is_empty() => format!("{prefix}{ts} [{l}] {}", self.text()),
            _ => format!("{prefix}{ts} {}", self.text()),
        }
    }
}

/// What the model tells its consumer.
pub trait Sink {
    /// A line still in the model changed (or was created); `line` is its current state.
    fn changed(&mut self, num: u64, line: &Line);
    /// A line left the model: it is final. `dirty`: it changed since the last `changed`.
    fn evicted(&mut self, num: u64, line: Line, dirty: bool);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    Started,
    Csi,
}

/// One stream's terminal: a view of line numbers and a cursor.
#[derive(Debug, Default)]
struct Term {
    view: VecDeque<u64>,
    x: usize,
    y: usize,
    esc: Esc,
}

/// The console model: two terminals (stdout, stderr) over one list of lines.
#[derive(Debug, Default)]
pub struct Console {
    lines: VecDeque<Line>,
    /// Line number of `lines[0]`.
    first: u64,
    dirty: Vec<bool>,
    terms: [Term; 2],
    /// Time stamp given to lines started by the current write.
    now: Duration,
    any: bool,
}

impl Console {
    pub fn new() -> Console {
        Console::default()
    }

    /// True once anything was written.
    pub fn has_output(&self) -> bool {
        self.any
    }

    /// Feeds one chunk of a stream (processed at unix time `ts`).
    pub fn write(&mut self, stream: Stream, text: &str, ts: Duration, sink: &mut dyn Sink) {
        self.any = true;
        self.now = ts;
        let t = match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        };
        let stderr = t == 1;
        for c in text.chars() {
            match self.terms[t].esc {
                Esc::None => match c {
                    '\r' => self.terms[t].x = 0,
                    '\n' => self.line_feed(t),
                    '\x1b' => self.terms[t].esc = Esc::Started,
                    c => self.put(t, stderr, c, sink),
                },
                Esc::Started => {
                    if c == '[' {
                        self.terms[t].esc = Esc::Csi;
                    } else {
                        self.terms[t].esc = Esc::None;
                        self.put(t, stderr, '\x1b', sink);
                        self.put(t, stderr, c, sink);
                    }
                }
                Esc::Csi => {
                    self.terms[t].esc = Esc::None;
                    match c {
                        'A' => {
                            let term = &mut self.terms[t];
                            term.y = term.y.saturating_sub(1);
                        }
                        'B' => {
                            self.terms[t].y += 1;
                            self.scroll_if_needed(t);
                        }
                        c => {
                            self.put(t, stderr, '\x1b', sink);
                            self.put(t, stderr, '[', sink);
                            self.put(t, stderr, c, sink);
                        }
                    }
                }
            }
        }
        self.report(sink);
    }

    fn line_feed(&mut self, t: usize) {
        self.terms[t].x = 0;
        self.terms[t].y += 1;
        self.scroll_if_needed(t);
    }

    fn scroll_if_needed(&mut self, t: usize) {
        let term = &mut self.terms[t];
        if term.y >= MAX_LINES {
            term.view.pop_front();
            term.y -= 1;
        }
    }

    fn put(&mut self, t: usize, stderr: bool, c: char, sink: &mut dyn Sink) {
        while self.terms[t].y >= self.terms[t].view.len() {
            let num = self.next_line(stderr, sink);
            self.terms[t].view.push_back(num);
        }
        let term = &self.terms[t];
        let (num, x) = (term.view[term.y], term.x);
        if num >= self.first {
            let i = (num - self.first) as usize;
            if let Some(line) = self.lines.get_mut(i) {
                if line.put(c, x) {
                    self.dirty[i] = true;
                }
            }
        }
        self.terms[t].x += 1;
    }

    fn next_line(&mut self, stderr: bool, sink: &mut dyn Sink) -> u64 {
        let num = self.first + self.lines.len() as u64;
        self.lines.push_back(Line {
            content: Vec::new(),
            shown: 0,
            stderr,
            ts: self.now,
        });
        self.dirty.push(true);
        if self.lines.len() > MAX_LINES {
            if let Some(old) = self.lines.pop_front() {
                let d = self.dirty.remove(0);
                sink.evicted(self.first, old, d);
            }
            self.first += 1;
        }
        num
    }

    /// Reports the lines changed by the last write.
    fn report(&mut self, sink: &mut dyn Sink) {
        for (i, line) in self.lines.iter().enumerate() {
            if self.dirty[i] {
                sink.changed(self.first + i as u64, line);
                self.dirty[i] = false;
            }
        }
    }

    /// The lines still in the model (not final), from line number `first()`.
    pub fn window(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter()
    }

    pub fn first(&self) -> u64 {
        self.first
    }
}

/// Joins UTF-8 sequences split between writes and replaces invalid bytes with U+FFFD.
#[derive(Debug, Default)]
pub struct Utf8Carry {
    carry: Vec<u8>,
}

impl Utf8Carry {
    /// Decodes `bytes` after what was carried; an incomplete sequence at the end is kept
    /// for the next call (at most 3 bytes).
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut buf;
        let data: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(bytes);
            &buf
        };
        let mut out = String::with_capacity(data.len());
        let mut rest = data;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    // SAFETY-free: from_utf8 said these bytes are valid.
                    out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &rest[good + n..];
                        }
                        None => {
                            self.carry = rest[good..].to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    /// What is left at the end of the stream (an incomplete sequence becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        if self.carry.is_empty() {
            String::new()
        } else {
            self.carry.clear();
            "\u{fffd}".into()
        }
    }
}

/// Splits text into pieces of at most `max` bytes at character boundaries.
pub fn split_text(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// `files/output.log`: finished lines are appended; the lines still in the model are
/// rewritten after them at every flush.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    file: Option<File>,
    /// Bytes of finished lines in the file.
    final_len: u64,
    pending: String,
    /// The first error (later writes are skipped; reported by `flush`).
    error: Option<String>,
}

impl FileSink {
    pub fn new(path: &Path) -> FileSink {
        FileSink {
            path: path.to_path_buf(),
            file: None,
            final_len: 0,
            pending: String::new(),
            error: None,
        }
    }

    fn open(&mut self) -> Option<&mut File> {
        if self.file.is_none() && self.error.is_none() {
            match std::fs::OpenOptions::new()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(&self.path)
            {
                Ok(f) => self.file = Some(f),
                Err(e) => self.error = Some(format!("{}: {e}", self.path.display())),
            }
        }
        self.file.as_mut()
    }

    fn write_final(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let at = self.final_len;
        let Some(f) = self.open() else { return };
        let r = f
            .seek(SeekFrom::Start(at))
            .and_then(|_| f.write_all(pending.as_bytes()));
        match r {
            Ok(()) => self.final_len += pending.len() as u64,
            Err(e) => self.error = Some(format!("{}: {e}", self.path.display())),
        }
        let mut pending = pending;
        pending.clear();
        self.pending = pending;
    }

    /// Writes finished lines and the model's current lines; the file then holds the whole
    /// console log so far.
    pub fn flush(&mut self, console: &Console) -> Result<(), String> {
        if !console.has_output() {
            return Ok(());
        }
        self.write_final();
        let mut tail = String::new();
        for l in console.window() {
            tail.extend(l.chars().iter());
            tail.push('\n');
        }
        let at = self.final_len;
        if let Some(f) = self.open() {
            let r = f
                .seek(SeekFrom::Start(at))
                .and_then(|_| f.write_all(tail.as_bytes()))
                .and_then(|_| f.set_len(at + tail.len() as u64));
            if let Err(e) = r {
                self.error = Some(format!("{}: {e}", self.path.display()));
            }
        }
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

impl Sink for FileSink {
    fn changed(&mut self, _num: u64, _line: &Line) {}
    fn evicted(&mut self, _num: u64, line: Line, _dirty: bool) {
        self.pending.extend(line.chars().iter());
        self.pending.push('\n');
        if self.pending.len() >= FILE_BUFFER {
            self.write_final();
        }
    }
}

/// Lines waiting for file_stream (line number → formatted line).
#[derive(Debug, Default)]
pub struct StreamSink {
    pub label: Option<String>,
    pub lines: BTreeMap<u64, String>,
    pub bytes: usize,
}

impl StreamSink {
    fn set(&mut self, num: u64, line: &Line) {
        let text = line.legacy(self.label.as_deref());
        self.bytes += text.len();
        if let Some(old) = self.lines.insert(num, text) {
            self.bytes -= old.len();
        }
    }

    /// Takes the first run of consecutive lines (at most `max` bytes, at least one line):
    /// `(offset, lines)`.
    pub fn take_run(&mut self, max: usize) -> Option<(u64, Vec<String>)> {
        let (&start, _) = self.lines.iter().next()?;
        let mut out = Vec::new();
        let mut size = 0;
        let mut next = start;
        while let Some(l) = self.lines.get(&next) {
            if !out.is_empty() && size + l.len() > max {
                break;
            }
            size += l.len();
            let l = self.lines.remove(&next).unwrap_or_default();
            self.bytes -= l.len();
            out.push(l);
            next += 1;
        }
        Some((start, out))
    }

    /// Puts a run back (a failed request).
    pub fn put_back(&mut self, offset: u64, lines: Vec<String>) {
        for (i, l) in lines.into_iter().enumerate() {
            let num = offset + i as u64;
            if !self.lines.contains_key(&num) {
                self.bytes += l.len();
                self.lines.insert(num, l);
            }
        }
    }
}

impl Sink for StreamSink {
    fn changed(&mut self, num: u64, line: &Line) {
        self.set(num, line);
    }
    fn evicted(&mut self, num: u64, line: Line, dirty: bool) {
        if dirty {
            self.set(num, &line);
        }
    }
}

#[cfg(unix)]
pub mod capture;

/// How often the run rewrites `output.log` while output arrives (core: 5 s debounce).
pub const FILE_REFRESH: Duration = Duration::from_secs(5);

/// A run's console log: the model, its `output.log` and the per-stream UTF-8 carry.
#[derive(Debug)]
pub struct State {
    pub model: Console,
    pub file: FileSink,
    carry: [Utf8Carry; 2],
    last_flush: std::time::Instant,
}

impl State {
    /// `file_name`: [`OUTPUT_FILE`], or a shared writer's `output_<label>.log`.
    pub fn new(files_dir: &Path, file_name: &str) -> State {
        State {
            model: Console::new(),
            file: FileSink::new(&files_dir.join(file_name)),
            carry: Default::default(),
            last_flush: std::time::Instant::now(),
        }
    }

    /// Decodes a chunk of a stream (see [`Utf8Carry`]).
    pub fn decode(&mut self, stream: Stream, bytes: &[u8]) -> String {
        self.carry[stream as usize].decode(bytes)
    }

    /// What the streams left undecoded at the end.
    pub fn finish_carry(&mut self, stream: Stream) -> String {
        self.carry[stream as usize].finish()
    }

    /// Feeds decoded text to the model (and the file); rewrites the file now and then.
    pub fn feed(&mut self, stream: Stream, text: &str, ts: Duration) {
        self.model.write(stream, text, ts, &mut self.file);
        if self.last_flush.elapsed() >= FILE_REFRESH {
            self.last_flush = std::time::Instant::now();
            let _ = self.file.flush(&self.model);
        }
    }

    /// Brings `output.log` up to date.
    pub fn flush(&mut self) -> Result<(), String> {
        self.last_flush = std::time::Instant::now();
        self.file.flush(&self.model)
    }
}

/// No descriptor redirection off Unix (`console=redirect` falls back to `wrap`).
#[cfg(not(unix))]
pub struct Capture;
#[cfg(not(unix))]
impl Capture {
    pub fn stop(self) {}
}
#[cfg(unix)]
pub use capture::Capture;

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[(Stream, &str)]) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!(
            "wbm-console-{}-{}",
            std::process::id(),
            chunks.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("output.log");
        let mut c = Console::new();
        let mut f = FileSink::new(&path);
        for (s, t) in chunks {
            c.write(*s, t, Duration::ZERO, &mut f);
        }
        f.flush(&c).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn terminal_like_core() {
        use Stream::*;
        // The SDK's own output.log for these writes (wandb 0.31.0, offline).
        let got = run(&[
            (Stdout, "hello world"),
            (Stdout, "\n"),
            (Stdout, "no newline..."),
            (Stdout, " continued\n"),
            (Stdout, "\rprogress 0%"),
            (Stdout, "\rprogress 25%"),
            (Stdout, "\rprogress 100%"),
            (Stdout, "\n"),
            (Stderr, "error line"),
            (Stderr, "\n"),
            (Stdout, "\x1b[31mred\x1b[0m text"),
            (Stdout, "\n"),
            (Stdout, "abc\rX\n"),
            (Stdout, "a\n\nb\n"),
            (Stdout, "up1\nup2\x1b[Aover\n"),
            (Stdout, "tab\there é ünï\n"),
            (Stdout, "sp \x1b[Bx\n"),
            (Stderr, "partial err"),
            (Stdout, "out after partial err\n"),
            (Stderr, " end\n"),
        ]);
        assert_eq!(
            got,
            [
                "hello world",
                "no newline... continued",
                "progress 100%",
                "error line",
                "\x1b[31mred\x1b[0m text",
                "Xbc",
                "a",
                "",
                "b",
                "up1over",
                "tab\there é ünï",
                "sp",
                "   x",
                "partial err end",
                "out after partial err",
            ]
        );
    }

    #[test]
    fn bounded_lines_and_window() {
        let long = "x".repeat(10_000);
        let got = run(&[(Stream::Stdout, &long)]);
        assert_eq!(got, ["x".repeat(MAX_LINE_CHARS)]);
        let many: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let got = run(&[(Stream::Stdout, &many)]);
        assert_eq!(got.len(), 1000);
        assert_eq!(got[999], "999");
    }

    #[test]
    fn utf8_carry() {
        let mut c = Utf8Carry::default();
        let e = "é".as_bytes();
        assert_eq!(c.decode(&[b'a', e[0]]), "a");
        assert_eq!(c.decode(&[e[1], 0xff, b'b']), "é\u{fffd}b");
        assert_eq!(c.decode(&[0xe2]), "");
        assert_eq!(c.finish(), "\u{fffd}");
        assert_eq!(split_text("aéb", 2), ["a", "é", "b"]);
    }

    #[test]
    fn stream_lines() {
        let mut c = Console::new();
        let mut s = StreamSink::default();
        c.write(
            Stream::Stdout,
            "a\rb\n",
            Duration::from_micros(1_700_000_000_123_456),
            &mut s,
        );
        c.write(
            Stream::Stderr,
            "e\n",
            Duration::from_secs(1_700_000_000),
            &mut s,
        );
        let (off, lines) = s.take_run(1 << 20).unwrap();
        assert_eq!(off, 0);
        assert_eq!(
            lines,
            [
                "2023-11-14T22:13:20.123456 b",
                "ERROR 2023-11-14T22:13:20.000000 e"
            ]
        );
        assert_eq!(s.bytes, 0);
    }
}
