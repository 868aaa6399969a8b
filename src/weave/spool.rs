//! The on-disk spool of a Weave client: calls and files are written here first (the host's
//! `call_start`/`call_end` only append), and a sender (the client's thread, or `wandb-media
//! sync` later) delivers them. Layout of one spool directory:
//!
//! ```text
//! <spool_dir>/weave-<YYYYmmdd_HHMMSS>-<8 hex>/
//!   meta.json      {"format":"wandb-media-weave-spool","version":1,"project":…,"entity":…,
//!                   "trace_server_url":…,"base_url":…}
//!   calls.wandb    records in the `.wandb` framing (CRC'd chunks; a crash leaves a readable
//!                  prefix), each a JSON object (see `Rec`)
//!   files/<digest> media files by Weave digest (written before the record naming them)
//!   ack.json       delivery progress: {"offset":…,"open":[…],"calls_sent":…,"files_sent":…}
//!   lock           held (flock) by the writing process while the client is open
//!   done           written once everything was delivered after the log was closed
//! ```
//!
//! Records (JSON): `{"k":"file","digest","name","ct","size"}`, `{"k":"start","call":{…}}`,
//! `{"k":"end","call":{…}}`, `{"k":"abandon","id"}` (freed without end: sent as
//! started-but-unfinished), `{"k":"close"}`.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::run::framing::{chunk_crc, Framer, BLOCK_SIZE, CHUNK_HEADER, FILE_HEADER};

use super::encode::FileRef;

pub const LOG_NAME: &str = "calls.wandb";
pub const META_NAME: &str = "meta.json";
pub const ACK_NAME: &str = "ack.json";
pub const FILES_DIR: &str = "files";
pub const LOCK_NAME: &str = "lock";
pub const DONE_NAME: &str = "done";
pub const FORMAT: &str = "wandb-media-weave-spool";

/// Largest record the reader accepts (a call whose inputs are bigger is refused at write).
pub const MAX_RECORD: usize = 30 << 20;

/// Whether `dir` is a spool directory (has `meta.json` of this format).
pub fn is_spool(dir: &Path) -> bool {
    read_meta(dir).is_ok()
}

pub fn read_meta(dir: &Path) -> Result<Json> {
    let p = dir.join(META_NAME);
    let text = fs::read_to_string(&p).map_err(|e| Error::io(p.display(), e))?;
    let j = Json::parse(&text)?;
    if j.get("format").and_then(Json::as_str) != Some(FORMAT) {
        return Err(Error::invalid(format!(
            "{}: not a weave spool",
            p.display()
        )));
    }
    Ok(j)
}

/// An exclusive lock on `<dir>/lock` (released when dropped or the process dies).
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// `Ok(None)` when another process holds it.
    pub fn try_acquire(dir: &Path) -> Result<Option<DirLock>> {
        let p = dir.join(LOCK_NAME);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(|e| Error::io(p.display(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a file descriptor we own.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r != 0 {
                return Ok(None);
            }
        }
        Ok(Some(DirLock { _file: file }))
    }
}

/// Writes a file atomically (temporary name + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let r = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r.map_err(|e| Error::io(path.display(), e))
}

/// The writing side (one per open client; callers serialise through a mutex).
pub struct SpoolWriter {
    pub dir: PathBuf,
    file: File,
    framer: Framer,
    buf: Vec<u8>,
    /// Committed log length (a failed write is cut back to it).
    len: u64,
    known_files: HashSet<String>,
    _lock: Option<DirLock>,
}

impl SpoolWriter {
    /// Creates `<root>/weave-<date>_<time>-<rand>/` with its meta and empty log.
    pub fn create(root: &Path, meta: &Json) -> Result<SpoolWriter> {
        let mut r = [0u8; 4];
        let _ = getrandom::fill(&mut r);
        let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S");
        let name = format!(
            "weave-{stamp}-{}",
            r.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let dir = root.join(name);
        fs::create_dir_all(dir.join(FILES_DIR)).map_err(|e| Error::io(dir.display(), e))?;
        let lock = DirLock::try_acquire(&dir)?;
        write_atomic(&dir.join(META_NAME), meta.to_compact().as_bytes())?;
        let p = dir.join(LOG_NAME);
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&p)
            .map_err(|e| Error::io(p.display(), e))?;
        let mut head = Vec::new();
        let framer = Framer::new_file(&mut head);
        file.write_all(&head)
            .map_err(|e| Error::io(p.display(), e))?;
        Ok(SpoolWriter {
            dir,
            file,
            framer,
            buf: Vec::new(),
            len: head.len() as u64,
            known_files: HashSet::new(),
            _lock: lock,
        })
    }

    /// Appends one record (one `write`); on failure the log is cut back to its last
    /// complete record and the error returned.
    pub fn append(&mut self, rec: &Json) -> Result<()> {
        let payload = rec.to_compact();
        if payload.len() > MAX_RECORD {
            return Err(Error::invalid(format!(
                "call record of {} bytes exceeds the {} MiB limit of one call (put large data in media values)",
                payload.len(),
                MAX_RECORD >> 20
            )));
        }
        self.buf.clear();
        let saved = self.framer.clone();
        self.framer.append(payload.as_bytes(), &mut self.buf);
        match self.file.write_all(&self.buf) {
            Ok(()) => {
                self.len += self.buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.framer = saved;
                let _ = self.file.set_len(self.len);
                Err(Error::io(self.dir.join(LOG_NAME).display(), e))
            }
        }
    }

    /// Stores a file by digest (once) and appends its `file` record. Returns whether it
    /// was new for this spool.
    pub fn add_file(&mut self, f: &FileRef) -> Result<bool> {
        if self.known_files.contains(&f.digest) {
            return Ok(false);
        }
        let path = self.dir.join(FILES_DIR).join(&f.digest);
        if !path.exists() {
            write_atomic(&path, &f.bytes)?;
        }
        self.append(&Json::object([
            ("k", Json::str("file")),
            ("digest", Json::str(f.digest.clone())),
            ("name", Json::str(f.name.clone())),
            ("ct", Json::str(f.content_type.clone())),
            ("size", Json::Int(f.bytes.len() as i64)),
        ]))?;
        self.known_files.insert(f.digest.clone());
        Ok(true)
    }

    pub fn sync_data(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io(self.dir.join(LOG_NAME).display(), e))
    }
}

/// What the reader found next.
#[derive(Debug)]
pub enum Next {
    /// A complete record and the offsets of its first byte and of the byte after it.
    Record {
        payload: Vec<u8>,
        start: u64,
        end: u64,
    },
    /// The log ends here (possibly inside a record still being written, or cut by a crash).
    Pending,
    /// A checksum/structure error at this offset: nothing after it is readable.
    Corrupt { offset: u64, reason: String },
}

/// Sequential record reader that knows every record's offsets; memory: one record.
pub struct SpoolReader {
    file: BufReader<File>,
    pos: u64,
}

impl SpoolReader {
    /// A reader positioned at `offset` (0 = the file start; else a record boundary).
    pub fn open(path: &Path, offset: u64) -> Result<SpoolReader> {
        let mut f = File::open(path).map_err(|e| Error::io(path.display(), e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(path.display(), e))?;
        Ok(SpoolReader {
            file: BufReader::with_capacity(64 << 10, f),
            pos: offset,
        })
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    fn rewind(&mut self, to: u64) -> Result<()> {
        self.file
            .seek(SeekFrom::Start(to))
            .map_err(|e| Error::io("seeking the weave spool", e))?;
        self.pos = to;
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes; false at (a possibly partial) end of file.
    fn fill(&mut self, buf: &mut [u8]) -> Result<bool> {
        let mut n = 0;
        while n < buf.len() {
            match self.file.read(&mut buf[n..]) {
                Ok(0) => return Ok(false),
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("reading the weave spool", e)),
            }
        }
        self.pos += n as u64;
        Ok(true)
    }

    pub fn next_record(&mut self) -> Result<Next> {
        let start = self.pos;
        if start == 0 {
            let mut h = [0u8; 7];
            if !self.fill(&mut h)? {
                self.rewind(0)?;
                return Ok(Next::Pending);
            }
            if h != FILE_HEADER {
                return Ok(Next::Corrupt {
                    offset: 0,
                    reason: "bad file header".into(),
                });
            }
        }
        let rec_start = self.pos;
        let mut payload: Vec<u8> = Vec::new();
        let mut first = true;
        loop {
            let left = BLOCK_SIZE - (self.pos as usize % BLOCK_SIZE);
            if left < CHUNK_HEADER {
                let mut pad = [0u8; CHUNK_HEADER];
                if !self.fill(&mut pad[..left])? {
                    self.rewind(rec_start)?;
                    return Ok(Next::Pending);
                }
                continue;
            }
            let chunk_at = self.pos;
            let mut h = [0u8; CHUNK_HEADER];
            if !self.fill(&mut h)? {
                self.rewind(rec_start)?;
                return Ok(Next::Pending);
            }
            let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let len = usize::from(u16::from_le_bytes([h[4], h[5]]));
            let ty = h[6];
            if CHUNK_HEADER + len > left {
                self.rewind(rec_start)?;
                return Ok(Next::Corrupt {
                    offset: chunk_at,
                    reason: "chunk crosses a block".into(),
                });
            }
            let at = payload.len();
            if payload.len() + len > MAX_RECORD + BLOCK_SIZE {
                self.rewind(rec_start)?;
                return Ok(Next::Corrupt {
                    offset: chunk_at,
                    reason: "record too large".into(),
                });
            }
            payload.resize(at + len, 0);
            if !self.fill(&mut payload[at..])? {
                self.rewind(rec_start)?;
                return Ok(Next::Pending);
            }
            if chunk_crc(ty, &payload[at..]) != crc {
                self.rewind(rec_start)?;
                return Ok(Next::Corrupt {
                    offset: chunk_at,
                    reason: "checksum mismatch".into(),
                });
            }
            let ok = matches!((first, ty), (true, 1) | (true, 2) | (false, 3) | (false, 4));
            if !ok {
                self.rewind(rec_start)?;
                return Ok(Next::Corrupt {
                    offset: chunk_at,
                    reason: format!("unexpected chunk type {ty}"),
                });
            }
            first = false;
            if ty == 1 || ty == 4 {
                let _ = start;
                return Ok(Next::Record {
                    payload,
                    start: rec_start,
                    end: self.pos,
                });
            }
        }
    }
}

/// Reads the one record at `offset` (a start record an ack file names).
pub fn record_at(path: &Path, offset: u64) -> Result<Option<Json>> {
    let mut r = SpoolReader::open(path, offset)?;
    match r.next_record()? {
        Next::Record { payload, .. } => Ok(Json::parse(&String::from_utf8_lossy(&payload)).ok()),
        _ => Ok(None),
    }
}

/// Delivery progress of a spool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ack {
    /// Every record before this offset was handled (delivered, or is an open call below).
    pub offset: u64,
    /// Offsets (before `offset`) of start records whose calls are not delivered yet.
    pub open: Vec<u64>,
    pub calls_sent: u64,
    pub files_sent: u64,
}

impl Ack {
    pub fn load(dir: &Path) -> Ack {
        let Ok(text) = fs::read_to_string(dir.join(ACK_NAME)) else {
            return Ack::default();
        };
        let Ok(j) = Json::parse(&text) else {
            return Ack::default();
        };
        let num = |k: &str| j.get(k).and_then(Json::as_i64).unwrap_or(0).max(0) as u64;
        let open = match j.get("open") {
            Some(Json::Array(a)) => a
                .iter()
                .filter_map(Json::as_i64)
                .map(|v| v.max(0) as u64)
                .collect(),
            _ => Vec::new(),
        };
        Ack {
            offset: num("offset"),
            open,
            calls_sent: num("calls_sent"),
            files_sent: num("files_sent"),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let j = Json::object([
            ("offset", Json::Int(self.offset as i64)),
            (
                "open",
                Json::Array(self.open.iter().map(|&o| Json::Int(o as i64)).collect()),
            ),
            ("calls_sent", Json::Int(self.calls_sent as i64)),
            ("files_sent", Json::Int(self.files_sent as i64)),
        ]);
        write_atomic(&dir.join(ACK_NAME), j.to_compact().as_bytes())
    }
}

/// Spool directories at or directly under `path` (a spool, or a parent of several).
pub fn find_spools(path: &Path) -> Vec<PathBuf> {
    if is_spool(path) {
        return vec![path.to_path_buf()];
    }
    let mut v: Vec<PathBuf> = fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && is_spool(p))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Json {
        Json::object([
            ("format", Json::str(FORMAT)),
            ("version", Json::Int(1)),
            ("project", Json::str("e/p")),
        ])
    }

    fn read_all(path: &Path) -> (Vec<(Json, u64, u64)>, bool) {
        let mut r = SpoolReader::open(path, 0).unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_record().unwrap() {
                Next::Record {
                    payload,
                    start,
                    end,
                } => out.push((
                    Json::parse(std::str::from_utf8(&payload).unwrap()).unwrap(),
                    start,
                    end,
                )),
                Next::Pending => return (out, true),
                Next::Corrupt { .. } => return (out, false),
            }
        }
    }

    #[test]
    fn a_truncated_spool_reads_as_a_prefix_at_every_offset() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SpoolWriter::create(tmp.path(), &meta()).unwrap();
        let mut want = Vec::new();
        for i in 0..40usize {
            // Sizes straddle chunk and block boundaries (some records span blocks).
            let pad = "x".repeat((i * 977) % 1500 + if i == 20 { 40_000 } else { 0 });
            let rec = Json::object([
                ("k", Json::str("start")),
                ("i", Json::Int(i as i64)),
                ("pad", Json::str(pad)),
            ]);
            w.append(&rec).unwrap();
            want.push(rec);
        }
        let path = w.dir.join(LOG_NAME);
        let full = fs::read(&path).unwrap();
        let (all, clean) = read_all(&path);
        assert!(clean);
        assert_eq!(all.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), want);
        // Offsets chain and a record re-reads at its own offset.
        for w2 in all.windows(2) {
            assert_eq!(w2[0].2, w2[1].1);
        }
        assert_eq!(record_at(&path, all[7].1).unwrap().unwrap(), want[7]);
        let cut_path = tmp.path().join("cut.wandb");
        // Every offset of the first records and around the first block boundary, then a
        // stride (the file is ~200 KB; every offset of all of it takes minutes).
        let near_block = BLOCK_SIZE - 400..BLOCK_SIZE + 400;
        let cuts: Vec<usize> = (0..full.len())
            .filter(|&c| c < 3000 || near_block.contains(&c) || c % 997 == 0 || c + 8 > full.len())
            .collect();
        for cut in cuts {
            fs::write(&cut_path, &full[..cut]).unwrap();
            let (got, clean) = read_all(&cut_path);
            assert!(clean, "cut {cut}: a truncation is not corruption");
            assert!(got.len() <= want.len());
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(&g.0, w, "cut {cut}");
            }
            // Every record that ends at or before the cut is read.
            let complete = all.iter().filter(|r| r.2 as usize <= cut).count();
            assert_eq!(got.len(), complete, "cut {cut}");
        }
        // A flipped byte stops reading at that record (no panic, prefix kept).
        let mut bad = full.clone();
        let at = all[10].1 as usize + 9;
        bad[at] ^= 0x55;
        fs::write(&cut_path, &bad).unwrap();
        let (got, clean) = read_all(&cut_path);
        assert!(!clean);
        assert_eq!(got.len(), 10);
    }

    #[test]
    fn a_reader_waits_at_the_tail_of_a_live_log() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SpoolWriter::create(tmp.path(), &meta()).unwrap();
        let path = w.dir.join(LOG_NAME);
        let mut r = SpoolReader::open(&path, 0).unwrap();
        assert!(matches!(r.next_record().unwrap(), Next::Pending));
        w.append(&Json::object([("k", Json::str("close"))]))
            .unwrap();
        assert!(matches!(r.next_record().unwrap(), Next::Record { .. }));
        assert!(matches!(r.next_record().unwrap(), Next::Pending));
        // Locked while the writer lives.
        assert!(DirLock::try_acquire(&w.dir).unwrap().is_none() || cfg!(not(unix)));
        let dir = w.dir.clone();
        drop(w);
        assert!(DirLock::try_acquire(&dir).unwrap().is_some());
        let a = Ack {
            offset: 99,
            open: vec![7, 40],
            calls_sent: 3,
            files_sent: 2,
        };
        a.save(&dir).unwrap();
        assert_eq!(Ack::load(&dir), a);
        assert_eq!(find_spools(tmp.path()), vec![dir]);
    }
}
