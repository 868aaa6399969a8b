//! Minimal ISO-BMFF (MP4) muxer for one H.264 video track: `ftyp`, then `moov` (fast
//! start), then one `mdat` holding all samples as a single chunk.

/// Everything the muxer needs to know about the track.
pub(crate) struct Track<'a> {
    /// Display size (what `tkhd` and the sample entry announce).
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// The sample entry box (`avc1` with its `avcC`), already serialised.
    pub sample_entry: &'a [u8],
    /// Size of each sample in bytes, in decode order.
    pub sizes: &'a [u32],
    /// 1-based numbers of the sync samples (IDR pictures).
    pub sync: &'a [u32],
}

/// Media timescale ticks per frame (timescale = fps × this).
const TICKS_PER_FRAME: u32 = 1000;
/// Movie (mvhd/tkhd) timescale: milliseconds.
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
    if sps.len() < 4 || sps.len() > 0xFFFF || pps.is_empty() || pps.len() > 0xFFFF {
        return Err("mp4: invalid SPS/PPS from the encoder".to_string());
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
    b.u8(0xE1); // one SPS
    b.u16(sps.len() as u16);
    b.bytes(sps);
    b.u8(1); // one PPS
    b.u16(pps.len() as u16);
    b.bytes(pps);
    if matches!(sps[1], 100 | 110 | 122 | 244) {
        // High profiles: chroma_format (4:4:4), 8-bit luma/chroma, no SPS extensions
        b.u8(0xFC | 3);
        b.u8(0xF8);
        b.u8(0xF8);
        b.u8(0);
    }
    b.end();
    b.end();
    Ok(b.buf)
}

/// Serialises the whole file around `data` (the concatenated samples), reusing its buffer
/// so that the peak memory stays about one copy of the compressed video.
pub(crate) fn write_mp4(t: &Track<'_>, mut data: Vec<u8>) -> Result<Vec<u8>, String> {
    let n = t.sizes.len() as u64;
    if n == 0 {
        return Err("mp4: no frames".to_string());
    }
    if t.fps == 0 || t.fps > u32::MAX / TICKS_PER_FRAME {
        return Err("mp4: fps out of range".to_string());
    }
    let timescale = t.fps * TICKS_PER_FRAME;
    let media_duration = n * u64::from(TICKS_PER_FRAME);
    let movie_duration = (n * u64::from(MOVIE_TIMESCALE) + u64::from(t.fps) / 2) / u64::from(t.fps);
    let data_len = data.len() as u64;
    let large_mdat = data_len + 8 > u64::from(u32::MAX);

    // ftyp
    let mut f = BoxWriter::new();
    f.begin(b"ftyp");
    f.bytes(b"isom");
    f.u32(0x200);
    f.bytes(b"isomiso2avc1mp41");
    f.end();

    // moov is written twice: the chunk offset depends on its own size (stco vs co64).
    let build_moov = |chunk_offset: u64| -> Vec<u8> {
        let v1 = media_duration > u64::from(u32::MAX) || movie_duration > u64::from(u32::MAX);
        let mut b = BoxWriter::new();
        b.begin(b"moov");
        // mvhd
        b.begin_full(b"mvhd", u8::from(v1), 0);
        if v1 {
            b.u64(0);
            b.u64(0);
            b.u32(MOVIE_TIMESCALE);
            b.u64(movie_duration);
        } else {
            b.u32(0);
            b.u32(0);
            b.u32(MOVIE_TIMESCALE);
            b.u32(movie_duration as u32);
        }
        b.u32(0x0001_0000); // rate 1.0
        b.u16(0x0100); // volume 1.0
        b.zeros(10);
        b.matrix();
        b.zeros(24); // pre_defined
        b.u32(2); // next_track_ID
        b.end();
        // trak
        b.begin(b"trak");
        b.begin_full(b"tkhd", u8::from(v1), 3); // enabled | in_movie
        if v1 {
            b.u64(0);
            b.u64(0);
            b.u32(1);
            b.u32(0);
            b.u64(movie_duration);
        } else {
            b.u32(0);
            b.u32(0);
            b.u32(1); // track_ID
            b.u32(0);
            b.u32(movie_duration as u32);
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
        b.begin(b"mdia");
        b.begin_full(b"mdhd", u8::from(v1), 0);
        if v1 {
            b.u64(0);
            b.u64(0);
            b.u32(timescale);
            b.u64(media_duration);
        } else {
            b.u32(0);
            b.u32(0);
            b.u32(timescale);
            b.u32(media_duration as u32);
        }
        b.u16(0x55C4); // language "und"
        b.u16(0);
        b.end();
        b.begin_full(b"hdlr", 0, 0);
        b.u32(0);
        b.bytes(b"vide");
        b.zeros(12);
        b.bytes(b"VideoHandler\0");
        b.end();
        b.begin(b"minf");
        b.begin_full(b"vmhd", 0, 1);
        b.zeros(8);
        b.end();
        b.begin(b"dinf");
        b.begin_full(b"dref", 0, 0);
        b.u32(1);
        b.begin_full(b"url ", 0, 1); // media data in this file
        b.end();
        b.end();
        b.end();
        b.begin(b"stbl");
        b.begin_full(b"stsd", 0, 0);
        b.u32(1);
        b.bytes(t.sample_entry);
        b.end();
        b.begin_full(b"stts", 0, 0);
        b.u32(1);
        b.u32(n as u32);
        b.u32(TICKS_PER_FRAME);
        b.end();
        b.begin_full(b"stss", 0, 0);
        b.u32(t.sync.len() as u32);
        for &s in t.sync {
            b.u32(s);
        }
        b.end();
        b.begin_full(b"stsc", 0, 0);
        b.u32(1);
        b.u32(1); // first_chunk
        b.u32(n as u32); // samples_per_chunk: everything in one chunk
        b.u32(1); // sample_description_index
        b.end();
        b.begin_full(b"stsz", 0, 0);
        b.u32(0);
        b.u32(n as u32);
        for &s in t.sizes {
            b.u32(s);
        }
        b.end();
        if chunk_offset > u64::from(u32::MAX) {
            b.begin_full(b"co64", 0, 0);
            b.u32(1);
            b.u64(chunk_offset);
        } else {
            b.begin_full(b"stco", 0, 0);
            b.u32(1);
            b.u32(chunk_offset as u32);
        }
        b.end();
        b.end(); // stbl
        b.end(); // minf
        b.end(); // mdia
        b.end(); // trak
        b.end(); // moov
        b.buf
    };
    if n > u64::from(u32::MAX) {
        return Err("mp4: too many frames".to_string());
    }
    let mdat_header = if large_mdat { 16u64 } else { 8 };
    let mut moov = build_moov(0);
    let offset = f.buf.len() as u64 + moov.len() as u64 + mdat_header;
    if offset > u64::from(u32::MAX) {
        moov = build_moov(u64::from(u32::MAX) + 1); // switch to co64 (4 bytes longer)
        let offset = f.buf.len() as u64 + moov.len() as u64 + mdat_header;
        moov = build_moov(offset);
    } else {
        moov = build_moov(offset);
    }

    let mut head = f.buf;
    head.extend_from_slice(&moov);
    if large_mdat {
        head.extend_from_slice(&1u32.to_be_bytes());
        head.extend_from_slice(b"mdat");
        head.extend_from_slice(&(data_len + 16).to_be_bytes());
    } else {
        head.extend_from_slice(&((data_len + 8) as u32).to_be_bytes());
        head.extend_from_slice(b"mdat");
    }
    let n_data = data.len();
    data.try_reserve_exact(head.len())
        .map_err(|_| "mp4: out of memory".to_string())?;
    data.resize(n_data + head.len(), 0);
    data.copy_within(0..n_data, head.len());
    data[..head.len()].copy_from_slice(&head);
    Ok(data)
}
