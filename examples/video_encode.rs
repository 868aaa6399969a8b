//! Writes a synthetic video through the library, for the browser playback test
//! (`tests/video/playback.sh`) and for trying the encoders by hand.
//!
//! ```sh
//! cargo run --release --example video_encode -- OUT.mp4 tensor|stream|batch WIDTH HEIGHT FRAMES FPS
//! ```
//! * `tensor`: one (T,C,H,W) uint8 tensor → `Video::from_tensor`;
//! * `stream`: the same frames pushed one by one to a `VideoWriter` as (H,W,C);
//! * `batch`:  a (3,T,C,H,W) batch (tiled 1×4: the file is 4·WIDTH wide).
//!
//! The format comes from OUT's extension (gif or mp4). Prints `OUT WIDTH HEIGHT R G B`: the
//! JSON width/height and the mean colour of the first (tiled) frame.

use std::process::ExitCode;

use wandb_media::media::image::Convert;
use wandb_media::media::video::{prepare_frames, Video, VideoFormat, VideoOptions, VideoWriter};
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
    let [out, mode, w, h, n, fps] = args else {
        return Err(
            "usage: video_encode OUT.{mp4|gif} tensor|stream|batch WIDTH HEIGHT FRAMES FPS".into(),
        );
    };
    let num = |s: &String, what: &str| s.parse::<usize>().map_err(|e| format!("{what}: {e}"));
    let (w, h, n) = (num(w, "WIDTH")?, num(h, "HEIGHT")?, num(n, "FRAMES")?);
    let fps = num(fps, "FPS")? as u32;
    let ext = out.rsplit('.').next().unwrap_or("");
    let format = VideoFormat::parse(ext).map_err(|e| e.message)?;
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
                ..Default::default()
            };
            first = prepare_frames(&t, &opts)
                .map_err(|e| e.message)?
                .1
                .swap_remove(0);
            Video::from_tensor(&t, format, &opts).map_err(|e| e.message)?
        }
        "stream" => {
            let mut wr =
                VideoWriter::new(h, w, 3, fps, format, Convert::Cast).map_err(|e| e.message)?;
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
            }
            wr.finish().map_err(|e| e.message)?
        }
        other => return Err(format!("unknown mode {other:?}")),
    };
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
