#!/usr/bin/env bash
# make dist: prebuilt bundles for each target that can be built here.
#
#   packaging/dist.sh [TARGET...]      (default: $DIST_TARGETS or every target whose
#                                       toolchain is installed; the host always)
#
# For each Rust target triple T it writes into dist/:
#   wandb_media-V-T.tar.gz and .zip      the bundle (layout below)
#   wandb_media-V-T-debug.tar.gz         the debug info split off the shared library
#   SHA256SUMS                           of all archives
# and adds T's static archive to the Go module tree dist/go-module/ (what a release
# publishes as github.com/wandb-media/wandb-media/bindings/go: sources + lib/GOOS-GOARCH/).
#
# Bundle layout (relocatable; SHA256SUMS inside lists every other file):
#   include/wandb_media.h, wandb_media.hpp      C header, C++17 wrapper
#   lib/libwandb_media.so.V (+ .so.MAJOR, .so)  Linux: stripped shared library (.gnu_debuglink)
#   bin/wandb_media.dll                         Windows: stripped DLL (C ABI, mingw-built)
#   lib/wandb_media.lib, lib/wandb_media.def    Windows: MSVC import library + export list
#   lib/libwandb_media.dll.a                    Windows: mingw import library
#   lib/libwandb_media.a                        static library: only wb_* symbols global
#   lib/pkgconfig/wandb_media.pc                pkg-config (relocatable via ${pcfiledir})
#   lib/cmake/wandb_media/                      find_package(wandb_media CONFIG)
#   bin/wandb-media (Windows: wandb-media.exe)   the CLI (`wandb-media sync DIR`), stripped
#   LICENSE, THIRD_PARTY_NOTICES, README.txt
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIST="${DIST_DIR:-$ROOT/dist}"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
MAJOR="${VERSION%%.*}"
MINOR="$(echo "$VERSION" | cut -d. -f2)"

have_toolchain() {  # can TARGET be built and linked here?
  case "$1" in
    "$HOST") return 0 ;;
    aarch64-unknown-linux-gnu) command -v aarch64-linux-gnu-gcc >/dev/null && command -v aarch64-linux-gnu-g++ >/dev/null ;;
    x86_64-pc-windows-gnu) command -v x86_64-w64-mingw32-gcc >/dev/null && command -v x86_64-w64-mingw32-g++ >/dev/null ;;
    *) return 1 ;;
  esac && rustup target list --installed 2>/dev/null | grep -qx "$1"
}

if [ $# -gt 0 ]; then
  TARGETS=("$@")
elif [ -n "${DIST_TARGETS:-}" ]; then
  read -r -a TARGETS <<<"$DIST_TARGETS"
else
  TARGETS=()
  for t in "$HOST" aarch64-unknown-linux-gnu x86_64-pc-windows-gnu; do
    if have_toolchain "$t"; then TARGETS+=("$t"); else echo "dist: skipping $t (no cross toolchain installed)"; fi
  done
fi

# Per-target tools and facts.
target_facts() {
  T="$1"
  case "$T" in
    x86_64-unknown-linux-gnu) TP="" GOARCH_DIR=linux-amd64 OS=linux ;;
    aarch64-unknown-linux-gnu) TP=aarch64-linux-gnu- GOARCH_DIR=linux-arm64 OS=linux ;;
    x86_64-pc-windows-gnu) TP=x86_64-w64-mingw32- GOARCH_DIR=windows-amd64 OS=windows ;;
    *) echo "dist: unsupported target $T" >&2; exit 2 ;;
  esac
  [ "$T" = "$HOST" ] && TP=""
  local tdir="${CARGO_TARGET_DIR:-$ROOT/target}"
  # Cross targets build in their own target dir (as tests/cross/run.sh): cargo locks a whole
  # target dir, so a cross build never makes a host build wait (CI builds them alongside).
  CROSS_TDIR="${WB_CROSS_TARGET_DIR:-$tdir/cross}"
  if [ "$T" = "$HOST" ]; then OUT="$tdir/release"; else OUT="$CROSS_TDIR/$T/release"; fi
  # Native libraries a program linking the static archive needs (rustc --print
  # native-static-libs, plus the C++ runtime of the bundled OpenH264).
  case "$OS" in
    linux) STATIC_LIBS="-lstdc++ -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc" ;;
    windows) STATIC_LIBS="-Wl,-Bstatic -lstdc++ -Wl,-Bdynamic -lkernel32 -ladvapi32 -lbcrypt -lcrypt32 -lncrypt -lsecur32 -lntdll -luserenv -lws2_32 -lole32 -loleaut32 -lsynchronization" ;;
  esac
}

build_target() {
  local t="$1"
  [ "${DIST_NO_BUILD:-0}" = 1 ] && return 0  # package what is already built (CARGO_TARGET_DIR)
  if [ "$t" = "$HOST" ]; then
    nice -n 5 cargo build --release --lib --bin wandb-media --quiet
  else
    local up low v
    up="$(echo "$t" | tr 'a-z-' 'A-Z_')"
    low="${t//-/_}"
    # Cross linker / compilers unless the environment (or .cargo/config.toml) sets them.
    v="CARGO_TARGET_${up}_LINKER" && export "$v=${!v:-${TP}gcc}"
    v="CC_${low}" && export "$v=${!v:-${TP}gcc}"
    v="CXX_${low}" && export "$v=${!v:-${TP}g++}"
    # (the same variables as tests/cross/run.sh, so both share one build; libstdc++ is
    # linked statically into the Windows DLL by .cargo/config.toml)
    # WebM (feature `webm`) links the build machine's libvpx: cross bundles are built
    # without it (WB_VIDEO_WEBM is WB_ERR_UNSUPPORTED there), like tests/cross/run.sh.
    CARGO_TARGET_DIR="$CROSS_TDIR" nice -n 5 cargo build --release --quiet --target "$t" --no-default-features --features h264-source \
      --lib --bin wandb-media
  fi
}

# The static archive with every non-wb_* symbol made local: one relocatable object
# (ld -r of the whole archive), then objcopy --keep-global-symbols. The bundled zlib,
# OpenH264 and the Rust standard library can then never clash with (or be replaced by) the
# same names in the program that links us. gcc-ar: plain `ar` may load an LLVM linker
# plugin that cannot read Rust's objects.
localize_static() {  # localize_static IN.a OUT.a ; writes the wb_* export list to $KEEP
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/wb-dist-ar.XXXXXX")"
  if [ "$OS" = windows ]; then
    localize_static_coff "$1" "$2" "$work"
  else
    "${TP}ld" -r --whole-archive "$1" -o "$work/all.o"
    readelf -sW "$work/all.o" 2>/dev/null | awk '$5=="GLOBAL" && $7!="UND" {print $8}' | grep '^wb_' | sort -u >"$KEEP"
    [ -s "$KEEP" ] || { echo "dist: no wb_* symbols in $1" >&2; exit 1; }
    "${TP}objcopy" --strip-debug --remove-section=.llvm_addrsig --keep-global-symbols="$KEEP" \
      "$work/all.o" "$work/wandb_media.o"
    rm -f "$2"
    "${TP}gcc-ar" rcs "$2" "$work/wandb_media.o"
  fi
  rm -rf "$work"
}

# Windows (COFF): GNU ld -r drops COMDAT definitions (C++ inline functions of OpenH264) and
# chokes on the import stubs Rust puts in the archive, so the partial link above is not
# possible. Instead every global symbol the archive defines, other than wb_*, is renamed
# into a private namespace (__wandb_media_MAJOR_MINOR_<name>) consistently in all members:
# deflate, crc32, WelsCreateSVCEncoder, rust_eh_personality … can then never meet the
# program's own. Members are extracted with their duplicates (packaging/ar_extract.py);
# split-DWARF .dwo members are dropped.
localize_static_coff() {  # IN.a OUT.a WORK
  python3 "$ROOT/packaging/ar_extract.py" "$1" "$3/m" >"$3/members"
  rm -f "$3/clean.a" "$2"
  grep -v '\.dwo$' "$3/members" | xargs "${TP}gcc-ar" qc "$3/clean.a"
  "${TP}gcc-nm" -g --defined-only "$3/clean.a" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u >"$3/defs"
  grep '^wb_' "$3/defs" >"$KEEP" || { echo "dist: no wb_* symbols in $1" >&2; exit 1; }
  grep -v '^wb_' "$3/defs" | awk -v p="__wandb_media_${MAJOR}_${MINOR}_" '{print $1, p $1}' >"$3/map"
  "${TP}objcopy" --strip-debug --redefine-syms="$3/map" "$3/clean.a" "$2"
  "${TP}gcc-ar" s "$2"
}

subst() {  # subst TEMPLATE OUT
  sed -e "s|@VERSION@|$VERSION|g" -e "s|@MAJOR@|$MAJOR|g" -e "s|@MINOR@|$MINOR|g" \
    -e "s|@TARGET@|$T|g" -e "s|@STATIC_LIBS@|$STATIC_LIBS|g" \
    -e "s|@STATIC_LIBS_CMAKE@|$(echo "$STATIC_LIBS" | sed -e 's/-l//g' -e 's/ /;/g')|g" "$1" >"$2"
  chmod 644 "$2"
}

archive() {  # archive STAGE_PARENT NAME -> NAME.tar.gz, NAME.zip (reproducible: sorted, fixed mtime/owner)
  local mtime
  mtime="$(git log -1 --format=%cI 2>/dev/null || echo 2026-01-01T00:00:00Z)"
  tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -czf "$DIST/$2.tar.gz" "$2"
  rm -f "$DIST/$2.zip"
  (cd "$1" && find "$2" -print0 | LC_ALL=C sort -z | xargs -0 touch -h -d "$mtime" &&
    find "$2" | LC_ALL=C sort | zip -q -X -y "$DIST/$2.zip" -@)
}

mkdir -p "$DIST"
for T in "${TARGETS[@]}"; do
  target_facts "$T"
  echo "== dist $T"
  build_target "$T"
  NAME="wandb_media-$VERSION-$T"
  STAGE="$DIST/stage"
  B="$STAGE/$NAME"
  KEEP="$STAGE/$NAME.exports"
  rm -rf "$B" "$STAGE/$NAME-debug"
  mkdir -p "$B/include" "$B/lib/pkgconfig" "$B/lib/cmake/wandb_media" "$STAGE/$NAME-debug"
  install -m 644 include/wandb_media.h bindings/cpp/include/wandb_media.hpp "$B/include/"
  install -d "$B/include/wandb_media"
  install -m 644 bindings/cpp/include/wandb_media/*.hpp "$B/include/wandb_media/"
  install -m 644 LICENSE "$B/"
  python3 packaging/notices.py "$T" "$B/THIRD_PARTY_NOTICES"
  localize_static "$OUT/libwandb_media.a" "$B/lib/libwandb_media.a"
  if [ "$OS" = linux ]; then
    so="libwandb_media.so.$VERSION"
    "${TP}objcopy" --only-keep-debug "$OUT/libwandb_media.so" "$STAGE/$NAME-debug/$so.debug"
    "${TP}objcopy" --strip-all --add-gnu-debuglink="$STAGE/$NAME-debug/$so.debug" \
      "$OUT/libwandb_media.so" "$B/lib/$so"
    chmod 755 "$B/lib/$so"
    ln -s "$so" "$B/lib/libwandb_media.so.$MAJOR"
    ln -s "libwandb_media.so.$MAJOR" "$B/lib/libwandb_media.so"
  else
    mkdir -p "$B/bin"
    "${TP}objcopy" --only-keep-debug "$OUT/wandb_media.dll" "$STAGE/$NAME-debug/wandb_media.dll.debug"
    "${TP}objcopy" --strip-all --add-gnu-debuglink="$STAGE/$NAME-debug/wandb_media.dll.debug" \
      "$OUT/wandb_media.dll" "$B/bin/wandb_media.dll"
    { echo "LIBRARY wandb_media.dll"; echo "EXPORTS"; sed 's/^/    /' "$KEEP"; } >"$B/lib/wandb_media.def"
    # MSVC import library (link.exe reads it; the DLL has a plain C ABI, so any MSVC
    # runtime (/MD, /MT, debug or not) works) and the mingw one.
    "${TP}dlltool" --input-def "$B/lib/wandb_media.def" --dllname wandb_media.dll --output-lib "$B/lib/wandb_media.lib"
    install -m 644 "$OUT/libwandb_media.dll.a" "$B/lib/libwandb_media.dll.a"
  fi
  # The CLI (its name is in every "upload it later with `wandb-media sync …`" message).
  exe=""
  [ "$OS" = windows ] && exe=.exe
  mkdir -p "$B/bin"
  "${TP}objcopy" --only-keep-debug "$OUT/wandb-media$exe" "$STAGE/$NAME-debug/wandb-media$exe.debug"
  "${TP}objcopy" --strip-all --add-gnu-debuglink="$STAGE/$NAME-debug/wandb-media$exe.debug" \
    "$OUT/wandb-media$exe" "$B/bin/wandb-media$exe"
  chmod 755 "$B/bin/wandb-media$exe"
  subst packaging/dist/wandb_media.pc.in "$B/lib/pkgconfig/wandb_media.pc"
  subst packaging/dist/wandb_mediaConfig.cmake.in "$B/lib/cmake/wandb_media/wandb_mediaConfig.cmake"
  subst packaging/cmake/wandb_mediaConfigVersion.cmake.in "$B/lib/cmake/wandb_media/wandb_mediaConfigVersion.cmake"
  subst packaging/dist/README.txt.in "$B/README.txt"
  (cd "$B" && find . \( -type f -o -type l \) ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' |
    xargs sha256sum >SHA256SUMS)
  archive "$STAGE" "$NAME"
  tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$(git log -1 --format=%cI)" -czf "$DIST/$NAME-debug.tar.gz" "$NAME-debug"

  # Go module tree (what a release publishes): sources + this target's static archive.
  G="$DIST/go-module"
  if [ ! -f "$G/.wb-version" ] || [ "$(cat "$G/.wb-version")" != "$VERSION" ]; then rm -rf "$G"; fi
  mkdir -p "$G/include" "$G/lib/$GOARCH_DIR"
  find "$G" -mindepth 1 -maxdepth 1 ! -name lib -exec rm -rf {} +
  cp -a bindings/go/. "$G/"
  rm -f "$G/link_shared.go" "$G/link_static.go"
  mkdir -p "$G/include"
  install -m 644 packaging/go/link_prebuilt.go "$G/"
  install -m 644 include/wandb_media.h "$G/include/"
  install -m 644 LICENSE "$G/"
  install -m 644 "$B/THIRD_PARTY_NOTICES" "$G/lib/$GOARCH_DIR/THIRD_PARTY_NOTICES"
  install -m 644 "$B/lib/libwandb_media.a" "$G/lib/$GOARCH_DIR/libwandb_media.a"
  echo "$VERSION" >"$G/.wb-version"
  rm -f "$KEEP"
done
(cd "$DIST" && sha256sum wandb_media-"$VERSION"-*.tar.gz wandb_media-"$VERSION"-*.zip >SHA256SUMS)
echo "dist: $(ls "$DIST" | grep -c "^wandb_media-$VERSION-.*[^g]\.tar\.gz$") bundle(s) in $DIST:"
ls -l "$DIST" | grep "wandb_media-$VERSION"
