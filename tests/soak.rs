//! Soak: mixed logging (scalars, strings, images, histograms, lists, summaries, config) from
//! several threads into runs opened and finished over and over (sync and async mode), for
//! `WBM_SOAK_SECS` seconds (default 5; `make test-soak SOAK_SECS=…` for longer). Checks:
//! every row is read back from the log exactly once, the resident set stays flat after the
//! warm-up, and no file descriptor is leaked.

use std::collections::HashMap;
use std::fs;
use std::time::{Duration, Instant};

use wandb_media::media::histogram::Histogram;
use wandb_media::media::image::{Image, ImageOptions};
use wandb_media::run::framing::{read_records, Stop};
use wandb_media::{DType, Json, Run, RunOptions, TensorView, Value};

fn rss_kib() -> u64 {
    let s = fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = s.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn fd_count() -> usize {
    fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The record type (the oneof member: first top-level field other than `num`).
fn record_kind(payload: &[u8]) -> u32 {
    let mut pos = 0;
    let varint = |pos: &mut usize| -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = payload[*pos];
            *pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    };
    while pos < payload.len() {
        let tag = varint(&mut pos);
        let field = (tag >> 3) as u32;
        match tag & 7 {
            0 => {
                varint(&mut pos);
            }
            1 => pos += 8,
            5 => pos += 4,
            _ => {
                let n = varint(&mut pos) as usize;
                pos += n;
            }
        }
        if field != 1 {
            return field;
        }
    }
    0
}

/// The `id` strings ("r<thread>-<i>") found in the log's history records, with counts.
fn ids_in_log(path: &std::path::Path) -> HashMap<String, usize> {
    let data = fs::read(path).unwrap();
    let (recs, stop) = read_records(&data).unwrap();
    assert_eq!(stop, Stop::End);
    let mut out = HashMap::new();
    for r in recs {
        // Only history records (the summary mirror holds the same id once more).
        let hist = record_kind(&r) == wandb_media::run::proto::record::HISTORY;
        if !hist {
            continue;
        }
        let text = String::from_utf8_lossy(&r);
        let mut rest: &str = &text;
        while let Some(i) = rest.find("\"r") {
            let tail = &rest[i + 2..];
            let end = tail.find('"').unwrap_or(0);
            let id = &tail[..end];
            if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '-') {
                *out.entry(format!("r{id}")).or_insert(0) += 1;
            }
            rest = &tail[end..];
        }
    }
    out
}

fn cycle(root: &std::path::Path, cycle_no: u64, threads: usize, per: usize) {
    let opts = RunOptions {
        async_queue: (cycle_no % 2 == 1).then_some(64),
        config: Some(Json::parse(r#"{"lr":0.1}"#).unwrap()),
        fsync: wandb_media::FsyncPolicy::Never,
        ..Default::default()
    };
    let run = Run::open(root, opts).unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            let run = &run;
            s.spawn(move || {
                let mut px = vec![0u8; 16 * 16 * 3];
                for i in 0..per {
                    px.iter_mut()
                        .enumerate()
                        .for_each(|(k, p)| *p = (k * 31 + i * 7 + t) as u8);
                    let mut row = vec![
                        ("id".to_string(), Value::Str(format!("r{t}-{i}"))),
                        ("loss".to_string(), Value::Float(1.0 / (i + 1) as f64)),
                        (
                            "vec".to_string(),
                            Value::List(vec![Value::Int(i as i64), Value::Bool(true)]),
                        ),
                    ];
                    if i % 10 == 0 {
                        let tv = TensorView::new(&px, DType::U8, &[16, 16, 3]).unwrap();
                        let img = Image::from_tensor(&tv, &ImageOptions::default()).unwrap();
                        row.push((format!("img{t}"), Value::from(img)));
                    }
                    if i % 7 == 0 {
                        let xs: Vec<f64> = (0..100).map(|k| ((k * i) % 17) as f64).collect();
                        let b: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
                        let tv = TensorView::new(&b, DType::F64, &[100]).unwrap();
                        row.push((
                            "h".to_string(),
                            Value::Histogram(Histogram::from_tensor(&tv, 16).unwrap()),
                        ));
                    }
                    run.log(&row, None, None).unwrap();
                    if i % 25 == 0 {
                        run.summary_update(&[("best".to_string(), Value::Int(i as i64))])
                            .unwrap();
                        run.config_update(&[(format!("t{t}"), Value::Int(i as i64))])
                            .unwrap();
                    }
                    if i % 50 == 0 {
                        run.flush().unwrap();
                    }
                }
            });
        }
    });
    run.finish(0).unwrap();
    let ids = ids_in_log(&run.log_path());
    assert_eq!(ids.len(), threads * per, "every row read back");
    for t in 0..threads {
        for i in 0..per {
            let n = ids.get(&format!("r{t}-{i}")).copied().unwrap_or(0);
            assert_eq!(n, 1, "row r{t}-{i} read back {n} times");
        }
    }
    let dir = run.dir().to_path_buf();
    drop(run);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn soak_mixed_logging() {
    let secs: u64 = std::env::var("WBM_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let root = std::env::temp_dir().join(format!("wbm-soak-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let (threads, per) = (4, 200);
    // Warm-up: allocator pools, thread stacks, lazily initialised tables.
    cycle(&root, 0, threads, per);
    cycle(&root, 1, threads, per);
    let (rss0, fd0) = (rss_kib(), fd_count());
    let start = Instant::now();
    let mut cycles = 0u64;
    let mut rss_max = rss0;
    while start.elapsed() < Duration::from_secs(secs) || cycles < 2 {
        cycle(&root, cycles, threads, per);
        cycles += 1;
        rss_max = rss_max.max(rss_kib());
        assert_eq!(
            fd_count(),
            fd0,
            "file descriptors leaked after cycle {cycles}"
        );
    }
    let rss1 = rss_kib();
    eprintln!(
        "soak: {cycles} runs × {} rows in {:.0} s; RSS {rss0} KiB → {rss1} KiB (max {rss_max}); fds {fd0}",
        threads * per,
        start.elapsed().as_secs_f64()
    );
    assert!(
        rss1 < rss0 + 32 * 1024,
        "RSS grew from {rss0} KiB to {rss1} KiB"
    );
    let _ = fs::remove_dir_all(&root);
}
