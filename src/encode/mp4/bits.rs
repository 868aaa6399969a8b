//! H.264 bit-level helpers: RBSP bit reader/writer (Exp-Golomb), emulation prevention, and
//! rewriting the frame-cropping fields of an SPS.

/// MSB-first bit writer producing an RBSP.
#[derive(Default)]
pub(crate) struct BitWriter {
    buf: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Writes the low `n` (≤ 32) bits of `v`.
    pub(crate) fn u(&mut self, n: u32, v: u32) {
        debug_assert!(n <= 32);
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (u64::from(v) & ((1u64 << n) - 1));
        self.nbits += n;
        while self.nbits >= 8 {
            self.nbits -= 8;
            self.buf.push((self.acc >> self.nbits) as u8);
        }
        self.acc &= (1u64 << self.nbits) - 1;
    }

    pub(crate) fn bit(&mut self, b: bool) {
        self.u(1, u32::from(b));
    }

    /// Unsigned Exp-Golomb.
    pub(crate) fn ue(&mut self, v: u32) {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros(); // bits of x
        self.u(len - 1, 0);
        // write x in `len` bits (may exceed 32 only for v ≥ 2^32 - 1, not used)
        if len > 32 {
            self.u(len - 32, (x >> 32) as u32);
            self.u(32, x as u32);
        } else {
            self.u(len, x as u32);
        }
    }

    /// Signed Exp-Golomb.
    pub(crate) fn se(&mut self, v: i32) {
        let m = if v > 0 {
            (v as u32) * 2 - 1
        } else {
            v.unsigned_abs() * 2
        };
        self.ue(m);
    }

    pub(crate) fn is_aligned(&self) -> bool {
        self.nbits == 0
    }

    pub(crate) fn align_zero(&mut self) {
        if self.nbits > 0 {
            self.u(8 - self.nbits, 0);
        }
    }

    /// Appends whole bytes (the writer must be byte aligned).
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        debug_assert!(self.is_aligned());
        self.buf.extend_from_slice(b);
    }

    /// `rbsp_trailing_bits()`: a one bit then zero bits up to the byte boundary.
    pub(crate) fn trailing(&mut self) {
        self.u(1, 1);
        self.align_zero();
    }

    pub(crate) fn into_bytes(mut self) -> Vec<u8> {
        self.align_zero();
        self.buf
    }
}

/// MSB-first bit reader over an RBSP.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    pub(crate) fn u(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.u(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    pub(crate) fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        let m = k.div_ceil(2) as i32;
        Some(if k % 2 == 1 { m } else { -m })
    }
}

/// Removes emulation-prevention bytes (NAL payload → RBSP).
pub(crate) fn unescape(ebsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ebsp.len());
    let mut zeros = 0;
    for &b in ebsp {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Appends `rbsp` to `out` with emulation-prevention bytes inserted.
pub(crate) fn escape_into(out: &mut Vec<u8>, rbsp: &[u8]) {
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
}

/// Rewrites the frame cropping of a (non-High, `frame_mbs_only`) SPS NAL unit (header byte
/// included) so that it crops the coded picture to `width` × `height`, and marks the stream
/// as Constrained Baseline when it is Baseline. The bits after the cropping fields (VUI,
/// trailing bits) are copied unchanged. Returns `None` for an SPS this does not understand.
pub(crate) fn rewrite_sps_crop(sps_nal: &[u8], width: u32, height: u32) -> Option<Vec<u8>> {
    let (&header, payload) = sps_nal.split_first()?;
    let rbsp = unescape(payload);
    let mut r = BitReader::new(&rbsp);
    let mut w = BitWriter::new();
    let profile = r.u(8)?;
    let mut constraints = r.u(8)?;
    if profile == 66 {
        constraints |= 0x40; // constraint_set1_flag: Constrained Baseline
    }
    let level = r.u(8)?;
    w.u(8, profile);
    w.u(8, constraints);
    w.u(8, level);
    w.ue(r.ue()?); // seq_parameter_set_id
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        return None; // chroma_format_idc & co.: not produced by our encoders
    }
    w.ue(r.ue()?); // log2_max_frame_num_minus4
    let poc_type = r.ue()?;
    w.ue(poc_type);
    match poc_type {
        0 => w.ue(r.ue()?), // log2_max_pic_order_cnt_lsb_minus4
        1 => {
            w.bit(r.bit()? == 1); // delta_pic_order_always_zero_flag
            w.se(r.se()?); // offset_for_non_ref_pic
            w.se(r.se()?); // offset_for_top_to_bottom_field
            let n = r.ue()?;
            w.ue(n);
            for _ in 0..n {
                w.se(r.se()?);
            }
        }
        _ => {}
    }
    w.ue(r.ue()?); // max_num_ref_frames
    w.bit(r.bit()? == 1); // gaps_in_frame_num_value_allowed_flag
    let wmbs = r.ue()? + 1;
    let hmbs = r.ue()? + 1;
    w.ue(wmbs - 1);
    w.ue(hmbs - 1);
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only != 1 {
        return None;
    }
    w.bit(true);
    w.bit(r.bit()? == 1); // direct_8x8_inference_flag
    if r.bit()? == 1 {
        for _ in 0..4 {
            r.ue()?; // old cropping offsets
        }
    }
    let (cw, ch) = (wmbs.checked_mul(16)?, hmbs.checked_mul(16)?);
    if width == 0 || height == 0 || width > cw || height > ch || width % 2 == 1 || height % 2 == 1 {
        return None;
    }
    let (right, bottom) = ((cw - width) / 2, (ch - height) / 2);
    if right == 0 && bottom == 0 {
        w.bit(false);
    } else {
        w.bit(true);
        w.ue(0);
        w.ue(right);
        w.ue(0);
        w.ue(bottom);
    }
    // Copy the remaining bits (VUI and rbsp trailing bits) verbatim.
    let total = rbsp.len() * 8;
    while r.pos() < total {
        let b = r.bit()?;
        w.u(1, b);
    }
    let rbsp_out = w.into_bytes();
    let mut out = vec![header];
    escape_into(&mut out, &rbsp_out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_roundtrip() {
        let mut w = BitWriter::new();
        let vals = [0u32, 1, 2, 3, 7, 8, 255, 1000, 65_535];
        for &v in &vals {
            w.ue(v);
        }
        for s in [-5i32, 0, 3, -1, 100] {
            w.se(s);
        }
        w.trailing();
        let b = w.into_bytes();
        let mut r = BitReader::new(&b);
        for &v in &vals {
            assert_eq!(r.ue(), Some(v));
        }
        for s in [-5i32, 0, 3, -1, 100] {
            assert_eq!(r.se(), Some(s));
        }
    }

    #[test]
    fn escape_roundtrip() {
        let raw = [0u8, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0];
        let mut esc = Vec::new();
        escape_into(&mut esc, &raw);
        for w in esc.windows(3) {
            assert!(!(w[0] == 0 && w[1] == 0 && w[2] <= 2), "{esc:?}");
        }
        assert_eq!(unescape(&esc), raw);
    }
}
