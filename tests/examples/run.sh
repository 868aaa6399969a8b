#!/usr/bin/env bash
# Builds and runs every example and checks its output (rows parse; media files exist with
# the sha256/size their JSON states; the expected W&B types appear). Exits non-zero on any
# failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
command -v cc >/dev/null || wb_apt_install gcc
command -v c++ >/dev/null || wb_apt_install g++
command -v go >/dev/null || wb_apt_install golang-go

T="$(mktemp -d "${TMPDIR:-/tmp}/wb-examples.XXXXXX")"
trap 'rm -rf "$T"' EXIT
EX="$ROOT/examples"
mkdir -p "$T/bin"
INC=(-I"$ROOT/include" -I"$ROOT/bindings/cpp/include")
LINK=(-L"$LIBDIR" -lwandb_media -Wl,-rpath,"$LIBDIR" -lm)

failed=0 passed=0
run_example() {  # run_example NAME ROWS TYPES BINARY [FILES_SUBDIR [RUN_SUBDIR]]
  local name="$1" rows="$2" types="$3" bin="$4" files="${5:-files}" run=()
  [ -n "${6:-}" ] && run=(--run-dir "$T/$name/$6")
  echo "== $name"
  if ! "$bin" "$T/$name" >"$T/$name.txt" 2>"$T/$name.err"; then
    cat "$T/$name.err"
    echo "FAIL $name: exit status"
    failed=$((failed + 1))
    return 0
  fi
  head -c 400 "$T/$name.txt"
  echo
  if python3 "$ROOT/tests/examples/check_rows.py" "$T/$name.txt" "$T/$name/$files" --rows "$rows" --types "$types" "${run[@]}"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}
build() {  # build NAME CMD...
  local name="$1"
  shift
  if "$@"; then return 0; fi
  echo "FAIL $name: build"
  failed=$((failed + 1))
  return 1
}

if build c_training_loop cc -std=c11 -O2 -Wall -Wextra -Werror "${INC[@]}" "$EX/c/training_loop.c" -o "$T/bin/c_training_loop" "${LINK[@]}"; then
  run_example c_training_loop 5 image-file,histogram "$T/bin/c_training_loop" wandb/latest-run/files wandb/latest-run
fi
if build cpp_training_loop c++ -std=c++17 -O2 -Wall -Wextra -Wconversion -Werror "${INC[@]}" "$EX/cpp/training_loop.cpp" -o "$T/bin/cpp_training_loop" "${LINK[@]}"; then
  run_example cpp_training_loop 5 images/separated,histogram,video-file "$T/bin/cpp_training_loop"
fi
if build cpp_engine_capture c++ -std=c++17 -O2 -fno-exceptions -Wall -Wextra -Wconversion -Werror "${INC[@]}" "$EX/cpp/engine_capture.cpp" -o "$T/bin/cpp_engine_capture" "${LINK[@]}"; then
  run_example cpp_engine_capture 4 image-file,video-file "$T/bin/cpp_engine_capture"
fi
if build go_sdk_backend bash -c "cd '$EX/go' && CGO_ENABLED=1 go build -o '$T/bin/go_sdk_backend' ./sdk_backend"; then
  run_example go_sdk_backend 3 image-file,histogram,video-file "$T/bin/go_sdk_backend"
  if [ -f "$T/go_sdk_backend/history.jsonl" ] && [ "$(wc -l <"$T/go_sdk_backend/history.jsonl")" -eq 3 ]; then
    passed=$((passed + 1))
  else
    echo "FAIL go_sdk_backend: history.jsonl"
    failed=$((failed + 1))
  fi
fi

# eval_table: a dataset table logged by Python (wandb 0.31, in the compat venv) read in C++,
# evaluated row by row, predictions logged as a new table (every prediction right).
if build cpp_eval_table c++ -std=c++17 -O2 -Wall -Wextra -Wconversion -Werror "${INC[@]}" "$EX/cpp/eval_table.cpp" -o "$T/bin/cpp_eval_table" "${LINK[@]}"; then
  make -s -C "$ROOT" .venv-compat/.difffuzz-ok >/dev/null
  WANDB_MODE=offline WANDB_SILENT=true WANDB_DATA_DIR="$T/wandb-data" WANDB_CACHE_DIR="$T/wandb-cache" \
    WANDB_CONFIG_DIR="$T/wandb-config" "$ROOT/.venv-compat/bin/python" "$EX/cpp/make_dataset.py" "$T/dataset"
  printf '#!/bin/sh\nexec "%s" "$1" "%s"\n' "$T/bin/cpp_eval_table" "$T/dataset" >"$T/bin/cpp_eval_table.sh"
  chmod +x "$T/bin/cpp_eval_table.sh"
  echo "== cpp_eval_table"
  # (check_rows.py knows single-extension media names; the table-file row is checked here:
  # run copy present with its sha256, 8 predictions all right, the predictions artifact
  # holding the 8 source images byte for byte)
  if "$T/bin/cpp_eval_table.sh" "$T/cpp_eval_table" >"$T/cpp_eval_table.txt" && python3 - "$T" <<'PY'
import hashlib, json, os, sys
t = sys.argv[1]
row = json.loads(open(f"{t}/cpp_eval_table.txt").read().split(": ", 1)[1])
p = row["predictions"]
run_copy = open(os.path.join(t, "cpp_eval_table/files", p["path"]), "rb").read()
assert p["_type"] == "table-file" and hashlib.sha256(run_copy).hexdigest() == p["sha256"], p
assert p["nrows"] == 8 and row["accuracy"] == 1.0, row
copy = json.load(open(f"{t}/cpp_eval_table/predictions/predictions.table.json"))
src = json.load(open(f"{t}/dataset/dataset.table.json"))
for r, s in zip(copy["data"], src["data"]):
    img, orig = r[2], s[1]
    assert img["sha256"] == orig["sha256"], (img, orig)
    got = open(os.path.join(t, "cpp_eval_table/predictions", img["path"]), "rb").read()
    assert got == open(os.path.join(t, "dataset", orig["path"]), "rb").read()
    assert r[4] == r[3] and r[5] is True, r
print("eval_table: 8 rows, predictions right, source images kept byte for byte")
PY
  then
    echo "ok   cpp_eval_table"
    passed=$((passed + 1))
  else
    echo "FAIL cpp_eval_table: accuracy / predictions artifact"
    failed=$((failed + 1))
  fi
fi

echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
