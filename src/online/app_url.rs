//! The run's page in the W&B app (issue 23, item 3): the app URL derived from the API base
//! URL as wandb 0.31 derives it (`wandb.util.api_to_app_url`, `Settings.app_url`,
//! `Settings.run_url`; our own implementation), and the run's location on the server once
//! `UpsertBucket` answered (the entity and project the server actually used).
//!
//! Derivation (the SDK's table, in its order; the checks on the URL text are
//! case-sensitive substring tests, as the SDK's):
//!
//! | base URL                                        | app URL                               |
//! |-------------------------------------------------|---------------------------------------|
//! | `WANDB_APP_URL` set (any base URL)              | that value (trailing `/` removed)     |
//! | host `api.wandb.ai`, `forge.coreweave.com` or `api.forge.coreweave.com` | `https://forge.coreweave.com/wandb` |
//! | host `api.qa.wandb.ai`, `qa.forge.coreweave.com`, `api.qa.forge.coreweave.com` | `https://qa.forge.coreweave.com/wandb` |
//! | contains `://api.wandb.test`                    | `://api.` → `://app.` (dev)           |
//! | contains `://api.wandb.`                        | `://api.` → `://` (cloud)             |
//! | contains `://api.`                              | `://api.` → `://app.` (dedicated)     |
//! | anything else (self-hosted, local)              | the base URL itself, path included    |
//!
//! The run's page is `<app>/<entity>/<project>/runs/<id>` with entity and project
//! percent-encoded as Python's `quote` (unreserved characters and `/` kept) and the id with
//! `=+&$@` also kept, as `Settings.run_url`.

use std::sync::Mutex;

/// Each CoreWeave Forge host and the W&B API host behind it (wandb 0.31 `urls.FORGE_HOSTS`).
const FORGE_HOSTS: [(&str, &str); 2] = [
    ("forge.coreweave.com", "api.wandb.ai"),
    ("qa.forge.coreweave.com", "api.qa.wandb.ai"),
];
/// Where the app lives on a Forge host (`urls.FORGE_APP_PATH`).
const FORGE_APP_PATH: &str = "/wandb";

/// The lower-cased host name of a URL, as Python's `urlsplit(url).hostname` (no user
/// info, no port, IPv6 brackets removed); `None` without one.
fn hostname(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r)?;
    let netloc = rest.split(['/', '?', '#']).next()?;
    let hostport = netloc.rsplit('@').next()?;
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => hostport.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The Forge host serving the W&B deployment at `url`, if any (`urls.forge_host`).
fn forge_host(url: &str) -> Option<&'static str> {
    let h = hostname(url)?;
    FORGE_HOSTS
        .iter()
        .find(|(forge, api)| h == *forge || h == format!("api.{forge}") || h == *api)
        .map(|(forge, _)| *forge)
}

/// `str.strip("/")`.
fn strip_slashes(s: &str) -> String {
    s.trim_matches('/').to_string()
}

/// The app (UI) URL for an API base URL, without consulting the environment
/// (`wandb.util.api_to_app_url`). See the module table.
pub fn api_to_app_url(base_url: &str) -> String {
    if let Some(host) = forge_host(base_url) {
        format!("https://{host}{FORGE_APP_PATH}")
    } else if base_url.contains("://api.wandb.test") {
        strip_slashes(&base_url.replace("://api.", "://app."))
    } else if base_url.contains("://api.wandb.") {
        strip_slashes(&base_url.replace("://api.", "://"))
    } else if base_url.contains("://api.") {
        strip_slashes(&base_url.replace("://api.", "://app."))
    } else {
        base_url.to_string()
    }
}

/// The app URL of a run talking to `base_url`: `override_url` (`WANDB_APP_URL`) if set,
/// else derived from the base URL. Never ends with `/`.
pub fn app_url_with(base_url: &str, override_url: Option<&str>) -> String {
    let url = match override_url.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => v.to_string(),
        None => api_to_app_url(base_url),
    };
    url.trim_end_matches('/').to_string()
}

/// [`app_url_with`] with `WANDB_APP_URL` from the environment.
pub fn app_url(base_url: &str) -> String {
    app_url_with(base_url, std::env::var("WANDB_APP_URL").ok().as_deref())
}

/// Python's `urllib.parse.quote(s, safe=safe)`: UTF-8 bytes other than ASCII letters,
/// digits, `_.-~` and `safe` become `%XX` (upper-case hex).
fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || safe.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `<app>/<entity>/<project>/runs/<id>` (`Settings.run_url`).
pub fn run_url(app: &str, entity: &str, project: &str, run_id: &str) -> String {
    format!(
        "{app}/{}/{}/runs/{}",
        quote(entity, "/"),
        quote(project, "/"),
        quote(run_id, "=+&$@")
    )
}

/// Where the server put a run (known once `UpsertBucket` answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLocation {
    /// The entity the server used (the key's default entity when none was given).
    pub entity: String,
    /// The project the server used (`uncategorized` when none was given).
    pub project: String,
    pub run_id: String,
    /// The server's display name of the run (it generates one when none was given).
    pub name: String,
    /// The run's page in the app.
    pub url: String,
}

/// The location of an online run, written by the uploader thread once the server answered
/// and read by the host's threads (`wb_run_url`). Thread-safe.
#[derive(Debug, Default)]
pub struct Location(Mutex<Option<RunLocation>>);

impl Location {
    pub fn get(&self) -> Option<RunLocation> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records the location; returns true the first time (when the URL is to be announced).
    pub fn set(&self, loc: RunLocation) -> bool {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let first = g.is_none();
        *g = Some(loc);
        first
    }
}

/// The notice at open (the SDK's `🚀 View run at <url>`, without the emoji: the message
/// goes to a log handler, not a terminal).
pub fn open_notice(loc: &RunLocation) -> String {
    format!("View run at {}", loc.url)
}

/// The notice at finish (the SDK's footer `🚀 View run <name> at: <url>`).
pub fn finish_notice(loc: &RunLocation) -> String {
    if loc.name.is_empty() {
        format!("View run at: {}", loc.url)
    } else {
        format!(
            "View run {} at: {}",
            crate::confine::escape(&loc.name),
            loc.url
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row's expected value is what wandb 0.31.0's `wandb.util.api_to_app_url` returns
    /// for the base URL (checked with the pinned SDK; tests/online `url` also compares a
    /// live run's URL with the SDK's `Settings.run_url`).
    #[test]
    fn app_url_table_as_the_sdk() {
        let table = [
            ("https://api.wandb.ai", "https://forge.coreweave.com/wandb"),
            ("HTTPS://API.WANDB.AI", "https://forge.coreweave.com/wandb"),
            (
                "https://api.wandb.ai:443",
                "https://forge.coreweave.com/wandb",
            ),
            (
                "https://api.forge.coreweave.com",
                "https://forge.coreweave.com/wandb",
            ),
            (
                "https://forge.coreweave.com/api/wandb",
                "https://forge.coreweave.com/wandb",
            ),
            (
                "https://api.qa.wandb.ai",
                "https://qa.forge.coreweave.com/wandb",
            ),
            ("https://wandb.example.com", "https://wandb.example.com"),
            ("https://api.example.com", "https://app.example.com"),
            ("https://api.wandb.example.com", "https://wandb.example.com"),
            ("https://api.eu.wandb.ai", "https://app.eu.wandb.ai"),
            ("http://api.wandb.test", "http://app.wandb.test"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://localhost:8080", "http://localhost:8080"),
            (
                "https://example.com/wandb/api",
                "https://example.com/wandb/api",
            ),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ];
        for (base, app) in table {
            assert_eq!(api_to_app_url(base), app, "{base}");
            assert_eq!(app_url_with(base, None), app, "{base}");
        }
    }

    #[test]
    fn override_and_run_urls() {
        assert_eq!(
            app_url_with("https://api.wandb.ai", Some("https://ui.example.org/")),
            "https://ui.example.org"
        );
        assert_eq!(
            app_url_with("http://127.0.0.1:8080", Some("  ")),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            run_url("http://127.0.0.1:8080", "default", "wbm-url", "ab12cd34"),
            "http://127.0.0.1:8080/default/wbm-url/runs/ab12cd34"
        );
        // A base URL with a path keeps it (a server under a path prefix).
        assert_eq!(
            run_url(
                &app_url_with("https://example.com/wandb/", None),
                "team",
                "p",
                "x"
            ),
            "https://example.com/wandb/team/p/runs/x"
        );
        // Python's quote: space, non-ASCII, reserved characters; the id keeps =+&$@.
        assert_eq!(
            run_url("https://a", "my team", "prøj/ect?", "a=b+c&d$e@f g"),
            "https://a/my%20team/pr%C3%B8j/ect%3F/runs/a=b+c&d$e@f%20g"
        );
        assert_eq!(
            hostname("https://user@Host.Example:99/x").as_deref(),
            Some("host.example")
        );
    }

    #[test]
    fn location_announces_once() {
        let l = Location::default();
        assert!(l.get().is_none());
        let loc = RunLocation {
            entity: "e".into(),
            project: "p".into(),
            run_id: "i".into(),
            name: "n".into(),
            url: "http://h/e/p/runs/i".into(),
        };
        assert!(l.set(loc.clone()));
        assert!(!l.set(loc.clone()));
        assert_eq!(l.get(), Some(loc.clone()));
        assert_eq!(open_notice(&loc), "View run at http://h/e/p/runs/i");
        assert_eq!(finish_notice(&loc), "View run n at: http://h/e/p/runs/i");
    }
}
