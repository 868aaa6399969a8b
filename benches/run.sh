#!/usr/bin/env bash
# Offline-run benchmark (not a test): rows/s of wb_run_log (release build, C ABI) for
# scalar-only rows and rows with a 256×256 RGB image, 1 vs 2 threads (sync and async mode),
# against wandb 0.31 offline `run.log` on the same rows. Each measurement covers one run
# from open/init to the end of finish. Usage: benches/run.sh [scalar_rows] [image_rows]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scalar_rows="${1:-20000}"
image_rows="${2:-300}"
venv="${WBM_RUN_VENV:-$here/.venv-run}"
req="$here/tests/run/requirements.txt"
stamp="$venv/.wbm-$(sha256sum "$req" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
    timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
fi

cargo build --quiet --release --lib
target="${CARGO_TARGET_DIR:-$here/target}"
mkdir -p "$target/run-bench"
cc -std=c11 -O2 -Iinclude benches/run_bench.c -o "$target/run-bench/run_bench" \
    "$target/release/libwandb_media.a" -lstdc++ -lvpx -lpthread -ldl -lm

work="$(mktemp -d /tmp/wbm-run-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export WANDB_SILENT=true WANDB_DISABLE_CODE=true WANDB_CONFIG_DIR="$work/wandb-config" \
    WANDB_DATA_DIR="$work/wandb-data" WANDB_CACHE_DIR="$work/wandb-cache"
n=0
measure() {  # label threads cmd… → one table line
    local label="$1" threads="$2"; shift 2
    n=$((n + 1))
    read -r rows secs rps < <(timeout 1200 "$@" | tail -1)
    printf "%-16s %-26s %7s %7s %9s %10s\n" "$workload" "$label" "$threads" "$rows" "$secs" "$rps"
}

printf "%-16s %-26s %7s %7s %9s %10s\n" workload writer threads rows seconds rows/s
for kind in scalar image; do
    if [ "$kind" = scalar ]; then rows=$scalar_rows; workload="10 scalars"; else rows=$image_rows; workload="256x256 image"; fi
    measure "wandb 0.31 run.log" 1 "$venv/bin/python" benches/run_bench.py "$work/r$n" "$kind" "$rows"
    for threads in 1 2; do
        measure "wandb-media sync" "$threads" "$target/run-bench/run_bench" "$work/r$n" "$kind" "$threads" "$rows"
    done
    for threads in 1 2; do
        measure "wandb-media async" "$threads" "$target/run-bench/run_bench" "$work/r$n" "$kind" "$threads" "$rows" async
    done
done
echo "(machine: $(nproc) cores; wandb.log is not thread-safe, so the SDK is measured with 1 thread)"
