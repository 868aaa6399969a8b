//! `wandb.Html` (§10): literal HTML or an `.html` file, with the SDK's stylesheet injection
//! (case-sensitive substring search, then Python `str.strip()`).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{downcast, file_json, BindCtx, Media, MediaFile};

/// The snippet `Html.inject_head` inserts (exact bytes).
pub const INJECT_SNIPPET: &str = "<base target=\"_blank\"><link rel=\"stylesheet\" type=\"text/css\" href=\"https://app.wandb.ai/normalize.css\" />";

/// A `wandb.Html` (no caption in the SDK).
#[derive(Debug, Clone)]
pub struct Html {
    pub file: MediaFile,
}

impl Html {
    /// `wandb.Html(text, inject=, data_is_not_path=True)`: the text is literal HTML.
    pub fn from_string(html: &str, inject: bool) -> Html {
        let text = if inject {
            inject_head(html)
        } else {
            html.to_string()
        };
        Html {
            file: MediaFile::new(text.into_bytes(), ".html"),
        }
    }

    /// `wandb.Html(path, inject=)` for an existing file whose extension is exactly `.html`
    /// (the SDK would treat any other path string as literal HTML; here it is an error).
    /// With `inject` the file is read as UTF-8 text with universal newlines (CRLF/CR → LF)
    /// and re-written; without, it is copied byte for byte.
    pub fn from_file(path: &Path, inject: bool) -> Result<Html> {
        if crate::media::path_extension(path) != ".html" {
            return Err(Error::invalid(format!(
                "path {:?}: an Html file must have the extension .html (the SDK treats any other path as literal HTML text)",
                path.display().to_string()
            )));
        }
        let bytes = crate::media::read_user_file(path)?;
        // The SDK always decodes the file (so invalid UTF-8 fails even without injection).
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            Error::new(
                crate::error::ErrorKind::InvalidUtf8,
                format!(
                    "{}: not valid UTF-8 (byte {}); the SDK reads Html files as UTF-8 text",
                    crate::confine::path_text(path),
                    e.valid_up_to()
                ),
            )
        })?;
        if !inject {
            return Ok(Html {
                file: MediaFile::new(bytes, ".html").with_source(path),
            });
        }
        Ok(Html::from_string(&universal_newlines(text), true))
    }
}

/// Python text-mode reading with `newline=None`: `\r\n` and lone `\r` become `\n`.
pub fn universal_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Python's `str.isspace()` (what `str.strip()` removes): Unicode White_Space plus the
/// separators U+001C..U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `Html.inject_head` (§10): after the first `<head>`, else replace the first `<html>` by
/// `<html><head>` + snippet + `</head>`, else prepend; then strip.
pub fn inject_head(html: &str) -> String {
    let joined = if let Some(i) = html.find("<head>") {
        let cut = i + "<head>".len();
        format!("{}{}{}", &html[..cut], INJECT_SNIPPET, &html[cut..])
    } else if let Some(i) = html.find("<html>") {
        format!(
            "{}<html><head>{}</head>{}",
            &html[..i],
            INJECT_SNIPPET,
            &html[i + "<html>".len()..]
        )
    } else {
        format!("{INJECT_SNIPPET}{html}")
    };
    joined.trim_matches(py_space).to_string()
}

impl Media for Html {
    fn class_name(&self) -> &'static str {
        "Html"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/html", &self.file)?;
        Ok(Json::Object(file_json(None, "html-file", &self.file, path)))
    }
    /// §15.2: `{"_type": "html", "count", "html": [each]}` (no captions).
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let mut jsons = Vec::with_capacity(items.len());
        for item in items {
            let h: &Html = downcast(item)?;
            jsons.push(h.to_json(ctx)?);
        }
        Ok(Json::object([
            ("_type", Json::str("html")),
            ("count", Json::Int(items.len() as i64)),
            ("html", Json::Array(jsons)),
        ]))
    }
    /// `Media.to_json(artifact)`: the file entry (spec §9.4).
    fn artifact_json(&self, files: &mut crate::media::table::ArtifactFiles) -> Result<Json> {
        Ok(Json::Object(crate::media::file_artifact_json(
            None,
            "media/html",
            "html-file",
            &self.file,
            files,
        )))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(h: &Html) -> String {
        String::from_utf8(h.file.bytes.to_vec()).unwrap()
    }

    #[test]
    fn spec_vector_h1() {
        let h = Html::from_string("<h1>Hi</h1>", true);
        assert_eq!(
            text(&h),
            format!("{INJECT_SNIPPET}<h1>Hi</h1>"),
            "snippet prepended"
        );
        assert_eq!(h.file.size(), 116);
        assert_eq!(
            h.file.sha256,
            "2e3c01595358c914e951ec2c905a950b98122ab5380084da4b8174736e721c4b"
        );
        assert_eq!(h.file.ext, ".html");
    }

    #[test]
    fn injection_rules_are_case_sensitive() {
        assert_eq!(
            inject_head("<html><body>b</body></html>"),
            format!("<html><head>{INJECT_SNIPPET}</head><body>b</body></html>")
        );
        assert_eq!(
            inject_head("<html><head><title>t</title></head><body>b</body></html>"),
            format!("<html><head>{INJECT_SNIPPET}<title>t</title></head><body>b</body></html>")
        );
        assert_eq!(
            inject_head("<HTML><HEAD></HEAD></HTML>"),
            format!("{INJECT_SNIPPET}<HTML><HEAD></HEAD></HTML>")
        );
        assert_eq!(
            inject_head("<html><head lang='x'></head></html>"),
            format!("<html><head>{INJECT_SNIPPET}</head><head lang='x'></head></html>")
        );
        // Leading whitespace survives after the snippet; trailing is stripped.
        assert_eq!(
            inject_head("  \n<p>x</p>\n  "),
            format!("{INJECT_SNIPPET}  \n<p>x</p>")
        );
        // Python's strip also removes U+001C..U+001F and Unicode spaces.
        assert_eq!(
            inject_head("<p>x</p>\u{1f}\u{3000}"),
            format!("{INJECT_SNIPPET}<p>x</p>")
        );
        let raw = Html::from_string("  <p>x</p>  ", false);
        assert_eq!(text(&raw), "  <p>x</p>  ");
        assert_eq!(raw.file.size(), 12);
    }

    #[test]
    fn files_copy_or_rewrite() {
        let dir = std::env::temp_dir().join(format!("wbm-html-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("page.html");
        std::fs::write(&p, b"<html><head></head>\r\n<p>a\rb</p>\r\n").unwrap();
        let copied = Html::from_file(&p, false).unwrap();
        assert_eq!(
            copied.file.bytes.as_slice(),
            b"<html><head></head>\r\n<p>a\rb</p>\r\n"
        );
        let injected = Html::from_file(&p, true).unwrap();
        assert_eq!(
            text(&injected),
            format!("<html><head>{INJECT_SNIPPET}</head>\n<p>a\nb</p>")
        );
        let htm = dir.join("page.htm");
        std::fs::write(&htm, b"x").unwrap();
        assert!(Html::from_file(&htm, true).is_err());
        let bad = dir.join("bad.html");
        std::fs::write(&bad, b"\xff").unwrap();
        assert!(Html::from_file(&bad, false).is_err());
        assert!(Html::from_file(&dir.join("missing.html"), true).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
