//! Video benchmark (not a test; run `benches/video.sh`):
//! * the 64×3×256×256 uint8 tensor to GIF and MP4 through `Video::from_tensor`, with time,
//!   size and the ratio to wandb 0.31 `wandb.Video(arr, format=…, fps=4)` measured by
//!   `benches/video_baseline.py` in the same run (`target/bench/video_baseline.json`);
//! * 1000 frames of 256×256 RGB to MP4 through the streaming `VideoWriter` versus the tensor
//!   path, each in a child process that reports its peak RSS (`VmHWM`).

use std::process::Command;
use std::time::Instant;

use wandb_media::media::image::Convert;
use wandb_media::media::video::{Video, VideoFormat, VideoOptions, VideoWriter};
use wandb_media::{DType, Json, TensorView};

const T: usize = 64;
const S: usize = 256;
const STREAM_FRAMES: usize = 1000;
const STREAM_FPS: u32 = 30;

fn best<R>(n: usize, mut f: impl FnMut() -> R) -> (f64, R) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("n > 0"))
}

/// Fallback input when the Python side did not run: a moving pattern with some noise.
fn synthetic_tchw(frames: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(frames * 3 * S * S);
    for t in 0..frames {
        for c in 0..3 {
            for y in 0..S {
                for x in 0..S {
                    v.push(pixel(t, c, y, x));
                }
            }
        }
    }
    v
}

/// A cheap synthetic scene: a drifting gradient, a moving square and hash noise.
#[inline]
fn pixel(t: usize, c: usize, y: usize, x: usize) -> u8 {
    let (sx, sy) = ((t * 3) % S, (t * 2 + 60) % S);
    if x.wrapping_sub(sx) < 40 && y.wrapping_sub(sy) < 40 {
        return [240, 60, 30][c];
    }
    let noise = ((x * 7919 + y * 104729 + t * 31 + c * 17) % 9) as i32 - 4;
    let base = match c {
        0 => (x + t * 3) as i32,
        1 => (y + t * 2) as i32,
        _ => ((x + y) / 2) as i32,
    } % 256;
    (base + noise).clamp(0, 255) as u8
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Child process: encode `frames` frames one way and print "seconds bytes peak_kib".
fn child(mode: &str, frames: usize) {
    let (secs, bytes) = match mode {
        "stream" => {
            let mut w = VideoWriter::new(S, S, 3, STREAM_FPS, VideoFormat::Mp4, Convert::Cast)
                .expect("writer");
            let mut frame = vec![0u8; S * S * 3];
            let mut secs = 0.0;
            for t in 0..frames {
                for y in 0..S {
                    for x in 0..S {
                        for c in 0..3 {
                            frame[(y * S + x) * 3 + c] = pixel(t, c, y, x);
                        }
                    }
                }
                let t0 = Instant::now();
                w.push_u8(&frame).expect("push");
                secs += t0.elapsed().as_secs_f64();
            }
            let t0 = Instant::now();
            let v = w.finish().expect("finish");
            (secs + t0.elapsed().as_secs_f64(), v.file.size())
        }
        "tensor" => {
            let data = synthetic_tchw(frames);
            let t = TensorView::new(&data, DType::U8, &[frames, 3, S, S]).expect("tensor");
            let opts = VideoOptions {
                fps: STREAM_FPS,
                ..Default::default()
            };
            let t0 = Instant::now();
            let v = Video::from_tensor(&t, VideoFormat::Mp4, &opts).expect("mp4");
            (t0.elapsed().as_secs_f64(), v.file.size())
        }
        _ => (0.0, 0),
    };
    println!("{secs} {bytes} {}", vm_hwm_kib());
}

fn run_child(mode: &str, frames: usize) -> Option<(f64, u64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["--child", mode, &frames.to_string()])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "child {mode} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    Some((
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    ))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let mode = args.get(i + 1).map(String::as_str).unwrap_or("");
        let n = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(0);
        child(mode, n);
        return;
    }
    let dir = std::env::var("WB_BENCH_DIR").unwrap_or_else(|_| "target/bench".into());
    let baseline = std::fs::read_to_string(format!("{dir}/video_baseline.json"))
        .ok()
        .and_then(|t| Json::parse(&t).ok())
        .unwrap_or(Json::Null);
    let base = |k: &str| baseline.get(k).and_then(Json::as_f64);
    let data = std::fs::read(format!("{dir}/video.raw"))
        .ok()
        .filter(|d| d.len() == T * 3 * S * S)
        .unwrap_or_else(|| {
            eprintln!("{dir}/video.raw missing: using a synthetic tensor, no wandb baseline");
            synthetic_tchw(T)
        });
    let t = TensorView::new(&data, DType::U8, &[T, 3, S, S]).expect("tensor");
    let opts = VideoOptions {
        fps: 4,
        ..Default::default()
    };

    println!(
        "{:<40} {:>10} {:>11} {:>12} {:>11} {:>10}",
        "video 64x3x256x256 uint8, fps 4", "time", "size", "wandb 0.31", "wandb size", "speedup"
    );
    for (name, fmt, n) in [
        ("GIF  (Video::from_tensor)", VideoFormat::Gif, 5),
        ("MP4  (Video::from_tensor)", VideoFormat::Mp4, 5),
    ] {
        let (s, v) = best(n, || Video::from_tensor(&t, fmt, &opts));
        let key = fmt.name();
        match v {
            Ok(v) => {
                let (bs, bb) = (base(&format!("{key}_s")), base(&format!("{key}_bytes")));
                println!(
                    "{name:<40} {:>8.1}ms {:>11} {:>12} {:>11} {:>10}",
                    s * 1e3,
                    v.file.size(),
                    bs.map(|b| format!("{:.0} ms", b * 1e3))
                        .unwrap_or_else(|| "-".into()),
                    bb.map(|b| format!("{b:.0}")).unwrap_or_else(|| "-".into()),
                    bs.map(|b| format!("{:.0}x", b / s))
                        .unwrap_or_else(|| "-".into()),
                );
            }
            Err(e) => println!("{name:<40} error: {e}"),
        }
    }

    println!();
    println!(
        "{:<40} {:>10} {:>11} {:>12} {:>11}",
        "1000 frames 256x256 RGB -> MP4, 30 fps", "time", "size", "peak RSS", "frames/s"
    );
    for (name, mode) in [
        ("VideoWriter (streaming push)", "stream"),
        ("Video::from_tensor (1000x3x256x256)", "tensor"),
    ] {
        match run_child(mode, STREAM_FRAMES) {
            Some((s, bytes, kib)) => println!(
                "{name:<40} {:>9.2}s {:>11} {:>9.1} MiB {:>11.0}",
                s,
                bytes,
                kib as f64 / 1024.0,
                STREAM_FRAMES as f64 / s
            ),
            None => println!("{name:<40} failed"),
        }
    }
    if let Some((_, _, kib)) = run_child("stream", 100) {
        println!(
            "{:<40} {:>10} {:>11} {:>9.1} MiB   (peak RSS must not grow with frames)",
            "VideoWriter, 100 frames only",
            "",
            "",
            kib as f64 / 1024.0
        );
    }
    if let Some(v) = baseline.get("wandb_version").and_then(Json::as_str) {
        println!("baseline: wandb {v} (wandb.Video constructor only, same tensor, same run)");
    } else if let Some(e) = baseline.get("wandb_error").and_then(Json::as_str) {
        println!("baseline: wandb not measured ({e})");
    }
}
