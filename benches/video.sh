#!/usr/bin/env bash
# Video benchmark (not a test): GIF/MP4 from the 64x3x256x256 uint8 tensor through the Rust
# API with wandb 0.31 `wandb.Video(arr, format=..., fps=4)` measured side by side in the same
# run, and 1000 streamed 256x256 frames to MP4 with peak RSS versus the tensor path.
#
# Python: $WB_BENCH_PYTHON if set, else /work/ref-venv (the reference environment) if present,
# else a venv .venv-bench created here with wandb numpy pillow imageio moviepy.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${WB_BENCH_PYTHON:-}"
if [ -z "$py" ] && [ -x /work/ref-venv/bin/python ] && /work/ref-venv/bin/python -c "import wandb, moviepy, imageio" 2>/dev/null; then
  py=/work/ref-venv/bin/python
fi
if [ -z "$py" ]; then
  venv=.venv-bench
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  if ! "$venv/bin/python" -c "import wandb, moviepy, imageio, imageio_ffmpeg" 2>/dev/null; then
    "$venv/bin/pip" install --quiet wandb==0.31.0 numpy==2.4.6 pillow==11.3.0 \
      imageio==2.38.1 imageio-ffmpeg==0.8.1 moviepy==2.2.1
  fi
  py="$venv/bin/python"
fi
mkdir -p target/bench
echo "measuring wandb.Video with $py (gif takes ~20 s) ..."
"$py" benches/video_baseline.py target/bench >/dev/null
WB_BENCH_DIR=target/bench cargo bench --quiet --bench video
