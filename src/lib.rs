//! # wandb-media
//!
//! Weights & Biases rich media (images, histograms, video, audio, tables, …) produced from
//! native code, with the same JSON, file names and — where the format is deterministic —
//! the same bytes as the `wandb` Python SDK 0.31.0.
//!
//! The data path (see `README.md`): caller buffer → [`tensor::TensorView`] (validated) →
//! the type's own preparation in [`media`] → a pure encoder → [`media::MediaFile`] →
//! [`run_dir::RunDir::place`] → JSON ([`Json`], serialiser A).
//!
//! ## Use from Rust
//!
//! The crate is usable directly (`wandb_media = { path = "…" }`, or from a git checkout):
//! the C ABI is a thin layer over the same types. A run is opened with [`Run::open`], rows
//! are slices of `(key, Value)` pairs, media come from [`media`] and go into a row through
//! `Value::from` (or `.into()`):
//!
//! ```
//! use wandb_media::media::histogram::Histogram;
//! use wandb_media::media::image::Image;
//! use wandb_media::{DType, Run, RunMode, RunOptions, TensorView, Value};
//!
//! # fn main() -> wandb_media::Result<()> {
//! # let tmp = tempfile::tempdir().unwrap();
//! # let root = tmp.path();
//! let run = Run::open(
//!     root, // the run goes to <root>/wandb/offline-run-<date>_<time>-<id>/
//!     RunOptions { project: Some("demo".into()), mode: RunMode::Offline, ..Default::default() },
//! )?;
//! let pixels: Vec<u8> = (0..32 * 32 * 3).map(|i| (i % 251) as u8).collect();
//! let weights: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin()).collect();
//! let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
//! for step in 0..3 {
//!     let row = vec![
//!         ("loss".to_string(), Value::Float(1.0 / (1.0 + step as f64))),
//!         ("sample".to_string(), Image::from_u8(&pixels, 32, 32, 3)?.into()),
//!         (
//!             "weights".to_string(),
//!             Value::Histogram(Histogram::from_tensor(
//!                 &TensorView::new(&bytes, DType::F32, &[weights.len()])?,
//!                 64,
//!             )?),
//!         ),
//!     ];
//!     run.log(&row, None, None)?; // thread-safe: `run` may be shared (&Run) across threads
//! }
//! run.finish(0)?; // exit code 0; dropping an unfinished Run finishes it with 0
//! assert!(run.dir().join(format!("run-{}.wandb", run.id())).is_file());
//! assert!(run.files_dir().join("media/images").is_dir());
//! # Ok(())
//! # }
//! ```
//!
//! `examples/rust_run.rs` is a complete program (`cargo run --release --example rust_run
//! -- OUT_DIR`); upload its run with `wandb sync` or the crate's `wandb-media sync`.
//!
//! ## What is public
//!
//! The Rust API — kept compatible like the C API (breaking changes only in a minor
//! release while 0.x, listed in `CHANGELOG.md`) — is what these docs show: [`Run`] and
//! [`RunOptions`] (with [`RunMode`], [`Resume`], [`FsyncPolicy`], [`run::metric`],
//! [`run::artifact`]), [`Value`], the media types in [`media`], [`TensorView`]/[`DType`],
//! [`RunDir`] with [`row::convert_row`] (a row's JSON without a run), [`Json`],
//! [`diag`] (the warnings handler) and [`Error`]/[`Result`].
//!
//! Modules hidden from these docs (`encode`, `ffi`, `json`, `online`, `platform`, `stats`
//! and the record-level submodules of `run`) are the library's internals: they stay `pub`
//! only for the repository's own CLI, tests, benchmarks and fuzz targets, and may change
//! in any release. `ffi` is the C ABI, documented in `include/wandb_media.h`.

/// cbindgen:ignore
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod confine;
/// cbindgen:ignore
pub mod diag;
// Hidden internals (see "What is public"): their docs are for the library's maintainers and
// link to private items freely (`cargo doc --document-private-items` resolves them), so
// rustdoc's link lints are off for them only.
/// cbindgen:ignore
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod encode;
/// cbindgen:ignore
pub mod error;
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod ffi;
/// cbindgen:ignore
#[doc(hidden)]
pub mod json;
/// cbindgen:ignore
pub mod media;
/// cbindgen:ignore
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod online;
/// Threads that leave the caller's thread handle alone (see the module).
pub(crate) mod par;
/// cbindgen:ignore
#[doc(hidden)]
pub mod platform;
/// cbindgen:ignore
pub mod row;
/// cbindgen:ignore
pub mod run;
/// cbindgen:ignore
pub mod run_dir;
/// cbindgen:ignore
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod stats;
/// cbindgen:ignore
pub mod tensor;
/// cbindgen:ignore
#[doc(hidden)]
pub mod text_escape;
/// cbindgen:ignore
pub mod value;
/// cbindgen:ignore
#[doc(hidden)]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]
pub mod weave;

pub use error::{Error, ErrorKind, Result};
pub use json::Json;
pub use online::{Mode as RunMode, Resume};
pub use run::{FsyncPolicy, Run, RunOptions};
pub use run_dir::{RunDir, Step};
pub use tensor::{DType, TensorView};
pub use value::Value;

/// The crate version (`major.minor.patch`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// README.md's Rust blocks are doctests (run by `cargo test`, make test-rust).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
