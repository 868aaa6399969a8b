//! Pass-through of already-encoded H.264 (NVENC, VAAPI, cameras, ROS `CompressedVideo`,
//! another encoder) into the same `moov`-first MP4, without decoding or re-encoding.
//!
//! * Input: access units (one picture each) in Annex-B (start codes) or AVCC (4-byte
//!   big-endian length prefixes, or the size an `avcC` record announces) framing, or a whole
//!   stream that is split into access units here.
//! * Parameter sets: every SPS/PPS seen (in-band, repeated before each IDR or once, or given
//!   up front as an `avcC` record / Annex-B NAL units) goes into the `avcC` of the sample
//!   entry; identical repeats are dropped from the samples, a *changed* SPS/PPS (same id,
//!   other bytes: a resolution change) is refused because one `avc1` entry cannot hold it.
//!   SPS fields (size with cropping, chroma format, bit depth, interlacing) are read with
//!   the `h264-reader` crate.
//! * Samples: all other NAL units of an access unit (slices, SEI, …) are written unchanged,
//!   each with a 4-byte length prefix; access unit delimiters and filler data are dropped.
//! * Timing: a presentation timestamp per access unit in a caller-given timescale, and
//!   optionally the decode timestamp. Without decode timestamps, reordered streams
//!   (B-frames) get decode times from the sorted presentation times shifted by the reorder
//!   delay (what ffmpeg does for raw streams); `ctts` carries pts − dts and an edit list
//!   starts the presentation at the first picture. The first access unit must be an IDR.
//!
//! Hand-written here: splitting Annex-B/AVCC into NAL units and access units (a few dozen
//! lines; `h264-reader`'s push parser works on callbacks and does not group access units)
//! and the sample tables. Memory: only the sample sizes and timestamps (≈16 bytes per
//! frame) stay in RAM; sample data is spooled like the encoder's ([`mux::SampleStore`]).

use std::collections::BTreeMap;

use h264_reader::nal::sps::{FrameMbsFlags, SeqParameterSet};
use h264_reader::rbsp::{decode_nal, BitReader};

use super::mux;
use super::poc::{display_ranks, PicOrder, PocState};

/// How NAL units are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Detect: a leading `00 00 00 01` / `00 00 01` start code that does not also parse as
    /// AVCC length prefixes means Annex-B.
    Auto,
    /// Start codes (`00 00 01` / `00 00 00 01`), as elementary `.h264` files and most
    /// hardware encoders / RTP depacketisers produce.
    AnnexB,
    /// Big-endian length prefixes (4 bytes, or what a given `avcC` says), as in MP4/MKV.
    Avcc,
}

/// Options of [`H264Muxer::new`].
#[derive(Debug, Clone)]
pub struct H264Options {
    pub framing: Framing,
    /// Ticks per second of the timestamps; 0 = ignore timestamps and use `fps`.
    pub timescale: u32,
    /// Frame rate when there are no timestamps (and the duration of a single frame).
    pub fps: u32,
    /// Optional decoder configuration: an `avcC` record or Annex-B SPS/PPS NAL units.
    pub config: Vec<u8>,
}

impl Default for H264Options {
    fn default() -> Self {
        Self {
            framing: Framing::Auto,
            timescale: 0,
            fps: 30,
            config: Vec::new(),
        }
    }
}

/// Streaming muxer of encoded H.264 access units into an MP4.
pub struct H264Muxer {
    opts: H264Options,
    length_size: usize,
    sps: BTreeMap<u8, Vec<u8>>,
    pps: BTreeMap<u8, Vec<u8>>,
    /// (width, height, chroma_format_idc, bit_depth_luma_minus8, bit_depth_chroma_minus8)
    /// of the first SPS.
    format: Option<(u32, u32, u8, u8, u8)>,
    store: mux::SampleStore,
    sync: Vec<u32>,
    pts: Vec<i64>,
    dts: Vec<i64>,
    /// `Some(true)` once decode timestamps were given, `Some(false)` once omitted.
    has_dts: Option<bool>,
    sample: Vec<u8>,
    /// Without timestamps (timescale 0): slice-header POC state and each picture's display
    /// position (8 bytes per frame), turned into presentation times at finish.
    poc: PocState,
    order: Vec<PicOrder>,
    /// Annex-B byte stream pushed in arbitrary chunks ([`H264Muxer::push_bytes`]).
    bytes: Option<ByteStream>,
}

impl std::fmt::Debug for H264Muxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "H264Muxer({} access units)", self.pts.len())
    }
}

const NAL_SLICE: u8 = 1;
const NAL_IDR: u8 = 5;
const NAL_SEI: u8 = 6;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_AUD: u8 = 9;
const NAL_FILLER: u8 = 12;

fn is_vcl(t: u8) -> bool {
    (NAL_SLICE..=NAL_IDR).contains(&t)
}

/// NAL units of an Annex-B buffer (without start codes; trailing zero bytes removed).
pub fn split_annexb(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut starts = Vec::new(); // (start code begin, payload begin)
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    for (k, &(_, begin)) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&(sc, _)| sc);
        while end > begin && data[end - 1] == 0 {
            end -= 1; // zero_byte of the next 4-byte start code / trailing_zero_8bits
        }
        if end > begin {
            out.push(&data[begin..end]);
        }
    }
    out
}

/// NAL units of an AVCC buffer with `len_size`-byte prefixes; `None` if the prefixes do not
/// exactly cover the buffer.
fn split_avcc(data: &[u8], len_size: usize) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < data.len() {
        if p + len_size > data.len() {
            return None;
        }
        let len = data[p..p + len_size]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        p += len_size;
        if len == 0 || len > data.len() - p {
            return None;
        }
        out.push(&data[p..p + len]);
        p += len;
    }
    Some(out)
}

/// Whether `data` begins with a start code, after any leading_zero_8bits of a byte stream.
fn has_start_code(data: &[u8]) -> bool {
    let zeros = data.iter().take_while(|&&b| b == 0).count();
    zeros >= 2 && data.get(zeros) == Some(&1)
}

/// Splits `data` into NAL units by `framing`.
fn split(data: &[u8], framing: Framing, len_size: usize) -> Result<Vec<&[u8]>, String> {
    match framing {
        Framing::AnnexB => {
            if !has_start_code(data) {
                return Err(
                    "h264: Annex-B data must begin with a start code (00 00 01 or 00 00 00 01)"
                        .to_string(),
                );
            }
            Ok(split_annexb(data))
        }
        Framing::Avcc => split_avcc(data, len_size).ok_or_else(|| {
            format!(
                "h264: AVCC data: the {len_size}-byte length prefixes do not match the buffer size"
            )
        }),
        Framing::Auto => {
            if data.starts_with(&[0, 0, 0, 1]) || !data.starts_with(&[0, 0, 1]) {
                if let (false, Some(n)) = (has_start_code(data), split_avcc(data, len_size)) {
                    return Ok(n);
                }
                if has_start_code(data) {
                    return Ok(split_annexb(data));
                }
                return Err("h264: data is neither Annex-B (no start code) nor AVCC (length prefixes do not match)".to_string());
            }
            // 00 00 01 …: a 3-byte start code, or a 4-byte length of 256–511 bytes
            Ok(split_avcc(data, len_size).unwrap_or_else(|| split_annexb(data)))
        }
    }
}

/// Whether VCL NAL `nal` starts a new picture (first_mb_in_slice == 0: ue(v) "1").
fn first_slice_of_picture(nal: &[u8]) -> bool {
    nal.get(1).is_some_and(|b| b & 0x80 != 0)
}

/// Groups NAL units into access units (ITU-T H.264 7.4.1.2.3, for frame pictures): a new
/// access unit starts at an AUD, SPS, PPS, SEI or types 14–18 after a picture's slices, or
/// at a slice with first_mb_in_slice == 0.
pub fn access_units<'a>(nals: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut out: Vec<Vec<&[u8]>> = Vec::new();
    let mut cur: Vec<&[u8]> = Vec::new();
    let mut cur_has_vcl = false;
    for &nal in nals {
        let t = nal[0] & 0x1F;
        let starts_new = if is_vcl(t) {
            cur_has_vcl && first_slice_of_picture(nal)
        } else {
            cur_has_vcl && matches!(t, NAL_AUD | NAL_SEI | NAL_SPS | NAL_PPS | 14..=18)
        };
        if starts_new {
            out.push(std::mem::take(&mut cur));
            cur_has_vcl = false;
        }
        cur_has_vcl |= is_vcl(t);
        cur.push(nal);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct SpsInfo {
    id: u8,
    width: u32,
    height: u32,
    chroma: (u8, u8, u8),
    sps: SeqParameterSet,
}

fn parse_sps(nal: &[u8]) -> Result<SpsInfo, String> {
    let rbsp = decode_nal(nal).map_err(|e| format!("h264: invalid SPS: {e}"))?;
    let sps = SeqParameterSet::from_bits(BitReader::new(&rbsp[..]))
        .map_err(|e| format!("h264: invalid SPS: {e:?}"))?;
    if !matches!(sps.frame_mbs_flags, FrameMbsFlags::Frames) {
        return Err("h264: interlaced (field-coded) streams are not supported".to_string());
    }
    let (width, height) = sps
        .pixel_dimensions()
        .map_err(|e| format!("h264: invalid SPS size: {e:?}"))?;
    if width == 0 || height == 0 || width > 0xFFFF || height > 0xFFFF {
        return Err(format!("h264: unsupported picture size {width}x{height}"));
    }
    let ci = &sps.chroma_info;
    Ok(SpsInfo {
        id: sps.seq_parameter_set_id.id(),
        width,
        height,
        chroma: (
            ci.chroma_format.to_u32() as u8,
            ci.bit_depth_luma_minus8,
            ci.bit_depth_chroma_minus8,
        ),
        sps,
    })
}

/// pic_parameter_set_id of a PPS (its first ue(v)).
fn pps_id(nal: &[u8]) -> Result<u8, String> {
    let rbsp = decode_nal(nal).map_err(|e| format!("h264: invalid PPS: {e}"))?;
    let mut r = super::bits::BitReader::new(&rbsp);
    match r.ue() {
        Some(id) if id <= 255 => Ok(id as u8),
        _ => Err("h264: invalid PPS id".to_string()),
    }
}

impl H264Muxer {
    pub fn new(opts: H264Options) -> Result<Self, String> {
        if opts.timescale == 0 && (opts.fps == 0 || opts.fps > 1_000_000) {
            return Err(format!("h264: invalid fps {}", opts.fps));
        }
        let mut m = Self {
            opts,
            length_size: 4,
            sps: BTreeMap::new(),
            pps: BTreeMap::new(),
            format: None,
            store: mux::SampleStore::new(),
            sync: Vec::new(),
            pts: Vec::new(),
            dts: Vec::new(),
            has_dts: None,
            sample: Vec::new(),
            poc: PocState::default(),
            order: Vec::new(),
            bytes: None,
        };
        let config = std::mem::take(&mut m.opts.config);
        if !config.is_empty() {
            m.read_config(&config)?;
        }
        Ok(m)
    }

    /// Access units pushed so far.
    pub fn frame_count(&self) -> u64 {
        self.pts.len() as u64
    }

    /// (width, height) from the SPS, once one was seen.
    pub fn size(&self) -> Option<(u32, u32)> {
        self.format.map(|f| (f.0, f.1))
    }

    fn read_config(&mut self, c: &[u8]) -> Result<(), String> {
        if c[0] == 1 && !has_start_code(c) {
            // avcC: version, profile, compat, level, 0xFC|lengthSizeMinusOne, 0xE0|numSPS
            let bad = || "h264: invalid avcC decoder configuration record".to_string();
            if c.len() < 7 {
                return Err(bad());
            }
            self.length_size = usize::from(c[4] & 3) + 1;
            if self.length_size == 3 {
                return Err(bad());
            }
            let mut p = 6;
            let mut sets = Vec::new();
            for count_pos in 0..2 {
                let count = if count_pos == 0 {
                    usize::from(c[5] & 0x1F)
                } else {
                    let n = *c.get(p).ok_or_else(bad)?;
                    p += 1;
                    usize::from(n)
                };
                for _ in 0..count {
                    let len = c.get(p..p + 2).ok_or_else(bad)?;
                    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                    let nal = c.get(p + 2..p + 2 + len).ok_or_else(bad)?;
                    if nal.is_empty() {
                        return Err(bad());
                    }
                    sets.push(nal.to_vec());
                    p += 2 + len;
                }
            }
            for nal in sets {
                self.parameter_set(&nal)?;
            }
            Ok(())
        } else {
            for nal in split(c, Framing::AnnexB, 4)? {
                match nal[0] & 0x1F {
                    NAL_SPS | NAL_PPS => self.parameter_set(nal)?,
                    t => {
                        return Err(format!(
                            "h264: config holds NAL unit type {t}; only SPS and PPS belong there"
                        ))
                    }
                }
            }
            Ok(())
        }
    }

    /// Records an SPS or PPS; identical repeats are fine, changed ones are refused.
    fn parameter_set(&mut self, nal: &[u8]) -> Result<(), String> {
        let t = nal[0] & 0x1F;
        if t == NAL_SPS {
            let info = parse_sps(nal)?;
            if let Some(old) = self.sps.get(&info.id) {
                if old.as_slice() == nal {
                    return Ok(());
                }
                if !self.pts.is_empty() {
                    return Err(format!("h264: SPS {} changed mid-stream (e.g. a resolution change); one MP4 track cannot hold that — start a new video", info.id));
                }
            }
            match self.format {
                None => {
                    self.format = Some((
                        info.width,
                        info.height,
                        info.chroma.0,
                        info.chroma.1,
                        info.chroma.2,
                    ));
                }
                Some(f) if (f.0, f.1) != (info.width, info.height) => {
                    return Err(format!(
                        "h264: SPS {} announces {}x{} but the stream is {}x{}; size changes are not supported",
                        info.id, info.width, info.height, f.0, f.1
                    ));
                }
                Some(_) => {}
            }
            if self.sps.len() >= 31 && !self.sps.contains_key(&info.id) {
                return Err("h264: more than 31 SPS".to_string());
            }
            if self.opts.timescale == 0 {
                self.poc.put_sps(info.sps);
            }
            self.sps.insert(info.id, nal.to_vec());
        } else {
            let id = pps_id(nal)?;
            if let Some(old) = self.pps.get(&id) {
                if old.as_slice() == nal {
                    return Ok(());
                }
                if !self.pts.is_empty() {
                    return Err(format!("h264: PPS {id} changed mid-stream; one MP4 track cannot hold that — start a new video"));
                }
            }
            if self.opts.timescale == 0 {
                // slice headers (for the display order) are read against their PPS
                self.poc.put_pps(nal)?;
            }
            self.pps.insert(id, nal.to_vec());
        }
        Ok(())
    }

    /// Adds one access unit (one picture, possibly with SPS/PPS/SEI/AUD) with its
    /// presentation timestamp and optional decode timestamp (in `timescale` ticks; ignored
    /// when the timescale is 0).
    pub fn push(&mut self, data: &[u8], pts: i64, dts: Option<i64>) -> Result<(), String> {
        if self.bytes.is_some() {
            return Err(
                "h264: this muxer takes a byte stream (push_bytes); push cannot follow it"
                    .to_string(),
            );
        }
        if data.is_empty() {
            return Err("h264: empty access unit".to_string());
        }
        let nals = split(data, self.opts.framing, self.length_size)?;
        self.push_nals(&nals, pts, dts)
    }

    fn push_nals(&mut self, nals: &[&[u8]], pts: i64, dts: Option<i64>) -> Result<(), String> {
        let (pts, dts) = if self.opts.timescale == 0 {
            let i = self.pts.len() as i64;
            (i, None)
        } else {
            (pts, dts)
        };
        if let Some(h) = self.has_dts {
            if h != dts.is_some() {
                return Err(
                    "h264: give a decode timestamp for every access unit or for none".to_string(),
                );
            }
        }
        let first_vcl = nals.iter().map(|n| n[0] & 0x1F).find(|&t| is_vcl(t));
        if self.pts.is_empty() && first_vcl.is_some_and(|t| t != NAL_IDR) {
            return Err("h264: the stream must start with an IDR picture (keyframe); this access unit is not one".to_string());
        }
        let mut vcl = 0usize;
        let mut idr = false;
        for nal in nals {
            if nal[0] & 0x80 != 0 {
                return Err(
                    "h264: NAL unit with forbidden_zero_bit set (not H.264 data?)".to_string(),
                );
            }
            let t = nal[0] & 0x1F;
            if is_vcl(t) {
                if vcl > 0 && first_slice_of_picture(nal) {
                    return Err("h264: the buffer holds more than one picture; push one access unit at a time".to_string());
                }
                vcl += 1;
                idr |= t == NAL_IDR;
            }
        }
        if vcl == 0 {
            return Err("h264: access unit without a picture (no slice NAL unit)".to_string());
        }
        if self.pts.is_empty() && !idr {
            return Err("h264: the stream must start with an IDR picture (keyframe); this access unit is not one".to_string());
        }
        for nal in nals {
            let t = nal[0] & 0x1F;
            if t == NAL_SPS || t == NAL_PPS {
                self.parameter_set(nal)?;
            }
        }
        if self.sps.is_empty() || self.pps.is_empty() {
            return Err("h264: no SPS/PPS before the first picture (send them in-band or give them as config)".to_string());
        }
        if let Some(&last) = self.dts.last() {
            if let Some(d) = dts {
                if d <= last {
                    return Err(format!(
                        "h264: decode timestamps must increase ({d} after {last})"
                    ));
                }
            }
        }
        if dts.is_none() && recent_contains(&self.pts, pts) {
            return Err(format!("h264: presentation timestamp {pts} repeats"));
        }
        // No timestamps: the display position from the first slice's header (POC).
        let saved = self.poc.save();
        let order = if self.opts.timescale == 0 {
            let Some(first) = nals.iter().find(|n| is_vcl(n[0] & 0x1F)) else {
                return Err("h264: access unit without a picture (no slice NAL unit)".to_string());
            };
            let o = self.poc.picture(first)?;
            let recent = &self.order[self.order.len().saturating_sub(64)..];
            if recent.contains(&o) {
                self.poc.restore(saved);
                return Err(format!(
                    "h264: this picture repeats picture order count {} of an earlier one: the display order is undefined (a repeated or spliced access unit?)",
                    o.poc
                ));
            }
            Some(o)
        } else {
            None
        };
        self.sample.clear();
        for nal in nals {
            let t = nal[0] & 0x1F;
            if matches!(t, NAL_SPS | NAL_PPS | NAL_AUD | NAL_FILLER) {
                continue;
            }
            let len =
                u32::try_from(nal.len()).map_err(|_| "h264: NAL unit too large".to_string())?;
            self.sample.extend_from_slice(&len.to_be_bytes());
            self.sample.extend_from_slice(nal);
        }
        if let Err(e) = self.store.push_sample(&[&self.sample]) {
            self.poc.restore(saved);
            return Err(e);
        }
        if let Some(o) = order {
            self.order.push(o);
        }
        self.has_dts = Some(dts.is_some());
        self.pts.push(pts);
        if let Some(d) = dts {
            self.dts.push(d);
        }
        if idr {
            self.sync.push(self.pts.len() as u32);
        }
        Ok(())
    }

    /// Muxes a whole stream: split into access units, one timestamp each (`pts` NULL-like
    /// empty = constant `fps`).
    pub fn push_stream(&mut self, data: &[u8], pts: &[i64], dts: &[i64]) -> Result<(), String> {
        let nals = split(data, self.opts.framing, self.length_size)?;
        let aus = access_units(&nals);
        let timed = self.opts.timescale != 0;
        if timed && pts.len() != aus.len() {
            return Err(format!(
                "h264: the stream holds {} access units but {} presentation timestamps were given",
                aus.len(),
                pts.len()
            ));
        }
        if timed && !dts.is_empty() && dts.len() != aus.len() {
            return Err(format!(
                "h264: the stream holds {} access units but {} decode timestamps were given",
                aus.len(),
                dts.len()
            ));
        }
        for (i, au) in aus.iter().enumerate() {
            let p = if timed { pts[i] } else { 0 };
            let d = if timed && !dts.is_empty() {
                Some(dts[i])
            } else {
                None
            };
            self.push_nals(au, p, d)
                .map_err(|e| format!("{e} (access unit {i})"))?;
        }
        Ok(())
    }

    /// Writes the MP4.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.finish_with_audio(None)
    }

    /// [`H264Muxer::finish`] with an optional Opus audio track.
    pub fn finish_with_audio(
        mut self,
        audio: Option<super::audio::AudioTrack>,
    ) -> Result<Vec<u8>, String> {
        self.flush_bytes();
        let n = self.pts.len();
        if n == 0 {
            return Err("h264: no access units were pushed".to_string());
        }
        let Some((w, h, cf, bl, bc)) = self.format else {
            return Err("h264: no SPS".to_string());
        };
        let (timescale, pts) = if self.opts.timescale == 0 {
            // display slot of each picture (decode order) from the POCs: B-frames get
            // presentation times after the pictures they were decoded after
            let ranks = display_ranks(&self.order)?;
            (
                self.opts
                    .fps
                    .checked_mul(1000)
                    .ok_or("h264: fps out of range")?,
                ranks
                    .iter()
                    .map(|&r| i64::from(r) * 1000)
                    .collect::<Vec<_>>(),
            )
        } else {
            (self.opts.timescale, self.pts)
        };
        let default_delta = if self.opts.timescale == 0 {
            1000
        } else {
            (i64::from(timescale) / i64::from(self.opts.fps.max(1))).max(1)
        };
        let dts = if self.dts.len() == n {
            self.dts
        } else {
            derive_dts(&pts)
        };
        let t = timing(&pts, &dts, default_delta)?;
        let sps: Vec<&[u8]> = self.sps.values().map(Vec::as_slice).collect();
        let pps: Vec<&[u8]> = self.pps.values().map(Vec::as_slice).collect();
        let entry = mux::avc1_entry_sets(w, h, &sps, &pps, (cf, bl, bc))?;
        mux::write_mp4_av(
            &mux::Track {
                width: w,
                height: h,
                timescale,
                sample_entry: &entry,
                durations: mux::Durations::PerSample(&t.durations),
                ctts: t.ctts.as_deref(),
                media_start: t.media_start,
                sync: &self.sync,
            },
            self.store,
            audio,
        )
    }
}

/// The unfinished end of an Annex-B byte stream pushed in chunks: bytes after the last
/// complete NAL unit, and the NAL units of the access unit being assembled.
#[derive(Debug, Default)]
struct ByteStream {
    /// Unconsumed bytes; `buf[nal..]` is the NAL unit being received (once a start code
    /// was seen), `scan` where the start-code search resumes.
    buf: Vec<u8>,
    nal: Option<usize>,
    scan: usize,
    /// The current access unit's NAL units, back to back, and their end offsets.
    au: Vec<u8>,
    au_ends: Vec<usize>,
    au_has_vcl: bool,
    /// Access units refused so far (reported once per push).
    refused: u64,
}

impl H264Muxer {
    /// Adds the next `chunk` of an Annex-B byte stream, cut anywhere (inside start codes and
    /// NAL units too), as cameras, NVENC and RTP depacketisers hand it out. NAL units are
    /// split at start codes and grouped into access units here (H.264 §7.4.1.2.3); an
    /// access unit is muxed once the next one begins, the last one at finish. Needs
    /// timescale 0: a byte stream has no timestamps, so the display order comes from the
    /// slice headers (POC) and frames are `1/fps` apart. Cannot be mixed with [`push`] on
    /// one muxer. An access unit that is refused (e.g. a stream starting with a non-IDR
    /// picture) is dropped, the error returned from the push that completed it, and the
    /// muxer stays usable. Latency: an access unit is muxed when the first NAL unit of the
    /// next one is complete (its start code and the next start code have arrived).
    ///
    /// [`push`]: H264Muxer::push
    pub fn push_bytes(&mut self, chunk: &[u8]) -> Result<(), String> {
        if self.opts.timescale != 0 {
            return Err("h264: a byte stream carries no timestamps: use timescale 0 (presentation order from the stream, frames 1/fps apart) or push access units with their timestamps".to_string());
        }
        if self.bytes.is_none() && !self.pts.is_empty() {
            return Err(
                "h264: this muxer already took whole access units; push_bytes cannot follow push"
                    .to_string(),
            );
        }
        let mut bs = self.bytes.take().unwrap_or_default();
        let r = self.feed(&mut bs, chunk);
        self.bytes = Some(bs);
        r
    }

    fn feed(&mut self, bs: &mut ByteStream, chunk: &[u8]) -> Result<(), String> {
        let mut first_err: Option<String> = None;
        bs.buf.extend_from_slice(chunk);
        let mut i = bs.scan;
        let mut consumed = 0;
        while i + 3 <= bs.buf.len() {
            // skip fast to the next candidate: a start code has 00 00 01
            if bs.buf[i + 2] > 1 {
                i += 3;
                continue;
            }
            if bs.buf[i] == 0 && bs.buf[i + 1] == 0 && bs.buf[i + 2] == 1 {
                match bs.nal {
                    Some(start) => {
                        let mut end = i;
                        while end > start && bs.buf[end - 1] == 0 {
                            end -= 1;
                        }
                        if end > start {
                            let nal = bs.buf[start..end].to_vec();
                            if let Err(e) = self.take_nal(bs, &nal) {
                                first_err.get_or_insert(e);
                            }
                        }
                    }
                    None => {
                        if bs.buf[..i].iter().any(|&b| b != 0) {
                            bs.buf.clear();
                            bs.scan = 0;
                            return Err("h264: the byte stream does not begin with a start code (00 00 01 or 00 00 00 01): not Annex-B".to_string());
                        }
                    }
                }
                bs.nal = Some(i + 3);
                consumed = i + 3;
                i += 3;
            } else {
                i += 1;
            }
        }
        // Before the first start code only zero bytes may come (leading_zero_8bits, or the
        // start of a start code cut by the chunk boundary).
        if bs.nal.is_none() && bs.buf.iter().any(|&b| b != 0) {
            bs.buf.clear();
            bs.scan = 0;
            return Err("h264: the byte stream does not begin with a start code (00 00 01 or 00 00 00 01): not Annex-B".to_string());
        }
        // drop what was consumed; keep the NAL unit in progress
        if consumed > 0 {
            bs.buf.drain(..consumed);
            bs.nal = bs.nal.map(|n| n - consumed);
            i -= consumed;
        }
        bs.scan = i.min(bs.buf.len().saturating_sub(2));
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One complete NAL unit of a byte stream: starts a new access unit (muxing the
    /// finished one) or joins the current one.
    fn take_nal(&mut self, bs: &mut ByteStream, nal: &[u8]) -> Result<(), String> {
        if nal[0] & 0x80 != 0 {
            return Err("h264: NAL unit with forbidden_zero_bit set (not H.264 data?)".to_string());
        }
        let t = nal[0] & 0x1F;
        let starts_new = if is_vcl(t) {
            bs.au_has_vcl && first_slice_of_picture(nal)
        } else {
            bs.au_has_vcl && matches!(t, NAL_AUD | NAL_SEI | NAL_SPS | NAL_PPS | 14..=18)
        };
        let mut r = Ok(());
        if starts_new {
            r = self.emit_au(bs);
        }
        bs.au_has_vcl |= is_vcl(t);
        bs.au.extend_from_slice(nal);
        bs.au_ends.push(bs.au.len());
        r
    }

    /// Muxes the access unit assembled in `bs` (and clears it).
    fn emit_au(&mut self, bs: &mut ByteStream) -> Result<(), String> {
        let mut nals = Vec::with_capacity(bs.au_ends.len());
        let mut start = 0;
        for &end in &bs.au_ends {
            nals.push(&bs.au[start..end]);
            start = end;
        }
        let r = if nals.is_empty() {
            Ok(())
        } else {
            let i = self.pts.len();
            self.push_nals(&nals, 0, None).map_err(|e| {
                bs.refused += 1;
                format!("{e} (access unit {i} of the byte stream, dropped)")
            })
        };
        bs.au.clear();
        bs.au_ends.clear();
        bs.au_has_vcl = false;
        r
    }

    /// Ends a byte stream: its last NAL unit and access unit are muxed. A refused last
    /// access unit is dropped with a warning (the pictures before it are kept).
    pub fn flush_bytes(&mut self) {
        let Some(mut bs) = self.bytes.take() else {
            return;
        };
        if let Some(start) = bs.nal {
            let mut end = bs.buf.len();
            while end > start && bs.buf[end - 1] == 0 {
                end -= 1;
            }
            if end > start {
                let nal = bs.buf[start..end].to_vec();
                if let Err(e) = self.take_nal(&mut bs, &nal) {
                    crate::diag::warn(&e);
                }
            }
        }
        if let Err(e) = self.emit_au(&mut bs) {
            crate::diag::warn(&e);
        }
    }
}

/// Repeated-pts check against the recent window (reordering spans a few frames).
fn recent_contains(pts: &[i64], p: i64) -> bool {
    pts[pts.len().saturating_sub(64)..].contains(&p)
}

/// Decode times for reordered pictures without given dts: the sorted presentation times,
/// shifted back by the largest reorder delay so that dts ≤ pts everywhere.
fn derive_dts(pts: &[i64]) -> Vec<i64> {
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    let delay = sorted
        .iter()
        .zip(pts)
        .map(|(s, p)| s.saturating_sub(*p))
        .max()
        .unwrap_or(0)
        .max(0);
    sorted.iter().map(|s| s - delay).collect()
}

#[derive(Debug)]
struct Timing {
    durations: Vec<u32>,
    ctts: Option<Vec<u32>>,
    media_start: u64,
}

/// Sample durations, composition offsets and the edit-list start from pts/dts.
fn timing(pts: &[i64], dts: &[i64], default_delta: i64) -> Result<Timing, String> {
    let n = pts.len();
    let mut durations = Vec::with_capacity(n);
    for i in 1..n {
        let d = dts[i] - dts[i - 1];
        if d <= 0 {
            return Err(format!(
                "h264: decode timestamps must increase (access unit {i}: {} after {}); repeated presentation timestamps?",
                dts[i],
                dts[i - 1]
            ));
        }
        durations.push(u32::try_from(d).map_err(|_| {
            format!(
                "h264: gap of {d} ticks between access units {} and {i} is too long",
                i - 1
            )
        })?);
    }
    let last = durations.last().map_or(default_delta, |&d| i64::from(d));
    durations.push(u32::try_from(last).map_err(|_| "h264: frame duration too long".to_string())?);
    let mut reordered = false;
    let mut offsets = Vec::with_capacity(n);
    for i in 0..n {
        let o = pts[i] - dts[i];
        if o < 0 {
            return Err(format!(
                "h264: access unit {i} is presented before it is decoded (pts {} < dts {})",
                pts[i], dts[i]
            ));
        }
        reordered |= o != 0;
        offsets.push(u32::try_from(o).map_err(|_| "h264: pts − dts too large".to_string())?);
    }
    let min_pts = pts.iter().copied().min().unwrap_or(0);
    let media_start = u64::try_from(min_pts - dts[0]).unwrap_or(0);
    Ok(Timing {
        durations,
        ctts: reordered.then_some(offsets),
        media_start,
    })
}

/// Muxes a whole H.264 stream (see [`H264Muxer::push_stream`]).
pub fn mux_h264(
    data: &[u8],
    opts: H264Options,
    pts: &[i64],
    dts: &[i64],
) -> Result<Vec<u8>, String> {
    let mut m = H264Muxer::new(opts)?;
    m.push_stream(data, pts, dts)?;
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be32(d: &[u8], at: usize) -> usize {
        u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize
    }

    /// Payload range of the first box `kind` (searched by name; fine for our own files).
    fn find_box(mp4: &[u8], kind: &[u8; 4]) -> std::ops::Range<usize> {
        let p = mp4.windows(4).position(|w| w == kind).unwrap() - 4;
        p + 8..p + be32(mp4, p)
    }

    /// (avcC payload, SPS, PPS, samples) of one of our encoder's MP4s.
    fn pieces(mp4: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
        let avcc = mp4[find_box(mp4, b"avcC")].to_vec();
        let sl = usize::from(u16::from_be_bytes([avcc[6], avcc[7]]));
        let sps = avcc[8..8 + sl].to_vec();
        let pl = usize::from(u16::from_be_bytes([avcc[9 + sl], avcc[10 + sl]]));
        let pps = avcc[11 + sl..11 + sl + pl].to_vec();
        let stsz = find_box(mp4, b"stsz");
        let stco = find_box(mp4, b"stco");
        let n = be32(mp4, stsz.start + 8);
        let mut off = be32(mp4, stco.start + 8);
        let mut samples = Vec::new();
        for i in 0..n {
            let z = be32(mp4, stsz.start + 12 + 4 * i);
            samples.push(mp4[off..off + z].to_vec());
            off += z;
        }
        (avcc, sps, pps, samples)
    }

    fn nals_of(sample: &[u8]) -> Vec<&[u8]> {
        split_avcc(sample, 4).unwrap()
    }

    fn clip_mp4(w: u32, h: u32, n: u32, fps: u32) -> Vec<u8> {
        let frames: Vec<Vec<u8>> = (0..n)
            .map(|t| {
                (0..w * h)
                    .flat_map(|i| {
                        let (x, y) = (i % w, i / w);
                        [
                            (x * 7 + t * 5) as u8,
                            (y * 9) as u8,
                            ((x + y + t) * 3) as u8,
                        ]
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        super::super::encode_mp4(&refs, w, h, fps).unwrap()
    }

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for n in nals {
            v.extend_from_slice(&[0, 0, 0, 1]);
            v.extend_from_slice(n);
        }
        v
    }

    #[cfg(feature = "opus")]
    #[test]
    fn pass_through_with_an_audio_track() {
        use super::super::audio::{tests as at, AudioEncoder};
        let fps = 5;
        let orig = clip_mp4(48, 32, 12, fps); // 2.4 s
        let (_, sps, pps, samples) = pieces(&orig);
        let mut m = H264Muxer::new(H264Options {
            fps,
            timescale: 90_000,
            ..H264Options::default()
        })
        .unwrap();
        for (i, s) in samples.iter().enumerate() {
            let mut au: Vec<&[u8]> = Vec::new();
            if i == 0 {
                au.push(&sps);
                au.push(&pps);
            }
            au.extend(nals_of(s));
            m.push(&annexb(&au), 7_000 + i as i64 * 18_000, None)
                .unwrap();
        }
        let mut a = AudioEncoder::new(1, 48_000).unwrap();
        let pcm: Vec<i16> = (0..48_000 * 2)
            .map(|i| ((i as f64 * 0.05).sin() * 12_000.0) as i16)
            .collect();
        a.push(&pcm).unwrap();
        let out = m.finish_with_audio(Some(a.finish().unwrap())).unwrap();
        let (ts, dur, t) = at::parse(&out);
        assert_eq!((ts, dur, t.len()), (48_000, 2 * 48_000 + 19_200, 2));
        assert_eq!(t[0].samples, samples, "NAL units unchanged");
        assert_eq!(t[0].timescale, 90_000);
        assert_eq!(&t[1].handler, b"soun");
        assert_eq!(t[1].edit.unwrap().0, 96_000);
    }

    /// B-frames (x264 fixture, composition delay cut by the video's edit list) next to an
    /// audio track: both edit lists in the 48 kHz movie timescale.
    #[cfg(feature = "opus")]
    #[test]
    fn b_frames_with_an_audio_track() {
        use super::super::audio::{tests as at, AudioEncoder};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/h264/");
        let data = std::fs::read(format!("{dir}x264_high_b2_64x48.h264")).unwrap();
        let times = std::fs::read_to_string(format!("{dir}x264_high_b2_64x48.times")).unwrap();
        let (pts, dts): (Vec<i64>, Vec<i64>) = times
            .lines()
            .map(|l| {
                let mut it = l.split_whitespace().map(|v| v.parse::<i64>().unwrap());
                (it.next().unwrap(), it.next().unwrap())
            })
            .unzip();
        let opts = H264Options {
            timescale: 1000,
            ..H264Options::default()
        };
        let plain = mux_h264(&data, opts.clone(), &pts, &dts).unwrap();
        let mut m = H264Muxer::new(opts).unwrap();
        m.push_stream(&data, &pts, &dts).unwrap();
        let mut a = AudioEncoder::new(2, 32_000).unwrap();
        a.push(&vec![1000i16; 2 * 32_000]).unwrap(); // 1 s
        let out = m.finish_with_audio(Some(a.finish().unwrap())).unwrap();
        let (ts0, dur0, t0) = at::parse(&plain);
        let (ts, dur, t) = at::parse(&out);
        assert_eq!(ts0, 1000);
        assert_eq!(ts, 48_000);
        let (seg0, start0) = t0[0].edit.unwrap();
        let (seg, start) = t[0].edit.unwrap();
        assert!(start0 > 0, "the fixture has a composition delay");
        assert_eq!(start, start0, "media_time stays in media ticks");
        assert_eq!(seg, seg0 * 48, "segment duration in 48 kHz movie ticks");
        assert_eq!(u64::from(dur), (u64::from(dur0) * 48).max(48_000));
        assert_eq!(t[0].samples, t0[0].samples);
        assert_eq!(t[1].edit.unwrap().0, 48_000);
    }

    #[test]
    fn annexb_stream_with_inband_repeats_gives_the_same_file() {
        let fps = 4;
        let orig = clip_mp4(48, 32, 20, fps);
        let (_, sps, pps, samples) = pieces(&orig);
        // AUD + SPS/PPS before every IDR (what hardware encoders and mp4toannexb emit)
        let mut stream = Vec::new();
        for s in &samples {
            let nals = nals_of(s);
            let mut au: Vec<&[u8]> = vec![&[0x09, 0xF0]];
            if nals.iter().any(|n| n[0] & 0x1F == 5) {
                au.push(&sps);
                au.push(&pps);
            }
            au.extend(nals);
            stream.extend(annexb(&au));
        }
        let opts = H264Options {
            fps,
            ..H264Options::default()
        };
        let out = mux_h264(&stream, opts.clone(), &[], &[]).unwrap();
        assert_eq!(
            out, orig,
            "pass-through of our own stream must rebuild the same MP4"
        );
        // with timestamps in 90 kHz: same samples, 90000 timescale
        let pts: Vec<i64> = (0..samples.len() as i64)
            .map(|i| 1_000_000 + i * 22_500)
            .collect();
        let out = mux_h264(
            &stream,
            H264Options {
                timescale: 90_000,
                ..opts
            },
            &pts,
            &[],
        )
        .unwrap();
        let (_, _, _, got) = pieces(&out);
        assert_eq!(got, samples);
        assert_eq!(be32(&out, find_box(&out, b"mdhd").start + 12), 90_000);
        assert!(out.windows(4).all(|w| w != b"ctts" && w != b"edts"));
    }

    #[test]
    fn avcc_access_units_with_avcc_config() {
        let fps = 10;
        let orig = clip_mp4(32, 16, 6, fps);
        let (avcc, _, _, samples) = pieces(&orig);
        let opts = H264Options {
            framing: Framing::Avcc,
            fps,
            config: avcc.clone(),
            ..H264Options::default()
        };
        let mut m = H264Muxer::new(opts).unwrap();
        for s in &samples {
            m.push(s, 0, None).unwrap();
        }
        assert_eq!(m.size(), Some((32, 16)));
        assert_eq!(m.finish().unwrap(), orig);
        // Auto framing detects AVCC too
        let mut m = H264Muxer::new(H264Options {
            fps,
            config: avcc,
            ..H264Options::default()
        })
        .unwrap();
        for s in &samples {
            m.push(s, 0, None).unwrap();
        }
        assert_eq!(m.finish().unwrap(), orig);
    }

    #[test]
    fn bad_streams_are_refused_clearly() {
        let orig = clip_mp4(32, 16, 10, 4);
        let (_, sps, pps, samples) = pieces(&orig);
        let ps = annexb(&[&sps, &pps]);
        let err = |opts: H264Options, data: &[u8]| mux_h264(data, opts, &[], &[]).unwrap_err();
        // non-IDR start
        let mut s = ps.clone();
        s.extend(annexb(&nals_of(&samples[1])));
        assert!(
            err(H264Options::default(), &s).contains("IDR"),
            "{}",
            err(H264Options::default(), &s)
        );
        // no SPS/PPS
        let s = annexb(&nals_of(&samples[0]));
        assert!(err(H264Options::default(), &s).contains("SPS"));
        // garbage, empty, lone start code, only parameter sets
        for g in [
            &b"hello world"[..],
            &[],
            &[0, 0, 1],
            &[0, 0, 0, 1, 0x67],
            &ps[..],
        ] {
            let _ = err(H264Options::default(), g);
        }
        // two pictures in one push
        let mut m = H264Muxer::new(H264Options::default()).unwrap();
        let mut two = ps.clone();
        two.extend(annexb(&nals_of(&samples[0])));
        two.extend(annexb(&nals_of(&samples[1])));
        assert!(m
            .push(&two, 0, None)
            .unwrap_err()
            .contains("more than one picture"));
        // a changed SPS mid-stream (other size) is refused; the writer stays usable
        let other = clip_mp4(48, 16, 1, 4);
        let (_, sps2, _, _) = pieces(&other);
        let mut first = ps.clone();
        first.extend(annexb(&nals_of(&samples[0])));
        m.push(&first, 0, None).unwrap();
        let mut changed = annexb(&[&sps2]);
        changed.extend(annexb(&nals_of(&samples[1])));
        let e = m.push(&changed, 1, None).unwrap_err();
        assert!(e.contains("changed") || e.contains("size"), "{e}");
        m.push(&annexb(&nals_of(&samples[1])), 1, None).unwrap();
        // timestamps: dts must increase, pts must not repeat, given for all or none
        let mut m = H264Muxer::new(H264Options {
            timescale: 1000,
            ..H264Options::default()
        })
        .unwrap();
        m.push(&first, 0, Some(0)).unwrap();
        let p = annexb(&nals_of(&samples[1]));
        assert!(m.push(&p, 40, Some(0)).unwrap_err().contains("increase"));
        assert!(m
            .push(&p, 40, None)
            .unwrap_err()
            .contains("every access unit"));
        m.push(&p, 40, Some(40)).unwrap();
        let mut m = H264Muxer::new(H264Options {
            timescale: 1000,
            ..H264Options::default()
        })
        .unwrap();
        m.push(&first, 0, None).unwrap();
        assert!(m.push(&p, 0, None).unwrap_err().contains("repeats"));
        // whole stream: timestamp count must match
        let mut s = first.clone();
        s.extend(p.clone());
        let e = mux_h264(
            &s,
            H264Options {
                timescale: 1000,
                ..H264Options::default()
            },
            &[0],
            &[],
        )
        .unwrap_err();
        assert!(e.contains("2 access units"), "{e}");
    }

    #[test]
    fn reordered_timestamps_become_ctts_and_an_edit_list() {
        // decode order I P B B P B B (pts in frames), as x264 -bf 2 emits
        let pts = [0i64, 3, 1, 2, 6, 4, 5];
        let dts = derive_dts(&pts);
        assert_eq!(dts, vec![-1, 0, 1, 2, 3, 4, 5]);
        let t = timing(&pts, &dts, 1).unwrap();
        assert_eq!(t.durations, vec![1; 7]);
        assert_eq!(t.ctts.unwrap(), vec![1, 3, 0, 0, 3, 0, 0]);
        assert_eq!(t.media_start, 1);
        // in order: no ctts, no edit list, last duration repeats the previous one
        let t = timing(&[10, 13, 16], &[10, 13, 16], 99).unwrap();
        assert_eq!(
            (t.durations, t.ctts.is_none(), t.media_start),
            (vec![3, 3, 3], true, 0)
        );
        let t = timing(&[5], &[5], 7).unwrap();
        assert_eq!(t.durations, vec![7]);
        assert!(timing(&[0, 1], &[0, 2], 1)
            .unwrap_err()
            .contains("presented before"));
    }

    /// (stream, pts, dts) of a fixture in tests/data/h264.
    fn fixture(name: &str) -> (Vec<u8>, Vec<i64>, Vec<i64>) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/h264/");
        let data = std::fs::read(format!("{dir}{name}.h264")).unwrap();
        let times = std::fs::read_to_string(format!("{dir}{name}.times")).unwrap();
        let (pts, dts) = times
            .lines()
            .map(|l| {
                let mut it = l.split_whitespace().map(|v| v.parse::<i64>().unwrap());
                (it.next().unwrap(), it.next().unwrap())
            })
            .unzip();
        (data, pts, dts)
    }

    fn ranks_of(pts: &[i64]) -> Vec<u32> {
        let mut idx: Vec<usize> = (0..pts.len()).collect();
        idx.sort_by_key(|&i| pts[i]);
        let mut r = vec![0; pts.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as u32;
        }
        r
    }

    /// Without timestamps the display order comes from the slice headers: it must be the
    /// order of the timestamps ffmpeg's libx264 wrote (B-frames, B-pyramid, open GOPs), and
    /// the file must equal the one muxed with those timestamps rescaled to 1/fps steps.
    #[test]
    fn display_order_without_timestamps_matches_the_encoders_pts() {
        for (name, fps) in [("x264_high_b2_64x48", 10), ("x264_opengop_b3_64x48", 25)] {
            let (data, pts, _) = fixture(name);
            let opts = H264Options {
                fps,
                ..H264Options::default()
            };
            let mut m = H264Muxer::new(opts.clone()).unwrap();
            m.push_stream(&data, &[], &[]).unwrap();
            let ranks = display_ranks(&m.order).unwrap();
            assert_eq!(ranks, ranks_of(&pts), "{name}");
            assert!(
                ranks.iter().enumerate().any(|(i, &r)| r as usize != i),
                "{name} reorders"
            );
            let derived = m.finish().unwrap();
            let timed: Vec<i64> = ranks.iter().map(|&r| i64::from(r) * 1000).collect();
            let with_ts = mux_h264(
                &data,
                H264Options {
                    timescale: fps * 1000,
                    ..opts
                },
                &timed,
                &[],
            )
            .unwrap();
            assert_eq!(derived, with_ts, "{name}");
            assert!(derived.windows(4).any(|w| w == b"ctts"));
        }
    }

    /// Cuts `data` at pseudo-random boundaries (1 byte … `max` bytes).
    fn chunks(data: &[u8], seed: u64, max: usize) -> Vec<&[u8]> {
        let mut s = seed | 1;
        let mut out = Vec::new();
        let mut p = 0;
        while p < data.len() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let end = (p + 1 + (s >> 11) as usize % max).min(data.len());
            out.push(&data[p..end]);
            p = end;
        }
        out
    }

    #[test]
    fn byte_streams_cut_anywhere_give_the_same_file_as_whole_access_units() {
        let (x264, _, _) = fixture("x264_opengop_b3_64x48");
        let (x264b, _, _) = fixture("x264_high_b2_64x48");
        // ours, with AUDs, in-band SPS/PPS before every IDR and 4-byte start codes
        let orig = clip_mp4(48, 32, 20, 4);
        let (_, sps, pps, samples) = pieces(&orig);
        let mut ours = vec![0u8, 0]; // leading_zero_8bits
        for s in &samples {
            let nals = nals_of(s);
            let mut au: Vec<&[u8]> = vec![&[0x09, 0xF0]];
            if nals.iter().any(|n| n[0] & 0x1F == 5) {
                au.push(&sps);
                au.push(&pps);
            }
            au.extend(nals);
            ours.extend(annexb(&au));
        }
        ours.extend([0, 0, 0]); // trailing_zero_8bits
        for (name, data) in [("opengop", &x264), ("b2", &x264b), ("ours", &ours)] {
            let opts = H264Options {
                fps: 25,
                ..H264Options::default()
            };
            let whole = mux_h264(data, opts.clone(), &[], &[]).unwrap();
            let mut by_au = H264Muxer::new(opts.clone()).unwrap();
            for au in access_units(&split_annexb(data)) {
                by_au.push(&annexb(&au), 0, None).unwrap();
            }
            assert_eq!(by_au.finish().unwrap(), whole, "{name}: per access unit");
            for (seed, max) in [(1, 1), (2, 3), (3, 7), (4, 64), (5, 700), (6, 1 << 20)] {
                let mut m = H264Muxer::new(opts.clone()).unwrap();
                for c in chunks(data, seed, max) {
                    m.push_bytes(c).unwrap();
                }
                // the last access unit (and the one before, if the last one's first NAL
                // unit has no start code after it yet) waits for more bytes or finish
                let (n, all) = (m.frame_count(), whole_count(data));
                assert!(
                    n < all && n + 2 >= all,
                    "{name}: {n} of {all} muxed before finish"
                );
                assert_eq!(m.finish().unwrap(), whole, "{name}: chunks of ≤{max} bytes");
            }
        }
    }

    fn whole_count(data: &[u8]) -> u64 {
        access_units(&split_annexb(data)).len() as u64
    }

    #[test]
    fn byte_stream_misuse_and_bad_bytes_are_refused() {
        let (data, _, _) = fixture("x264_high_b2_64x48");
        let opts = H264Options::default();
        // timestamps cannot come with a byte stream
        let mut m = H264Muxer::new(H264Options {
            timescale: 90_000,
            ..opts.clone()
        })
        .unwrap();
        assert!(m.push_bytes(&data).unwrap_err().contains("timestamps"));
        // not Annex-B
        let mut m = H264Muxer::new(opts.clone()).unwrap();
        assert!(m
            .push_bytes(b"\x47\x40\x00")
            .unwrap_err()
            .contains("start code"));
        // … and the muxer is usable afterwards
        m.push_bytes(&data).unwrap();
        let whole = mux_h264(&data, opts.clone(), &[], &[]).unwrap();
        assert_eq!(m.finish().unwrap(), whole);
        // push and push_bytes do not mix
        let aus = access_units(&split_annexb(&data));
        let mut m = H264Muxer::new(opts.clone()).unwrap();
        m.push(&annexb(&aus[0]), 0, None).unwrap();
        assert!(m.push_bytes(&data).unwrap_err().contains("cannot follow"));
        let mut m = H264Muxer::new(opts.clone()).unwrap();
        m.push_bytes(&data[..100]).unwrap();
        assert!(m
            .push(&annexb(&aus[0]), 0, None)
            .unwrap_err()
            .contains("cannot follow"));
        // a stream cut mid-GOP: its pictures are refused one by one until … never (no IDR)
        let ps: Vec<&[u8]> = aus[0]
            .iter()
            .copied()
            .filter(|n| matches!(n[0] & 0x1F, NAL_SPS | NAL_PPS))
            .collect();
        let mut tail = annexb(&ps);
        for au in &aus[1..] {
            tail.extend(annexb(au));
        }
        let mut m = H264Muxer::new(opts.clone()).unwrap();
        let e = m.push_bytes(&tail).unwrap_err();
        assert!(e.contains("IDR") && e.contains("dropped"), "{e}");
        assert_eq!(m.frame_count(), 0);
        assert!(m.finish().is_err());
        // only zero bytes so far: nothing yet, no error
        let mut m = H264Muxer::new(opts).unwrap();
        m.push_bytes(&[0, 0]).unwrap();
        m.push_bytes(&[0]).unwrap();
        m.push_bytes(&data[2..]).unwrap();
        assert_eq!(m.finish().unwrap(), whole);
    }

    #[test]
    fn access_unit_split_follows_first_mb_and_prefix_nals() {
        // slices: 0x65 0x88 = IDR first_mb 0; 0x65 0x40 = IDR slice, first_mb != 0
        let nals: Vec<&[u8]> = vec![
            &[0x09, 0xF0],
            &[0x67, 1, 2, 3],
            &[0x68, 0xCE],
            &[0x65, 0x88],
            &[0x65, 0x40],
            &[0x06, 5],
            &[0x41, 0x9A],
            &[0x41, 0x9B],
        ];
        let aus = access_units(&nals);
        assert_eq!(aus.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 2, 1]);
        assert_eq!(
            split_annexb(&[0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x41, 7, 0, 0]),
            vec![&[0x09, 0xF0][..], &[0x41, 7][..]]
        );
    }
}
