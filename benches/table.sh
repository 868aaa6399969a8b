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
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), flags: $(grep -m1 -o -w 'avx2\|avx512f\|avx512_fp16\|f16c\|fma' /proc/cpuinfo | sort -u | xargs)"
WANDB_SILENT=true "$venv/bin/python" benches/table.py target/release/libwandb_media.so "$@"
