//! The one escaping of text that names a path in a message (issue 22): control characters
//! (NUL, newline, ESC, DEL, C1 …) and bytes that are not UTF-8 are written as `\0`, `\n`,
//! `\t`, `\r`, `\xNN` or `\u{NNNN}`, so a hostile file name cannot forge or split a log
//! line or a terminal's output. Std only (the Miri harness compiles it with `error.rs`);
//! re-exported by [`crate::confine`].

use std::ffi::OsStr;

/// Escapes control characters in `s` (see the module documentation); other text unchanged.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(s, &mut out);
    out
}

fn push_escaped(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            // C1 controls and the Unicode line/paragraph separators and bidi overrides,
            // which terminals and log viewers also act on.
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
}

/// A path (or any OS string) as text for a message: [`escape`]d, and bytes that are not
/// UTF-8 as `\xNN` (instead of `display()`'s silent U+FFFD).
pub fn path_text(p: impl AsRef<OsStr>) -> String {
    let os = p.as_ref();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in os.as_bytes().utf8_chunks() {
            push_escaped(chunk.valid(), &mut out);
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        escape(&os.to_string_lossy())
    }
}
