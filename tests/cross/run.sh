#!/usr/bin/env bash
# Cross builds that RUN (issue 12 item 2): the library built for another platform, and on it
# the C tests (tests/c), the compat driver over the whole public suite (compared with
# ../shared/compat/compare.py run natively on the outputs: same PNG/WAV/JSON bytes as on
# x86-64 Linux) and the offline-run test (tests/run/c/run_writer.c writing a run whose
# .wandb log the real `wandb` CLI on the host reads, next to wandb 0.31's run of the same rows).
#
#   windows  x86_64-pc-windows-gnu: Debian's mingw-w64, run under Debian's wine (wine64);
#            produces wandb_media.dll, libwandb_media.dll.a (GNU import library),
#            wandb_media.def and wandb_media.lib (import library for MSVC's link.exe, made
#            from the .def by dlltool) in target/cross/x86_64-pc-windows-gnu/release/
#   arm64    aarch64-unknown-linux-gnu: Debian's aarch64 cross gcc, run under qemu-user
#   check    `cargo check` for all five targets (incl. x86_64-pc-windows-msvc and both
#            macOS targets, which cannot be linked here; see README "Platforms")
#
# Usage: tests/cross/run.sh [windows] [arm64] [check] [build]   (default: the first three;
# build: only the Windows and ARM64 builds, e.g. ahead of time in the background)
# Installs what it needs (apt packages, rustup targets) if missing.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
shared="${SHARED:-$here/../shared}"
# Cross builds in their own target dir (as packaging/dist.sh): cargo locks a whole target
# dir, so they never make a host build wait (CI builds them alongside make test).
target_dir="${WB_CROSS_TARGET_DIR:-${CARGO_TARGET_DIR:-$here/target}/cross}"
export CARGO_TARGET_DIR="$target_dir"
work="$target_dir/cross-work"
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(check windows arm64)
declare -A passed failed
fail_list=()

note_pass() { passed[$1]=$(( ${passed[$1]:-0} + 1 )); echo "-- $1 $2: PASS"; }
note_fail() { failed[$1]=$(( ${failed[$1]:-0} + 1 )); fail_list+=("$1:$2"); echo "-- $1 $2: FAIL"; }

# --- dependencies (idempotent) ------------------------------------------------------------
apt_need=()
need() { command -v "$1" >/dev/null || apt_need+=("${@:2}"); }
[[ " ${what[*]} " == *" build "* ]] && what+=(windows arm64)
for w in "${what[@]}"; do
    case "$w" in
    windows) need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64
             need x86_64-w64-mingw32-g++ g++-mingw-w64-x86-64
             need wine wine64 wine ;;
    arm64)   need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
             need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
             need qemu-aarch64 qemu-user ;;
    check)   need clang clang
             need llvm-ar llvm
             need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64
             need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu g++-aarch64-linux-gnu ;;
    esac
done
command -v nasm >/dev/null || apt_need+=(nasm)
if [ ${#apt_need[@]} -gt 0 ]; then
    echo "== apt-get install ${apt_need[*]}"
    for i in 1 2 3 4 5 6; do   # apt has a lock: another install may be running
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_need[@]}") && break
        echo "apt busy, retrying in 20 s"; sleep 20
    done
fi
targets=()
for w in "${what[@]}"; do
    case "$w" in
    windows) targets+=(x86_64-pc-windows-gnu) ;;
    arm64) targets+=(aarch64-unknown-linux-gnu) ;;
    check) targets+=(x86_64-pc-windows-gnu x86_64-pc-windows-msvc aarch64-unknown-linux-gnu aarch64-apple-darwin x86_64-apple-darwin) ;;
    esac
done
installed="$(rustup target list --installed)"
for t in $(printf '%s\n' "${targets[@]}" | sort -u); do
    grep -qx "$t" <<<"$installed" || rustup target add "$t" || exit 1
done

# --- toolchain environment per target ----------------------------------------------------
# windows-gnu / aarch64-linux: the Debian cross gcc links and compiles the C/C++ (zlib, ring,
# OpenH264 with its assembly). msvc/darwin (check only): their C headers (MSVC CRT/Windows
# SDK, Xcode SDK) cannot be installed here, so build scripts get tests/cross/stub-cc, which
# writes empty objects: all Rust code is type-checked for the target, no C is compiled.
# Those checks use `--no-default-features --features h264-dynamic` (no OpenH264 C++ source).
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# The same CC_/CXX_ values as packaging/dist.sh: build scripts rerun (and everything after
# them rebuilds) when these variables change, so both must set them alike to share one build.
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++
for t in x86_64_pc_windows_msvc x86_64_apple_darwin aarch64_apple_darwin; do
    export "CC_$t=$here/tests/cross/stub-cc" "AR_$t=llvm-ar"
done
export WANDB_MODE=offline
features_for() {
    case "$1" in
    *-msvc|*-apple-*) echo "--no-default-features --features h264-dynamic" ;;
    # WebM (feature `webm`) links the build machine's libvpx: not for cross targets.
    *) echo "--no-default-features --features h264-source" ;;
    esac
}

# --- compat venv (same as `make test-compat`) and run venv (tests/run/run.sh) -------------
compat_py() {
    [ -x "$here/.venv-compat/bin/python" ] || make -s .venv-compat/.ok SHARED="$shared" >/dev/null || return 1
    echo "$here/.venv-compat/bin/python"
}

# Runs the compat suite with DRIVER (a command prefix) and compares natively.
compat() {  # label, driver command…
    local label="$1"; shift
    local py out="$work/$label/compat-out"
    py="$(compat_py)" || { note_fail "$label" compat; return; }
    rm -rf "$out"; mkdir -p "$out"
    "$@" "$shared/compat/cases" "$out" >"$work/$label/compat-driver.log" 2>&1
    local rc=$?
    "$py" "$shared/compat/compare.py" "$shared/compat/expected" "$out" >"$work/$label/compat.log" 2>&1
    local crc=$? fails
    fails="$(grep '^FAIL' "$work/$label/compat.log")"
    if [ $crc -eq 0 ] && [ $rc -eq 0 ]; then
        note_pass "$label" "compat ($(tail -1 "$work/$label/compat.log"))"
    elif [ "$label" = windows ] && [ $rc -eq 0 ] && [ "$(grep -c . <<<"$fails")" -eq 1 ] \
        && grep -q '^FAIL keys_special: .*Please remove invalid filename characters' <<<"$fails"; then
        # keys `sp ace:?*` etc. cannot be Windows file names: the SDK on Windows raises
        # ValueError with this message, and so do we; every other case is byte-identical.
        note_pass "$label" "compat ($(tail -1 "$work/$label/compat.log"); keys_special rejected as by the SDK on Windows)"
    else
        grep -v '^PASS' "$work/$label/compat.log" | tail -15
        tail -5 "$work/$label/compat-driver.log"
        note_fail "$label" "compat ($(tail -1 "$work/$label/compat.log"), driver rc $rc)"
    fi
}

# The offline-run check: RUNDIR written by the cross-built run_writer vs wandb 0.31's run.
offline_run() {  # label, run dir (host path)
    local label="$1" c_dir="$2"
    local venv="${WBM_RUN_VENV:-$here/.venv-run}"
    if [ ! -x "$venv/bin/wandb" ]; then
        tests/run/run.sh proto >/dev/null 2>&1   # creates the pinned venv
    fi
    [ -x "$venv/bin/wandb" ] || { note_fail "$label" "offline-run (no .venv-run)"; return; }
    local pyw="$work/$label/py"
    rm -rf "$pyw"; mkdir -p "$pyw"
    local py_dir
    py_dir="$(cd "$work/$label" && WANDB_SILENT=true WANDB_DISABLE_CODE=true \
        WANDB_CONFIG_DIR="$work/$label/wandb-config" "$venv/bin/python" "$here/tests/run/same_rows.py" "$pyw" 2>/dev/null | tail -1)"
    if WANDB_SILENT=true WANDB_CONFIG_DIR="$work/$label/wandb-config" \
        "$venv/bin/python" tests/run/check_run.py basic "$c_dir" "$py_dir" >"$work/$label/run.log" 2>&1; then
        note_pass "$label" "offline-run (wandb CLI reads the log; rows as wandb 0.31's)"
    else
        tail -15 "$work/$label/run.log"
        note_fail "$label" offline-run
    fi
}

build() {  # target: library + compat driver, release
    local t="$1"
    echo "== cargo build --release --target $t"
    nice -n 5 cargo build --quiet --release --target "$t" --lib --bin wb-compat-driver $(features_for "$t")
}

# (cross builds have no WebM: features_for)
ctest_cflags=(-std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude -DWB_TEST_EXPECT_NO_WEBM "-DEXPECTED_VERSION=\"$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)\"")
fixtures() {  # the tests open tests/data/… relative to their working directory
    mkdir -p "$1/tests/data" && cp -r tests/data/h264 "$1/tests/data/"
}

# --- x86_64-pc-windows-gnu under wine ------------------------------------------------------
windows() {
    local t=x86_64-pc-windows-gnu label=windows
    local rel="$target_dir/$t/release" bin="$work/windows"
    mkdir -p "$bin"
    if ! build "$t"; then note_fail $label build; return; fi
    # the .def (exports of the DLL) and an MSVC import library made from it
    {
        echo "LIBRARY wandb_media.dll"
        echo "EXPORTS"
        x86_64-w64-mingw32-objdump -p "$rel/wandb_media.dll" \
            | awk '/\[Ordinal\/Name Pointer\] Table/{on=1; next} on && /^[ \t]*\[/{print "    " $NF; next} on && NF==0{on=0}'
    } >"$rel/wandb_media.def"
    x86_64-w64-mingw32-dlltool -d "$rel/wandb_media.def" -D wandb_media.dll -l "$rel/wandb_media.lib" -m i386:x86-64
    local nexp nwb
    nexp=$(grep -c '^    ' "$rel/wandb_media.def"); nwb=$(grep -c '^    wb_' "$rel/wandb_media.def")
    local nhdr
    nhdr=$(grep -oE '\bwb_[a-z0-9_]+\(' include/wandb_media.h | sort -u | wc -l)
    if [ -s "$rel/libwandb_media.dll.a" ] && [ -s "$rel/wandb_media.lib" ] && [ "$nexp" -eq "$nwb" ] && [ "$nwb" -eq "$nhdr" ]; then
        note_pass $label "artefacts (dll, import libs, .def: $nwb exports, all wb_*, = header's $nhdr functions)"
    else
        note_fail $label "artefacts (exports $nexp, wb_* $nwb, header functions $nhdr)"
        grep -v '^    wb_' "$rel/wandb_media.def" | head
    fi
    export WINEPREFIX="$target_dir/cross-wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    if [ ! -e "$WINEPREFIX/system.reg" ]; then
        echo "== wineboot (first use of $WINEPREFIX)"
        timeout 300 wineboot -i >/dev/null 2>&1
    fi
    # The DLL must need system DLLs only: the mingw C++ runtime, libgcc and winpthread are
    # linked in statically (.cargo/config.toml), so users ship wandb_media.dll alone.
    local imports
    imports="$(x86_64-w64-mingw32-objdump -p "$rel/wandb_media.dll" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -u | tr '\n' ' ')"
    if grep -qiE 'libstdc|libgcc|libwinpthread|mingw' <<<"$imports"; then
        note_fail $label "self-contained DLL (imports: $imports)"
    else
        note_pass $label "self-contained DLL (imports only: $imports)"
    fi
    # DLLs next to the executables (Windows' search order): ours only, plus the
    # bcryptprimitives.dll stand-in that wine 8.0 lacks (tests/cross/bcryptprimitives.c;
    # Windows 10+ has the real one)
    rm -f "$bin"/lib*.dll
    cp "$rel/wandb_media.dll" "$bin/"
    fixtures "$bin"
    x86_64-w64-mingw32-gcc -O2 -shared -o "$bin/bcryptprimitives.dll" tests/cross/bcryptprimitives.c -lbcrypt \
        || { note_fail $label "bcryptprimitives stand-in"; return; }
    # C tests
    for src in tests/c/*.c; do
        local name; name=$(basename "$src" .c)
        # winpthread linked statically: the test executables need no mingw DLLs either
        if ! x86_64-w64-mingw32-gcc "${ctest_cflags[@]}" -include tests/cross/posix_shim.h "$src" \
            -o "$bin/$name.exe" -L"$rel" -lwandb_media -lm -Wl,-Bstatic -lpthread -Wl,-Bdynamic; then note_fail $label "$name (compile)"; continue; fi
        if (cd "$bin" && timeout 600 wine "./$name.exe" >"$bin/$name.log" 2>&1); then
            note_pass $label "$name ($(grep -ciE 'pass|ok' "$bin/$name.log") ok lines)"
        else
            tail -20 "$bin/$name.log"; note_fail $label "$name"
        fi
    done
    # compat driver (the Rust driver binary calls only the C ABI; statically linked rlib)
    cp "$rel/wb-compat-driver.exe" "$bin/"
    compat $label env -C "$bin" timeout 1800 wine ./wb-compat-driver.exe
    # offline run
    if x86_64-w64-mingw32-gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -include tests/cross/posix_shim.h \
        tests/run/c/run_writer.c -o "$bin/run_writer.exe" -L"$rel" -lwandb_media -lm -Wl,-Bstatic -lpthread -Wl,-Bdynamic; then
        rm -rf "$work/windows/run"
        local out
        out="$(cd "$bin" && timeout 600 wine ./run_writer.exe basic "$work/windows/run" 2>"$bin/run_writer.log" | tr -d '\r' | tr '\\' '/' | sed 's|^[A-Za-z]:||')"
        if [ -n "$out" ] && [ -d "$out" ]; then
            [ -e "$work/windows/run/wandb/latest-run" ] && echo "note: latest-run exists (the SDK makes none on Windows)"
            offline_run $label "$out"
        else
            cat "$bin/run_writer.log" | tail; note_fail $label "offline-run (writer: '$out')"
        fi
    else note_fail $label "offline-run (compile)"; fi
}

# --- aarch64-unknown-linux-gnu under qemu-user ----------------------------------------------
arm64() {
    local t=aarch64-unknown-linux-gnu label=arm64
    local rel="$target_dir/$t/release" bin="$work/arm64"
    mkdir -p "$bin"
    if ! build "$t"; then note_fail $label build; return; fi
    local qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    fixtures "$bin"
    ln -sf libwandb_media.so "$rel/libwandb_media.so.$(sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -1)"
    for src in tests/c/*.c; do
        local name; name=$(basename "$src" .c)
        if ! aarch64-linux-gnu-gcc "${ctest_cflags[@]}" "$src" -o "$bin/$name" -L"$rel" -lwandb_media -lm; then
            note_fail $label "$name (compile)"; continue; fi
        if (cd "$bin" && LD_LIBRARY_PATH="$rel" timeout 900 "${qemu[@]}" "./$name" >"$bin/$name.log" 2>&1); then
            note_pass $label "$name ($(grep -ciE 'pass|ok' "$bin/$name.log") ok lines)"
        else
            tail -20 "$bin/$name.log"; note_fail $label "$name"
        fi
    done
    compat $label env LD_LIBRARY_PATH="$rel" timeout 1800 "${qemu[@]}" "$rel/wb-compat-driver"
    if aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/run/c/run_writer.c \
        -o "$bin/run_writer" -L"$rel" -lwandb_media -lm -lpthread; then
        rm -rf "$work/arm64/run"
        local out
        out="$(cd "$bin" && LD_LIBRARY_PATH="$rel" timeout 600 "${qemu[@]}" ./run_writer basic "$work/arm64/run" 2>"$bin/run_writer.log")"
        if [ -n "$out" ] && [ -d "$out" ]; then offline_run $label "$out"
        else tail "$bin/run_writer.log"; note_fail $label "offline-run (writer: '$out')"; fi
    else note_fail $label "offline-run (compile)"; fi
}

# --- cargo check on every supported target ---------------------------------------------------
check() {
    # windows-gnu and aarch64-linux are type-checked by their full builds when those run.
    local ts=(x86_64-pc-windows-msvc aarch64-apple-darwin x86_64-apple-darwin)
    [[ " ${what[*]} " == *" windows "* ]] || ts+=(x86_64-pc-windows-gnu)
    [[ " ${what[*]} " == *" arm64 "* ]] || ts+=(aarch64-unknown-linux-gnu)
    for t in "${ts[@]}"; do
        if nice -n 5 cargo check --quiet --release --lib --target "$t" $(features_for "$t") >"$work/check-$t.log" 2>&1; then
            note_pass check "$t $(features_for "$t")"
        else
            tail -20 "$work/check-$t.log"; note_fail check "$t"
        fi
    done
}

mkdir -p "$work"
if [[ " ${what[*]} " == *" build "* ]]; then
    rc=0
    for t in x86_64-pc-windows-gnu aarch64-unknown-linux-gnu; do build "$t" || rc=1; done
    exit $rc
fi
for w in "${what[@]}"; do
    start=$SECONDS
    case "$w" in
    windows) windows ;;
    arm64) arm64 ;;
    check) check ;;
    *) echo "unknown: $w"; exit 2 ;;
    esac
    echo "== $w: ${passed[$w]:-0} passed, ${failed[$w]:-0} failed ($((SECONDS - start)) s)"
done
if [ ${#fail_list[@]} -gt 0 ]; then
    echo "cross: FAILED: ${fail_list[*]}"
    exit 1
fi
echo "cross: all passed"
