//! An insertion-ordered JSON value and the SDK's two JSON dialects (spec §1.5):
//! serialiser A (pydantic-core compact writer: history rows and media JSON files) and
//! serialiser B (Python's `json.dumps(sort_keys=True)`: everything stored inside artifacts).

pub mod float;

pub use float::{format_float_compact, format_float_go, format_float_repr, py_float_repr};

use crate::error::{Error, Result};

/// A JSON value whose objects keep insertion order (Python dict semantics).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }
    /// An object from `(key, value)` pairs, in order.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    /// Member lookup (first match) on objects.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// Numeric value as f64 (ints widened).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Int(i) => Some(*i as f64),
            Json::UInt(u) => Some(*u as f64),
            Json::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Int(_) | Json::UInt(_) | Json::Float(_))
    }
    /// Insert or replace a member, keeping the position of an existing key (Python dict).
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(m) = self {
            if let Some(slot) = m.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                m.push((key.to_string(), value));
            }
        }
    }

    /// Serialiser A (compact) as a string.
    pub fn to_compact(&self) -> String {
        let mut s = String::new();
        write_compact(self, &mut s);
        s
    }

    /// Serialiser B (artifact files: sorted keys, `", "`/`": "`, ASCII escapes, repr floats).
    pub fn to_artifact(&self) -> String {
        let mut s = String::new();
        write_artifact(self, &mut s);
        s
    }

    /// Parse JSON text keeping object key order and the int/float distinction. Input beyond
    /// `MAX_JSON_BYTES`, `MAX_JSON_VALUES` or nested deeper than `MAX_DEPTH` is refused by a
    /// linear pre-scan, before anything is allocated or any recursion starts.
    pub fn parse(text: &str) -> Result<Json> {
        let depth = check_json_limits(text, MAX_DEPTH)?;
        if depth > SHALLOW_DEPTH {
            // serde_json and the conversion recurse per level: on a thread with a big stack.
            return crate::par::off_caller(|| Json::parse_deep(text, MAX_DEPTH));
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::invalid(format!("invalid JSON: {e}")))?;
        Ok(Json::from(v))
    }

    /// `parse` limited to [`SHALLOW_DEPTH`] levels: the parse, the value built from it and
    /// its drop all stay on the caller's thread within a small stack (readers whose results
    /// are handed to the caller, e.g. `wb_value_from_wandb_json`).
    pub fn parse_shallow(text: &str) -> Result<Json> {
        check_json_limits(text, SHALLOW_DEPTH)?;
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::invalid(format!("invalid JSON: {e}")))?;
        Ok(Json::from(v))
    }

    /// `parse` with a nesting limit of `max_depth` (up to [`SDK_MAX_DEPTH`]), for values
    /// the Python SDK wrote (sync of its logs). The parse, conversion, serialisation and
    /// drop of such a value recurse once per level: call this only on a thread with a
    /// stack of at least [`DEEP_STACK`] (the uploader and sync threads have one).
    pub fn parse_deep(text: &str, max_depth: usize) -> Result<Json> {
        let max_depth = max_depth.min(SDK_MAX_DEPTH);
        check_json_limits(text, max_depth)?;
        let mut de = serde_json::Deserializer::from_str(text);
        // The pre-scan above bounds the depth (serde_json's own limit is 128).
        de.disable_recursion_limit();
        let mut it = de.into_iter::<serde_json::Value>();
        let v = match it.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(Error::invalid(format!("invalid JSON: {e}"))),
            None => return Err(Error::invalid("invalid JSON: empty text")),
        };
        if it.next().is_some() {
            return Err(Error::invalid("invalid JSON: trailing characters"));
        }
        Ok(Json::from(v))
    }
}

/// The deepest value the Python SDK can log (measured with wandb 0.31.0: a list nested 984
/// deep under a key is accepted at the top level of a script, deeper ones raise
/// RecursionError; Python's recursion limit is 1000).
pub const SDK_MAX_DEPTH: usize = 1000;
/// The stack a thread needs to handle a value of [`SDK_MAX_DEPTH`] levels (parse, convert,
/// serialise, drop; measured need is well below this).
pub const DEEP_STACK: usize = 16 << 20;

/// Deepest nesting of lists/dicts (values, JSON input): what wandb 0.31 accepts. Measured:
/// `run.log({"x": v})` takes a list (or dict) nested 984 deep at the top level of a script
/// and raises RecursionError from 985 on (Python's recursion limit, 1000, less the frames
/// of the call), so a row nests at most 985 levels: the row dict and 984 below it.
/// Every walk over a value (serialising, flattening, cloning, dropping) recurses once per
/// level; a call whose value is deeper than [`SHALLOW_DEPTH`] does that work on a helper
/// thread with a [`DEEP_STACK`] stack, so the caller's thread needs no more stack than for
/// a shallow value (the deepest accepted value is logged on a 64 KiB thread in the tests).
pub const MAX_DEPTH: usize = 985;
/// Values at most this deep are handled on the caller's thread (the 0.2.0 limit).
pub const SHALLOW_DEPTH: usize = 32;
/// Largest JSON text accepted (64 MiB).
pub const MAX_JSON_BYTES: usize = 64 << 20;
/// Most values (array elements + object members + containers) in one JSON text (2^22):
/// parsed JSON takes ~100 bytes per value, so this bounds a parse to a few hundred MB.
pub const MAX_JSON_VALUES: usize = 1 << 22;

/// The nesting depth of JSON text (brackets outside strings; linear, no recursion).
pub fn nesting_depth(text: &str) -> usize {
    scan(text, usize::MAX, usize::MAX).0
}

/// The one bracket scan of JSON text outside strings (linear, no recursion): the deepest
/// nesting and the value count, stopping as soon as either passes its limit.
fn scan(text: &str, max_depth: usize, max_values: usize) -> (usize, usize) {
    let (mut depth, mut values, mut deepest) = (0usize, 0usize, 0usize);
    let (mut in_str, mut esc) = (false, false);
    for &b in text.as_bytes() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                values += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => {}
        }
        if deepest > max_depth || values > max_values {
            break;
        }
    }
    (deepest, values)
}

/// The pre-scan of `Json::parse`: nesting depth and value count, outside strings. Returns
/// the deepest nesting seen.
fn check_json_limits(text: &str, max_depth: usize) -> Result<usize> {
    if text.len() > MAX_JSON_BYTES {
        return Err(Error::overflow(format!(
            "JSON text of {} bytes exceeds the limit of {MAX_JSON_BYTES} bytes",
            text.len()
        )));
    }
    let (deepest, values) = scan(text, max_depth, MAX_JSON_VALUES);
    if deepest > max_depth {
        return Err(Error::invalid(format!(
            "JSON nested deeper than {max_depth} levels (the nesting limit)"
        )));
    }
    if values > MAX_JSON_VALUES {
        return Err(Error::overflow(format!(
            "JSON text has more than {MAX_JSON_VALUES} values (the limit)"
        )));
    }
    Ok(deepest)
}

impl From<serde_json::Value> for Json {
    fn from(v: serde_json::Value) -> Json {
        use serde_json::Value as V;
        match v {
            V::Null => Json::Null,
            V::Bool(b) => Json::Bool(b),
            V::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Json::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Json::UInt(u)
                } else {
                    Json::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            V::String(s) => Json::Str(s),
            V::Array(a) => Json::Array(a.into_iter().map(Json::from).collect()),
            V::Object(m) => Json::Object(m.into_iter().map(|(k, v)| (k, Json::from(v))).collect()),
        }
    }
}

/// Serialiser A: no whitespace, insertion order, minimal escapes, raw UTF-8.
pub fn write_compact(v: &Json, out: &mut String) {
    write_compact_numbers(v, out, |n, out| match n {
        Json::Int(i) => out.push_str(itoa(*i).as_str()),
        Json::UInt(u) => out.push_str(&u.to_string()),
        Json::Float(f) => format_float_compact(*f, out),
        _ => unreachable!("numbers only"),
    })
}

/// Serialiser A's layout with numbers written by `number` (called with `Int`, `UInt` and
/// `Float` values only): wandb-core's record JSON differs from it in numbers alone.
pub fn write_compact_numbers<F: Fn(&Json, &mut String) + Copy>(
    v: &Json,
    out: &mut String,
    number: F,
) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => number(v, out),
        Json::Str(s) => write_str_compact(s, out),
        Json::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact_numbers(item, out, number);
            }
            out.push(']');
        }
        Json::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str_compact(k, out);
                out.push(':');
                write_compact_numbers(item, out, number);
            }
            out.push('}');
        }
    }
}

fn itoa(i: i64) -> String {
    i.to_string()
}

/// String escaping of serialiser A: `"` `\` and control characters only.
pub fn write_str_compact(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => out.push_str(&format!("\\u{:04x}", b)),
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Serialiser B: Python `json.dumps(obj, sort_keys=True)`.
pub fn write_artifact(v: &Json, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::UInt(u) => out.push_str(&u.to_string()),
        Json::Float(f) => format_float_repr(*f, out),
        Json::Str(s) => write_str_ascii(s, out),
        Json::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_artifact(item, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            let mut sorted: Vec<&(String, Json)> = m.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_ascii(k, out);
                out.push_str(": ");
                write_artifact(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `ensure_ascii` escaping: everything outside 0x20..=0x7e is escaped.
fn write_str_ascii(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_writer_matches_sdk_examples() {
        let v = Json::object([
            ("a", Json::Array(vec![Json::Int(1), Json::Float(2.0)])),
            ("s", Json::str("q\"\\/\n\u{1}\u{7f}é😀")),
            ("n", Json::Float(f64::NAN)),
            ("i", Json::Float(f64::NEG_INFINITY)),
            ("z", Json::Float(-0.0)),
        ]);
        assert_eq!(
            v.to_compact(),
            "{\"a\":[1,2.0],\"s\":\"q\\\"\\\\/\\n\\u0001\u{7f}é😀\",\"n\":NaN,\"i\":-Infinity,\"z\":-0.0}"
        );
    }

    #[test]
    fn artifact_writer_sorts_and_escapes() {
        let v = Json::object([
            ("b", Json::Float(1e-5)),
            ("a", Json::str("é\u{7f}😀")),
            ("c", Json::Array(vec![Json::Float(1.5e-7), Json::Null])),
        ]);
        assert_eq!(
            v.to_artifact(),
            "{\"a\": \"\\u00e9\\u007f\\ud83d\\ude00\", \"b\": 1e-05, \"c\": [1.5e-07, null]}"
        );
    }

    #[test]
    fn parse_keeps_order_and_number_kinds() {
        let j = Json::parse("{\"z\":1,\"a\":1.0,\"m\":[18446744073709551615]}").unwrap();
        assert_eq!(
            j.to_compact(),
            "{\"z\":1,\"a\":1.0,\"m\":[18446744073709551615]}"
        );
    }
}
