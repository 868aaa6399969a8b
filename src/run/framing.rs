//! The `.wandb` transaction-log framing (spec §16.2): a 7-byte file header, then
//! LevelDB-log-style chunks in 32 KiB blocks counted from the start of the file.
//!
//! Chunk header: u32 LE CRC-32 (zlib polynomial, *unmasked*, over the type byte followed by
//! the payload), u16 LE payload length, u8 type (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST). A block
//! tail shorter than a chunk header is zero-filled. The splitting follows wandb-core's Go
//! writer (a fork of golang/leveldb `record.Writer`): a chunk starts whenever at least 7
//! bytes are left in the block, even if no payload byte fits after its header.

use crate::error::{Error, Result};

/// Block size of the log.
pub const BLOCK_SIZE: usize = 32 * 1024;
/// Size of a chunk header.
pub const CHUNK_HEADER: usize = 7;
/// The file header: `:W&B`, u16 LE 0xBEE1, u8 version 0.
pub const FILE_HEADER: [u8; 7] = [b':', b'W', b'&', b'B', 0xE1, 0xBE, 0];

const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;

/// CRC-32 (zlib/IEEE polynomial) of `ty` followed by `payload`.
pub fn chunk_crc(ty: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[ty]);
    h.update(payload);
    h.finalize()
}

/// Appends framed records to an in-memory buffer, tracking the position in the block.
/// The caller writes the buffer to the file (one `write` per call keeps records whole).
#[derive(Debug, Clone)]
pub struct Framer {
    /// Offset of the next byte inside the current block.
    block_offset: usize,
}

impl Framer {
    /// A framer for a new file; `header` appends the file header to `out`.
    pub fn new_file(out: &mut Vec<u8>) -> Framer {
        out.extend_from_slice(&FILE_HEADER);
        Framer {
            block_offset: FILE_HEADER.len(),
        }
    }

    /// Frame one record (a serialised `wandb_internal.Record`) into `out`.
    pub fn append(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let mut rest = payload;
        let mut first = true;
        loop {
            let leftover = BLOCK_SIZE - self.block_offset;
            if leftover < CHUNK_HEADER {
                out.resize(out.len() + leftover, 0);
                self.block_offset = 0;
            }
            let avail = BLOCK_SIZE - self.block_offset - CHUNK_HEADER;
            let n = rest.len().min(avail);
            let (frag, tail) = rest.split_at(n);
            let last = tail.is_empty();
            let ty = match (first, last) {
                (true, true) => FULL,
                (true, false) => FIRST,
                (false, false) => MIDDLE,
                (false, true) => LAST,
            };
            out.extend_from_slice(&chunk_crc(ty, frag).to_le_bytes());
            out.extend_from_slice(&(n as u16).to_le_bytes());
            out.push(ty);
            out.extend_from_slice(frag);
            self.block_offset += CHUNK_HEADER + n;
            rest = tail;
            first = false;
            if last {
                return;
            }
        }
    }
}

/// Why reading stopped before the end of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Clean end of the data.
    End,
    /// The data ends inside a chunk or record (a writer killed mid-write): everything before
    /// was returned.
    Truncated { offset: usize },
    /// A checksum or structure error at `offset`.
    Corrupt { offset: usize, reason: String },
}

/// Reads every complete record of a `.wandb` file's bytes (the file header included).
/// Returns the records and why reading stopped.
pub fn read_records(data: &[u8]) -> Result<(Vec<Vec<u8>>, Stop)> {
    if data.len() < FILE_HEADER.len() || data[..4] != FILE_HEADER[..4] {
        return Err(Error::invalid("not a .wandb file (bad header)"));
    }
    if data[4..7] != FILE_HEADER[4..7] {
        return Err(Error::invalid("unsupported .wandb header (magic/version)"));
    }
    let mut records = Vec::new();
    let mut pos = FILE_HEADER.len();
    let mut pending: Option<Vec<u8>> = None;
    let mut record_start = pos;
    loop {
        let left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE;
        if left_in_block < CHUNK_HEADER {
            pos += left_in_block;
        }
        if pos >= data.len() {
            let stop = if pending.is_some() {
                Stop::Truncated {
                    offset: record_start,
                }
            } else {
                Stop::End
            };
            return Ok((records, stop));
        }
        let Some(h) = data.get(pos..pos + CHUNK_HEADER) else {
            return Ok((records, Stop::Truncated { offset: pos }));
        };
        let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let len = usize::from(u16::from_le_bytes([h[4], h[5]]));
        let ty = h[6];
        let start = pos + CHUNK_HEADER;
        if start + len > pos - pos % BLOCK_SIZE + BLOCK_SIZE {
            return Ok((
                records,
                Stop::Corrupt {
                    offset: pos,
                    reason: "chunk crosses a block boundary".into(),
                },
            ));
        }
        let Some(frag) = data.get(start..start + len) else {
            return Ok((records, Stop::Truncated { offset: pos }));
        };
        if chunk_crc(ty, frag) != crc {
            return Ok((
                records,
                Stop::Corrupt {
                    offset: pos,
                    reason: "checksum mismatch".into(),
                },
            ));
        }
        match (ty, pending.as_mut()) {
            (FULL, None) => records.push(frag.to_vec()),
            (FIRST, None) => {
                record_start = pos;
                pending = Some(frag.to_vec());
            }
            (MIDDLE, Some(buf)) => buf.extend_from_slice(frag),
            (LAST, Some(buf)) => {
                buf.extend_from_slice(frag);
                records.extend(pending.take());
            }
            _ => {
                return Ok((
                    records,
                    Stop::Corrupt {
                        offset: pos,
                        reason: format!("unexpected chunk type {ty}"),
                    },
                ))
            }
        }
        pos = start + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_plain_zlib_crc32() {
        // zlib.crc32(b"\x01" + b"hello") from Python.
        assert_eq!(chunk_crc(1, b"hello"), 0x8aac_239d);
        // zlib.crc32(b"123456789") = 0xCBF43926 (standard check value): type '1' + "23456789".
        assert_eq!(chunk_crc(b'1', b"23456789"), 0xCBF4_3926);
    }

    #[test]
    fn frames_across_blocks_and_reads_back() {
        let mut out = Vec::new();
        let mut f = Framer::new_file(&mut out);
        let sizes = [
            0usize,
            10,
            BLOCK_SIZE - 45, // 7 + 7 + 17 + 7 + n = BLOCK - 7: ends 7 bytes before the block end
            5,               // → a FIRST chunk with no payload
            100_000,
            BLOCK_SIZE,
            3,
        ];
        let payloads: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        for p in &payloads {
            f.append(p, &mut out);
        }
        let (recs, stop) = read_records(&out).unwrap();
        assert_eq!(stop, Stop::End);
        assert_eq!(recs, payloads);
        // The zero-payload FIRST chunk sits in the last 7 bytes of block 0.
        assert_eq!(out[BLOCK_SIZE - 1], FIRST);
        assert_eq!(&out[BLOCK_SIZE - 3..BLOCK_SIZE - 1], &[0, 0]);
        // Every truncation keeps a prefix of the records.
        for cut in [8, 20, BLOCK_SIZE - 3, BLOCK_SIZE + 100, out.len() - 1] {
            let (r, stop) = read_records(&out[..cut]).unwrap();
            assert!(r.len() < payloads.len(), "cut {cut}");
            assert_eq!(&payloads[..r.len()], &r[..]);
            assert!(
                matches!(stop, Stop::Truncated { .. } | Stop::End),
                "{stop:?}"
            );
        }
    }

    #[test]
    fn pads_short_block_tails() {
        let mut out = Vec::new();
        let mut f = Framer::new_file(&mut out);
        // Leave 3 bytes at the end of block 0.
        f.append(&vec![7u8; BLOCK_SIZE - 7 - 7 - 3], &mut out);
        assert_eq!(out.len(), BLOCK_SIZE - 3);
        f.append(b"x", &mut out);
        assert_eq!(&out[BLOCK_SIZE - 3..BLOCK_SIZE], &[0, 0, 0]);
        assert_eq!(out[BLOCK_SIZE + 6], FULL);
        let (recs, _) = read_records(&out).unwrap();
        assert_eq!(recs.len(), 2);
    }
}
