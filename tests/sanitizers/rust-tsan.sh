#!/usr/bin/env bash
# ThreadSanitizer over the Rust side: the library and its concurrency tests rebuilt with
# `-Zsanitizer=thread` and an instrumented std (`-Zbuild-std`, nightly), so races inside
# the library (run writer thread, async queue, uploader, video writers) are seen, not only
# the callers'. Then the C run writer (stress, sync + async) is built with clang
# -fsanitize=thread against the instrumented cdylib: the whole stack under TSan.
# Build output: target/tsan (kept between runs; the first build takes several minutes).
# Usage: tests/sanitizers/rust-tsan.sh [rust|c|build]...   (default: rust c; build: only
# compile what they run, e.g. ahead of time in the background)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^rust-src' || rustup +nightly component add rust-src
TRIPLE=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="$ROOT/target/tsan"
export RUSTFLAGS="-Zsanitizer=thread"
export RUSTDOCFLAGS="-Zsanitizer=thread"
# No suppressions: everything is instrumented (tsan.supp is for the C-only run).
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
export WANDB_MODE=offline
CARGO=(nice -n 10 cargo +nightly)
ZFLAGS=(-Zbuild-std --target "$TRIPLE")
failed=()
pass=0
step() { # name cmd...
    local name="$1"; shift
    local t0=$SECONDS
    if "$@" >"$CARGO_TARGET_DIR/$name.log" 2>&1; then
        echo "-- $name: ok ($((SECONDS - t0)) s)"; pass=$((pass + 1))
    else
        echo "-- $name: FAIL ($((SECONDS - t0)) s)"; tail -40 "$CARGO_TARGET_DIR/$name.log"; failed+=("$name")
    fi
}
mkdir -p "$CARGO_TARGET_DIR"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(rust c)
RUST_TESTS=(--lib --test robustness --test soak --test video_encode)
for p in "${parts[@]}"; do
  case "$p" in
  build)
    step tsan-build-tests "${CARGO[@]}" test "${ZFLAGS[@]}" "${RUST_TESTS[@]}" --no-run
    step tsan-build-cdylib "${CARGO[@]}" build "${ZFLAGS[@]}" --lib
    ;;
  rust)
    # The concurrency tests: many threads into one run (sync and async), the async queue's
    # loss accounting and deleted-dir detection, the soak's mixed threads, videos on threads,
    # the online uploader/sender threads.
    step tsan-rust-tests env WBM_SOAK_SECS=10 "${CARGO[@]}" test "${ZFLAGS[@]}" \
        "${RUST_TESTS[@]}" -- \
        many_threads concurrent async soak two_videos writers_and_videos uploader sender online
    ;;
  c)
    command -v clang >/dev/null || (apt-get update -qq && apt-get install -y -qq clang)
    step tsan-build-cdylib "${CARGO[@]}" build "${ZFLAGS[@]}" --lib
    LIB="$CARGO_TARGET_DIR/$TRIPLE/debug"
    ln -sf libwandb_media.so "$LIB/libwandb_media.so.0"
    # One TSan runtime for the whole process: the C code is instrumented by clang, but linked
    # with the nightly toolchain's runtime, the one the library's instrumentation expects
    # (Debian's clang 14 runtime lacks the __tsan_memcpy/memset/memmove hooks newer LLVM
    # emits, so linking with `clang -fsanitize=thread` fails).
    RT="$(rustc +nightly --print sysroot)/lib/rustlib/$TRIPLE/lib/librustc-nightly_rt.tsan.a"
    step tsan-compile-run_writer clang -std=c11 -O1 -g -fsanitize=thread -D_POSIX_C_SOURCE=200809L -Iinclude \
        -c tests/run/c/run_writer.c -o "$CARGO_TARGET_DIR/run_writer.o"
    step tsan-link-run_writer clang "$CARGO_TARGET_DIR/run_writer.o" -o "$CARGO_TARGET_DIR/run_writer" \
        -Wl,--whole-archive "$RT" -Wl,--no-whole-archive \
        -L"$LIB" -Wl,-rpath,"$LIB" -lwandb_media -lm -lpthread -ldl -lstdc++
    rm -rf "$CARGO_TARGET_DIR/w-stress" "$CARGO_TARGET_DIR/w-async"
    step tsan-c-stress "$CARGO_TARGET_DIR/run_writer" stress "$CARGO_TARGET_DIR/w-stress" 8 100
    step tsan-c-stress-async "$CARGO_TARGET_DIR/run_writer" stress "$CARGO_TARGET_DIR/w-async" 8 100 async
    ;;
  *) echo "unknown part $p"; exit 2 ;;
  esac
done
echo "rust-tsan: $pass passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
