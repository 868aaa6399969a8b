//! Videos end to end through the encoders: decoded GIF pixels of tiled batches, MP4 container
//! facts (moov first, duration = T/fps, track size = JSON size, odd sizes), the streaming
//! writer against the tensor path, and two videos encoded on two threads at once.

use std::io::Cursor;

use image::AnimationDecoder;
use wandb_media::media::image::Convert;
use wandb_media::media::video::{Layout, Video, VideoFormat, VideoOptions, VideoWriter};
use wandb_media::{DType, TensorView};

/// Flat colour of video `b` in frame `t` (distinct per video and frame, GIF-friendly).
fn colour(b: usize, t: usize) -> [u8; 3] {
    [
        (40 + 60 * b) as u8,
        (200 - 25 * (t % 8)) as u8,
        (30 + 50 * ((b + t) % 4)) as u8,
    ]
}

/// A (B,T,3,H,W) batch of flat-coloured videos.
fn batch(b: usize, t: usize, h: usize, w: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(b * t * 3 * h * w);
    for ib in 0..b {
        for it in 0..t {
            for c in 0..3 {
                v.extend(std::iter::repeat_n(colour(ib, it)[c], h * w));
            }
        }
    }
    v
}

/// Decoded GIF frames as RGBA buffers (full canvas) with their delays in ms.
fn decode_gif(bytes: &[u8]) -> (u32, u32, Vec<(Vec<u8>, u32)>) {
    let dec = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).expect("valid GIF");
    let frames = dec.into_frames().collect_frames().expect("GIF frames");
    let (w, h) = frames[0].buffer().dimensions();
    let out = frames
        .into_iter()
        .map(|f| {
            let (n, d) = f.delay().numer_denom_ms();
            (f.into_buffer().into_raw(), n / d.max(1))
        })
        .collect();
    (w, h, out)
}

fn mean_rgb(rgba: &[u8], width: usize, x0: usize, y0: usize, w: usize, h: usize) -> [f64; 3] {
    let mut s = [0f64; 3];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            for c in 0..3 {
                s[c] += rgba[(y * width + x) * 4 + c] as f64;
            }
        }
    }
    s.map(|v| v / (w * h) as f64)
}

fn close(got: [f64; 3], want: [u8; 3], tol: f64) -> bool {
    got.iter()
        .zip(want)
        .all(|(g, w)| (g - w as f64).abs() <= tol)
}

#[test]
fn gif_batch_is_tiled_padded_and_timed() {
    // B=3 → padded to 4, tiled 1×4; 5 frames of 8×6 at 5 fps (20 cs per frame).
    let (b, t, h, w) = (3, 5, 6, 8);
    let data = batch(b, t, h, w);
    let tv = TensorView::new(&data, DType::U8, &[b, t, 3, h, w]).unwrap();
    let opts = VideoOptions {
        fps: 5,
        ..Default::default()
    };
    let v = Video::from_tensor(&tv, VideoFormat::Gif, &opts).unwrap();
    assert_eq!((v.width, v.height), (Some(32), Some(6)));
    assert_eq!(v.file.ext, ".gif");
    assert_eq!(&v.file.bytes[..6], b"GIF89a");
    let (gw, gh, frames) = decode_gif(&v.file.bytes);
    assert_eq!((gw, gh), (32, 6));
    assert_eq!(frames.len(), t);
    for (it, (rgba, delay)) in frames.iter().enumerate() {
        assert_eq!(*delay, 200, "frame {it} delay");
        for ib in 0..4 {
            let m = mean_rgb(rgba, 32, ib * w, 0, w, h);
            let want = if ib < b { colour(ib, it) } else { [0, 0, 0] };
            assert!(
                close(m, want, 6.0),
                "frame {it} tile {ib}: {m:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn gif_channels_last_strided_rgba_equals_channels_first() {
    // The same video given as (T,C,H,W) and as a strided RGBA (T,H,W,4) view whose alpha is
    // noise: identical files (alpha dropped, layout resolved before encoding).
    let (t, h, w) = (4, 10, 12);
    let cf = batch(1, t, h, w);
    let mut rgba = vec![0u8; t * h * w * 4 * 2];
    for it in 0..t {
        for y in 0..h {
            for x in 0..w {
                for c in 0..4 {
                    let v = if c < 3 {
                        cf[((it * 3 + c) * h + y) * w + x]
                    } else {
                        (x * 31 + y * 7) as u8
                    };
                    // every pixel twice along W: the view takes every other one
                    rgba[(((it * h + y) * w * 2) + 2 * x) * 4 + c] = v;
                }
            }
        }
    }
    let a = TensorView::new(&cf, DType::U8, &[t, 3, h, w]).unwrap();
    let strides = [(h * w * 2 * 4) as isize, (w * 2 * 4) as isize, 8, 1];
    let b = TensorView::strided(&rgba, 0, DType::U8, &[t, h, w, 4], Some(&strides)).unwrap();
    let va = Video::from_tensor(&a, VideoFormat::Gif, &VideoOptions::default()).unwrap();
    let opts = VideoOptions {
        layout: Layout::ChannelsLast,
        ..Default::default()
    };
    let vb = Video::from_tensor(&b, VideoFormat::Gif, &opts).unwrap();
    assert_eq!(va.file.sha256, vb.file.sha256);
}

/// Minimal MP4 box walker: (type, payload) of the boxes inside `data`.
fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() {
        let size = u32::from_be_bytes(data[i..i + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[i + 4..i + 8].try_into().unwrap();
        let (hdr, size) = if size == 1 {
            (
                16,
                u64::from_be_bytes(data[i + 8..i + 16].try_into().unwrap()) as usize,
            )
        } else if size == 0 {
            (8, data.len() - i)
        } else {
            (8, size)
        };
        assert!(size >= hdr && i + size <= data.len(), "bad box size");
        out.push((kind, &data[i + hdr..i + size]));
        i += size;
    }
    out
}

fn child<'a>(data: &'a [u8], path: &[&[u8; 4]]) -> &'a [u8] {
    let mut cur = data;
    for k in path {
        cur = boxes(cur)
            .into_iter()
            .find(|(kind, _)| kind == *k)
            .unwrap_or_else(|| panic!("box {} missing", String::from_utf8_lossy(*k)))
            .1;
    }
    cur
}

fn be32(b: &[u8], at: usize) -> u64 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as u64
}

/// Container facts of an MP4: (duration seconds, track width, track height).
fn mp4_facts(bytes: &[u8]) -> (f64, u32, u32) {
    let top = boxes(bytes);
    let kinds: Vec<&[u8; 4]> = top.iter().map(|(k, _)| k).collect();
    assert_eq!(kinds[0], b"ftyp", "ftyp first");
    let moov = kinds.iter().position(|k| *k == b"moov").expect("moov");
    let mdat = kinds.iter().position(|k| *k == b"mdat").expect("mdat");
    assert!(moov < mdat, "moov before mdat (fast start): {kinds:?}");
    let mvhd = child(bytes, &[b"moov", b"mvhd"]);
    let (timescale, duration) = if mvhd[0] == 1 {
        (
            be32(mvhd, 20),
            u64::from_be_bytes(mvhd[24..32].try_into().unwrap()),
        )
    } else {
        (be32(mvhd, 12), be32(mvhd, 16))
    };
    let tkhd = child(bytes, &[b"moov", b"trak", b"tkhd"]);
    let n = tkhd.len();
    let (w, h) = (be32(tkhd, n - 8) >> 16, be32(tkhd, n - 4) >> 16);
    let stsd = child(
        bytes,
        &[b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"],
    );
    assert_eq!(&stsd[12..16], b"avc1", "H.264 sample entry");
    (duration as f64 / timescale as f64, w as u32, h as u32)
}

#[test]
fn mp4_container_matches_the_json() {
    for (b, t, h, w, fps) in [
        (1, 16, 32, 32, 8),
        (5, 8, 16, 16, 4),
        (1, 7, 17, 33, 7),
        (1, 3, 2, 3, 0),
    ] {
        let data = batch(b, t, h, w);
        let shape: Vec<usize> = if b == 1 {
            vec![t, 3, h, w]
        } else {
            vec![b, t, 3, h, w]
        };
        let tv = TensorView::new(&data, DType::U8, &shape).unwrap();
        let opts = VideoOptions {
            fps,
            ..Default::default()
        };
        let v = Video::from_tensor(&tv, VideoFormat::Mp4, &opts).unwrap();
        let (dur, tw, th) = mp4_facts(&v.file.bytes);
        let fps = if fps == 0 { 4 } else { fps };
        assert!(
            (dur - t as f64 / fps as f64).abs() < 1e-3,
            "{shape:?}: duration {dur}, expected {}",
            t as f64 / fps as f64
        );
        assert_eq!((Some(tw), Some(th)), (v.width, v.height), "{shape:?}");
        assert_eq!(v.file.ext, ".mp4");
    }
}

fn frames_hwc(t: usize, h: usize, w: usize) -> Vec<Vec<u8>> {
    (0..t)
        .map(|it| {
            (0..h * w * 3)
                .map(|i| {
                    let (p, c) = (i / 3, i % 3);
                    ((p % w) * 5 + (p / w) * 3 + it * 11 + c * 70) as u8
                })
                .collect()
        })
        .collect()
}

#[test]
fn writer_mp4_equals_the_tensor_path() {
    let (t, h, w) = (12, 24, 40);
    let frames = frames_hwc(t, h, w);
    let mut wr = VideoWriter::new(h, w, 3, 6, VideoFormat::Mp4, Convert::Cast).unwrap();
    for f in &frames {
        wr.push_u8(f).unwrap();
    }
    // A bad frame is rejected without breaking the writer.
    assert!(wr.push_u8(&[0u8; 5]).is_err());
    assert_eq!(wr.frame_count(), t as u64);
    let streamed = wr.finish().unwrap();
    assert_eq!((streamed.width, streamed.height), (Some(40), Some(24)));

    let all = frames.concat();
    let tv = TensorView::new(&all, DType::U8, &[t, h, w, 3]).unwrap();
    let opts = VideoOptions {
        fps: 6,
        layout: Layout::ChannelsLast,
        ..Default::default()
    };
    let tensor = Video::from_tensor(&tv, VideoFormat::Mp4, &opts).unwrap();
    assert_eq!(streamed.file.sha256, tensor.file.sha256);
    let (dur, tw, th) = mp4_facts(&streamed.file.bytes);
    assert_eq!((tw, th), (40, 24));
    assert!((dur - 2.0).abs() < 1e-3, "duration {dur}");
}

#[test]
fn writer_gif_decodes_to_the_pushed_frames() {
    let (t, h, w) = (6, 9, 13);
    let mut wr = VideoWriter::new(h, w, 4, 10, VideoFormat::Gif, Convert::Cast).unwrap();
    // CHW float frames through strides, alpha channel present: converted and dropped.
    for it in 0..t {
        let mut chw = vec![0f32; 4 * h * w];
        for c in 0..3 {
            for i in 0..h * w {
                chw[c * h * w + i] = colour(c, it)[c] as f32 + 0.7;
            }
        }
        let bytes: Vec<u8> = chw.iter().flat_map(|v| v.to_le_bytes()).collect();
        let strides = [w as isize, 1, (h * w) as isize];
        let frame = TensorView::strided(&bytes, 0, DType::F32, &[h, w, 4], Some(&strides)).unwrap();
        wr.push(&frame).unwrap();
    }
    let v = wr.finish().unwrap();
    let (gw, gh, frames) = decode_gif(&v.file.bytes);
    assert_eq!((gw, gh), (13, 9));
    assert_eq!(frames.len(), t);
    for (it, (rgba, delay)) in frames.iter().enumerate() {
        assert_eq!(*delay, 100);
        let want = [colour(0, it)[0], colour(1, it)[1], colour(2, it)[2]];
        let m = mean_rgb(rgba, w, 0, 0, w, h);
        assert!(close(m, want, 6.0), "frame {it}: {m:?} vs {want:?}");
    }
}

#[test]
fn writer_finish_without_frames_fails() {
    let wr = VideoWriter::new(8, 8, 3, 4, VideoFormat::Gif, Convert::Cast).unwrap();
    let e = wr.finish().unwrap_err();
    assert!(e.message.contains("no frames"), "{}", e.message);
}

#[test]
fn two_videos_on_two_threads_at_once() {
    let (t, h, w) = (20, 48, 64);
    let frames = frames_hwc(t, h, w).concat();
    let encode = |fmt: VideoFormat| {
        let tv = TensorView::new(&frames, DType::U8, &[t, h, w, 3]).unwrap();
        let opts = VideoOptions {
            layout: Layout::ChannelsLast,
            ..Default::default()
        };
        Video::from_tensor(&tv, fmt, &opts).unwrap().file.sha256
    };
    let seq = [encode(VideoFormat::Mp4), encode(VideoFormat::Gif)];
    for _ in 0..2 {
        let par = std::thread::scope(|s| {
            let a = s.spawn(|| encode(VideoFormat::Mp4));
            let b = s.spawn(|| encode(VideoFormat::Mp4));
            let c = s.spawn(|| encode(VideoFormat::Gif));
            [a.join().unwrap(), b.join().unwrap(), c.join().unwrap()]
        });
        assert_eq!(par, [seq[0].clone(), seq[0].clone(), seq[1].clone()]);
    }
}

#[test]
fn writers_and_videos_can_move_between_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<VideoWriter>();
    send::<wandb_media::ffi::video::wb_video_writer>();
    send_sync::<Video>();
    // A writer started on one thread and finished on another.
    let mut w = VideoWriter::new(16, 16, 3, 4, VideoFormat::Mp4, Convert::Cast).unwrap();
    w.push_u8(&[90u8; 16 * 16 * 3]).unwrap();
    let v = std::thread::spawn(move || {
        w.push_u8(&[120u8; 16 * 16 * 3]).unwrap();
        w.finish().unwrap()
    })
    .join()
    .unwrap();
    let (dur, tw, th) = mp4_facts(&v.file.bytes);
    assert_eq!((tw, th), (16, 16));
    assert!((dur - 0.5).abs() < 1e-3);
}

#[test]
fn tensor_gif_pipeline_equals_the_streaming_writer() {
    // `Video::from_tensor` quantises on a second thread ahead of the writer; the bytes must be
    // those of pushing the same frames one by one (no thread). Moving gradients (> 256
    // colours: median cut), a static stretch (merged frames), a frame back to an earlier one,
    // and a tiny moving square (small crops).
    let (t, h, w) = (24usize, 48usize, 72usize);
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for it in 0..t {
        let k = if (8..12).contains(&it) {
            8
        } else if it == 20 {
            3
        } else {
            it
        };
        let mut f = vec![0u8; h * w * 3];
        for y in 0..h {
            for x in 0..w {
                let p = (y * w + x) * 3;
                f[p] = ((x * 3 + k * 7) % 256) as u8;
                f[p + 1] = ((y * 5 + k * 3) % 256) as u8;
                f[p + 2] = (((x + y) * 2 + k) % 256) as u8;
                if it >= 14 && (y / 4 == it % 12) && x < 8 {
                    f[p] = 255;
                }
            }
        }
        frames.push(f);
    }
    let mut wr = VideoWriter::new(h, w, 3, 5, VideoFormat::Gif, Convert::Cast).unwrap();
    for f in &frames {
        let tv = TensorView::new(f, DType::U8, &[h, w, 3]).unwrap();
        wr.push(&tv).unwrap();
    }
    let streamed = wr.finish().unwrap();
    let all = frames.concat();
    let tv = TensorView::new(&all, DType::U8, &[t, h, w, 3]).unwrap();
    let opts = VideoOptions {
        fps: 5,
        layout: Layout::ChannelsLast,
        ..Default::default()
    };
    let tensor = Video::from_tensor(&tv, VideoFormat::Gif, &opts).unwrap();
    assert_eq!(streamed.file.bytes, tensor.file.bytes);
    let (gw, gh, decoded) = decode_gif(&tensor.file.bytes);
    assert_eq!((gw, gh), (w as u32, h as u32));
    // frames 8..=11 are identical (merged), so fewer GIF frames than inputs
    assert!(
        decoded.len() < t && decoded.len() >= t - 4,
        "{}",
        decoded.len()
    );
}
