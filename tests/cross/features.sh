#!/usr/bin/env bash
# The H.264 cargo features (issue 12 item 6), each built and checked through the C ABI:
#   source   default build (OpenH264 compiled from source): reference GIF/MP4 bytes
#   none     --no-default-features: MP4 → WB_ERR_UNSUPPORTED with a clear message (tensor
#            and streaming writer), GIF byte-identical to the default build's
#   dynamic  --no-default-features --features h264-dynamic, loading a source-built
#            libopenh264.so (standing in for Cisco's binary, which may not be downloaded
#            here): without WANDB_MEDIA_OPENH264_LIBRARY → UNSUPPORTED naming the variable;
#            an unknown binary without WANDB_MEDIA_OPENH264_ALLOW_UNKNOWN=1 → refused (hash
#            check); with it → MP4 byte-identical to the default build's, decoding to all 8
#            frames (imageio-ffmpeg), and the whole compat suite passes with that build
# Usage: tests/cross/features.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
shared="${SHARED:-$here/../shared}"
main_target="${CARGO_TARGET_DIR:-$here/target}"
# The variants are debug builds in the main target dir: they reuse the dependencies `make
# test-rust` built (only wandb_media itself recompiles, at opt-level 1) and leave the
# release library the other suites use untouched.
ft="$main_target"
work="$main_target/h264-features-work"
rm -rf "$work"; mkdir -p "$work"
export WANDB_MODE=offline
fails=0; passes=0
ok() { passes=$((passes + 1)); echo "-- features $1: PASS"; }
ko() { fails=$((fails + 1)); echo "-- features $1: FAIL"; }

# `make test-h264-features` builds the default library and the compat venv first.
[ -e "$main_target/release/libwandb_media.so" ] || { echo "run make build first"; exit 1; }
[ -x "$here/.venv-compat/bin/python" ] || make -s .venv-compat/.ok SHARED="$shared" >/dev/null || exit 1
py="$here/.venv-compat/bin/python"

build_variant() {  # name, cargo feature args…
    local name="$1"; shift
    echo "== cargo build (debug) $*"
    CARGO_TARGET_DIR="$ft" nice -n 5 cargo build --quiet --lib --bin wb-compat-driver "$@" || return 1
    mkdir -p "$work/$name"
    cp "$ft/debug/libwandb_media.so" "$work/$name/"
    ln -sf libwandb_media.so "$work/$name/libwandb_media.so.0"
    cp "$ft/debug/wb-compat-driver" "$work/$name/"
}
mkdir -p "$work/source"
cp "$main_target/release/libwandb_media.so" "$work/source/"
ln -sf libwandb_media.so "$work/source/libwandb_media.so.0"
build_variant none --no-default-features || exit 1
build_variant dynamic --no-default-features --features h264-dynamic || exit 1

# The stand-in for Cisco's libopenh264: the same OpenH264 sources the default build compiles
# (openh264-sys2's build output, position-independent), linked as a shared library.
out="$(ls -d "$main_target"/release/build/openh264-sys2-*/out 2>/dev/null | while read -r d; do
    [ -e "$d/libopenh264_encoder.a" ] && echo "$d"; done | head -1)"
[ -n "$out" ] || { echo "no openh264-sys2 build output under $main_target/release/build"; exit 1; }
lib="$work/libopenh264-standin.so"
c++ -shared -o "$lib" -Wl,--whole-archive "$out"/libopenh264_encoder.a "$out"/libopenh264_decoder.a \
    "$out"/libopenh264_processing.a "$out"/libopenh264_common.a -Wl,--no-whole-archive -lpthread || exit 1

for v in source none dynamic; do
    cc -std=c11 -O1 -Wall -Wextra -Werror -Iinclude tests/cross/h264_features.c -o "$work/$v/h264_features" \
        -L"$work/$v" -Wl,-rpath,"$work/$v" -lwandb_media -lm || exit 1
done
paths() { grep "^$1 " "$2" | cut -d' ' -f2-; }

# source (reference bytes)
"$work/source/h264_features" source "$work/source/files" >"$work/source/out" 2>"$work/source/err" \
    && ok "source build: GIF and MP4 encode" || { cat "$work/source/err"; ko source; }
ref_gif="$work/source/files/$(paths gif "$work/source/out")"
ref_mp4="$work/source/files/$(paths mp4 "$work/source/out")"

# none
if "$work/none/h264_features" none "$work/none/files" >"$work/none/out" 2>"$work/none/err"; then
    ok "none: MP4 → WB_ERR_UNSUPPORTED ($(grep '^mp4' "$work/none/err" | cut -c1-150)…)"
else cat "$work/none/err"; ko "none: statuses/messages"; fi
if cmp -s "$ref_gif" "$work/none/files/$(paths gif "$work/none/out")"; then ok "none: GIF byte-identical to the default build's"
else ko "none: GIF bytes"; fi

# dynamic: not configured, unknown binary refused, stand-in accepted
if env -u WANDB_MEDIA_OPENH264_LIBRARY "$work/dynamic/h264_features" dynamic-unset "$work/dynamic/f0" >/dev/null 2>"$work/dynamic/err0"; then
    ok "dynamic without the library: MP4 → WB_ERR_UNSUPPORTED naming WANDB_MEDIA_OPENH264_LIBRARY"
else cat "$work/dynamic/err0"; ko "dynamic without the library"; fi
if WANDB_MEDIA_OPENH264_LIBRARY="$lib" "$work/dynamic/h264_features" dynamic-unset "$work/dynamic/f1" >/dev/null 2>"$work/dynamic/err1" \
    && grep -q "only Cisco's published binaries" "$work/dynamic/err1"; then
    ok "dynamic, unknown binary without ALLOW_UNKNOWN: refused (hash check)"
else cat "$work/dynamic/err1"; ko "dynamic, unknown binary refused"; fi
export WANDB_MEDIA_OPENH264_LIBRARY="$lib" WANDB_MEDIA_OPENH264_ALLOW_UNKNOWN=1
if "$work/dynamic/h264_features" dynamic "$work/dynamic/files" >"$work/dynamic/out" 2>"$work/dynamic/err"; then
    ok "dynamic: MP4 through the runtime-loaded library"
else cat "$work/dynamic/err"; ko "dynamic encode"; fi
dyn_mp4="$work/dynamic/files/$(paths mp4 "$work/dynamic/out")"
if [ -s "$dyn_mp4" ] && cmp -s "$ref_mp4" "$dyn_mp4"; then ok "dynamic: MP4 byte-identical to the source build's"
else ko "dynamic: MP4 bytes"; fi
if "$py" -c '
import sys, imageio_ffmpeg
gen = imageio_ffmpeg.read_frames(sys.argv[1])
meta = next(gen)
n = sum(1 for _ in gen)
assert meta["size"] == (32, 24) and n == 8, (meta["size"], n)
' "$dyn_mp4"; then ok "dynamic: MP4 plays (ffmpeg decodes 8 frames of 32x24)"
else ko "dynamic: MP4 decode"; fi
rm -rf "$work/compat"
if "$work/dynamic/wb-compat-driver" "$shared/compat/cases" "$work/compat" >"$work/compat-driver.log" 2>&1 \
    && "$py" "$shared/compat/compare.py" "$shared/compat/expected" "$work/compat" >"$work/compat.log" 2>&1; then
    ok "dynamic: compat suite ($(tail -1 "$work/compat.log"))"
else grep -v '^PASS' "$work/compat.log" | tail; ko "dynamic: compat suite"; fi
unset WANDB_MEDIA_OPENH264_LIBRARY WANDB_MEDIA_OPENH264_ALLOW_UNKNOWN

echo "features: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
