//! JPEG encoder approximating Pillow 11.3 `save(f, "JPEG")` (libjpeg-turbo, quality 75).
//!
//! The entropy-coded data comes from the `jpeg-encoder` crate (baseline, quality 75 with the
//! IJG-scaled Annex K tables, 4:2:0 chroma subsampling for RGB, a single component for L,
//! standard Huffman tables). The marker segments are then laid out the way libjpeg-turbo writes
//! them: JFIF 1.01 APP0 (aspect-ratio units, 1:1, no thumbnail), one DQT segment per table in
//! use, SOF0 with component ids 1, 2, 3, the DHT segments, SOS. No EXIF/ICC or other segments.
//! Colour conversion and chroma downsampling follow libjpeg exactly (see `rgb_to_ycbcr_420`),
//! so smooth images often come out byte-identical to Pillow; remaining differences come from
//! `jpeg-encoder`'s quantiser rounding of large coefficients (libjpeg-turbo uses 16-bit
//! reciprocals) and from how partial MCUs are padded (libjpeg emits DC-only dummy blocks).

use std::borrow::Cow;

use jpeg_encoder::{ColorType, Density, Encoder, SamplingFactor};

const QUALITY: u8 = 75;
/// libjpeg's JPEG_MAX_DIMENSION as enforced by Pillow.
const MAX_DIMENSION: u32 = 65500;

/// The APP0 segment libjpeg-turbo writes by default: JFIF 1.01, density units 0, 1:1, no thumb.
const JFIF_APP0: [u8; 18] = [
    0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00,
];

/// Encode 8-bit interleaved pixels (`channels` = 1 L or 3 RGB) as a baseline JPEG.
pub fn encode_jpeg(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
) -> Result<Vec<u8>, String> {
    let color = match channels {
        1 => ColorType::Luma,
        3 => ColorType::Rgb,
        _ => return Err(format!("unsupported channel count {channels} for JPEG")),
    };
    if width == 0 || height == 0 {
        return Err(format!(
            "cannot write empty image ({width}x{height}) as JPEG"
        ));
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(format!(
            "Maximum supported image dimension is {MAX_DIMENSION} pixels"
        ));
    }
    let expected = width as usize * height as usize * channels as usize;
    if pixels.len() != expected {
        return Err(format!(
            "pixel buffer has {} bytes, expected {expected} ({width}x{height}x{channels})",
            pixels.len()
        ));
    }

    let (data, color) = if channels == 3 {
        (
            Cow::Owned(rgb_to_ycbcr_420(pixels, width as usize, height as usize)),
            ColorType::Ycbcr,
        )
    } else {
        (Cow::Borrowed(pixels), color)
    };

    let mut raw = Vec::with_capacity(expected / 8 + 1024);
    let mut enc = Encoder::new(&mut raw, QUALITY);
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    enc.set_density(Density::None);
    enc.set_progressive(false);
    enc.set_optimized_huffman_tables(false);
    // Dimensions are <= 65500, checked above.
    enc.encode(&data, width as u16, height as u16, color)
        .map_err(|e| format!("JPEG encoding failed: {e}"))?;
    relayout(&raw)
}

/// libjpeg's RGB → YCbCr conversion (jccolor.c, 16-bit fixed point) followed by its h2v2
/// chroma downsampling (jcsample.c: 2×2 box average, bias alternating 1, 2 per output column,
/// right/bottom edges replicated). `jpeg-encoder` subsamples chroma by plain decimation (it
/// reads the top-left sample of every 2×2 block), so the averaged chroma value is stored in
/// all four samples of its block and the result is handed over as full-resolution YCbCr.
/// Requires `rgb.len() == w * h * 3` (checked by the caller).
fn rgb_to_ycbcr_420(rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = vec![0u8; rgb.len()];
    for (o, p) in out.chunks_exact_mut(3).zip(rgb.chunks_exact(3)) {
        let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
        o[0] = ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16) as u8;
        o[1] = ((-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 32767) >> 16) as u8;
        o[2] = ((32768 * r - 27439 * g - 5329 * b + (128 << 16) + 32767) >> 16) as u8;
    }
    if w == 0 || h == 0 || out.len() != w * h * 3 {
        return out;
    }
    for y0 in (0..h).step_by(2) {
        let y1 = (y0 + 1).min(h - 1);
        for (k, x0) in (0..w).step_by(2).enumerate() {
            let x1 = (x0 + 1).min(w - 1);
            let bias = 1 + (k as u32 & 1);
            let idx = [
                (y0 * w + x0) * 3,
                (y0 * w + x1) * 3,
                (y1 * w + x0) * 3,
                (y1 * w + x1) * 3,
            ];
            for ch in 1..3 {
                let sum: u32 = idx.iter().map(|&i| out[i + ch] as u32).sum();
                let v = ((sum + bias) >> 2) as u8;
                for &i in &idx {
                    out[i + ch] = v;
                }
            }
        }
    }
    out
}

/// Big-endian u16 at `pos`, if in bounds.
fn be16(data: &[u8], pos: usize) -> Option<usize> {
    let b = data.get(pos..pos + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]) as usize)
}

/// Rewrite the header segments of a baseline JPEG into libjpeg-turbo's order and conventions.
fn relayout(jpeg: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "internal error: malformed JPEG from encoder".to_string();
    if jpeg.get(0..2) != Some(&[0xFF, 0xD8]) {
        return Err(bad());
    }
    let mut dqt: [Option<&[u8]>; 4] = [None; 4];
    let mut sof: Option<&[u8]> = None;
    let mut dht: Vec<&[u8]> = Vec::new();
    let mut pos = 2;
    let sos_pos = loop {
        let marker = be16(jpeg, pos).ok_or_else(bad)?;
        if marker == 0xFFDA {
            break pos;
        }
        let len = be16(jpeg, pos + 2).ok_or_else(bad)?;
        let seg = jpeg.get(pos..pos + 2 + len).ok_or_else(bad)?;
        match marker {
            // DQT: possibly several 8-bit tables per segment; split them.
            0xFFDB => {
                let mut body = seg.get(4..).ok_or_else(bad)?;
                while !body.is_empty() {
                    let pq_tq = body[0];
                    if pq_tq >> 4 != 0 {
                        return Err(bad());
                    }
                    let table = body.get(..65).ok_or_else(bad)?;
                    *dqt.get_mut((pq_tq & 0x0F) as usize).ok_or_else(bad)? = Some(table);
                    body = &body[65..];
                }
            }
            0xFFC0 => sof = Some(seg),
            0xFFC4 => dht.push(seg),
            // APPn / COM / anything else (e.g. the encoder's own JFIF header) is dropped.
            _ => {}
        }
        pos += 2 + len;
    };
    let sof = sof.ok_or_else(bad)?;
    // SOF0: FFC0 len P Y X Nf (Ci HV Tq)*Nf
    let nf = *sof.get(9).ok_or_else(bad)? as usize;
    let comps = sof.get(10..10 + 3 * nf).ok_or_else(bad)?;
    let old_ids: Vec<u8> = comps.chunks_exact(3).map(|c| c[0]).collect();
    let new_id = |old: u8| -> Result<u8, String> {
        let i = old_ids.iter().position(|&x| x == old).ok_or_else(bad)?;
        Ok(i as u8 + 1)
    };

    let mut out = Vec::with_capacity(jpeg.len() + 64);
    out.extend_from_slice(&[0xFF, 0xD8]);
    out.extend_from_slice(&JFIF_APP0);
    // One DQT segment per table actually referenced, in table order (as libjpeg does).
    for (tq, table) in dqt.iter().enumerate() {
        if !comps.chunks_exact(3).any(|c| c[2] as usize == tq) {
            continue;
        }
        let table = table.ok_or_else(bad)?;
        out.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43]);
        out.extend_from_slice(table);
    }
    out.extend_from_slice(&sof[..10]);
    for (i, c) in comps.chunks_exact(3).enumerate() {
        out.extend_from_slice(&[i as u8 + 1, c[1], c[2]]);
    }
    for seg in &dht {
        out.extend_from_slice(seg);
    }
    // SOS: FFDA len Ns (Cs Td/Ta)*Ns Ss Se Ah/Al, then entropy-coded data through EOI.
    let sos_len = be16(jpeg, sos_pos + 2).ok_or_else(bad)?;
    let sos = jpeg.get(sos_pos..sos_pos + 2 + sos_len).ok_or_else(bad)?;
    let ns = *sos.get(4).ok_or_else(bad)? as usize;
    let sel = sos.get(5..5 + 2 * ns).ok_or_else(bad)?;
    out.extend_from_slice(&sos[..5]);
    for s in sel.chunks_exact(2) {
        out.extend_from_slice(&[new_id(s[0])?, s[1]]);
    }
    out.extend_from_slice(&sos[5 + 2 * ns..]);
    let rest = jpeg.get(sos_pos + 2 + sos_len..).ok_or_else(bad)?;
    // Baseline output has a single scan; refuse anything that would need more id rewriting.
    if rest.windows(2).any(|w| w == [0xFF, 0xDA]) {
        return Err(bad());
    }
    out.extend_from_slice(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pillow 11.3 (libjpeg-turbo) quality-75 DQT segment bodies (Pq/Tq byte + 64 zig-zag values).
    const PILLOW_DQT_LUMA: &str = "00080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432";
    const PILLOW_DQT_CHROMA: &str = "010909090c0b0c180d0d1832211c213232323232323232323232323232323232323232323232323232323232323232323232323232323232323232323232323232";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Smooth "photo-like" image: gradients, a disc, soft texture and mild LCG noise.
    fn photo(w: u32, h: u32, c: u8) -> Vec<u8> {
        let mut s = 12345u64;
        let mut v = Vec::with_capacity((w * h) as usize * c as usize);
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
                let d = ((fx - 0.6).powi(2) + (fy - 0.4).powi(2)).sqrt();
                let disc = if d < 0.25 { 60.0 } else { 0.0 };
                let tex = 20.0 * ((x as f64 * 0.21).sin() * (y as f64 * 0.13).cos());
                for ch in 0..c {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let noise = ((s >> 60) as f64) - 7.5;
                    let base = 40.0 + 120.0 * fx + 60.0 * fy * (ch as f64 + 1.0) / 2.0;
                    let val = base + disc * (1.0 - ch as f64 * 0.5) + tex + noise * 0.5;
                    v.push(val.clamp(0.0, 255.0) as u8);
                }
            }
        }
        v
    }

    fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = vec![];
        let mut pos = 2;
        loop {
            let m = jpeg[pos + 1];
            let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
            out.push((m, jpeg[pos + 4..pos + 2 + len].to_vec()));
            if m == 0xDA {
                return out;
            }
            pos += 2 + len;
        }
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        let mse = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
    }

    #[test]
    fn rejects_bad_input() {
        assert!(encode_jpeg(&[0; 8], 2, 2, 2).is_err());
        assert!(encode_jpeg(&[0; 16], 2, 2, 4).is_err());
        assert!(encode_jpeg(&[0; 11], 2, 2, 3).is_err());
        assert!(encode_jpeg(&[], 0, 2, 3).is_err());
        assert!(encode_jpeg(&[0; 3], 70000, 1, 3).is_err());
        assert!(encode_jpeg(&[0; 3], u32::MAX, u32::MAX, 3).is_err());
    }

    #[test]
    fn layout_matches_libjpeg_turbo() {
        let rgb = encode_jpeg(&photo(40, 24, 3), 40, 24, 3).unwrap();
        let segs = segments(&rgb);
        let markers: Vec<u8> = segs.iter().map(|s| s.0).collect();
        assert_eq!(
            markers,
            [0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA]
        );
        assert_eq!(&rgb[2..20], &JFIF_APP0);
        assert_eq!(hex(&segs[1].1), PILLOW_DQT_LUMA);
        assert_eq!(hex(&segs[2].1), PILLOW_DQT_CHROMA);
        // 8 bit, 24x40, 3 components: Y 2x2 table 0, Cb/Cr 1x1 table 1
        assert_eq!(hex(&segs[3].1), "080018002803012200021101031101");
        assert_eq!(hex(&segs[8].1), "03010002110311003f00");
        assert_eq!(&rgb[rgb.len() - 2..], &[0xFF, 0xD9]);

        let gray = encode_jpeg(&photo(17, 9, 1), 17, 9, 1).unwrap();
        let segs = segments(&gray);
        let markers: Vec<u8> = segs.iter().map(|s| s.0).collect();
        assert_eq!(markers, [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA]);
        assert_eq!(hex(&segs[1].1), PILLOW_DQT_LUMA);
        assert_eq!(hex(&segs[2].1), "080009001101011100");
        assert_eq!(hex(&segs[5].1), "010100003f00");
    }

    #[test]
    fn decodes_close_to_source() {
        for &(w, h) in &[(256u32, 192u32), (101, 67)] {
            for c in [1u8, 3] {
                let px = photo(w, h, c);
                let jpg = encode_jpeg(&px, w, h, c).unwrap();
                let img =
                    image::load_from_memory_with_format(&jpg, image::ImageFormat::Jpeg).unwrap();
                assert_eq!((img.width(), img.height()), (w, h));
                let dec = if c == 1 {
                    img.to_luma8().into_raw()
                } else {
                    img.to_rgb8().into_raw()
                };
                let p = psnr(&px, &dec);
                assert!(p >= 30.0, "{w}x{h}x{c}: PSNR {p:.2} dB");
            }
        }
    }
}
