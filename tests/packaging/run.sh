#!/usr/bin/env bash
# Packaging test: scripts/install.sh into a temp prefix, then
#  - check the installed layout (headers, .so + SONAME symlinks, .a, .pc, CMake package);
#  - configure + build + run an out-of-tree CMake consumer (C, C++, static C) against it,
#    also after moving the prefix (the CMake package is relocatable);
#  - compile + run a C file with `pkg-config --cflags --libs wandb_media`;
#  - build the Go package against the install with -tags wandb_pkgconfig;
#  - the CLI PREFIX/bin/wandb-media (--version, --help) and a stripped install: no debug
#    sections in the .so, .a and CLI, sizes bounded, the debug info in .debug/ found through
#    .gnu_debuglink (issue 23 items 5, 6);
#  - Go outside the repository: a consumer module in a temp dir with a `replace` directive to
#    this checkout's bindings/go, -tags wandb_pkgconfig and an rpath (item 7);
#  - Go's build cache: after a "user" build of bindings/go -tags wandb_pkgconfig against the
#    installed library, tests/online's pkg-config build still links its own static library
#    (item 10).
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin wandb-media  # the CLI install.sh installs
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
# every part of the C++ wrapper that the repository has (wandb_media.hpp includes them all)
PARTS="$(cd "$ROOT/bindings/cpp" && ls include/wandb_media/*.hpp | tr '\n' ' ')"
for f in include/wandb_media.h include/wandb_media.hpp $PARTS "lib/libwandb_media.so.$V" lib/libwandb_media.a \
  lib/pkgconfig/wandb_media.pc lib/cmake/wandb_media/wandb_mediaConfig.cmake \
  lib/cmake/wandb_media/wandb_mediaConfigVersion.cmake; do
  [ -f "$P/$f" ] && ok "installed $f" || bad "missing $f"
done
[ "$(readlink "$P/lib/libwandb_media.so.$M")" = "libwandb_media.so.$V" ] && ok "symlink .so.$M" || bad "symlink .so.$M"
[ "$(readlink "$P/lib/libwandb_media.so")" = "libwandb_media.so.$M" ] && ok "symlink .so" || bad "symlink .so"
soname="$(readelf -d "$P/lib/libwandb_media.so.$V" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[ "$soname" = "libwandb_media.so.$M" ] && ok "SONAME $soname" || bad "SONAME '$soname'"

# The CLI (issue 23 item 5): installed, runs, --version and --help.
CLI="$P/bin/wandb-media"
if [ -x "$CLI" ]; then
  ok "installed bin/wandb-media"
  [ "$(env -i "$CLI" --version 2>&1)" = "wandb-media $V" ] && ok "wandb-media --version = wandb-media $V" || bad "wandb-media --version: $(env -i "$CLI" --version 2>&1)"
  if env -i "$CLI" --help >"$T/help.txt" 2>&1 && grep -qF 'wandb-media sync [OPTIONS] DIR...' "$T/help.txt"; then
    ok "wandb-media --help (exit 0, names sync)"
  else
    bad "wandb-media --help: $(head -3 "$T/help.txt")"
  fi
  rc=0
  env -i "$CLI" --bogus >/dev/null 2>&1 || rc=$?
  [ $rc -eq 2 ] && ok "wandb-media --bogus exits 2" || bad "wandb-media --bogus exit $rc"
else
  bad "missing bin/wandb-media"
fi

# Stripped install (issue 23 item 6): no debug sections in what is installed, the debug info
# next to it in .debug/ (gdb's .gnu_debuglink search path), and sizes that show it.
# (.debug_gdb_scripts is not debug info: Rust's few bytes, loaded with the program, that
# point gdb at its pretty-printers; strip --strip-all keeps it.)
debug_sections() {  # debug_sections FILE: the .debug_* section names (archives: of all members)
  readelf -SW "$1" 2>/dev/null | grep -o '\.debug_[a-z_]*' | grep -vx '\.debug_gdb_scripts' | sort -u | tr '\n' ' ' || true
}
# Control: the check sees the debug info in cargo's own build.
[ -n "$(debug_sections "$LIBDIR/libwandb_media.so")" ] && ok "control: cargo's .so has debug sections" || bad "control: no debug sections in cargo's .so (the check would be vacuous)"
for f in "lib/libwandb_media.so.$V" lib/libwandb_media.a bin/wandb-media; do
  ds="$(debug_sections "$P/$f")"
  [ -z "$ds" ] && ok "$f has no debug sections" || bad "$f not stripped: $ds"
done
size_mb() { echo $(( $(stat -c %s "$1") / 1048576 )); }
so_mb="$(size_mb "$P/lib/libwandb_media.so.$V")" a_mb="$(size_mb "$P/lib/libwandb_media.a")" cli_mb="$(size_mb "$CLI")"
[ "$so_mb" -le 16 ] && ok ".so is $so_mb MB (cargo's: $(size_mb "$LIBDIR/libwandb_media.so") MB)" || bad ".so is $so_mb MB (> 16)"
[ "$a_mb" -le 64 ] && ok ".a is $a_mb MB (cargo's: $(size_mb "$LIBDIR/libwandb_media.a") MB)" || bad ".a is $a_mb MB (> 64)"
[ "$cli_mb" -le 10 ] && ok "bin/wandb-media is $cli_mb MB" || bad "bin/wandb-media is $cli_mb MB (> 10)"
for pair in "lib/libwandb_media.so.$V:lib/.debug/libwandb_media.so.$V.debug" "bin/wandb-media:bin/.debug/wandb-media.debug"; do
  f="${pair%%:*}" d="${pair#*:}"
  link="$(readelf -p .gnu_debuglink "$P/$f" 2>/dev/null | sed -n 's/^ *\[ *0\] *//p')"
  if [ "$link" = "$(basename "$d")" ] && [ -f "$P/$d" ] && debug_sections "$P/$d" | grep -q debug_info; then
    ok "$f: .gnu_debuglink -> $d (has .debug_info)"
  else
    bad "$f: debug link '$link', $d"
  fi
done

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
  if (cd "$ROOT/bindings/go" && CGO_ENABLED=1 CGO_LDFLAGS="-L$P/lib -Wl,-rpath,$P/lib" go test -count=1 -tags wandb_pkgconfig \
    -run 'ScalarsRow|ImageU8' . >"$T/go.log" 2>&1); then
    ok "go -tags wandb_pkgconfig"
  else
    cat "$T/go.log"
    bad "go -tags wandb_pkgconfig"
  fi
fi

# Go outside the repository (issue 23 item 7): a consumer module in a temp dir that reaches
# this checkout's bindings/go through a `replace` directive, pkg-config mode against the
# install, an rpath so it runs without LD_LIBRARY_PATH.
if command -v go >/dev/null; then
  mkdir -p "$T/goapp"
  cp "$ROOT/tests/dist/goconsumer/main.go" "$T/goapp/"
  cat >"$T/goapp/go.mod" <<EOF
module example.com/wbconsumer

go 1.22

require github.com/wandb-media/wandb-media/bindings/go v$V

replace github.com/wandb-media/wandb-media/bindings/go => $ROOT/bindings/go
EOF
  if (cd "$T/goapp" && env -u LD_LIBRARY_PATH GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=1 PKG_CONFIG_PATH="$P/lib/pkgconfig" \
    CGO_LDFLAGS="-Wl,-rpath,$P/lib" go build -tags wandb_pkgconfig -o "$T/goapp/wbconsumer" . >"$T/goapp.log" 2>&1); then
    ok "go build outside the repository (replace => checkout, -tags wandb_pkgconfig, rpath)"
    readelf -d "$T/goapp/wbconsumer" | grep -q "R.*PATH.*$P/lib" && ok "go consumer RUNPATH $P/lib" || bad "go consumer has no RUNPATH to the prefix"
    readelf -d "$T/goapp/wbconsumer" | grep -q "NEEDED.*libwandb_media.so.$M" && ok "go consumer NEEDs libwandb_media.so.$M" || bad "go consumer NEEDED"
    expect_row "go consumer outside the repository (no LD_LIBRARY_PATH)" env -u LD_LIBRARY_PATH "$T/goapp/wbconsumer"
  else
    cat "$T/goapp.log"
    bad "go build outside the repository"
  fi

  # Go's build cache (issue 23 item 10). As a user would: bindings/go built with -tags
  # wandb_pkgconfig against the installed library, into "their" cache (GOCACHE, which the
  # suites then inherit). Then tests/online builds its Go program in the same link mode
  # against its own .pc naming the static debug library: it must not be handed the user's
  # build (which needs libwandb_media.so.0 with no rpath).
  UC="$T/user-gocache"
  if (cd "$ROOT/bindings/go" && env GOCACHE="$UC" CGO_ENABLED=1 PKG_CONFIG_PATH="$P/lib/pkgconfig" \
    go build -tags wandb_pkgconfig -o "$T/user_online_run" ./cmd/online-run >"$T/user-go.log" 2>&1) &&
    readelf -d "$T/user_online_run" | grep -q "NEEDED.*libwandb_media.so.$M"; then
    ok "user build: bindings/go -tags wandb_pkgconfig against the install (needs .so.$M)"
  else
    cat "$T/user-go.log"
    bad "user build of bindings/go -tags wandb_pkgconfig"
  fi
  OBIN="${CARGO_TARGET_DIR:-$ROOT/target}/online-tests/online_run_go"
  rm -f "$OBIN"
  if env GOCACHE="$UC" WB_TEST_GOCACHE= PKG_CONFIG_PATH="$P/lib/pkgconfig" "$ROOT/tests/online/online.sh" --build-only >"$T/online-build.log" 2>&1; then
    if readelf -d "$OBIN" | grep -q 'NEEDED.*libwandb_media'; then
      bad "tests/online's Go program was handed the user's cached pkg-config build (needs libwandb_media.so)"
    else
      ok "tests/online's Go program links its own static library after a user's pkg-config build"
    fi
  else
    tail -20 "$T/online-build.log"
    bad "tests/online.sh --build-only"
  fi
fi

# Relocation: the CMake package works from a moved prefix.
mv "$P" "$T/moved"
cmake_consumer "$T/moved" "$T/build2" "moved prefix"

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
