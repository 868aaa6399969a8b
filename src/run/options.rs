//! How a run is opened: [`RunOptions`] (the `wandb.init` arguments a native program can
//! give) and the environment variables that fill what is not given, as the SDK reads them.

use std::time::Duration;

use super::console;
use crate::error::{Error, Result};
use crate::json::Json;

/// When the log file is forced to stable storage with `fsync`. Records always reach the
/// operating system before a synchronous call returns (they survive a killed process);
/// fsync additionally protects against power loss / kernel crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// At `flush` and `finish` (default).
    #[default]
    OnFlush,
    /// Never (fastest; the OS writes back on its own).
    Never,
    /// After every call's records (slowest).
    Always,
}

/// Default depth of the async queue (calls waiting for the writer thread).
pub const DEFAULT_QUEUE_DEPTH: usize = 1024;

/// Online mode: how long `finish` waits for uploads by default.
pub const DEFAULT_FINISH_TIMEOUT: Duration = Duration::from_secs(600);

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Fills unset options from the environment as the SDK reads it (`WANDB_PROJECT`,
/// `WANDB_ENTITY`, `WANDB_NAME`, `WANDB_NOTES`, `WANDB_TAGS` (comma-separated),
/// `WANDB_RUN_GROUP`, `WANDB_JOB_TYPE`, `WANDB_RUN_ID`) and resolves the mode
/// (`WANDB_MODE`; `Auto` without it: online when an API key is given, else offline).
pub(super) fn apply_env(o: &mut RunOptions) -> Result<crate::online::Mode> {
    use crate::online::Mode;
    for (slot, var) in [
        (&mut o.project, "WANDB_PROJECT"),
        (&mut o.entity, "WANDB_ENTITY"),
        (&mut o.name, "WANDB_NAME"),
        (&mut o.notes, "WANDB_NOTES"),
        (&mut o.group, "WANDB_RUN_GROUP"),
        (&mut o.job_type, "WANDB_JOB_TYPE"),
        (&mut o.id, "WANDB_RUN_ID"),
    ] {
        if slot.is_none() {
            *slot = env_opt(var);
        }
    }
    if o.tags.is_empty() {
        if let Some(t) = env_opt("WANDB_TAGS") {
            o.tags = t
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
    }
    Ok(match o.mode {
        Mode::Auto => match env_opt("WANDB_MODE") {
            Some(m) => match Mode::parse(&m) {
                Some(Mode::Auto) | None => {
                    return Err(Error::invalid(format!(
                        "WANDB_MODE={m:?}: use online, offline, shared or disabled"
                    )))
                }
                Some(m) => m,
            },
            None if o.api_key.is_some() || env_opt("WANDB_API_KEY").is_some() => Mode::Online,
            None => Mode::Offline,
        },
        m => m,
    })
}

/// How to open a run (`wandb.init` arguments a native program can give).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `project=` (else `WANDB_PROJECT`, else the default).
    pub project: Option<String>,
    /// `entity=` (else `WANDB_ENTITY`, else the server's default entity).
    pub entity: Option<String>,
    /// Display name (`name=`).
    pub name: Option<String>,
    /// Run id; `None` = 8 random characters of `[0-9a-z]`, like the SDK.
    pub id: Option<String>,
    /// `group=` (else `WANDB_RUN_GROUP`).
    pub group: Option<String>,
    /// `job_type=` (else `WANDB_JOB_TYPE`).
    pub job_type: Option<String>,
    /// `notes=` (else `WANDB_NOTES`).
    pub notes: Option<String>,
    /// Initial config: a JSON object (`config=`).
    pub config: Option<Json>,
    /// `tags=` (else `WANDB_TAGS`, comma-separated).
    pub tags: Vec<String>,
    /// When the log is forced to disk (see [`FsyncPolicy`]).
    pub fsync: FsyncPolicy,
    /// `Some(depth)`: records are appended by a writer thread fed through a bounded queue
    /// of `depth` calls (0 = default); `log` returns once media are written and the row is
    /// queued. `None`: synchronous appends.
    pub async_queue: Option<usize>,
    /// Offline / online / disabled (`Auto`: `WANDB_MODE`, else online when an API key is
    /// given as option or `WANDB_API_KEY`, else offline).
    pub mode: crate::online::Mode,
    /// Online: server URL (else `WANDB_BASE_URL`, else `https://api.wandb.ai`).
    pub base_url: Option<String>,
    /// Online: API key (else `WANDB_API_KEY`, else `~/.netrc`).
    pub api_key: Option<String>,
    /// Online: `resume=` (else `WANDB_RESUME`, else never).
    pub resume: Option<crate::online::Resume>,
    /// Online: how long `finish` waits for uploads (`None`: 10 minutes).
    pub finish_timeout: Option<Duration>,
    /// No system-metrics sampler thread (the SDK's `x_disable_stats`).
    pub disable_stats: bool,
    /// Sampling interval of the system metrics (`None` = 15 s, the SDK's default; at
    /// least 100 ms).
    pub stats_interval: Option<Duration>,
    /// Console log (`console=`; `Auto`: `WANDB_CONSOLE`, else `Wrap`).
    pub console: console::ConsoleMode,
    /// Shared mode: the writer's label (`x_label`; else `WANDB_X_LABEL`, else `rank<N>` from
    /// a launcher's rank variable, else `<host>-<8 random>`).
    pub label: Option<String>,
    /// Shared mode: `x_primary` (else `WANDB_X_PRIMARY`, else true).
    pub primary: Option<bool>,
    /// Shared mode: `x_update_finish_state` (else `WANDB_X_UPDATE_FINISH_STATE`, else true).
    pub update_finish_state: Option<bool>,
}
