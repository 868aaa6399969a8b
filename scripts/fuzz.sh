#!/usr/bin/env bash
# Runs cargo-fuzz targets, FUZZ_JOBS at a time (default: the number of cores; nice'd: the
# fuzzers are CPU-bound and single-threaded, so two cores fuzz two targets), each for SECS
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
fuzz_one() {  # target: fuzzes it, writes target/fuzz-corpus/<t>.summary; 1 on a crash
    local t="$1"
    rm -f "target/fuzz-corpus/$t.summary"
    mkdir -p "target/fuzz-corpus/$t"
    local log="target/fuzz-corpus/$t.log" curve sampler rc execs cov plateau
    echo "== fuzz $t (${SECS}s)"
    : >"$log"
    # Coverage over time (for the plateau report): every 10 s, "<elapsed s> <cov> <executions>"
    # from libFuzzer's latest status line.
    curve="target/fuzz-corpus/$t.curve"; : >"$curve"
    # (the clock starts at libFuzzer's first status line, after any rebuild)
    ( start=; while sleep 10; do
        l=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -1) || true
        [ -n "$l" ] || continue
        [ -n "$start" ] || start=$((SECONDS - 10))
        echo "$((SECONDS - start)) $(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$l") $(sed -E 's/^#([0-9]+).*/\1/' <<<"$l")" >>"$curve"
      done ) & sampler=$!
    rc=0
    # Absolute corpus paths: a target may change its working directory (run_save does, as
    # wb_run_save resolves paths against it), and libFuzzer writes new inputs afterwards.
    nice -n 10 cargo +nightly fuzz run -O --debug-assertions "$t" "$PWD/target/fuzz-corpus/$t" "$PWD/fuzz/corpus/$t" -- \
        -max_total_time="$SECS" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 \
        -print_final_stats=1 -close_fd_mask=1 >"$log" 2>&1 || rc=$?
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    if [ "$rc" != 0 ]; then
        tail -40 "$log"
        echo "fuzz $t: CRASH (input in fuzz/artifacts/$t/)"
        return 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1)
    # Coverage at 10 % / 50 % of the time, and when it last grew.
    plateau=$(awk -v T="$SECS" '{ t[NR]=$1; c[NR]=$2 } END {
        for (i=1;i<=NR;i++) { if (t[i] <= T*0.1) c10=c[i]; if (t[i] <= T*0.5) c50=c[i] }
        last=0; for (i=2;i<=NR;i++) if (c[i] > c[i-1]) last=t[i];
        printf "cov at 10%%/50%%/end: %s/%s/%s, last growth at %ss of %ss", c10, c50, c[NR], last, T }' "$curve")
    echo "$t: ${execs:-?} executions, $cov; $plateau" >"target/fuzz-corpus/$t.summary"
}
jobs="${FUZZ_JOBS:-$(nproc)}"
crashed=0
running=0
for t in "$@"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || crashed=1
        running=$((running - 1))
    fi
    fuzz_one "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || crashed=1
    running=$((running - 1))
done
for t in "$@"; do cat "target/fuzz-corpus/$t.summary" 2>/dev/null || echo "$t: no summary (crashed)"; done
[ "$crashed" -eq 0 ] || exit 1

