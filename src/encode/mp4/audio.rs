//! Opus audio for the audio track of an MP4 video (Opus in ISO-BMFF: an `Opus` sample entry
//! with a `dOps` box, 48 kHz media timescale, one 20 ms Opus packet per sample, the encoder's
//! priming samples trimmed by an edit list).
//!
//! PCM arrives as 16-bit samples at the caller's rate (the same 16-bit PCM `wandb.Audio`
//! writes to its WAV: see [`crate::media::video::audio_pcm`]), is resampled to 48 kHz when
//! needed ([`Resampler`]) and encoded by libopus (BSD-3-Clause, compiled from the sources in
//! the `opusic-sys` crate; cargo feature `opus`). Without the feature every constructor
//! fails with [`UNSUPPORTED`].
//!
//! Encoded packets go to a [`SampleStore`] (spooled to a temporary file beyond 1 MiB), so a
//! long capture's audio does not grow the process's memory either.

use super::mux::SampleStore;

/// Whether this build can encode audio tracks (cargo feature `opus`).
pub const AVAILABLE: bool = cfg!(feature = "opus");
/// The error of a build without the `opus` feature.
pub const UNSUPPORTED: &str = "audio track: this build of wandb-media has no Opus encoder (cargo feature `opus`, off in cross builds); log the audio separately with wb_audio_from_tensor";

/// Opus always runs at 48 kHz here (the MP4 media timescale of the track).
pub const OPUS_RATE: u32 = 48_000;
/// Samples (per channel, at 48 kHz) in one 20 ms Opus packet = one MP4 sample.
pub const FRAME: usize = 960;
/// Accepted input sample rates.
pub const MIN_RATE: u32 = 1_000;
pub const MAX_RATE: u32 = 384_000;
/// Accepted channel counts (mono, stereo: Opus channel mapping family 0).
pub const MAX_CHANNELS: usize = 2;
/// Target bitrate per channel (bit/s): transparent for most content at 20 ms frames.
const BITRATE_PER_CHANNEL: i32 = 64_000;

/// A finished, encoded audio track, ready for [`super::mux::write_mp4`].
pub struct AudioTrack {
    pub(crate) channels: u8,
    /// The caller's sample rate (reported as `InputSampleRate` in `dOps`).
    pub(crate) input_rate: u32,
    /// Encoder delay in 48 kHz samples (`PreSkip`, and the edit list's `media_time`).
    pub(crate) pre_skip: u16,
    /// Samples (per channel, 48 kHz) of real audio after the pre-skip: the edit's duration.
    pub(crate) valid: u64,
    /// One Opus packet of [`FRAME`] samples per MP4 sample.
    pub(crate) store: SampleStore,
}

/// Checks an audio track's channel count and sample rate (before any data is read).
pub fn check_format(channels: usize, rate: u32) -> Result<(), String> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(format!(
            "audio track: {channels} channels; a video's audio track takes 1 (mono) or 2 (stereo) channels (downmix first)"
        ));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(format!(
            "audio track: sample_rate = {rate} is out of range ({MIN_RATE}..={MAX_RATE} Hz)"
        ));
    }
    if !AVAILABLE {
        return Err(UNSUPPORTED.to_string());
    }
    Ok(())
}

/// Streaming audio encoder: interleaved 16-bit PCM in (any number of pushes), an
/// [`AudioTrack`] out.
pub struct AudioEncoder {
    channels: usize,
    input_rate: u32,
    resampler: Option<Resampler>,
    /// 48 kHz interleaved samples waiting for a full packet.
    pending: Vec<f32>,
    enc: backend::Encoder,
    pre_skip: u16,
    store: SampleStore,
    /// Input frames (samples per channel) pushed so far.
    frames_in: u64,
    packet: Vec<u8>,
}

impl std::fmt::Debug for AudioEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AudioEncoder({} ch, {} Hz, {} frames)",
            self.channels, self.input_rate, self.frames_in
        )
    }
}

impl AudioEncoder {
    /// An encoder for `channels` (1 or 2) channels at `rate` Hz.
    pub fn new(channels: usize, rate: u32) -> Result<Self, String> {
        check_format(channels, rate)?;
        let enc = backend::Encoder::new(channels, BITRATE_PER_CHANNEL * channels as i32)?;
        let pre_skip = enc.lookahead()?;
        Ok(Self {
            channels,
            input_rate: rate,
            resampler: (rate != OPUS_RATE).then(|| Resampler::new(channels, rate, OPUS_RATE)),
            pending: Vec::new(),
            enc,
            pre_skip,
            store: SampleStore::new(),
            frames_in: 0,
            packet: vec![0; 4000],
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }
    pub fn sample_rate(&self) -> u32 {
        self.input_rate
    }

    /// Appends interleaved 16-bit samples (`frames × channels` values).
    pub fn push(&mut self, pcm: &[i16]) -> Result<(), String> {
        if !pcm.len().is_multiple_of(self.channels) {
            return Err("audio track: sample count is not a multiple of the channel count".into());
        }
        self.frames_in += (pcm.len() / self.channels) as u64;
        let f: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
        match &mut self.resampler {
            Some(r) => r.push(&f, &mut self.pending),
            None => self.pending.extend_from_slice(&f),
        }
        self.encode_full_packets()
    }

    fn encode_full_packets(&mut self) -> Result<(), String> {
        let step = FRAME * self.channels;
        let mut at = 0;
        while self.pending.len() - at >= step {
            let n = self
                .enc
                .encode(&self.pending[at..at + step], &mut self.packet)?;
            self.store.push_sample(&[&self.packet[..n]])?;
            at += step;
        }
        self.pending.drain(..at);
        Ok(())
    }

    /// Flushes the resampler, pads the last packet (and the encoder delay) with silence and
    /// returns the track. Fails if no audio was pushed.
    pub fn finish(mut self) -> Result<AudioTrack, String> {
        if self.frames_in == 0 {
            return Err("audio track: no audio samples were given".into());
        }
        // Real audio at 48 kHz: the resampler produces round(frames · 48000 / rate) samples.
        let valid = match &mut self.resampler {
            Some(r) => {
                r.flush(self.frames_in, &mut self.pending);
                r.produced
            }
            None => self.frames_in,
        };
        // Encode until every valid sample has come out of the encoder (delay = pre_skip).
        let needed = valid + u64::from(self.pre_skip);
        let packets = needed.div_ceil(FRAME as u64);
        let have = self.store.sizes().len() as u64 * FRAME as u64
            + (self.pending.len() / self.channels) as u64;
        let total = packets * FRAME as u64;
        if have < total {
            let pad = ((total - have) as usize)
                .checked_mul(self.channels)
                .ok_or("audio track too long")?;
            self.pending.resize(self.pending.len() + pad, 0.0);
        }
        self.encode_full_packets()?;
        Ok(AudioTrack {
            channels: self.channels as u8,
            input_rate: self.input_rate,
            pre_skip: self.pre_skip,
            valid,
            store: self.store,
        })
    }
}

/// The `Opus` sample entry (an AudioSampleEntry) with its `dOps` box (Opus in ISO-BMFF
/// §4.3.1–4.3.2: version 0, channel mapping family 0 for mono/stereo, output gain 0).
pub(crate) fn opus_entry(t: &AudioTrack) -> Vec<u8> {
    let mut b = Vec::new();
    let begin = |b: &mut Vec<u8>, kind: &[u8; 4]| {
        let at = b.len();
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(kind);
        at
    };
    let end = |b: &mut Vec<u8>, at: usize| {
        let size = (b.len() - at) as u32;
        b[at..at + 4].copy_from_slice(&size.to_be_bytes());
    };
    let entry = begin(&mut b, b"Opus");
    b.extend_from_slice(&[0; 6]); // reserved
    b.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    b.extend_from_slice(&[0; 8]); // reserved (version, revision, vendor)
    b.extend_from_slice(&u16::from(t.channels).to_be_bytes()); // channelcount
    b.extend_from_slice(&16u16.to_be_bytes()); // samplesize
    b.extend_from_slice(&[0; 4]); // pre_defined, reserved
    b.extend_from_slice(&(OPUS_RATE << 16).to_be_bytes()); // samplerate 16.16
    let dops = begin(&mut b, b"dOps");
    b.push(0); // Version
    b.push(t.channels); // OutputChannelCount
    b.extend_from_slice(&t.pre_skip.to_be_bytes()); // PreSkip
    b.extend_from_slice(&t.input_rate.to_be_bytes()); // InputSampleRate
    b.extend_from_slice(&0i16.to_be_bytes()); // OutputGain
    b.push(0); // ChannelMappingFamily 0: mono or stereo, no mapping table
    end(&mut b, dops);
    end(&mut b, entry);
    b
}

/// Band-limited resampler (windowed sinc, Blackman window, 32 zero crossings on each side,
/// cut-off at 95 % of the lower Nyquist frequency), streaming and interleaved.
///
/// Hand-written on purpose: it is ~80 lines of plain arithmetic used once per audio track,
/// while the maintained resampling crates (rubato) bring FFT crates and a block-based API
/// that does not fit pushes of arbitrary length. The kernel is tabulated (512 points per
/// input sample, linearly interpolated: error < 1e-5, far below 16-bit PCM) and each output
/// sample's taps are normalised to sum to 1 (exact DC gain).
struct Resampler {
    channels: usize,
    in_rate: u64,
    out_rate: u64,
    /// Half-width of the kernel in input samples.
    half: f64,
    table: Vec<f32>,
    /// Input history (interleaved); `buf[0]` is input frame `base`.
    buf: Vec<f32>,
    base: u64,
    /// Output frames produced so far.
    produced: u64,
    /// Normalised taps per phase (rational ratios with few phases), filled on first use.
    cache: Vec<Option<(i64, Vec<f32>)>>,
    /// `out_rate / phases`: the phase of an output is its fraction numerator / this.
    phase_step: u64,
    /// Taps of the current output when there is no cache (ratios with many phases).
    weights: Vec<f32>,
}

/// Largest number of cached kernel phases (44.1 → 48 kHz has 160; 11.025 kHz 640).
const MAX_PHASES: u64 = 4096;

const TABLE_STEPS: f64 = 512.0;
const ZERO_CROSSINGS: f64 = 32.0;

impl Resampler {
    fn new(channels: usize, in_rate: u32, out_rate: u32) -> Self {
        // cut-off in cycles per input sample
        let fc = 0.5 * (f64::from(out_rate) / f64::from(in_rate)).min(1.0) * 0.95;
        let half = ZERO_CROSSINGS / (2.0 * fc);
        let n = (half * TABLE_STEPS).ceil() as usize + 2;
        let table = (0..n)
            .map(|i| {
                let d = i as f64 / TABLE_STEPS; // distance in input samples
                if d >= half {
                    return 0.0;
                }
                let x = 2.0 * fc * d;
                let sinc = if x == 0.0 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                // Blackman window over [-half, half]
                let w = 0.42
                    + 0.5 * (std::f64::consts::PI * d / half).cos()
                    + 0.08 * (2.0 * std::f64::consts::PI * d / half).cos();
                (sinc * w) as f32
            })
            .collect();
        // phases of the output grid relative to the input grid: out_rate / gcd(in, out)
        let (mut a, mut b) = (u64::from(in_rate), u64::from(out_rate));
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let phases = u64::from(out_rate) / a;
        Self {
            channels,
            in_rate: u64::from(in_rate),
            out_rate: u64::from(out_rate),
            half,
            table,
            buf: Vec::new(),
            base: 0,
            produced: 0,
            cache: if phases <= MAX_PHASES {
                vec![None; phases as usize]
            } else {
                Vec::new()
            },
            phase_step: u64::from(out_rate) / phases,
            weights: Vec::new(),
        }
    }

    fn kernel(&self, d: f64) -> f32 {
        let p = d.abs() * TABLE_STEPS;
        let i = p as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let f = (p - i as f64) as f32;
        self.table[i] * (1.0 - f) + self.table[i + 1] * f
    }

    /// Input frames available (pushed so far).
    fn end(&self) -> u64 {
        self.base + (self.buf.len() / self.channels) as u64
    }

    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.buf.extend_from_slice(input);
        let end = self.end();
        self.run(Some(end), out, None);
    }

    /// Produces the remaining outputs (input beyond the end is silence): in total
    /// round(frames_in · out_rate / in_rate).
    fn flush(&mut self, frames_in: u64, out: &mut Vec<f32>) {
        let total = (u128::from(frames_in) * u128::from(self.out_rate)
            + u128::from(self.in_rate) / 2)
            / u128::from(self.in_rate);
        self.run(None, out, Some(total as u64));
    }

    /// The kernel taps of an output at input time `t_int + frac` (`rem` = the fraction's
    /// numerator over `out_rate`): (offset of the first tap from `t_int`, taps normalised to
    /// sum 1). They depend only on the phase, so for rational ratios with at most
    /// [`MAX_PHASES`] phases (44.1 kHz: 160) they are computed once per phase.
    fn taps(&mut self, rem: u64, frac: f64) -> (i64, Option<usize>) {
        let phase = (rem / self.phase_step) as usize;
        if let Some(Some((off, _))) = self.cache.get(phase) {
            return (*off, Some(phase));
        }
        let half = self.half;
        let lo = (frac - half).ceil() as i64;
        let hi = (frac + half).floor() as i64;
        let mut w: Vec<f32> = (lo..=hi).map(|j| self.kernel(frac - j as f64)).collect();
        let sum: f32 = w.iter().sum();
        let norm = if sum.abs() > 1e-6 { 1.0 / sum } else { 0.0 };
        w.iter_mut().for_each(|v| *v *= norm);
        if phase < self.cache.len() {
            self.cache[phase] = Some((lo, w));
            (lo, Some(phase))
        } else {
            self.weights = w;
            (lo, None)
        }
    }

    /// Emits output frames whose input window lies before `avail` (input frames pushed), or,
    /// when flushing (`avail` None), until `limit` outputs exist. Input before the start and
    /// beyond the end is silence.
    fn run(&mut self, avail: Option<u64>, out: &mut Vec<f32>, limit: Option<u64>) {
        let ch = self.channels;
        debug_assert!(ch == 1 || ch == 2);
        loop {
            if limit.is_some_and(|l| self.produced >= l) {
                break;
            }
            // input time of output `produced`: produced · in / out
            let num = u128::from(self.produced) * u128::from(self.in_rate);
            let t_int = (num / u128::from(self.out_rate)) as i64;
            let rem = (num % u128::from(self.out_rate)) as u64;
            let (off, phase) = self.taps(rem, rem as f64 / self.out_rate as f64);
            let w: &[f32] = match phase {
                Some(p) => self.cache[p].as_ref().map_or(&[], |c| c.1.as_slice()),
                None => &self.weights,
            };
            let lo = t_int + off;
            let hi = lo + w.len() as i64 - 1;
            if avail.is_some_and(|end| hi >= end as i64) {
                break;
            }
            // taps that fall on pushed input (before the start and beyond the end: silence)
            let base = self.base as i64;
            let frames = (self.buf.len() / ch) as i64;
            let first = (base - lo).clamp(0, w.len() as i64) as usize;
            let last = (base + frames - lo).clamp(first as i64, w.len() as i64) as usize;
            let (x, w): (&[f32], &[f32]) = if last > first {
                let x0 = (lo + first as i64 - base) as usize * ch;
                (&self.buf[x0..x0 + (last - first) * ch], &w[first..last])
            } else {
                (&[], &[])
            };
            match ch {
                1 => {
                    let y: f32 = w.iter().zip(x).map(|(a, b)| a * b).sum();
                    out.push(y.clamp(-1.0, 1.0));
                }
                _ => {
                    let (mut l, mut r) = (0.0f32, 0.0f32);
                    for (a, p) in w.iter().zip(x.chunks_exact(2)) {
                        l += a * p[0];
                        r += a * p[1];
                    }
                    out.push(l.clamp(-1.0, 1.0));
                    out.push(r.clamp(-1.0, 1.0));
                }
            }
            self.produced += 1;
            // drop history no later output needs (later outputs start at or after `lo`)
            if lo > self.base as i64 + 4096 {
                let drop = ((lo - self.base as i64) as usize).min(self.buf.len() / ch);
                self.buf.drain(..drop * ch);
                self.base += drop as u64;
            }
        }
    }
}

#[cfg(feature = "opus")]
mod backend {
    use opusic_sys as ffi;

    /// An owned libopus encoder (48 kHz, `OPUS_APPLICATION_AUDIO`).
    pub struct Encoder {
        st: *mut ffi::OpusEncoder,
        channels: usize,
    }

    // SAFETY: the libopus encoder state has no thread affinity; it is used through `&mut`.
    unsafe impl Send for Encoder {}

    impl Encoder {
        pub fn new(channels: usize, bitrate: i32) -> Result<Self, String> {
            let mut err = 0;
            // SAFETY: valid arguments; the result is checked for NULL.
            let st = unsafe {
                ffi::opus_encoder_create(
                    super::OPUS_RATE as i32,
                    channels as i32,
                    ffi::OPUS_APPLICATION_AUDIO,
                    &mut err,
                )
            };
            if st.is_null() || err != ffi::OPUS_OK {
                return Err(format!(
                    "audio track: cannot create the Opus encoder ({err})"
                ));
            }
            let enc = Self { st, channels };
            // SAFETY: `st` is a live encoder; OPUS_SET_BITRATE takes an opus_int32.
            let r =
                unsafe { ffi::opus_encoder_ctl(enc.st, ffi::OPUS_SET_BITRATE_REQUEST, bitrate) };
            if r != ffi::OPUS_OK {
                return Err(format!("audio track: Opus bitrate {bitrate} refused ({r})"));
            }
            Ok(enc)
        }

        /// The encoder delay in 48 kHz samples (Ogg/MP4 pre-skip).
        pub fn lookahead(&self) -> Result<u16, String> {
            let mut v: i32 = 0;
            // SAFETY: OPUS_GET_LOOKAHEAD writes one opus_int32 through the pointer.
            let r = unsafe {
                ffi::opus_encoder_ctl(self.st, ffi::OPUS_GET_LOOKAHEAD_REQUEST, &mut v as *mut i32)
            };
            if r != ffi::OPUS_OK {
                return Err(format!("audio track: Opus lookahead query failed ({r})"));
            }
            u16::try_from(v).map_err(|_| "audio track: unexpected Opus lookahead".to_string())
        }

        /// Encodes one frame (`FRAME × channels` interleaved floats); returns the packet size.
        pub fn encode(&mut self, pcm: &[f32], out: &mut [u8]) -> Result<usize, String> {
            debug_assert_eq!(pcm.len(), super::FRAME * self.channels);
            // SAFETY: `pcm` holds FRAME frames of `channels` samples; `out` is writable for
            // its length.
            let n = unsafe {
                ffi::opus_encode_float(
                    self.st,
                    pcm.as_ptr(),
                    super::FRAME as i32,
                    out.as_mut_ptr(),
                    out.len() as i32,
                )
            };
            if n < 0 {
                return Err(format!("audio track: Opus encoding failed ({n})"));
            }
            Ok(n as usize)
        }
    }

    impl Drop for Encoder {
        fn drop(&mut self) {
            // SAFETY: created by opus_encoder_create, destroyed once.
            unsafe { ffi::opus_encoder_destroy(self.st) }
        }
    }
}

#[cfg(not(feature = "opus"))]
mod backend {
    /// Stand-in without the `opus` feature: construction fails.
    pub struct Encoder;
    impl Encoder {
        pub fn new(_channels: usize, _bitrate: i32) -> Result<Self, String> {
            Err(super::UNSUPPORTED.to_string())
        }
        pub fn lookahead(&self) -> Result<u16, String> {
            Err(super::UNSUPPORTED.to_string())
        }
        pub fn encode(&mut self, _pcm: &[f32], _out: &mut [u8]) -> Result<usize, String> {
            Err(super::UNSUPPORTED.to_string())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn sine(rate: u32, freq: f64, frames: usize, amp: f64) -> Vec<f32> {
        (0..frames)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    /// Amplitude and phase of the best-fitting sine of `freq` (least squares on sin/cos),
    /// and the SNR (dB) of the fit, over `x[skip..len-skip]`.
    pub(crate) fn fit(x: &[f32], rate: f64, freq: f64, skip: usize) -> (f64, f64, f64) {
        let (mut ss, mut sc, mut cc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let w = 2.0 * std::f64::consts::PI * freq / rate;
        let range = skip..x.len() - skip;
        for i in range.clone() {
            let (s, c) = ((w * i as f64).sin(), (w * i as f64).cos());
            let y = f64::from(x[i]);
            ss += s * s;
            sc += s * c;
            cc += c * c;
            ys += y * s;
            yc += y * c;
        }
        let det = ss * cc - sc * sc;
        let a = (ys * cc - yc * sc) / det;
        let b = (yc * ss - ys * sc) / det;
        let (mut sig, mut noise) = (0.0, 0.0);
        for i in range {
            let m = a * (w * i as f64).sin() + b * (w * i as f64).cos();
            sig += m * m;
            noise += (f64::from(x[i]) - m).powi(2);
        }
        (
            a.hypot(b),
            b.atan2(a),
            10.0 * (sig / noise.max(1e-30)).log10(),
        )
    }

    fn resample(rate: u32, input: &[f32], chunk: usize) -> Vec<f32> {
        let mut r = Resampler::new(1, rate, OPUS_RATE);
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            r.push(c, &mut out);
        }
        r.flush(input.len() as u64, &mut out);
        out
    }

    #[test]
    fn resampler_keeps_a_sine_length_and_phase() {
        for (rate, freq) in [
            (44_100, 1000.0),
            (16_000, 3000.0),
            (8_000, 440.0),
            (96_000, 5000.0),
            (22_050, 9_000.0),
            (44_101, 2_000.0), // 48 000 phases: taps computed per output, not cached
        ] {
            let input = sine(rate, freq, rate as usize, 0.5); // one second
            let out = resample(rate, &input, 777);
            assert_eq!(out.len(), 48_000, "{rate}");
            let (amp, phase, snr) = fit(&out, 48_000.0, freq, 2000);
            assert!((amp - 0.5).abs() < 0.005, "{rate}: amplitude {amp}");
            assert!(phase.abs() < 0.01, "{rate}: phase {phase}");
            assert!(snr > 60.0, "{rate}: snr {snr}");
            // pushing in other block sizes gives the same samples
            assert_eq!(out, resample(rate, &input, 48_000 * 3));
        }
    }

    #[test]
    fn resampler_history_stays_bounded() {
        let mut r = Resampler::new(2, 44_100, OPUS_RATE);
        let block = vec![0.1f32; 2 * 4410];
        let mut out = Vec::new();
        for _ in 0..100 {
            // 10 s in 0.1 s blocks
            r.push(&block, &mut out);
            assert!(r.buf.len() <= 2 * (4410 + 4096 + 200), "{}", r.buf.len());
            out.clear();
        }
        r.flush(441_000, &mut out);
        assert_eq!(r.produced, 480_000);
    }

    #[test]
    fn resampler_removes_what_48k_cannot_carry() {
        // a 30 kHz tone at 96 kHz would alias to 18 kHz: it must be filtered out
        let input = sine(96_000, 30_000.0, 96_000, 0.5);
        let out = resample(96_000, &input, 1000);
        let rms = (out[2000..46_000]
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            / 44_000.0)
            .sqrt();
        assert!(rms < 0.5 / 2f64.sqrt() * 0.01, "alias rms {rms}");
        // DC passes unchanged
        let out = resample(44_100, &vec![0.25f32; 44_100], 500);
        assert!(out[100..47_900].iter().all(|&v| (v - 0.25).abs() < 1e-4));
    }

    #[test]
    fn format_checks() {
        assert!(check_format(3, 48_000)
            .unwrap_err()
            .contains("1 (mono) or 2 (stereo)"));
        assert!(check_format(0, 48_000).is_err());
        assert!(check_format(1, 999)
            .unwrap_err()
            .contains("sample_rate = 999"));
        assert!(check_format(1, 384_001).is_err());
        assert_eq!(check_format(2, 8_000).is_ok(), AVAILABLE);
    }

    #[cfg(feature = "opus")]
    pub(crate) fn decode(t: &[Vec<u8>], channels: usize) -> Vec<f32> {
        use opusic_sys as ffi;
        let mut err = 0;
        // SAFETY: test-only use of the libopus decoder with valid arguments.
        let dec = unsafe { ffi::opus_decoder_create(48_000, channels as i32, &mut err) };
        assert!(!dec.is_null() && err == 0);
        let mut out = Vec::new();
        let mut buf = vec![0f32; 5760 * channels];
        for p in t {
            // SAFETY: `buf` holds 5760 frames of `channels` samples.
            let n = unsafe {
                ffi::opus_decode_float(dec, p.as_ptr(), p.len() as i32, buf.as_mut_ptr(), 5760, 0)
            };
            assert_eq!(n, FRAME as i32);
            out.extend_from_slice(&buf[..FRAME * channels]);
        }
        // SAFETY: created above, destroyed once.
        unsafe { ffi::opus_decoder_destroy(dec) };
        out
    }

    #[cfg(feature = "opus")]
    #[test]
    fn encoder_output_decodes_to_the_input() {
        let rate = 44_100;
        let frames = rate as usize * 3 / 2; // 1.5 s
        let l = sine(rate, 440.0, frames, 0.5);
        let r = sine(rate, 660.0, frames, 0.25);
        let pcm: Vec<i16> = l
            .iter()
            .zip(&r)
            .flat_map(|(&a, &b)| [(a * 32768.0) as i16, (b * 32768.0) as i16])
            .collect();
        let mut enc = AudioEncoder::new(2, rate).unwrap();
        for c in pcm.chunks(2 * 1234) {
            enc.push(c).unwrap();
        }
        let t = enc.finish().unwrap();
        assert_eq!(t.valid, 72_000);
        assert!(t.pre_skip > 0 && t.pre_skip < 960 * 2);
        let n = t.store.sizes().len() as u64;
        assert_eq!(n, (72_000 + u64::from(t.pre_skip)).div_ceil(960));
        let entry = opus_entry(&t);
        assert_eq!(&entry[4..8], b"Opus");
        assert_eq!(u16::from_be_bytes([entry[24], entry[25]]), 2); // channelcount
        assert_eq!(&entry[36 + 4..36 + 8], b"dOps");
        let d = &entry[44..];
        assert_eq!((d[0], d[1]), (0, 2));
        assert_eq!(u16::from_be_bytes([d[2], d[3]]), t.pre_skip);
        assert_eq!(u32::from_be_bytes([d[4], d[5], d[6], d[7]]), 44_100);
        assert_eq!((d[8], d[9], d[10]), (0, 0, 0));
        let mut bytes = Vec::new();
        let sizes = t.store.sizes().to_vec();
        t.store.read_into(&mut bytes).unwrap();
        let mut packets = Vec::new();
        let mut at = 0;
        for s in sizes {
            packets.push(bytes[at..at + s as usize].to_vec());
            at += s as usize;
        }
        let out = decode(&packets, 2);
        let start = usize::from(t.pre_skip) * 2;
        let out = &out[start..start + 72_000 * 2];
        let ch = |c: usize| out.iter().skip(c).step_by(2).copied().collect::<Vec<f32>>();
        for (c, freq, amp) in [(0, 440.0, 0.5), (1, 660.0, 0.25)] {
            let (a, phase, snr) = fit(&ch(c), 48_000.0, freq, 2400);
            assert!((a - amp).abs() < 0.02 * amp, "ch{c}: amplitude {a}");
            assert!(
                phase.abs() < 0.05,
                "ch{c}: phase {phase} (pre-skip misaligned?)"
            );
            assert!(snr > 30.0, "ch{c}: snr {snr}");
        }
    }

    /// Boxes of `d[range]`: (type, payload range).
    pub(crate) fn boxes(
        d: &[u8],
        r: std::ops::Range<usize>,
    ) -> Vec<([u8; 4], std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut pos = r.start;
        while pos + 8 <= r.end {
            let size = u32::from_be_bytes(d[pos..pos + 4].try_into().unwrap()) as usize;
            assert!(size >= 8 && pos + size <= r.end, "bad box size");
            out.push((d[pos + 4..pos + 8].try_into().unwrap(), pos + 8..pos + size));
            pos += size;
        }
        assert_eq!(pos, r.end);
        out
    }
    fn find(d: &[u8], r: std::ops::Range<usize>, kind: &[u8; 4]) -> std::ops::Range<usize> {
        boxes(d, r).into_iter().find(|b| &b.0 == kind).unwrap().1
    }
    fn be32(d: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(d[at..at + 4].try_into().unwrap())
    }
    fn be64(d: &[u8], at: usize) -> u64 {
        u64::from_be_bytes(d[at..at + 8].try_into().unwrap())
    }

    /// One track of a parsed MP4: handler, media timescale, elst (duration, media_time),
    /// chunk offsets and samples (read through stsc/stco/stsz).
    pub(crate) struct Trak {
        pub handler: [u8; 4],
        pub timescale: u32,
        pub duration: u32,
        pub stts_total: u64,
        pub edit: Option<(u64, u64)>,
        pub chunks: Vec<u64>,
        pub samples: Vec<Vec<u8>>,
        pub stsd: std::ops::Range<usize>,
    }

    pub(crate) fn parse(d: &[u8]) -> (u32, u32, Vec<Trak>) {
        let top = boxes(d, 0..d.len());
        let kinds: Vec<[u8; 4]> = top.iter().map(|b| b.0).collect();
        assert_eq!(kinds, vec![*b"ftyp", *b"moov", *b"mdat"]);
        let moov = top[1].1.clone();
        let mvhd = find(d, moov.clone(), b"mvhd");
        let (movie_ts, movie_dur) = (be32(d, mvhd.start + 12), be32(d, mvhd.start + 16));
        let mut traks = Vec::new();
        for (k, r) in boxes(d, moov) {
            if &k != b"trak" {
                continue;
            }
            let edit = boxes(d, r.clone())
                .iter()
                .find(|b| &b.0 == b"edts")
                .map(|e| {
                    let elst = find(d, e.1.clone(), b"elst");
                    assert_eq!(be32(d, elst.start + 4), 1);
                    (be64(d, elst.start + 8), be64(d, elst.start + 16))
                });
            let mdia = find(d, r, b"mdia");
            let mdhd = find(d, mdia.clone(), b"mdhd");
            let hdlr = find(d, mdia.clone(), b"hdlr");
            let stbl = find(d, find(d, mdia, b"minf"), b"stbl");
            let stsc = find(d, stbl.clone(), b"stsc");
            let stsz = find(d, stbl.clone(), b"stsz");
            let stco = find(d, stbl.clone(), b"stco");
            let stts = find(d, stbl.clone(), b"stts");
            let stts_total = (0..be32(d, stts.start + 4) as usize)
                .map(|i| {
                    u64::from(be32(d, stts.start + 8 + 8 * i))
                        * u64::from(be32(d, stts.start + 12 + 8 * i))
                })
                .sum();
            let nchunks = be32(d, stco.start + 4) as usize;
            let chunks: Vec<u64> = (0..nchunks)
                .map(|i| u64::from(be32(d, stco.start + 8 + 4 * i)))
                .collect();
            let runs: Vec<(u32, u32)> = (0..be32(d, stsc.start + 4) as usize)
                .map(|i| {
                    (
                        be32(d, stsc.start + 8 + 12 * i),
                        be32(d, stsc.start + 12 + 12 * i),
                    )
                })
                .collect();
            let n = be32(d, stsz.start + 8) as usize;
            let mut samples = Vec::new();
            for (ci, &off) in chunks.iter().enumerate() {
                let per = runs
                    .iter()
                    .rev()
                    .find(|r| r.0 as usize <= ci + 1)
                    .unwrap()
                    .1;
                let mut at = off as usize;
                for _ in 0..per {
                    let size = be32(d, stsz.start + 12 + 4 * samples.len()) as usize;
                    samples.push(d[at..at + size].to_vec());
                    at += size;
                }
            }
            assert_eq!(samples.len(), n);
            traks.push(Trak {
                handler: d[hdlr.start + 8..hdlr.start + 12].try_into().unwrap(),
                timescale: be32(d, mdhd.start + 12),
                duration: be32(d, mdhd.start + 16),
                stts_total,
                edit,
                chunks,
                samples,
                stsd: find(d, stbl, b"stsd"),
            });
        }
        (movie_ts, movie_dur, traks)
    }

    #[cfg(all(feature = "opus", feature = "h264-source"))]
    #[test]
    fn mp4_with_an_opus_track() {
        use crate::encode::mp4::Mp4Encoder;
        let (w, h, fps, frames) = (32u32, 16u32, 10u32, 25usize); // 2.5 s of video
        let rate = 16_000;
        let audio = sine(rate, 1000.0, rate as usize * 3, 0.5); // 3 s of audio
        let pcm: Vec<i16> = audio.iter().map(|&v| (v * 32768.0) as i16).collect();
        let build = |with_audio: bool| {
            let mut enc = Mp4Encoder::new(w, h, fps).unwrap();
            for i in 0..frames {
                enc.push_frame(&vec![(i * 9) as u8; (w * h * 3) as usize])
                    .unwrap();
            }
            let track = with_audio.then(|| {
                let mut a = AudioEncoder::new(1, rate).unwrap();
                a.push(&pcm).unwrap();
                a.finish().unwrap()
            });
            enc.finish_with_audio(track).unwrap()
        };
        let plain = build(false);
        let mp4 = build(true);
        // without audio: one track, millisecond movie timescale, one chunk
        let (ts, dur, t) = parse(&plain);
        assert_eq!((ts, dur, t.len(), t[0].chunks.len()), (1000, 2500, 1, 1));
        let (ts, dur, t) = parse(&mp4);
        assert_eq!(t.len(), 2);
        assert_eq!(ts, 48_000);
        assert_eq!(dur, 3 * 48_000, "movie duration = the longer (audio) track");
        let (v, a) = (&t[0], &t[1]);
        assert_eq!((&v.handler, &a.handler), (b"vide", b"soun"));
        assert_eq!(a.timescale, 48_000);
        // the video samples are the same bytes as without audio
        assert_eq!(v.samples, parse(&plain).2[0].samples);
        // Opus entry + dOps
        let e = a.stsd.start + 8;
        assert_eq!(&mp4[e + 4..e + 8], b"Opus");
        let dops = e + 36;
        assert_eq!(&mp4[dops + 4..dops + 8], b"dOps");
        let pre_skip = u16::from_be_bytes([mp4[dops + 10], mp4[dops + 11]]);
        assert_eq!(be32(&mp4, dops + 12), rate);
        // media = priming + valid samples (the last packet is shortened, §4.3.4)
        assert_eq!(u64::from(a.duration), 144_000 + u64::from(pre_skip));
        assert_eq!(a.stts_total, u64::from(a.duration));
        assert_eq!(v.stts_total, u64::from(v.duration));
        // edit: all 3 s of audio after the pre-skip
        assert_eq!(a.edit, Some((144_000, u64::from(pre_skip))));
        // interleaved one-second chunks: 3 video (2.5 s) and 4 audio chunks (3 s + pre-skip), in
        // file order by time
        assert_eq!(v.chunks.len(), 3);
        assert_eq!(a.chunks.len(), 4);
        let mut all: Vec<(u64, bool)> = v
            .chunks
            .iter()
            .map(|&c| (c, false))
            .chain(a.chunks.iter().map(|&c| (c, true)))
            .collect();
        all.sort();
        let order: Vec<bool> = all.iter().map(|c| c.1).collect();
        assert_eq!(order, vec![false, true, false, true, false, true, true]);
        // the audio decodes to the sine, aligned after the pre-skip
        let pcm48 = decode(&a.samples, 1);
        let s = usize::from(pre_skip);
        let (amp, phase, snr) = fit(&pcm48[s..s + 144_000], 48_000.0, 1000.0, 2400);
        assert!(
            (amp - 0.5).abs() < 0.01 && phase.abs() < 0.05 && snr > 30.0,
            "{amp} {phase} {snr}"
        );
    }
}
