//! Animated GIF encoder (GIF89a) with the frame timing of Pillow's GIF writer, as used by
//! `wandb.Video(..., format="gif")`.
//!
//! * Adaptive palettes (≤ 256 colours, no dither) per frame, like Pillow quantises each
//!   frame: the first frame is quantised whole and its palette is the global colour table;
//!   each later frame re-quantises only the rectangle where the input changed, with a local
//!   colour table trimmed to the colours used. Areas with ≤ 256 distinct colours keep their
//!   exact colours; others go through a median cut over a colour histogram (exact colours
//!   for areas up to 16384 pixels, 5-bit-per-channel cells with exact colour sums above), and
//!   every histogram entry maps to its nearest palette colour (grid-accelerated search).
//! * Consecutive frames whose *decoded* pixels are identical are merged into one frame whose
//!   delay is the float sum of the per-frame durations (`1000/fps` ms), truncated to
//!   centiseconds: `int(n * (1000/fps) / 10)` (Pillow's rule); a lone frame gets
//!   `int((1000/fps) / 10)`. All input frames are kept (no moviepy-style last-frame drop).
//! * Frames after the first are cropped to the rectangle that changed in the decoded image
//!   (disposal "do not dispose", no transparency).
//! * NETSCAPE2.0 loop count 0 (infinite).
//!
//! [`GifEncoder`] streams: each frame is quantised, LZW-compressed (`weezl`) and appended as
//! it arrives. It keeps the previous input frame and the currently shown image (for the
//! change rectangle and the merge test); the delay of the last written frame is patched in
//! place while identical frames follow. Memory does not grow with the number of frames
//! beyond the compressed output. No global state; the encoder is `Send`.

/// Largest side a GIF logical screen can have.
const GIF_MAX_SIDE: u32 = 65_535;
/// Pixels above which the palette histogram is built from a strided sample.
const HIST_SAMPLE_LIMIT: usize = 1 << 20;
/// Number of 5-bit-per-channel histogram cells.
const CELLS: usize = 1 << 15;
/// Frames up to this many pixels get an exact-colour histogram (at most this many cells,
/// so the `CELLS`-slot hash table stays at most half full).
const SMALL_FRAME: usize = CELLS / 2;
/// Slot not yet mapped to a palette index.
const UNMAPPED: u16 = u16::MAX;

/// Streaming animated-GIF encoder. Frames are packed RGB (`width * height * 3` bytes).
pub struct GifEncoder {
    width: u32,
    height: u32,
    /// Duration of one input frame in milliseconds (float, like Pillow's `duration`).
    frame_ms: f64,
    out: Vec<u8>,
    /// The input side (`None` once detached by `take_analyzer`).
    analyzer: Option<GifAnalyzer>,
    /// What a decoder shows after the frames written so far.
    prev_dec: Vec<u8>,
    /// Byte offset of the delay field of the last written graphic control extension.
    delay_pos: Option<usize>,
    /// Accumulated duration (ms) of the run of identical frames the last written frame starts.
    run_ms: f64,
    frames: u64,
}

impl GifEncoder {
    /// A new encoder for frames of `width` × `height` pixels shown at `fps` frames per second.
    pub fn new(width: u32, height: u32, fps: u32) -> Result<Self, String> {
        if width == 0 || height == 0 {
            return Err(format!("gif: invalid frame size {width}x{height}"));
        }
        if width > GIF_MAX_SIDE || height > GIF_MAX_SIDE {
            return Err(format!(
                "gif: frame size {width}x{height} exceeds the GIF limit of {GIF_MAX_SIDE} pixels per side"
            ));
        }
        if fps == 0 {
            return Err("gif: fps must be positive".to_string());
        }
        (width as usize)
            .checked_mul(height as usize)
            .and_then(|p| p.checked_mul(3))
            .ok_or_else(|| "gif: frame too large".to_string())?;
        Ok(Self {
            width,
            height,
            frame_ms: 1000.0 / f64::from(fps),
            out: Vec::new(),
            analyzer: Some(GifAnalyzer {
                width: width as usize,
                height: height as usize,
                quant: Quantizer::new(),
                prev_in: Vec::new(),
            }),
            prev_dec: Vec::new(),
            delay_pos: None,
            run_ms: 0.0,
            frames: 0,
        })
    }

    /// Quantises and appends one frame (packed RGB, row-major).
    pub fn push_frame(&mut self, rgb: &[u8]) -> Result<(), String> {
        let a = self
            .analyzer
            .as_mut()
            .ok_or_else(|| "gif: the frame analyser was detached".to_string())?
            .analyze(rgb)?;
        self.push_analyzed(a)
    }

    /// Detaches the input analysis ([`GifAnalyzer`]) so that it can run ahead on another
    /// thread; its results must then be passed to [`GifEncoder::push_analyzed`] in frame
    /// order (the bytes are the same as [`GifEncoder::push_frame`]'s).
    pub fn take_analyzer(&mut self) -> Option<GifAnalyzer> {
        self.analyzer.take()
    }

    /// Appends one frame analysed by this encoder's [`GifAnalyzer`] (in order).
    pub fn push_analyzed(&mut self, a: GifFrameAnalysis) -> Result<(), String> {
        let (w, h) = (self.width as usize, self.height as usize);
        self.frames += 1;
        let GifFrameAnalysis {
            first,
            bbox,
            mut crop,
            indices,
            palette,
        } = a;
        if first {
            // First frame: header, global colour table = this frame's palette, loop extension.
            self.prev_dec = zeroed(0)?;
            self.prev_dec
                .try_reserve_exact(w * h * 3)
                .map_err(|_| OOM.to_string())?;
            for &i in &indices {
                self.prev_dec.extend_from_slice(&palette[i as usize]);
            }
            self.write_header(&palette);
            self.write_gce();
            write_image(&mut self.out, 0, 0, w, h, None, &indices, palette.len());
            return Ok(());
        }
        let Some((x0, y0, x1, y1)) = bbox else {
            return self.extend_previous();
        };
        let (cw, ch) = (x1 - x0, y1 - y0);
        // Decoded crop (reusing the crop buffer), and what changed against the shown frame.
        for (px, &i) in crop.chunks_exact_mut(3).zip(indices.iter()) {
            px.copy_from_slice(&palette[i as usize]);
        }
        let mut shown = Vec::with_capacity(cw * ch * 3);
        for y in y0..y1 {
            shown.extend_from_slice(&self.prev_dec[(y * w + x0) * 3..(y * w + x1) * 3]);
        }
        let Some((sx0, sy0, sx1, sy1)) = diff_bbox(&shown, &crop, cw, ch) else {
            return self.extend_previous();
        };
        for y in y0..y1 {
            let row = &crop[(y - y0) * cw * 3..(y - y0 + 1) * cw * 3];
            self.prev_dec[(y * w + x0) * 3..(y * w + x1) * 3].copy_from_slice(row);
        }
        // Emit the changed sub-rectangle with the palette trimmed to the colours it uses.
        let mut remap = [u16::MAX; 256];
        let mut local: Vec<[u8; 3]> = Vec::new();
        let mut out_idx = Vec::with_capacity((sx1 - sx0) * (sy1 - sy0));
        for y in sy0..sy1 {
            for &i in &indices[y * cw + sx0..y * cw + sx1] {
                let slot = &mut remap[i as usize];
                if *slot == u16::MAX {
                    *slot = local.len() as u16;
                    local.push(palette[i as usize]);
                }
                out_idx.push(*slot as u8);
            }
        }
        self.write_gce();
        write_image(
            &mut self.out,
            x0 + sx0,
            y0 + sy0,
            sx1 - sx0,
            sy1 - sy0,
            Some(&local),
            &out_idx,
            local.len(),
        );
        Ok(())
    }

    /// The pushed frame decodes like the previous one: lengthen the previous frame's delay.
    fn extend_previous(&mut self) -> Result<(), String> {
        self.run_ms += self.frame_ms;
        self.patch_delay();
        Ok(())
    }

    /// Finishes the file and returns its bytes. Fails if no frame was pushed.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        if self.frames == 0 {
            return Err("gif: no frames".to_string());
        }
        self.out.push(0x3B); // trailer
        Ok(self.out)
    }

    fn write_header(&mut self, palette: &[[u8; 3]]) {
        let bits = table_bits(palette.len());
        let out = &mut self.out;
        out.extend_from_slice(b"GIF89a");
        out.extend_from_slice(&(self.width as u16).to_le_bytes());
        out.extend_from_slice(&(self.height as u16).to_le_bytes());
        // global colour table present, colour resolution 8 bits, table size 2^bits
        out.push(0x80 | 0x70 | (bits - 1));
        out.push(0); // background colour index
        out.push(0); // pixel aspect ratio
        write_table(out, palette, bits);
        // NETSCAPE2.0 application extension: loop count 0 = forever
        out.extend_from_slice(&[0x21, 0xFF, 0x0B]);
        out.extend_from_slice(b"NETSCAPE2.0");
        out.extend_from_slice(&[0x03, 0x01, 0x00, 0x00, 0x00]);
    }

    /// Graphic control extension (disposal: do not dispose, no transparency) with the delay
    /// of one frame; the delay is patched while identical frames follow.
    fn write_gce(&mut self) {
        self.out.extend_from_slice(&[0x21, 0xF9, 0x04, 0x04]);
        self.delay_pos = Some(self.out.len());
        self.out.extend_from_slice(&[0, 0, 0, 0]);
        self.run_ms = self.frame_ms;
        self.patch_delay();
    }

    fn patch_delay(&mut self) {
        if let Some(pos) = self.delay_pos {
            let cs = delay_cs(self.run_ms);
            self.out[pos..pos + 2].copy_from_slice(&cs.to_le_bytes());
        }
    }
}

/// The input side of [`GifEncoder`]: what depends only on the input frames — the rectangle
/// that changed against the previous input, its pixels, palette and indices (the
/// quantisation, about half of the encoding time). `Send`, so it can run a frame ahead of
/// the writer on another thread.
pub struct GifAnalyzer {
    width: usize,
    height: usize,
    quant: Quantizer,
    /// The previous input frame (empty before the first frame).
    prev_in: Vec<u8>,
}

/// One analysed frame, for [`GifEncoder::push_analyzed`].
pub struct GifFrameAnalysis {
    first: bool,
    /// The changed rectangle `(x0, y0, x1, y1)`; `None`: same input as the previous frame.
    bbox: Option<(usize, usize, usize, usize)>,
    /// The rectangle's pixels (packed RGB; empty for the first frame).
    crop: Vec<u8>,
    indices: Vec<u8>,
    palette: Vec<[u8; 3]>,
}

impl GifAnalyzer {
    /// Analyses the next frame (packed RGB, row-major).
    pub fn analyze(&mut self, rgb: &[u8]) -> Result<GifFrameAnalysis, String> {
        let (w, h) = (self.width, self.height);
        if rgb.len() != w * h * 3 {
            return Err(format!(
                "gif: frame has {} bytes, expected {} ({}x{}x3)",
                rgb.len(),
                w * h * 3,
                w,
                h
            ));
        }
        if self.prev_in.is_empty() {
            let mut indices = zeroed(w * h)?;
            let mut prev_in = zeroed(rgb.len())?;
            prev_in.copy_from_slice(rgb);
            let palette = self.quant.quantize(rgb, &mut indices);
            self.prev_in = prev_in;
            return Ok(GifFrameAnalysis {
                first: true,
                bbox: Some((0, 0, w, h)),
                crop: Vec::new(),
                indices,
                palette,
            });
        }
        // Only the rectangle where the input changed is re-quantised (with its own palette).
        let Some((x0, y0, x1, y1)) = diff_bbox(&self.prev_in, rgb, w, h) else {
            return Ok(GifFrameAnalysis {
                first: false,
                bbox: None,
                crop: Vec::new(),
                indices: Vec::new(),
                palette: Vec::new(),
            });
        };
        let (cw, ch) = (x1 - x0, y1 - y0);
        let mut crop = zeroed(0)?;
        crop.try_reserve_exact(cw * ch * 3)
            .map_err(|_| OOM.to_string())?;
        for y in y0..y1 {
            crop.extend_from_slice(&rgb[(y * w + x0) * 3..(y * w + x1) * 3]);
        }
        self.prev_in.copy_from_slice(rgb);
        let mut indices = zeroed(cw * ch)?;
        let palette = self.quant.quantize(&crop, &mut indices);
        Ok(GifFrameAnalysis {
            first: false,
            bbox: Some((x0, y0, x1, y1)),
            crop,
            indices,
            palette,
        })
    }
}

const OOM: &str = "gif: out of memory";

/// A zero-filled buffer, or an error instead of an abort when memory is short.
fn zeroed(n: usize) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| OOM.to_string())?;
    v.resize(n, 0);
    Ok(v)
}

/// Pillow: `int(duration_ms / 10)` centiseconds, clamped to the 16-bit field.
fn delay_cs(ms: f64) -> u16 {
    let cs = (ms / 10.0).trunc();
    if cs >= 65_535.0 {
        65_535
    } else if cs > 0.0 {
        cs as u16
    } else {
        0
    }
}

/// Encodes a whole clip at once.
pub fn encode_gif(frames: &[&[u8]], width: u32, height: u32, fps: u32) -> Result<Vec<u8>, String> {
    let mut enc = GifEncoder::new(width, height, fps)?;
    for f in frames {
        enc.push_frame(f)?;
    }
    enc.finish()
}

/// Bits of the colour table size field (table has `2^bits` entries, 1..=8).
fn table_bits(n: usize) -> u8 {
    let mut bits = 1u8;
    while (1usize << bits) < n && bits < 8 {
        bits += 1;
    }
    bits
}

fn write_table(out: &mut Vec<u8>, palette: &[[u8; 3]], bits: u8) {
    for c in palette {
        out.extend_from_slice(c);
    }
    for _ in palette.len()..(1usize << bits) {
        out.extend_from_slice(&[0, 0, 0]);
    }
}

/// Image descriptor (+ optional local colour table) and LZW-compressed pixel data.
#[allow(clippy::too_many_arguments)]
fn write_image(
    out: &mut Vec<u8>,
    left: usize,
    top: usize,
    w: usize,
    h: usize,
    local: Option<&[[u8; 3]]>,
    indices: &[u8],
    colours: usize,
) {
    out.push(0x2C);
    out.extend_from_slice(&(left as u16).to_le_bytes());
    out.extend_from_slice(&(top as u16).to_le_bytes());
    out.extend_from_slice(&(w as u16).to_le_bytes());
    out.extend_from_slice(&(h as u16).to_le_bytes());
    let bits = table_bits(colours);
    match local {
        Some(palette) => {
            out.push(0x80 | (bits - 1));
            write_table(out, palette, bits);
        }
        None => out.push(0),
    }
    let min_code = bits.max(2);
    out.push(min_code);
    // Indices are < colours <= 2^bits, so every symbol fits the code size.
    let data = lzw(indices, min_code);
    for block in data.chunks(255) {
        out.push(block.len() as u8);
        out.extend_from_slice(block);
    }
    out.push(0);
}

/// GIF-flavoured LZW (LSB-first codes, clear code first, code size growing to 12 bits, a
/// clear code when the table is full — the giflib scheme). `symbols` must be
/// `< 2^min_code` (2 ≤ `min_code` ≤ 8).
fn lzw(symbols: &[u8], min_code: u8) -> Vec<u8> {
    const MAX_CODE: u32 = 4095;
    const SLOTS: usize = 1 << 13;
    let clear = 1u32 << min_code;
    let eoi = clear + 1;
    let mut out = Vec::with_capacity(symbols.len() / 2 + 16);
    let (mut acc, mut nacc) = (0u64, 0u32);
    let mut put = |code: u32, bits: u32, out: &mut Vec<u8>| {
        acc |= u64::from(code) << nacc;
        nacc += bits;
        while nacc >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            nacc -= 8;
        }
    };
    // Hash table: key = prefix code << 8 | symbol, stored + 1 (0 = empty).
    let mut keys = vec![0u32; SLOTS];
    let mut codes = vec![0u16; SLOTS];
    let reset_bits = u32::from(min_code) + 1;
    let mut bits = reset_bits;
    let mut next = eoi + 1;
    put(clear, bits, &mut out);
    let Some((&first, rest)) = symbols.split_first() else {
        put(eoi, bits, &mut out);
        put(0, 7, &mut out); // flush
        return out;
    };
    let mut cur = u32::from(first & ((clear - 1) as u8));
    for &sym in rest {
        let k = u32::from(sym) & (clear - 1);
        let key = (cur << 8 | k) + 1;
        let mut h = ((key.wrapping_mul(0x9E37_79B1)) >> 19) as usize & (SLOTS - 1);
        loop {
            let stored = keys[h];
            if stored == key {
                cur = u32::from(codes[h]);
                break;
            }
            if stored == 0 {
                // Miss: emit the current string, then extend the table (or clear it).
                put(cur, bits, &mut out);
                if next >= 1 << bits && bits < 12 {
                    bits += 1;
                }
                if next >= MAX_CODE {
                    put(clear, bits, &mut out);
                    keys.fill(0);
                    next = eoi + 1;
                    bits = reset_bits;
                } else {
                    keys[h] = key;
                    codes[h] = next as u16;
                    next += 1;
                }
                cur = k;
                break;
            }
            h = (h + 1) & (SLOTS - 1);
        }
    }
    put(cur, bits, &mut out);
    if next >= 1 << bits && bits < 12 {
        bits += 1;
    }
    put(eoi, bits, &mut out);
    put(0, 7, &mut out); // flush the last partial byte
    out
}

/// Bounding box `(x0, y0, x1, y1)` (exclusive ends) of the pixels that differ, or `None`.
fn diff_bbox(a: &[u8], b: &[u8], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let row = w * 3;
    let rows_differ = |y: usize| a[y * row..(y + 1) * row] != b[y * row..(y + 1) * row];
    let y0 = (0..h).find(|&y| rows_differ(y))?;
    let y1 = (y0..h)
        .rev()
        .find(|&y| rows_differ(y))
        .map_or(y0 + 1, |y| y + 1);
    let (mut x0, mut x1) = (w, 0);
    for y in y0..y1 {
        let (ra, rb) = (&a[y * row..(y + 1) * row], &b[y * row..(y + 1) * row]);
        if ra == rb {
            continue;
        }
        let first = (0..w).find(|&x| ra[x * 3..x * 3 + 3] != rb[x * 3..x * 3 + 3]);
        let last = (0..w)
            .rev()
            .find(|&x| ra[x * 3..x * 3 + 3] != rb[x * 3..x * 3 + 3]);
        if let (Some(f), Some(l)) = (first, last) {
            x0 = x0.min(f);
            x1 = x1.max(l + 1);
        }
    }
    Some((x0, y0, x1.max(x0 + 1), y1))
}

// ------------------------------------------------------------------------------------------
// Colour quantisation

/// One occupied histogram cell: exact colour sums of the pixels that fall into it.
#[derive(Clone, Copy)]
struct Cell {
    /// Its index in `Quantizer::slot` (5-bit cell key, or hash slot of the exact colour).
    slot: u32,
    /// First pixel's colour (the cell's colour for exact histograms).
    rgb: u32,
    count: u32,
    sum: [u64; 3],
    /// Mean colour (the cell's position for the median cut).
    mean: [u8; 3],
}

/// A median-cut box: a range of `Quantizer::cells`.
#[derive(Clone, Copy)]
struct CutBox {
    start: usize,
    end: usize,
    count: u64,
    /// Priority: pixel count × largest channel range (0 = cannot or need not split).
    score: u64,
    axis: usize,
}

/// Per-frame adaptive palette builder; keeps its scratch tables between frames.
struct Quantizer {
    /// Histogram slot → index into `cells` (or `u32::MAX` when empty).
    slot: Vec<u32>,
    cells: Vec<Cell>,
    /// Histogram slot → palette index for this frame (`UNMAPPED` when not yet known).
    map: Vec<u16>,
    /// Exact-colour table for frames with ≤ 256 colours: open addressing, key = rgb + 1.
    exact_keys: Vec<u32>,
    exact_vals: Vec<u8>,
}

const EXACT_SLOTS: usize = 1024;

impl Quantizer {
    fn new() -> Self {
        Self {
            slot: vec![u32::MAX; CELLS],
            cells: Vec::new(),
            map: vec![UNMAPPED; CELLS],
            exact_keys: vec![0; EXACT_SLOTS],
            exact_vals: vec![0; EXACT_SLOTS],
        }
    }

    /// Writes palette indices for `rgb` into `indices` and returns the palette (≤ 256).
    fn quantize(&mut self, rgb: &[u8], indices: &mut [u8]) -> Vec<[u8; 3]> {
        if let Some(p) = self.quantize_exact(rgb, indices) {
            return p;
        }
        self.quantize_median_cut(rgb, indices)
    }

    /// Exact palette when the frame has at most 256 distinct colours.
    fn quantize_exact(&mut self, rgb: &[u8], indices: &mut [u8]) -> Option<Vec<[u8; 3]>> {
        self.exact_keys.fill(0);
        let mut palette: Vec<[u8; 3]> = Vec::new();
        let mut last_key = 0u32;
        let mut last_val = 0u8;
        for (px, out) in rgb.chunks_exact(3).zip(indices.iter_mut()) {
            let key = (u32::from(px[0]) << 16 | u32::from(px[1]) << 8 | u32::from(px[2])) + 1;
            if key == last_key {
                *out = last_val;
                continue;
            }
            let mut h = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize;
            let val = loop {
                let k = self.exact_keys[h];
                if k == key {
                    break self.exact_vals[h];
                }
                if k == 0 {
                    if palette.len() == 256 {
                        return None;
                    }
                    let v = palette.len() as u8;
                    palette.push([px[0], px[1], px[2]]);
                    self.exact_keys[h] = key;
                    self.exact_vals[h] = v;
                    break v;
                }
                h = (h + 1) & (EXACT_SLOTS - 1);
            };
            last_key = key;
            last_val = val;
            *out = val;
        }
        Some(palette)
    }

    fn quantize_median_cut(&mut self, rgb: &[u8], indices: &mut [u8]) -> Vec<[u8; 3]> {
        let pixels = rgb.len() / 3;
        let exact = pixels <= SMALL_FRAME;
        // Histogram: exact colours for small frames, else 5-bit cells (all pixels, or a
        // strided sample for huge frames). Cells keep exact colour sums either way.
        for c in &self.cells {
            self.slot[c.slot as usize] = u32::MAX;
        }
        self.cells.clear();
        let step = if exact {
            1
        } else {
            pixels.div_ceil(HIST_SAMPLE_LIMIT).max(1)
        };
        for px in rgb.chunks_exact(3).step_by(step) {
            let slot = if exact {
                self.exact_slot(px, true)
            } else {
                cell_key(px)
            };
            let s = self.slot[slot];
            let ci = if s == u32::MAX {
                self.slot[slot] = self.cells.len() as u32;
                self.cells.push(Cell {
                    slot: slot as u32,
                    rgb: pack(px),
                    count: 0,
                    sum: [0; 3],
                    mean: [0; 3],
                });
                self.cells.len() - 1
            } else {
                s as usize
            };
            if let Some(cell) = self.cells.get_mut(ci) {
                cell.count = cell.count.saturating_add(1);
                for (s, &v) in cell.sum.iter_mut().zip(px) {
                    *s += u64::from(v);
                }
            }
        }
        for c in &mut self.cells {
            let n = u64::from(c.count.max(1));
            for ch in 0..3 {
                c.mean[ch] = ((c.sum[ch] + n / 2) / n) as u8;
            }
        }

        // Median cut: repeatedly split the box with the highest count × range.
        let mut boxes = vec![self.make_box(0, self.cells.len())];
        while boxes.len() < 256 {
            let Some((bi, b)) = boxes
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, b)| b.score > 0)
                .max_by_key(|(_, b)| b.score)
            else {
                break;
            };
            let mid = self.split(b);
            boxes[bi] = self.make_box(b.start, mid);
            boxes.push(self.make_box(mid, b.end));
        }

        // Palette = exact mean of each box.
        let mut assign: Vec<u8> = vec![0; self.cells.len()];
        for (i, b) in boxes.iter().enumerate() {
            assign[b.start..b.end].fill(i as u8);
        }
        let palette = self.cell_means(&assign, boxes.len());
        // Each cell maps to the palette entry nearest to its mean colour (the median cut
        // reordered the cells: re-point the slots).
        let mut search = Nearest::new(&palette);
        self.map.fill(UNMAPPED);
        for (i, c) in self.cells.iter().enumerate() {
            self.map[c.slot as usize] = search.find(c.mean) as u16;
            self.slot[c.slot as usize] = i as u32;
        }
        for (px, out) in rgb.chunks_exact(3).zip(indices.iter_mut()) {
            let slot = if exact {
                self.exact_slot(px, false)
            } else {
                cell_key(px)
            };
            let mut m = self.map[slot];
            if m == UNMAPPED {
                // Only for cells the sample missed: nearest entry to the cell centre.
                m = search.find(cell_centre(slot)) as u16;
                self.map[slot] = m;
            }
            *out = m as u8;
        }
        palette
    }

    /// Slot of an exact colour in the open-addressing part of `slot` (small frames): the
    /// slot holding that colour's cell, or (when `insert`) the empty slot for it.
    fn exact_slot(&self, px: &[u8], insert: bool) -> usize {
        let key = pack(px);
        let mask = CELLS - 1;
        let mut h = (key.wrapping_mul(0x9E37_79B1) >> 17) as usize & mask;
        loop {
            let s = self.slot[h];
            if s == u32::MAX {
                debug_assert!(insert);
                return h;
            }
            if self.cells.get(s as usize).is_some_and(|c| c.rgb == key) {
                return h;
            }
            h = (h + 1) & mask;
        }
    }

    /// Pixel-weighted mean colour of the cells assigned to each of `k` entries (an entry
    /// that lost all its cells keeps a black placeholder; it is never referenced).
    fn cell_means(&self, assign: &[u8], k: usize) -> Vec<[u8; 3]> {
        let mut sums = vec![[0u64; 4]; k];
        for (c, &a) in self.cells.iter().zip(assign) {
            let s = &mut sums[a as usize];
            s[0] += c.sum[0];
            s[1] += c.sum[1];
            s[2] += c.sum[2];
            s[3] += u64::from(c.count);
        }
        sums.iter()
            .map(|s| {
                let n = s[3].max(1);
                [
                    ((s[0] + n / 2) / n) as u8,
                    ((s[1] + n / 2) / n) as u8,
                    ((s[2] + n / 2) / n) as u8,
                ]
            })
            .collect()
    }

    fn make_box(&self, start: usize, end: usize) -> CutBox {
        let mut lo = [255u8; 3];
        let mut hi = [0u8; 3];
        let mut count = 0u64;
        for c in &self.cells[start..end] {
            count += u64::from(c.count);
            for ch in 0..3 {
                lo[ch] = lo[ch].min(c.mean[ch]);
                hi[ch] = hi[ch].max(c.mean[ch]);
            }
        }
        // Perceptual-ish weights: green counts most, blue least.
        const W: [u64; 3] = [3, 4, 2];
        let mut axis = 0;
        let mut best = 0u64;
        for ch in 0..3 {
            let r = u64::from(hi[ch].saturating_sub(lo[ch])) * W[ch];
            if r > best {
                best = r;
                axis = ch;
            }
        }
        let score = if end - start >= 2 { count * best } else { 0 };
        CutBox {
            start,
            end,
            count,
            score,
            axis,
        }
    }

    /// Partitions the box's cells at the pixel-weighted median of its widest axis and
    /// returns the split point (both halves non-empty).
    fn split(&mut self, b: CutBox) -> usize {
        let cells = &mut self.cells[b.start..b.end];
        let axis = b.axis;
        let mut hist = [0u64; 256];
        let (mut lo, mut hi) = (255u8, 0u8);
        for c in cells.iter() {
            let v = c.mean[axis];
            hist[v as usize] += u64::from(c.count);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let half = b.count.div_ceil(2);
        let mut acc = 0u64;
        let mut thr = lo;
        for v in lo..=hi {
            acc += hist[v as usize];
            thr = v;
            if acc >= half {
                break;
            }
        }
        if thr >= hi {
            thr = hi - 1; // hi > lo because the box has a positive range
        }
        // In-place partition: values <= thr first.
        let mut i = 0;
        for j in 0..cells.len() {
            if cells[j].mean[axis] <= thr {
                cells.swap(i, j);
                i += 1;
            }
        }
        b.start + i.clamp(1, cells.len() - 1)
    }
}

fn pack(px: &[u8]) -> u32 {
    u32::from(px[0]) << 16 | u32::from(px[1]) << 8 | u32::from(px[2])
}

fn cell_key(px: &[u8]) -> usize {
    (usize::from(px[0] >> 3) << 10) | (usize::from(px[1] >> 3) << 5) | usize::from(px[2] >> 3)
}

fn cell_centre(key: usize) -> [u8; 3] {
    [
        (((key >> 10) & 31) << 3 | 4) as u8,
        (((key >> 5) & 31) << 3 | 4) as u8,
        ((key & 31) << 3 | 4) as u8,
    ]
}

/// Nearest palette entry (squared RGB distance) through a coarse grid over RGB space: each
/// grid block lazily gets the list of the entries that can be nearest to some point in it
/// (those whose distance to the block is at most the smallest "farthest corner" distance).
struct Nearest<'p> {
    palette: &'p [[u8; 3]],
    /// Per block: range into `cands`, or `u32::MAX` when not built yet.
    start: Vec<u32>,
    len: Vec<u16>,
    cands: Vec<u8>,
}

/// Grid blocks per channel (block side = 256 / GRID).
const GRID: usize = 8;
const GRID_SHIFT: u32 = 5;

impl<'p> Nearest<'p> {
    fn new(palette: &'p [[u8; 3]]) -> Self {
        Self {
            palette,
            start: vec![u32::MAX; GRID * GRID * GRID],
            len: vec![0; GRID * GRID * GRID],
            cands: Vec::new(),
        }
    }

    fn find(&mut self, c: [u8; 3]) -> usize {
        let block = (usize::from(c[0] >> GRID_SHIFT) * GRID + usize::from(c[1] >> GRID_SHIFT))
            * GRID
            + usize::from(c[2] >> GRID_SHIFT);
        if self.start[block] == u32::MAX {
            self.build(block, c);
        }
        let s = self.start[block] as usize;
        let list = &self.cands[s..s + usize::from(self.len[block])];
        let (r, g, b) = (i32::from(c[0]), i32::from(c[1]), i32::from(c[2]));
        let mut best = (i32::MAX, 0u8);
        for &i in list {
            let p = self.palette[usize::from(i)];
            let (dr, dg, db) = (
                i32::from(p[0]) - r,
                i32::from(p[1]) - g,
                i32::from(p[2]) - b,
            );
            let d = dr * dr + dg * dg + db * db;
            if d < best.0 {
                best = (d, i);
            }
        }
        usize::from(best.1)
    }

    fn build(&mut self, block: usize, c: [u8; 3]) {
        let side = 1i32 << GRID_SHIFT;
        let lo: [i32; 3] = [0, 1, 2].map(|ch| i32::from(c[ch] >> GRID_SHIFT) * side);
        let hi = lo.map(|l| l + side - 1);
        let far = |p: &[u8; 3]| -> i32 {
            let mut d = 0;
            for ch in 0..3 {
                let v = i32::from(p[ch]);
                let x = (v - lo[ch]).max(hi[ch] - v);
                d += x * x;
            }
            d
        };
        let near = |p: &[u8; 3]| -> i32 {
            let mut d = 0;
            for ch in 0..3 {
                let v = i32::from(p[ch]);
                let x = (lo[ch] - v).max(v - hi[ch]).max(0);
                d += x * x;
            }
            d
        };
        let bound = self.palette.iter().map(far).min().unwrap_or(0);
        self.start[block] = self.cands.len() as u32;
        let before = self.cands.len();
        for (i, p) in self.palette.iter().enumerate() {
            if near(p) <= bound {
                self.cands.push(i as u8);
            }
        }
        self.len[block] = (self.cands.len() - before) as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::GifDecoder;
    use image::AnimationDecoder;

    fn gradient(w: u32, h: u32, t: u32, noise: bool) -> Vec<u8> {
        let mut v = Vec::with_capacity((w * h * 3) as usize);
        let mut s = 0x1234_5678u32 ^ t.wrapping_mul(0x9E37_79B9);
        for y in 0..h {
            for x in 0..w {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let n = if noise { (s % 9) as i32 - 4 } else { 0 };
                let r = ((x * 255 / w.max(2)) + t * 7) as i32 % 256 + n;
                let g = (y * 255 / h.max(2)) as i32 + n;
                let b = (((x + y) * 128 / (w + h)) + 60) as i32 + n;
                v.extend_from_slice(&[
                    r.clamp(0, 255) as u8,
                    g.clamp(0, 255) as u8,
                    b.clamp(0, 255) as u8,
                ]);
            }
        }
        v
    }

    /// Decoded frames (RGB) and delays (ms) via the `image` crate's GIF decoder.
    fn decode(bytes: &[u8]) -> Vec<(Vec<u8>, u32)> {
        let dec = GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        dec.into_frames()
            .map(|f| {
                let f = f.unwrap();
                let (n, d) = f.delay().numer_denom_ms();
                let rgba = f.into_buffer().into_raw();
                let rgb: Vec<u8> = rgba
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect();
                (rgb, n / d)
            })
            .collect()
    }

    fn mae(a: &[u8], b: &[u8]) -> f64 {
        let s: u64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| u64::from(x.abs_diff(y)))
            .sum();
        s as f64 / a.len() as f64
    }

    #[test]
    fn header_loop_and_exact_small_frames() {
        let frames: Vec<Vec<u8>> = (0..4).map(|t| gradient(16, 16, t, false)).collect();
        let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        let gif = encode_gif(&refs, 16, 16, 4).unwrap();
        assert_eq!(&gif[..6], b"GIF89a");
        let pos = gif.windows(11).position(|w| w == b"NETSCAPE2.0").unwrap();
        assert_eq!(&gif[pos + 11..pos + 16], &[3, 1, 0, 0, 0]);
        assert_eq!(*gif.last().unwrap(), 0x3B);
        let dec = decode(&gif);
        assert_eq!(dec.len(), 4);
        for (i, (rgb, delay)) in dec.iter().enumerate() {
            assert_eq!(*delay, 250);
            // 256 pixels -> at most 256 colours -> lossless
            assert_eq!(rgb, &frames[i], "frame {i}");
        }
    }

    #[test]
    fn merges_identical_frames_with_float_delay_sum() {
        let a = gradient(12, 12, 0, false);
        let b = gradient(12, 12, 5, false);
        let frames: Vec<&[u8]> = vec![&a, &a, &a, &b, &b, &a];
        let gif = encode_gif(&frames, 12, 12, 3).unwrap();
        let dec = decode(&gif);
        let delays: Vec<u32> = dec.iter().map(|d| d.1).collect();
        // 3 x 333.33 ms = 1000 ms -> 100 cs (not 99); 2 x 333.33 -> 66 cs; 1 -> 33 cs
        assert_eq!(delays, vec![1000, 660, 330]);
        assert_eq!(dec[0].0, a);
        assert_eq!(dec[1].0, b);
        assert_eq!(dec[2].0, a);
    }

    #[test]
    fn single_frame_delays() {
        for (fps, want) in [(4, 250), (3, 330), (10, 100), (30, 30), (1, 1000), (7, 140)] {
            let f = gradient(5, 3, 0, false);
            let gif = encode_gif(&[&f], 5, 3, fps).unwrap();
            let dec = decode(&gif);
            assert_eq!(dec.len(), 1);
            assert_eq!(dec[0].1, want, "fps {fps}");
        }
    }

    #[test]
    fn cropped_frames_decode_and_many_colours_are_close() {
        let (w, h) = (96u32, 64u32);
        let mut frames: Vec<Vec<u8>> = (0..6).map(|t| gradient(w, h, t, true)).collect();
        // frame 3 changes only a small patch of frame 2
        let mut f = frames[2].clone();
        for y in 10..20 {
            for x in 30..41 {
                let i = ((y * w + x) * 3) as usize;
                f[i..i + 3].copy_from_slice(&[255, 0, 0]);
            }
        }
        frames[3] = f;
        let mut enc = GifEncoder::new(w, h, 10).unwrap();
        for f in &frames {
            enc.push_frame(f).unwrap();
        }
        let gif = enc.finish().unwrap();
        let dec = decode(&gif);
        assert_eq!(dec.len(), frames.len());
        for (i, (rgb, delay)) in dec.iter().enumerate() {
            assert_eq!(*delay, 100);
            let e = mae(rgb, &frames[i]);
            assert!(e < 4.0, "frame {i}: mae {e}");
        }
        // the 4th image descriptor is the 11x10 patch at (30, 10)
        let descs: Vec<usize> = gif
            .windows(10)
            .enumerate()
            .filter(|(_, w)| w[0] == 0x2C && w[1..5] == [30, 0, 10, 0] && w[5..9] == [11, 0, 10, 0])
            .map(|(i, _)| i)
            .collect();
        assert!(!descs.is_empty());
    }

    #[test]
    fn lzw_roundtrips_noise_runs_and_small_palettes() {
        let (w, h) = (300u32, 200u32);
        let mut s = 0x2545_F491u32;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        // 256 distinct colours at random positions: exact palette, many table clears
        let colours: Vec<[u8; 3]> = (0..256u32)
            .map(|i| [i as u8, (i * 7) as u8, (i * 13 + 5) as u8])
            .collect();
        let noise: Vec<u8> = (0..w * h)
            .flat_map(|_| colours[(rnd() % 256) as usize])
            .collect();
        // long runs (deep strings), then 2 colours (2-bit codes), then 3 colours
        let solid = vec![9u8; (w * h * 3) as usize];
        let two: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if (i / 7) % 3 == 0 {
                    [255, 0, 0]
                } else {
                    [0, 0, 255]
                }
            })
            .collect();
        let three: Vec<u8> = (0..w * h)
            .flat_map(|_| [[1, 2, 3], [4, 5, 6], [7, 8, 9]][(rnd() % 3) as usize])
            .collect();
        let frames = [&noise, &solid, &two, &three, &noise];
        let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        let gif = encode_gif(&refs, w, h, 25).unwrap();
        let dec = decode(&gif);
        assert_eq!(dec.len(), frames.len());
        for (i, (rgb, delay)) in dec.iter().enumerate() {
            assert_eq!(rgb, frames[i], "frame {i}");
            assert_eq!(*delay, 40);
        }
    }

    #[test]
    fn encoder_is_send() {
        fn send<T: Send>() {}
        send::<GifEncoder>();
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        assert!(GifEncoder::new(0, 4, 4).is_err());
        assert!(GifEncoder::new(4, 4, 0).is_err());
        assert!(GifEncoder::new(70_000, 4, 4).is_err());
        let mut e = GifEncoder::new(4, 4, 4).unwrap();
        assert!(e.push_frame(&[0; 47]).is_err());
        assert!(e.finish().is_err());
        assert!(encode_gif(&[], 4, 4, 4).is_err());
        // 1x1 and solid frames
        let g = encode_gif(&[&[1, 2, 3], &[1, 2, 3]], 1, 1, 4).unwrap();
        let dec = decode(&g);
        assert_eq!(dec.len(), 1);
        assert_eq!(dec[0], (vec![1, 2, 3], 500));
    }
}
