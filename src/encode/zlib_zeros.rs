//! The raw deflate stream zlib 1.3.1 writes for a buffer of `n` zero bytes at level 6,
//! memLevel 9, `Z_FILTERED` (Pillow's PNG settings), computed in O(n / 258) instead of
//! zlib's O(n) hashing.
//!
//! Why: an all-black image is common (masks, padding, and every float image in [0, 1) under
//! the SDK's own cast semantics, `WB_CONVERT_CAST`), and its PNG must be byte-identical to
//! Pillow's. zlib spends ~3 ms per 512²×3 such image inserting every byte into its hash
//! chains, although its output is fixed by `n` alone. This module replays what zlib's
//! `deflate_slow` decides for zeros — two literals, then distance-1 matches of 258 bytes, a
//! shorter final match (≥ 6 bytes; `Z_FILTERED` turns matches of ≤ 5 into literals) or
//! literals — and what `trees.c` then emits: blocks of at most 32 767 symbols
//! (`lit_bufsize − 1`), each with zlib's Huffman construction (heap order, depth tie-break),
//! code-length run-length coding and stored/static/dynamic choice. Any case this replay does
//! not model (a code longer than zlib's limit) returns `None`, and the caller uses zlib.
//! The unit tests compare it with zlib byte for byte for every n up to 70 000 and for large
//! n around each block boundary.

const L_CODES: usize = 286;
const D_CODES: usize = 30;
const BL_CODES: usize = 19;
const END_BLOCK: usize = 256;
const MAX_BITS: usize = 15;
const MAX_BL_BITS: usize = 7;
/// Symbols per block: zlib's `sym_end` = (lit_bufsize − 1) with lit_bufsize = 1 << (9 + 6).
const BLOCK_SYMS: usize = (1 << 15) - 1;

const EXTRA_LBITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const BASE_LENGTH: [u16; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 0,
];
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
const BL_ORDER: [usize; BL_CODES] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// One symbol: a zero literal, or a distance-1 match of `len` (3..=258) bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sym {
    Lit0,
    Match(u16),
}

/// (length code index 0..=28, extra value) of a match length.
fn length_code(len: u16) -> (usize, u16) {
    let lc = len - 3;
    if lc == 255 {
        return (28, 0);
    }
    let c = (0..28).rev().find(|&c| BASE_LENGTH[c] <= lc).unwrap_or(0);
    (c, lc - BASE_LENGTH[c])
}

/// LSB-first bit writer (zlib's `send_bits`).
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    fn windup(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.acc = 0;
        self.n = 0;
    }
}

fn bi_reverse(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

/// A Huffman tree as zlib's `build_tree` makes it: `freq` in (updated for forced nodes),
/// lengths and codes out; `opt`/`stat` accumulate zlib's opt_len / static_len.
struct Tree {
    len: Vec<u16>,
    code: Vec<u16>,
    max_code: i32,
}

#[allow(clippy::too_many_arguments)]
fn build_tree(
    freq_in: &[u32],
    elems: usize,
    stree_len: Option<&[u16]>,
    extra: &[u8],
    extra_base: usize,
    max_length: usize,
    opt: &mut i64,
    stat: &mut i64,
) -> Option<Tree> {
    let size = 2 * elems + 1;
    let mut freq = vec![0u32; size];
    freq[..elems].copy_from_slice(&freq_in[..elems]);
    let mut depth = vec![0u8; size];
    let mut dad = vec![0usize; size];
    let mut len = vec![0u16; size + 1];
    let heap_size = 2 * L_CODES + 1;
    let mut heap = vec![0usize; heap_size];
    let mut heap_len = 0usize;
    let mut heap_max = heap_size;
    let mut max_code: i32 = -1;
    for n in 0..elems {
        if freq[n] != 0 {
            heap_len += 1;
            heap[heap_len] = n;
            max_code = n as i32;
            depth[n] = 0;
        }
    }
    while heap_len < 2 {
        let node = if max_code < 2 {
            max_code += 1;
            max_code as usize
        } else {
            0
        };
        heap_len += 1;
        heap[heap_len] = node;
        freq[node] = 1;
        depth[node] = 0;
        *opt -= 1;
        if let Some(s) = stree_len {
            *stat -= i64::from(s[node]);
        }
    }
    let smaller = |freq: &[u32], depth: &[u8], n: usize, m: usize| {
        freq[n] < freq[m] || (freq[n] == freq[m] && depth[n] <= depth[m])
    };
    let down = |heap: &mut [usize], heap_len: usize, freq: &[u32], depth: &[u8], mut k: usize| {
        let v = heap[k];
        let mut j = k << 1;
        while j <= heap_len {
            if j < heap_len && smaller(freq, depth, heap[j + 1], heap[j]) {
                j += 1;
            }
            if smaller(freq, depth, v, heap[j]) {
                break;
            }
            heap[k] = heap[j];
            k = j;
            j <<= 1;
        }
        heap[k] = v;
    };
    for k in (1..=heap_len / 2).rev() {
        down(&mut heap, heap_len, &freq, &depth, k);
    }
    let mut node = elems;
    loop {
        let n = heap[1];
        heap[1] = heap[heap_len];
        heap_len -= 1;
        down(&mut heap, heap_len, &freq, &depth, 1);
        let m = heap[1];
        heap_max -= 1;
        heap[heap_max] = n;
        heap_max -= 1;
        heap[heap_max] = m;
        freq[node] = freq[n] + freq[m];
        depth[node] = depth[n].max(depth[m]) + 1;
        dad[n] = node;
        dad[m] = node;
        heap[1] = node;
        node += 1;
        down(&mut heap, heap_len, &freq, &depth, 1);
        if heap_len < 2 {
            break;
        }
    }
    heap_max -= 1;
    heap[heap_max] = heap[1];
    // gen_bitlen (no overflow handling: an overflowing tree is left to zlib)
    let mut bl_count = [0u16; MAX_BITS + 1];
    len[heap[heap_max]] = 0;
    for &n in &heap[heap_max + 1..heap_size] {
        let bits = len[dad[n]] as usize + 1;
        if bits > max_length {
            return None;
        }
        len[n] = bits as u16;
        if n as i32 > max_code {
            continue;
        }
        bl_count[bits] += 1;
        let xbits = if n >= extra_base {
            extra[n - extra_base] as i64
        } else {
            0
        };
        let f = i64::from(freq[n]);
        *opt += f * (bits as i64 + xbits);
        if let Some(s) = stree_len {
            *stat += f * (i64::from(s[n]) + xbits);
        }
    }
    // gen_codes
    let mut next = [0u32; MAX_BITS + 1];
    let mut c = 0u32;
    for bits in 1..=MAX_BITS {
        c = (c + u32::from(bl_count[bits - 1])) << 1;
        next[bits] = c;
    }
    let mut code = vec![0u16; elems];
    for n in 0..=max_code.max(-1) {
        let n = n as usize;
        let l = len[n];
        if l == 0 {
            continue;
        }
        code[n] = bi_reverse(next[l as usize], u32::from(l)) as u16;
        next[l as usize] += 1;
    }
    len.truncate(elems + 1);
    Some(Tree {
        len,
        code,
        max_code,
    })
}

/// zlib's `scan_tree` (counts) or `send_tree` (emits) over `len[..=max_code]` with the
/// 0xffff guard after it.
fn rle_tree(len: &[u16], max_code: i32, mut on: impl FnMut(usize, Option<(u32, u32)>)) {
    let mut prevlen: i32 = -1;
    let mut nextlen = i32::from(len[0]);
    let mut count = 0i32;
    let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
    for n in 0..=max_code as usize {
        let curlen = nextlen;
        nextlen = if n as i32 == max_code {
            0xffff
        } else {
            i32::from(len[n + 1])
        };
        count += 1;
        if count < max_count && curlen == nextlen {
            continue;
        } else if count < min_count {
            for _ in 0..count {
                on(curlen as usize, None);
            }
        } else if curlen != 0 {
            if curlen != prevlen {
                on(curlen as usize, None);
                count -= 1;
            }
            on(16, Some(((count - 3) as u32, 2)));
        } else if count <= 10 {
            on(17, Some(((count - 3) as u32, 3)));
        } else {
            on(18, Some(((count - 11) as u32, 7)));
        }
        count = 0;
        prevlen = curlen;
        (max_count, min_count) = if nextlen == 0 {
            (138, 3)
        } else if curlen == nextlen {
            (6, 3)
        } else {
            (7, 4)
        };
    }
}

fn static_trees() -> (Vec<u16>, Vec<u16>, Vec<u16>, Vec<u16>) {
    let mut llen = vec![0u16; L_CODES + 2];
    for (n, l) in llen.iter_mut().enumerate() {
        *l = match n {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    let mut count = [0u32; MAX_BITS + 1];
    for &l in &llen {
        count[l as usize] += 1;
    }
    let mut next = [0u32; MAX_BITS + 1];
    let mut c = 0;
    for bits in 1..=MAX_BITS {
        c = (c + count[bits - 1]) << 1;
        next[bits] = c;
    }
    let mut lcode = vec![0u16; L_CODES + 2];
    for n in 0..L_CODES + 2 {
        let l = llen[n] as usize;
        lcode[n] = bi_reverse(next[l], l as u32) as u16;
        next[l] += 1;
    }
    let dlen = vec![5u16; D_CODES];
    let dcode = (0..D_CODES as u32)
        .map(|n| bi_reverse(n, 5) as u16)
        .collect();
    (llen, lcode, dlen, dcode)
}

/// The symbols zlib's `deflate_slow` produces for `n` zero bytes, as (symbol, repeat) runs,
/// and whether the last symbol is the literal tallied after the loop (no block-full check).
fn symbols(n: u64) -> (Vec<(Sym, u64)>, bool) {
    if n < 8 {
        return (vec![(Sym::Lit0, n)], n > 0);
    }
    let m = n - 2;
    let (k, r) = (m / 258, m % 258);
    let mut runs = vec![(Sym::Lit0, 2), (Sym::Match(258), k)];
    if r >= 6 {
        runs.push((Sym::Match(r as u16), 1));
        (runs, false)
    } else {
        runs.push((Sym::Lit0, r));
        (runs, r > 0)
    }
}

/// The raw deflate stream for `n` zero bytes, or `None` where the replay does not apply.
pub fn deflate_zeros(n: u64) -> Option<Vec<u8>> {
    let (runs, last_is_final_lit) = symbols(n);
    let total: u64 = runs.iter().map(|r| r.1).sum();
    // block boundaries: after every BLOCK_SYMS symbols, except when that symbol is the
    // literal tallied after deflate_slow's loop (its block-full result is ignored)
    let mut blocks: Vec<(u64, u64)> = Vec::new(); // [start, end) symbol indices
    let mut start = 0u64;
    while total - start > BLOCK_SYMS as u64
        || (total - start == BLOCK_SYMS as u64 && !last_is_final_lit)
    {
        blocks.push((start, start + BLOCK_SYMS as u64));
        start += BLOCK_SYMS as u64;
    }
    blocks.push((start, total)); // the last block (possibly empty)
    let (sllen, slcode, sdlen, sdcode) = static_trees();
    let mut bits = Bits {
        out: Vec::with_capacity(64 + (total as usize) / 2),
        acc: 0,
        n: 0,
    };
    // symbol i → run lookup
    let sym_at = |i: u64| -> Sym {
        let mut acc = 0;
        for &(s, c) in &runs {
            if i < acc + c {
                return s;
            }
            acc += c;
        }
        Sym::Lit0
    };
    let nblocks = blocks.len();
    for (bi, &(s0, s1)) in blocks.iter().enumerate() {
        let last = bi + 1 == nblocks;
        // frequencies of the block's symbols (runs are few: count by overlap)
        let mut lfreq = vec![0u32; L_CODES];
        let mut dfreq = vec![0u32; D_CODES];
        lfreq[END_BLOCK] = 1;
        let mut acc = 0u64;
        let mut stored_len = 0u64;
        for &(s, c) in &runs {
            let (a, b) = (acc.max(s0), (acc + c).min(s1));
            if a < b {
                let k = (b - a) as u32;
                match s {
                    Sym::Lit0 => {
                        lfreq[0] += k;
                        stored_len += u64::from(k);
                    }
                    Sym::Match(len) => {
                        lfreq[257 + length_code(len).0] += k;
                        dfreq[0] += k;
                        stored_len += u64::from(k) * u64::from(len);
                    }
                }
            }
            acc += c;
        }
        let (mut opt, mut stat) = (0i64, 0i64);
        let lt = build_tree(
            &lfreq,
            L_CODES,
            Some(&sllen),
            &EXTRA_LBITS,
            257,
            MAX_BITS,
            &mut opt,
            &mut stat,
        )?;
        let dextra = [0u8; D_CODES]; // distance 1 only: code 0, no extra bits
        let dt = build_tree(
            &dfreq,
            D_CODES,
            Some(&sdlen),
            &dextra,
            0,
            MAX_BITS,
            &mut opt,
            &mut stat,
        )?;
        let mut blfreq = vec![0u32; BL_CODES];
        rle_tree(&lt.len, lt.max_code, |c, _| blfreq[c] += 1);
        rle_tree(&dt.len, dt.max_code, |c, _| blfreq[c] += 1);
        let mut unused = 0i64;
        let bt = build_tree(
            &blfreq,
            BL_CODES,
            None,
            &EXTRA_BLBITS,
            0,
            MAX_BL_BITS,
            &mut opt,
            &mut unused,
        )?;
        let mut max_blindex = BL_CODES - 1;
        while max_blindex >= 3 && bt.len[BL_ORDER[max_blindex]] == 0 {
            max_blindex -= 1;
        }
        opt += 3 * (max_blindex as i64 + 1) + 5 + 5 + 4;
        let mut opt_lenb = (opt + 3 + 7) >> 3;
        let static_lenb = (stat + 3 + 7) >> 3;
        if static_lenb <= opt_lenb {
            opt_lenb = static_lenb;
        }
        if stored_len as i64 + 4 <= opt_lenb {
            return None; // a stored block: not replayed (never the case for zeros ≥ 1 byte)
        }
        let (lcode, llen, dcode, dlen): (&[u16], &[u16], &[u16], &[u16]) =
            if static_lenb == opt_lenb {
                bits.put(2 + u32::from(last), 3);
                (&slcode, &sllen, &sdcode, &sdlen)
            } else {
                bits.put(4 + u32::from(last), 3);
                let lcodes = lt.max_code as u32 + 1;
                let dcodes = dt.max_code as u32 + 1;
                bits.put(lcodes - 257, 5);
                bits.put(dcodes - 1, 5);
                bits.put(max_blindex as u32 + 1 - 4, 4);
                for &o in &BL_ORDER[..=max_blindex] {
                    bits.put(u32::from(bt.len[o]), 3);
                }
                for t in [&lt, &dt] {
                    rle_tree(&t.len, t.max_code, |c, extra| {
                        bits.put(u32::from(bt.code[c]), u32::from(bt.len[c]));
                        if let Some((v, nb)) = extra {
                            bits.put(v, nb);
                        }
                    });
                }
                (&lt.code, &lt.len, &dt.code, &dt.len)
            };
        // compress_block: runs of identical symbols
        let mut i = s0;
        while i < s1 {
            let s = sym_at(i);
            // length of this run inside the block
            let mut acc = 0u64;
            let mut run_end = s1;
            for &(_, c) in &runs {
                if i < acc + c {
                    run_end = (acc + c).min(s1);
                    break;
                }
                acc += c;
            }
            match s {
                Sym::Lit0 => {
                    for _ in i..run_end {
                        bits.put(u32::from(lcode[0]), u32::from(llen[0]));
                    }
                }
                Sym::Match(len) => {
                    let (c, x) = length_code(len);
                    for _ in i..run_end {
                        bits.put(u32::from(lcode[257 + c]), u32::from(llen[257 + c]));
                        if EXTRA_LBITS[c] > 0 {
                            bits.put(u32::from(x), u32::from(EXTRA_LBITS[c]));
                        }
                        bits.put(u32::from(dcode[0]), u32::from(dlen[0]));
                    }
                }
            }
            i = run_end;
        }
        bits.put(u32::from(lcode[END_BLOCK]), u32::from(llen[END_BLOCK]));
        if last {
            bits.windup();
        }
    }
    Some(bits.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zlib's own raw deflate of `n` zeros with Pillow's settings.
    fn zlib(n: usize) -> Vec<u8> {
        let full = crate::encode::png::zlib_compress_with_zlib(&vec![0u8; n]).unwrap();
        full[2..full.len() - 4].to_vec()
    }

    #[test]
    fn replays_zlib_for_every_small_size_and_around_block_boundaries() {
        let mut sizes: Vec<usize> = (0..3000).collect();
        sizes.extend((3000..70_000).step_by(97));
        // 32 767 symbols per block: 2 literals + k matches of 258 (+ a tail)
        for blocks in 1..=3u64 {
            let k = blocks * BLOCK_SYMS as u64 - 2;
            let base = 2 + 258 * k;
            for d in [
                -300i64, -259, -258, -257, -7, -6, -5, -1, 0, 1, 2, 5, 6, 7, 257, 258, 259, 517,
            ] {
                sizes.push((base as i64 + d) as usize);
            }
        }
        sizes.push(512 * (512 * 3 + 1)); // the 512² RGB PNG of a black image
        sizes.push(2160 * (3840 * 3 + 1)); // 4K
        let mut replayed = 0;
        for n in sizes {
            let want = zlib(n);
            if let Some(got) = deflate_zeros(n as u64) {
                assert_eq!(got, want, "{n} zero bytes");
                replayed += 1;
            }
        }
        assert!(replayed > 3500, "{replayed}");
        // the whole zlib stream (header, Adler-32 of zeros) as the PNG encoder writes it
        for n in [1usize, 7, 65_520, 65_521, 65_522, 786_944, 1 << 20] {
            let data = vec![0u8; n];
            assert_eq!(
                crate::encode::png::zlib_compress(&data).unwrap(),
                crate::encode::png::zlib_compress_with_zlib(&data).unwrap(),
                "{n}"
            );
        }
    }
}
