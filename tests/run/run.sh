#!/usr/bin/env bash
# Offline-run tests (issue 5). Builds the library and the C writer, creates/reuses the pinned
# test venv (.venv-run: wandb 0.31.0 + openwandb from PyPI), then runs every run test and
# exits non-zero if any failed:
#   rust      unit tests of src/run (framing, records, step rules, threads)
#   proto     every field number in src/run/proto.rs against the wheel's descriptors
#   basic     C run → `wandb leet inspect --json/--summary`, side by side with the same rows
#             logged by wandb 0.31 offline, `wandb sync --dry-run`
#   basic-go  the same run written by the Go binding (bindings/go/cmd/run-writer) against
#             the same Python run
#   basic-cpp the same check on the run written through the C++ wrapper
#             (tests/run/cpp/run_writer.cpp) against the same Python run
#   upload    `wandb sync` of the C run to `openwandb serve` on 127.0.0.1, checked over HTTP
#   stress    16 threads × 1000 logs with an image each (sync and async mode)
#   kill      SIGKILL of a writer mid-run; the log stays readable, media complete
#   errors    argument/state errors of the C API (NULLs, bad options, finished runs)
#   valgrind  errors, basic and small stress runs (sync + async) under valgrind (skipped
#             with a note if valgrind is not installed)
#   features  run features (tests/run/features), each written by C, C++ and Go against
#             wandb 0.31's run for the same calls: define_metric (records, rows, summaries;
#             uploaded with `wandb sync` to openwandb next to the SDK's run), run.save +
#             artifacts (files records, links, artifact records and staged copies; each
#             run uploaded), system metrics (keys, value format, timing against the SDK's
#             stats records, and on openwandb after upload; the sampler thread stops at
#             finish; none when disabled);
#             argument errors
# Usage: tests/run/run.sh [test …]   (default: all)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
venv="${WBM_RUN_VENV:-$here/.venv-run}"
req="$here/tests/run/requirements.txt"
py="${PYTHON:-python3}"

# --- test venv (reused while requirements.txt is unchanged) ---
stamp="$venv/.wbm-$(sha256sum "$req" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    echo "== creating $venv"
    "$py" -m venv "$venv" || exit 1
    timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" || exit 1
    touch "$stamp"
fi

# --- build ---
echo "== building"
cargo build --quiet --lib || exit 1
target="${CARGO_TARGET_DIR:-$here/target}"
bin="$target/run-tests"
mkdir -p "$bin"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/run/c/run_writer.c \
    -o "$bin/run_writer" "$target/debug/libwandb_media.a" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
# Go writer (bindings/go/cmd/run-writer): cgo against target/release, as tests/go/run.sh
rm -f "$bin/run_writer_go"
# This checkout's Go build cache, as every suite (scripts/lib-test-deps.sh, issue 23).
export GOCACHE="${WB_TEST_GOCACHE:-$target/go-cache}"
if command -v go >/dev/null; then
    make -s build >/dev/null || exit 1
    (cd bindings/go && CGO_ENABLED=1 go build -o "$bin/run_writer_go" ./cmd/run-writer) || exit 1
fi
c++ -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/run/cpp/run_writer.cpp \
    -o "$bin/run_writer_cpp" "$target/debug/libwandb_media.a" -lvpx -lpthread -ldl -lm || exit 1
# run features (define_metric, save/artifacts, system metrics): C, C++ and Go writers
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/run/c/features.c \
    -o "$bin/features" "$target/debug/libwandb_media.a" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
c++ -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/run/cpp/features.cpp \
    -o "$bin/features_cpp" "$target/debug/libwandb_media.a" -lvpx -lpthread -ldl -lm || exit 1
rm -f "$bin/features_go"
if [ -x "$bin/run_writer_go" ]; then
    (cd bindings/go && CGO_ENABLED=1 go build -o "$bin/features_go" ./cmd/run-features) || exit 1
fi

work="$(mktemp -d /tmp/wbm-run-tests.XXXXXX)"
export WANDB_SILENT=true WANDB_DISABLE_CODE=true WANDB_CONFIG_DIR="$work/wandb-config" \
    WANDB_DATA_DIR="$work/wandb-data" WANDB_CACHE_DIR="$work/wandb-cache"
pyv="$venv/bin/python"
check="$here/tests/run/check_run.py"
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(rust proto errors basic basic-cpp basic-go upload stress kill fsfull valgrind features)
failed=()

run_test() {  # name, command…
    local name="$1"; shift
    echo "== $name"
    if timeout 900 "$@"; then echo "-- $name: PASS"; else echo "-- $name: FAIL"; failed+=("$name"); fi
}

basic_dirs() {
    c_dir="$("$bin/run_writer" basic "$work/c")" || return 1
    py_dir="$(cd "$work" && "$pyv" "$here/tests/run/same_rows.py" "$work/py" 2>/dev/null | tail -1)" || return 1
}

for t in "${tests[@]}"; do
    case "$t" in
    rust) run_test rust cargo test --quiet --lib run:: ;;
    proto) run_test proto "$pyv" tests/run/check_proto.py src/run/proto.rs ;;
    basic)
        if basic_dirs; then run_test basic "$pyv" "$check" basic "$c_dir" "$py_dir"
        else echo "-- basic: FAIL (writing the runs)"; failed+=(basic); fi ;;
    basic-go)
        if [ ! -x "$bin/run_writer_go" ]; then echo "-- basic-go: FAIL (go is not installed)"; failed+=(basic-go)
        elif { [ -n "${py_dir:-}" ] || basic_dirs; } && go_dir="$("$bin/run_writer_go" basic "$work/go")"; then
            run_test basic-go "$pyv" "$check" basic "$go_dir" "$py_dir"
        else echo "-- basic-go: FAIL (writing the runs)"; failed+=(basic-go); fi ;;
    basic-cpp)
        if { [ -n "${py_dir:-}" ] || basic_dirs; } && cpp_dir="$("$bin/run_writer_cpp" basic "$work/cpp")"
        then run_test basic-cpp "$pyv" "$check" basic "$cpp_dir" "$py_dir"
        else echo "-- basic-cpp: FAIL (writing the runs)"; failed+=(basic-cpp); fi ;;
    upload)
        # written with a RELATIVE root (as the README's wb_run_open(".", …)); check_run.py
        # syncs it from another working directory
        up_dir="$(cd "$work" && "$bin/run_writer" basic ./up/../c-rel)" \
            && run_test upload "$pyv" "$check" upload "$up_dir" \
            || { echo "-- upload: FAIL (writing the run)"; failed+=(upload); } ;;
    stress)
        for mode in sync async; do
            d="$("$bin/run_writer" stress "$work/stress-$mode" 16 1000 $mode)" \
                && run_test "stress-$mode" "$pyv" "$check" stress "$d" 16 1000 \
                || { echo "-- stress-$mode: FAIL"; failed+=("stress-$mode"); }
        done ;;
    kill) run_test kill "$pyv" "$check" kill "$bin/run_writer" "$work/kill" ;;
    errors) run_test errors "$bin/run_writer" errors "$work/errors" ;;
    fsfull)
        # Disk full on a tmpfs (tests/robustness.rs keeps a copy of the full run), read back
        # by the real `wandb leet inspect`.
        WBM_KEEP_FULL_RUN="$work/fsfull" cargo test --quiet --test robustness disk_full >/dev/null \
            && run_test fsfull "$pyv" "$check" fsfull "$work/fsfull" \
            || { echo "-- fsfull: FAIL"; failed+=("fsfull"); } ;;
    valgrind)
        if command -v valgrind >/dev/null; then
            vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --quiet)
            run_test valgrind-errors "${vg[@]}" "$bin/run_writer" errors "$work/vg-errors"
            run_test valgrind-basic "${vg[@]}" "$bin/run_writer" basic "$work/vg-basic"
            run_test valgrind-stress "${vg[@]}" "$bin/run_writer" stress "$work/vg-stress" 4 50
            run_test valgrind-stress-async "${vg[@]}" "$bin/run_writer" stress "$work/vg-async" 4 50 async
        else
            echo "== valgrind: not installed, skipped (apt-get install valgrind)"
        fi ;;
    features)
        feat="$here/tests/run/features"
        for f in metric artifact; do
            if ! fpy="$(cd "$work" && "$pyv" "$feat/features.py" "$f" "$work/fpy-$f" 2>/dev/null | tail -1)"; then
                echo "-- features-$f: FAIL (the SDK run)"; failed+=("features-$f"); continue
            fi
            for w in features features_cpp features_go; do
                if [ ! -x "$bin/$w" ]; then echo "-- $w $f: FAIL (not built: go missing?)"; failed+=("$w-$f"); continue; fi
                if d="$("$bin/$w" "$f" "$work/$w-$f")"; then
                    run_test "$w-$f" "$pyv" "$feat/check_features.py" "$f" "$d" "$fpy"
                else echo "-- $w-$f: FAIL (writing the run)"; failed+=("$w-$f"); fi
            done
            [ "$f" = metric ] || continue  # (artifact: the check uploads the native run itself)
            d="$("$bin/features" "$f" "$work/up-$f")" && fpy2="$(cd "$work" && "$pyv" "$feat/features.py" "$f" "$work/fpy2-$f" 2>/dev/null | tail -1)" \
                && run_test "features-$f-upload" "$pyv" "$feat/check_features.py" "$f-upload" "$d" "$fpy2" \
                || { echo "-- features-$f-upload: FAIL"; failed+=("features-$f-upload"); }
        done
        if fst="$(cd "$work" && "$pyv" "$feat/features.py" stats "$work/fpy-stats" 2>/dev/null | tail -1)" \
            && off="$("$bin/features" stats-off "$work/stats-off")"; then
            for w in features features_cpp; do
                d="$("$bin/$w" stats "$work/$w-stats")" && run_test "$w-stats" "$pyv" "$feat/check_features.py" stats "$d" "$off" "$fst" \
                    || { echo "-- $w-stats: FAIL"; failed+=("$w-stats"); }
            done
        else echo "-- features-stats: FAIL (writing the runs)"; failed+=(features-stats); fi
        run_test features-metric-errors "$bin/features" metric-errors "$work/ferr"
        run_test features-artifact-errors "$bin/features" artifact-errors "$work/ferr2" ;;
    *) echo "unknown test $t"; failed+=("$t") ;;
    esac
done

if [ ${#failed[@]} -eq 0 ]; then
    rm -rf "$work"
    echo "tests/run: all passed"
else
    echo "tests/run: FAILED: ${failed[*]} (outputs kept in $work)"
    exit 1
fi
