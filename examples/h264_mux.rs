//! Muxes an encoded H.264 stream into an MP4 through the library's pass-through (no
//! re-encoding), for `tests/video/h264_passthrough.py` and for trying it by hand.
//!
//! ```sh
//! cargo run --release --example h264_mux -- IN.h264 TIMES OUT.mp4 MODE TIMESCALE
//! ```
//! * IN: an Annex-B elementary stream (`ffmpeg … -f h264`).
//! * TIMES: `-` (no timestamps: the presentation order comes from the slice headers, and
//!   TIMESCALE is the frame rate, 0 → 30) or a file with one line `pts` or `pts dts` per
//!   access unit in stream order.
//! * MODE `whole`: `Video::from_h264` on the whole Annex-B buffer (only the pts are passed:
//!   decode times are derived); `stream`: one access unit per `VideoWriter::push_h264`
//!   (Annex-B, with dts when given); `stream-avcc`: the same, converted to 4-byte-length
//!   AVCC; `bytes:SEED`: the file as a byte stream cut into chunks of random length (1 byte
//!   to 4 KiB, from SEED) pushed with `VideoWriter::push_h264_bytes` (needs TIMES `-`);
//!   `bytes:1`: one byte per push.
//!
//! Prints `OUT WIDTH HEIGHT` (the JSON width/height).

use std::process::ExitCode;

use wandb_media::encode::mp4::h264in::{access_units, split_annexb, Framing, H264Options};
use wandb_media::media::video::{Video, VideoWriter};

fn run(args: &[String]) -> Result<String, String> {
    let [input, times, out, mode, timescale] = args else {
        return Err(
            "usage: h264_mux IN.h264 TIMES|- OUT.mp4 whole|stream|stream-avcc TIMESCALE".into(),
        );
    };
    let data = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
    let timescale: u32 = timescale.parse().map_err(|e| format!("TIMESCALE: {e}"))?;
    let (mut pts, mut dts) = (Vec::new(), Vec::new());
    let mut fps = 30;
    let timescale = if times == "-" {
        if timescale > 0 {
            fps = timescale;
        }
        0
    } else {
        let text = std::fs::read_to_string(times).map_err(|e| format!("{times}: {e}"))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Vec<i64> = line
                .split_whitespace()
                .map(|x| x.parse().map_err(|e| format!("{times}: {e}")))
                .collect::<Result<_, _>>()?;
            pts.push(v[0]);
            if let Some(&d) = v.get(1) {
                dts.push(d);
            }
        }
        timescale
    };
    let framing = if mode == "stream-avcc" {
        Framing::Avcc
    } else {
        Framing::AnnexB
    };
    let opts = H264Options {
        framing,
        timescale,
        fps,
        config: Vec::new(),
    };
    let video = match mode.as_str() {
        "whole" => Video::from_h264(&data, opts, &pts, &[]).map_err(|e| e.message)?,
        "stream" | "stream-avcc" => {
            let nals = split_annexb(&data);
            let aus = access_units(&nals);
            let mut w = VideoWriter::new_h264(opts).map_err(|e| e.message)?;
            for (i, au) in aus.iter().enumerate() {
                let mut buf = Vec::new();
                for nal in au {
                    if mode == "stream" {
                        buf.extend_from_slice(&[0, 0, 0, 1]);
                    } else {
                        buf.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    }
                    buf.extend_from_slice(nal);
                }
                let p = pts.get(i).copied().unwrap_or(0);
                w.push_h264(&buf, p, dts.get(i).copied())
                    .map_err(|e| format!("access unit {i}: {}", e.message))?;
            }
            w.finish().map_err(|e| e.message)?
        }
        m if m.starts_with("bytes:") => {
            let seed: u64 = m[6..].parse().map_err(|e| format!("{m}: {e}"))?;
            let mut w = VideoWriter::new_h264(opts).map_err(|e| e.message)?;
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut p = 0;
            while p < data.len() {
                // xorshift64: chunk lengths 1..=4096, a third of them under 16 bytes
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let len = match (seed, state % 3) {
                    (1, _) => 1,
                    (_, 0) => 1 + (state >> 8) as usize % 16,
                    _ => 1 + (state >> 8) as usize % 4096,
                };
                let end = (p + len).min(data.len());
                w.push_h264_bytes(&data[p..end])
                    .map_err(|e| format!("bytes {p}..{end}: {}", e.message))?;
                p = end;
            }
            w.finish().map_err(|e| e.message)?
        }
        other => return Err(format!("unknown mode {other}")),
    };
    std::fs::write(out, video.file.bytes.as_slice()).map_err(|e| format!("{out}: {e}"))?;
    Ok(format!(
        "{out} {} {}",
        video.width.unwrap_or(0),
        video.height.unwrap_or(0)
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
            eprintln!("h264_mux: {e}");
            ExitCode::FAILURE
        }
    }
}
