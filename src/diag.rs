//! Diagnostics: the warnings the SDK prints (`wandb: WARNING …`), routed to a handler the
//! host installs (`wb_set_log_handler`) or, by default, to stderr unless `WANDB_SILENT` is
//! set to a true value. Every place where the library drops or changes user data without
//! failing the call (a row below the current step, a truncated key, …) reports here, so
//! nothing is lost without a word.

use std::sync::RwLock;

/// Severity of a diagnostic (ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Detail for debugging the library (`WB_LOG_DEBUG`).
    Debug = 0,
    /// Progress and state changes (`WB_LOG_INFO`).
    Info = 1,
    /// The SDK's `wandb: WARNING …`: data dropped or changed, the call went on (`WB_LOG_WARN`).
    Warn = 2,
    /// An error reported through the handler (`WB_LOG_ERROR`).
    Error = 3,
}

impl Level {
    fn prefix(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG ",
            Level::Info => "",
            Level::Warn => "WARNING ",
            Level::Error => "ERROR ",
        }
    }
}

/// A host callback: receives the level and the message (no prefix, no newline).
pub type Sink = Box<dyn Fn(Level, &str) + Send + Sync>;

struct Handler {
    sink: Option<Sink>,
    min: Level,
}

static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);

/// Installs `sink` for messages at `min` or above; `None` restores the default (stderr:
/// notices such as the run's URL, warnings and errors; silent under `WANDB_SILENT`).
/// Thread-safe.
pub fn set_handler(sink: Option<Sink>, min: Level) {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    *h = sink.map(|s| Handler { sink: Some(s), min });
}

/// Silences everything (a handler that drops every message). Used by tests.
pub fn silence() {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    *h = Some(Handler {
        sink: None,
        min: Level::Error,
    });
}

/// `WANDB_SILENT` as the SDK reads it (a true-ish string).
fn env_silent() -> bool {
    match std::env::var("WANDB_SILENT") {
        Ok(v) => matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on" | "y" | "t"
        ),
        Err(_) => false,
    }
}

/// Reports one message at `level`.
pub fn log(level: Level, msg: &str) {
    let h = HANDLER.read().unwrap_or_else(|p| p.into_inner());
    match &*h {
        Some(Handler { sink, min }) => {
            if level >= *min {
                if let Some(s) = sink {
                    s(level, msg);
                }
            }
        }
        None => {
            // Info too: the run's URL ("View run at …") is printed by default, as the SDK.
            if level >= Level::Info && !env_silent() {
                eprintln!("wandb: {}{}", level.prefix(), msg);
            }
        }
    }
}

/// Reports a warning (what the SDK prints with `termwarn`).
pub fn warn(msg: &str) {
    log(Level::Warn, msg);
}
