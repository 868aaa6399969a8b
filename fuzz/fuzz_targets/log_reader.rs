//! The `.wandb` log reader (native sync / the online uploader read logs from disk, possibly
//! written by another program, torn or corrupt). The first byte picks a mode:
//! - even: the rest is a whole file: tailing it in steps (with a growing committed limit)
//!   must give the same records as reading it at once, and every record is decoded;
//! - odd: the rest is a list of record payloads (2-byte length, repeated `rep` times so
//!   records cross 32 KiB blocks); they are framed like the writer does and must read back
//!   exactly, and each is decoded (the protobuf decoder on arbitrary bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wandb_media::online::reader::{decode, fields, LogTail, TailState};
use wandb_media::run::framing::Framer;

fn scratch_file(data: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("wbm-fuzz-log-{}.wandb", std::process::id()));
    std::fs::write(&p, data).unwrap();
    p
}

/// Every record readable from `path`, reading at most `max` bytes per poll and nothing at
/// or past `end` (the end grows by `step` per poll when given), plus the final state.
fn read_all(path: &std::path::Path, max: usize, step: Option<u64>) -> (Vec<Vec<u8>>, TailState) {
    let mut t = LogTail::open(path).unwrap();
    let mut out = Vec::new();
    let len = std::fs::metadata(path).unwrap().len();
    let mut end = 0u64;
    // Bounded: each poll advances at least one chunk or ends.
    for _ in 0..100_000 {
        let limit = step.map(|s| {
            end = (end + s).min(len);
            end
        });
        let st = match t.poll_upto(max, limit, &mut out) {
            Ok(st) => st,
            Err(_) => return (out, TailState::Corrupt(0, "error".into())),
        };
        match (&st, limit) {
            (TailState::More, _) => continue,
            (TailState::UpToDate, Some(l)) if l < len => continue,
            _ => return (out, st),
        }
    }
    panic!("the reader did not finish");
}

fn check_decode(rec: &[u8]) {
    let _ = decode(rec);
    for (f, v) in fields(rec) {
        let _ = (f, v.int());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let p = scratch_file(rest);
        let (once, st1) = read_all(&p, 1 << 20, None);
        // A poll reads whole chunks; a chunk is at most one block (32 KiB).
        let (stepped, st2) = read_all(&p, 40_000, Some(1 + (mode as u64) * 97));
        if !matches!(st1, TailState::Corrupt(..)) && !matches!(st2, TailState::Corrupt(..)) {
            assert_eq!(once, stepped, "tailing in steps differs from one read");
        }
        for r in &once {
            check_decode(r);
        }
        let _ = std::fs::remove_file(&p);
    } else {
        let rep = 1 + (mode as usize >> 1) % 64;
        let mut payloads = Vec::new();
        let mut r = rest;
        while r.len() >= 2 && payloads.len() < 64 {
            let n = (u16::from_le_bytes([r[0], r[1]]) as usize).min(r.len() - 2);
            let one = &r[2..2 + n];
            payloads.push(one.repeat(if payloads.len() % 3 == 0 { rep } else { 1 }));
            r = &r[2 + n..];
        }
        let mut file = Vec::new();
        let mut framer = Framer::new_file(&mut file);
        for p in &payloads {
            framer.append(p, &mut file);
        }
        let p = scratch_file(&file);
        let (back, st) = read_all(&p, 4 << 20, None);
        assert_eq!(st, TailState::UpToDate);
        assert_eq!(back, payloads, "framed records did not read back");
        let (stepped, _) = read_all(&p, 40_000, Some(4093));
        assert_eq!(stepped, payloads, "framed records did not read back in steps");
        for r in &back {
            check_decode(r);
        }
        let _ = std::fs::remove_file(&p);
    }
});
