#!/usr/bin/env bash
# make test-conan (issue 23 item 8): the Conan 2 recipe (conanfile.py) used as a C/C++ user
# would, with Conan from PyPI (pinned: tests/conan/requirements.txt, venv .venv-conan) and
# no remote, in a CONAN_HOME of its own:
#  - `conan create .` builds the library and the CLI from source with cargo (in this
#    checkout's target dir through WANDB_MEDIA_CARGO_TARGET_DIR: only the crate is rebuilt,
#    ~5 min on 2 busy cores). The exported copy is the same cargo unit as the checkout's
#    (same package, same metadata hash), so target/release then holds that build of the same
#    sources: equivalent, and cargo rebuilds as usual after the next edit;
#  - the package: header, C++ wrapper, stripped .so with SONAME link, the CLI (--version);
#  - a consumer project: `conan install` (CMakeDeps, CMakeToolchain, PkgConfigDeps) + CMake
#    find_package(wandb_media) → wandb_media::wandb_media, its C and C++ programs run and
#    their row JSON and PNG bytes checked; the generated wandb_media.pc compiles the C one.
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"
command -v cmake >/dev/null || wb_apt_install cmake
command -v pkg-config >/dev/null || wb_apt_install pkg-config
command -v c++ >/dev/null || wb_apt_install g++

VENV="$ROOT/.venv-conan"
REQ="$ROOT/tests/conan/requirements.txt"
stamp="$VENV/.ok-$(sha256sum "$REQ" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  touch "$stamp"
fi
CONAN="$VENV/bin/conan"

T="$(mktemp -d "${TMPDIR:-/tmp}/wb-conan-tests.XXXXXX")"
trap 'rm -rf "$T"' EXIT
export CONAN_HOME="$T/conan-home"
V="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)"
M="${V%%.*}"
EXPECT='{"loss":0.5,"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}}'
failed=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
expect_row() {  # expect_row NAME CMD...
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

"$CONAN" profile detect >/dev/null 2>&1
# No remote: everything comes from this checkout (conancenter is not reachable from CI).
"$CONAN" remote remove conancenter >/dev/null 2>&1 || true
t0=$SECONDS
if WANDB_MEDIA_CARGO_TARGET_DIR="$CARGO_TARGET" nice -n 5 "$CONAN" create "$ROOT" --build=missing -nr >"$T/create.log" 2>&1; then
  ok "conan create ($((SECONDS - t0)) s)"
else
  tail -40 "$T/create.log"
  bad "conan create"
fi
PKG="$("$CONAN" cache path "wandb_media/$V:$("$CONAN" list "wandb_media/$V:*" --format=json 2>/dev/null |
  python3 -c 'import json,sys; d=json.load(sys.stdin)["Local Cache"]; r=next(iter(d.values()))["revisions"]; print(next(iter(next(iter(r.values()))["packages"])))' 2>/dev/null)" 2>/dev/null || true)"
if [ -n "$PKG" ] && [ -d "$PKG" ]; then
  for f in include/wandb_media.h include/wandb_media.hpp include/wandb_media/run.hpp include/wandb_media/weave.hpp include/wandb_media/read.hpp "lib/libwandb_media.so.$V" bin/wandb-media licenses/LICENSE; do
    [ -f "$PKG/$f" ] && ok "package has $f" || bad "package lacks $f"
  done
  [ "$(readlink "$PKG/lib/libwandb_media.so.$M")" = "libwandb_media.so.$V" ] && ok "package: .so.$M link" || bad "package: .so.$M link"
  readelf -SW "$PKG/lib/libwandb_media.so.$V" | grep -q '\.debug_info' && bad "package .so not stripped" || ok "package .so stripped"
  [ "$("$PKG/bin/wandb-media" --version)" = "wandb-media $V" ] && ok "package CLI: wandb-media --version" || bad "package CLI --version"
else
  bad "package folder not found"
fi

# The consumer: conan install + CMake.
C="$T/consumer"
cp -r "$ROOT/tests/conan/consumer" "$C"
sed -i "s|\${CMAKE_CURRENT_SOURCE_DIR}/../../packaging/consumer|$ROOT/tests/packaging/consumer|" "$C/CMakeLists.txt"
if "$CONAN" install "$C" --output-folder="$C/build" --build=missing -nr >"$T/install.log" 2>&1 &&
  cmake -S "$C" -B "$C/build" -DCMAKE_TOOLCHAIN_FILE="$C/build/conan_toolchain.cmake" -DCMAKE_BUILD_TYPE=Release >"$T/cmake.log" 2>&1 &&
  cmake --build "$C/build" -j2 >>"$T/cmake.log" 2>&1; then
  ok "consumer: conan install + cmake configure + build"
  expect_row "consumer C program (find_package → wandb_media::wandb_media)" "$C/build/c_consumer"
  expect_row "consumer C++ program" "$C/build/cpp_consumer"
  readelf -d "$C/build/c_consumer" | grep -q "NEEDED.*libwandb_media.so.$M" && ok "consumer NEEDs libwandb_media.so.$M" || bad "consumer NEEDED"
else
  cat "$T/install.log" "$T/cmake.log" | tail -40
  bad "consumer build"
fi
# The generated pkg-config file.
if [ -f "$C/build/wandb_media.pc" ]; then
  # shellcheck disable=SC2046
  if cc -std=c11 -Wall -Werror "$ROOT/tests/packaging/consumer/main.c" -o "$T/pc_consumer" \
    $(PKG_CONFIG_PATH="$C/build" pkg-config --cflags --libs wandb_media) \
    -Wl,-rpath,"$(PKG_CONFIG_PATH="$C/build" pkg-config --variable=libdir wandb_media)"; then
    expect_row "consumer via the generated wandb_media.pc" "$T/pc_consumer"
  else
    bad "pkg-config compile"
  fi
else
  bad "PkgConfigDeps wrote no wandb_media.pc"
fi

echo "conan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
