#!/usr/bin/env bash
# Runs cargo-fuzz targets one at a time (nice'd: the fuzzers are CPU-bound), each for SECS
# seconds on the checked-in seed corpus fuzz/corpus/<target> (read only) plus a scratch
# corpus in target/fuzz-corpus/<target> that keeps what it finds between runs.
# Installs the nightly toolchain and cargo-fuzz if missing. A crash fails the run and leaves
# the input in fuzz/artifacts/<target>/ (add it as a regression test, then to the corpus).
# Usage: scripts/fuzz.sh SECS target...   |   scripts/fuzz.sh --build-only
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="$1"; shift
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# One build for all targets (ASan, debug assertions on, release optimisation).
nice -n 10 cargo +nightly fuzz build -O --debug-assertions
[ "$SECS" = --build-only ] && exit 0
summary=()
for t in "$@"; do
    mkdir -p "target/fuzz-corpus/$t"
    log="target/fuzz-corpus/$t.log"
    echo "== fuzz $t (${SECS}s)"
    if ! nice -n 10 cargo +nightly fuzz run -O --debug-assertions "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECS" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 \
        -print_final_stats=1 -close_fd_mask=1 >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz $t: CRASH (input in fuzz/artifacts/$t/)"
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    summary+=("$t: ${execs:-?} executions, $cov")
done
printf '%s\n' "${summary[@]}"
