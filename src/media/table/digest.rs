//! MD5 and base64, as the SDK's artifact code uses them (entry names `<md5[:20]>.<ext>`,
//! class-set file names, manifest digests). MD5 is only used for naming, never for security.

/// MD5 digest (RFC 1321), streaming over the input without a copy (md-5 crate).
pub fn md5(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

/// Lower-case hex MD5.
pub fn md5_hex(data: &[u8]) -> String {
    md5(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 (with padding) of the MD5 — the artifact manifest's digest form.
pub fn md5_base64(data: &[u8]) -> String {
    base64(&md5(data))
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (c.get(1).copied().unwrap_or(0) as u32) << 8
            | c.get(2).copied().unwrap_or(0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Strict standard base64 (padded, length a multiple of 4) → bytes; `None` when malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let nchunks = b.len() / 4;
    for (i, c) in b.chunks(4).enumerate() {
        let last = i + 1 == nchunks;
        let pad = c.iter().rev().take_while(|&&x| x == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &x in &c[..4 - pad] {
            n = n << 6 | val(x)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_round_trip() {
        for s in [&b""[..], b"A", b"Ar", b"Artifact:123", b"\xff\x00\x10"] {
            assert_eq!(super::base64_decode(&super::base64(s)).unwrap(), s);
        }
        assert_eq!(
            super::base64_decode("QXJ0aWZhY3Q6MTIz").unwrap(),
            b"Artifact:123"
        );
        for bad in ["QXJ", "QX=0", "QXJ0aWZhY3Q6MTIz\n", "Q===", "QXJ0!WZh"] {
            assert!(super::base64_decode(bad).is_none(), "{bad}");
        }
    }
    use super::*;

    #[test]
    fn md5_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            md5_hex(b"The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        // 64+ bytes (two blocks)
        assert_eq!(md5_hex(&[b'a'; 100]), "36a92cc94a9e0fa21f625f8bfb007adf");
        // the SDK's class-set file name of §9.4 (md5 of the Python repr)
        assert_eq!(
            md5_hex(b"[{'id': 1, 'name': 'car'}, {'id': 0, 'name': 'bg'}, {'id': 2, 'name': 'x'}]"),
            "91cdf997dad441e828493d1b28a36de9"
        );
    }

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
