# Shared helpers for tests/*/run.sh (sourced, not executed).
# Provides ROOT (repository root), LIBDIR (target/release), wb_build_lib, wb_apt_install PKG...

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LIBDIR="$CARGO_TARGET/release"

# Every Go build of the tests uses this checkout's own build cache, never the user's
# (issue 23): Go's cache key covers CGO_CFLAGS/CGO_LDFLAGS and the #cgo lines but NOT the
# output of `#cgo pkg-config` (nor the contents of the libraries cgo links), so after a
# user's `go build -tags wandb_pkgconfig` against an installed library, a test's
# pkg-config build against its own .pc was handed back that build (needing an installed
# libwandb_media.so.0 without an rpath). Builds in the pkg-config mode also pass the
# pkg-config output in CGO_CFLAGS/CGO_LDFLAGS (wb_go_pkgconfig_env), which puts it into the key.
export GOCACHE="${WB_TEST_GOCACHE:-$CARGO_TARGET/go-cache}"

# wb_go_pkgconfig_env PKG_CONFIG_DIR: prints `CGO_CFLAGS=… CGO_LDFLAGS=…` assignments
# (one per line) holding what `pkg-config wandb_media` answers there, for `env`.
wb_go_pkgconfig_env() {
  echo "PKG_CONFIG_PATH=$1"
  echo "CGO_CFLAGS=$(PKG_CONFIG_PATH="$1" pkg-config --cflags wandb_media)"
  echo "CGO_LDFLAGS=$(PKG_CONFIG_PATH="$1" pkg-config --libs wandb_media) ${2:-}"
}

# Builds target/release/libwandb_media.{so,a} and regenerates include/wandb_media.h.
# The cdylib's SONAME is libwandb_media.so.<major>: programs linked in-tree look for that
# name, so a symlink to it is created next to the library.
wb_build_lib() {
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --lib
  WB_MAJOR="$(sed -n 's/^#define WB_VERSION_MAJOR \([0-9]*\).*/\1/p' "$ROOT/include/wandb_media.h")"
  WB_VERSION="$(sed -n 's/^#define WB_VERSION_STRING "\(.*\)".*/\1/p' "$ROOT/include/wandb_media.h")"
  ln -sfn libwandb_media.so "$LIBDIR/libwandb_media.so.$WB_MAJOR"
}

_wb_apt_updated=0
# Installs Debian packages that are missing (runs apt-get update once per script).
wb_apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $_wb_apt_updated -eq 0 ]; then
    $sudo apt-get update -qq
    _wb_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}
