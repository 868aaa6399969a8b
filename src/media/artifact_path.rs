//! Artifact entry names of logged tables, ported from the SDK (wandb 0.31, POSIX):
//! `wandb.sdk.lib.paths.LogicalPath`, `WBValue.with_suffix` and
//! `wandb.sdk.lib.paths.validate_relpath` (raised as `Invalid artifact path: '…'` by
//! `wandb.sdk.artifacts._validators.validate_artifact_path`). A table logged under `key`
//! becomes the entry `with_suffix(LogicalPath(key))` of its `run_table` artifact, and
//! `Artifact.new_file` validates that name.

use crate::error::{Error, Result};

/// `str(LogicalPath(path))` on POSIX: `PurePosixPath` normalisation — empty and `.`
/// components dropped, a trailing `/` removed, exactly two leading slashes kept (POSIX
/// leaves `//` implementation-defined), an empty path is `.`. Backslashes are literal.
pub fn logical_path(path: &str) -> String {
    let lead = path.len() - path.trim_start_matches('/').len();
    let root = match lead {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let body = parts.join("/");
    if root.is_empty() && body.is_empty() {
        ".".to_string()
    } else {
        format!("{root}{body}")
    }
}

/// `WBValue.with_suffix(name)`: `<name>.<log_type>.json` unless the name already ends in
/// `<log_type>.json` (a plain `endswith`, so `mytable.json` is kept as it is).
pub fn with_suffix(name: &str, log_type: &str) -> String {
    let suffix = format!("{log_type}.json");
    if name.ends_with(&suffix) {
        name.to_string()
    } else {
        format!("{name}.{suffix}")
    }
}

/// `PureWindowsPath(path).anchor` is non-empty (Python 3.11 `_WindowsFlavour.splitroot`,
/// with `/` read as `\`): a root separator first, or an ASCII drive letter and `:`.
fn windows_anchor(path: &str) -> bool {
    let b = path.as_bytes();
    matches!(b.first(), Some(b'/') | Some(b'\\'))
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// `validate_relpath(path)`: rejects `.`, absolute paths, `..` components (POSIX or
/// Windows parsing) and Windows anchors (`C:`, `\x`).
pub fn validate_relpath(path: &str) -> Result<String> {
    let logical = logical_path(path);
    let posix_anchor = logical.starts_with('/');
    let posix_dotdot = logical.split('/').any(|p| p == "..");
    let win_dotdot = path.split(['/', '\\']).any(|p| p == "..");
    if logical == "." || posix_anchor || posix_dotdot || windows_anchor(path) || win_dotdot {
        return Err(Error::invalid(format!(
            "Invalid artifact path: {}",
            crate::media::table::pyrepr::str_repr(path)
        )));
    }
    Ok(logical)
}

/// The entry name of a value with `log_type` (`table`, `joined-table`) logged under `key`,
/// or the SDK's `ValueError: Invalid artifact path: '<name>'`.
pub fn entry_name(key: &str, log_type: &str) -> Result<String> {
    let name = with_suffix(&logical_path(key), log_type);
    validate_relpath(&name)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every expectation below is what wandb 0.31 wrote (or raised) for a table logged
    /// under that key (tests/difffuzz probes, Linux).
    #[test]
    fn table_entry_names_follow_the_sdk() {
        for (key, want) in [
            ("eval/", "eval.table.json"),
            ("./x", "x.table.json"),
            ("a//b", "a/b.table.json"),
            ("", "..table.json"),
            (".", "..table.json"),
            ("..", "...table.json"),
            ("a/.", "a.table.json"),
            ("a/./b", "a/b.table.json"),
            ("a\\b", "a\\b.table.json"),
            ("a b", "a b.table.json"),
            ("x/", "x.table.json"),
            ("t.table.json", "t.table.json"),
            ("mytable.json", "mytable.json"),
        ] {
            assert_eq!(entry_name(key, "table").unwrap(), want, "key {key:?}");
        }
        for (key, shown) in [
            ("/t", "'/t.table.json'"),
            ("a/../t", "'a/../t.table.json'"),
            ("c:t", "'c:t.table.json'"),
            ("../a", "'../a.table.json'"),
            ("\\x", "'\\\\x.table.json'"),
            ("a\\..\\b", "'a\\\\..\\\\b.table.json'"),
            ("//x", "'//x.table.json'"),
        ] {
            let e = entry_name(key, "table").unwrap_err();
            assert_eq!(
                e.message,
                format!("Invalid artifact path: {shown}"),
                "key {key:?}"
            );
        }
        assert_eq!(
            entry_name("j/", "joined-table").unwrap(),
            "j.joined-table.json"
        );
    }
}
