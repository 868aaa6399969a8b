#!/usr/bin/env bash
# Installs wandb-media into PREFIX:
#   PREFIX/include/wandb_media.h, wandb_media.hpp           C header + C++17 wrapper
#   PREFIX/LIBDIR/libwandb_media.so.X.Y.Z (+ .so.X, .so)     shared library (SONAME .so.X)
#   PREFIX/LIBDIR/libwandb_media.a                           static library
#   PREFIX/LIBDIR/pkgconfig/wandb_media.pc                   pkg-config
#   PREFIX/LIBDIR/cmake/wandb_media/                         find_package(wandb_media CONFIG)
#
# Usage: scripts/install.sh PREFIX [--no-build]
#   env LIBDIR   library dir relative to PREFIX (default: lib)
#       DESTDIR  staging root (files go to $DESTDIR$PREFIX; paths inside stay PREFIX)
#       STRIP=1  strip debug info from the installed libraries
#       CARGO_TARGET_DIR  where cargo builds (default: target/)
set -euo pipefail

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: $0 PREFIX [--no-build]" >&2
  exit 2
fi
PREFIX="$1"
case "$PREFIX" in
  /*) ;;
  *) PREFIX="$(pwd)/$PREFIX" ;;
esac
PREFIX="${PREFIX%/}"
build=1
[ "${2:-}" = "--no-build" ] && build=0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REL="${CARGO_TARGET_DIR:-$ROOT/target}/release"
LIBDIR="${LIBDIR:-lib}"
LIBDIR="${LIBDIR#/}"
LIBDIR="${LIBDIR%/}"

if [ $build -eq 1 ]; then
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --lib
fi
for f in "$REL/libwandb_media.so" "$REL/libwandb_media.a" "$ROOT/include/wandb_media.h"; do
  [ -f "$f" ] || { echo "install.sh: missing $f (run cargo build --release)" >&2; exit 1; }
done

hdr="$ROOT/include/wandb_media.h"
MAJOR="$(sed -n 's/^#define WB_VERSION_MAJOR \([0-9]*\).*/\1/p' "$hdr")"
MINOR="$(sed -n 's/^#define WB_VERSION_MINOR \([0-9]*\).*/\1/p' "$hdr")"
VERSION="$(sed -n 's/^#define WB_VERSION_STRING "\(.*\)".*/\1/p' "$hdr")"
# Native libraries the static archive needs (Rust std on Linux/glibc; libstdc++ for the
# bundled OpenH264 encoder).
STATIC_LIBS="-lstdc++ -lvpx -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
STATIC_LIBS_CMAKE="stdc++;vpx;gcc_s;util;rt;pthread;m;dl;c"
# From LIBDIR/cmake/wandb_media back up to PREFIX.
PREFIX_REL="$(echo "$LIBDIR/cmake/wandb_media" | awk -F/ '{s=".."; for(i=2;i<=NF;i++) s=s"/.."; print s}')"

dest="${DESTDIR:-}$PREFIX"
lib="$dest/$LIBDIR"
install -d "$dest/include" "$lib/pkgconfig" "$lib/cmake/wandb_media"
install -m 644 "$hdr" "$ROOT/bindings/cpp/include/wandb_media.hpp" "$dest/include/"
install -m 755 "$REL/libwandb_media.so" "$lib/libwandb_media.so.$VERSION"
install -m 644 "$REL/libwandb_media.a" "$lib/libwandb_media.a"
if [ "${STRIP:-0}" = 1 ]; then
  strip --strip-debug "$lib/libwandb_media.so.$VERSION" "$lib/libwandb_media.a"
fi
ln -sfn "libwandb_media.so.$VERSION" "$lib/libwandb_media.so.$MAJOR"
ln -sfn "libwandb_media.so.$MAJOR" "$lib/libwandb_media.so"

subst() {  # subst TEMPLATE OUT
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@VERSION@|$VERSION|g" \
      -e "s|@MAJOR@|$MAJOR|g" -e "s|@MINOR@|$MINOR|g" -e "s|@PREFIX_REL@|$PREFIX_REL|g" \
      -e "s|@STATIC_LIBS@|$STATIC_LIBS|g" -e "s|@STATIC_LIBS_CMAKE@|$STATIC_LIBS_CMAKE|g" "$1" >"$2"
  chmod 644 "$2"
}
subst "$ROOT/packaging/pkgconfig/wandb_media.pc.in" "$lib/pkgconfig/wandb_media.pc"
subst "$ROOT/packaging/cmake/wandb_mediaConfig.cmake.in" "$lib/cmake/wandb_media/wandb_mediaConfig.cmake"
subst "$ROOT/packaging/cmake/wandb_mediaConfigVersion.cmake.in" "$lib/cmake/wandb_media/wandb_mediaConfigVersion.cmake"

echo "installed wandb_media $VERSION into $dest (libdir $LIBDIR)"
