//! A WebM muxer for one VP8 video track: EBML header, Segment { SeekHead, Info, Tracks,
//! Cluster…, Cues }, every size known (no "unknown size" elements), a cluster per keyframe
//! and a cue point for each.
//!
//! Hand-written instead of libwebm's mkvmuxer (through the `webm` crate), which this
//! library used before 0.2.0: mkvmuxer seeds the TrackUID from the wall clock
//! (`time(NULL)` in `Segment::Segment`, then `rand_r`) and the crate cannot set it, so the
//! same frames gave different bytes, a different sha256 and a different media file name from
//! one second to the next (and on Windows it called `srand`, reseeding the host's `rand()`).
//! This writer is deterministic: the same packets give the same file. The subset is small
//! (one track, SimpleBlocks, no lacing), and the output is checked by ffmpeg, Chromium
//! playback and the unit test below, which walks the element tree.
//!
//! Memory: the file is assembled in memory at [`WebmMuxer::finish`] (as the encoder always
//! did), so it holds the compressed frames and a few bytes per keyframe.

/// EBML element IDs (with their length-marker bits, as written).
mod id {
    pub const EBML: u32 = 0x1A45_DFA3;
    pub const EBML_VERSION: u32 = 0x4286;
    pub const EBML_READ_VERSION: u32 = 0x42F7;
    pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub const DOC_TYPE: u32 = 0x4282;
    pub const DOC_TYPE_VERSION: u32 = 0x4287;
    pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub const SEGMENT: u32 = 0x1853_8067;
    pub const SEEK_HEAD: u32 = 0x114D_9B74;
    pub const SEEK: u32 = 0x4DBB;
    pub const SEEK_ID: u32 = 0x53AB;
    pub const SEEK_POSITION: u32 = 0x53AC;
    pub const INFO: u32 = 0x1549_A966;
    pub const TIMECODE_SCALE: u32 = 0x2A_D7B1;
    pub const DURATION: u32 = 0x4489;
    pub const MUXING_APP: u32 = 0x4D80;
    pub const WRITING_APP: u32 = 0x5741;
    pub const TRACKS: u32 = 0x1654_AE6B;
    pub const TRACK_ENTRY: u32 = 0xAE;
    pub const TRACK_NUMBER: u32 = 0xD7;
    pub const TRACK_UID: u32 = 0x73C5;
    pub const TRACK_TYPE: u32 = 0x83;
    pub const FLAG_LACING: u32 = 0x9C;
    pub const LANGUAGE: u32 = 0x22_B59C;
    pub const CODEC_ID: u32 = 0x86;
    pub const DEFAULT_DURATION: u32 = 0x23_E383;
    pub const VIDEO: u32 = 0xE0;
    pub const PIXEL_WIDTH: u32 = 0xB0;
    pub const PIXEL_HEIGHT: u32 = 0xBA;
    pub const FLAG_INTERLACED: u32 = 0x9A;
    pub const COLOUR: u32 = 0x55B0;
    pub const RANGE: u32 = 0x55B9;
    pub const CLUSTER: u32 = 0x1F43_B675;
    pub const TIMECODE: u32 = 0xE7;
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    pub const CUES: u32 = 0x1C53_BB6B;
    pub const CUE_POINT: u32 = 0xBB;
    pub const CUE_TIME: u32 = 0xB3;
    pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
    pub const CUE_TRACK: u32 = 0xF7;
    pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
}

/// Nanoseconds per timecode unit: milliseconds, Matroska's and libwebm's default.
const TIMECODE_SCALE_NS: u64 = 1_000_000;
const APP: &str = "wandb-media";

fn put_id(out: &mut Vec<u8>, id: u32) {
    let b = id.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count().min(3);
    out.extend_from_slice(&b[skip..]);
}

/// An element data size as the shortest EBML variable-length integer (all-ones patterns are
/// reserved for "unknown", hence the `- 1`).
fn put_size(out: &mut Vec<u8>, n: u64) {
    let len = (1..=8).find(|&l| n < (1u64 << (7 * l)) - 1).unwrap_or(8);
    let v = n | (1u64 << (7 * len));
    out.extend_from_slice(&v.to_be_bytes()[8 - len..]);
}

fn put_elem(out: &mut Vec<u8>, id: u32, payload: &[u8]) {
    put_id(out, id);
    put_size(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// An unsigned integer element in the fewest bytes (at least one).
fn put_uint(out: &mut Vec<u8>, id: u32, v: u64) {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count().min(7);
    put_elem(out, id, &b[skip..]);
}

/// An unsigned integer element in exactly 8 bytes (so a SeekHead's size does not depend on
/// the positions it holds).
fn put_uint8(out: &mut Vec<u8>, id: u32, v: u64) {
    put_elem(out, id, &v.to_be_bytes());
}

/// The WebM writer. Frames must come in presentation order (VP8 without alt-ref frames, as
/// our encoder is configured: one packet per frame, no look-ahead).
#[derive(Debug)]
pub struct WebmMuxer {
    width: u32,
    height: u32,
    /// Frames per second (the track's DefaultDuration).
    fps: u32,
    /// Closed clusters, back to back.
    clusters: Vec<u8>,
    /// The open cluster: its timecode and SimpleBlocks.
    open: Option<(u64, Vec<u8>)>,
    /// (timecode, offset of the cluster in `clusters`) of every keyframe-started cluster.
    cues: Vec<(u64, u64)>,
    last_timecode: Option<u64>,
}

impl WebmMuxer {
    /// A muxer for `width` × `height` frames at `fps` frames per second.
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        WebmMuxer {
            width,
            height,
            fps,
            clusters: Vec::new(),
            open: None,
            cues: Vec::new(),
            last_timecode: None,
        }
    }

    /// Adds one compressed frame shown at `ns` nanoseconds. A keyframe starts a cluster (and
    /// a cue point); so does a frame too far from its cluster's start for the 16-bit
    /// relative timecode.
    pub fn add_frame(&mut self, data: &[u8], ns: u64, key: bool) -> Result<(), String> {
        let tc = ns / TIMECODE_SCALE_NS;
        if self.last_timecode.is_some_and(|t| tc < t) {
            return Err("webm: frame timestamps go backwards".to_string());
        }
        if self.open.is_none() && !key {
            return Err("webm: the first frame must be a keyframe".to_string());
        }
        let far = self
            .open
            .as_ref()
            .is_some_and(|(start, _)| tc - start > i16::MAX as u64);
        if key || far {
            self.close_cluster();
            if key {
                self.cues.push((tc, self.clusters.len() as u64));
            }
            self.open = Some((tc, Vec::new()));
        }
        let Some((start, blocks)) = self.open.as_mut() else {
            return Err("webm: no open cluster".to_string());
        };
        let rel = (tc - *start) as i16;
        put_id(blocks, id::SIMPLE_BLOCK);
        put_size(blocks, data.len() as u64 + 4);
        blocks.push(0x81); // track number 1 as a vint
        blocks.extend_from_slice(&rel.to_be_bytes());
        blocks.push(if key { 0x80 } else { 0x00 });
        blocks.extend_from_slice(data);
        self.last_timecode = Some(tc);
        Ok(())
    }

    fn close_cluster(&mut self) {
        if let Some((tc, blocks)) = self.open.take() {
            let mut body = Vec::with_capacity(blocks.len() + 12);
            put_uint(&mut body, id::TIMECODE, tc);
            body.extend_from_slice(&blocks);
            put_elem(&mut self.clusters, id::CLUSTER, &body);
        }
    }

    /// The complete file; `duration_ms` goes into the segment info.
    pub fn finish(mut self, duration_ms: f64) -> Vec<u8> {
        self.close_cluster();
        let mut out = Vec::with_capacity(self.clusters.len() + 256 + 16 * self.cues.len());
        let mut ebml = Vec::new();
        put_uint(&mut ebml, id::EBML_VERSION, 1);
        put_uint(&mut ebml, id::EBML_READ_VERSION, 1);
        put_uint(&mut ebml, id::EBML_MAX_ID_LENGTH, 4);
        put_uint(&mut ebml, id::EBML_MAX_SIZE_LENGTH, 8);
        put_elem(&mut ebml, id::DOC_TYPE, b"webm");
        put_uint(&mut ebml, id::DOC_TYPE_VERSION, 2);
        put_uint(&mut ebml, id::DOC_TYPE_READ_VERSION, 2);
        put_elem(&mut out, id::EBML, &ebml);

        let mut info = Vec::new();
        put_uint(&mut info, id::TIMECODE_SCALE, TIMECODE_SCALE_NS);
        put_elem(&mut info, id::DURATION, &duration_ms.to_be_bytes());
        put_elem(&mut info, id::MUXING_APP, APP.as_bytes());
        put_elem(&mut info, id::WRITING_APP, APP.as_bytes());
        let mut info_el = Vec::new();
        put_elem(&mut info_el, id::INFO, &info);

        // The track elements the SDK's files (ffmpeg's Matroska muxer, via moviepy) carry:
        // DefaultDuration is what ffmpeg and browsers read the frame rate from (without it
        // ffmpeg guesses "1k tbr" from the millisecond timecodes of short clips); ffmpeg
        // writes ⌊10⁹ / fps⌋ ns when a frame is longer than the 1 ms timecode unit.
        // Progressive scan and limited ("broadcast") colour range describe libvpx's output.
        let mut video = Vec::new();
        put_uint(&mut video, id::PIXEL_WIDTH, u64::from(self.width));
        put_uint(&mut video, id::PIXEL_HEIGHT, u64::from(self.height));
        put_uint(&mut video, id::FLAG_INTERLACED, 2); // progressive
        let mut colour = Vec::new();
        put_uint(&mut colour, id::RANGE, 1); // broadcast (limited) range
        put_elem(&mut video, id::COLOUR, &colour);
        let mut entry = Vec::new();
        put_uint(&mut entry, id::TRACK_NUMBER, 1);
        put_uint(&mut entry, id::TRACK_UID, 1);
        put_uint(&mut entry, id::FLAG_LACING, 0);
        put_elem(&mut entry, id::LANGUAGE, b"und");
        put_elem(&mut entry, id::CODEC_ID, b"V_VP8");
        put_uint(&mut entry, id::TRACK_TYPE, 1); // video
        if let Some(d) = default_duration_ns(self.fps) {
            put_uint(&mut entry, id::DEFAULT_DURATION, d);
        }
        put_elem(&mut entry, id::VIDEO, &video);
        let mut tracks = Vec::new();
        put_elem(&mut tracks, id::TRACK_ENTRY, &entry);
        let mut tracks_el = Vec::new();
        put_elem(&mut tracks_el, id::TRACKS, &tracks);

        // Positions are relative to the segment's data; the SeekHead's size is fixed (8-byte
        // positions), so it can be sized before the positions are known.
        let seek = |target: u32, pos: u64| {
            let mut s = Vec::new();
            let mut idb = Vec::new();
            put_id(&mut idb, target);
            put_elem(&mut s, id::SEEK_ID, &idb);
            put_uint8(&mut s, id::SEEK_POSITION, pos);
            let mut el = Vec::new();
            put_elem(&mut el, id::SEEK, &s);
            el
        };
        let seek_head = |info: u64, tracks: u64, cues: u64| {
            let mut body = seek(id::INFO, info);
            body.extend(seek(id::TRACKS, tracks));
            body.extend(seek(id::CUES, cues));
            let mut el = Vec::new();
            put_elem(&mut el, id::SEEK_HEAD, &body);
            el
        };
        let head_len = seek_head(0, 0, 0).len() as u64;
        let info_pos = head_len;
        let tracks_pos = info_pos + info_el.len() as u64;
        let clusters_pos = tracks_pos + tracks_el.len() as u64;
        let cues_pos = clusters_pos + self.clusters.len() as u64;

        let mut cues = Vec::new();
        for &(tc, off) in &self.cues {
            let mut tp = Vec::new();
            put_uint(&mut tp, id::CUE_TRACK, 1);
            put_uint(&mut tp, id::CUE_CLUSTER_POSITION, clusters_pos + off);
            let mut cp = Vec::new();
            put_uint(&mut cp, id::CUE_TIME, tc);
            put_elem(&mut cp, id::CUE_TRACK_POSITIONS, &tp);
            put_elem(&mut cues, id::CUE_POINT, &cp);
        }
        let mut cues_el = Vec::new();
        put_elem(&mut cues_el, id::CUES, &cues);

        let head = seek_head(info_pos, tracks_pos, cues_pos);
        let seg_len = cues_pos + cues_el.len() as u64;
        put_id(&mut out, id::SEGMENT);
        put_size(&mut out, seg_len);
        out.extend_from_slice(&head);
        out.extend_from_slice(&info_el);
        out.extend_from_slice(&tracks_el);
        out.append(&mut self.clusters);
        out.extend_from_slice(&cues_el);
        out
    }
}

/// The track's DefaultDuration in ns for `fps`, as ffmpeg's Matroska muxer writes it
/// (`10⁹ · den / num`, integer division), or none when a frame is not longer than the 1 ms
/// timecode unit (fps ≥ 1000, where ffmpeg writes none either).
pub fn default_duration_ns(fps: u32) -> Option<u64> {
    (fps > 0 && fps < 1000).then(|| 1_000_000_000 / u64::from(fps))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (id, data range) of the elements in `b[start..end]`.
    fn children(b: &[u8], start: usize, end: usize) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        let mut p = start;
        while p < end {
            let idlen = b[p].leading_zeros() as usize + 1;
            let id = b[p..p + idlen]
                .iter()
                .fold(0u32, |a, &x| a << 8 | u32::from(x));
            p += idlen;
            let slen = b[p].leading_zeros() as usize + 1;
            let mut size = u64::from(b[p]) & ((1u64 << (8 - slen)) - 1);
            for &x in &b[p + 1..p + slen] {
                size = size << 8 | u64::from(x);
            }
            p += slen;
            out.push((id, p, p + size as usize));
            p += size as usize;
        }
        assert_eq!(p, end, "children overrun their parent");
        out
    }

    fn uint(b: &[u8]) -> u64 {
        b.iter().fold(0, |a, &x| a << 8 | u64::from(x))
    }

    #[test]
    fn sizes_positions_and_blocks_are_consistent_and_deterministic() {
        let make = || {
            let mut m = WebmMuxer::new(33, 17, 7);
            for i in 0..100u64 {
                let key = i.is_multiple_of(30);
                let data = vec![i as u8; 1 + (i as usize * 37) % 300];
                m.add_frame(&data, i * 1_000_000_000 / 7, key).unwrap();
            }
            m.finish(100_000.0 / 7.0)
        };
        let file = make();
        assert_eq!(file, make());
        let top = children(&file, 0, file.len());
        assert_eq!(
            top.iter().map(|t| t.0).collect::<Vec<_>>(),
            [id::EBML, id::SEGMENT]
        );
        let (_, s0, s1) = top[1];
        let seg = children(&file, s0, s1);
        let ids: Vec<u32> = seg.iter().map(|t| t.0).collect();
        assert_eq!(ids[..3], [id::SEEK_HEAD, id::INFO, id::TRACKS]);
        assert_eq!(*ids.last().unwrap(), id::CUES);
        assert_eq!(ids.iter().filter(|&&i| i == id::CLUSTER).count(), 4);
        // every SeekHead entry points at the start of the element it names
        let at = |pos: u64| {
            let p = s0 + pos as usize;
            seg.iter().find(|t| t.1 > p).map(|t| t.0).unwrap()
        };
        let seeks = children(&file, seg[0].1, seg[0].2);
        for (_, a, b) in seeks {
            let s = children(&file, a, b);
            let target = uint(&file[s[0].1..s[0].2]) as u32;
            assert_eq!(at(uint(&file[s[1].1..s[1].2])), target);
        }
        // cue points: times 0, 30/7 s, 60/7 s, 90/7 s in ms, each at a cluster starting there
        let (_, c0, c1) = *seg.last().unwrap();
        let mut times = Vec::new();
        for (_, a, b) in children(&file, c0, c1) {
            let cp = children(&file, a, b);
            let t = uint(&file[cp[0].1..cp[0].2]);
            let tp = children(&file, cp[1].1, cp[1].2);
            let pos = uint(&file[tp[1].1..tp[1].2]);
            assert_eq!(at(pos), id::CLUSTER);
            let cl = seg.iter().find(|e| e.1 > s0 + pos as usize).unwrap();
            let tc = children(&file, cl.1, cl.2)[0];
            assert_eq!(uint(&file[tc.1..tc.2]), t);
            times.push(t);
        }
        assert_eq!(times, [0, 4285, 8571, 12857]);
        // blocks: 100 frames, in order, payloads intact, keyframe flags on every 30th
        let mut n = 0u64;
        for cl in seg.iter().filter(|t| t.0 == id::CLUSTER) {
            let kids = children(&file, cl.1, cl.2);
            let ctc = uint(&file[kids[0].1..kids[0].2]);
            for (bid, a, b) in &kids[1..] {
                assert_eq!(*bid, id::SIMPLE_BLOCK);
                assert_eq!(file[*a], 0x81);
                let rel = i16::from_be_bytes([file[a + 1], file[a + 2]]) as u64;
                assert_eq!(ctc + rel, n * 1000 / 7);
                assert_eq!(file[a + 3] == 0x80, n.is_multiple_of(30));
                assert_eq!(
                    &file[a + 4..*b],
                    &vec![n as u8; 1 + (n as usize * 37) % 300][..]
                );
                n += 1;
            }
        }
        assert_eq!(n, 100);
    }

    /// The track entry's elements, as the SDK's (ffmpeg-muxed) WebM files carry them.
    fn track_entry(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let top = children(file, 0, file.len());
        let seg = children(file, top[1].1, top[1].2);
        let tracks = seg.iter().find(|t| t.0 == id::TRACKS).unwrap();
        let entry = children(file, tracks.1, tracks.2)[0];
        assert_eq!(entry.0, id::TRACK_ENTRY);
        children(file, entry.1, entry.2)
            .into_iter()
            .map(|(i, a, b)| (i, file[a..b].to_vec()))
            .collect()
    }

    #[test]
    fn the_track_carries_the_frame_rate_like_ffmpeg_writes_it() {
        // wandb 0.31 (moviepy → ffmpeg): 15 fps → 66666666 ns, 4 → 250000000, 30 → 33333333
        for (fps, want) in [
            (15, Some(66_666_666)),
            (4, Some(250_000_000)),
            (30, Some(33_333_333)),
            (7, Some(142_857_142)),
            (1, Some(1_000_000_000)),
            (999, Some(1_001_001)),
            (1000, None),
            (60_000, None),
        ] {
            assert_eq!(default_duration_ns(fps), want, "{fps} fps");
            let mut m = WebmMuxer::new(8, 6, fps);
            m.add_frame(&[1, 2, 3], 0, true).unwrap();
            m.add_frame(&[4], 1_000_000_000 / u64::from(fps), false)
                .unwrap();
            let entry = track_entry(&m.finish(2000.0 / f64::from(fps)));
            let get = |i: u32| entry.iter().find(|e| e.0 == i).map(|e| e.1.clone());
            assert_eq!(
                get(id::DEFAULT_DURATION).map(|b| uint(&b)),
                want,
                "{fps} fps"
            );
            assert_eq!(get(id::CODEC_ID).unwrap(), b"V_VP8");
            assert_eq!(get(id::LANGUAGE).unwrap(), b"und");
            assert_eq!(get(id::TRACK_TYPE).map(|b| uint(&b)), Some(1));
            let video = get(id::VIDEO).unwrap();
            let v = children(&video, 0, video.len());
            let ids: Vec<u32> = v.iter().map(|e| e.0).collect();
            assert_eq!(
                ids,
                [
                    id::PIXEL_WIDTH,
                    id::PIXEL_HEIGHT,
                    id::FLAG_INTERLACED,
                    id::COLOUR
                ]
            );
            assert_eq!(uint(&video[v[2].1..v[2].2]), 2, "progressive");
        }
    }

    #[test]
    fn long_gaps_between_keyframes_start_new_clusters_and_bad_orders_are_refused() {
        let mut m = WebmMuxer::new(2, 2, 1);
        assert!(m.add_frame(&[1], 0, false).is_err());
        m.add_frame(&[1], 0, true).unwrap();
        m.add_frame(&[2], 40_000_000_000, false).unwrap(); // 40 s: past the i16 range
        assert!(m.add_frame(&[3], 1_000_000_000, false).is_err());
        let file = m.finish(40_000.0);
        let top = children(&file, 0, file.len());
        let seg = children(&file, top[1].1, top[1].2);
        assert_eq!(seg.iter().filter(|t| t.0 == id::CLUSTER).count(), 2);
        let cues = children(&file, seg.last().unwrap().1, seg.last().unwrap().2);
        assert_eq!(cues.len(), 1, "only the keyframe is a cue point");
    }

    #[test]
    fn sizes_use_the_shortest_vint() {
        let enc = |n| {
            let mut v = Vec::new();
            put_size(&mut v, n);
            v
        };
        assert_eq!(enc(0), [0x80]);
        assert_eq!(enc(126), [0xFE]);
        assert_eq!(enc(127), [0x40, 0x7F]);
        assert_eq!(enc(16382), [0x7F, 0xFE]);
        assert_eq!(enc(16383), [0x20, 0x3F, 0xFF]);
    }
}
