//! # wandb-media
//!
//! Weights & Biases rich media (images, histograms, video, audio, tables, …) produced from
//! native code, with the same JSON, file names and — where the format is deterministic —
//! the same bytes as the `wandb` Python SDK 0.31.0.
//!
//! The data path (see `README.md`): caller buffer → [`tensor::TensorView`] (validated) →
//! the type's own preparation in [`media`] → a pure encoder in [`encode`] →
//! [`media::MediaFile`] → [`run_dir::RunDir::place`] → JSON ([`json`], serialiser A).
//!
//! The Rust API is usable directly; the C ABI in [`ffi`] is a thin layer over it.

/// cbindgen:ignore
pub mod diag;
/// cbindgen:ignore
pub mod encode;
/// cbindgen:ignore
pub mod error;
pub mod ffi;
/// cbindgen:ignore
pub mod json;
/// cbindgen:ignore
pub mod media;
/// cbindgen:ignore
pub mod online;
/// Threads that leave the caller's thread handle alone (see the module).
pub(crate) mod par;
/// cbindgen:ignore
pub mod platform;
/// cbindgen:ignore
pub mod row;
/// cbindgen:ignore
pub mod run;
/// cbindgen:ignore
pub mod run_dir;
/// cbindgen:ignore
pub mod stats;
/// cbindgen:ignore
pub mod tensor;
/// cbindgen:ignore
pub mod value;
/// cbindgen:ignore
pub mod weave;

pub use error::{Error, ErrorKind, Result};
pub use json::Json;
pub use run::{FsyncPolicy, Run, RunOptions};
pub use run_dir::{RunDir, Step};
pub use tensor::{DType, TensorView};
pub use value::Value;

/// The crate version (`major.minor.patch`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
