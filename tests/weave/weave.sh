#!/usr/bin/env bash
# Weave traces (issue 20): the local trace server (tests/weave/server.py: weave 0.51.59's
# SqliteTraceServer behind a small HTTP app, venv .venv-weave-srv), the Python client 0.54.0
# (weave[video-support], moviepy 1.0.3, venv .venv-weave-py) as writer reference and reader,
# and the native programs (C demo, C++ and Go examples) traced into it, with fault tests.
# Usage: tests/weave/weave.sh [test …]   (tests: see tests/weave/weave_tests.py; default all)
set -uo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"
cd "$ROOT"
py="${PYTHON:-python3}"
t0=$SECONDS

venv() {  # venv DIR REQUIREMENT... (pinned by the constraints file named in $cons)
  local dir="$1"; shift
  local stamp="$dir/.wbm-weave-$(printf '%s\n' "$@" | cat - "$cons" | sha256sum | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  echo "== preparing $dir"
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir" || return 1
  timeout 900 "$dir/bin/pip" install -q --disable-pip-version-check "$@" -c "$cons" || return 1
  touch "$stamp"
}
cons=tests/weave/constraints-server.txt venv "$ROOT/.venv-weave-srv" weave==0.51.59 emoji || exit 1
cons=tests/weave/constraints-client.txt venv "$ROOT/.venv-weave-py" 'weave[video-support]==0.54.0' moviepy==1.0.3 || exit 1

# --- native programs ---
bin="$CARGO_TARGET/weave-tests"
mkdir -p "$bin" "$CARGO_TARGET/demo"
if [ -z "${WBM_WEAVE_PY_ONLY:-}" ]; then
  echo "== building"
  wb_build_lib || exit 1
  cargo build --release --quiet --bin wandb-media || exit 1
  command -v go >/dev/null || wb_apt_install golang-go || exit 1
  INC=(-I"$ROOT/include" -I"$ROOT/bindings/cpp/include")
  LINK=(-L"$LIBDIR" -lwandb_media -Wl,-rpath,"$LIBDIR" -lm)
  if [ -f examples/c/weave_policy.c ]; then  # (the `c` test fails without it)
    cc -std=c11 -O2 -Wall -Wextra -Werror "${INC[@]}" examples/c/weave_policy.c -o "$CARGO_TARGET/demo/weave_policy" "${LINK[@]}" || exit 1
    ln -sf "$CARGO_TARGET/demo/weave_policy" "$bin/weave_policy"
  fi
  c++ -std=c++17 -O2 -Wall -Wextra -Wconversion -Werror "${INC[@]}" examples/cpp/weave_policy.cpp -o "$bin/weave_policy_cpp" "${LINK[@]}" || exit 1
  c++ -std=c++17 -O1 -Wall -Wextra -Wconversion -Werror "${INC[@]}" tests/weave/cpp/scope.cpp -o "$bin/weave_scope_cpp" "${LINK[@]}" -pthread || exit 1
  (cd examples/go && CGO_ENABLED=1 go build -o "$bin/weave_policy_go" ./weave_policy) || exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/wbm-weave-tests.XXXXXX")"
unset WANDB_MODE WANDB_API_KEY WANDB_BASE_URL WANDB_PROJECT WANDB_ENTITY WF_TRACE_SERVER_URL WEAVE_DISABLED
export WANDB_SILENT=true WEAVE_PRINT_CALL_LINK=false
"$ROOT/.venv-weave-py/bin/python" tests/weave/weave_tests.py --srv-python "$ROOT/.venv-weave-srv/bin/python" \
    --py-python "$ROOT/.venv-weave-py/bin/python" --bin "$bin" --cli "$LIBDIR/wandb-media" --work "$work" "$@"
rc=$?
if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "work dir kept: $work"; fi
echo "tests/weave: $((SECONDS - t0)) s"
exit $rc
