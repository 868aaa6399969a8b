#!/usr/bin/env bash
# make test-dist: the prebuilt bundles of `make dist` (dist/) used as a downloader would.
#  - bundle contents: SHA256SUMS verify, bin/wandb-media (stripped, --version, --help), stripped .so with .gnu_debuglink + separate debug
#    file, licences (IJG sentence, OpenH264 BSD-2, zlib);
#  - symbol hygiene: only wb_* global in the static archive and in the .so's dynamic symbol
#    table, exactly the functions the header declares; a C program linking the archive AND
#    the system -lz -lpng (our PNG = reference bytes, system zlib/libpng still theirs); a
#    program defining its own deflate/crc32/WelsCreateSVCEncoder; both also linked against
#    the raw (non-localised) cargo archive as a control that must fail;
#  - a fresh CMake project: FetchContent_Declare(URL file://….tar.gz URL_HASH SHA256=…) +
#    find_package, C/C++ x shared/static consumers built and run, output checked;
#    the same bundle through pkg-config;
#  - Go without Rust: the published module tree (dist/go-module) copied to a temp dir, a
#    consumer built with GOFLAGS=-mod=mod + replace, cargo/rustc not on PATH, run, checked;
#    the same tree in the pkg-config mode against the bundle with an rpath;
#  - version check: C++ and Go built against a header claiming another minor version refuse
#    to run with a clear message; built against the right one they run;
#  - cross bundles (if built; those named in WB_DIST_REQUIRE, as make test-dist sets, must be): Linux ARM64
#    under qemu-user and Windows x86-64 under wine (tests/dist/cross.sh).
# Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

command -v cmake >/dev/null || wb_apt_install cmake
command -v pkg-config >/dev/null || wb_apt_install pkg-config
command -v cc >/dev/null || wb_apt_install gcc
command -v c++ >/dev/null || wb_apt_install g++
[ -f /usr/include/png.h ] || wb_apt_install libpng-dev
[ -f /usr/include/zlib.h ] || wb_apt_install zlib1g-dev
command -v go >/dev/null || wb_apt_install golang-go

VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)"
MAJOR="${VERSION%%.*}"
MINOR="$(echo "$VERSION" | cut -d. -f2)"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
DIST="${DIST_DIR:-$ROOT/dist}"
BUNDLE="$DIST/wandb_media-$VERSION-$HOST.tar.gz"
[ -f "$BUNDLE" ] || { echo "test-dist: $BUNDLE missing: run make dist" >&2; exit 1; }

T="$(mktemp -d "${TMPDIR:-/tmp}/wb-dist-tests.XXXXXX")"
trap 'rm -rf "$T"' EXIT
EXPECT='{"loss":0.5,"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}}'
PNG_SHA=4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d
PNG=media/images/img_0_4b2ef48a447ceee4ef90.png

failed=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
# `producer | grep -q` can fail under pipefail (grep exits early, producer gets SIGPIPE).
has() { grep "$@" >/dev/null; }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() {  # check NAME CMD...
  local n="$1"
  shift
  if "$@" >"$T/check.log" 2>&1; then ok "$n"; else cat "$T/check.log"; bad "$n"; fi
}
expect_row() {  # expect_row NAME CMD... : prints EXPECT and writes the reference PNG into its dir arg
  local name="$1" out
  shift
  rm -rf "$T/run"
  if out="$("$@" "$T/run" 2>&1)" && [ "$(echo "$out" | tr -d '\r')" = "$EXPECT" ] &&
    [ "$(sha256sum "$T/run/$PNG" | cut -c1-64)" = "$PNG_SHA" ]; then
    ok "$name"
  else
    bad "$name: $out"
  fi
}

# ---- bundle contents ------------------------------------------------------------------
B="$T/x/wandb_media-$VERSION-$HOST"
mkdir -p "$T/x" && tar -C "$T/x" -xzf "$BUNDLE"
check "dist/SHA256SUMS lists the archives" bash -c "cd '$DIST' && sha256sum -c --quiet SHA256SUMS"
check "bundle SHA256SUMS verify" bash -c "cd '$B' && sha256sum -c --quiet SHA256SUMS && [ \$(wc -l <SHA256SUMS) -ge 10 ]"
# every part of the C++ wrapper that the repository has (wandb_media.hpp includes them all)
PARTS="$(cd "$ROOT/bindings/cpp" && ls include/wandb_media/*.hpp | tr '\n' ' ')"
for f in include/wandb_media.h include/wandb_media.hpp $PARTS "lib/libwandb_media.so.$VERSION" lib/libwandb_media.a \
  lib/pkgconfig/wandb_media.pc lib/cmake/wandb_media/wandb_mediaConfig.cmake \
  lib/cmake/wandb_media/wandb_mediaConfigVersion.cmake LICENSE THIRD_PARTY_NOTICES README.txt; do
  [ -f "$B/$f" ] && ok "bundle has $f" || bad "bundle lacks $f"
done
[ "$(readlink "$B/lib/libwandb_media.so.$MAJOR")" = "libwandb_media.so.$VERSION" ] && ok "symlink .so.$MAJOR" || bad "symlink .so.$MAJOR"
# The CLI: present, stripped, runs without Rust or the library next to it, --version/--help.
CLI="$B/bin/wandb-media"
if [ -x "$CLI" ]; then
  ok "bundle has bin/wandb-media"
  readelf -SW "$CLI" | has '\.debug_info' && bad "bin/wandb-media is not stripped" || ok "bin/wandb-media stripped ($(stat -c %s "$CLI") bytes)"
  [ "$(env -i "$CLI" --version 2>&1)" = "wandb-media $VERSION" ] && ok "wandb-media --version = wandb-media $VERSION" || bad "wandb-media --version: $(env -i "$CLI" --version 2>&1)"
  env -i "$CLI" --help >"$T/cli-help.txt" 2>&1 && has -F 'wandb-media sync [OPTIONS] DIR...' "$T/cli-help.txt" &&
    ok "wandb-media --help (exit 0, names sync)" || bad "wandb-media --help: $(head -3 "$T/cli-help.txt")"
  # An empty run directory: a clear error and exit 1, not a crash.
  mkdir -p "$T/cli-empty"
  if env -i WANDB_API_KEY="local$(printf '0%.0s' $(seq 35))" WANDB_BASE_URL=http://127.0.0.1:9 "$CLI" sync "$T/cli-empty" >"$T/cli-sync.txt" 2>&1; then
    bad "wandb-media sync of an empty directory succeeded"
  else
    has 'sync failed' "$T/cli-sync.txt" && ok "wandb-media sync of a non-run directory fails with a message" || bad "wandb-media sync: $(cat "$T/cli-sync.txt")"
  fi
else
  bad "bundle lacks bin/wandb-media"
fi
SO="$B/lib/libwandb_media.so.$VERSION"
if readelf -SW "$SO" | has '\.debug_info'; then bad ".so is not stripped"; else ok ".so stripped ($(stat -c %s "$SO") bytes)"; fi
dbg_name="$(readelf -p .gnu_debuglink "$SO" 2>/dev/null | sed -n 's/^ *\[ *0\] *//p')"
mkdir -p "$T/dbg" && tar -C "$T/dbg" -xzf "$DIST/wandb_media-$VERSION-$HOST-debug.tar.gz"
dbg="$T/dbg/wandb_media-$VERSION-$HOST-debug/$dbg_name"
if [ -n "$dbg_name" ] && [ -f "$dbg" ] && readelf -SW "$dbg" | has '\.debug_info'; then
  ok ".gnu_debuglink -> $dbg_name (in the -debug archive, has .debug_info)"
else
  bad "debug link '$dbg_name'"
fi
cli_dbg="$(readelf -p .gnu_debuglink "$CLI" 2>/dev/null | sed -n 's/^ *\[ *0\] *//p')"
if [ "$cli_dbg" = wandb-media.debug ] && readelf -SW "$T/dbg/wandb_media-$VERSION-$HOST-debug/$cli_dbg" 2>/dev/null | has '\.debug_info'; then
  ok "bin/wandb-media .gnu_debuglink -> $cli_dbg (in the -debug archive)"
else
  bad "bin/wandb-media debug link '$cli_dbg'"
fi
[ "$(readelf -d "$SO" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')" = "libwandb_media.so.$MAJOR" ] && ok "SONAME" || bad "SONAME"
check "zip bundle has the same files" bash -c "cd '$T' && mkdir z && cd z && unzip -q '$DIST/wandb_media-$VERSION-$HOST.zip' && diff -r '$B' 'wandb_media-$VERSION-$HOST'"
N="$B/THIRD_PARTY_NOTICES"
grep -q 'This software is based in part on the work of the Independent JPEG Group' "$N" && ok "notices: IJG sentence" || bad "notices: IJG sentence"
grep -q 'Copyright (c) 2013, Cisco Systems' "$N" && grep -q 'OpenH264' "$N" && ok "notices: OpenH264 BSD-2" || bad "notices: OpenH264"
grep -q 'Jean-loup Gailly and Mark Adler' "$N" && ok "notices: zlib" || bad "notices: zlib"
n_crates="$(sed -n '/^Summary:/,/^$/p' "$N" | grep -c '^  ')"
[ "$n_crates" -ge 50 ] && ok "notices: $n_crates components listed" || bad "notices: only $n_crates components"
if grep -E '^  .*  .*(GPL|AGPL|LGPL|NonCommercial|-NC)' "$N"; then bad "notices: copyleft/NC licence listed"; else ok "notices: no GPL/AGPL/NC"; fi
cmp -s "$B/LICENSE" "$ROOT/LICENSE" && ok "LICENSE" || bad "LICENSE"

# ---- symbol hygiene -------------------------------------------------------------------
sed -n 's/^[a-z].*[ *]\(wb_[a-z0-9_]*\)(.*/\1/p' "$ROOT/include/wandb_media.h" | sort -u >"$T/header.syms"
readelf -sW "$B/lib/libwandb_media.a" 2>/dev/null | awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" {print $8}' | sort -u >"$T/a.syms"
readelf -sW --dyn-syms "$SO" | awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" {print $8}' | sed 's/@.*//' | sort -u >"$T/so.syms"
if grep -v '^wb_' "$T/a.syms" | head -5 | has .; then bad ".a exports non-wb_ symbols: $(grep -v '^wb_' "$T/a.syms" | head -5 | tr '\n' ' ')"; else ok ".a: only wb_* global ($(wc -l <"$T/a.syms") symbols)"; fi
if grep -v '^wb_' "$T/so.syms" | head -5 | has .; then bad ".so exports non-wb_ symbols: $(grep -v '^wb_' "$T/so.syms" | head -5 | tr '\n' ' ')"; else ok ".so: only wb_* in the dynamic symbol table ($(wc -l <"$T/so.syms") symbols)"; fi
diff "$T/header.syms" "$T/a.syms" >/dev/null && ok ".a globals = header functions ($(wc -l <"$T/header.syms"))" || bad ".a globals differ from the header: $(diff "$T/header.syms" "$T/a.syms" | head -5 | tr '\n' ' ')"
diff "$T/header.syms" "$T/so.syms" >/dev/null && ok ".so exports = header functions" || bad ".so exports differ from the header: $(diff "$T/header.syms" "$T/so.syms" | head -5 | tr '\n' ' ')"
for s in deflate deflateInit2_ crc32 inflate zlibVersion WelsCreateSVCEncoder WelsDestroySVCEncoder rust_eh_personality; do
  bind="$(readelf -sW "$B/lib/libwandb_media.a" 2>/dev/null | awk -v s="$s" '$8==s && $7!="UND" {print $5}' | sort -u | tr '\n' ' ')"
  case "$bind" in
    *GLOBAL* | *WEAK*) bad ".a: $s is $bind" ;;
    LOCAL*) ok ".a: $s defined but local" ;;
    *) bad ".a: $s not found at all (the check would be vacuous)" ;;
  esac
done

STATIC_LIBS="$(sed -n 's/^Libs.private: //p' "$B/lib/pkgconfig/wandb_media.pc")"
link_syslibs() {  # link_syslibs ARCHIVE OUT
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Werror -I"$B/include" "$ROOT/tests/dist/syslibs.c" "$1" -lpng -lz $STATIC_LIBS -o "$2"
}
link_ownzlib() {
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Werror -I"$B/include" "$ROOT/tests/dist/ownzlib.c" "$1" $STATIC_LIBS -o "$2"
}
if link_syslibs "$B/lib/libwandb_media.a" "$T/syslibs" 2>"$T/l.log"; then
  ok "link .a + system -lz -lpng"
  expect_row "syslibs: system zlib/libpng intact, our PNG = reference bytes, libpng decodes it" "$T/syslibs"
  ldd "$T/syslibs" | has 'libz\.so' && ldd "$T/syslibs" | has 'libpng' && ok "syslibs uses the system libz/libpng .so" || bad "syslibs ldd"
else
  cat "$T/l.log"
  bad "link .a + system -lz -lpng"
fi
if link_ownzlib "$B/lib/libwandb_media.a" "$T/ownzlib" 2>"$T/l.log"; then
  ok "link .a + program's own deflate/crc32/zlibVersion/WelsCreateSVCEncoder/rust_eh_personality"
  expect_row "ownzlib: our PNG = reference bytes, MP4 encodes, program's own functions untouched" "$T/ownzlib"
else
  cat "$T/l.log"
  bad "link .a + program's own zlib names"
fi
# Control: the raw cargo archive (all symbols global) must fail the same tests.
RAW="${CARGO_TARGET_DIR:-$ROOT/target}/release/libwandb_media.a"
if [ -f "$RAW" ]; then
  if link_syslibs "$RAW" "$T/syslibs_raw" 2>/dev/null && rm -rf "$T/run" && "$T/syslibs_raw" "$T/run" >/dev/null 2>&1; then
    bad "control: raw archive + system zlib passed (the test cannot fail?)"
  else
    ok "control: raw cargo archive + system zlib fails (its zlib takes over)"
  fi
  if link_ownzlib "$RAW" "$T/ownzlib_raw" 2>/dev/null; then
    bad "control: raw archive + own deflate linked"
  else
    ok "control: raw cargo archive + program's own deflate fails to link (multiple definition)"
  fi
fi

# ---- CMake: FetchContent + find_package -------------------------------------------------
cmake_fetch() {  # cmake_fetch BUNDLE BUILD_DIR LABEL [cmake args...]
  local bundle="$1" bdir="$2" label="$3"
  shift 3
  local sha
  sha="$(sha256sum "$bundle" | cut -c1-64)"
  if cmake -S "$ROOT/tests/dist/fetch" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DWB_BUNDLE_URL="file://$bundle" \
    -DWB_BUNDLE_SHA256="$sha" -DWB_VERSION="$MAJOR.$MINOR" "$@" >"$bdir.log" 2>&1 &&
    cmake --build "$bdir" -j2 >>"$bdir.log" 2>&1; then
    ok "cmake FetchContent+find_package configure+build ($label)"
  else
    tail -30 "$bdir.log"
    bad "cmake FetchContent+find_package ($label)"
    return 1
  fi
}
if cmake_fetch "$BUNDLE" "$T/cm" "$HOST"; then
  for exe in c_consumer cpp_consumer c_static_consumer cpp_static_consumer; do
    expect_row "cmake $exe ($HOST)" "$T/cm/$exe"
  done
  readelf -d "$T/cm/c_consumer" | has "NEEDED.*libwandb_media.so.$MAJOR" && ok "c_consumer NEEDs libwandb_media.so.$MAJOR" || bad "c_consumer NEEDED"
  readelf -d "$T/cm/c_static_consumer" | has libwandb_media && bad "static consumer needs the .so" || ok "static consumer self-contained"
fi
# A wrong hash must be refused.
mkdir -p "$T/cmbad"
if cmake -S "$ROOT/tests/dist/fetch" -B "$T/cmbad" -DWB_BUNDLE_URL="file://$BUNDLE" -DWB_VERSION="$MAJOR.$MINOR" \
  -DWB_BUNDLE_SHA256=0000000000000000000000000000000000000000000000000000000000000000 >"$T/cmbad.log" 2>&1; then
  bad "FetchContent accepted a wrong URL_HASH"
else
  grep -qi 'hash' "$T/cmbad.log" && ok "FetchContent refuses a wrong URL_HASH" || bad "wrong hash: unexpected error"
fi

# ---- pkg-config on the extracted bundle --------------------------------------------------
PC="$B/lib/pkgconfig"
[ "$(PKG_CONFIG_PATH="$PC" pkg-config --modversion wandb_media)" = "$VERSION" ] && ok "pkg-config --modversion" || bad "pkg-config --modversion"
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Werror "$ROOT/tests/packaging/consumer/main.c" -o "$T/pc_c" \
  $(PKG_CONFIG_PATH="$PC" pkg-config --cflags --libs wandb_media) -Wl,-rpath,"$B/lib"; then
  expect_row "pkg-config C consumer (relocatable .pc via \${pcfiledir})" "$T/pc_c"
else
  bad "pkg-config compile"
fi

# ---- Go without Rust ---------------------------------------------------------------------
GM="$DIST/go-module"
if [ -d "$GM" ]; then
  MOD="$T/gomod/wandb-media-go"
  mkdir -p "$T/gomod" && cp -a "$GM" "$MOD"
  mkdir -p "$T/goapp"
  cp "$ROOT/tests/dist/goconsumer/main.go" "$T/goapp/"
  cat >"$T/goapp/go.mod" <<EOF
module example.com/wbconsumer

go 1.22

require github.com/wandb-media/wandb-media/bindings/go v$VERSION

replace github.com/wandb-media/wandb-media/bindings/go => $MOD
EOF
  # PATH without cargo/rustc (only directories that have neither), Go kept.
  NORUST_PATH="$(dirname "$(command -v go)")"
  IFS=: read -r -a pdirs <<<"$PATH"
  for d in "${pdirs[@]}"; do
    [ -x "$d/cargo" ] || [ -x "$d/rustc" ] || NORUST_PATH="$NORUST_PATH:$d"
  done
  GOENV_NORUST=(env -u CGO_CFLAGS -u CGO_LDFLAGS -u LD_LIBRARY_PATH -u CARGO_TARGET_DIR PATH="$NORUST_PATH"
    GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=1)
  if "${GOENV_NORUST[@]}" bash -c '! command -v cargo && ! command -v rustc' >/dev/null; then
    ok "go: cargo and rustc not on PATH"
  else
    bad "go: cargo still on PATH"
  fi
  if (cd "$T/goapp" && "${GOENV_NORUST[@]}" go build -o "$T/goapp/wbconsumer" . >"$T/go.log" 2>&1); then
    ok "go build of a consumer of the published module (no Rust, no checkout)"
    expect_row "go consumer output" env -u LD_LIBRARY_PATH "$T/goapp/wbconsumer"
    readelf -d "$T/goapp/wbconsumer" | has libwandb_media && bad "go consumer needs libwandb_media.so" || ok "go consumer links the prebuilt static archive"
  else
    cat "$T/go.log"
    bad "go build of a consumer of the published module"
  fi
  grep -rq 'target/release' "$MOD"/*.go && bad "published module references target/release" || ok "published module has no repository link mode"
  # The same module tree in the pkg-config mode against the unpacked bundle (its .pc is
  # relocatable), with an rpath: the shared library, found without LD_LIBRARY_PATH.
  if (cd "$T/goapp" && "${GOENV_NORUST[@]}" PKG_CONFIG_PATH="$B/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$B/lib" \
    go build -tags wandb_pkgconfig -o "$T/goapp/wbconsumer_pc" . >"$T/gopc.log" 2>&1); then
    ok "go build of the module tree, -tags wandb_pkgconfig against the bundle (no Rust)"
    readelf -d "$T/goapp/wbconsumer_pc" | has "NEEDED.*libwandb_media.so.$MAJOR" && readelf -d "$T/goapp/wbconsumer_pc" | has "R.*PATH.*$B/lib" &&
      ok "pkg-config Go consumer NEEDs libwandb_media.so.$MAJOR with an rpath to the bundle" || bad "pkg-config Go consumer NEEDED/RUNPATH"
    expect_row "pkg-config Go consumer output (no LD_LIBRARY_PATH)" env -u LD_LIBRARY_PATH "$T/goapp/wbconsumer_pc"
  else
    cat "$T/gopc.log"
    bad "go build of the module tree with -tags wandb_pkgconfig"
  fi
else
  bad "dist/go-module missing"
fi

# ---- version check (C++ and Go refuse an incompatible library) ---------------------------
FAKE="$T/fakeinc"
mkdir -p "$FAKE"
sed -e "s/^#define WB_VERSION_MINOR .*/#define WB_VERSION_MINOR $((MINOR + 1))/" \
  -e "s/^#define WB_VERSION_STRING .*/#define WB_VERSION_STRING \"$MAJOR.$((MINOR + 1)).0\"/" \
  "$B/include/wandb_media.h" >"$FAKE/wandb_media.h"
cp -r "$B/include/wandb_media.hpp" "$B/include/wandb_media" "$FAKE/"
vcheck_cpp() {  # vcheck_cpp INCDIR OUT
  c++ -std=c++17 -Wall -Werror -I"$1" "$ROOT/tests/packaging/consumer/main.cpp" -o "$2" -L"$B/lib" -lwandb_media -Wl,-rpath,"$B/lib"
}
if vcheck_cpp "$FAKE" "$T/cpp_wrongver" && ! ("$T/cpp_wrongver" "$T/run-wv" >"$T/wv.out" 2>&1; exit $?) 2>/dev/null &&
  grep -q "incompatible library: this program was compiled against wandb_media.h $MAJOR.$((MINOR + 1)).0 but the loaded wandb_media library is $VERSION" "$T/wv.out" &&
  [ ! -e "$T/run-wv" ]; then
  ok "C++ built against a $MAJOR.$((MINOR + 1)) header refuses to run (abort before main)"
  sed 's/^/     | /' "$T/wv.out"
else
  cat "$T/wv.out" 2>/dev/null
  bad "C++ version check"
fi
vcheck_cpp "$B/include" "$T/cpp_rightver" && expect_row "C++ built against the matching header runs" "$T/cpp_rightver"
if [ -d "$GM" ]; then
  rm -rf "$T/run-wv"
  if (cd "$T/goapp" && "${GOENV_NORUST[@]}" CGO_CFLAGS="-I$FAKE" go build -o "$T/goapp/wrongver" . >"$T/gowv.log" 2>&1) &&
    ! "$T/goapp/wrongver" "$T/run-wv" >"$T/gowv.out" 2>&1 &&
    grep -q "wandbmedia: incompatible wandb_media C library: this package was compiled against wandb_media.h $MAJOR.$((MINOR + 1)).0 but the linked library is $VERSION" "$T/gowv.out" &&
    [ ! -e "$T/run-wv" ]; then
    ok "Go built against a $MAJOR.$((MINOR + 1)) header refuses to run (panic at init)"
    head -1 "$T/gowv.out" | sed 's/^/     | /'
  else
    cat "$T/gowv.log" "$T/gowv.out" 2>/dev/null
    bad "Go version check"
  fi
fi

# ---- cross bundles: Linux ARM64 under qemu, Windows x86-64 under wine ----------------------
source "$ROOT/tests/dist/cross.sh"
for triple in aarch64-unknown-linux-gnu x86_64-pc-windows-gnu; do
  if [ -f "$DIST/wandb_media-$VERSION-$triple.tar.gz" ]; then
    cross_bundle "$triple"
  elif [[ " ${WB_DIST_REQUIRE:-} " == *" $triple "* ]]; then
    bad "[$triple] no bundle in $DIST"
  else
    echo "not built: [$triple] (not in DIST_TARGETS)"
  fi
done

echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
