//! C ABI: videos (tensors, files) and the streaming video writer.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::image::{convert_of, wb_convert};
use super::value::{new_value, wb_value};
use super::{
    deref_mut, field_present, guard, guard_void, null_arg, tensor_view, utf8_arg, wb_error,
    wb_status, wb_tensor, write_out,
};
use crate::error::{Error, Result};
use crate::media::image::Convert;
use crate::media::video::{Layout, Video, VideoFormat, VideoOptions, VideoQuality, VideoWriter};
use crate::value::Value;

/// Video container format.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_video_format {
    /// Not chosen (the default): an error, as the SDK requires `format=` for array input.
    WB_VIDEO_FORMAT_UNSET = 0,
    /// Animated GIF89a, infinite loop.
    WB_VIDEO_GIF = 1,
    /// H.264 MP4 (browser-playable, `moov` first).
    WB_VIDEO_MP4 = 2,
    /// VP8 WebM (what the SDK's moviepy writes for webm), browser-playable. A build without
    /// the `webm` cargo feature (e.g. cross builds) returns `WB_ERR_UNSUPPORTED` for it.
    WB_VIDEO_WEBM = 3,
    /// Accepted by the SDK but not encodable (the SDK fails too): `WB_ERR_UNSUPPORTED`.
    WB_VIDEO_OGG = 4,
}

/// Axis order of a video tensor.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_video_layout {
    /// (T,C,H,W) or (B,T,C,H,W), as `wandb.Video` takes it (default).
    WB_VIDEO_CHANNELS_FIRST = 0,
    /// (T,H,W,C) or (B,T,H,W,C), as engines hand out frames.
    WB_VIDEO_CHANNELS_LAST = 1,
}

/// Options of `wb_video_from_tensor` and `wb_video_writer_new` (the one place where fps and
/// format are given).
/// Always start from `wb_video_options_default()` (it sets `struct_size`, so later library
/// versions can add fields compatibly), then set `format`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_video_options {
    /// `sizeof(wb_video_options)` as compiled by the caller.
    pub struct_size: usize,
    /// Frames per second; 0 means 4 (the SDK's `fps or 4`).
    pub fps: u32,
    /// Required for tensors: `WB_VIDEO_GIF`, `WB_VIDEO_MP4` or `WB_VIDEO_WEBM`.
    pub format: wb_video_format,
    pub layout: wb_video_layout,
    /// How non-uint8 data becomes 8-bit. `WB_CONVERT_CAST` is exactly wandb 0.31 (a float
    /// video in [0, 1] becomes black); the default `WB_CONVERT_AUTO` rescales float data.
    pub convert: wb_convert,
    /// MP4/WebM target bitrate in kbit/s (1..=1000000); 0 (default) = constant quality.
    /// Ignored by GIF and by lossless odd-size MP4. Since 0.2.0 (with the two below).
    pub bitrate_kbps: u32,
    /// MP4/WebM constant quality, CRF-like on the H.264 QP scale: 1 (best, largest) ..= 51
    /// (smallest); 0 (default) = 24 for MP4 (QP), VP8 quantizer 30 for WebM (crf maps
    /// linearly onto VP8's 0–63). Setting both crf and bitrate_kbps is
    /// `WB_ERR_INVALID_ARGUMENT`. Ignored by GIF and by lossless odd-size MP4.
    pub crf: u32,
    /// MP4/WebM frames from one keyframe to the next (1 = all keyframes); 0 (default) =
    /// two seconds of frames. Ignored by GIF.
    pub keyframe_interval: u32,
}

/// Default video options: fps 4, format UNSET (must be set), channels-first, convert AUTO,
/// quality controls 0 (encoder defaults). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_video_options_default() -> wb_video_options {
    wb_video_options {
        struct_size: size_of::<wb_video_options>(),
        fps: 4,
        format: wb_video_format::WB_VIDEO_FORMAT_UNSET,
        layout: wb_video_layout::WB_VIDEO_CHANNELS_FIRST,
        convert: wb_convert::WB_CONVERT_AUTO,
        bitrate_kbps: 0,
        crf: 0,
        keyframe_interval: 0,
    }
}

/// The C enum value of a format → the Rust format; UNSET gives the SDK's message.
fn format_of(v: i32, source: &str) -> Result<VideoFormat> {
    Ok(match v {
        0 => {
            return Err(Error::invalid(format!(
                "wandb.Video requires a `format` argument when initializing with {source}."
            )))
        }
        1 => VideoFormat::Gif,
        2 => VideoFormat::Mp4,
        3 => VideoFormat::Webm,
        4 => VideoFormat::Ogg,
        other => {
            return Err(Error::invalid(format!(
                "format: unknown wb_video_format value {other}"
            )))
        }
    })
}

/// A caller's options, read.
struct Options {
    fps: u32,
    format: i32,
    layout: Layout,
    convert: Convert,
    quality: VideoQuality,
}

/// Reads a caller's options (older, smaller structs: missing fields keep their defaults).
unsafe fn read_options(p: *const wb_video_options) -> Result<Options> {
    let d = VideoOptions::default();
    let (mut fps, mut format, mut layout, mut convert) = (d.fps, 0, d.layout, d.convert);
    let mut quality = VideoQuality::default();
    if p.is_null() {
        return Ok(Options {
            fps,
            format,
            layout,
            convert,
            quality,
        });
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe {
        super::versioned_size::<wb_video_options>(
            std::ptr::addr_of!((*p).struct_size),
            offset_of!(wb_video_options, convert) + 4,
            "options",
        )
    }?;
    if field_present(size, offset_of!(wb_video_options, fps), 4) {
        fps = unsafe { std::ptr::addr_of!((*p).fps).read_unaligned() };
    }
    macro_rules! field {
        ($f:ident) => {
            versioned_enum_field!(p, size, wb_video_options, $f)
        };
    }
    if let Some(f) = field!(format) {
        format = f;
    }
    if let Some(l) = field!(layout) {
        layout = match l {
            0 => Layout::ChannelsFirst,
            1 => Layout::ChannelsLast,
            v => return Err(Error::invalid(format!("options.layout: unknown value {v}"))),
        };
    }
    if let Some(c) = field!(convert) {
        convert = convert_of(c)?;
    }
    macro_rules! u32_field {
        ($f:ident) => {
            if field_present(size, offset_of!(wb_video_options, $f), 4) {
                // SAFETY: the field lies inside the caller's `size` readable bytes.
                quality.$f = unsafe { std::ptr::addr_of!((*p).$f).read_unaligned() };
            }
        };
    }
    u32_field!(bitrate_kbps);
    u32_field!(crf);
    u32_field!(keyframe_interval);
    quality
        .validate()
        .map_err(|e| Error::invalid(format!("options.{e}")))?;
    Ok(Options {
        fps,
        format,
        layout,
        convert,
        quality,
    })
}

/// Parses a format name exactly as `wandb.Video(format=)` does: `"gif"`, `"mp4"`, `"webm"`,
/// `"ogg"`, case-sensitive; anything else is `WB_ERR_INVALID_ARGUMENT` ("wandb.Video accepts
/// gif, mp4, webm, ogg formats"). `*out` is written only on success. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_video_format_from_name(
    name: *const c_char,
    out: *mut wb_video_format,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let name = unsafe { utf8_arg(name, "name") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let f = match VideoFormat::parse(name)? {
            VideoFormat::Gif => wb_video_format::WB_VIDEO_GIF,
            VideoFormat::Mp4 => wb_video_format::WB_VIDEO_MP4,
            VideoFormat::Webm => wb_video_format::WB_VIDEO_WEBM,
            VideoFormat::Ogg => wb_video_format::WB_VIDEO_OGG,
        };
        // SAFETY: `out` is non-NULL and points at a writable wb_video_format.
        unsafe { *out = f };
        Ok(())
    })
}

/// Creates a video from a tensor like `wandb.Video(array, format=, fps=)`: (T,C,H,W) or
/// (B,T,C,H,W) channels-first (or channels-last with `WB_VIDEO_CHANNELS_LAST`), any
/// strides (no copy needed), C = 3 or 4 (alpha dropped). A batch is padded with black
/// videos to a power of two and tiled into one video; JSON width/height are the tiled size.
/// `options` must set `format` (the SDK requires it; NULL options → that error). The data is
/// read and encoded during the call only. Free with `wb_value_free`.
/// Thread-safe: encodes on the calling thread with no shared state.
#[no_mangle]
pub unsafe extern "C" fn wb_video_from_tensor(
    tensor: *const wb_tensor,
    options: *const wb_video_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let o = unsafe { read_options(options) }?;
        let format = format_of(o.format, "a numpy array")?;
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        let opts = VideoOptions {
            fps: o.fps,
            layout: o.layout,
            convert: o.convert,
            quality: o.quality,
        };
        new_value(out, || {
            Ok(Value::from(Video::from_tensor(&t, format, &opts)?))
        })
    })
}

/// `wb_video_from_tensor` plus an audio track (since 0.2.0): `audio` is PCM like
/// `wb_audio_from_tensor` takes it — 1-D (mono) or 2-D (frames, channels), dtype float32,
/// float64, bfloat16, int16 or int32, any strides — but with 1 or 2 channels (more is
/// `WB_ERR_INVALID_ARGUMENT`: downmix first), converted to 16-bit exactly as the WAV of
/// `wb_audio_from_tensor` (floats `floor(x·32768)` clipped, NaN → −32768). `sample_rate`:
/// 1000 … 384000 Hz (resampled to 48 kHz). `options.format` must be `WB_VIDEO_MP4` (GIF:
/// `WB_ERR_INVALID_ARGUMENT`, WebM: `WB_ERR_UNSUPPORTED`). The audio becomes an Opus track
/// (libopus, ~64 kbit/s per channel) starting at time 0, as long as the audio (it may be
/// shorter or longer than the video). A build without the `opus` cargo feature (cross
/// builds) returns `WB_ERR_UNSUPPORTED`. Both tensors are read during the call only;
/// `audio` must not be NULL (use `wb_video_from_tensor` for a silent video). `*out`: free
/// with `wb_value_free`. Thread-safe: no shared state.
#[no_mangle]
pub unsafe extern "C" fn wb_video_from_tensor_with_audio(
    tensor: *const wb_tensor,
    options: *const wb_video_options,
    audio: *const wb_tensor,
    sample_rate: u32,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let o = unsafe { read_options(options) }?;
        let format = format_of(o.format, "a numpy array")?;
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        if audio.is_null() {
            return Err(null_arg(
                "audio (use wb_video_from_tensor for a video without sound)",
            ));
        }
        let a = unsafe { tensor_view(audio, "audio") }?;
        let opts = VideoOptions {
            fps: o.fps,
            layout: o.layout,
            convert: o.convert,
            quality: o.quality,
        };
        new_value(out, || {
            Ok(Value::from(Video::from_tensor_with_audio(
                &t,
                format,
                &opts,
                Some((&a, sample_rate)),
            )?))
        })
    })
}

/// Creates a video from a file (UTF-8 path) whose extension, lower-cased, is gif, mp4, webm
/// or ogg: read now, later copied unchanged with the extension's case kept (`clip.MP4` →
/// `.MP4`); no width/height in the JSON (as in the SDK). Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_from_file(
    path: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        new_value(out, || {
            Ok(Value::from(Video::from_file(std::path::Path::new(path))?))
        })
    })
}

/// A streaming video encoder: frames are encoded as they are pushed, so memory does not grow
/// with the number of frames.
///
/// Ownership: created by `wb_video_writer_new`; consumed by `wb_video_writer_finish` (also on
/// error) or released with `wb_video_writer_free`. Thread-safety: a writer may be used from
/// any thread but by one thread at a time; different writers are independent and may encode
/// concurrently (no global encoder state).
pub struct wb_video_writer {
    pub(crate) inner: VideoWriter,
}

/// Starts a streaming video of `height × width` frames (shape order, as everywhere in this
/// API) with `channels` 3 (RGB) or 4 (RGBA, alpha dropped). Everything else comes from
/// `options` (required, like `wb_video_from_tensor`): `format` (`WB_VIDEO_GIF`,
/// `WB_VIDEO_MP4` or `WB_VIDEO_WEBM`; UNSET is an error), `fps` (0 → 4), `convert` (how
/// non-uint8 frames become 8-bit; per frame) and the quality controls; `layout` is not used (frames are (H,W,C) tensors with any
/// strides). `*out`: free with `wb_video_writer_free` or consume with
/// `wb_video_writer_finish`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_new(
    height: usize,
    width: usize,
    channels: usize,
    options: *const wb_video_options,
    out: *mut *mut wb_video_writer,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        if options.is_null() {
            return Err(null_arg("options (set options.format)"));
        }
        let o = unsafe { read_options(options) }?;
        let format = format_of(o.format, "frames (options.format)")?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let inner = VideoWriter::with_quality(
            height, width, channels, o.fps, format, o.convert, o.quality,
        )?;
        unsafe { write_out(out, wb_video_writer { inner }) };
        Ok(())
    })
}

/// Encodes one frame: a (height, width, channels) tensor of any dtype and any strides (a
/// (C,H,W) buffer can be passed with strides {W, 1, H·W}). The data is only read during the
/// call. A frame of the wrong shape is rejected (`WB_ERR_INVALID_ARGUMENT`) and the writer
/// stays usable; if the encoder fails, later pushes return `WB_ERR_STATE`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_push(
    writer: *mut wb_video_writer,
    frame: *const wb_tensor,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let w = unsafe { deref_mut(writer, "writer") }?;
        let t = unsafe { tensor_view(frame, "frame") }?;
        w.inner.push(&t)
    })
}

/// Appends audio to the video's audio track (since 0.2.0): MP4 writers only
/// (`wb_video_writer_new` with `WB_VIDEO_MP4`, or `wb_video_writer_new_h264`; GIF is
/// `WB_ERR_INVALID_ARGUMENT`, WebM `WB_ERR_UNSUPPORTED`). `audio` as for
/// `wb_video_from_tensor_with_audio` (1-D mono or 2-D (frames, channels) with 1 or 2
/// channels, any dtype `wb_audio_from_tensor` takes, any strides; read during the call only),
/// `sample_rate` 1000 … 384000 Hz. The first call fixes the channel count and rate; a later
/// call with others is `WB_ERR_INVALID_ARGUMENT`. Blocks are appended back to back: the
/// track starts at time 0 and is as long as all the audio pushed, independent of how many
/// frames were pushed in between. Encoded to Opus as it arrives (memory does not grow with
/// its length). Bad input leaves the writer usable; an encoder failure breaks it (later
/// calls: `WB_ERR_STATE`). Without the `opus` cargo feature: `WB_ERR_UNSUPPORTED`.
/// Thread-safety: as for `wb_video_writer_push` (one thread at a time per writer).
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_push_audio(
    writer: *mut wb_video_writer,
    audio: *const wb_tensor,
    sample_rate: u32,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let w = unsafe { deref_mut(writer, "writer") }?;
        let a = unsafe { tensor_view(audio, "audio") }?;
        w.inner.push_audio(&a, sample_rate)
    })
}

/// Finishes the video and returns it as a value that logs like any video (JSON width/height
/// = the frame size; set a caption with `wb_value_set_caption`). The writer is consumed and
/// freed in every case, also on error and when `out` is NULL: do not use or free it again.
/// At least one frame must have been pushed. Free `*out` with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_finish(
    writer: *mut wb_video_writer,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        if writer.is_null() {
            return Err(null_arg("writer"));
        }
        // SAFETY: `writer` came from Box::into_raw in wb_video_writer_new; it is taken over
        // here exactly once (the caller must not use it again).
        let w = unsafe { Box::from_raw(writer) };
        if out.is_null() {
            return Err(null_arg("out"));
        }
        new_value(out, || Ok(Value::from(w.inner.finish()?)))
    })
}

/// Frees an unfinished writer (the partial video is discarded). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_free(writer: *mut wb_video_writer) {
    if writer.is_null() {
        return;
    }
    // SAFETY: `writer` came from Box::into_raw in this library and is freed once.
    guard_void(|| drop(unsafe { Box::from_raw(writer) }));
}
