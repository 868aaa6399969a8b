//! Width and height of image files that Pillow 11.3 opens and the `image` crate does not
//! read, from their fixed headers — what `PIL.Image.open(path).size` reports. Each reader
//! follows the matching Pillow plugin's `_accept` test and size fields; no pixel data is
//! decoded (the SDK copies the file unchanged; only width/height reach the JSON). Hand
//! written because no maintained Rust crate reads these headers; each is a few fixed
//! fields (the `image` crate covers PNG, JPEG, GIF, WebP, BMP, TIFF, PNM, TGA, ICO, QOI).

type Dims = std::result::Result<(u32, u32), String>;

fn u16le(b: &[u8], o: usize) -> u32 {
    u16::from_le_bytes([b[o], b[o + 1]]) as u32
}
fn u16be(b: &[u8], o: usize) -> u32 {
    u16::from_be_bytes([b[o], b[o + 1]]) as u32
}
fn u32be(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u32le(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn positive(w: i64, h: i64, what: &str) -> Dims {
    if w <= 0 || h <= 0 || w > u32::MAX as i64 || h > u32::MAX as i64 {
        return Err(format!("bad {what} image size"));
    }
    Ok((w as u32, h as u32))
}

/// `Some(size or error)` when the bytes are one of these formats, `None` otherwise.
pub fn dimensions(b: &[u8]) -> Option<Dims> {
    // DDS (DdsImagePlugin): "DDS ", DDS_HEADER of 124 bytes, dwHeight/dwWidth at 12/16.
    // (`image` 0.25 has no DDS decoder.)
    if b.starts_with(b"DDS ") {
        if b.len() < 128 || u32le(b, 4) != 124 {
            return Some(Err("unsupported DDS header size".into()));
        }
        return Some(Ok((u32le(b, 16), u32le(b, 12))));
    }
    // PCX (PcxImagePlugin): byte 0 = 10, version in {0, 2, 3, 5}; bbox u16 LE at 4..12.
    if b.len() >= 128 && b[0] == 10 && matches!(b[1], 0 | 2 | 3 | 5) {
        let (x0, y0, x1, y1) = (u16le(b, 4), u16le(b, 6), u16le(b, 8), u16le(b, 10));
        return Some(positive(
            x1 as i64 + 1 - x0 as i64,
            y1 as i64 + 1 - y0 as i64,
            "PCX",
        ));
    }
    // SGI (SgiImagePlugin): magic 474 (u16 BE); xsize/ysize u16 BE at 6/8.
    if b.len() >= 512 && u16be(b, 0) == 474 {
        return Some(positive(u16be(b, 6) as i64, u16be(b, 8) as i64, "SGI"));
    }
    // MSP (MspImagePlugin): "DanM" or "LinS"; width/height u16 LE at 4/6; the 16 header
    // words XOR to 0.
    if b.len() >= 32 && (b.starts_with(b"DanM") || b.starts_with(b"LinS")) {
        let checksum = (0..16).fold(0u32, |acc, i| acc ^ u16le(b, 2 * i));
        if checksum != 0 {
            return Some(Err("bad MSP checksum".into()));
        }
        return Some(positive(u16le(b, 4) as i64, u16le(b, 6) as i64, "MSP"));
    }
    // JPEG 2000 (Jpeg2KImagePlugin): a raw codestream (SOC + SIZ) or a JP2 file.
    if b.starts_with(&[0xff, 0x4f, 0xff, 0x51]) && b.len() >= 24 {
        let (x, y, xo, yo) = (u32be(b, 8), u32be(b, 12), u32be(b, 16), u32be(b, 20));
        return Some(positive(
            x as i64 - xo as i64,
            y as i64 - yo as i64,
            "JPEG 2000",
        ));
    }
    if b.starts_with(b"\x00\x00\x00\x0cjP  \x0d\x0a\x87\x0a") {
        return Some(jp2_ihdr(b).ok_or_else(|| "could not find JP2 header".to_string()));
    }
    // XBM (XbmImagePlugin): "#define <name>_width W" then "#define <name>_height H".
    if b.trim_ascii_start().starts_with(b"#define") {
        return Some(xbm(b).ok_or_else(|| "not a XBM file".to_string()));
    }
    // IM (ImImagePlugin), as Pillow writes it: "Image type: …" header lines with
    // "Image size (x*y): W*H".
    if b.starts_with(b"Image type:") {
        return Some(im(b).ok_or_else(|| "not an IM file".to_string()));
    }
    None
}

/// The `ihdr` box inside the `jp2h` super box: height then width, u32 BE.
fn jp2_ihdr(b: &[u8]) -> Option<(u32, u32)> {
    fn boxes(b: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos + 8 > b.len() {
                return None;
            }
            let mut len = u32be(b, pos) as u64;
            let ty = &b[pos + 4..pos + 8];
            let mut head = 8u64;
            if len == 1 {
                if pos + 16 > b.len() {
                    return None;
                }
                len = u64::from_be_bytes(b[pos + 8..pos + 16].try_into().ok()?);
                head = 16;
            } else if len == 0 {
                len = (b.len() - pos) as u64;
            }
            // (checked: a 64-bit box length near u64::MAX overflowed here — found by the
            // file_decoders fuzz target)
            if len < head || (pos as u64).checked_add(len)? > b.len() as u64 {
                return None;
            }
            let body = &b[pos + head as usize..pos + len as usize];
            pos += len as usize;
            Some((ty, body))
        })
    }
    let (_, jp2h) = boxes(b).find(|(ty, _)| *ty == b"jp2h")?;
    let (_, ihdr) = boxes(jp2h).find(|(ty, _)| *ty == b"ihdr")?;
    if ihdr.len() < 8 {
        return None;
    }
    positive(u32be(ihdr, 4) as i64, u32be(ihdr, 0) as i64, "JPEG 2000").ok()
}

fn define_value(line: &[u8], suffix: &str) -> Option<u32> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split([' ', '\t']).filter(|w| !w.is_empty());
    if words.next()? != "#define" {
        return None;
    }
    let name = words.next()?;
    if !name.ends_with(suffix) {
        return None;
    }
    words.next()?.parse().ok()
}

fn xbm(b: &[u8]) -> Option<(u32, u32)> {
    let head = &b[..b.len().min(512)];
    let mut lines = head
        .trim_ascii_start()
        .split(|&c| c == b'\n' || c == b'\r')
        .filter(|l| !l.is_empty());
    let w = define_value(lines.next()?, "_width")?;
    let h = define_value(lines.next()?, "_height")?;
    positive(w as i64, h as i64, "XBM").ok()
}

fn im(b: &[u8]) -> Option<(u32, u32)> {
    let head = &b[..b.len().min(1024)];
    for line in head.split(|&c| c == b'\n' || c == b'\r') {
        if let Some(rest) = line.strip_prefix(b"Image size (x*y):") {
            let text = std::str::from_utf8(rest).ok()?.trim();
            let (w, h) = text.split_once('*')?;
            return positive(w.trim().parse().ok()?, h.trim().parse().ok()?, "IM").ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jp2_box_length_near_u64_max_is_rejected() {
        // fuzz/corpus/file_decoders/regress-jp2-box-length-overflow (without its selector
        // byte): the JP2 signature box, then a box with a 64-bit length of u64::MAX, which
        // overflowed the bounds check (a panic with debug assertions, a wrong slice without).
        let fuzz =
            include_bytes!("../../fuzz/corpus/file_decoders/regress-jp2-box-length-overflow");
        let b = &fuzz[1..];
        assert!(b.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n\0\0\0\x01\0\xdd\xf8\0\xff\xff"));
        assert_eq!(jp2_ihdr(b), None);
        assert_eq!(
            dimensions(b),
            Some(Err("could not find JP2 header".to_string()))
        );
    }

    #[test]
    fn headers_give_pillow_sizes_and_reject_bad_ones() {
        let xbm = b"#define im_width 13\n#define im_height 9\nstatic char im_bits[] = {\n";
        assert_eq!(dimensions(xbm), Some(Ok((13, 9))));
        assert_eq!(
            dimensions(b"Image type: RGB image\r\nImage size (x*y): 13*9\r\n\x1a"),
            Some(Ok((13, 9)))
        );
        let mut pcx = vec![0u8; 128];
        pcx[0] = 10;
        pcx[1] = 5;
        pcx[8] = 12; // xmax 12 -> width 13
        pcx[10] = 8; // ymax 8 -> height 9
        assert_eq!(dimensions(&pcx), Some(Ok((13, 9))));
        pcx[4] = 20; // xmin > xmax: Pillow's "bad PCX image size"
        assert!(matches!(dimensions(&pcx), Some(Err(_))));
        let mut msp = vec![0u8; 32];
        msp[..4].copy_from_slice(b"DanM");
        msp[4] = 13;
        assert!(matches!(dimensions(&msp), Some(Err(e)) if e.contains("checksum")));
        let mut j2k = vec![0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0];
        for v in [15u32, 9, 2, 0] {
            j2k.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(dimensions(&j2k), Some(Ok((13, 9))));
        assert_eq!(dimensions(b"\x89PNG\r\n\x1a\n"), None);
    }
}
