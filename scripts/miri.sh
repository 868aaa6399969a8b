#!/usr/bin/env bash
# Miri (nightly) on the pure-Rust modules whose unsafe code it can interpret: tensor views
# (strided reads, align_to), JSON (parser limits, writers, float formatting) and stats
# (histograms, statistics; Miri takes the portable path of the AVX2-dispatched kernels).
# tests/miri is a small crate that compiles those files on their own (no zlib/OpenH264).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^miri' || rustup +nightly component add miri rust-src
export CARGO_TARGET_DIR="$PWD/target/miri"
nice -n 10 cargo +nightly miri test --manifest-path tests/miri/Cargo.toml "$@"
