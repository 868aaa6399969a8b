//! WebM (VP8) encoder, standing in for the SDK's moviepy → ffmpeg/libvpx path of
//! `wandb.Video(..., format="webm")` (moviepy's codec for `.webm` is `libvpx`, i.e. VP8).
//!
//! * Codec: libvpx's VP8 encoder (BSD-3-Clause), linked from the system (Debian
//!   `libvpx-dev`, found with pkg-config) through the `env-libvpx-sys` bindings. VP8 plays
//!   in every browser that plays WebM, and it is what the SDK writes.
//! * Picture: yuv420p with BT.601 limited-range colours (ffmpeg's default rgb24 → yuv420p
//!   conversion, what VP8 decoders assume); odd sizes are fine (chroma rounds up).
//! * Rate control: constant quantizer by default (`crf` 0 → [`DEFAULT_Q`]), or
//!   [`VideoQuality`] bitrate / crf; no look-ahead (`g_lag_in_frames` 0), so every pushed
//!   frame comes out at once and memory does not grow with the frame count beyond the
//!   compressed bytes; a keyframe every two seconds (or `keyframe_interval` frames),
//!   forced by frame index so the interval is exact.
//! * Muxing: [`super::webm_mux`] (deterministic: the same frames give the same bytes;
//!   why it is not libwebm is said there): a cluster per keyframe, Cues, SeekHead and the
//!   Duration.
//!
//! Without the `webm` cargo feature (cross builds) [`WebmEncoder::new`] fails with
//! [`UNSUPPORTED`].

use super::VideoQuality;

/// Error text when the library was built without the `webm` feature.
pub const UNSUPPORTED: &str =
    "format webm: this build of wandb-media has no WebM encoder (built without the `webm` cargo feature)";

/// Whether WebM encoding is compiled in.
pub const AVAILABLE: bool = cfg!(feature = "webm");

/// VP8 quantizer (0–63) used when no crf/bitrate is given: close to the MP4 path's QP 24.
pub const DEFAULT_Q: u32 = 16;
/// Seconds between keyframes by default (as the MP4 path).
#[cfg_attr(not(feature = "webm"), allow(dead_code))]
const GOP_SECONDS: u32 = 2;
/// VP8's largest frame side (14-bit size fields).
const MAX_SIDE: u32 = 16383;

/// crf (H.264 QP scale, 1–51) → VP8 quantizer (0–63), rounded.
pub fn vp8_quantizer(crf: u32) -> u32 {
    if crf == 0 {
        DEFAULT_Q
    } else {
        (crf.min(51) * 63 + 25) / 51
    }
}

/// Frames between keyframes for `fps` and an explicit interval (0 = two seconds).
#[cfg_attr(not(feature = "webm"), allow(dead_code))]
fn keyframe_period(fps: u32, interval: u32) -> u32 {
    if interval > 0 {
        interval
    } else {
        fps.saturating_mul(GOP_SECONDS).max(1)
    }
}

fn check_args(width: u32, height: u32, fps: u32, q: &VideoQuality) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!("webm: invalid frame size {width}x{height}"));
    }
    if fps == 0 || fps > 1_000_000 {
        return Err(format!("webm: invalid fps {fps}"));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "webm: frame size {width}x{height} exceeds VP8's limit of {MAX_SIDE}x{MAX_SIDE}"
        ));
    }
    q.validate().map_err(|e| format!("webm: {e}"))
}

#[cfg(feature = "webm")]
pub use imp::WebmEncoder;

#[cfg(feature = "webm")]
mod imp {
    use super::*;
    use std::ffi::CStr;
    use std::mem::MaybeUninit;
    use std::os::raw::c_int;

    use crate::encode::webm_mux::WebmMuxer;
    use vpx_sys as vpx;

    /// Streaming WebM encoder: frames are packed RGB (`width * height * 3` bytes); each one
    /// is encoded and muxed when pushed.
    ///
    /// Thread safety: `Send` (owns its libvpx context, which has no global state), used by
    /// one thread at a time.
    pub struct WebmEncoder {
        width: u32,
        height: u32,
        fps: u32,
        period: u32,
        ctx: Box<vpx::vpx_codec_ctx_t>,
        /// I420 planes in `vpx_img_wrap`'s layout (sizes rounded up to even): Y (pw·ph),
        /// U and V (pw/2 · ph/2 each).
        yuv: Vec<u8>,
        mux: WebmMuxer,
        frames: u64,
        keyframes: u64,
        packets: u64,
    }

    // SAFETY: the libvpx context is a plain heap object owned by this value (no
    // thread-local or global state); moving it between threads is fine.
    unsafe impl Send for WebmEncoder {}

    fn vpx_err(ctx: &mut vpx::vpx_codec_ctx_t, what: &str) -> String {
        // SAFETY: ctx is an initialised (or failed-to-initialise) context; vpx_codec_error
        // returns a static or context-owned NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(vpx::vpx_codec_error(ctx)) };
        format!("webm: {what}: {}", msg.to_string_lossy())
    }

    impl WebmEncoder {
        /// A new encoder for `width` × `height` frames at `fps`, with default quality.
        pub fn new(width: u32, height: u32, fps: u32) -> Result<Self, String> {
            Self::with_quality(width, height, fps, &VideoQuality::default())
        }

        /// A new encoder with explicit quality controls.
        pub fn with_quality(
            width: u32,
            height: u32,
            fps: u32,
            quality: &VideoQuality,
        ) -> Result<Self, String> {
            check_args(width, height, fps, quality)?;
            // SAFETY: plain C calls with valid pointers; the config is fully initialised by
            // vpx_codec_enc_config_default before it is read.
            let ctx = unsafe {
                let iface = vpx::vpx_codec_vp8_cx();
                let mut cfg = MaybeUninit::<vpx::vpx_codec_enc_cfg_t>::zeroed();
                if vpx::vpx_codec_enc_config_default(iface, cfg.as_mut_ptr(), 0)
                    != vpx::VPX_CODEC_OK
                {
                    return Err("webm: libvpx has no default VP8 configuration".to_string());
                }
                let mut cfg = cfg.assume_init();
                cfg.g_w = width;
                cfg.g_h = height;
                cfg.g_timebase = vpx::vpx_rational {
                    num: 1,
                    den: fps as c_int,
                };
                cfg.g_threads = 1;
                cfg.g_lag_in_frames = 0; // no look-ahead: one packet per pushed frame
                cfg.g_error_resilient = 0;
                cfg.rc_dropframe_thresh = 0; // never drop a frame
                cfg.rc_resize_allowed = 0;
                cfg.kf_mode = vpx::vpx_kf_mode::VPX_KF_DISABLED; // forced by index below
                if quality.bitrate_kbps > 0 {
                    cfg.rc_end_usage = vpx::vpx_rc_mode::VPX_VBR;
                    cfg.rc_target_bitrate = quality.bitrate_kbps;
                    cfg.rc_min_quantizer = 0;
                    cfg.rc_max_quantizer = 63;
                } else {
                    // Constant quantizer: min = max = q.
                    let q = vp8_quantizer(quality.crf);
                    cfg.rc_end_usage = vpx::vpx_rc_mode::VPX_VBR;
                    cfg.rc_target_bitrate = 1_000_000;
                    cfg.rc_min_quantizer = q;
                    cfg.rc_max_quantizer = q;
                }
                let mut ctx = Box::new(MaybeUninit::<vpx::vpx_codec_ctx_t>::zeroed().assume_init());
                if vpx::vpx_codec_enc_init_ver(
                    &mut *ctx,
                    iface,
                    &cfg,
                    0,
                    vpx::VPX_ENCODER_ABI_VERSION as c_int,
                ) != vpx::VPX_CODEC_OK
                {
                    return Err(vpx_err(&mut ctx, "cannot create the VP8 encoder"));
                }
                // Speed 4 of libvpx's "good" deadline: ~3x faster than ffmpeg's default
                // (cpu-used 1) at a small quality cost.
                let speed: c_int = 4;
                if vpx::vpx_codec_control_(
                    &mut *ctx,
                    vpx::vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
                    speed,
                ) != vpx::VPX_CODEC_OK
                {
                    let e = vpx_err(&mut ctx, "cannot set the encoder speed");
                    vpx::vpx_codec_destroy(&mut *ctx);
                    return Err(e);
                }
                ctx
            };
            let (cw, ch) = (width.div_ceil(2) as usize, height.div_ceil(2) as usize);
            let yuv = vec![0; 4 * cw * ch + 2 * cw * ch];
            Ok(WebmEncoder {
                width,
                height,
                fps,
                period: keyframe_period(fps, quality.keyframe_interval),
                ctx,
                yuv,
                mux: WebmMuxer::new(width, height, fps),
                frames: 0,
                keyframes: 0,
                packets: 0,
            })
        }

        /// Keyframes written so far.
        pub fn keyframes(&self) -> u64 {
            self.keyframes
        }

        /// Encodes one frame (packed RGB, row-major) and muxes the compressed frame.
        pub fn push_frame(&mut self, rgb: &[u8]) -> Result<(), String> {
            let (w, h) = (self.width as usize, self.height as usize);
            if rgb.len() != w * h * 3 {
                return Err(format!(
                    "webm: frame has {} bytes, expected {} ({}x{}x3)",
                    rgb.len(),
                    w * h * 3,
                    self.width,
                    self.height
                ));
            }
            rgb_to_i420(rgb, w, h, &mut self.yuv);
            let key = self.frames.is_multiple_of(u64::from(self.period));
            let flags = if key {
                vpx::VPX_EFLAG_FORCE_KF as vpx::vpx_enc_frame_flags_t
            } else {
                0
            };
            let pts = self.frames as i64;
            // SAFETY: the image wraps `self.yuv` (sized for w×h I420 with alignment 1) and
            // is only used during this call.
            unsafe {
                let mut img = MaybeUninit::<vpx::vpx_image_t>::zeroed();
                if vpx::vpx_img_wrap(
                    img.as_mut_ptr(),
                    vpx::vpx_img_fmt::VPX_IMG_FMT_I420,
                    self.width,
                    self.height,
                    1,
                    self.yuv.as_mut_ptr(),
                )
                .is_null()
                {
                    return Err("webm: cannot wrap the frame for libvpx".to_string());
                }
                // Set the planes explicitly (our layout, not vpx_img_wrap's guess of it).
                let img_ref = &mut *img.as_mut_ptr();
                let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
                let base = self.yuv.as_mut_ptr();
                img_ref.planes[0] = base;
                img_ref.planes[1] = base.add(4 * cw * ch);
                img_ref.planes[2] = base.add(5 * cw * ch);
                img_ref.stride[0] = (2 * cw) as c_int;
                img_ref.stride[1] = cw as c_int;
                img_ref.stride[2] = cw as c_int;
                if vpx::vpx_codec_encode(
                    &mut *self.ctx,
                    img.as_ptr(),
                    pts,
                    1,
                    flags,
                    vpx::VPX_DL_GOOD_QUALITY as _,
                ) != vpx::VPX_CODEC_OK
                {
                    return Err(vpx_err(&mut self.ctx, "VP8 encoding failed"));
                }
            }
            self.frames += 1;
            self.drain()
        }

        /// Moves the encoder's finished packets into the WebM segment.
        fn drain(&mut self) -> Result<(), String> {
            let mut iter: vpx::vpx_codec_iter_t = std::ptr::null();
            loop {
                // SAFETY: iterates the context's output list; each packet stays valid until
                // the next call into the encoder.
                let pkt = unsafe { vpx::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
                if pkt.is_null() {
                    return Ok(());
                }
                // SAFETY: non-NULL packet from libvpx; `frame` is the active union member
                // for VPX_CODEC_CX_FRAME_PKT.
                let (data, pts, key) = unsafe {
                    let pkt = &*pkt;
                    if pkt.kind != vpx::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                        continue;
                    }
                    let f = &pkt.data.frame;
                    let data = std::slice::from_raw_parts(f.buf as *const u8, f.sz as usize);
                    (data, f.pts, f.flags & vpx::VPX_FRAME_IS_KEY != 0)
                };
                let pts = u64::try_from(pts).map_err(|_| "webm: negative pts".to_string())?;
                // Nanoseconds; the muxer stores milliseconds (Matroska's default scale).
                let ns = (u128::from(pts) * 1_000_000_000 / u128::from(self.fps)) as u64;
                self.mux.add_frame(data, ns, key)?;
                self.packets += 1;
                if key {
                    self.keyframes += 1;
                }
            }
        }

        /// Flushes the encoder and returns the WebM file. Fails if no frame was pushed.
        pub fn finish(mut self) -> Result<Vec<u8>, String> {
            if self.frames == 0 {
                return Err("webm: no frames".to_string());
            }
            // SAFETY: a NULL image flushes the encoder.
            let rc = unsafe {
                vpx::vpx_codec_encode(
                    &mut *self.ctx,
                    std::ptr::null(),
                    -1,
                    1,
                    0,
                    vpx::VPX_DL_GOOD_QUALITY as _,
                )
            };
            if rc != vpx::VPX_CODEC_OK {
                return Err(vpx_err(&mut self.ctx, "flushing the VP8 encoder failed"));
            }
            self.drain()?;
            if self.packets != self.frames {
                return Err(format!(
                    "webm: the encoder produced {} frames for {} pushed",
                    self.packets, self.frames
                ));
            }
            // Duration in the segment's timecode units (ms): frames / fps, so players show
            // the last frame for a full frame time (the ceiling, as before 0.2.0).
            let ms = (u128::from(self.frames) * 1000).div_ceil(u128::from(self.fps)) as u64;
            let mux = std::mem::replace(&mut self.mux, WebmMuxer::new(0, 0, 0));
            Ok(mux.finish(ms.max(1) as f64))
        }
    }

    impl Drop for WebmEncoder {
        fn drop(&mut self) {
            // SAFETY: the context was initialised in with_quality and is destroyed once.
            unsafe { vpx::vpx_codec_destroy(&mut *self.ctx) };
        }
    }

    /// BT.601 limited-range RGB → I420 (like ffmpeg's rgb24 → yuv420p), chroma from the
    /// average of each 2×2 block (edge blocks of odd sizes average what exists). In `out`
    /// the luma plane is (w rounded up to even) wide and (h rounded up to even) tall, the
    /// padding repeating the edge; the chroma planes follow, each half that in both axes.
    pub(super) fn rgb_to_i420(rgb: &[u8], w: usize, h: usize, out: &mut [u8]) {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (pw, ph) = (2 * cw, 2 * ch);
        let (y_plane, uv) = out.split_at_mut(pw * ph);
        let (u_plane, v_plane) = uv.split_at_mut(cw * ch);
        for (src, dst) in rgb.chunks_exact(w * 3).zip(y_plane.chunks_exact_mut(pw)) {
            for (d, p) in dst.iter_mut().zip(src.chunks_exact(3)) {
                let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                *d = ((16_829 * r + 33_039 * g + 6_416 * b + (16 << 16) + 32_768) >> 16) as u8;
            }
            if pw > w {
                dst[w] = dst[w - 1];
            }
        }
        if ph > h {
            y_plane.copy_within((h - 1) * pw..h * pw, h * pw);
        }
        for by in 0..ch {
            let y0 = 2 * by;
            let y1 = (y0 + 1).min(h - 1);
            for bx in 0..cw {
                let x0 = 2 * bx;
                let x1 = (x0 + 1).min(w - 1);
                let (mut r, mut g, mut b) = (0i32, 0i32, 0i32);
                for (yy, xx) in [(y0, x0), (y0, x1), (y1, x0), (y1, x1)] {
                    let p = &rgb[(yy * w + xx) * 3..];
                    r += i32::from(p[0]);
                    g += i32::from(p[1]);
                    b += i32::from(p[2]);
                }
                u_plane[by * cw + bx] =
                    ((-9_714 * r - 19_070 * g + 28_784 * b + (128 << 18) + (1 << 17)) >> 18) as u8;
                v_plane[by * cw + bx] =
                    ((28_784 * r - 24_103 * g - 4_681 * b + (128 << 18) + (1 << 17)) >> 18) as u8;
            }
        }
    }
}

/// Stand-in without the `webm` feature: construction fails with [`UNSUPPORTED`].
#[cfg(not(feature = "webm"))]
pub struct WebmEncoder {
    _never: std::convert::Infallible,
}

#[cfg(not(feature = "webm"))]
impl WebmEncoder {
    pub fn new(width: u32, height: u32, fps: u32) -> Result<Self, String> {
        Self::with_quality(width, height, fps, &VideoQuality::default())
    }
    pub fn with_quality(
        width: u32,
        height: u32,
        fps: u32,
        quality: &VideoQuality,
    ) -> Result<Self, String> {
        check_args(width, height, fps, quality)?;
        Err(UNSUPPORTED.to_string())
    }
    pub fn keyframes(&self) -> u64 {
        match self._never {}
    }
    pub fn push_frame(&mut self, _rgb: &[u8]) -> Result<(), String> {
        match self._never {}
    }
    pub fn finish(self) -> Result<Vec<u8>, String> {
        match self._never {}
    }
}

/// Encodes a whole clip at once.
pub fn encode_webm(
    frames: &[&[u8]],
    width: u32,
    height: u32,
    fps: u32,
    quality: &VideoQuality,
) -> Result<Vec<u8>, String> {
    let mut enc = WebmEncoder::with_quality(width, height, fps, quality)?;
    for f in frames {
        enc.push_frame(f)?;
    }
    enc.finish()
}

#[cfg(all(test, feature = "webm"))]
mod tests {
    use super::*;

    fn clip(w: u32, h: u32, n: u32) -> Vec<Vec<u8>> {
        (0..n)
            .map(|t| {
                let mut v = Vec::new();
                for y in 0..h {
                    for x in 0..w {
                        let r = (x * 255 / w + t * 9) % 256;
                        let g = y * 255 / h;
                        let b = 90 + ((x + y + t) % 16) * 4;
                        v.extend_from_slice(&[r as u8, g as u8, b as u8]);
                    }
                }
                v
            })
            .collect()
    }

    fn encode(w: u32, h: u32, n: u32, fps: u32, q: VideoQuality) -> (Vec<u8>, u64) {
        let frames = clip(w, h, n);
        let mut e = WebmEncoder::with_quality(w, h, fps, &q).unwrap();
        for f in &frames {
            e.push_frame(f).unwrap();
        }
        let k = e.keyframes();
        (e.finish().unwrap(), k)
    }

    #[test]
    fn ebml_header_and_keyframes() {
        let (bytes, keys) = encode(48, 32, 20, 4, VideoQuality::default());
        assert_eq!(&bytes[..4], &[0x1A, 0x45, 0xDF, 0xA3]);
        assert!(bytes.windows(4).any(|w| w == b"webm"));
        assert!(bytes.windows(5).any(|w| w == b"V_VP8"));
        assert_eq!(keys, 3); // every 8 frames: 0, 8, 16
        let (_, keys) = encode(
            48,
            32,
            20,
            4,
            VideoQuality {
                keyframe_interval: 5,
                ..Default::default()
            },
        );
        assert_eq!(keys, 4);
    }

    #[test]
    fn odd_and_tiny_sizes_encode() {
        for (w, h) in [(1, 1), (3, 2), (33, 17), (2, 5)] {
            let (bytes, keys) = encode(w, h, 3, 4, VideoQuality::default());
            assert_eq!(&bytes[..4], &[0x1A, 0x45, 0xDF, 0xA3]);
            assert_eq!(keys, 1);
        }
    }

    #[test]
    fn quality_moves_the_size() {
        let size = |q: VideoQuality| encode(64, 64, 12, 8, q).0.len();
        let hi = size(VideoQuality {
            crf: 10,
            ..Default::default()
        });
        let lo = size(VideoQuality {
            crf: 45,
            ..Default::default()
        });
        assert!(hi > lo, "crf 10 → {hi} bytes, crf 45 → {lo}");
        let b_hi = size(VideoQuality {
            bitrate_kbps: 2000,
            ..Default::default()
        });
        let b_lo = size(VideoQuality {
            bitrate_kbps: 50,
            ..Default::default()
        });
        assert!(b_hi > b_lo, "2000 kbps → {b_hi} bytes, 50 kbps → {b_lo}");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(WebmEncoder::new(0, 16, 4).is_err());
        assert!(WebmEncoder::new(16, 16, 0).is_err());
        assert!(WebmEncoder::new(20000, 16, 4).is_err());
        let both = VideoQuality {
            crf: 20,
            bitrate_kbps: 100,
            keyframe_interval: 0,
        };
        assert!(WebmEncoder::with_quality(16, 16, 4, &both).is_err());
        let mut e = WebmEncoder::new(16, 16, 4).unwrap();
        assert!(e.push_frame(&[0; 10]).is_err());
        assert!(e.finish().is_err());
    }
}
