#!/usr/bin/env bash
# Starts N processes of examples/c/distributed.c logging to one run (shared mode):
#   examples/c/launch_distributed.sh N [rows] [program]
# Each gets RANK=<i> and WORLD_SIZE=N and the same WANDB_RUN_ID (given, or a new one);
# WANDB_API_KEY / WANDB_BASE_URL / WANDB_PROJECT / WANDB_DIR come from the environment
# (WANDB_DIR defaults to ./distributed-run). Exits with rank 0's exit code.
set -u
n="${1:?usage: launch_distributed.sh N [rows] [program]}"
rows="${2:-100}"
prog="${3:-$(dirname "$0")/../../target/examples/distributed}"
export WANDB_RUN_ID="${WANDB_RUN_ID:-$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c 8)}"
export WANDB_DIR="${WANDB_DIR:-$PWD/distributed-run}" WORLD_SIZE="$n"
mkdir -p "$WANDB_DIR"
echo "run id $WANDB_RUN_ID: $n writers" >&2
pids=()
for ((i = 0; i < n; i++)); do
    RANK=$i "$prog" "$rows" &
    pids+=($!)
done
rc0=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"; rc=$?
    [ "$i" -eq 0 ] && rc0=$rc
    [ "$rc" -ne 0 ] && echo "rank $i exited with $rc" >&2
done
exit "$rc0"
