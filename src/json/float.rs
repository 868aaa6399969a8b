//! The one float → text formatter of the crate. Digits come from `zmij` (a Schubfach-class
//! shortest round-trip algorithm: the shortest digit string that reads back to the same
//! double, the closest such string when there are two, ties to even — what Python's `repr`
//! and Go's `strconv.FormatFloat(v, 'g', -1, 64)` pick); the layouts below are hand-written
//! because each consumer's bytes must match a different runtime exactly:
//!
//! * [`format_float_compact`] — pydantic-core (serialiser A): positional for decimal exponents
//!   in [−5, 16), else `1e+16`, `1.5e-7`; integers keep `.0`.
//! * [`format_float_repr`] — Python `repr` (serialiser B): positional in [−4, 16), else `1e-05`.
//! * [`format_float_go`] — Go `'g'`/-1 (wandb-core's run log): positional in [−4, 6), else
//!   `1.234567e+06`; integers without `.0`; `-0`.
//! * [`py_float_repr`] — Python `repr` with `nan`/`inf` (f-strings of numpy scalars).
//!
//! Checked bit for bit against Python and Go on 10 M values by `tests/floatcheck`
//! (`make test-floatcheck`, a smaller run inside `make test`).

/// Shortest round-trip digits (no leading/trailing zeros, at most 17) and the decimal exponent
/// of the first digit: `value = d1.d2d3… × 10^exp`.
pub struct Shortest {
    buf: [u8; 20],
    len: usize,
    /// Decimal exponent of the first digit.
    pub exp: i32,
}

impl Shortest {
    /// `v` must be finite and non-zero; its sign is ignored.
    pub fn of(v: f64) -> Shortest {
        let mut zb = zmij::Buffer::new();
        let s = zb.format_finite(v.abs()).as_bytes();
        let (mant, e10) = match s.iter().position(|&c| c == b'e') {
            Some(i) => (&s[..i], parse_exp(&s[i + 1..])),
            None => (s, 0),
        };
        let mut out = Shortest {
            buf: [0; 20],
            len: 0,
            exp: 0,
        };
        // Digits of the mantissa without the point; position of the point in them.
        let mut point = None;
        let mut first_nonzero = None;
        for &c in mant {
            if c == b'.' {
                point = Some(out.len);
                continue;
            }
            if first_nonzero.is_none() {
                if c == b'0' {
                    // leading zero (`0.00012`): shifts the exponent, not stored
                    if point.is_some() {
                        out.exp -= 1;
                    }
                    continue;
                }
                first_nonzero = Some(());
            }
            if out.len < out.buf.len() {
                out.buf[out.len] = c;
                out.len += 1;
            }
        }
        let int_digits = point.unwrap_or(out.len) as i32;
        // `exp` so far counts the zeros after the point before the first digit (negative).
        out.exp = if int_digits > 0 {
            int_digits - 1 + e10
        } else {
            out.exp - 1 + e10
        };
        while out.len > 1 && out.buf[out.len - 1] == b'0' {
            out.len -= 1;
        }
        out
    }

    pub fn digits(&self) -> &str {
        // Only ASCII digits are stored.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0")
    }
}

fn parse_exp(s: &[u8]) -> i32 {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut e = 0i32;
    for &c in s {
        e = e * 10 + i32::from(c - b'0');
    }
    if neg {
        -e
    } else {
        e
    }
}

/// Positional layout of `digits × 10^exp`; `point_zero` appends `.0` to integers.
fn positional(digits: &str, exp: i32, point_zero: bool, out: &mut String) {
    if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            if point_zero {
                out.push_str(".0");
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
}

fn scientific(digits: &str, exp: i32, min_exp_digits: usize, out: &mut String) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let mut eb = itoa_exp(exp.unsigned_abs());
    let e = eb.as_str();
    out.extend(std::iter::repeat_n(
        '0',
        min_exp_digits.saturating_sub(e.len()),
    ));
    out.push_str(e);
}

struct ExpBuf([u8; 4], usize);
impl ExpBuf {
    fn as_str(&mut self) -> &str {
        std::str::from_utf8(&self.0[self.1..]).unwrap_or("0")
    }
}
fn itoa_exp(mut e: u32) -> ExpBuf {
    let mut b = ExpBuf([b'0'; 4], 4);
    loop {
        b.1 -= 1;
        b.0[b.1] = b'0' + (e % 10) as u8;
        e /= 10;
        if e == 0 || b.1 == 0 {
            return b;
        }
    }
}

/// The shared layout: sign, zero, positional when `lo <= exp < hi`, else scientific.
/// Non-finite values are the caller's.
fn layout(v: f64, lo: i32, hi: i32, min_exp_digits: usize, point_zero: bool, out: &mut String) {
    if v.is_sign_negative() {
        out.push('-');
    }
    if v == 0.0 {
        out.push_str(if point_zero { "0.0" } else { "0" });
        return;
    }
    let s = Shortest::of(v);
    if (lo..hi).contains(&s.exp) {
        positional(s.digits(), s.exp, point_zero, out);
    } else {
        scientific(s.digits(), s.exp, min_exp_digits, out);
    }
}

/// `NaN` / `Infinity` / `-Infinity` (the JSON dialects of the SDK and wandb-core).
fn json_non_finite(v: f64, out: &mut String) -> bool {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        return false;
    }
    true
}

/// Serialiser A (pydantic-core): positional for exponents in [−5, 16), else `1e+16`, `1.5e-7`.
pub fn format_float_compact(v: f64, out: &mut String) {
    if !json_non_finite(v, out) {
        layout(v, -5, 16, 1, true, out)
    }
}

/// Serialiser B (Python `repr`): positional for exponents in [−4, 16), else `1e-05`, `1e+16`.
pub fn format_float_repr(v: f64, out: &mut String) {
    if !json_non_finite(v, out) {
        layout(v, -4, 16, 2, true, out)
    }
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 64)` plus `NaN`/`Infinity`/`-Infinity` (wandb-core's
/// JSON): exponent form when the decimal exponent is < −4 or ≥ 6 (`123456`, `1.234567e+06`,
/// `0.0001`, `1e-05`), at least two exponent digits, `-0` for negative zero.
pub fn format_float_go(v: f64, out: &mut String) {
    if !json_non_finite(v, out) {
        layout(v, -4, 6, 2, false, out)
    }
}

/// Python's `repr(float)` exactly, including `nan`, `inf`, `-inf`.
pub fn py_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let mut s = String::new();
    layout(v, -4, 16, 2, true, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: f64) -> String {
        let mut s = String::new();
        format_float_compact(v, &mut s);
        s
    }
    fn b(v: f64) -> String {
        let mut s = String::new();
        format_float_repr(v, &mut s);
        s
    }
    fn g(v: f64) -> String {
        let mut s = String::new();
        format_float_go(v, &mut s);
        s
    }

    #[test]
    fn spec_examples() {
        assert_eq!(a(1e-5), "0.00001");
        assert_eq!(b(1e-5), "1e-05");
        assert_eq!(a(1.5e-7), "1.5e-7");
        assert_eq!(b(1.5e-7), "1.5e-07");
        assert_eq!(a(1e16), "1e+16");
        assert_eq!(b(1e16), "1e+16");
        assert_eq!(a(1e15), "1000000000000000.0");
        assert_eq!(a(1.0), "1.0");
        assert_eq!(a(100.0), "100.0");
        assert_eq!(a(0.00001234), "0.00001234");
        assert_eq!(a(1e-6), "1e-6");
        assert_eq!(a(1.2345678901234568e17), "1.2345678901234568e+17");
        assert_eq!(a(-0.0), "-0.0");
        assert_eq!(a(0.1f32 as f64), "0.10000000149011612");
        assert_eq!(a(1795305591.7330952), "1795305591.7330952");
        assert_eq!(b(0.0001), "0.0001");
        assert_eq!(b(5e-324), "5e-324");
        assert_eq!(b(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(b(1e100), "1e+100");
        assert_eq!(a(f64::NAN), "NaN");
        assert_eq!(a(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(py_float_repr(f64::NAN), "nan");
        assert_eq!(py_float_repr(f64::NEG_INFINITY), "-inf");
        assert_eq!(py_float_repr(-0.0), "-0.0");
        assert_eq!(py_float_repr(0.5), "0.5");
        // exact ties between two shortest candidates resolve to the even digit (as Python)
        let tie = f64::from(f32::from_bits(0x3f34_da80));
        assert_eq!(format!("{tie:.17}"), "0.70645904541015625");
        assert_eq!(a(tie), "0.7064590454101562");
        assert_eq!(b(tie), "0.7064590454101562");
        assert_eq!(g(tie), "0.7064590454101562");
    }

    #[test]
    fn go_layout() {
        for (x, want) in [
            (1.0, "1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100000.0, "100000"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(g(x), want, "{x:e}");
        }
    }
}
