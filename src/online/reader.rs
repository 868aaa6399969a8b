//! Reading a `.wandb` log: an incremental chunk reader that can tail a file another thread
//! (or a killed process) is appending to, and a decoder of the records the sender needs.
//!
//! The decoder extends the crate's hand-written protobuf encoder (`run::proto`) with a
//! matching ~60-line wire-format reader instead of pulling in prost: the field numbers are
//! already pinned (and checked against the SDK wheel) in `run/proto.rs`, and only a dozen
//! message types with few fields are read; unknown fields and record types are skipped,
//! which is what lets logs written by the Python SDK (with many more record types) be read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};
use crate::run::framing::{chunk_crc, BLOCK_SIZE, CHUNK_HEADER, FILE_HEADER};

/// Largest record the reader assembles (a record split over chunks grows to at most
/// this): the writer's largest record is bounded by the JSON limit (`MAX_JSON_BYTES`).
pub const MAX_RECORD_BYTES: usize = crate::json::MAX_JSON_BYTES + (1 << 20);

/// Incremental reader of a `.wandb` file's records.
pub struct LogTail {
    file: File,
    /// The file's size when it was opened (a sync reads no further).
    size_at_open: u64,
    /// Absolute offset of the next unread chunk (or 0 before the file header).
    pos: u64,
    /// A record split over chunks, being assembled.
    partial: Option<Vec<u8>>,
    buf: Vec<u8>,
}

/// What a poll found beyond the records it returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailState {
    /// Everything up to the end of the file was read (or it ends inside a chunk that is
    /// still being written).
    UpToDate,
    /// More data is there: poll again.
    More,
    /// A checksum/structure error at this offset (a torn write, or corruption).
    Corrupt(u64, String),
}

impl LogTail {
    /// Opens the log without blocking (a FIFO or device is refused: see
    /// [`crate::confine::open_regular`]).
    pub fn open(path: &Path) -> Result<LogTail> {
        let (file, size_at_open) = crate::confine::open_regular(path)?;
        Ok(LogTail {
            file,
            size_at_open,
            pos: 0,
            partial: None,
            buf: Vec::new(),
        })
    }

    /// The size of the file when it was opened.
    pub fn size_at_open(&self) -> u64 {
        self.size_at_open
    }

    /// Offset of the next unread chunk.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Reads complete records appended since the last poll (at most about `max` bytes).
    pub fn poll(&mut self, max: usize, out: &mut Vec<Vec<u8>>) -> Result<TailState> {
        self.poll_upto(max, None, out)
    }

    /// `poll`, reading nothing at or beyond the offset `end` (the length the writer
    /// committed: bytes past it may still be rolled back after a failed write).
    pub fn poll_upto(
        &mut self,
        max: usize,
        end: Option<u64>,
        out: &mut Vec<Vec<u8>>,
    ) -> Result<TailState> {
        let want = max;
        let max = match end {
            Some(end) => max.min(end.saturating_sub(self.pos) as usize),
            None => max,
        };
        self.file
            .seek(SeekFrom::Start(self.pos))
            .map_err(|e| Error::io("seeking the run log", e))?;
        self.buf.clear();
        let n = (&mut self.file)
            .take(max as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::io("reading the run log", e))?;
        // More to read only when the poll stopped at its size limit (not at `end`).
        let full = max == want && n >= max;
        let data = &self.buf[..];
        let mut i = 0usize; // index into data; absolute = pos + i
        if self.pos == 0 {
            if data.len() < FILE_HEADER.len() {
                return Ok(TailState::UpToDate);
            }
            if data[..7] != FILE_HEADER {
                return Err(Error::invalid("not a .wandb file (bad header)"));
            }
            i = FILE_HEADER.len();
        }
        let mut consumed = i;
        loop {
            let abs = self.pos as usize + i;
            let left = BLOCK_SIZE - abs % BLOCK_SIZE;
            if left < CHUNK_HEADER {
                if data.len() - i < left {
                    break;
                }
                i += left;
                consumed = i;
                continue;
            }
            if data.len() - i < CHUNK_HEADER {
                break;
            }
            let h = &data[i..i + CHUNK_HEADER];
            let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let len = usize::from(u16::from_le_bytes([h[4], h[5]]));
            let ty = h[6];
            if ty == 0 && len == 0 && crc == 0 {
                // Zero fill not yet overwritten (should not happen with appends): wait.
                break;
            }
            if CHUNK_HEADER + len > left {
                return Ok(TailState::Corrupt(
                    abs as u64,
                    "chunk crosses a block".into(),
                ));
            }
            if data.len() - i < CHUNK_HEADER + len {
                break;
            }
            let payload = &data[i + CHUNK_HEADER..i + CHUNK_HEADER + len];
            if chunk_crc(ty, payload) != crc {
                self.pos += consumed as u64;
                return Ok(TailState::Corrupt(abs as u64, "checksum mismatch".into()));
            }
            let assembled = self.partial.as_ref().map_or(0, Vec::len);
            if matches!(ty, 3 | 4) && assembled + len > MAX_RECORD_BYTES {
                self.pos += consumed as u64;
                self.partial = None;
                return Ok(TailState::Corrupt(
                    abs as u64,
                    format!("a record larger than {MAX_RECORD_BYTES} bytes (the limit)"),
                ));
            }
            match ty {
                1 => {
                    self.partial = None;
                    out.push(payload.to_vec());
                }
                2 => self.partial = Some(payload.to_vec()),
                3 => {
                    if let Some(p) = self.partial.as_mut() {
                        p.extend_from_slice(payload)
                    }
                }
                4 => {
                    if let Some(mut p) = self.partial.take() {
                        p.extend_from_slice(payload);
                        out.push(p);
                    }
                }
                _ => {
                    self.pos += consumed as u64;
                    return Ok(TailState::Corrupt(abs as u64, format!("chunk type {ty}")));
                }
            }
            i += CHUNK_HEADER + len;
            consumed = i;
        }
        self.pos += consumed as u64;
        Ok(if full {
            TailState::More
        } else {
            TailState::UpToDate
        })
    }
}

/// One protobuf field value.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Val<'a> {
    pub fn int(self) -> i64 {
        match self {
            Val::Varint(v) | Val::Fixed64(v) => v as i64,
            Val::Fixed32(v) => i64::from(v),
            Val::Bytes(_) => 0,
        }
    }
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Val::Bytes(b) => b,
            _ => &[],
        }
    }
    pub fn string(self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
}

/// Iterates the fields of a message; stops at the first malformed field.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf, pos: 0 }
}

impl Fields<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (u32, Val<'a>);
    fn next(&mut self) -> Option<(u32, Val<'a>)> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let tag = self.varint()?;
        let field = (tag >> 3) as u32;
        let v = match tag & 7 {
            0 => Val::Varint(self.varint()?),
            1 => {
                let b = self.buf.get(self.pos..self.pos + 8)?;
                self.pos += 8;
                Val::Fixed64(u64::from_le_bytes(b.try_into().ok()?))
            }
            2 => {
                let n = usize::try_from(self.varint()?).ok()?;
                let end = self.pos.checked_add(n)?;
                let b = self.buf.get(self.pos..end)?;
                self.pos = end;
                Val::Bytes(b)
            }
            5 => {
                let b = self.buf.get(self.pos..self.pos + 4)?;
                self.pos += 4;
                Val::Fixed32(u32::from_le_bytes(b.try_into().ok()?))
            }
            _ => {
                self.pos = self.buf.len();
                return None;
            }
        };
        Some((field, v))
    }
}

/// A history/summary/config item: its key path and JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub path: Vec<String>,
    pub value_json: String,
}

/// Most components of an item's key path (`nested_key`): the nesting limit of values, so a
/// path never nests the row, summary or config deeper than a value may be.
pub const MAX_KEY_PATH: usize = crate::json::MAX_DEPTH;

fn item(b: &[u8]) -> Result<Item> {
    let mut key = String::new();
    let mut nested = Vec::new();
    let mut value_json = String::new();
    for (f, v) in fields(b) {
        match f {
            1 => key = v.string(),
            2 => {
                if nested.len() == MAX_KEY_PATH {
                    return Err(Error::invalid(format!(
                        "a key path (nested_key) of more than {MAX_KEY_PATH} components (the nesting limit)"
                    )));
                }
                nested.push(v.string())
            }
            16 => value_json = v.string(),
            _ => {}
        }
    }
    let path = if nested.is_empty() { vec![key] } else { nested };
    Ok(Item { path, value_json })
}

/// `RunRecord` fields the sender uses.
#[derive(Debug, Clone, Default)]
pub struct RunRec {
    pub run_id: String,
    pub entity: String,
    pub project: String,
    pub config: Vec<Item>,
    pub group: String,
    pub job_type: String,
    pub display_name: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub host: String,
    pub start_seconds: i64,
    pub start_nanos: i64,
}

/// One manifest entry of an artifact record.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub path: String,
    pub digest: String,
    pub size: i64,
    pub local_path: String,
}

#[derive(Debug, Clone, Default)]
pub struct ArtifactRec {
    pub run_id: String,
    pub project: String,
    pub entity: String,
    pub ty: String,
    pub name: String,
    pub digest: String,
    pub aliases: Vec<String>,
    pub storage_policy: String,
    pub storage_layout: String,
    pub entries: Vec<Entry>,
    pub client_id: String,
    pub sequence_client_id: String,
}

/// A decoded record (only what the sender acts on).
#[derive(Debug, Clone)]
pub enum Rec {
    Run(RunRec),
    History(Vec<Item>),
    Summary {
        update: Vec<Item>,
        remove: Vec<Item>,
    },
    Config {
        update: Vec<Item>,
        remove: Vec<Item>,
    },
    Files(Vec<String>),
    Artifact(ArtifactRec),
    /// `EnvironmentRecord`, as `wandb-metadata.json` members.
    Environment(Vec<(String, crate::json::Json)>),
    Exit {
        code: i32,
    },
    /// `StatsRecord`: system metrics (timestamp seconds/nanos, items).
    Stats {
        ts: (i64, i64),
        items: Vec<Item>,
    },
    /// `OutputRawRecord`: a console chunk and its unix time.
    OutputRaw {
        stderr: bool,
        line: String,
        ts: std::time::Duration,
    },
    Other,
}

fn updates(b: &[u8]) -> Result<(Vec<Item>, Vec<Item>)> {
    let (mut u, mut r) = (Vec::new(), Vec::new());
    for (f, v) in fields(b) {
        match f {
            1 => u.push(item(v.bytes())?),
            2 => r.push(item(v.bytes())?),
            _ => {}
        }
    }
    Ok((u, r))
}

fn timestamp(b: &[u8]) -> (i64, i64) {
    let (mut s, mut n) = (0, 0);
    for (f, v) in fields(b) {
        match f {
            1 => s = v.int(),
            2 => n = v.int(),
            _ => {}
        }
    }
    (s, n)
}

/// RFC 3339 UTC with microseconds, as protojson writes timestamps in wandb-metadata.json.
pub fn rfc3339(secs: i64, nanos: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        nanos / 1000
    )
}

fn environment(b: &[u8]) -> Vec<(String, crate::json::Json)> {
    use crate::json::Json;
    let mut out: Vec<(String, Json)> = Vec::new();
    let mut args = Vec::new();
    for (f, v) in fields(b) {
        let (k, j) = match f {
            1 => ("os", Json::Str(v.string())),
            2 => ("python", Json::Str(v.string())),
            3 => {
                let (s, n) = timestamp(v.bytes());
                ("startedAt", Json::Str(rfc3339(s, n)))
            }
            4 => ("docker", Json::Str(v.string())),
            5 => {
                args.push(Json::Str(v.string()));
                continue;
            }
            6 => ("program", Json::Str(v.string())),
            7 => ("codePath", Json::Str(v.string())),
            8 => ("codePathLocal", Json::Str(v.string())),
            11 => ("root", Json::Str(v.string())),
            12 => ("host", Json::Str(v.string())),
            13 => ("username", Json::Str(v.string())),
            14 => ("executable", Json::Str(v.string())),
            16 => ("cpu_count", Json::Int(v.int())),
            17 => ("cpu_count_logical", Json::Int(v.int())),
            _ => continue,
        };
        out.push((k.to_string(), j));
    }
    if !args.is_empty() {
        let at = out
            .iter()
            .position(|(k, _)| k == "program")
            .unwrap_or(out.len());
        out.insert(at, ("args".into(), Json::Array(args)));
    }
    out
}

fn artifact(b: &[u8]) -> ArtifactRec {
    let mut a = ArtifactRec::default();
    for (f, v) in fields(b) {
        match f {
            1 => a.run_id = v.string(),
            2 => a.project = v.string(),
            3 => a.entity = v.string(),
            4 => a.ty = v.string(),
            5 => a.name = v.string(),
            6 => a.digest = v.string(),
            11 => a.aliases.push(v.string()),
            12 => {
                for (mf, mv) in fields(v.bytes()) {
                    match mf {
                        2 => a.storage_policy = mv.string(),
                        3 => {
                            let (mut k, mut val) = (String::new(), String::new());
                            for (cf, cv) in fields(mv.bytes()) {
                                match cf {
                                    1 => k = cv.string(),
                                    2 => val = cv.string(),
                                    _ => {}
                                }
                            }
                            if k == "storageLayout" {
                                a.storage_layout = val.trim_matches('"').to_string();
                            }
                        }
                        4 => {
                            let mut e = Entry::default();
                            for (ef, ev) in fields(mv.bytes()) {
                                match ef {
                                    1 => e.path = ev.string(),
                                    2 => e.digest = ev.string(),
                                    4 => e.size = ev.int(),
                                    6 => e.local_path = ev.string(),
                                    _ => {}
                                }
                            }
                            a.entries.push(e);
                        }
                        _ => {}
                    }
                }
            }
            15 => a.client_id = v.string(),
            16 => a.sequence_client_id = v.string(),
            _ => {}
        }
    }
    a
}

/// Decodes a `wandb_internal.Record` (field numbers: `run::proto`). Iterative (no
/// recursion proportional to the input); a key path deeper than the nesting limit is an
/// error, not a record.
pub fn decode(record: &[u8]) -> Result<Rec> {
    use crate::run::proto::record as r;
    for (f, v) in fields(record) {
        let b = v.bytes();
        match f {
            r::HISTORY => {
                return Ok(Rec::History(
                    fields(b)
                        .filter(|(f, _)| *f == 1)
                        .map(|(_, v)| item(v.bytes()))
                        .collect::<Result<_>>()?,
                ))
            }
            r::SUMMARY => {
                let (update, remove) = updates(b)?;
                return Ok(Rec::Summary { update, remove });
            }
            r::CONFIG => {
                let (update, remove) = updates(b)?;
                return Ok(Rec::Config { update, remove });
            }
            r::FILES => {
                let mut paths = Vec::new();
                for (ff, fv) in fields(b) {
                    if ff == 1 {
                        for (pf, pv) in fields(fv.bytes()) {
                            if pf == 1 {
                                paths.push(pv.string());
                            }
                        }
                    }
                }
                return Ok(Rec::Files(paths));
            }
            r::ARTIFACT => return Ok(Rec::Artifact(artifact(b))),
            r::RUN => {
                let mut run = RunRec::default();
                for (rf, rv) in fields(b) {
                    match rf {
                        1 => run.run_id = rv.string(),
                        2 => run.entity = rv.string(),
                        3 => run.project = rv.string(),
                        4 => run.config = updates(rv.bytes())?.0,
                        6 => run.group = rv.string(),
                        7 => run.job_type = rv.string(),
                        8 => run.display_name = rv.string(),
                        9 => run.notes = rv.string(),
                        10 => run.tags.push(rv.string()),
                        13 => run.host = rv.string(),
                        17 => (run.start_seconds, run.start_nanos) = timestamp(rv.bytes()),
                        _ => {}
                    }
                }
                return Ok(Rec::Run(run));
            }
            r::EXIT => {
                let mut code = 0;
                for (ef, ev) in fields(b) {
                    if ef == 1 {
                        code = ev.int() as i32;
                    }
                }
                return Ok(Rec::Exit { code });
            }
            r::ENVIRONMENT => return Ok(Rec::Environment(environment(b))),
            r::STATS => {
                let mut ts = (0, 0);
                let mut items = Vec::new();
                for (sf, sv) in fields(b) {
                    match sf {
                        2 => ts = timestamp(sv.bytes()),
                        3 => items.push(item(sv.bytes())?),
                        _ => {}
                    }
                }
                return Ok(Rec::Stats { ts, items });
            }
            r::OUTPUT_RAW => {
                let (mut stderr, mut line, mut ts) = (true, String::new(), (0, 0));
                for (of, ov) in fields(b) {
                    match of {
                        1 => stderr = ov.int() == 0,
                        2 => ts = timestamp(ov.bytes()),
                        3 => line = ov.string(),
                        _ => {}
                    }
                }
                let ts =
                    std::time::Duration::new(ts.0.max(0) as u64, ts.1.clamp(0, 999_999_999) as u32);
                return Ok(Rec::OutputRaw { stderr, line, ts });
            }
            _ => {}
        }
    }
    Ok(Rec::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::framing::Framer;

    #[test]
    fn never_reads_past_the_committed_length() {
        // A write that failed is truncated back by the writer and written again with other
        // bytes: the uploader must not have read (and sent) the rolled-back part.
        let dir = std::env::temp_dir().join(format!("wbm-commit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.wandb");
        let mut buf = Vec::new();
        let mut fr = Framer::new_file(&mut buf);
        fr.append(b"first", &mut buf);
        let committed = buf.len() as u64;
        let mut rolled_back = fr.clone();
        rolled_back.append(b"lost", &mut buf);
        std::fs::write(&path, &buf).unwrap();
        let mut tail = LogTail::open(&path).unwrap();
        let mut got = Vec::new();
        let st = tail.poll_upto(1 << 20, Some(committed), &mut got).unwrap();
        assert_eq!(
            (st, got.clone()),
            (TailState::UpToDate, vec![b"first".to_vec()])
        );
        // The writer truncates and writes the retried record at the same offset.
        buf.truncate(committed as usize);
        fr.append(b"retried", &mut buf);
        std::fs::write(&path, &buf).unwrap();
        tail.poll_upto(1 << 20, Some(buf.len() as u64), &mut got)
            .unwrap();
        assert_eq!(got, vec![b"first".to_vec(), b"retried".to_vec()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tails_records_across_blocks_and_partial_writes() {
        let dir = std::env::temp_dir().join(format!("wbm-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.wandb");
        let mut buf = Vec::new();
        let mut fr = Framer::new_file(&mut buf);
        let recs: Vec<Vec<u8>> = (0..40u8)
            .map(|i| vec![i; 3000 + usize::from(i) * 97])
            .collect();
        for r in &recs {
            fr.append(r, &mut buf);
        }
        let mut got = Vec::new();
        // Grow the file in odd-sized steps, polling in between.
        std::fs::write(&path, []).unwrap();
        let mut tail = LogTail::open(&path).unwrap();
        let mut written = 0;
        while written < buf.len() {
            let n = (written + 5003).min(buf.len());
            std::fs::write(&path, &buf[..n]).unwrap();
            written = n;
            loop {
                match tail.poll(7000, &mut got).unwrap() {
                    TailState::More => continue,
                    TailState::UpToDate => break,
                    TailState::Corrupt(o, w) => panic!("corrupt at {o}: {w}"),
                }
            }
        }
        assert_eq!(got, recs);
        assert_eq!(tail.position(), buf.len() as u64);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_700_000_000, 123_456_789),
            "2023-11-14T22:13:20.123456Z"
        );
    }
}
