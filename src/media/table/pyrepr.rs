//! Python `repr()` of plain values. The SDK derives a few names from it (the class-set file
//! `media/classes/<md5(repr(class_set))>_cls.classes.json`) and orders union members by the
//! `str()` of W&B types, so these must follow CPython's rules.
//!
//! Approximation (documented): `str.isprintable()` needs the Unicode database; here only the
//! common non-printable ranges are recognised (C0/C1 controls, DEL, soft hyphen, Unicode
//! spaces other than U+0020, zero-width/bidi format characters, line/paragraph separators,
//! BOM, private use). Unassigned code points are treated as printable.

use crate::json::{format_float_repr, Json};

fn is_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    !matches!(u,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f
        | 0x205f..=0x2064 | 0x2066..=0x206f | 0x3000 | 0xd800..=0xdfff | 0xe000..=0xf8ff
        | 0xfeff | 0xfff9..=0xfffb | 0xf0000..=0x10ffff | 0xe0001 | 0xe0020..=0xe007f)
}

/// `repr(s)` of a Python `str`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let u = c as u32;
                if u <= 0xff {
                    out.push_str(&format!("\\x{u:02x}"));
                } else if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// `repr(f)` of a Python float (`nan`, `inf`, `1e-05`, `1.0`).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let mut s = String::new();
    format_float_repr(f, &mut s);
    s
}

/// `repr()` of the Python object a JSON value stands for (dicts with string keys).
pub fn json_repr(j: &Json) -> String {
    let mut out = String::new();
    write_json_repr(j, &mut out);
    out
}

fn write_json_repr(j: &Json, out: &mut String) {
    match j {
        Json::Null => out.push_str("None"),
        Json::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::UInt(u) => out.push_str(&u.to_string()),
        Json::Float(f) => out.push_str(&float_repr(*f)),
        Json::Str(s) => out.push_str(&str_repr(s)),
        Json::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_repr(v, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&str_repr(k));
                out.push_str(": ");
                write_json_repr(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(str_repr("car"), "'car'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(str_repr("é\u{1}\n\\"), "'é\\x01\\n\\\\'");
        assert_eq!(str_repr("\u{200b}😀"), "'\\u200b😀'");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-inf");
        let j = Json::parse(r#"[{"id":1,"name":"car"},{"id":"x","name":null,"f":[true,1.5]}]"#)
            .unwrap();
        assert_eq!(
            json_repr(&j),
            "[{'id': 1, 'name': 'car'}, {'id': 'x', 'name': None, 'f': [True, 1.5]}]"
        );
    }
}
