#!/usr/bin/env bash
# The C++ and Go wrappers read the SDK's artifact table (tests/fromjson/run.sh step 4).
set -euo pipefail
work="$1"
here="$(pwd)"
status=0
CXX="${CXX:-c++}"
$CXX -std=c++17 -Wall -Wextra -Werror -O1 -Iinclude -Ibindings/cpp/include tests/fromjson/read.cpp \
  -o "$work/read_cpp" -Ltarget/release "-Wl,-rpath,$here/target/release" -lwandb_media -lm
"$work/read_cpp" "$work/art" eval art.eval >"$work/cpp.txt"
"${COMPAT_VENV:-.venv-compat}/bin/python" tests/fromjson/sdk.py compare "$work/expected_art.txt" "$work/cpp.txt" || status=1
if [ -f tests/fromjson/read_go/main.go ]; then
  GO="$(command -v go || echo /usr/local/go/bin/go)"
  (cd tests/fromjson/read_go && GOFLAGS=-mod=mod CGO_CFLAGS="-I$here/include" CGO_LDFLAGS="-L$here/target/release -Wl,-rpath,$here/target/release" \
    "$GO" run . "$here/$work/art" eval art.eval) >"$work/go.txt" || status=1
  "${COMPAT_VENV:-.venv-compat}/bin/python" tests/fromjson/sdk.py compare "$work/expected_art.txt" "$work/go.txt" || status=1
  # Artifact source through the Go binding: the same records as the SDK's (artsrc.py copy,
  # written by run.sh step 5 into $work/artsrc-sdk2.txt).
  if [ -n "${ARTSRC_ID:-}" ]; then
    mkdir -p "$here/$work/artsrc-go"
    go_run=$(cd tests/fromjson/read_go && GOFLAGS=-mod=mod CGO_CFLAGS="-I$here/include" CGO_LDFLAGS="-L$here/target/release -Wl,-rpath,$here/target/release" \
      "$GO" run . copy "$here/$work/artsrc-go" "$here/$work/art" eval "$ARTSRC_ID") || status=1
    "${COMPAT_VENV:-.venv-compat}/bin/python" tests/fromjson/artsrc.py dump "$go_run" >"$work/artsrc-go.txt" || status=1
    "${COMPAT_VENV:-.venv-compat}/bin/python" tests/fromjson/artsrc.py compare "$work/artsrc-sdk2.txt" "$work/artsrc-go.txt" || status=1
  fi
fi
exit "$status"
