//! `wandb-media`: upload run directories without Python.
//!
//! ```text
//! wandb-media sync [--base-url URL] [--api-key KEY] [--timeout SECONDS] DIR…
//! wandb-media --help | --version
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use wandb_media::confine::{escape, path_text};
use wandb_media::online::sync::{sync_dir, sync_dir_following_links, SyncResult};
use wandb_media::online::Settings;

const HELP: &str = "wandb-media — Weights & Biases runs from native code, without Python

Usage:
  wandb-media sync [OPTIONS] DIR...   upload run directories (wandb/offline-run-…, or an
                                      interrupted online wandb/run-…; written by this
                                      library or the Python SDK), like `wandb sync`;
                                      or Weave trace spools (./weave, or one weave-… dir)
  wandb-media --help                  this text
  wandb-media --version               the library version

Options of sync:
  --base-url URL      server (default: WANDB_BASE_URL, else https://api.wandb.ai)
  --api-key KEY       API key (default: WANDB_API_KEY, else ~/.netrc as `wandb login` writes it)
  --timeout SECONDS   give up after this long per run (default: no limit)
  --follow-links      also upload files of the run that are symbolic links (run.save links
                      saved files), to wherever they point; only for run directories you
                      trust (default: only regular files inside the run's files/ directory)
  --trace-server-url URL  Weave spools: trace server (default: WF_TRACE_SERVER_URL, else
                      WANDB_BASE_URL/traces, else the URL the spool was written for)

A synced run gets a `run-<id>.wandb.synced` marker and is skipped by later syncs. A log
cut short by a killed program is uploaded up to its last complete record and finished with
exit code 1. Proxies: HTTPS_PROXY / NO_PROXY. Private CA: SSL_CERT_FILE or REQUESTS_CA_BUNDLE.
Exit status: 0 when every directory was uploaded (or already synced), 1 otherwise.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("--help") | Some("-h") | Some("help") => {
            println!("{HELP}");
            if args.is_empty() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Some("--version") | Some("-V") => {
            println!("wandb-media {}", wandb_media::VERSION);
            ExitCode::SUCCESS
        }
        Some("sync") => sync(&args[1..]),
        Some(other) => {
            eprintln!("wandb-media: unknown command {other:?} (try --help)");
            ExitCode::from(2)
        }
    }
}

fn sync(args: &[String]) -> ExitCode {
    let mut base_url = None;
    let mut api_key = None;
    let mut timeout = None;
    let mut follow_links = false;
    let mut trace_url: Option<String> = None;
    let mut dirs = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let mut value = |name: &str| -> Option<String> {
            i += 1;
            let v = args.get(i).cloned();
            if v.is_none() {
                eprintln!("wandb-media: {name} needs a value");
            }
            v
        };
        match a.as_str() {
            "--help" | "-h" => {
                println!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "--follow-links" => follow_links = true,
            "--base-url" => match value("--base-url") {
                Some(v) => base_url = Some(v),
                None => return ExitCode::from(2),
            },
            "--api-key" => match value("--api-key") {
                Some(v) => api_key = Some(v),
                None => return ExitCode::from(2),
            },
            "--trace-server-url" => match value("--trace-server-url") {
                Some(v) => trace_url = Some(v),
                None => return ExitCode::from(2),
            },
            "--timeout" => match value("--timeout").and_then(|v| v.parse::<f64>().ok()) {
                Some(s) if s.is_finite() && s > 0.0 => timeout = Some(Duration::from_secs_f64(s)),
                _ => {
                    eprintln!("wandb-media: --timeout needs a positive number of seconds");
                    return ExitCode::from(2);
                }
            },
            s if s.starts_with('-') => {
                eprintln!("wandb-media: unknown option {s:?} (try --help)");
                return ExitCode::from(2);
            }
            _ => dirs.push(a.clone()),
        }
        i += 1;
    }
    if dirs.is_empty() {
        eprintln!("wandb-media sync: give at least one run directory (try --help)");
        return ExitCode::from(2);
    }
    // Weave trace spools (src/weave): handled there; the rest are run directories.
    let mut failed = 0;
    dirs.retain(|d| {
        match wandb_media::weave::sync_cli(
            Path::new(d),
            trace_url.as_deref(),
            base_url.as_deref(),
            api_key.as_deref(),
            timeout,
        ) {
            None => true,
            Some(ok) => {
                failed += usize::from(!ok);
                false
            }
        }
    });
    if dirs.is_empty() {
        return if failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let settings = match Settings::resolve(base_url.as_deref(), api_key.as_deref(), None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wandb-media: {}", e.message);
            return ExitCode::FAILURE;
        }
    };
    for d in &dirs {
        // Paths and names from the run directory are printed with control characters
        // escaped (a hostile file name cannot forge a line of this output).
        let shown = path_text(d);
        let r = if follow_links {
            sync_dir_following_links(Path::new(d), settings.clone(), timeout)
        } else {
            sync_dir(Path::new(d), settings.clone(), timeout)
        };
        match r {
            Ok(SyncResult::AlreadySynced) => println!("{shown}: already synced, skipped"),
            // The run's page in the app (as the SDK derives it from the base URL).
            Ok(SyncResult::Uploaded(o)) => println!(
                "{shown}: synced {} ({} rows, {} files)",
                escape(o.run_url.as_deref().unwrap_or(&o.run_path)),
                o.rows_sent,
                o.files_sent
            ),
            Err(e) => {
                eprintln!("{shown}: sync failed: {}", escape(&e.message));
                failed += 1;
            }
        }
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
