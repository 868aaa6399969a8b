#!/usr/bin/env bash
# Installs wandb-media into PREFIX:
#   PREFIX/include/wandb_media.h, wandb_media.hpp           C header + C++17 wrapper
#   PREFIX/LIBDIR/libwandb_media.so.X.Y.Z (+ .so.X, .so)     shared library (SONAME .so.X)
#   PREFIX/LIBDIR/libwandb_media.a                           static library
#   PREFIX/LIBDIR/pkgconfig/wandb_media.pc                   pkg-config
#   PREFIX/LIBDIR/cmake/wandb_media/                         find_package(wandb_media CONFIG)
#   PREFIX/bin/wandb-media                                   the CLI (`wandb-media sync DIR`)
#   PREFIX/LIBDIR/.debug/libwandb_media.so.X.Y.Z.debug       debug info of the .so, and
#   PREFIX/bin/.debug/wandb-media.debug                      of the CLI (gdb finds them
#                                                            through .gnu_debuglink)
#
# Usage: scripts/install.sh PREFIX [--no-build]
#   env LIBDIR   library dir relative to PREFIX (default: lib)
#       DESTDIR  staging root (files go to $DESTDIR$PREFIX; paths inside stay PREFIX)
#       STRIP    1 (default): install stripped binaries (the .so and the CLI with their
#                debug info split off into .debug/ next to them, the .a without debug
#                info), as the bundles do; 0: install them as cargo built them (with debug info)
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
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --lib --bin wandb-media
fi
for f in "$REL/libwandb_media.so" "$REL/libwandb_media.a" "$REL/wandb-media" "$ROOT/include/wandb_media.h"; do
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
install -d "$dest/include" "$lib/pkgconfig" "$lib/cmake/wandb_media" "$dest/bin"
install -m 644 "$hdr" "$ROOT/bindings/cpp/include/wandb_media.hpp" "$dest/include/"
# the C++ wrapper's parts (wandb_media.hpp includes them)
install -d "$dest/include/wandb_media"
install -m 644 "$ROOT"/bindings/cpp/include/wandb_media/*.hpp "$dest/include/wandb_media/"
so="libwandb_media.so.$VERSION"
if [ "${STRIP:-1}" = 1 ]; then
  # As packaging/dist.sh does for the bundles: the debug info goes into a separate file that
  # gdb finds through .gnu_debuglink (it looks in the binary's own directory and in .debug/
  # below it); the installed .so and CLI keep only what the loader needs. The static archive
  # loses its debug sections (a program that links it is debugged with its own build).
  install -d "$lib/.debug" "$dest/bin/.debug"
  rm -f "$lib/.debug/$so.debug" "$dest/bin/.debug/wandb-media.debug"
  objcopy --only-keep-debug "$REL/libwandb_media.so" "$lib/.debug/$so.debug"
  objcopy --strip-all --add-gnu-debuglink="$lib/.debug/$so.debug" "$REL/libwandb_media.so" "$lib/$so.tmp"
  objcopy --only-keep-debug "$REL/wandb-media" "$dest/bin/.debug/wandb-media.debug"
  objcopy --strip-all --add-gnu-debuglink="$dest/bin/.debug/wandb-media.debug" "$REL/wandb-media" "$dest/bin/wandb-media.tmp"
  chmod 644 "$lib/.debug/$so.debug" "$dest/bin/.debug/wandb-media.debug"
  install -m 755 "$lib/$so.tmp" "$lib/$so" && rm -f "$lib/$so.tmp"
  install -m 755 "$dest/bin/wandb-media.tmp" "$dest/bin/wandb-media" && rm -f "$dest/bin/wandb-media.tmp"
  objcopy --strip-debug "$REL/libwandb_media.a" "$lib/libwandb_media.a.tmp"
  install -m 644 "$lib/libwandb_media.a.tmp" "$lib/libwandb_media.a" && rm -f "$lib/libwandb_media.a.tmp"
else
  install -m 755 "$REL/libwandb_media.so" "$lib/$so"
  install -m 755 "$REL/wandb-media" "$dest/bin/wandb-media"
  install -m 644 "$REL/libwandb_media.a" "$lib/libwandb_media.a"
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
