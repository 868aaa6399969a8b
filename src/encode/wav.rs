//! 16-bit PCM WAV exactly as `soundfile.write(path, data, sample_rate)` (soundfile 0.14.0,
//! libsndfile 1.2.2) writes it for `wandb.Audio` (spec §7.2).
//!
//! * Canonical 44-byte header, all little-endian: `RIFF`, `36 + data bytes`, `WAVE`, `fmt `,
//!   16, format 1 (PCM, also for > 2 channels), channels, sample rate, byte rate
//!   (`sr · ch · 2`, wrapping in 32 bits like libsndfile), block align (`ch · 2`), 16 bits,
//!   `data`, data bytes; then the interleaved samples.
//! * float → int16 (both float32 and float64; verified bit-exact against libsndfile 1.2.2):
//!   libsndfile first converts to a normalised int32 — `lrint(x · 2^31)` in double precision with
//!   clipping to `[INT_MIN, INT_MAX]` (NaN → `INT_MIN`) — and then takes the top 16 bits
//!   (`>> 16`). For ordinary values this is `floor(x · 32768)`, except that values within
//!   2^-17 of the next integer round up to it (e.g. `(k − 2^-17)/32768 → k`, tiny negatives
//!   like `-1e-300 → 0`). Results: 1.0 → 32767, −1.0 → −32768, ±1.5 → ±clip, +inf → 32767,
//!   −inf → −32768, NaN → −32768.
//! * int32 → int16: arithmetic shift right by 16. int16: unchanged.
//!
//! Limits (as soundfile/libsndfile): 1..=1024 channels, sample rate 1..=2^31−1, whole frames
//! only, and the RIFF size must fit in 32 bits.

/// Interleaved samples (`frames × channels`), in the numpy dtype that was passed to soundfile.
#[derive(Clone, Copy, Debug)]
pub enum Samples<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I16(&'a [i16]),
    I32(&'a [i32]),
}

impl Samples<'_> {
    /// Number of samples (frames × channels).
    pub fn len(&self) -> usize {
        match self {
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
            Samples::I16(v) => v.len(),
            Samples::I32(v) => v.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// libsndfile's maximum channel count (`SF_MAX_CHANNELS`).
pub const MAX_CHANNELS: u16 = 1024;

/// Encode `samples` as a 16-bit PCM WAV file, byte-identical to soundfile/libsndfile.
pub fn encode_wav(
    samples: Samples<'_>,
    channels: u16,
    sample_rate: u32,
) -> Result<Vec<u8>, String> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(format!(
            "invalid channel count {channels} (libsndfile: Format not recognised; 1..=1024 \
             channels supported)"
        ));
    }
    if sample_rate == 0 {
        return Err("sample rate must be positive (libsndfile: SF_INFO struct incomplete)".into());
    }
    if sample_rate > i32::MAX as u32 {
        return Err(format!("sample rate {sample_rate} does not fit a C int"));
    }
    let n = samples.len();
    if !n.is_multiple_of(channels as usize) {
        return Err(format!(
            "{n} samples are not a whole number of frames of {channels} channels"
        ));
    }
    let data_bytes = n
        .checked_mul(2)
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| d.checked_add(36).is_some())
        .ok_or_else(|| format!("audio data too large for a RIFF/WAV file ({n} samples)"))?;

    let total = usize::try_from(44 + u64::from(data_bytes))
        .map_err(|_| format!("audio data too large for this platform ({n} samples)"))?;
    let mut out = Vec::new();
    out.try_reserve_exact(total)
        .map_err(|e| format!("cannot allocate {total} bytes for the WAV file: {e}"))?;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    let byte_rate = sample_rate.wrapping_mul(channels as u32).wrapping_mul(2);
    out.extend_from_slice(&byte_rate.to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());

    // Samples are written into the pre-sized buffer (one vectorisable pass per dtype).
    let start = out.len();
    out.resize(total, 0);
    let pcm = out[start..].chunks_exact_mut(2);
    match samples {
        Samples::F64(v) => pcm
            .zip(v)
            .for_each(|(o, &x)| o.copy_from_slice(&float_to_i16(x).to_le_bytes())),
        Samples::F32(v) => pcm
            .zip(v)
            .for_each(|(o, &x)| o.copy_from_slice(&float_to_i16(x as f64).to_le_bytes())),
        Samples::I16(v) => pcm
            .zip(v)
            .for_each(|(o, &x)| o.copy_from_slice(&x.to_le_bytes())),
        Samples::I32(v) => pcm
            .zip(v)
            .for_each(|(o, &x)| o.copy_from_slice(&((x >> 16) as i16).to_le_bytes())),
    }
    Ok(out)
}

/// libsndfile's float → PCM16 path: normalised `lrint(x · 2^31)` with clipping, then `>> 16`.
/// (float32 input is exact in double, so one function serves both.)
///
/// Branch-free so the conversion loop vectorises: clamping to [-2^31, 2^31 - 1] first
/// (NaN → -2^31, as `f64::max` drops NaN) and rounding half-to-even with the 1.5·2^52 trick
/// gives the same `>> 16` result as libsndfile's clip-then-`lrint` (the only difference,
/// -2^31 + 1 instead of -2^31 just above the negative clip level, vanishes in the shift).
#[inline(always)]
pub fn float_to_i16(x: f64) -> i16 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    #[allow(clippy::manual_clamp)] // NaN must become -2^31 (clamp would keep NaN)
    let c = (x * 2_147_483_648.0)
        .max(-2_147_483_648.0)
        .min(2_147_483_647.0);
    // low 32 mantissa bits of (c + 1.5·2^52) = round_ties_even(c) in two's complement
    let i = (c + MAGIC).to_bits() as u32 as i32;
    (i >> 16) as i16
}

/// libsndfile's conversion as written (reference for the property test).
#[cfg(test)]
fn float_to_i16_reference(x: f64) -> i16 {
    let v = x * 2_147_483_648.0;
    let i: i32 = if v > 2_147_483_647.0 {
        i32::MAX
    } else if v < -2_147_483_647.0 || v.is_nan() {
        i32::MIN
    } else {
        v.round_ties_even() as i32
    };
    (i >> 16) as i16
}

#[cfg(test)]
mod tests {
    //! Expected bytes/hashes were produced by `soundfile.write(path, data, sr)` (soundfile
    //! 0.14.0, libsndfile 1.2.2), i.e. the call `wandb.Audio` makes.
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha(b: &[u8]) -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn spec_test_vectors() {
        let w = encode_wav(Samples::F64(&[0.0; 8]), 1, 8000).unwrap();
        assert_eq!(w.len(), 60);
        assert_eq!(
            sha(&w),
            "86b5f5a4a69b226cef532cb4019df8ff0c08a804fa919af5d116e6e257cd9eac"
        );
        assert_eq!(
            hex(&w[..44]),
            "524946463400000057415645666d74201000000001000100401f0000803e0000020010006461746110000000"
        );
        let x = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -1.5, 1.0 / 65536.0, 0.99999];
        let w = encode_wav(Samples::F64(&x), 1, 8000).unwrap();
        assert_eq!(w.len(), 62);
        assert_eq!(
            sha(&w),
            "b31ab39ecb863fc67ff1dcd6c9cbef471c2d1be2f3f89c238ce236cee5e5c615"
        );
    }

    #[test]
    fn float_conversion_matches_libsndfile() {
        let t = 2f64.powi(-17);
        let cases: &[(f64, i16)] = &[
            (0.49999997, 16383),
            (-1e-9, -1),
            (-0.1 / 32768.0, -1),
            (1.0 / 65536.0, 0),
            (0.99999, 32767),
            (1.0, 32767),
            (-1.0, -32768),
            (1.5, 32767),
            (-1.5, -32768),
            (f64::INFINITY, 32767),
            (f64::NEG_INFINITY, -32768),
            (f64::NAN, -32768),
            (0.5 / 32768.0, 0),
            (-0.5 / 32768.0, -1),
            (2.5 / 32768.0, 2),
            (-2.5 / 32768.0, -3),
            (-1e-300, 0),
            (5e-324, 0),
            // libsndfile rounds x·2^31 to nearest before taking the top 16 bits:
            ((1.0 - t) / 32768.0, 1),
            ((101.0 - t) / 32768.0, 101),
            ((-1.0 - t) / 32768.0, -1),
            (-t / 32768.0, 0),
            ((1.0 - 2.0 * t) / 32768.0, 0),
            (32766.99999 / 32768.0, 32766),
        ];
        for &(x, want) in cases {
            assert_eq!(float_to_i16(x), want, "x = {x:e}");
        }
        // float32 input: x·2^31 is exact, same rule (subnormal negatives → 0).
        let w = encode_wav(Samples::F32(&[-1e-40, 0.49999997, f32::NAN, -1.0]), 1, 8000).unwrap();
        let s: Vec<i16> = w[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(s, vec![0, 16383, -32768, -32768]);
    }

    #[test]
    fn float_to_i16_matches_reference() {
        let mut st = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            st
        };
        let mut vals = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.0,
            -2.0,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            f64::MAX,
            f64::MIN,
            5e-324,
            -5e-324,
            0.49999997,
            -0.9999999995343387,
            -1.0000000004656613,
            0.9999999995343387,
            1.0000000004656613,
        ];
        for k in -40..=40 {
            // values on and around the rounding ties of x·2^31 (multiples of 2^-32)
            let t = (k as f64 + 0.5) / 2_147_483_648.0;
            vals.extend([
                t,
                -t,
                f64::from_bits(t.to_bits() + 1),
                f64::from_bits(t.to_bits() - 1),
            ]);
            let h = (k as f64 * 65536.0 + 0.5) / 2_147_483_648.0;
            vals.extend([h, -h, 1.0 - h, h - 1.0]);
        }
        for _ in 0..2_000_000 {
            let r = next();
            vals.push(match r % 4 {
                0 => f64::from_bits(next()),
                1 => (r >> 11) as f64 / (1u64 << 52) as f64 * 2.0 - 1.0,
                2 => f32::from_bits(next() as u32) as f64,
                _ => ((r >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0) as f32 as f64,
            });
        }
        for &v in &vals {
            assert_eq!(float_to_i16(v), float_to_i16_reference(v), "{v:e}");
        }
    }

    #[test]
    fn integer_samples() {
        let w = encode_wav(
            Samples::I32(&[65536, -1, 32767, -65537, i32::MIN, i32::MAX]),
            2,
            8000,
        )
        .unwrap();
        let s: Vec<i16> = w[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(s, vec![1, -1, 0, -2, -32768, 32767]);
        let w = encode_wav(Samples::I16(&[1, -2, i16::MIN, i16::MAX]), 1, 8000).unwrap();
        assert_eq!(hex(&w[44..]), "0100feff0080ff7f");
    }

    #[test]
    fn headers() {
        // np.zeros((2, 3)), sr 48000: 2 frames x 3 channels, plain PCM header.
        let w = encode_wav(Samples::F64(&[0.0; 6]), 3, 48000).unwrap();
        assert_eq!(
            hex(&w[..44]),
            "524946463000000057415645666d7420100000000100030080bb00000065040006001000646174610c000000"
        );
        // np.zeros((3, 700)), sr 2**31-1: byte rate wraps in 32 bits.
        let w = encode_wav(Samples::F64(&vec![0.0; 2100]), 700, 2147483647).unwrap();
        assert_eq!(
            hex(&w[..44]),
            "524946468c10000057415645666d7420100000000100bc02ffffff7f88faffff780510006461746168100000"
        );
        // empty input: header only
        let w = encode_wav(Samples::F32(&[]), 1, 8000).unwrap();
        assert_eq!(
            hex(&w),
            "524946462400000057415645666d74201000000001000100401f0000803e0000020010006461746100000000"
        );
    }

    #[test]
    fn errors() {
        assert!(encode_wav(Samples::F64(&[0.0; 2]), 0, 8000).is_err());
        assert!(encode_wav(Samples::F64(&[0.0; 1025]), 1025, 8000).is_err());
        assert!(encode_wav(Samples::F64(&[0.0; 1024]), 1024, 8000).is_ok());
        assert!(encode_wav(Samples::F64(&[0.0; 2]), 1, 0).is_err());
        assert!(encode_wav(Samples::F64(&[0.0; 2]), 1, 1 << 31).is_err());
        assert!(encode_wav(Samples::F64(&[0.0; 3]), 2, 8000).is_err());
    }
}
