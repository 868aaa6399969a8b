//! `wandb.Video` (§6): tensors → tiled frames → GIF / H.264 MP4 / VP8 WebM, video files copied
//! unchanged, a streaming writer for frames that arrive one at a time, and the `videos`
//! list JSON (§15.2).
//!
//! The tensor path follows the SDK's `_prepare_video` exactly: (T,C,H,W) is a batch of one,
//! (B,T,C,H,W) a batch; the batch is padded with black videos to a power of two and tiled
//! `rows = 2^floor((bitlen(B)-1)/2)` rows, row-major (§6.2). Channels-last input
//! ((T,H,W,C), (B,T,H,W,C)) is an explicit option ([`Layout::ChannelsLast`]); either layout
//! is read through a permuted [`TensorView`], so strided input needs no caller copy.
//!
//! Frames are produced one tiled frame at a time: the MP4 path and the [`VideoWriter`]
//! hand each frame to the encoder as soon as it exists, so memory does not grow with the
//! number of frames (the GIF tensor path keeps all frames, because the encoder builds one
//! palette from all of them).
//!
//! Thread safety: there is no global encoder state; every `Video`/`VideoWriter` owns its
//! encoder, so any number of videos can be encoded on different threads at once.

use std::path::Path;
use std::sync::Arc;

use crate::encode::gif::GifEncoder;
use crate::encode::mp4::audio::{AudioEncoder, AudioTrack};
use crate::encode::mp4::h264in::{H264Muxer, H264Options};
use crate::encode::mp4::Mp4Encoder;
use crate::encode::webm::WebmEncoder;
pub use crate::encode::VideoQuality;
use crate::error::{Error, ErrorKind, Result};
use crate::json::Json;
use crate::media::image::{legacy_to_u8, Convert};
use crate::media::{downcast, file_json, first_caption_rule, BindCtx, Media, MediaFile};
use crate::tensor::{DType, TensorView};

/// The SDK's `Video.EXTS`, in its order (used in its error message).
pub const EXTS: [&str; 4] = ["gif", "mp4", "webm", "ogg"];
/// `fps or 4`: the frame rate used when none (or 0) is given.
pub const DEFAULT_FPS: u32 = 4;

/// The SDK's message for a format outside [`EXTS`].
const FORMATS_MESSAGE: &str = "wandb.Video accepts gif, mp4, webm, ogg formats";

/// A video container format (`format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoFormat {
    Gif,
    Mp4,
    /// VP8 WebM (needs the `webm` cargo feature, on by default).
    Webm,
    /// Accepted for files; cannot be encoded from tensors (the SDK fails too, §6.3).
    Ogg,
}

impl VideoFormat {
    pub fn name(self) -> &'static str {
        match self {
            VideoFormat::Gif => "gif",
            VideoFormat::Mp4 => "mp4",
            VideoFormat::Webm => "webm",
            VideoFormat::Ogg => "ogg",
        }
    }

    /// Exactly the SDK's accepted names; case-sensitive like `format=` (`"GIF"` is an error).
    pub fn parse(s: &str) -> Result<VideoFormat> {
        Ok(match s {
            "gif" => VideoFormat::Gif,
            "mp4" => VideoFormat::Mp4,
            "webm" => VideoFormat::Webm,
            "ogg" => VideoFormat::Ogg,
            _ => return Err(Error::invalid(FORMATS_MESSAGE)),
        })
    }

    /// GIF, MP4 and (with the `webm` feature) WebM can be encoded from frames.
    fn check_encodable(self) -> Result<()> {
        match self {
            VideoFormat::Gif | VideoFormat::Mp4 => Ok(()),
            VideoFormat::Webm if crate::encode::webm::AVAILABLE => Ok(()),
            VideoFormat::Webm => Err(Error::unsupported(format!(
                "{} (use gif or mp4; webm files can be logged with Video::from_file)",
                crate::encode::webm::UNSUPPORTED
            ))),
            VideoFormat::Ogg => Err(Error::unsupported(
                "format ogg: encoding ogg video from frames is not supported (the wandb SDK cannot encode it either; use gif or mp4)",
            )),
        }
    }
}

/// Axis order of a video tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// (T,C,H,W) / (B,T,C,H,W): what the SDK takes (default).
    #[default]
    ChannelsFirst,
    /// (T,H,W,C) / (B,T,H,W,C): what engines and most image libraries hand out.
    ChannelsLast,
}

/// Options of [`Video::from_tensor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoOptions {
    /// Frames per second; 0 means [`DEFAULT_FPS`] (the SDK's `fps or 4`).
    pub fps: u32,
    pub layout: Layout,
    /// How non-uint8 data becomes 8-bit. `Convert::Cast` is what wandb 0.31 does (plain
    /// `astype(uint8)`); `Auto` (default, as for images) rescales float data like
    /// wandb ≤ 0.18 so a float video in [0, 1] is visible.
    pub convert: Convert,
    /// Bitrate / crf / keyframe interval of MP4 and WebM (ignored by GIF); all 0 = defaults.
    pub quality: VideoQuality,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            fps: DEFAULT_FPS,
            layout: Layout::ChannelsFirst,
            convert: Convert::Auto,
            quality: VideoQuality::default(),
        }
    }
}

/// `fps or 4`.
pub fn effective_fps(fps: u32) -> u32 {
    if fps == 0 {
        DEFAULT_FPS
    } else {
        fps
    }
}

/// Grid of a batch of `batch` videos (§6.2 steps 3–4): `(rows, cols)` where
/// `rows · cols` is `batch` padded to a power of two. `batch` must be ≥ 1.
pub fn grid(batch: usize) -> (usize, usize) {
    let batch = batch.max(1);
    let padded = batch.next_power_of_two();
    let bitlen = usize::BITS - batch.leading_zeros();
    let rows = 1usize << ((bitlen - 1) / 2);
    (rows, padded / rows)
}

/// Shape facts of a video tensor after validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Videos in the batch before padding (1 for a 4-D tensor).
    pub batch: usize,
    /// Frames per video (T).
    pub frames: usize,
    /// Size of one video.
    pub height: usize,
    pub width: usize,
    /// 3 (RGB) or 4 (RGBA; alpha is dropped when encoding).
    pub channels: usize,
    /// Tiling grid (§6.2).
    pub rows: usize,
    pub cols: usize,
}

impl Geometry {
    /// Width of the tiled frames (what the JSON `width` says).
    pub fn out_width(&self) -> usize {
        self.cols * self.width
    }
    /// Height of the tiled frames (JSON `height`).
    pub fn out_height(&self) -> usize {
        self.rows * self.height
    }

    /// Validates a video tensor's shape like the SDK (§6.2) and computes the grid.
    pub fn of(shape: &[usize], layout: Layout) -> Result<Geometry> {
        if shape.len() < 4 {
            return Err(Error::invalid(
                "Video must be at least 4 dimensions: time, channels, height, width",
            ));
        }
        if shape.len() > 5 {
            // numpy's `b, t, c, h, w = video.shape` fails with more axes.
            return Err(Error::invalid(format!(
                "video tensor has {} dimensions: too many values to unpack (expected 5: batch, time, channels, height, width)",
                shape.len()
            )));
        }
        let s5: [usize; 5] = if shape.len() == 4 {
            [1, shape[0], shape[1], shape[2], shape[3]]
        } else {
            [shape[0], shape[1], shape[2], shape[3], shape[4]]
        };
        let (batch, frames) = (s5[0], s5[1]);
        let (channels, height, width) = match layout {
            Layout::ChannelsFirst => (s5[2], s5[3], s5[4]),
            Layout::ChannelsLast => (s5[4], s5[2], s5[3]),
        };
        check_channels(channels)?;
        if batch == 0 {
            return Err(Error::invalid(
                "video tensor: batch size is 0 (no videos to tile)",
            ));
        }
        if frames == 0 {
            return Err(Error::invalid("video tensor has no frames (T = 0)"));
        }
        if height == 0 || width == 0 {
            return Err(Error::invalid(format!(
                "video tensor has an empty frame ({height}×{width} pixels)"
            )));
        }
        let (rows, cols) = grid(batch);
        let g = Geometry {
            batch,
            frames,
            height,
            width,
            channels,
            rows,
            cols,
        };
        let fits = |v: Option<usize>| v.filter(|&v| v <= u32::MAX as usize).is_some();
        if !fits(cols.checked_mul(width))
            || !fits(rows.checked_mul(height))
            || g.out_width()
                .checked_mul(g.out_height())
                .and_then(|v| v.checked_mul(3))
                .is_none_or(|v| v > isize::MAX as usize)
        {
            return Err(Error::overflow(format!(
                "tiled video frame ({rows}×{height}) × ({cols}×{width}) is too large"
            )));
        }
        Ok(g)
    }
}

fn check_channels(channels: usize) -> Result<()> {
    match channels {
        3 | 4 => Ok(()),
        // What imageio/moviepy report for C = 1 (§6.2 step 6).
        1 => Err(Error::invalid(
            "Can't write images with one color channel. (video channels must be 3 or 4)",
        )),
        c => Err(Error::invalid(format!(
            "video has {c} channels: must be 3 (RGB) or 4 (RGBA)"
        ))),
    }
}

/// A `wandb.Video`.
#[derive(Debug, Clone)]
pub struct Video {
    pub file: MediaFile,
    /// Container format (for files: the lower-cased extension).
    pub format: VideoFormat,
    /// Frame size of tensor/stream input (tiled size for batches); `None` for files.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub caption: Option<Json>,
}

impl Video {
    /// `wandb.Video(array, format=, fps=)`.
    pub fn from_tensor(
        t: &TensorView<'_>,
        format: VideoFormat,
        opts: &VideoOptions,
    ) -> Result<Video> {
        Self::from_tensor_with_audio(t, format, opts, None)
    }

    /// [`Video::from_tensor`] with an optional audio track: `audio` = (PCM tensor, sample
    /// rate), see [`audio_pcm`]; MP4 only (Opus, [`crate::encode::mp4::audio`]).
    pub fn from_tensor_with_audio(
        t: &TensorView<'_>,
        format: VideoFormat,
        opts: &VideoOptions,
        audio: Option<(&TensorView<'_>, u32)>,
    ) -> Result<Video> {
        let geom = Geometry::of(t.shape(), opts.layout)?;
        format.check_encodable()?;
        let audio = match audio {
            None => None,
            Some((a, rate)) => {
                check_audio_format(format)?;
                let (pcm, channels) = audio_pcm(a)?;
                let mut enc = AudioEncoder::new(channels, rate).map_err(audio_error)?;
                enc.push(&pcm).map_err(audio_error)?;
                Some(enc.finish().map_err(audio_error)?)
            }
        };
        opts.quality.validate().map_err(Error::invalid)?;
        let fps = effective_fps(opts.fps);
        let mut converted = Vec::new();
        let v5 = bthwc(&as_u8(t, opts.convert, &mut converted)?, opts.layout);
        let (w, h) = (geom.out_width(), geom.out_height());
        let bytes = match format {
            VideoFormat::Gif => {
                // Frame by frame (materialising the clip first cost 104 MB for 150×360p and
                // ~18 % of the time in page faults), in a two-stage pipeline: a scoped thread
                // builds each frame and quantises what changed (input-only work, about half
                // the time) while this thread writes; same bytes as `push_frame`.
                let mut enc =
                    GifEncoder::new(w as u32, h as u32, fps).map_err(encoder_error("gif"))?;
                let mut analyzer = enc
                    .take_analyzer()
                    .ok_or_else(|| Error::state("gif: no frame analyser"))?;
                let (v5, geom) = (&v5, &geom);
                crate::par::scope(|scope| -> Result<()> {
                    let (tx, rx) = std::sync::mpsc::sync_channel(4);
                    scope.spawn(move || {
                        let mut frame = Vec::new();
                        for i in 0..geom.frames {
                            tiled_frame(v5, geom, i, &mut frame);
                            let r = analyzer.analyze(&frame);
                            let failed = r.is_err();
                            // the writer stops reading after an error of its own
                            if tx.send(r).is_err() || failed {
                                return;
                            }
                        }
                    });
                    for r in rx {
                        let a = r.map_err(encoder_error("gif"))?;
                        enc.push_analyzed(a).map_err(encoder_error("gif"))?;
                    }
                    Ok(())
                })?;
                enc.finish().map_err(encoder_error("gif"))?
            }
            VideoFormat::Webm => {
                let mut enc = WebmEncoder::with_quality(w as u32, h as u32, fps, &opts.quality)
                    .map_err(encoder_error("webm"))?;
                let mut frame = Vec::new();
                for i in 0..geom.frames {
                    tiled_frame(&v5, &geom, i, &mut frame);
                    enc.push_frame(&frame).map_err(encoder_error("webm"))?;
                }
                enc.finish().map_err(encoder_error("webm"))?
            }
            _ => {
                // GOPs in parallel; same bytes as pushing frame by frame.
                crate::encode::mp4::encode_mp4_frames_av(
                    w as u32,
                    h as u32,
                    fps,
                    &opts.quality,
                    geom.frames,
                    |i, f| tiled_frame(&v5, &geom, i, f),
                    audio,
                )
                .map_err(encoder_error("mp4"))?
            }
        };
        Ok(Video {
            file: MediaFile::new(bytes, format!(".{}", format.name())),
            format,
            width: Some(w as u32),
            height: Some(h as u32),
            caption: None,
        })
    }

    /// `wandb.Video(path)`: gif/mp4/webm/ogg (extension checked lower-cased), copied
    /// unchanged later with the extension's case kept; no width/height (the SDK reads none).
    pub fn from_file(path: &Path) -> Result<Video> {
        let ext = crate::media::path_extension(path);
        let format =
            VideoFormat::parse(&ext.trim_start_matches('.').to_lowercase()).map_err(|e| {
                Error::new(
                    e.kind,
                    format!("{} (path {})", e.message, crate::confine::path_text(path)),
                )
            })?;
        let file = MediaFile::from_path(path)?;
        Ok(Video {
            file,
            format,
            width: None,
            height: None,
            caption: None,
        })
    }

    /// Already encoded bytes (the SDK's `BytesIO` input): kept unchanged, `.<format>`.
    pub fn from_bytes(bytes: Vec<u8>, format: VideoFormat) -> Video {
        Video {
            file: MediaFile::new(bytes, format!(".{}", format.name())),
            format,
            width: None,
            height: None,
            caption: None,
        }
    }
}

/// Audio tracks exist for MP4 only.
fn check_audio_format(format: VideoFormat) -> Result<()> {
    match format {
        VideoFormat::Mp4 => Ok(()),
        VideoFormat::Webm => Err(Error::unsupported(
            "audio track: only MP4 videos carry audio (WebM audio is not supported; use format mp4)",
        )),
        other => Err(Error::invalid(format!(
            "audio track: a {} video cannot carry audio (use format mp4)",
            other.name()
        ))),
    }
}

/// Errors of the audio encoder: a missing `opus` feature is `WB_ERR_UNSUPPORTED`, the rest
/// (channel count, sample rate) invalid arguments.
fn audio_error(e: String) -> Error {
    if e == crate::encode::mp4::audio::UNSUPPORTED {
        Error::unsupported(e)
    } else {
        Error::invalid(e)
    }
}

/// The 16-bit PCM of an audio tensor for a video's audio track, converted exactly as
/// `wandb.Audio` converts it for its WAV (soundfile: floats `floor(x·32768)` clipped,
/// NaN → −32768; int32 `>> 16`; int16 unchanged; bfloat16 via float32): a 1-D tensor is
/// mono, a 2-D tensor (frames, channels) with 1 or 2 channels; any strides. Returns the
/// interleaved samples and the channel count.
pub fn audio_pcm(t: &TensorView<'_>) -> Result<(Vec<i16>, usize)> {
    use crate::encode::wav::float_to_i16;
    let shape = t.shape();
    let (frames, channels) = match shape.len() {
        1 => (shape[0], 1),
        2 => (shape[0], shape[1]),
        n => {
            return Err(Error::invalid(format!(
                "audio: must be 1-D (mono) or 2-D (frames, channels), got {n} dimensions"
            )))
        }
    };
    if channels == 0 || channels > crate::encode::mp4::audio::MAX_CHANNELS {
        return Err(Error::invalid(format!(
            "audio: {channels} channels (shape[1]); a video's audio track takes 1 (mono) or 2 (stereo) channels (downmix first)"
        )));
    }
    if frames == 0 {
        return Err(Error::invalid("audio: no samples (shape[0] is 0)"));
    }
    let pcm: Vec<i16> = match t.dtype() {
        DType::F32 => t
            .elems::<f32>()?
            .iter()
            .map(|&x| float_to_i16(f64::from(x)))
            .collect(),
        DType::F64 => t.elems::<f64>()?.iter().map(|&x| float_to_i16(x)).collect(),
        DType::BF16 => t.map_elems(|x| float_to_i16(f64::from(crate::tensor::bf16_to_f32(x))))?,
        DType::I16 => t.elems::<i16>()?.into_owned(),
        DType::I32 => t
            .elems::<i32>()?
            .iter()
            .map(|&x| (x >> 16) as i16)
            .collect(),
        other => {
            return Err(Error::invalid(format!(
                "audio: dtype must be one of ['float32', 'float64', 'int16', 'int32'] and not '{}'",
                other.name()
            )))
        }
    };
    Ok((pcm, channels))
}

fn encoder_error(what: &'static str) -> impl Fn(String) -> Error {
    move |e| Error::unsupported(format!("{what} encoder: {e}"))
}

/// Non-uint8 data → uint8 in logical (C) order, per the image module's conversion modes.
fn to_u8(t: &TensorView<'_>, convert: Convert) -> Result<Vec<u8>> {
    let legacy = match convert {
        Convert::Legacy => true,
        Convert::Cast => false,
        Convert::Auto => t.dtype().is_float(),
    };
    if legacy {
        legacy_to_u8(t)
    } else {
        t.to_u8_cast()
    }
}

/// `t` itself if it is uint8, else a view of its conversion (stored in `buf`).
fn as_u8<'a>(t: &TensorView<'a>, convert: Convert, buf: &'a mut Vec<u8>) -> Result<TensorView<'a>> {
    if t.dtype() == DType::U8 {
        return Ok(t.clone());
    }
    *buf = to_u8(t, convert)?;
    TensorView::new(buf, DType::U8, t.shape())
}

/// The tensor as a (B,T,H,W,C) view over the same memory.
fn bthwc<'a>(t: &TensorView<'a>, layout: Layout) -> TensorView<'a> {
    let t5 = if t.ndim() == 4 {
        let mut shape = vec![1];
        shape.extend_from_slice(t.shape());
        let mut strides = vec![0];
        strides.extend_from_slice(t.strides());
        t.relayout(shape, strides)
    } else {
        t.clone()
    };
    match layout {
        Layout::ChannelsFirst => t5.permuted(&[0, 1, 3, 4, 2]),
        Layout::ChannelsLast => t5,
    }
}

/// Writes tiled frame `index` of a (B,T,H,W,C) u8 view as packed RGB into `out`
/// (resized to out_height × out_width × 3). Padding tiles are black; alpha is dropped.
pub fn tiled_frame(v5: &TensorView<'_>, g: &Geometry, index: usize, out: &mut Vec<u8>) {
    let (ow, oh) = (g.out_width(), g.out_height());
    out.clear();
    out.resize(ow * oh * 3, 0);
    let mut scratch = Vec::new();
    for b in 0..g.batch {
        let (r, c) = (b / g.cols, b % g.cols);
        let hwc = v5.index0(b).index0(index);
        let origin = (r * g.height * ow + c * g.width) * 3;
        write_hwc(
            &hwc,
            g.height,
            g.width,
            g.channels,
            out,
            origin,
            ow * 3,
            &mut scratch,
        );
    }
}

/// Copies an (H,W,C) u8 view into packed RGB rows of `out` starting at `origin`, rows
/// `row_stride` bytes apart. Contiguous HWC and planar CHW get tight loops; any other
/// stride pattern is gathered once through `scratch`.
#[allow(clippy::too_many_arguments)]
fn write_hwc(
    hwc: &TensorView<'_>,
    h: usize,
    w: usize,
    ch: usize,
    out: &mut [u8],
    origin: usize,
    row_stride: usize,
    scratch: &mut Vec<u8>,
) {
    let packed: &[u8] = if let Some(b) = hwc.contiguous_bytes() {
        b
    } else if let Some(planar) = hwc.permuted(&[2, 0, 1]).contiguous_bytes() {
        // Channels-first frame: interleave the first three planes.
        let plane = h * w;
        let (p0, p1, p2) = (
            &planar[..plane],
            &planar[plane..2 * plane],
            &planar[2 * plane..3 * plane],
        );
        for y in 0..h {
            let row = &mut out[origin + y * row_stride..][..w * 3];
            let src = y * w..(y + 1) * w;
            for (((px, &r), &g), &b) in row
                .chunks_exact_mut(3)
                .zip(&p0[src.clone()])
                .zip(&p1[src.clone()])
                .zip(&p2[src])
            {
                px.copy_from_slice(&[r, g, b]);
            }
        }
        return;
    } else {
        // A gather of one frame (its size is bounded by `out`, already allocated).
        scratch.clear();
        hwc.for_each_offset(|o| scratch.push(crate::tensor::cast_u8(hwc.scalar_at(o))));
        scratch
    };
    for y in 0..h {
        let row = &mut out[origin + y * row_stride..][..w * 3];
        let src = &packed[y * w * ch..(y + 1) * w * ch];
        if ch == 3 {
            row.copy_from_slice(src);
        } else {
            for (px, s) in row.chunks_exact_mut(3).zip(src.chunks_exact(ch)) {
                px.copy_from_slice(&s[..3]);
            }
        }
    }
}

/// The tiled RGB frames of a video tensor, as the encoders receive them (tests, tools).
pub fn prepare_frames(t: &TensorView<'_>, opts: &VideoOptions) -> Result<(Geometry, Vec<Vec<u8>>)> {
    let geom = Geometry::of(t.shape(), opts.layout)?;
    let mut converted = Vec::new();
    let v5 = bthwc(&as_u8(t, opts.convert, &mut converted)?, opts.layout);
    let frames = (0..geom.frames)
        .map(|i| {
            let mut f = Vec::new();
            tiled_frame(&v5, &geom, i, &mut f);
            f
        })
        .collect();
    Ok((geom, frames))
}

enum StreamEncoder {
    Gif(GifEncoder),
    Mp4(Mp4Encoder),
    Webm(WebmEncoder),
    /// Encoded H.264 pass-through ([`VideoWriter::new_h264`]).
    H264(Box<H264Muxer>),
}

/// Encodes frames as they arrive (`push`), with memory independent of the frame count;
/// [`VideoWriter::finish`] gives a [`Video`] that logs like any other.
///
/// Thread safety: a writer is `Send` (it may move between threads) but needs `&mut` to push,
/// so one thread uses it at a time; separate writers are fully independent.
pub struct VideoWriter {
    encoder: Option<StreamEncoder>,
    format: VideoFormat,
    width: usize,
    height: usize,
    channels: usize,
    convert: Convert,
    frames: u64,
    rgb: Vec<u8>,
    scratch: Vec<u8>,
    /// The audio track, from the first [`VideoWriter::push_audio`] on.
    audio: Option<AudioEncoder>,
}

impl std::fmt::Debug for VideoWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VideoWriter({} {}×{}×{}, {} frames)",
            self.format.name(),
            self.height,
            self.width,
            self.channels,
            self.frames
        )
    }
}

impl VideoWriter {
    /// A writer for `height × width` frames of `channels` (3 = RGB, 4 = RGBA, alpha
    /// dropped; shape order, as everywhere in the API) at `fps` (0 → 4). `format` must be gif, mp4 or webm. `convert` applies to
    /// non-uint8 frames (per frame: with `Legacy`/`Auto` on float data the range is the
    /// frame's own).
    pub fn new(
        height: usize,
        width: usize,
        channels: usize,
        fps: u32,
        format: VideoFormat,
        convert: Convert,
    ) -> Result<VideoWriter> {
        Self::with_quality(
            height,
            width,
            channels,
            fps,
            format,
            convert,
            VideoQuality::default(),
        )
    }

    /// [`VideoWriter::new`] with quality controls for mp4 and webm (ignored by gif).
    pub fn with_quality(
        height: usize,
        width: usize,
        channels: usize,
        fps: u32,
        format: VideoFormat,
        convert: Convert,
        quality: VideoQuality,
    ) -> Result<VideoWriter> {
        check_channels(channels)?;
        if width == 0 || height == 0 {
            return Err(Error::invalid(format!(
                "video writer: width ({width}) and height ({height}) must be positive"
            )));
        }
        if width > u32::MAX as usize
            || height > u32::MAX as usize
            || width
                .checked_mul(height)
                .and_then(|v| v.checked_mul(4))
                .is_none_or(|v| v > isize::MAX as usize)
        {
            return Err(Error::overflow(format!(
                "video writer: {width}×{height} frames are too large"
            )));
        }
        format.check_encodable()?;
        quality.validate().map_err(Error::invalid)?;
        let fps = effective_fps(fps);
        let (w, h) = (width as u32, height as u32);
        let encoder = match format {
            VideoFormat::Gif => {
                StreamEncoder::Gif(GifEncoder::new(w, h, fps).map_err(encoder_error("gif"))?)
            }
            VideoFormat::Webm => StreamEncoder::Webm(
                WebmEncoder::with_quality(w, h, fps, &quality).map_err(encoder_error("webm"))?,
            ),
            _ => StreamEncoder::Mp4(
                Mp4Encoder::with_quality(w, h, fps, &quality).map_err(encoder_error("mp4"))?,
            ),
        };
        Ok(VideoWriter {
            encoder: Some(encoder),
            format,
            width,
            height,
            channels,
            convert,
            frames: 0,
            rgb: Vec::new(),
            scratch: Vec::new(),
            audio: None,
        })
    }

    /// Frames pushed so far.
    pub fn frame_count(&self) -> u64 {
        self.frames
    }

    /// Encodes one `(height, width, channels)` frame (any strides, any dtype). A frame with
    /// the wrong shape is rejected and the writer stays usable; if the encoder itself fails
    /// the writer is broken and later calls fail with a state error.
    pub fn push(&mut self, frame: &TensorView<'_>) -> Result<()> {
        if matches!(self.encoder, Some(StreamEncoder::H264(_))) {
            return Err(Error::invalid(
                "video writer: this writer takes encoded H.264 access units (push_h264), not pixel frames",
            ));
        }
        let want = [self.height, self.width, self.channels];
        if frame.shape() != want {
            return Err(Error::invalid(format!(
                "frame has shape {:?}, expected (height, width, channels) = {:?}",
                frame.shape(),
                want
            )));
        }
        if self.encoder.is_none() {
            return Err(Error::state(
                "video writer: an earlier frame failed to encode; the writer can only be finished or freed",
            ));
        }
        let mut converted = Vec::new();
        let view = as_u8(frame, self.convert, &mut converted)?;
        self.rgb.resize(self.width * self.height * 3, 0);
        let mut scratch = std::mem::take(&mut self.scratch);
        write_hwc(
            &view,
            self.height,
            self.width,
            self.channels,
            &mut self.rgb,
            0,
            self.width * 3,
            &mut scratch,
        );
        self.scratch = scratch;
        let result = match self.encoder.as_mut() {
            Some(StreamEncoder::Gif(e)) => e.push_frame(&self.rgb).map_err(encoder_error("gif")),
            Some(StreamEncoder::Mp4(e)) => e.push_frame(&self.rgb).map_err(encoder_error("mp4")),
            Some(StreamEncoder::Webm(e)) => e.push_frame(&self.rgb).map_err(encoder_error("webm")),
            Some(StreamEncoder::H264(_)) | None => Ok(()),
        };
        match result {
            Ok(()) => {
                self.frames += 1;
                Ok(())
            }
            Err(e) => {
                self.encoder = None;
                Err(e)
            }
        }
    }

    /// Appends audio to the video's audio track (MP4 writers only, frames or H.264
    /// pass-through): a 1-D (mono) or 2-D (frames, channels) tensor with 1 or 2 channels (see
    /// [`audio_pcm`]) at `sample_rate` Hz. The first call fixes the channel count and rate;
    /// later calls must match. Audio and frames may be pushed in any order: the audio track
    /// starts at time 0 and is as long as all the audio pushed. Encoded as it arrives
    /// (memory does not grow with its length). Bad input is rejected and the writer stays
    /// usable.
    pub fn push_audio(&mut self, audio: &TensorView<'_>, sample_rate: u32) -> Result<()> {
        match &self.encoder {
            Some(StreamEncoder::Mp4(_)) | Some(StreamEncoder::H264(_)) => {}
            Some(_) => check_audio_format(self.format)?,
            None => {
                return Err(Error::state(
                    "video writer: an earlier frame or audio block failed to encode; the writer can only be finished or freed",
                ))
            }
        }
        let (pcm, channels) = audio_pcm(audio)?;
        if let Some(a) = &self.audio {
            if a.channels() != channels || a.sample_rate() != sample_rate {
                return Err(Error::invalid(format!(
                    "audio: {channels} channel(s) at {sample_rate} Hz, but this video's audio track is {} channel(s) at {} Hz (the first push_audio fixes both)",
                    a.channels(),
                    a.sample_rate()
                )));
            }
        } else {
            self.audio = Some(AudioEncoder::new(channels, sample_rate).map_err(audio_error)?);
        }
        let result = match self.audio.as_mut() {
            Some(a) => a.push(&pcm).map_err(audio_error),
            None => Ok(()),
        };
        if result.is_err() {
            self.encoder = None;
        }
        result
    }

    /// Packed 8-bit `(height, width, channels)` pixels, row-major: the common case.
    pub fn push_u8(&mut self, pixels: &[u8]) -> Result<()> {
        let t = TensorView::new(pixels, DType::U8, &[self.height, self.width, self.channels])?;
        if pixels.len() != t.numel() {
            return Err(Error::invalid(format!(
                "frame has {} bytes, expected height × width × channels = {}",
                pixels.len(),
                t.numel()
            )));
        }
        self.push(&t)
    }

    /// Finishes the file and returns the video (width/height = the frame size).
    pub fn finish(mut self) -> Result<Video> {
        if let Some(StreamEncoder::H264(m)) = self.encoder.as_mut() {
            // the end of a chunked byte stream: its last access unit
            m.flush_bytes();
            self.frames = m.frame_count();
        }
        if self.frames == 0 {
            return Err(Error::invalid(
                "video writer: no frames were pushed (a video needs at least one frame)",
            ));
        }
        let (mut width, mut height) = (self.width as u32, self.height as u32);
        let audio: Option<AudioTrack> = match self.audio {
            Some(a) => Some(a.finish().map_err(audio_error)?),
            None => None,
        };
        let bytes = match self.encoder {
            Some(StreamEncoder::H264(m)) => {
                (width, height) = m.size().unwrap_or((width, height));
                m.finish_with_audio(audio).map_err(Error::invalid)?
            }
            Some(StreamEncoder::Gif(e)) => e.finish().map_err(encoder_error("gif"))?,
            Some(StreamEncoder::Mp4(e)) => {
                e.finish_with_audio(audio).map_err(encoder_error("mp4"))?
            }
            Some(StreamEncoder::Webm(e)) => e.finish().map_err(encoder_error("webm"))?,
            None => {
                return Err(Error::new(
                    ErrorKind::State,
                    "video writer: an earlier frame failed to encode; no video was produced",
                ))
            }
        };
        Ok(Video {
            file: MediaFile::new(bytes, format!(".{}", self.format.name())),
            format: self.format,
            width: Some(width),
            height: Some(height),
            caption: None,
        })
    }
}

/// Encoded H.264 pass-through (no decoding, no re-encoding): see
/// [`crate::encode::mp4::h264in`].
impl Video {
    /// A whole Annex-B or AVCC H.264 stream → MP4, with one presentation timestamp per
    /// access unit (`pts`, in `opts.timescale` ticks; empty with timescale 0 = constant
    /// `opts.fps`) and optionally decode timestamps (`dts`, empty = derived from `pts`).
    /// JSON width/height come from the SPS.
    pub fn from_h264(data: &[u8], opts: H264Options, pts: &[i64], dts: &[i64]) -> Result<Video> {
        let mut m = H264Muxer::new(opts).map_err(Error::invalid)?;
        m.push_stream(data, pts, dts).map_err(Error::invalid)?;
        let (w, h) = m.size().unwrap_or((0, 0));
        let bytes = m.finish().map_err(Error::invalid)?;
        Ok(Video {
            file: MediaFile::new(bytes, ".mp4"),
            format: VideoFormat::Mp4,
            width: Some(w),
            height: Some(h),
            caption: None,
        })
    }
}

impl VideoWriter {
    /// A streaming writer that muxes encoded H.264 access units ([`VideoWriter::push_h264`])
    /// into an MP4 without re-encoding; [`VideoWriter::finish`] as for frames.
    pub fn new_h264(opts: H264Options) -> Result<VideoWriter> {
        let m = H264Muxer::new(opts).map_err(Error::invalid)?;
        Ok(VideoWriter {
            encoder: Some(StreamEncoder::H264(Box::new(m))),
            format: VideoFormat::Mp4,
            width: 0,
            height: 0,
            channels: 3,
            convert: Convert::Auto,
            frames: 0,
            rgb: Vec::new(),
            scratch: Vec::new(),
            audio: None,
        })
    }

    /// Adds one encoded access unit (Annex-B or AVCC, per the writer's framing) with its
    /// presentation timestamp and optional decode timestamp. Bad input (not an access unit,
    /// a non-IDR first picture, timestamps going back) is rejected and the writer stays
    /// usable.
    pub fn push_h264(&mut self, data: &[u8], pts: i64, dts: Option<i64>) -> Result<()> {
        match self.encoder.as_mut() {
            Some(StreamEncoder::H264(m)) => {
                m.push(data, pts, dts).map_err(Error::invalid)?;
                self.frames += 1;
                Ok(())
            }
            _ => Err(Error::invalid(
                "video writer: push_h264 needs a writer made with new_h264 (wb_video_writer_new_h264)",
            )),
        }
    }

    /// Adds the next chunk of an Annex-B byte stream, cut anywhere: access units are split
    /// inside the library (see [`H264Muxer::push_bytes`]); the display order comes from the
    /// slice headers, so the writer must be made with timescale 0. An access unit that is
    /// refused is dropped (the error is returned by the push that completed it) and the
    /// writer stays usable.
    pub fn push_h264_bytes(&mut self, chunk: &[u8]) -> Result<()> {
        match self.encoder.as_mut() {
            Some(StreamEncoder::H264(m)) => {
                let r = m.push_bytes(chunk).map_err(Error::invalid);
                self.frames = m.frame_count();
                r
            }
            _ => Err(Error::invalid(
                "video writer: push_h264_bytes needs a writer made with new_h264 (wb_video_writer_new_h264)",
            )),
        }
    }
}

impl Media for Video {
    fn class_name(&self) -> &'static str {
        "Video"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/videos", &self.file)?;
        let mut m = file_json(self.caption.as_ref(), "video-file", &self.file, path);
        if let Some(w) = self.width {
            m.push(("width".into(), Json::Int(w as i64)));
        }
        if let Some(h) = self.height {
            m.push(("height".into(), Json::Int(h as i64)));
        }
        Ok(Json::Object(m))
    }
    /// §15.2: `captions` is always present — `false` unless the first video has a caption,
    /// then every caption with `null` for missing ones. No pruning.
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let mut videos = Vec::with_capacity(items.len());
        for item in items {
            let v: &Video = downcast(item)?;
            videos.push(v.to_json(ctx)?);
        }
        Ok(Json::object([
            ("_type", Json::str("videos")),
            ("count", Json::Int(items.len() as i64)),
            ("videos", Json::Array(videos)),
            ("captions", first_caption_rule(items)),
        ]))
    }
    media_caption_methods!();
    /// `Video.to_json(artifact)`: the file entry plus width/height when known.
    fn artifact_json(&self, files: &mut crate::media::table::ArtifactFiles) -> Result<Json> {
        let mut m = crate::media::file_artifact_json(
            self.caption.as_ref(),
            "media/videos",
            "video-file",
            &self.file,
            files,
        );
        if let Some(w) = self.width {
            m.push(("width".into(), Json::Int(w as i64)));
        }
        if let Some(h) = self.height {
            m.push(("height".into(), Json::Int(h as i64)));
        }
        Ok(Json::Object(m))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_matches_the_sdk_table() {
        // §6.2 step 4, verified values.
        let table = [
            (1, (1, 1)),
            (2, (1, 2)),
            (3, (1, 4)),
            (4, (2, 2)),
            (5, (2, 4)),
            (6, (2, 4)),
            (8, (2, 4)),
            (9, (2, 8)),
            (16, (4, 4)),
            (17, (4, 8)),
            (32, (4, 8)),
        ];
        for (b, want) in table {
            assert_eq!(grid(b), want, "B = {b}");
        }
    }

    #[test]
    fn shape_errors_follow_the_sdk() {
        let e = Geometry::of(&[4, 8, 8], Layout::ChannelsFirst).unwrap_err();
        assert_eq!(
            e.message,
            "Video must be at least 4 dimensions: time, channels, height, width"
        );
        let e = Geometry::of(&[2, 1, 8, 8], Layout::ChannelsFirst).unwrap_err();
        assert!(e
            .message
            .contains("Can't write images with one color channel."));
        assert!(Geometry::of(&[2, 8, 8, 1], Layout::ChannelsLast).is_err());
        assert!(Geometry::of(&[2, 2, 8, 8], Layout::ChannelsFirst).is_err());
        assert!(Geometry::of(&[0, 3, 8, 8], Layout::ChannelsFirst).is_err());
        assert!(Geometry::of(&[0, 1, 3, 8, 8], Layout::ChannelsFirst).is_err());
        assert!(Geometry::of(&[1, 1, 1, 3, 8, 8], Layout::ChannelsFirst).is_err());
        let g = Geometry::of(&[3, 6, 4, 16, 10], Layout::ChannelsFirst).unwrap();
        assert_eq!((g.out_width(), g.out_height(), g.channels), (40, 16, 4));
        let g = Geometry::of(&[6, 16, 10, 3], Layout::ChannelsLast).unwrap();
        assert_eq!((g.out_width(), g.out_height(), g.frames), (10, 16, 6));
    }

    #[test]
    fn audio_pcm_converts_like_the_wav_of_wandb_audio() {
        let f: Vec<u8> = [0.5f32, -1.0, f32::NAN, 1.5, 1.0, -0.25]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let t = TensorView::new(&f, DType::F32, &[3, 2]).unwrap();
        let (pcm, ch) = audio_pcm(&t).unwrap();
        assert_eq!(ch, 2);
        assert_eq!(pcm, vec![16384, -32768, -32768, 32767, 32767, -8192]);
        // the same samples as the WAV of wb_audio_from_tensor
        let wav = crate::media::audio::Audio::from_tensor(&t, Some(8000)).unwrap();
        let wav_pcm: Vec<i16> = wav.file.bytes[44..]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(pcm, wav_pcm);
        let i: Vec<u8> = [65536i32 * 3, -65536]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let t = TensorView::new(&i, DType::I32, &[2]).unwrap();
        assert_eq!(audio_pcm(&t).unwrap(), (vec![3, -1], 1));
        // refused: 3 channels, no samples, 3-D, uint8
        let z = [0u8; 24];
        let three = TensorView::new(&z, DType::I16, &[4, 3]).unwrap();
        assert!(audio_pcm(&three)
            .unwrap_err()
            .message
            .contains("1 (mono) or 2 (stereo)"));
        assert!(audio_pcm(&TensorView::new(&z, DType::I16, &[0, 2]).unwrap()).is_err());
        assert!(audio_pcm(&TensorView::new(&z, DType::I16, &[2, 2, 3]).unwrap()).is_err());
        assert!(audio_pcm(&TensorView::new(&z, DType::U8, &[24]).unwrap())
            .unwrap_err()
            .message
            .contains("dtype must be one of"));
    }

    #[test]
    fn audio_is_refused_where_it_cannot_go() {
        let z = [0u8; 3200];
        let a = TensorView::new(&z, DType::I16, &[1600]).unwrap();
        let t = [0u8; 2 * 3 * 4 * 4];
        let v = TensorView::new(&t, DType::U8, &[2, 3, 4, 4]).unwrap();
        let opts = VideoOptions::default();
        let gif = Video::from_tensor_with_audio(&v, VideoFormat::Gif, &opts, Some((&a, 16_000)));
        assert_eq!(gif.unwrap_err().kind, ErrorKind::InvalidArgument);
        let mut w = VideoWriter::new(4, 4, 3, 4, VideoFormat::Gif, Convert::Auto).unwrap();
        assert_eq!(
            w.push_audio(&a, 16_000).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        if crate::encode::webm::AVAILABLE {
            let webm =
                Video::from_tensor_with_audio(&v, VideoFormat::Webm, &opts, Some((&a, 16_000)));
            assert_eq!(webm.unwrap_err().kind, ErrorKind::Unsupported);
        }
        if crate::encode::h264_backend::AVAILABLE {
            let r = Video::from_tensor_with_audio(&v, VideoFormat::Mp4, &opts, Some((&a, 500)));
            assert_eq!(r.unwrap_err().kind, ErrorKind::InvalidArgument);
            let r = Video::from_tensor_with_audio(&v, VideoFormat::Mp4, &opts, Some((&a, 16_000)));
            match crate::encode::mp4::audio::AVAILABLE {
                true => assert!(r.is_ok()),
                false => assert_eq!(r.unwrap_err().kind, ErrorKind::Unsupported),
            }
            // the writer: the first block fixes channels and rate; a mismatch leaves it usable
            let mut w = VideoWriter::new(4, 4, 3, 4, VideoFormat::Mp4, Convert::Auto).unwrap();
            w.push_u8(&[7u8; 48]).unwrap();
            if crate::encode::mp4::audio::AVAILABLE {
                w.push_audio(&a, 16_000).unwrap();
                let stereo = TensorView::new(&z, DType::I16, &[800, 2]).unwrap();
                assert_eq!(
                    w.push_audio(&stereo, 16_000).unwrap_err().kind,
                    ErrorKind::InvalidArgument
                );
                assert!(w.push_audio(&a, 8_000).is_err());
                w.push_audio(&a, 16_000).unwrap();
                let v = w.finish().unwrap();
                let b = v.file.bytes.as_slice();
                assert!(b.windows(4).any(|w| w == b"dOps"));
            }
        }
    }

    #[test]
    fn formats_are_case_sensitive() {
        assert_eq!(VideoFormat::parse("mp4").unwrap(), VideoFormat::Mp4);
        assert_eq!(
            VideoFormat::parse("GIF").unwrap_err().message,
            "wandb.Video accepts gif, mp4, webm, ogg formats"
        );
        assert!(VideoFormat::parse("avi").is_err());
        let t = [0u8; 2 * 3 * 4 * 4];
        let v = TensorView::new(&t, DType::U8, &[2, 3, 4, 4]).unwrap();
        let unsupported: &[VideoFormat] = if crate::encode::webm::AVAILABLE {
            &[VideoFormat::Ogg]
        } else {
            &[VideoFormat::Webm, VideoFormat::Ogg]
        };
        for &f in unsupported {
            let e = Video::from_tensor(&v, f, &VideoOptions::default()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Unsupported, "{f:?}");
            assert!(e.message.contains(f.name()));
        }
    }
}
