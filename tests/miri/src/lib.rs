//! The modules under Miri (`scripts/miri.sh`); their own `#[cfg(test)]` tests run.
#![allow(dead_code)]

#[path = "../../../src/error.rs"]
pub mod error;
#[path = "../../../src/text_escape.rs"]
pub mod text_escape;
#[path = "../../../src/json/mod.rs"]
pub mod json;
#[path = "../../../src/stats.rs"]
pub mod stats;
#[path = "../../../src/tensor.rs"]
pub mod tensor;
#[path = "../../../src/par.rs"]
pub mod par;
