//! C ABI: encoded H.264 pass-through (`wb_video_from_h264`, `wb_video_writer_new_h264`,
//! `wb_video_writer_push_h264`): already-encoded H.264 (NVENC, VAAPI, cameras, ROS
//! `CompressedVideo`) muxed into a browser-playable, `moov`-first MP4 without re-encoding.

use std::mem::{offset_of, size_of};

use super::value::{new_value, wb_value};
use super::video::wb_video_writer;
use super::{deref_mut, field_present, guard, null_arg, wb_error, wb_status, write_out};
use crate::encode::mp4::h264in::{Framing, H264Options};
use crate::error::{Error, Result};
use crate::media::video::{Video, VideoWriter};
use crate::value::Value;

/// How the NAL units of encoded H.264 input are delimited.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_video_h264_framing {
    /// Detect per buffer: Annex-B if it starts with a start code that does not also parse as
    /// AVCC length prefixes (the default).
    WB_H264_FRAMING_AUTO = 0,
    /// Annex-B: NAL units after `00 00 01` / `00 00 00 01` start codes (`.h264` files,
    /// NVENC/VAAPI output, ROS `CompressedVideo` "h264").
    WB_H264_FRAMING_ANNEXB = 1,
    /// AVCC: NAL units after 4-byte big-endian lengths (or the length size of an `avcC`
    /// record given as `config`), as stored in MP4/Matroska.
    WB_H264_FRAMING_AVCC = 2,
}

/// Options of `wb_video_from_h264` and `wb_video_writer_new_h264`. Always start from
/// `wb_video_h264_options_default()` (it sets `struct_size`, so later library versions can
/// add fields compatibly).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_video_h264_options {
    /// `sizeof(wb_video_h264_options)` as compiled by the caller.
    pub struct_size: usize,
    pub framing: wb_video_h264_framing,
    /// Ticks per second of the timestamps (e.g. 90000, or 1000000 for microseconds).
    /// 0 (the default) ignores timestamps: frames are `1/fps` apart in presentation order,
    /// which is derived from the stream as a decoder does (the picture order count in the
    /// slice headers, `pic_order_cnt_type` 0, 1 or 2), so B-frames and open GOPs of a raw
    /// `.h264` stream are shown in the right order. A stream whose order cannot be derived
    /// (two pictures with one picture order count, an unreadable slice header) is refused
    /// with `WB_ERR_INVALID_ARGUMENT`.
    pub timescale: u32,
    /// Frame rate when `timescale` is 0, and the duration of a one-frame video; 0 → 30.
    pub fps: u32,
    /// Optional decoder configuration, read during the call: an `avcC` record (MP4/MKV
    /// extradata, first byte 1) or Annex-B SPS/PPS NAL units. NULL/0 when the stream carries
    /// SPS/PPS in-band before its first picture (what encoders and cameras do).
    pub config: *const u8,
    pub config_len: usize,
}

/// Default pass-through options: framing AUTO, timescale 0 (no timestamps), fps 30, no
/// config. Thread-safe.
#[no_mangle]
pub extern "C" fn wb_video_h264_options_default() -> wb_video_h264_options {
    wb_video_h264_options {
        struct_size: size_of::<wb_video_h264_options>(),
        framing: wb_video_h264_framing::WB_H264_FRAMING_AUTO,
        timescale: 0,
        fps: 30,
        config: std::ptr::null(),
        config_len: 0,
    }
}

/// `len` bytes at `p` (NULL allowed only for 0 bytes).
unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null_arg(name));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{name}: length {len} too large")));
    }
    // SAFETY: the caller passes `len` readable bytes at non-NULL `p`, as documented.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

unsafe fn ts_arg<'a>(p: *const i64, n: usize, name: &str) -> Result<&'a [i64]> {
    if p.is_null() || n == 0 {
        return Ok(&[]);
    }
    if n > isize::MAX as usize / 8 {
        return Err(Error::invalid(format!("{name}: count {n} too large")));
    }
    // SAFETY: the caller passes `n` readable int64_t at non-NULL `p`, as documented.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Reads a caller's options (NULL → defaults).
unsafe fn read_h264_options(p: *const wb_video_h264_options) -> Result<H264Options> {
    let mut o = H264Options::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe {
        super::versioned_size::<wb_video_h264_options>(
            std::ptr::addr_of!((*p).struct_size),
            size_of::<wb_video_h264_options>(),
            "options",
        )
    }?;
    if let Some(f) = versioned_enum_field!(p, size, wb_video_h264_options, framing) {
        o.framing = match f {
            0 => Framing::Auto,
            1 => Framing::AnnexB,
            2 => Framing::Avcc,
            v => {
                return Err(Error::invalid(format!(
                    "options.framing: unknown value {v}"
                )))
            }
        };
    }
    if field_present(size, offset_of!(wb_video_h264_options, timescale), 4) {
        // SAFETY: inside the caller's struct.
        o.timescale = unsafe { std::ptr::addr_of!((*p).timescale).read_unaligned() };
    }
    if field_present(size, offset_of!(wb_video_h264_options, fps), 4) {
        // SAFETY: inside the caller's struct.
        let fps = unsafe { std::ptr::addr_of!((*p).fps).read_unaligned() };
        o.fps = if fps == 0 { 30 } else { fps };
    }
    // SAFETY: inside the caller's struct (the whole v1 struct is present).
    let (cp, cl) = unsafe {
        (
            std::ptr::addr_of!((*p).config).read_unaligned(),
            std::ptr::addr_of!((*p).config_len).read_unaligned(),
        )
    };
    o.config = unsafe { bytes_arg(cp, cl, "options.config") }?.to_vec();
    Ok(o)
}

/// Muxes a whole encoded H.264 stream (`len` bytes at `data`, Annex-B or AVCC per
/// `options.framing`) into a browser-playable MP4 video without re-encoding: the stream is
/// split into access units (pictures); SPS/PPS come from the stream (or `options.config`);
/// the first picture must be an IDR (else `WB_ERR_INVALID_ARGUMENT`); the NAL units are
/// stored unchanged. Timestamps (with `options.timescale` > 0): `pts[count]` presentation
/// times, one per access unit in stream (decode) order, and optionally `dts[count]` decode
/// times (NULL: derived from the pts, which handles B-frames); `count` must equal the number
/// of access units. With timescale 0, `pts`/`dts` are ignored and frames are `1/fps` apart
/// in the presentation order read from the slice headers (B-frames reordered).
/// JSON width/height come from the SPS (cropping applied). Everything is read during the
/// call only. Free `*out` with `wb_value_free`. Thread-safe (no shared state).
#[no_mangle]
pub unsafe extern "C" fn wb_video_from_h264(
    data: *const u8,
    len: usize,
    pts: *const i64,
    dts: *const i64,
    count: usize,
    options: *const wb_video_h264_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let data = unsafe { bytes_arg(data, len, "data") }?;
        if data.is_empty() {
            return Err(Error::invalid("data: empty H.264 stream"));
        }
        let opts = unsafe { read_h264_options(options) }?;
        let (pts, dts) = if opts.timescale == 0 {
            (&[][..], &[][..])
        } else {
            if pts.is_null() {
                return Err(null_arg("pts (options.timescale > 0)"));
            }
            (unsafe { ts_arg(pts, count, "pts") }?, unsafe {
                ts_arg(dts, count, "dts")
            }?)
        };
        new_value(out, || {
            Ok(Value::from(Video::from_h264(data, opts, pts, dts)?))
        })
    })
}

/// Starts a streaming writer that muxes encoded H.264 access units
/// (`wb_video_writer_push_h264`) into an MP4 without re-encoding; finish it with
/// `wb_video_writer_finish` (JSON width/height from the SPS) or drop it with
/// `wb_video_writer_free`. `options` may be NULL (defaults). Pixel frames
/// (`wb_video_writer_push`) are refused by this writer. Sample data is spooled to an
/// anonymous temporary file beyond 1 MiB, so memory stays ≈16 bytes per frame.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_new_h264(
    options: *const wb_video_h264_options,
    out: *mut *mut wb_video_writer,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let opts = unsafe { read_h264_options(options) }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let inner = VideoWriter::new_h264(opts)?;
        unsafe { write_out(out, wb_video_writer { inner }) };
        Ok(())
    })
}

/// Adds one access unit (one picture, with any SPS/PPS/SEI/AUD before it; `len` bytes at
/// `data`, read during the call) to a writer from `wb_video_writer_new_h264`. `pts`: its
/// presentation time in `options.timescale` ticks (ignored with timescale 0); `dts`: NULL, or
/// its decode time (give it for every access unit or for none; without it B-frame streams
/// get decode times from the sorted pts at finish). Access units go in decode order. Bad
/// input (no picture, a non-IDR first picture, a changed SPS, decode times going back) is
/// `WB_ERR_INVALID_ARGUMENT` and the writer stays usable. Same threading rules as
/// `wb_video_writer_push`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_push_h264(
    writer: *mut wb_video_writer,
    data: *const u8,
    len: usize,
    pts: i64,
    dts: *const i64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let w = unsafe { deref_mut(writer, "writer") }?;
        let data = unsafe { bytes_arg(data, len, "data") }?;
        // SAFETY: NULL or one readable int64_t, as documented.
        let dts = unsafe { dts.as_ref() }.copied();
        w.inner.push_h264(data, pts, dts)
    })
}

/// Adds the next `len` bytes (at `data`, read during the call) of an Annex-B byte stream to
/// a writer from `wb_video_writer_new_h264`, cut anywhere — inside start codes or NAL units
/// too — as cameras, NVENC and RTP depacketisers hand it out. The library splits NAL units
/// and access units itself; an access unit is muxed once the next one begins (the last one
/// at `wb_video_writer_finish`). A byte stream has no timestamps: the writer's
/// `options.timescale` must be 0 (frames `1/fps` apart in the presentation order read from
/// the slice headers, B-frames reordered), else `WB_ERR_INVALID_ARGUMENT`. Cannot be mixed
/// with `wb_video_writer_push_h264` on one writer. Data that is not Annex-B (no leading
/// start code) is refused; an access unit that is refused (e.g. a stream that starts with a
/// non-IDR picture) is dropped, its error returned by the call that completed it, and the
/// writer stays usable (a refused last access unit is dropped at finish with a warning
/// through the log handler). Same threading rules as `wb_video_writer_push`.
#[no_mangle]
pub unsafe extern "C" fn wb_video_writer_push_h264_bytes(
    writer: *mut wb_video_writer,
    data: *const u8,
    len: usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let w = unsafe { deref_mut(writer, "writer") }?;
        let data = unsafe { bytes_arg(data, len, "data") }?;
        w.inner.push_h264_bytes(data)
    })
}
