#!/usr/bin/env bash
# `make bench`: the issue-11 table — ours (C ABI via ctypes) vs wandb 0.31 in the same process
# on the same arrays, interleaved rounds, medians; plus the memory-bandwidth limit.
# Not a test: nothing asserts a timing. `--quick` skips the 100M / 720p / 1080p rows.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
if ! "$venv/bin/python" -c "import wandb, soundfile, moviepy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet wandb==0.31.0 numpy==2.4.6 pillow==11.3.0 soundfile==0.14.0 \
    moviepy==2.2.1 imageio==2.38.1 imageio-ffmpeg==0.8.1
fi
# the offline-run row runs benches/run_bench.c (C ABI, static library) in a subprocess
cc -std=c11 -O2 -Iinclude benches/run_bench.c -o target/release/run_bench \
    target/release/libwandb_media.a -lstdc++ -lvpx -lpthread -ldl -lm
export RUN_BENCH_BIN="$PWD/target/release/run_bench" WANDB_DISABLE_CODE=true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), flags: $(grep -m1 -o -w 'avx2\|avx512f\|avx512_fp16\|f16c\|fma' /proc/cpuinfo | sort -u | xargs)"
WANDB_SILENT=true "$venv/bin/python" benches/table.py target/release/libwandb_media.so "$@"
