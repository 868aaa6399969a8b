#!/usr/bin/env bash
# make test-docs (issue 23 items 9, 11): the documentation is checked, not trusted.
#  - every C, C++, Go and CMake snippet of README.md and bindings/README.md is compiled and
#    linked (CMake: configured, built and run against a fresh install), or carries an explicit
#    `<!-- snippet: none (reason) -->` (tests/docs/snippets.py); a control shows a broken
#    snippet fails;
#  - rustdoc: `cargo doc --no-deps` with RUSTDOCFLAGS=-D warnings (broken intra-doc links,
#    bare URLs, unclosed HTML … fail); the doctests, README's Rust blocks included, run in
#    make test-rust (`cargo test`); examples/rust_run.rs is built and run, its output checked.
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin wandb-media
command -v cmake >/dev/null || wb_apt_install cmake
command -v c++ >/dev/null || wb_apt_install g++
command -v go >/dev/null || wb_apt_install golang-go

T="$(mktemp -d "${TMPDIR:-/tmp}/wb-docs-tests.XXXXXX")"
trap 'rm -rf "$T"' EXIT
failed=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

"$ROOT/scripts/install.sh" "$T/prefix" --no-build >/dev/null
if python3 "$ROOT/tests/docs/snippets.py" "$ROOT" "$T/snippets" "$T/prefix"; then
  ok "README snippets compile"
else
  bad "README snippets"
fi

# Control: the same checker on a README with a wrong function name and one without a marker.
mkdir -p "$T/control/tests/docs" "$T/control/bindings"
ln -s "$ROOT/tests/docs/harness" "$T/control/tests/docs/harness"
ln -s "$ROOT/include" "$T/control/include"
ln -s "$ROOT/bindings/cpp" "$T/control/bindings/cpp"
ln -s "$ROOT/bindings/go" "$T/control/bindings/go"
printf '<!-- snippet: c-main -->\n```c\nwb_no_such_function(1);\n```\n\n```go\nx := 1\n```\n' >"$T/control/README.md"
printf 'nothing\n' >"$T/control/bindings/README.md"
if CARGO_TARGET_DIR="$CARGO_TARGET" python3 "$ROOT/tests/docs/snippets.py" "$T/control" "$T/control-work" "$T/prefix" >"$T/control.log" 2>&1; then
  bad "control: a README with a broken snippet passed"
elif grep -q 'snippets: 0 passed, 2 failed' "$T/control.log"; then
  ok "control: an undeclared function and an unmarked block both fail"
else
  cat "$T/control.log"
  bad "control: unexpected result"
fi

# The Rust example: the consumer row (same JSON and PNG bytes as the C/C++/Go consumers of
# tests/packaging) and an offline run with 3 steps.
EXPECT='{"loss":0.5,"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}}'
if cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --example rust_run &&
  out="$(env -u WANDB_API_KEY WANDB_MODE=offline WANDB_SILENT=true "$CARGO_TARGET/release/examples/rust_run" "$T/rust" 2>&1)"; then
  rundir="$(echo "$out" | sed -n 's/^run: //p')"
  [ "$(echo "$out" | head -1)" = "$EXPECT" ] &&
    [ "$(sha256sum "$T/rust/files/media/images/img_0_4b2ef48a447ceee4ef90.png" | cut -c1-64)" = 4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d ] &&
    ok "examples/rust_run.rs: row JSON and PNG bytes = the C consumer's" || bad "rust_run row: $out"
  n_png="$(find "$rundir/files/media/images" -name 'sample_*.png' 2>/dev/null | wc -l)"
  log="$(find "$rundir" -maxdepth 1 -name 'run-*.wandb' | head -1)"
  if [ "$n_png" -eq 3 ] && [ -n "$log" ] && grep -aq best_loss "$log" && grep -aq wandb-media-rust "$log" && grep -aq '"_type": *"histogram"\|histogram' "$log"; then
    ok "examples/rust_run.rs: offline run $(basename "$rundir") (3 images, summary, project in the log)"
  else
    bad "rust_run run dir '$rundir': $n_png images, log '$log'"
  fi
else
  bad "examples/rust_run.rs: $out"
fi

# rustdoc without warnings (its own target dir would rebuild every dependency: shared).
if RUSTDOCFLAGS="-D warnings" nice -n 5 cargo doc --quiet --no-deps --lib --manifest-path "$ROOT/Cargo.toml" >"$T/doc.log" 2>&1; then
  ok "cargo doc --no-deps (RUSTDOCFLAGS=-D warnings)"
else
  tail -40 "$T/doc.log"
  bad "cargo doc has warnings"
fi

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
