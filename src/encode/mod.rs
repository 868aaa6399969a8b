//! Pure encoders: pixels/samples/values in, bytes out. They know nothing about runs, keys or JSON.
pub mod bmp;
pub mod gif;
pub mod h264_backend;
pub mod jpeg;
pub mod mp4;
pub mod png;
pub mod wav;
pub mod webm;
#[cfg_attr(not(feature = "webm"), allow(dead_code))]
pub mod webm_mux;
mod zlib_zeros;

/// Quality controls of the MP4 and WebM encoders (`wb_video_options` bitrate_kbps / crf /
/// keyframe_interval). All zero (the default) keeps each encoder's built-in settings, so
/// the output is byte-identical to what it was before these controls existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoQuality {
    /// Target bitrate in kbit/s (rate-controlled); 0 = the encoder's default mode.
    pub bitrate_kbps: u32,
    /// CRF-like constant quality on the H.264 QP scale: 1 (best, largest) … 51 (worst,
    /// smallest); WebM maps it linearly onto VP8's 0–63 quantizer. 0 = default.
    pub crf: u32,
    /// Frames from one keyframe to the next (1 = every frame is a keyframe); 0 = default
    /// (two seconds of frames).
    pub keyframe_interval: u32,
}

/// Largest accepted `bitrate_kbps` (1 Gbit/s).
pub const MAX_BITRATE_KBPS: u32 = 1_000_000;
/// Largest accepted `crf` (H.264's largest QP).
pub const MAX_CRF: u32 = 51;

impl VideoQuality {
    /// Rejects values out of range and setting both bitrate and crf.
    pub fn validate(&self) -> Result<(), String> {
        if self.bitrate_kbps > MAX_BITRATE_KBPS {
            return Err(format!(
                "bitrate_kbps = {} is out of range (0 = default, 1..={MAX_BITRATE_KBPS})",
                self.bitrate_kbps
            ));
        }
        if self.crf > MAX_CRF {
            return Err(format!(
                "crf = {} is out of range (0 = default, 1 best ..= {MAX_CRF} smallest)",
                self.crf
            ));
        }
        if self.bitrate_kbps != 0 && self.crf != 0 {
            return Err(
                "set bitrate_kbps (a target bitrate) or crf (a constant quality), not both"
                    .to_string(),
            );
        }
        Ok(())
    }
}
