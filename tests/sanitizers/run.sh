#!/usr/bin/env bash
# C tests, the run writer (errors/basic/stress, sync + async) and the C example under
# ASan+UBSan; the concurrent run writer and the small-stack/threads test under TSan.
# The library is the release build (Rust, not instrumented): the sanitizers check every
# C-side access, our allocations (ASan intercepts malloc/free, so heap misuse across the ABI
# and leaks of handles are caught) and the data races of the callers' threads.
# Usage: tests/sanitizers/run.sh [asan|tsan]...   (default: both)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CC="${CC:-cc}"
REL="$ROOT/target/release"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
T="$ROOT/target/sanitizers"
rm -rf "$T" && mkdir -p "$T"
LINK=(-L"$REL" -Wl,-rpath,"$REL" -lwandb_media -lm -lpthread)
CF=(-std=c11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer -Iinclude -DEXPECTED_VERSION="\"$VERSION\"")
failed=()
pass=0
run() { # name cmd...
    local name="$1"; shift
    local t0=$SECONDS
    if "$@" >"$T/$name.log" 2>&1; then
        echo "-- $name: ok ($((SECONDS - t0)) s)"; pass=$((pass + 1))
    else
        echo "-- $name: FAIL"; tail -30 "$T/$name.log"; failed+=("$name")
    fi
}

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(asan tsan)
for s in "${suites[@]}"; do
  case "$s" in
  asan)
    SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    for src in tests/c/*.c; do
        n=$(basename "$src" .c)
        run "asan-build-$n" "$CC" "${CF[@]}" "${SAN[@]}" "$src" -o "$T/$n" "${LINK[@]}" && run "asan-$n" "$T/$n"
    done
    run asan-build-run_writer "$CC" "${CF[@]}" -D_POSIX_C_SOURCE=200809L "${SAN[@]}" tests/run/c/run_writer.c -o "$T/run_writer" "${LINK[@]}"
    run asan-run-errors "$T/run_writer" errors "$T/w-errors"
    run asan-run-basic "$T/run_writer" basic "$T/w-basic"
    run asan-run-stress "$T/run_writer" stress "$T/w-stress" 8 200
    run asan-run-stress-async "$T/run_writer" stress "$T/w-async" 8 200 async
    run asan-build-example "$CC" -std=c11 -O1 -g -Iinclude "${SAN[@]}" examples/c/training_loop.c -o "$T/training_loop" "${LINK[@]}"
    run asan-example "$T/training_loop" "$T/example-run"
    unset ASAN_OPTIONS UBSAN_OPTIONS
    ;;
  tsan)
    SAN=(-fsanitize=thread)
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/sanitizers/tsan.supp"
    run tsan-build-run_writer "$CC" "${CF[@]}" -D_POSIX_C_SOURCE=200809L "${SAN[@]}" tests/run/c/run_writer.c -o "$T/run_writer_tsan" "${LINK[@]}"
    run tsan-run-stress "$T/run_writer_tsan" stress "$T/t-stress" 8 200
    run tsan-run-stress-async "$T/run_writer_tsan" stress "$T/t-async" 8 200 async
    run tsan-build-harden "$CC" "${CF[@]}" "${SAN[@]}" tests/c/test_harden.c -o "$T/harden_tsan" "${LINK[@]}"
    run tsan-harden "$T/harden_tsan"
    unset TSAN_OPTIONS
    ;;
  *) echo "unknown suite $s"; exit 2 ;;
  esac
done
echo "sanitizers: $pass passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
