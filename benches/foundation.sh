#!/usr/bin/env bash
# Foundation benchmark with the wandb 0.31 baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import wandb" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet wandb==0.31.0 numpy==2.4.6 pillow==11.3.0
fi
mkdir -p target/bench
"$venv/bin/python" benches/foundation_baseline.py target/bench >/dev/null
WB_BENCH_DIR=target/bench cargo bench --quiet --bench foundation
