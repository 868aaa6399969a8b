//! PNG encoder.
//!
//! [`PngMode::Pillow`] reproduces the bytes Pillow 11.3 writes for
//! `Image.fromarray(a).save(f, "PNG")` (8-bit L / LA / RGB / RGBA, no ancillary chunks):
//! Pillow's per-row adaptive filter heuristic, one classic-zlib stream (level 6, window 15,
//! memLevel 9, `Z_FILTERED`) and IDAT chunks of at most `max(65536, 4 * width)` bytes.
//!
//! [`PngMode::Fast`] writes a valid PNG that decodes to the same pixels, using the Up filter on
//! every row and the `fdeflate` compressor; it is an order of magnitude faster.

use std::ffi::{c_int, c_uint, c_void};

use libz_sys as z;

/// How to encode a PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PngMode {
    /// Byte-identical to Pillow 11.3 (slow: zlib level 6 and adaptive filtering).
    #[default]
    Pillow,
    /// Valid PNG with the same pixels, optimised for speed (larger files).
    Fast,
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Pillow's `ImageFile.MAXBLOCK`: minimum size of one encoder output buffer (= one IDAT chunk).
const MAXBLOCK: usize = 65536;

/// Encode 8-bit interleaved pixels (`channels` = 1 L, 2 LA, 3 RGB, 4 RGBA) as a PNG file.
pub fn encode_png(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    mode: PngMode,
) -> Result<Vec<u8>, String> {
    let colour_type: u8 = match channels {
        1 => 0,
        2 => 4,
        3 => 2,
        4 => 6,
        _ => return Err(format!("unsupported channel count {channels} for PNG")),
    };
    if width == 0 || height == 0 {
        return Err(format!(
            "cannot write empty image ({width}x{height}) as PNG"
        ));
    }
    if width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(format!("image too large for PNG ({width}x{height})"));
    }
    let bpp = channels as usize;
    let row_bytes = (width as usize)
        .checked_mul(bpp)
        .ok_or_else(|| "image too large".to_string())?;
    let expected = row_bytes
        .checked_mul(height as usize)
        .ok_or_else(|| "image too large".to_string())?;
    if pixels.len() != expected {
        return Err(format!(
            "pixel buffer has {} bytes, expected {expected} ({width}x{height}x{channels})",
            pixels.len()
        ));
    }
    let filtered_len = (row_bytes + 1)
        .checked_mul(height as usize)
        .ok_or_else(|| "image too large".to_string())?;

    let mut filtered = Vec::with_capacity(filtered_len);
    let compressed = match mode {
        PngMode::Pillow => {
            filter_pillow(pixels, row_bytes, bpp, &mut filtered);
            zlib_compress(&filtered)?
        }
        PngMode::Fast => {
            filter_up(pixels, row_bytes, &mut filtered);
            fast_compress(&filtered)?
        }
    };

    // Pillow's encoder buffer size; capped at the PNG chunk-length limit (only reachable for
    // widths above 2^29 pixels, which Pillow could not write either).
    let max_chunk = MAXBLOCK
        .max((width as usize).saturating_mul(4))
        .min(i32::MAX as usize);
    let n_chunks = compressed.len().div_ceil(max_chunk).max(1);
    let mut out = Vec::with_capacity(8 + 25 + compressed.len() + 12 * n_chunks + 12);
    out.extend_from_slice(&SIGNATURE);

    let mut ihdr = [0u8; 13];
    ihdr[0..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    ihdr[8] = 8; // bit depth
    ihdr[9] = colour_type;
    // compression method 0, filter method 0, interlace 0
    write_chunk(&mut out, b"IHDR", &ihdr);

    // Pillow writes every encoder output buffer (`bufsize` bytes, the last one shorter) as one
    // IDAT chunk; the zlib stream is never empty, so there is always at least one.
    for chunk in compressed.chunks(max_chunk) {
        write_chunk(&mut out, b"IDAT", chunk);
    }
    write_chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Callers keep `data` below 2^31 bytes (the PNG chunk-length limit).
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(crc32(0, kind), data);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Continue a CRC-32 (`crc` = value so far, 0 to start) over `data` (crc32fast: PCLMULQDQ
/// folding where available, ~10× the table loop).
fn crc32(crc: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(crc);
    h.update(data);
    h.finalize()
}

/// Pillow's filter cost: Σ min(v, 256 − v) over the filtered bytes.
#[inline]
fn cost(row: &[u8]) -> u64 {
    let mut total = 0u64;
    // 2^16 bytes * 128 fits in u32, which keeps the inner loop narrow (vectorisable).
    for part in row.chunks(1 << 16) {
        total += part
            .iter()
            .map(|&v| (v as i8).unsigned_abs() as u32)
            .sum::<u32>() as u64;
    }
    total
}

fn up_into(cur: &[u8], prev: &[u8], out: &mut [u8]) {
    for ((o, &x), &b) in out.iter_mut().zip(cur).zip(prev) {
        *o = x.wrapping_sub(b);
    }
}

fn sub_into(cur: &[u8], bpp: usize, out: &mut [u8]) {
    let n = cur.len().min(out.len());
    let head = bpp.min(n);
    out[..head].copy_from_slice(&cur[..head]);
    if n > bpp {
        for ((o, &x), &a) in out[bpp..n]
            .iter_mut()
            .zip(&cur[bpp..n])
            .zip(&cur[..n - bpp])
        {
            *o = x.wrapping_sub(a);
        }
    }
}

fn paeth_into(cur: &[u8], prev: &[u8], bpp: usize, out: &mut [u8]) {
    let n = cur.len().min(prev.len()).min(out.len());
    let head = bpp.min(n);
    up_into(&cur[..head], &prev[..head], &mut out[..head]);
    if n > bpp {
        let iter = out[bpp..n]
            .iter_mut()
            .zip(&cur[bpp..n])
            .zip(&cur[..n - bpp])
            .zip(&prev[bpp..n])
            .zip(&prev[..n - bpp]);
        for ((((o, &x), &a), &b), &c) in iter {
            let (ai, bi, ci) = (a as i16, b as i16, c as i16);
            let pa = (bi - ci).abs();
            let pb = (ai - ci).abs();
            let pc = (ai + bi - 2 * ci).abs();
            let pred = if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            };
            *o = x.wrapping_sub(pred);
        }
    }
}

/// Pillow's `ZipEncode.c` filter choice: None, then Up, Sub (Average is skipped), Paeth;
/// a candidate is tried only while the best cost is > 0 and taken only if strictly cheaper.
fn filter_pillow(pixels: &[u8], row_bytes: usize, bpp: usize, out: &mut Vec<u8>) {
    let zero = vec![0u8; row_bytes];
    let mut up = vec![0u8; row_bytes];
    let mut sub = vec![0u8; row_bytes];
    let mut paeth = vec![0u8; row_bytes];
    let mut prev: &[u8] = &zero;
    for cur in pixels.chunks_exact(row_bytes) {
        let mut best_type = 0u8;
        let mut best = 0usize; // 0 = raw, 1 = up, 2 = sub, 3 = paeth
        let mut sum = cost(cur);
        if sum > 0 {
            up_into(cur, prev, &mut up);
            let s = cost(&up);
            if s < sum {
                sum = s;
                best_type = 2;
                best = 1;
            }
        }
        if sum > 0 {
            sub_into(cur, bpp, &mut sub);
            let s = cost(&sub);
            if s < sum {
                sum = s;
                best_type = 1;
                best = 2;
            }
        }
        if sum > 0 {
            paeth_into(cur, prev, bpp, &mut paeth);
            let s = cost(&paeth);
            if s < sum {
                best_type = 4;
                best = 3;
            }
        }
        out.push(best_type);
        out.extend_from_slice(match best {
            1 => &up,
            2 => &sub,
            3 => &paeth,
            _ => cur,
        });
        prev = cur;
    }
}

/// Up filter on every row (the first row's "up" is zero, so it is stored as-is).
fn filter_up(pixels: &[u8], row_bytes: usize, out: &mut Vec<u8>) {
    let zero = vec![0u8; row_bytes];
    let mut buf = vec![0u8; row_bytes];
    let mut prev: &[u8] = &zero;
    for cur in pixels.chunks_exact(row_bytes) {
        up_into(cur, prev, &mut buf);
        out.push(2);
        out.extend_from_slice(&buf);
        prev = cur;
    }
}

fn fast_compress(data: &[u8]) -> Result<Vec<u8>, String> {
    let sink = Vec::with_capacity(data.len() / 2 + 64);
    let mut c = fdeflate::Compressor::new(sink).map_err(|e| format!("fdeflate: {e}"))?;
    c.write_data(data).map_err(|e| format!("fdeflate: {e}"))?;
    c.finish().map_err(|e| format!("fdeflate: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Classic zlib (bundled by libz-sys) with Pillow's parameters.

/// Alignment/header size of the blocks handed to zlib by [`zalloc`].
const ZALIGN: usize = 16;

/// zlib allocation callback (the bundled zlib is built with `Z_SOLO`, so it has no default).
/// Stores the block size in a 16-byte header in front of the returned pointer.
unsafe extern "C" fn zalloc(_opaque: z::voidpf, items: z::uInt, size: z::uInt) -> z::voidpf {
    let total = (items as usize)
        .checked_mul(size as usize)
        .and_then(|n| n.checked_add(ZALIGN));
    let Some(total) = total else {
        return std::ptr::null_mut();
    };
    let Ok(layout) = std::alloc::Layout::from_size_align(total, ZALIGN) else {
        return std::ptr::null_mut();
    };
    // SAFETY: zlib allocation callback; `layout` has a non-zero size (>= ZALIGN). The header
    // write stays inside the freshly allocated block, which is aligned for `usize`, and the
    // returned pointer (block + ZALIGN) is in bounds of the block.
    unsafe {
        let base = std::alloc::alloc(layout);
        if base.is_null() {
            return std::ptr::null_mut();
        }
        (base as *mut usize).write(total);
        base.add(ZALIGN) as z::voidpf
    }
}

/// zlib deallocation callback matching [`zalloc`].
unsafe extern "C" fn zfree(_opaque: z::voidpf, address: z::voidpf) {
    if address.is_null() {
        return;
    }
    // SAFETY: zlib only frees pointers obtained from `zalloc`, so `address - ZALIGN` is the
    // start of a block allocated with `Layout::from_size_align(total, ZALIGN)` whose `total`
    // was stored in its first word.
    unsafe {
        let base = (address as *mut u8).sub(ZALIGN);
        let total = (base as *const usize).read();
        std::alloc::dealloc(
            base,
            std::alloc::Layout::from_size_align_unchecked(total, ZALIGN),
        );
    }
}

/// An initialised deflate stream; boxed so its address (which zlib records) never changes.
struct Deflater {
    strm: Box<z::z_stream>,
}

impl Deflater {
    /// `window_bits` as zlib takes it (15: zlib wrapper, −15: raw deflate).
    fn new(level: c_int, window_bits: c_int, strategy: c_int) -> Result<Self, String> {
        let mut strm = Box::new(z::z_stream {
            next_in: std::ptr::null_mut(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            zalloc,
            zfree,
            opaque: std::ptr::null_mut::<c_void>(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        });
        // SAFETY: `strm` is a valid, boxed z_stream with allocator callbacks set; the version
        // string and struct size come from the linked library / the binding's own definition.
        let ret = unsafe {
            z::deflateInit2_(
                &mut *strm,
                level,
                z::Z_DEFLATED,
                window_bits,
                9,
                strategy,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as c_int,
            )
        };
        if ret != z::Z_OK {
            return Err(format!("deflateInit2 failed ({ret})"));
        }
        Ok(Deflater { strm })
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the stream was successfully initialised by deflateInit2_ in `new` and is
        // ended exactly once, here.
        unsafe {
            z::deflateEnd(&mut *self.strm);
        }
    }
}

/// One zlib stream over `data`: level 6, windowBits 15, memLevel 9, Z_FILTERED.
///
/// zlib's output does not depend on how the input is split across `deflate(Z_NO_FLUSH)` calls,
/// so feeding everything at once gives the same bytes as Pillow's row-by-row feeding.
///
/// The deflate data comes from zlib as a raw stream and the two-byte header and Adler-32
/// trailer are written here (the same bytes zlib writes for level 6 / Z_FILTERED: `78 9C`):
/// zlib's own Adler-32 is a scalar loop, ~6 % of a PNG of a flat image, where
/// `simd-adler32` (AVX2/SSSE3, chosen at run time) is several times faster.
pub(crate) fn zlib_compress(data: &[u8]) -> Result<Vec<u8>, String> {
    // An all-zero stream (a black image: no filter, zero bytes) has a fixed zlib output
    // that `zlib_zeros` replays without hashing every byte (verified against zlib there).
    if all_zero(data) {
        if let Some(raw) = super::zlib_zeros::deflate_zeros(data.len() as u64) {
            let mut out = Vec::with_capacity(raw.len() + 6);
            out.extend_from_slice(&[0x78, 0x9C]);
            out.extend_from_slice(&raw);
            // Adler-32 of n zero bytes: A = 1, B = n mod 65521
            let b = (data.len() as u64 % 65521) as u32;
            out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
            return Ok(out);
        }
    }
    zlib_compress_with_zlib(data)
}

/// Whether every byte is zero (64 bytes at a time: vectorises).
fn all_zero(data: &[u8]) -> bool {
    let mut chunks = data.chunks_exact(64);
    for c in &mut chunks {
        if c.iter().fold(0u8, |a, &b| a | b) != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| b == 0)
}

/// [`zlib_compress`] always through zlib.
pub(crate) fn zlib_compress_with_zlib(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut d = Deflater::new(6, -15, z::Z_FILTERED)?;
    // SAFETY: `d.strm` is an initialised deflate stream; deflateBound only reads its state.
    let bound = unsafe { z::deflateBound(&mut *d.strm, data.len() as z::uLong) } as usize;
    let mut out = vec![0u8; bound.max(64) + 6];
    // CMF 0x78 (deflate, 32 KiB window); FLG 0x9C: FLEVEL 2 (level 6), no dictionary,
    // FCHECK making 0x789C a multiple of 31
    out[..2].copy_from_slice(&[0x78, 0x9C]);
    const STEP: usize = 1 << 30;
    let mut in_pos = 0usize;
    let mut out_pos = 2usize;
    loop {
        if out_pos == out.len() {
            let grow = (out.len() / 2).max(1 << 16);
            out.resize(out.len() + grow, 0);
        }
        let in_len = (data.len() - in_pos).min(STEP);
        let out_len = (out.len() - out_pos).min(STEP);
        let flush = if in_pos + in_len == data.len() {
            z::Z_FINISH
        } else {
            z::Z_NO_FLUSH
        };
        let input = &data[in_pos..in_pos + in_len];
        let output = &mut out[out_pos..out_pos + out_len];
        d.strm.next_in = input.as_ptr() as *mut u8;
        d.strm.avail_in = in_len as c_uint;
        d.strm.next_out = output.as_mut_ptr();
        d.strm.avail_out = out_len as c_uint;
        // SAFETY: next_in/avail_in describe a live readable slice (zlib never writes through
        // next_in), next_out/avail_out a live writable slice; both lengths fit in uInt.
        let ret = unsafe { z::deflate(&mut *d.strm, flush) };
        let consumed = in_len - d.strm.avail_in as usize;
        let produced = out_len - d.strm.avail_out as usize;
        d.strm.next_in = std::ptr::null_mut();
        d.strm.next_out = std::ptr::null_mut();
        in_pos += consumed;
        out_pos += produced;
        match ret {
            z::Z_STREAM_END => break,
            z::Z_OK | z::Z_BUF_ERROR => {
                if consumed == 0 && produced == 0 {
                    return Err(format!("deflate made no progress ({ret})"));
                }
            }
            other => return Err(format!("deflate failed ({other})")),
        }
    }
    out.truncate(out_pos);
    let mut adler = simd_adler32::Adler32::new();
    adler.write(data);
    out.extend_from_slice(&adler.finish().to_be_bytes());
    Ok(out)
}

/// Time the encoder on a deterministic gradient+noise image (for ad-hoc benchmarking).
/// Returns (bytes, seconds) for one call.
pub fn bench_gradient_noise(width: u32, height: u32, mode: PngMode) -> (usize, f64) {
    let px = test_image::gradient_noise(width, height, 3, 12345);
    let t = std::time::Instant::now();
    let n = encode_png(&px, width, height, 3, mode)
        .map(|v| v.len())
        .unwrap_or(0);
    (n, t.elapsed().as_secs_f64())
}

/// Deterministic synthetic images shared by tests and the bench helper.
mod test_image {
    /// Simple 64-bit LCG (Knuth MMIX constants); returns the high byte.
    pub(super) struct Lcg(pub u64);
    impl Lcg {
        pub(super) fn next_u8(&mut self) -> u8 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 56) as u8
        }
    }

    /// Diagonal gradient per channel plus noise in [0, 16).
    pub(super) fn gradient_noise(w: u32, h: u32, channels: u8, seed: u64) -> Vec<u8> {
        let mut rng = Lcg(seed);
        let (w, h, c) = (w as usize, h as usize, channels as usize);
        let mut v = Vec::with_capacity(w * h * c);
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    let base = (x * (ch + 1) + y * (3 - ch.min(2))) / 4;
                    v.push((base as u8).wrapping_add(rng.next_u8() >> 4));
                }
            }
        }
        v
    }

    /// Uniform noise.
    #[cfg(test)]
    pub(super) fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = Lcg(seed);
        (0..len).map(|_| rng.next_u8()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_image::{gradient_noise, noise};
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha(b: &[u8]) -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    }

    fn check(px: &[u8], w: u32, h: u32, c: u8, hash: &str, len: usize) {
        let png = encode_png(px, w, h, c, PngMode::Pillow).unwrap();
        assert_eq!(png.len(), len, "{w}x{h}x{c}");
        assert_eq!(sha(&png), hash, "{w}x{h}x{c}");
    }

    #[test]
    fn spec_vectors() {
        check(
            &[0; 72],
            6,
            4,
            3,
            "d6a441bfe7e8f09712a97927d56fc98879ffbce791ace14559d0442f2432ee14",
            69,
        );
        let ar: Vec<u8> = (0..18).collect();
        check(
            &ar,
            3,
            2,
            3,
            "98317c8ce1adaaa6ec7893632ca231e36b900a0fffbebb87249244ab3861eca0",
            80,
        );
        check(
            &[0],
            1,
            1,
            1,
            "eaa4a94ea300e0d2c775968cbe42f0b5b51ceafdeb73d64e9efddf6d4e880865",
            67,
        );
        check(
            &[0; 4],
            2,
            2,
            1,
            "704c213a9c24c9a4c47ab84d571022d83c988111f9d07b05bdb66103eb11f09b",
            71,
        );
        check(
            &[0; 12],
            2,
            2,
            3,
            "7899d6ced52159786ff083934df42788da01a30b7ed9bb7756d7f3f5a94ef685",
            68,
        );
    }

    #[test]
    fn crc32_matches_reference() {
        assert_eq!(crc32(0, b""), 0);
        assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(crc32(0, b"IEND"), &[]), 0xAE42_6082);
        let data = noise(1000, 3);
        // zlib's implementation as the reference, including odd lengths and split updates
        for len in [0usize, 1, 15, 16, 17, 31, 999, 1000] {
            // SAFETY: `data[..len]` is a live slice; zlib's crc32 only reads `len` bytes.
            let want = unsafe { z::crc32(0, data.as_ptr(), len as c_uint) } as u32;
            assert_eq!(crc32(0, &data[..len]), want, "len {len}");
            let (a, b) = data[..len].split_at(len / 3);
            assert_eq!(crc32(crc32(0, a), b), want, "split len {len}");
        }
    }

    #[test]
    fn rejects_inconsistent_input() {
        for mode in [PngMode::Pillow, PngMode::Fast] {
            assert!(encode_png(&[0; 5], 2, 2, 1, mode).is_err());
            assert!(encode_png(&[0; 4], 2, 2, 5, mode).is_err());
            assert!(encode_png(&[0; 4], 2, 2, 0, mode).is_err());
            assert!(encode_png(&[], 0, 0, 3, mode).is_err());
            assert!(encode_png(&[], 0, 5, 3, mode).is_err());
            assert!(encode_png(&[0; 3], u32::MAX, u32::MAX, 4, mode).is_err());
        }
    }

    fn decode(png: &[u8]) -> (u32, u32, image::ColorType, Vec<u8>) {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
        (
            img.width(),
            img.height(),
            img.color(),
            img.as_bytes().to_vec(),
        )
    }

    #[test]
    fn both_modes_roundtrip() {
        let sizes = [(1u32, 1u32), (7, 3), (33, 17), (300, 240)];
        for (i, &(w, h)) in sizes.iter().enumerate() {
            for c in 1..=4u8 {
                let len = (w * h) as usize * c as usize;
                let imgs = [
                    gradient_noise(w, h, c, i as u64),
                    noise(len, 7 + i as u64),
                    vec![77; len],
                ];
                for px in imgs {
                    for mode in [PngMode::Pillow, PngMode::Fast] {
                        let png = encode_png(&px, w, h, c, mode).unwrap();
                        let (dw, dh, ct, data) = decode(&png);
                        assert_eq!((dw, dh), (w, h));
                        assert_eq!(ct.channel_count(), c);
                        assert_eq!(data, px, "{mode:?} {w}x{h}x{c}");
                    }
                }
            }
        }
    }

    #[test]
    fn idat_split_matches_pillow_bufsize() {
        // 300x300 RGB noise compresses to > 65536 bytes: chunks of exactly 65536 then the rest.
        let px = noise(300 * 300 * 3, 99);
        let png = encode_png(&px, 300, 300, 3, PngMode::Pillow).unwrap();
        let mut pos = 8;
        let mut sizes = vec![];
        while pos < png.len() {
            let n = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
            if &png[pos + 4..pos + 8] == b"IDAT" {
                sizes.push(n);
            }
            pos += 12 + n;
        }
        assert!(sizes.len() >= 2);
        assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == 65536));
        assert!(*sizes.last().unwrap() <= 65536);
    }

    // Expected hashes produced by Pillow 11.3.0 from the same deterministic inputs.
    #[test]
    fn pillow_reference_images() {
        #[rustfmt::skip]
        let cases: &[(u32, u32, u8, u8, &str)] = &[
            (1, 1, 1, 0, "746dc489db4febabdf6b5f6e8fc44b0bf44343be023e8c58926eeb41e64f3b82"), // 67 bytes, IDAT [10]
            (1, 1, 4, 1, "c730f74d6ad7987896408f85f6d6903d7b581d646ec4e57f93625edaf03fad97"), // 70 bytes, IDAT [13]
            (37, 23, 1, 0, "1e3b9f42a5b1389b06d1ecfcb7707fa1b0348f04de51537be1fecd9763013708"), // 607 bytes, IDAT [550]
            (37, 23, 2, 0, "57bec5a10f1ac2fad7cd8fca676c1d44955ed81905fe281280321bc7373e6376"), // 1101 bytes, IDAT [1044]
            (37, 23, 3, 0, "9d77344e58cd22ecb538b632407bd4b7fa9784ac9e7a41ebdf3d6eabb2b72dd1"), // 1610 bytes, IDAT [1553]
            (37, 23, 4, 0, "90e053447e36c98e0eba39ecb7f6ff9a856be38ed800fd221090ea34e4448057"), // 2116 bytes, IDAT [2059]
            (37, 23, 2, 1, "f0224c6ab7e013060ddffa88aca4cfa363306fe1eef0e1bf944e6a15c1054294"), // 1793 bytes, IDAT [1736]
            (300, 300, 3, 0, "207933e72f21e9556e97f689349ca55d5890943a154ccf7c6dd88c8fc029ef00"), // 161069 bytes, IDAT [65536, 65536, 29916]
            (300, 300, 3, 1, "1eee90c7f02f8bf1ff0b812bd39caf6e028683bf413ad3272eb4e923f3be001d"), // 270702 bytes, IDAT [65536, 65536, 65536, 65536, 8453]
            (17000, 2, 3, 1, "7a9faab89748b63e111990f16b81f3cc1160518c6f0015ff177608983b6a83c1"), // 102169 bytes, IDAT [68000, 34100]
            (5, 300, 4, 1, "0e17818c75d50187917ee6efa03ebd1dc3ed6262ce7a29c66f1e02640a975b45"), // 6345 bytes, IDAT [6288]
        ];
        for &(w, h, c, kind, hash) in cases {
            let len = (w * h) as usize * c as usize;
            let px = match kind {
                0 => gradient_noise(w, h, c, 42),
                _ => noise(len, 42),
            };
            let png = encode_png(&px, w, h, c, PngMode::Pillow).unwrap();
            assert_eq!(sha(&png), hash, "{w}x{h}x{c} kind {kind}");
        }
    }
}
