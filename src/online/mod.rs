//! Online runs and native sync: a W&B protocol client for what this library logs.
//!
//! Design (as wandb-core): the run keeps writing the same records to its `.wandb` log; a
//! [`sender::Sender`] turns records (run, config, history, summary, files, artifact,
//! environment, exit) into API calls (GraphQL `UpsertBucket`, `CreateRunFiles` + `PUT`,
//! `CreateArtifact`…, and `POST …/file_stream`).
//!
//! * **Online mode**: a background uploader thread ([`uploader`]) *tails the run's own log
//!   file* and feeds every complete record to the sender. The log on disk is the queue:
//!   `wb_run_log` only appends to the file (as in offline mode) and never waits for the
//!   network; if the server is slow or down, records simply wait on disk. The uploader's
//!   memory is bounded (see [`MEMORY_BOUND`]): it reads at most [`READ_CHUNK`] bytes of log
//!   at a time and stops reading while [`MAX_PENDING_BYTES`] of history are unsent or
//!   [`MAX_PENDING_FILES`] files wait for upload.
//! * **Native sync** ([`sync`]): the same reader over a finished (or interrupted) run
//!   directory, feeding the same sender; a `run-<id>.wandb.synced` marker is written at the
//!   end, like `wandb sync`, and a marked run is skipped.
//!
//! Configuration order (highest first): explicit option, environment variable
//! (`WANDB_MODE`, `WANDB_API_KEY`, `WANDB_BASE_URL`, …), `~/.netrc` (API key only), default.

pub mod app_url;
pub mod http;
pub mod reader;
pub mod sender;
pub mod status;
pub mod sync;
pub mod uploader;

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// Most bytes of log the uploader reads at once.
pub const READ_CHUNK: usize = 4 << 20;
/// History/summary bytes waiting for file_stream above which the uploader stops reading
/// the log (wandb-core's request size limit).
pub const MAX_PENDING_BYTES: usize = 10 << 20;
/// Files waiting for upload above which the uploader stops reading the log.
pub const MAX_PENDING_FILES: usize = 4096;
/// Documented upper bound of the uploader's own memory (read buffer + one file_stream
/// request being built and its JSON copy + pending file paths + the largest single record
/// the log can hold is bounded by READ_CHUNK), about 40 MiB, plus one server answer of at
/// most [`http::MAX_RESPONSE_BYTES`] being parsed. Files are streamed from disk by the
/// HTTP body (never held in memory, whatever their size); only regular files are sent.
pub const MEMORY_BOUND: usize = READ_CHUNK + 3 * MAX_PENDING_BYTES + (2 << 20);

/// `wandb.init(mode=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `WANDB_MODE` if set; else online when an API key is given (option or
    /// `WANDB_API_KEY`); else offline.
    #[default]
    Auto,
    Offline,
    Online,
    /// Every call succeeds and does nothing (no files, no network).
    Disabled,
    /// `mode="shared"`: one of several writers of one run id, uploaded live (see
    /// [`crate::run::shared`]).
    Shared,
    /// A shared writer that runs offline; `wandb-media sync` uploads it as a live shared
    /// writer would have been.
    SharedOffline,
}

/// `wandb.init(resume=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resume {
    /// A run with the same id must not exist on the server (default; the SDK's `None`
    /// behaves the same for a fresh id).
    #[default]
    Never,
    /// Continue the run if it exists, else start it.
    Allow,
    /// The run must exist.
    Must,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "online" | "run" => Some(Mode::Online),
            "offline" | "dryrun" => Some(Mode::Offline),
            "disabled" => Some(Mode::Disabled),
            "shared" => Some(Mode::Shared),
            "" => Some(Mode::Auto),
            _ => None,
        }
    }
}

impl Resume {
    pub fn parse(s: &str) -> Option<Resume> {
        match s.trim().to_ascii_lowercase().as_str() {
            "never" | "" | "false" => Some(Resume::Never),
            "allow" | "auto" | "true" => Some(Resume::Allow),
            "must" => Some(Resume::Must),
            _ => None,
        }
    }
}

/// Where and how to talk to the server (resolved; see [`Settings::resolve`]).
#[derive(Debug, Clone)]
pub struct Settings {
    pub base_url: String,
    pub api_key: String,
    pub resume: Resume,
    /// file_stream sends at most this often (wandb-core: 15 s).
    pub transmit_interval: Duration,
    /// An empty file_stream request keeps the run alive this often (wandb-core: 30 s).
    pub heartbeat: Duration,
    /// Retry backoff bounds (wandb-core: 2 s … 60 s).
    pub retry_min: Duration,
    pub retry_max: Duration,
}

pub const DEFAULT_BASE_URL: &str = "https://api.wandb.ai";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_secs(name: &str) -> Option<Duration> {
    env(name)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The password of `machine <host>` in `~/.netrc` (what `wandb login` writes).
pub fn netrc_key(base_url: &str) -> Option<String> {
    let host = host_of(base_url)?;
    let path = env("NETRC")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".netrc")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    let mut in_machine = false;
    while i < tokens.len() {
        match tokens[i] {
            "machine" => {
                in_machine = tokens.get(i + 1) == Some(&host.as_str());
                i += 2;
            }
            "default" => {
                in_machine = false;
                i += 1;
            }
            "password" if in_machine => return tokens.get(i + 1).map(|s| s.to_string()),
            _ => i += 1,
        }
    }
    None
}

/// `host` (or `host:port` without the default port) of a URL, as netrc names machines.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split(['/', '?', '#']).next()?;
    let hostport = hostport.rsplit('@').next()?;
    let host = hostport.split(':').next()?;
    (!host.is_empty()).then(|| host.to_string())
}

impl Settings {
    /// Explicit values win, then the environment, then defaults. An API key is required.
    pub fn resolve(
        base_url: Option<&str>,
        api_key: Option<&str>,
        resume: Option<Resume>,
    ) -> Result<Settings> {
        let base_url = base_url
            .map(str::to_string)
            .or_else(|| env("WANDB_BASE_URL"))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid(format!(
                "base_url {base_url:?} must start with http:// or https://"
            )));
        }
        let api_key = api_key
            .map(str::to_string)
            .or_else(|| env("WANDB_API_KEY"))
            .or_else(|| netrc_key(&base_url))
            .ok_or_else(|| {
                Error::invalid(
                    "online mode needs an API key: set options.api_key, WANDB_API_KEY, or run `wandb login`",
                )
            })?;
        let resume = match resume {
            Some(r) => r,
            None => match env("WANDB_RESUME") {
                Some(v) => Resume::parse(&v).ok_or_else(|| {
                    Error::invalid(format!("WANDB_RESUME={v:?}: use never, allow or must"))
                })?,
                None => Resume::Never,
            },
        };
        Ok(Settings {
            base_url,
            api_key,
            resume,
            transmit_interval: env_secs("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL")
                .unwrap_or(Duration::from_secs(15)),
            heartbeat: Duration::from_secs(30),
            retry_min: env_secs("WANDB_X_RETRY_MIN_SECONDS").unwrap_or(Duration::from_secs(2)),
            retry_max: env_secs("WANDB_X_RETRY_MAX_SECONDS").unwrap_or(Duration::from_secs(60)),
        })
    }
}

/// A warning through the library's diagnostics hook (`wb_set_log_handler`; stderr unless
/// `WANDB_SILENT` by default).
pub fn warn(msg: &str) {
    crate::diag::warn(msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_modes() {
        assert_eq!(
            host_of("https://api.wandb.ai").as_deref(),
            Some("api.wandb.ai")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/x").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(Mode::parse("dryrun"), Some(Mode::Offline));
        assert_eq!(Mode::parse("RUN"), Some(Mode::Online));
        assert_eq!(Mode::parse("nope"), None);
        assert_eq!(Resume::parse("must"), Some(Resume::Must));
    }
}
