#!/usr/bin/env bash
# Go binding tests: go vet, go test -race (with forced GC), the cgo pointer checker
# (GOEXPERIMENT=cgocheck2), a static-library link, and the Go compat driver against the C
# driver on the public compat cases (it must pass every case the C driver passes).
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
command -v go >/dev/null || wb_apt_install golang-go
command -v gcc >/dev/null || wb_apt_install gcc
export CGO_ENABLED=1
GO_DIR="$ROOT/bindings/go"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/wb-go-tests.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT

failed=0 passed=0
step() {  # step NAME CMD...
  echo "== $1"
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $*"; failed=$((failed + 1)); fi
}

cd "$GO_DIR"
step "gofmt" bash -c 'test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; }'
step "go vet" go vet ./...
step "go test -race" go test -race -count=1 ./...
step "go test (GOEXPERIMENT=cgocheck2)" env GOEXPERIMENT=cgocheck2 go test -count=1 ./...
step "go test -tags wandb_static" go test -count=1 -tags wandb_static -run 'Scalars|ImageU8' ./...

# Compat: the Go driver must pass every public case the C driver passes.
COMPAT="${WB_COMPAT_DIR:-$ROOT/../shared/compat}"
if [ -d "$COMPAT/cases" ]; then
  VENV="$ROOT/.venv-compat"
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import numpy, PIL, imageio_ffmpeg' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r "$COMPAT/requirements.txt"
  fi
  go build -o "$OUT/go-compat-driver" ./cmd/compat-driver
  "$ROOT/tests/compat/driver" "$COMPAT/cases" "$OUT/c-out" 2>/dev/null
  "$OUT/go-compat-driver" "$COMPAT/cases" "$OUT/go-out"
  "$VENV/bin/python" "$COMPAT/compare.py" "$COMPAT/expected" "$OUT/c-out" >"$OUT/c.txt" || true
  "$VENV/bin/python" "$COMPAT/compare.py" "$COMPAT/expected" "$OUT/go-out" >"$OUT/go.txt" || true
  echo "C driver:  $(tail -n1 "$OUT/c.txt")"
  echo "Go driver: $(tail -n1 "$OUT/go.txt")"
  missing="$(comm -23 <(grep '^PASS' "$OUT/c.txt" | sort) <(grep '^PASS' "$OUT/go.txt" | sort))"
  if [ -z "$missing" ] && grep -q '^PASS' "$OUT/go.txt"; then
    passed=$((passed + 1))
  else
    echo "FAILED: cases the C driver passes but the Go driver does not:"
    echo "$missing"
    failed=$((failed + 1))
  fi
  # The repo's own SDK-referenced cases (tests/compat/extra, issue 14): every one must pass.
  "$OUT/go-compat-driver" "$ROOT/tests/compat/extra/cases" "$OUT/go-extra-out"
  if "$VENV/bin/python" "$COMPAT/compare.py" "$ROOT/tests/compat/extra/expected" "$OUT/go-extra-out" >"$OUT/go-extra.txt"; then
    passed=$((passed + 1))
  else
    echo "FAILED: Go driver on tests/compat/extra:"; grep '^FAIL' "$OUT/go-extra.txt"
    failed=$((failed + 1))
  fi
  echo "Go driver (extra): $(tail -n1 "$OUT/go-extra.txt")"
else
  echo "== compat: skipped ($COMPAT/cases not found; set WB_COMPAT_DIR)"
fi

echo "go: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
