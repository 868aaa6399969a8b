#!/usr/bin/env bash
# Console-log tests (issue 25 part 1): the differential against wandb 0.31 (output_raw
# records and files/output.log for the same byte streams), what file_stream sends for
# output.log (SDK sync / SDK online vs wandb sync, wandb-media sync and online of ours, via
# a recording proxy in front of openwandb on 127.0.0.1), fd capture from C (file, pipe,
# terminal), C++ and Go, a program that dup2s/closes its own fds, a bounded-memory flood,
# and the redirection overhead for 100 000 printed lines (a report line, no assertion).
# The C capture under valgrind is tests/c/test_console.c (make test-c).
# Usage: tests/console/console.sh [test …]   (default: all; see check_console.py)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
venv="${WBM_RUN_VENV:-$here/.venv-run}"
req="$here/tests/run/requirements.txt"
cons="$here/tests/online/constraints.txt"
py="${PYTHON:-python3}"
stamp="$venv/.wbm-online-$(cat "$req" "$cons" | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    echo "== preparing $venv"
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv" || exit 1
    timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" -c "$cons" || exit 1
    touch "$stamp"
fi
source "$here/scripts/lib-test-deps.sh"
command -v go >/dev/null || wb_apt_install golang-go || exit 1
echo "== building"
cargo build --quiet --release --lib --bin wandb-media || exit 1
target="${CARGO_TARGET_DIR:-$here/target}"
rel="$target/release"
ln -sfn libwandb_media.so "$rel/libwandb_media.so.$(sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -1)"
bin="$target/console-tests"
mkdir -p "$bin"
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude tests/console/c/console_writer.c -o "$bin/console_writer" \
    -L"$rel" -Wl,-rpath,"$rel" -lwandb_media -lm || exit 1
c++ -std=c++17 -O1 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/console/cpp/console_cpp.cpp \
    -o "$bin/console_cpp" -L"$rel" -Wl,-rpath,"$rel" -lwandb_media || exit 1
(cd bindings/go && CGO_ENABLED=1 go build -o "$bin/console_go" ./cmd/console-run) || exit 1
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/distributed.c -o "$bin/distributed" \
    -L"$rel" -Wl,-rpath,"$rel" -lwandb_media -lm || exit 1

export WANDB_SILENT=true WANDB_DISABLE_CODE=true WANDB_CONFIG_DIR="$bin/wandb-config" \
    WANDB_DATA_DIR="$bin/wandb-data" WANDB_CACHE_DIR="$bin/wandb-cache" \
    WBM_CONSOLE_BIN="$bin" WBM_CLI="$rel/wandb-media"
unset WANDB_MODE WANDB_API_KEY WANDB_BASE_URL WANDB_PROJECT WANDB_ENTITY WANDB_RUN_ID WANDB_RESUME WANDB_CONSOLE
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(diff sync capture fds cpp go flood bench shared shared16 sharedkill sharedidle)
failed=()
for t in "${tests[@]}"; do
    echo "== $t"
    t0=$SECONDS
    case "$t" in shared*) script=tests/console/check_shared.py ;; *) script=tests/console/check_console.py ;; esac
    if timeout 900 "$venv/bin/python" "$script" $t; then
        echo "-- $t: PASS ($((SECONDS - t0)) s)"
    else
        echo "-- $t: FAIL"; failed+=("$t")
    fi
done
if [ ${#failed[@]} -eq 0 ]; then echo "tests/console: all passed"; else echo "tests/console: FAILED: ${failed[*]}"; exit 1; fi
