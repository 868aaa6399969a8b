#!/usr/bin/env bash
# Packaging test: scripts/install.sh into a temp prefix, then
#  - check the installed layout (headers, .so + SONAME symlinks, .a, .pc, CMake package);
#  - configure + build + run an out-of-tree CMake consumer (C, C++, static C) against it,
#    also after moving the prefix (the CMake package is relocatable);
#  - compile + run a C file with `pkg-config --cflags --libs wandb_media`;
#  - build the Go package against the install with -tags wandb_pkgconfig.
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
command -v cmake >/dev/null || wb_apt_install cmake
command -v pkg-config >/dev/null || wb_apt_install pkg-config
command -v cc >/dev/null || wb_apt_install gcc
command -v c++ >/dev/null || wb_apt_install g++

T="$(mktemp -d "${TMPDIR:-/tmp}/wb-pkg-tests.XXXXXX")"
trap 'rm -rf "$T"' EXIT
P="$T/prefix"
SRC="$ROOT/tests/packaging/consumer"
EXPECT='{"loss":0.5,"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}}'

failed=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
expect_row() {  # expect_row NAME CMD... : the command prints EXPECT and writes the PNG
  local name="$1" out
  shift
  rm -rf "$T/run"
  if out="$("$@" "$T/run" 2>&1)" && [ "$out" = "$EXPECT" ] &&
    [ "$(sha256sum "$T/run/media/images/img_0_4b2ef48a447ceee4ef90.png" | cut -c1-64)" = \
      4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d ]; then
    ok "$name"
  else
    bad "$name: $out"
  fi
}

"$ROOT/scripts/install.sh" "$P" --no-build
V="$(sed -n 's/^#define WB_VERSION_STRING "\(.*\)".*/\1/p' "$ROOT/include/wandb_media.h")"
M="${V%%.*}"
for f in include/wandb_media.h include/wandb_media.hpp "lib/libwandb_media.so.$V" lib/libwandb_media.a \
  lib/pkgconfig/wandb_media.pc lib/cmake/wandb_media/wandb_mediaConfig.cmake \
  lib/cmake/wandb_media/wandb_mediaConfigVersion.cmake; do
  [ -f "$P/$f" ] && ok "installed $f" || bad "missing $f"
done
[ "$(readlink "$P/lib/libwandb_media.so.$M")" = "libwandb_media.so.$V" ] && ok "symlink .so.$M" || bad "symlink .so.$M"
[ "$(readlink "$P/lib/libwandb_media.so")" = "libwandb_media.so.$M" ] && ok "symlink .so" || bad "symlink .so"
soname="$(readelf -d "$P/lib/libwandb_media.so.$V" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[ "$soname" = "libwandb_media.so.$M" ] && ok "SONAME $soname" || bad "SONAME '$soname'"

# CMake consumer (C, C++, static C).
cmake_consumer() {  # cmake_consumer PREFIX BUILD_DIR LABEL
  if cmake -S "$SRC" -B "$2" -DCMAKE_PREFIX_PATH="$1" -DCMAKE_BUILD_TYPE=Release >"$2.log" 2>&1 &&
    cmake --build "$2" -j2 >>"$2.log" 2>&1; then
    ok "cmake configure+build ($3)"
  else
    cat "$2.log"
    bad "cmake configure+build ($3)"
    return 0
  fi
  expect_row "cmake C consumer ($3)" "$2/c_consumer"
  expect_row "cmake C++ consumer ($3)" "$2/cpp_consumer"
  expect_row "cmake static C consumer ($3)" "$2/c_static_consumer"
  if readelf -d "$2/c_static_consumer" | grep -q 'libwandb_media'; then
    bad "static consumer depends on libwandb_media.so"
  else
    ok "static consumer is self-contained"
  fi
  readelf -d "$2/c_consumer" | grep -q "NEEDED.*libwandb_media.so.$M" && ok "C consumer NEEDs .so.$M" || bad "C consumer NEEDED"
}
cmake_consumer "$P" "$T/build" "prefix"
# A version that does not match must be rejected.
cat >"$T/vercheck.cmake" <<CM
cmake_minimum_required(VERSION 3.16)
project(v LANGUAGES C)
find_package(wandb_media 99.0 CONFIG QUIET)
if(wandb_media_FOUND)
  message(FATAL_ERROR "version 99.0 accepted")
endif()
CM
mkdir -p "$T/vercheck" && cp "$T/vercheck.cmake" "$T/vercheck/CMakeLists.txt"
cmake -S "$T/vercheck" -B "$T/vercheck/b" -DCMAKE_PREFIX_PATH="$P" >/dev/null 2>&1 && ok "version 99.0 rejected" || bad "version check"

# pkg-config consumer.
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion wandb_media)" = "$V" ] && ok "pkg-config --modversion" || bad "pkg-config --modversion"
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Werror "$SRC/main.c" -o "$T/pc_consumer" $(pkg-config --cflags --libs wandb_media) \
  -Wl,-rpath,"$(pkg-config --variable=libdir wandb_media)"; then
  ok "pkg-config compile"
  expect_row "pkg-config C consumer" "$T/pc_consumer"
else
  bad "pkg-config compile"
fi
# shellcheck disable=SC2046
if c++ -std=c++17 -Wall -Werror "$SRC/main.cpp" -o "$T/pc_cpp_consumer" $(pkg-config --cflags --libs wandb_media) \
  -Wl,-rpath,"$P/lib"; then
  ok "pkg-config C++ compile"
  expect_row "pkg-config C++ consumer" "$T/pc_cpp_consumer"
else
  bad "pkg-config C++ compile"
fi

# Go against the installed library (cgo pkg-config line).
if command -v go >/dev/null; then
  # CGO_LDFLAGS names this run's prefix: it is part of Go's build-cache key, while the
  # pkg-config output is not, so a cached build from an earlier (deleted) prefix is not reused.
  if (cd "$ROOT/bindings/go" && CGO_ENABLED=1 CGO_LDFLAGS="-L$P/lib" LD_LIBRARY_PATH="$P/lib" go test -count=1 -tags wandb_pkgconfig \
    -run 'ScalarsRow|ImageU8' . >"$T/go.log" 2>&1); then
    ok "go -tags wandb_pkgconfig"
  else
    cat "$T/go.log"
    bad "go -tags wandb_pkgconfig"
  fi
fi

# Relocation: the CMake package works from a moved prefix.
mv "$P" "$T/moved"
cmake_consumer "$T/moved" "$T/build2" "moved prefix"

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
