//! Writes a synthetic video through the library, for the browser playback test
//! (`tests/video/playback.sh`) and for trying the encoders by hand.
//!
//! ```sh
//! cargo run --release --example video_encode -- OUT.mp4 tensor|stream|batch WIDTH HEIGHT FRAMES FPS [QUALITY]
//! ```
//! QUALITY (optional, mp4/webm): comma-separated `crf=N`, `kbps=N`, `kf=N` (crf, bitrate_kbps,
//! keyframe_interval). With `WB_PRINT_RSS=1` the peak RSS (VmHWM, KiB) goes to stderr.
//! Audio track (mp4): `ar=RATE` (sample rate), `ac=1|2` (channels, default 1), `af=HZ` (sine
//! frequency of channel 0, default 440; channel 1 plays 1.5·HZ), `ams=MILLISECONDS` (length,
//! default the video's): a float32 sine of amplitude 0.5 (`tensor`: `from_tensor_with_audio`,
//! `stream`: pushed in blocks between the frames).
//! * `tensor`: one (T,C,H,W) uint8 tensor → `Video::from_tensor`;
//! * `stream`: the same frames pushed one by one to a `VideoWriter` as (H,W,C);
//! * `batch`:  a (3,T,C,H,W) batch (tiled 1×4: the file is 4·WIDTH wide).
//!
//! The format comes from OUT's extension (gif, mp4 or webm). Prints `OUT WIDTH HEIGHT R G B`: the
//! JSON width/height and the mean colour of the first (tiled) frame.

use std::process::ExitCode;

use wandb_media::media::image::Convert;
use wandb_media::media::video::{
    prepare_frames, Video, VideoFormat, VideoOptions, VideoQuality, VideoWriter,
};
use wandb_media::{DType, TensorView};

/// A moving diagonal gradient with a bright square, channel-first value of pixel (t,c,y,x).
fn pixel(t: usize, c: usize, y: usize, x: usize, w: usize, h: usize) -> u8 {
    let sq = (t * 3) % w.max(1);
    if x >= sq && x < sq + w / 4 + 1 && y >= h / 3 && y < h / 3 + h / 4 + 1 {
        return [250, 230, 40][c];
    }
    let base = (x * 255 / w.max(1) + y * 255 / h.max(1) + t * 8) / 2;
    (base as u8).wrapping_add([0, 60, 120][c])
}

fn run(args: &[String]) -> Result<String, String> {
    let (args, spec) = match args {
        [rest @ .., q] if args.len() == 7 => (rest, q.as_str()),
        _ => (args, ""),
    };
    let [out, mode, w, h, n, fps] = args else {
        return Err(
            "usage: video_encode OUT.{mp4|gif|webm} tensor|stream|batch WIDTH HEIGHT FRAMES FPS [crf=N,kbps=N,kf=N]".into(),
        );
    };
    let mut quality = VideoQuality::default();
    let (mut ar, mut ac, mut af, mut ams) = (0u32, 1usize, 440.0f64, None::<u64>);
    for item in spec.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .ok_or(format!("bad quality item {item:?}"))?;
        let v: u32 = v.parse().map_err(|e| format!("{item}: {e}"))?;
        match k {
            "ar" => ar = v,
            "ac" => ac = v as usize,
            "af" => af = f64::from(v),
            "ams" => ams = Some(u64::from(v)),
            "crf" => quality.crf = v,
            "kbps" => quality.bitrate_kbps = v,
            "kf" => quality.keyframe_interval = v,
            _ => return Err(format!("unknown quality key {k:?}")),
        }
    }
    let num = |s: &String, what: &str| s.parse::<usize>().map_err(|e| format!("{what}: {e}"));
    let (w, h, n) = (num(w, "WIDTH")?, num(h, "HEIGHT")?, num(n, "FRAMES")?);
    let fps = num(fps, "FPS")? as u32;
    let ext = out.rsplit('.').next().unwrap_or("");
    let format = VideoFormat::parse(ext).map_err(|e| e.message)?;
    // The audio track (interleaved float32 sine), if asked for.
    let audio: Vec<f32> = if ar > 0 {
        let ms = ams.unwrap_or((n as u64 * 1000) / u64::from(fps.max(1)));
        let frames = (ms * u64::from(ar) / 1000) as usize;
        (0..frames * ac)
            .map(|i| {
                let (t, c) = (i / ac, i % ac);
                let f = af * if c == 1 { 1.5 } else { 1.0 };
                (0.5 * (2.0 * std::f64::consts::PI * f * t as f64 / f64::from(ar)).sin()) as f32
            })
            .collect()
    } else {
        Vec::new()
    };
    let audio_shape = [audio.len() / ac.max(1), ac];
    let audio: Vec<u8> = audio.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let audio_view = TensorView::new(&audio, DType::F32, &audio_shape).map_err(|e| e.message)?;
    let mut first: Vec<u8> = Vec::new();
    let video = match mode.as_str() {
        "tensor" | "batch" => {
            let b = if mode == "batch" { 3 } else { 1 };
            let mut data = Vec::with_capacity(b * n * 3 * h * w);
            for ib in 0..b {
                for t in 0..n {
                    for c in 0..3 {
                        for y in 0..h {
                            for x in 0..w {
                                data.push(pixel(t + ib * 5, c, y, x, w, h));
                            }
                        }
                    }
                }
            }
            let shape = if b == 1 {
                vec![n, 3, h, w]
            } else {
                vec![b, n, 3, h, w]
            };
            let t = TensorView::new(&data, DType::U8, &shape).map_err(|e| e.message)?;
            let opts = VideoOptions {
                fps,
                quality,
                ..Default::default()
            };
            first = prepare_frames(&t, &opts)
                .map_err(|e| e.message)?
                .1
                .swap_remove(0);
            let track = (ar > 0).then_some((&audio_view, ar));
            Video::from_tensor_with_audio(&t, format, &opts, track).map_err(|e| e.message)?
        }
        "stream" => {
            let mut wr = VideoWriter::with_quality(h, w, 3, fps, format, Convert::Cast, quality)
                .map_err(|e| e.message)?;
            let mut frame = vec![0u8; h * w * 3];
            for t in 0..n {
                for y in 0..h {
                    for x in 0..w {
                        for c in 0..3 {
                            frame[(y * w + x) * 3 + c] = pixel(t, c, y, x, w, h);
                        }
                    }
                }
                if t == 0 {
                    first = frame.clone();
                }
                wr.push_u8(&frame).map_err(|e| e.message)?;
                if ar > 0 {
                    // the audio of this frame's time span (the rest after the last frame)
                    let total = audio_shape[0];
                    let span = |k: usize| (k * total / n).min(total);
                    let (a, b) = (span(t), if t + 1 == n { total } else { span(t + 1) });
                    if b > a {
                        let part = &audio[a * ac * 4..b * ac * 4];
                        let v = TensorView::new(part, DType::F32, &[b - a, ac])
                            .map_err(|e| e.message)?;
                        wr.push_audio(&v, ar).map_err(|e| e.message)?;
                    }
                }
            }
            wr.finish().map_err(|e| e.message)?
        }
        other => return Err(format!("unknown mode {other:?}")),
    };
    if std::env::var_os("WB_PRINT_RSS").is_some() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let hwm = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
            .unwrap_or_default();
        eprintln!("rss_kib={hwm}");
    }
    std::fs::write(out, video.file.bytes.as_slice()).map_err(|e| format!("{out}: {e}"))?;
    let px = (first.len() / 3).max(1) as f64;
    let mean = |c: usize| {
        first
            .iter()
            .skip(c)
            .step_by(3)
            .map(|&v| v as f64)
            .sum::<f64>()
            / px
    };
    Ok(format!(
        "{} {} {} {:.1} {:.1} {:.1}",
        out,
        video.width.unwrap_or(0),
        video.height.unwrap_or(0),
        mean(0),
        mean(1),
        mean(2)
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("video_encode: {e}");
            ExitCode::FAILURE
        }
    }
}
