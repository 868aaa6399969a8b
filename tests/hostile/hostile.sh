#!/usr/bin/env bash
# Hostile-server suite (issue 22): online runs through the C ABI against a local server
# (tests/hostile/server.py, Python stdlib, 127.0.0.1/127.0.0.2 only) that answers malformed
# JSON, 50 MB bodies, GraphQL errors, redirects, upload URLs on other origins and non-HTTP
# schemes, slow drip, resets, 401/403/404, or is down; plus a 512 MiB saved file and a saved
# /dev/zero. What is checked: tests/hostile/check_hostile.py.
# Usage: tests/hostile/hostile.sh [mode …]   (default: all). Needs the release library
# (make build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
target="${CARGO_TARGET_DIR:-$here/target}"
lib="$target/release"
[ -e "$lib/libwandb_media.so" ] || { echo "tests/hostile: build the library first (make build)"; exit 1; }
mkdir -p "$target/hostile"
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude tests/hostile/hostile.c -o "$target/hostile/hostile" \
    -L"$lib" -Wl,-rpath,"$lib" -lwandb_media -lm
exec "${PYTHON:-python3}" tests/hostile/check_hostile.py "$target/hostile/hostile" "$@"
