//! Minimal ISO-BMFF (MP4) muxer for one H.264 video track: `ftyp`, then `moov` (fast
//! start), then one `mdat` holding all samples as a single chunk. Hand-written because it
//! is small (one track, one chunk) and must write `moov` first from samples spooled to a
//! temporary file ([`SampleStore`]); the maintained Rust MP4 writers (`mp4`, `muxide`)
//! keep every sample in memory or write `moov` last.

/// Everything the muxer needs to know about the track.
pub(crate) struct Track<'a> {
    /// Display size (what `tkhd` and the sample entry announce).
    pub width: u32,
    pub height: u32,
    /// Media timescale (ticks per second of `durations` and `ctts`).
    pub timescale: u32,
    /// The sample entry box (`avc1` with its `avcC`), already serialised.
    pub sample_entry: &'a [u8],
    /// Sample durations (decode-time deltas), in media ticks.
    pub durations: Durations<'a>,
    /// Composition offsets (pts − dts, ≥ 0) per sample when pictures are reordered
    /// (B-frames); `None` when presentation order is decode order.
    pub ctts: Option<&'a [u32]>,
    /// Media time at which presentation starts (an edit list skips the composition delay
    /// of reordered streams so that the first picture shows at 0); 0 = no edit list.
    pub media_start: u64,
    /// 1-based numbers of the sync samples (IDR pictures).
    pub sync: &'a [u32],
}

/// Per-sample durations: one constant (fixed frame rate) or one value per sample.
#[derive(Clone, Copy)]
pub(crate) enum Durations<'a> {
    Constant(u32),
    PerSample(&'a [u32]),
}

impl Durations<'_> {
    fn total(&self, n: u64) -> u64 {
        match self {
            Durations::Constant(d) => n * u64::from(*d),
            Durations::PerSample(v) => v.iter().map(|&d| u64::from(d)).sum(),
        }
    }
    /// Run-length (count, delta) entries of `stts`.
    fn runs(&self, n: u32) -> Vec<(u32, u32)> {
        match self {
            Durations::Constant(d) => vec![(n, *d)],
            Durations::PerSample(v) => run_lengths(v),
        }
    }
}

fn run_lengths(v: &[u32]) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &d in v {
        match runs.last_mut() {
            Some((c, last)) if *last == d => *c += 1,
            _ => runs.push((1, d)),
        }
    }
    runs
}

/// The compressed samples of a track, in decode order: the first [`SPILL_AT`] bytes stay in
/// memory, everything beyond is appended to an anonymous temporary file (deleted by the OS
/// when closed, also after a crash), so a long capture does not grow the process's memory.
/// Only the sample sizes (4 bytes per frame) stay in RAM.
pub(crate) struct SampleStore {
    mem: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
    len: u64,
    sizes: Vec<u32>,
    spill_at: usize,
}

/// In-memory limit of a [`SampleStore`] before it spools to a temporary file.
pub(crate) const SPILL_AT: usize = 1 << 20;

impl SampleStore {
    pub(crate) fn new() -> Self {
        Self::with_spill(SPILL_AT)
    }
    pub(crate) fn with_spill(spill_at: usize) -> Self {
        Self {
            mem: Vec::new(),
            file: None,
            len: 0,
            sizes: Vec::new(),
            spill_at,
        }
    }
    pub(crate) fn sizes(&self) -> &[u32] {
        &self.sizes
    }
    #[cfg(test)]
    pub(crate) fn is_spooled(&self) -> bool {
        self.file.is_some()
    }
    /// Appends one sample given as its parts (e.g. length prefixes and NAL units).
    pub(crate) fn push_sample(&mut self, parts: &[&[u8]]) -> Result<(), String> {
        use std::io::Write;
        let size: usize = parts.iter().map(|p| p.len()).sum();
        let size32 = u32::try_from(size).map_err(|_| "mp4: sample too large".to_string())?;
        if self.file.is_none() && self.mem.len() + size > self.spill_at {
            let f = tempfile::tempfile().map_err(|e| {
                format!("mp4: cannot create a temporary file to spool the video: {e}")
            })?;
            let mut w = std::io::BufWriter::with_capacity(64 << 10, f);
            w.write_all(&self.mem)
                .map_err(|e| format!("mp4: writing the temporary spool file: {e}"))?;
            self.mem = Vec::new();
            self.file = Some(w);
        }
        match &mut self.file {
            Some(w) => {
                for p in parts {
                    w.write_all(p)
                        .map_err(|e| format!("mp4: writing the temporary spool file: {e}"))?;
                }
            }
            None => {
                self.mem
                    .try_reserve(size)
                    .map_err(|_| "mp4: out of memory".to_string())?;
                for p in parts {
                    self.mem.extend_from_slice(p);
                }
            }
        }
        self.len += size as u64;
        self.sizes.push(size32);
        Ok(())
    }
    /// Total bytes of all samples.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
    /// A sequential reader over all samples (for interleaved chunks).
    fn into_reader(self) -> Result<StoreReader, String> {
        use std::io::Seek;
        Ok(match self.file {
            None => StoreReader::Mem(self.mem, 0),
            Some(w) => {
                let mut f = w
                    .into_inner()
                    .map_err(|e| format!("mp4: writing the temporary spool file: {e}"))?;
                f.seek(std::io::SeekFrom::Start(0))
                    .map_err(|e| format!("mp4: reading the temporary spool file: {e}"))?;
                StoreReader::File(std::io::BufReader::with_capacity(64 << 10, f))
            }
        })
    }
    /// Appends all samples to `out`.
    pub(crate) fn read_into(self, out: &mut Vec<u8>) -> Result<(), String> {
        use std::io::{Read, Seek};
        match self.file {
            None => out.extend_from_slice(&self.mem),
            Some(w) => {
                let mut f = w
                    .into_inner()
                    .map_err(|e| format!("mp4: writing the temporary spool file: {e}"))?;
                f.seek(std::io::SeekFrom::Start(0))
                    .map_err(|e| format!("mp4: reading the temporary spool file: {e}"))?;
                let before = out.len();
                f.take(self.len)
                    .read_to_end(out)
                    .map_err(|e| format!("mp4: reading the temporary spool file: {e}"))?;
                if (out.len() - before) as u64 != self.len {
                    return Err("mp4: the temporary spool file was truncated".to_string());
                }
            }
        }
        Ok(())
    }
}

/// Reads a [`SampleStore`]'s bytes in order, a chunk at a time.
enum StoreReader {
    Mem(Vec<u8>, usize),
    File(std::io::BufReader<std::fs::File>),
}

impl StoreReader {
    /// Appends the next `n` bytes to `out`.
    fn copy_to(&mut self, n: u64, out: &mut Vec<u8>) -> Result<(), String> {
        use std::io::Read;
        match self {
            StoreReader::Mem(v, at) => {
                let end = usize::try_from(n)
                    .ok()
                    .and_then(|n| at.checked_add(n))
                    .filter(|&e| e <= v.len())
                    .ok_or("mp4: internal error: sample store overrun")?;
                out.extend_from_slice(&v[*at..end]);
                *at = end;
            }
            StoreReader::File(f) => {
                let before = out.len();
                f.take(n)
                    .read_to_end(out)
                    .map_err(|e| format!("mp4: reading the temporary spool file: {e}"))?;
                if (out.len() - before) as u64 != n {
                    return Err("mp4: the temporary spool file was truncated".to_string());
                }
            }
        }
        Ok(())
    }
}

/// Movie (mvhd/tkhd) timescale without audio: milliseconds.
const MOVIE_TIMESCALE: u32 = 1000;

struct BoxWriter {
    buf: Vec<u8>,
    open: Vec<usize>,
}

impl BoxWriter {
    fn new() -> Self {
        Self {
            buf: Vec::new(),
            open: Vec::new(),
        }
    }
    fn begin(&mut self, kind: &[u8; 4]) {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf.extend_from_slice(kind);
    }
    fn begin_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) {
        self.begin(kind);
        self.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF));
    }
    fn end(&mut self) {
        if let Some(start) = self.open.pop() {
            let size = (self.buf.len() - start) as u32;
            self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
        }
    }
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }
    fn matrix(&mut self) {
        for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            self.u32(v);
        }
    }

    /// `edts`/`elst` with one edit: `duration` (movie timescale) of the media from `start`.
    fn edit_list(&mut self, duration: u64, start: u64) {
        self.begin(b"edts");
        self.begin_full(b"elst", 1, 0);
        self.u32(1);
        self.u64(duration);
        self.u64(start);
        self.u16(1); // media_rate 1.0
        self.u16(0);
        self.end();
        self.end();
    }

    /// Creation and modification time (0) then `timescale` and `duration`, as 64-bit fields
    /// when `v1`: the start of `mvhd` and `mdhd`.
    fn times(&mut self, v1: bool, timescale: u32, duration: u64) {
        if v1 {
            self.u64(0);
            self.u64(0);
            self.u32(timescale);
            self.u64(duration);
        } else {
            self.u32(0);
            self.u32(0);
            self.u32(timescale);
            self.u32(duration as u32);
        }
    }

    /// `mdhd` (64-bit fields when `v1`), language "und".
    fn mdhd(&mut self, v1: bool, timescale: u32, duration: u64) {
        self.begin_full(b"mdhd", u8::from(v1), 0);
        self.times(v1, timescale, duration);
        self.u16(0x55C4); // language "und"
        self.u16(0);
        self.end();
    }

    /// `hdlr` of a track: `kind` ("vide"/"soun") and its NUL-terminated name.
    fn hdlr(&mut self, kind: &[u8; 4], name: &[u8]) {
        self.begin_full(b"hdlr", 0, 0);
        self.u32(0);
        self.bytes(kind);
        self.zeros(12);
        self.bytes(name);
        self.end();
    }
}

/// `avc1` sample entry with an `avcC` built from one SPS and one PPS (NAL units without
/// start codes). High-profile streams (only our 4:4:4 PCM streams here) get the avcC
/// extension fields (chroma_format 4:4:4, 8-bit).
pub(crate) fn avc1_entry(
    width: u32,
    height: u32,
    sps: &[u8],
    pps: &[u8],
) -> Result<Vec<u8>, String> {
    avc1_entry_sets(width, height, &[sps], &[pps], (3, 0, 0))
}

/// `avc1` sample entry with an `avcC` holding every SPS and PPS (NAL units without start
/// codes, the first SPS gives profile/level); `chroma` = (chroma_format_idc,
/// bit_depth_luma_minus8, bit_depth_chroma_minus8) for the High-profile extension fields.
pub(crate) fn avc1_entry_sets(
    width: u32,
    height: u32,
    sps_list: &[&[u8]],
    pps_list: &[&[u8]],
    chroma: (u8, u8, u8),
) -> Result<Vec<u8>, String> {
    let Some(sps) = sps_list.first() else {
        return Err("mp4: no SPS".to_string());
    };
    if sps_list.len() > 31
        || pps_list.is_empty()
        || pps_list.len() > 255
        || sps_list.iter().any(|s| s.len() < 4 || s.len() > 0xFFFF)
        || pps_list.iter().any(|p| p.is_empty() || p.len() > 0xFFFF)
        || width > 0xFFFF
        || height > 0xFFFF
    {
        return Err("mp4: invalid SPS/PPS".to_string());
    }
    let mut b = BoxWriter::new();
    b.begin(b"avc1");
    b.zeros(6); // reserved
    b.u16(1); // data_reference_index
    b.zeros(16); // pre_defined, reserved
    b.u16(width as u16);
    b.u16(height as u16);
    b.u32(0x0048_0000); // 72 dpi
    b.u32(0x0048_0000);
    b.u32(0); // reserved
    b.u16(1); // frame_count
    b.zeros(32); // compressorname
    b.u16(0x0018); // depth
    b.u16(0xFFFF); // pre_defined = -1
    b.begin(b"avcC");
    b.u8(1); // configurationVersion
    b.u8(sps[1]); // AVCProfileIndication
    b.u8(sps[2]); // profile_compatibility
    b.u8(sps[3]); // AVCLevelIndication
    b.u8(0xFF); // lengthSizeMinusOne = 3
    b.u8(0xE0 | sps_list.len() as u8);
    for s in sps_list {
        b.u16(s.len() as u16);
        b.bytes(s);
    }
    b.u8(pps_list.len() as u8);
    for p in pps_list {
        b.u16(p.len() as u16);
        b.bytes(p);
    }
    if matches!(sps[1], 100 | 110 | 122 | 244) {
        // High profiles: chroma_format, luma/chroma bit depths, no SPS extensions
        b.u8(0xFC | (chroma.0 & 3));
        b.u8(0xF8 | (chroma.1 & 7));
        b.u8(0xF8 | (chroma.2 & 7));
        b.u8(0);
    }
    b.end();
    b.end();
    Ok(b.buf)
}

/// Serialises the whole file: `ftyp`, `moov` (fast start), then one `mdat` holding all
/// samples as a single chunk, read back from `store`. The result is the only full copy of
/// the compressed video in memory. (The encoders call [`write_mp4_av`].)
#[cfg(test)]
pub(crate) fn write_mp4(t: &Track<'_>, store: SampleStore) -> Result<Vec<u8>, String> {
    write_mp4_av(t, store, None)
}

/// One chunk of the `mdat`: consecutive samples of one track (`bytes` long).
#[derive(Clone, Copy)]
struct Chunk {
    audio: bool,
    bytes: u64,
}

/// Groups consecutive samples into chunks: sample `i` goes into chunk `key(i)` (keys must
/// not decrease); returns (key, sample count, bytes) per chunk.
fn chunk_runs(sizes: &[u32], key: impl Fn(usize) -> u64) -> Vec<(u64, u32, u64)> {
    let mut out: Vec<(u64, u32, u64)> = Vec::new();
    for (i, &s) in sizes.iter().enumerate() {
        let k = key(i);
        match out.last_mut() {
            Some((last, count, bytes)) if *last == k => {
                *count += 1;
                *bytes += u64::from(s);
            }
            _ => out.push((k, 1, u64::from(s))),
        }
    }
    out
}

/// `stsc` entries (first_chunk, samples_per_chunk) for chunks of the given sample counts.
fn stsc_runs(counts: &[u32]) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        if runs.last().is_none_or(|&(_, last)| last != c) {
            runs.push((i as u32 + 1, c));
        }
    }
    runs
}

/// [`write_mp4`] with an optional Opus audio track (track 2). With audio, the movie
/// timescale is 48 000 (sample-accurate trimming of the Opus priming samples, as the Opus
/// in ISO-BMFF spec recommends) and the `mdat` interleaves one-second chunks of video and
/// audio in time order, so a progressive download needs no seeking back and forth. Without
/// audio the file is exactly what it always was (one chunk, millisecond movie timescale).
pub(crate) fn write_mp4_av(
    t: &Track<'_>,
    store: SampleStore,
    audio: Option<super::audio::AudioTrack>,
) -> Result<Vec<u8>, String> {
    let sizes = store.sizes();
    let n = sizes.len() as u64;
    if n == 0 {
        return Err("mp4: no frames".to_string());
    }
    if n > u64::from(u32::MAX) {
        return Err("mp4: too many frames".to_string());
    }
    if t.timescale == 0 {
        return Err("mp4: timescale out of range".to_string());
    }
    if let Durations::PerSample(d) = t.durations {
        if d.len() as u64 != n {
            return Err("mp4: one duration per sample is needed".to_string());
        }
    }
    if t.ctts.is_some_and(|c| c.len() as u64 != n) {
        return Err("mp4: one composition offset per sample is needed".to_string());
    }
    if audio.as_ref().is_some_and(|a| {
        a.store.sizes().is_empty() || a.store.sizes().len() as u64 > u64::from(u32::MAX)
    }) {
        return Err("mp4: the audio track has no packets".to_string());
    }
    let movie_timescale = if audio.is_some() {
        super::audio::OPUS_RATE
    } else {
        MOVIE_TIMESCALE
    };
    let timescale = t.timescale;
    let media_duration = t.durations.total(n);
    let to_movie = |d: u64| -> u64 {
        ((u128::from(d) * u128::from(movie_timescale) + u128::from(timescale) / 2)
            / u128::from(timescale)) as u64
    };
    // The presentation spans the media duration (pts and dts sequences have the same extent).
    let video_movie_duration = to_movie(media_duration);
    // Audio: 48 kHz media and movie timescale; the edit presents `valid` samples after the
    // encoder's priming samples.
    let audio_frame = super::audio::FRAME as u64;
    let audio_n = audio.as_ref().map_or(0, |a| a.store.sizes().len() as u64);
    // Opus in ISO-BMFF §4.3.4: the last sample lasts only as long as its valid samples, so
    // the media ends with the real audio (priming samples + valid samples), as ffmpeg
    // writes it; the edit list then trims the priming samples.
    let audio_media_duration = audio.as_ref().map_or(0, |a| {
        (a.valid + u64::from(a.pre_skip))
            .clamp((audio_n - 1) * audio_frame + 1, audio_n * audio_frame)
    });
    let audio_edit = audio.as_ref().map_or(0, |a| a.valid);
    let movie_duration = video_movie_duration.max(audio_edit);
    let data_len = store.len() + audio.as_ref().map_or(0, |a| a.store.len());
    let large_mdat = data_len + 8 > u64::from(u32::MAX);
    let stts = t.durations.runs(n as u32);
    let ctts = t.ctts.map(run_lengths);

    // Chunk layout: one chunk without audio; with audio, one chunk per second and track,
    // video before audio within a second.
    let (layout, video_counts, audio_counts) = match &audio {
        None => (
            vec![Chunk {
                audio: false,
                bytes: store.len(),
            }],
            vec![n as u32],
            Vec::new(),
        ),
        Some(a) => {
            let mut dts = Vec::with_capacity(sizes.len());
            let mut acc = 0u64;
            for i in 0..sizes.len() {
                dts.push(acc);
                acc += match t.durations {
                    Durations::Constant(d) => u64::from(d),
                    Durations::PerSample(v) => u64::from(v[i]),
                };
            }
            let v = chunk_runs(sizes, |i| dts[i] / u64::from(timescale));
            let per_second = u64::from(super::audio::OPUS_RATE) / audio_frame;
            let au = chunk_runs(a.store.sizes(), |j| j as u64 / per_second);
            let mut layout = Vec::with_capacity(v.len() + au.len());
            let (mut i, mut j) = (0, 0);
            while i < v.len() || j < au.len() {
                let take_video = j >= au.len() || (i < v.len() && v[i].0 <= au[j].0);
                let (src, audio_chunk) = if take_video {
                    i += 1;
                    (v[i - 1], false)
                } else {
                    j += 1;
                    (au[j - 1], true)
                };
                layout.push(Chunk {
                    audio: audio_chunk,
                    bytes: src.2,
                });
            }
            (
                layout,
                v.iter().map(|c| c.1).collect::<Vec<_>>(),
                au.iter().map(|c| c.1).collect::<Vec<_>>(),
            )
        }
    };
    // Chunk offsets relative to the start of the mdat payload.
    let (mut video_rel, mut audio_rel) = (Vec::new(), Vec::new());
    let mut at = 0u64;
    for c in &layout {
        if c.audio {
            audio_rel.push(at);
        } else {
            video_rel.push(at);
        }
        at += c.bytes;
    }
    let max_rel = video_rel
        .last()
        .copied()
        .unwrap_or(0)
        .max(audio_rel.last().copied().unwrap_or(0));
    let video_stsc = stsc_runs(&video_counts);
    let audio_stsc = stsc_runs(&audio_counts);

    // ftyp
    let mut f = BoxWriter::new();
    f.begin(b"ftyp");
    f.bytes(b"isom");
    f.u32(0x200);
    f.bytes(b"isomiso2avc1mp41");
    f.end();

    let chunk_offsets = |b: &mut BoxWriter, rel: &[u64], base: u64, co64: bool| {
        if co64 {
            b.begin_full(b"co64", 0, 0);
            b.u32(rel.len() as u32);
            for &r in rel {
                b.u64(base + r);
            }
        } else {
            b.begin_full(b"stco", 0, 0);
            b.u32(rel.len() as u32);
            for &r in rel {
                b.u32((base + r) as u32);
            }
        }
        b.end();
    };
    let stsc_box = |b: &mut BoxWriter, runs: &[(u32, u32)]| {
        b.begin_full(b"stsc", 0, 0);
        b.u32(runs.len() as u32);
        for &(first, count) in runs {
            b.u32(first);
            b.u32(count);
            b.u32(1); // sample_description_index
        }
        b.end();
    };
    let dinf = |b: &mut BoxWriter| {
        b.begin(b"dinf");
        b.begin_full(b"dref", 0, 0);
        b.u32(1);
        b.begin_full(b"url ", 0, 1); // media data in this file
        b.end();
        b.end();
        b.end();
    };

    // moov is written twice: the chunk offsets depend on its own size (stco vs co64).
    let build_moov = |base: u64, co64: bool| -> Vec<u8> {
        let v1 = media_duration > u64::from(u32::MAX)
            || movie_duration > u64::from(u32::MAX)
            || audio_media_duration > u64::from(u32::MAX);
        let mut b = BoxWriter::new();
        b.begin(b"moov");
        // mvhd
        b.begin_full(b"mvhd", u8::from(v1), 0);
        b.times(v1, movie_timescale, movie_duration);
        b.u32(0x0001_0000); // rate 1.0
        b.u16(0x0100); // volume 1.0
        b.zeros(10);
        b.matrix();
        b.zeros(24); // pre_defined
        b.u32(if audio.is_some() { 3 } else { 2 }); // next_track_ID
        b.end();
        // trak
        b.begin(b"trak");
        b.begin_full(b"tkhd", u8::from(v1), 3); // enabled | in_movie
        if v1 {
            b.u64(0);
            b.u64(0);
            b.u32(1);
            b.u32(0);
            b.u64(video_movie_duration);
        } else {
            b.u32(0);
            b.u32(0);
            b.u32(1); // track_ID
            b.u32(0);
            b.u32(video_movie_duration as u32);
        }
        b.zeros(8);
        b.u16(0); // layer
        b.u16(0); // alternate_group
        b.u16(0); // volume (video)
        b.u16(0);
        b.matrix();
        b.u32(t.width << 16);
        b.u32(t.height << 16);
        b.end();
        if t.media_start > 0 {
            // edit list: present the media from `media_start` on (skips the reorder delay)
            b.edit_list(video_movie_duration, t.media_start);
        }
        b.begin(b"mdia");
        b.mdhd(v1, timescale, media_duration);
        b.hdlr(b"vide", b"VideoHandler\0");
        b.begin(b"minf");
        b.begin_full(b"vmhd", 0, 1);
        b.zeros(8);
        b.end();
        dinf(&mut b);
        b.begin(b"stbl");
        b.begin_full(b"stsd", 0, 0);
        b.u32(1);
        b.bytes(t.sample_entry);
        b.end();
        b.begin_full(b"stts", 0, 0);
        b.u32(stts.len() as u32);
        for &(count, delta) in &stts {
            b.u32(count);
            b.u32(delta);
        }
        b.end();
        if let Some(ctts) = &ctts {
            b.begin_full(b"ctts", 0, 0);
            b.u32(ctts.len() as u32);
            for &(count, offset) in ctts {
                b.u32(count);
                b.u32(offset);
            }
            b.end();
        }
        b.begin_full(b"stss", 0, 0);
        b.u32(t.sync.len() as u32);
        for &s in t.sync {
            b.u32(s);
        }
        b.end();
        stsc_box(&mut b, &video_stsc);
        b.begin_full(b"stsz", 0, 0);
        b.u32(0);
        b.u32(n as u32);
        for &s in sizes {
            b.u32(s);
        }
        b.end();
        chunk_offsets(&mut b, &video_rel, base, co64);
        b.end(); // stbl
        b.end(); // minf
        b.end(); // mdia
        b.end(); // trak
        if let Some(a) = &audio {
            audio_trak(&mut b, a, v1, audio_media_duration);
            stsc_box(&mut b, &audio_stsc);
            b.begin_full(b"stsz", 0, 0);
            b.u32(0);
            b.u32(audio_n as u32);
            for &s in a.store.sizes() {
                b.u32(s);
            }
            b.end();
            chunk_offsets(&mut b, &audio_rel, base, co64);
            // Opus in ISO-BMFF §4.3.6.2: every packet is a sync sample but needs 80 ms
            // (4 packets) of pre-roll: an AudioRollRecoveryEntry with roll_distance -4.
            b.begin_full(b"sgpd", 1, 0);
            b.bytes(b"roll");
            b.u32(2); // default_length
            b.u32(1); // entry_count
            b.u16((-4i16) as u16);
            b.end();
            b.begin_full(b"sbgp", 0, 0);
            b.bytes(b"roll");
            b.u32(1);
            b.u32(audio_n as u32);
            b.u32(1); // group_description_index
            b.end();
            b.end(); // stbl
            b.end(); // minf
            b.end(); // mdia
            b.end(); // trak
        }
        b.end(); // moov
        b.buf
    };
    let mdat_header = if large_mdat { 16u64 } else { 8 };
    let mut moov = build_moov(0, false);
    let mut base = f.buf.len() as u64 + moov.len() as u64 + mdat_header;
    let co64 = base + max_rel > u64::from(u32::MAX);
    if co64 {
        moov = build_moov(0, true); // co64 boxes are longer
        base = f.buf.len() as u64 + moov.len() as u64 + mdat_header;
    }
    moov = build_moov(base, co64);

    let head_len = f.buf.len() + moov.len() + mdat_header as usize;
    let total = usize::try_from(head_len as u64 + data_len)
        .map_err(|_| "mp4: video too large for memory".to_string())?;
    let mut out = Vec::new();
    out.try_reserve_exact(total)
        .map_err(|_| "mp4: out of memory".to_string())?;
    out.extend_from_slice(&f.buf);
    out.extend_from_slice(&moov);
    if large_mdat {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&(data_len + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((data_len + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
    match audio {
        None => store.read_into(&mut out)?,
        Some(a) => {
            let mut video = store.into_reader()?;
            let mut sound = a.store.into_reader()?;
            for c in &layout {
                if c.audio {
                    sound.copy_to(c.bytes, &mut out)?;
                } else {
                    video.copy_to(c.bytes, &mut out)?;
                }
            }
        }
    }
    if out.len() != total {
        return Err("mp4: internal error: mdat size mismatch".to_string());
    }
    Ok(out)
}

/// The audio `trak` up to and including `stts` (the caller adds stsc, stsz, stco and the
/// roll group and closes stbl/minf/mdia/trak): track 2, an edit that skips the Opus
/// priming samples and ends with the real audio, `soun` handler, the `Opus` sample entry.
fn audio_trak(b: &mut BoxWriter, a: &super::audio::AudioTrack, v1: bool, media_duration: u64) {
    let rate = super::audio::OPUS_RATE;
    b.begin(b"trak");
    b.begin_full(b"tkhd", u8::from(v1), 3); // enabled | in_movie
    if v1 {
        b.u64(0);
        b.u64(0);
        b.u32(2);
        b.u32(0);
        b.u64(a.valid);
    } else {
        b.u32(0);
        b.u32(0);
        b.u32(2); // track_ID
        b.u32(0);
        b.u32(a.valid as u32);
    }
    b.zeros(8);
    b.u16(0); // layer
    b.u16(1); // alternate_group (audio)
    b.u16(0x0100); // volume 1.0
    b.u16(0);
    b.matrix();
    b.u32(0); // width
    b.u32(0); // height
    b.end();
    // Opus in ISO-BMFF §4.4: segment_duration = valid samples, media_time = priming samples
    // (movie and media timescale are both 48 000).
    b.edit_list(a.valid, u64::from(a.pre_skip));
    b.begin(b"mdia");
    b.mdhd(v1, rate, media_duration);
    b.hdlr(b"soun", b"SoundHandler\0");
    b.begin(b"minf");
    b.begin_full(b"smhd", 0, 0);
    b.u16(0); // balance
    b.u16(0);
    b.end();
    b.begin(b"dinf");
    b.begin_full(b"dref", 0, 0);
    b.u32(1);
    b.begin_full(b"url ", 0, 1);
    b.end();
    b.end();
    b.end();
    b.begin(b"stbl");
    b.begin_full(b"stsd", 0, 0);
    b.u32(1);
    b.bytes(&super::audio::opus_entry(a));
    b.end();
    let frame = super::audio::FRAME as u64;
    let n = media_duration.div_ceil(frame);
    let last = media_duration - (n - 1) * frame;
    b.begin_full(b"stts", 0, 0);
    if last == frame {
        b.u32(1);
        b.u32(n as u32);
        b.u32(frame as u32);
    } else if n == 1 {
        b.u32(1);
        b.u32(1);
        b.u32(last as u32);
    } else {
        b.u32(2);
        b.u32((n - 1) as u32);
        b.u32(frame as u32);
        b.u32(1);
        b.u32(last as u32);
    }
    b.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_samples_give_the_same_file_as_in_memory() {
        let entry = avc1_entry(16, 16, &[0x67, 66, 0xC0, 10], &[0x68, 0xCE]).unwrap();
        let build = |spill: usize| {
            let mut s = SampleStore::with_spill(spill);
            for i in 0..50u32 {
                let body = vec![i as u8; 10 + i as usize * 7];
                s.push_sample(&[&(body.len() as u32).to_be_bytes(), &body])
                    .unwrap();
            }
            let spooled = s.is_spooled();
            let t = Track {
                width: 16,
                height: 16,
                timescale: 30_000,
                sample_entry: &entry,
                durations: Durations::Constant(1001),
                ctts: None,
                media_start: 0,
                sync: &[1],
            };
            (write_mp4(&t, s).unwrap(), spooled)
        };
        let (mem, spooled_mem) = build(SPILL_AT);
        let (file, spooled_file) = build(100);
        assert!(!spooled_mem && spooled_file);
        assert_eq!(mem, file);
        assert_eq!(&mem[mem.len() - 3..], &[49, 49, 49]);
    }

    #[test]
    fn stts_and_ctts_are_run_length_coded() {
        assert_eq!(run_lengths(&[3, 3, 3, 5, 3]), vec![(3, 3), (1, 5), (1, 3)]);
        assert_eq!(Durations::Constant(7).runs(4), vec![(4, 7)]);
        assert_eq!(Durations::PerSample(&[1, 2]).total(2), 3);
    }
}
