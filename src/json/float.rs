//! Float formatting of the two JSON dialects. Both use the shortest round-trip digits
//! (Rust's `{:e}` gives them, as Python's `repr` does) and differ only in layout.

/// Shortest round-trip digits and decimal exponent of a finite, non-negative float:
/// `value = 0.d1d2d3… × 10^(exp+1)`, i.e. `d1.d2d3… × 10^exp`.
fn shortest(v: f64) -> (String, i32) {
    let (digits, exp) = split_sci(&format!("{:e}", v));
    round_half_even(v, digits, exp)
}

fn split_sci(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// When the exact value lies exactly halfway between two shortest candidates (common for
/// float32 values widened to f64, e.g. 0.70645904541015625), Python and pydantic pick the
/// one with the even last digit; Rust's shortest formatter may pick the other.
fn round_half_even(v: f64, digits: String, exp: i32) -> (String, i32) {
    let n = digits.len();
    // Exact digits (Rust's fixed-precision formatting is exact) well past the candidate.
    let (exact, exact_exp) = split_sci(&format!("{:.*e}", n + 40, v));
    if exact_exp != exp || exact.len() < n + 2 {
        return (digits, exp);
    }
    let tail = &exact.as_bytes()[n..];
    if tail[0] != b'5' || tail[1..].iter().any(|&c| c != b'0') {
        return (digits, exp);
    }
    // A tie: candidates are t (truncated) and t + 1 in the last digit; keep the even one.
    let t = &exact[..n];
    let last = t.as_bytes()[n - 1] - b'0';
    if last % 2 == 0 {
        return (t.to_string(), exp);
    }
    let mut up: Vec<u8> = t.bytes().collect();
    let mut i = n;
    loop {
        if i == 0 {
            up.insert(0, b'1');
            let s = String::from_utf8(up).unwrap_or_default();
            return (s.trim_end_matches('0').to_string(), exp + 1);
        }
        i -= 1;
        if up[i] == b'9' {
            up[i] = b'0';
        } else {
            up[i] += 1;
            break;
        }
    }
    let s = String::from_utf8(up).unwrap_or_default();
    let trimmed = s.trim_end_matches('0');
    (
        if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.to_string()
        },
        exp,
    )
}

fn non_finite(v: f64, out: &mut String) -> bool {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        return false;
    }
    true
}

fn positional(digits: &str, exp: i32, out: &mut String) {
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
            out.push_str(".0");
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
    let e = exp.unsigned_abs().to_string();
    for _ in e.len()..min_exp_digits {
        out.push('0');
    }
    out.push_str(&e);
}

fn format_with(v: f64, lo: i32, min_exp_digits: usize, out: &mut String) {
    if non_finite(v, out) {
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let (digits, exp) = shortest(a);
    if (lo..16).contains(&exp) {
        positional(&digits, exp, out);
    } else {
        scientific(&digits, exp, min_exp_digits, out);
    }
}

/// Serialiser A (pydantic-core): positional for exponents in [−5, 16), else `1e+16`, `1.5e-7`.
pub fn format_float_compact(v: f64, out: &mut String) {
    format_with(v, -5, 1, out)
}

/// Serialiser B (Python `repr`): positional for exponents in [−4, 16), else `1e-05`, `1e+16`.
pub fn format_float_repr(v: f64, out: &mut String) {
    format_with(v, -4, 2, out)
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
        assert_eq!(a(f64::NAN), "NaN");
        // exact ties between two shortest candidates resolve to the even digit (as Python)
        let tie = f64::from(f32::from_bits(0x3f34_da80));
        assert_eq!(format!("{tie:.17}"), "0.70645904541015625");
        assert_eq!(a(tie), "0.7064590454101562");
        assert_eq!(b(tie), "0.7064590454101562");
    }
}
