//! Decoded content of media read back: image pixels (H×W×C uint8) and audio samples.

use crate::error::{Error, Result};

/// Largest decoded image accepted (bytes of the H×W×C buffer), and the decoder's
/// allocation limit: a file that declares a huge size fails instead of allocating it.
pub const MAX_DECODED_BYTES: u64 = 1 << 30;

/// Pixels as H×W×C uint8, C = 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA), row-major interleaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    pub height: u32,
    pub width: u32,
    pub channels: u32,
    pub data: Vec<u8>,
}

/// Decodes an image file (PNG, JPEG, GIF first frame, BMP, WebP, TIFF, …) to 8-bit pixels.
/// 16-bit images are reduced to 8 bits (high byte, as Pillow's `convert` does); palette
/// images are expanded to RGB(A).
pub fn decode_image(bytes: &[u8]) -> Result<DecodedImage> {
    use image::{DynamicImage, ImageReader, Limits};
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::invalid(format!("cannot identify image: {e}")))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits.max_image_width = Some(1 << 20);
    limits.max_image_height = Some(1 << 20);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| Error::invalid(format!("cannot decode image: {e}")))?;
    let (w, h) = (img.width(), img.height());
    let (channels, data) = match img {
        DynamicImage::ImageLuma8(b) => (1, b.into_raw()),
        DynamicImage::ImageLumaA8(b) => (2, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (3, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (4, b.into_raw()),
        other => {
            let has_alpha = other.color().has_alpha();
            let gray = !other.color().has_color();
            match (gray, has_alpha) {
                (true, false) => (1, other.to_luma8().into_raw()),
                (true, true) => (2, other.to_luma_alpha8().into_raw()),
                (false, false) => (3, other.to_rgb8().into_raw()),
                (false, true) => (4, other.to_rgba8().into_raw()),
            }
        }
    };
    Ok(DecodedImage {
        height: h,
        width: w,
        channels,
        data,
    })
}

/// PCM samples of a WAV file, as float32 in [-1, 1) (int16 / 32768, as soundfile reads
/// them with `dtype="float32"`), interleaved frames × channels.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    pub sample_rate: u32,
    pub channels: u32,
    /// frames × channels, interleaved.
    pub samples: Vec<f32>,
}

impl DecodedAudio {
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }
}

/// Reads a RIFF/WAVE file: PCM 8/16/24/32-bit integer or IEEE float 32/64 (format tags 1, 3
/// and WAVE_FORMAT_EXTENSIBLE of those). Other containers (FLAC, MP3 …) are refused.
pub fn decode_wav(b: &[u8]) -> Result<DecodedAudio> {
    let bad = |why: &str| Error::invalid(format!("not a readable WAV file: {why}"));
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err(bad("no RIFF/WAVE header (only WAV audio can be decoded)"));
    }
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut pos = 12usize;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let size = u32_at(pos + 4) as usize;
        let body = pos + 8;
        let end = body
            .checked_add(size)
            .ok_or_else(|| bad("chunk size overflows"))?;
        if id == b"fmt " {
            if size < 16 || end > b.len() {
                return Err(bad("truncated fmt chunk"));
            }
            let mut tag = u16_at(body);
            if tag == 0xFFFE && size >= 26 {
                tag = u16_at(body + 24);
            }
            fmt = Some((tag, u16_at(body + 2), u32_at(body + 4), u16_at(body + 14)));
        } else if id == b"data" {
            let (tag, ch, rate, bits) = fmt.ok_or_else(|| bad("data chunk before fmt chunk"))?;
            if ch == 0 {
                return Err(bad("zero channels"));
            }
            // A truncated data chunk (streamed writers) reads what is there.
            let data = &b[body..end.min(b.len())];
            let samples: Vec<f32> = match (tag, bits) {
                (1, 8) => data.iter().map(|&x| (x as f32 - 128.0) / 128.0).collect(),
                (1, 16) => data
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                    .collect(),
                (1, 24) => data
                    .chunks_exact(3)
                    .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8388608.0)
                    .collect(),
                (1, 32) => data
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32 / 2147483648.0)
                    .collect(),
                (3, 32) => data
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                (3, 64) => data
                    .chunks_exact(8)
                    .map(|c| {
                        f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                    })
                    .collect(),
                _ => {
                    return Err(bad(&format!(
                        "unsupported sample format (tag {tag}, {bits} bits)"
                    )))
                }
            };
            let whole = samples.len() / ch as usize * ch as usize;
            let mut samples = samples;
            samples.truncate(whole);
            return Ok(DecodedAudio {
                sample_rate: rate,
                channels: ch as u32,
                samples,
            });
        }
        pos = end + (size & 1);
    }
    Err(bad("no data chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_roundtrip_of_our_encoder() {
        let s = [0.0f32, 0.5, -0.5, 0.25];
        let bytes = bytemuck_f32(&s);
        let t = crate::tensor::TensorView::new(bytes.as_slice(), crate::tensor::DType::F32, &[4])
            .unwrap();
        let a = crate::media::audio::Audio::from_tensor(&t, Some(8000)).unwrap();
        let d = decode_wav(&a.file.bytes).unwrap();
        assert_eq!((d.sample_rate, d.channels), (8000, 1));
        assert_eq!(d.samples, vec![0.0, 0.5, -0.5, 0.25]);
    }

    fn bytemuck_f32(s: &[f32]) -> Vec<u8> {
        s.iter().flat_map(|f| f.to_le_bytes()).collect()
    }

    #[test]
    fn wav_garbage_is_an_error() {
        assert!(decode_wav(b"RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff").is_err());
        assert!(decode_wav(b"").is_err());
        assert!(decode_wav(b"RIFF0000WAVEfmt \x10\x00\x00\x00").is_err());
    }
}
