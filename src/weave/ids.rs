//! Ids, timestamps and digests as the Python Weave client makes them.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 74 random bits; lower-case
/// hyphenated text, as the Python client's `generate_id()`.
pub fn uuid_v7() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut r = [0u8; 10];
    if getrandom::fill(&mut r).is_err() {
        // No OS randomness: mix the clock and a counter (ids stay unique per process).
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
        let x = (n << 32) ^ nanos ^ u64::from(std::process::id()) << 16;
        r[..8].copy_from_slice(&x.to_le_bytes());
    }
    uuid_v7_from(ms, &r)
}

/// The UUIDv7 text for a millisecond timestamp and 10 random bytes (testable core).
pub fn uuid_v7_from(ms: u64, rand: &[u8; 10]) -> String {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(rand);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Now as ISO-8601 UTC with microseconds and `Z` (`2026-12-07T14:03:58.123456Z`): what the
/// Python client's `datetime.now(timezone.utc)` becomes in its JSON.
pub fn now_iso() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    iso_from_micros(d.as_micros() as i64)
}

/// ISO-8601 UTC text of microseconds since the Unix epoch (always 6 fraction digits).
pub fn iso_from_micros(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The trace server's digest of file bytes: base64url(sha256) without `=`, then `-` → `X`
/// and `_` → `Y` (43 characters of `[A-Za-z0-9XY]`).
pub fn weave_digest(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(h)
        .replace('-', "X")
        .replace('_', "Y")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_layout() {
        // RFC 9562 appendix A.6 example: 2022-02-22T19:22:22Z = 0x017F22E279B0 ms.
        let r = [0xCC, 0xC3, 0x18, 0xC4, 0xDC, 0x0C, 0x0C, 0x07, 0x39, 0x8F];
        assert_eq!(
            uuid_v7_from(0x017F_22E2_79B0, &r),
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"
        );
        for _ in 0..200 {
            let u = uuid_v7();
            assert_eq!(u.len(), 36);
            let parts: Vec<&str> = u.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('7'), "{u}");
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{u}");
            assert!(u
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
        }
        // Time ordered at millisecond granularity.
        let a = uuid_v7();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(uuid_v7() > a);
    }

    #[test]
    fn iso_timestamps() {
        // Python: datetime.fromtimestamp(t, timezone.utc).isoformat() with Z.
        assert_eq!(iso_from_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            iso_from_micros(1_796_652_238_123_456),
            "2026-12-07T14:03:58.123456Z"
        );
        // Leap day and a date before the epoch.
        assert_eq!(
            iso_from_micros(951_782_400_000_001),
            "2000-02-29T00:00:00.000001Z"
        );
        assert_eq!(iso_from_micros(-1), "1969-12-31T23:59:59.999999Z");
        let n = now_iso();
        assert_eq!(n.len(), 27);
        assert!(n.ends_with('Z') && n.starts_with("20"));
    }

    #[test]
    fn digests_follow_the_spec() {
        // base64url(sha256(b"")) = 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU
        assert_eq!(
            weave_digest(b""),
            "47DEQpj8HBSaXYTImWX5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        for n in [1usize, 3, 1000, 65_537] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
            let d = weave_digest(&data);
            assert_eq!(d.len(), 43);
            assert!(d.chars().all(|c| c.is_ascii_alphanumeric()), "{d}");
            // Independent re-derivation: standard base64 then the substitutions.
            let std = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&data));
            let want = std
                .trim_end_matches('=')
                .replace('+', "X")
                .replace('/', "Y");
            assert_eq!(d, want);
        }
    }
}
