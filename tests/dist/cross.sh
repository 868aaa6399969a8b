# Sourced by tests/dist/run.sh for each cross bundle that `make dist` built:
#   cross_bundle TRIPLE
# Linux ARM64 runs under qemu-user, Windows x86-64 under wine. Checks: SHA256SUMS, layout,
# the CLI bin/wandb-media[.exe] (--version, --help under the emulator),
# only wb_* exported (static archive; .so dynamic symbols / DLL export table), the same
# FetchContent + find_package project cross-compiled and its C/C++ consumers (shared and
# static) run with their output checked; the Go consumer cross-compiled from the published
# module (no Rust) and run.
# Uses: T ROOT VERSION MAJOR MINOR DIST EXPECT ok bad check expect_row cmake_fetch GOENV_NORUST.

cross_bundle() {
  local triple="$1" tp runner goos goarch sysname proc exe="" w
  case "$triple" in
    aarch64-unknown-linux-gnu)
      tp=aarch64-linux-gnu- goos=linux goarch=arm64 sysname=Linux proc=aarch64
      command -v qemu-aarch64 >/dev/null || wb_apt_install qemu-user
      runner=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
    x86_64-pc-windows-gnu)
      tp=x86_64-w64-mingw32- goos=windows goarch=amd64 sysname=Windows proc=AMD64 exe=.exe
      command -v wine >/dev/null || wb_apt_install wine wine64
      export WINEPREFIX="${WINEPREFIX:-${WB_CROSS_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/cross}/cross-wine}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
      # wine wrapper: absolute Unix paths in the arguments become Windows paths.
      cat >"$T/winerun" <<'EOF2'
#!/usr/bin/env bash
exe="$1"; shift; args=()
for a in "$@"; do case "$a" in /*) args+=("$(winepath -w "$a" 2>/dev/null)") ;; *) args+=("$a") ;; esac; done
exec wine "$exe" "${args[@]}" 2>/dev/null
EOF2
      chmod +x "$T/winerun"
      runner=("$T/winerun")
      # Debian's wine lacks bcryptprimitives.dll (Rust std imports ProcessPrng from it): the
      # test stand-in of tests/cross.
      "${tp}gcc" -shared -O1 "$ROOT/tests/cross/bcryptprimitives.c" -o "$T/bcryptprimitives.dll" -lbcrypt -ladvapi32 || bad "[$triple] bcryptprimitives stand-in" ;;
    *) bad "cross_bundle: unknown $triple"; return ;;
  esac
  local bundle="$DIST/wandb_media-$VERSION-$triple.tar.gz"
  local X="$T/x-$triple" B
  B="$X/wandb_media-$VERSION-$triple"
  mkdir -p "$X" && tar -C "$X" -xzf "$bundle"
  check "[$triple] bundle SHA256SUMS verify" bash -c "cd '$B' && sha256sum -c --quiet SHA256SUMS"
  local files=(include/wandb_media.h include/wandb_media.hpp include/wandb_media/run.hpp lib/libwandb_media.a lib/pkgconfig/wandb_media.pc
    lib/cmake/wandb_media/wandb_mediaConfig.cmake LICENSE THIRD_PARTY_NOTICES)
  if [ "$goos" = windows ]; then
    files+=(bin/wandb_media.dll lib/wandb_media.lib lib/wandb_media.def lib/libwandb_media.dll.a)
  else
    files+=("lib/libwandb_media.so.$VERSION")
  fi
  files+=("bin/wandb-media$exe")
  for f in "${files[@]}"; do [ -f "$B/$f" ] && ok "[$triple] bundle has $f" || bad "[$triple] bundle lacks $f"; done
  # The CLI runs on its platform (qemu / wine): --version and --help.
  if [ -f "$B/bin/wandb-media$exe" ]; then
    mkdir -p "$T/cli-$triple"
    cp "$B/bin/wandb-media$exe" "$T/cli-$triple/"
    [ "$goos" != windows ] || cp "$T/bcryptprimitives.dll" "$T/cli-$triple/"
    local v
    v="$("${runner[@]}" "$T/cli-$triple/wandb-media$exe" --version 2>&1 | tr -d '\r' || true)"
    [ "$v" = "wandb-media $VERSION" ] && ok "[$triple] bin/wandb-media$exe --version = $v (${runner[0]##*/})" || bad "[$triple] wandb-media --version: $v"
    "${runner[@]}" "$T/cli-$triple/wandb-media$exe" --help 2>&1 | tr -d '\r' >"$T/cli-$triple/help.txt" || true
    has -F 'wandb-media sync [OPTIONS] DIR...' "$T/cli-$triple/help.txt" && ok "[$triple] wandb-media --help" || bad "[$triple] wandb-media --help: $(head -2 "$T/cli-$triple/help.txt")"
    "${tp}objdump" -h "$B/bin/wandb-media$exe" | has 'debug_info' && bad "[$triple] bin/wandb-media$exe not stripped" || ok "[$triple] bin/wandb-media$exe stripped"
  fi

  grep -q 'Independent JPEG Group' "$B/THIRD_PARTY_NOTICES" && grep -q 'Cisco Systems' "$B/THIRD_PARTY_NOTICES" &&
    ok "[$triple] notices: IJG + OpenH264" || bad "[$triple] notices"

  # Symbols.
  local hdr="$T/header.syms" asyms="$T/$triple.a.syms" dsyms="$T/$triple.dyn.syms"
  if [ "$goos" = windows ]; then
    "${tp}nm" -g --defined-only "$B/lib/libwandb_media.a" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u >"$asyms"
    "${tp}objdump" -p "$B/bin/wandb_media.dll" | awk '/\[Ordinal\/Name Pointer\] Table/ {t=1; next} t && NF==0 {t=0} t {print $NF}' | sort -u >"$dsyms"
    grep -qi 'debug_info' <("${tp}objdump" -h "$B/bin/wandb_media.dll") && bad "[$triple] DLL not stripped" || ok "[$triple] DLL stripped ($(stat -c %s "$B/bin/wandb_media.dll") bytes)"
    local imports
    imports="$("${tp}objdump" -p "$B/bin/wandb_media.dll" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')"
    if echo "$imports" | has -E 'libstdc\+\+|libgcc_s|libwinpthread|vcruntime|msvcp'; then
      bad "[$triple] DLL needs a compiler runtime DLL: $imports"
    else
      ok "[$triple] DLL imports only system DLLs: $imports"
    fi
  else
    readelf -sW "$B/lib/libwandb_media.a" 2>/dev/null | awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" {print $8}' | sort -u >"$asyms"
    readelf -sW --dyn-syms "$B/lib/libwandb_media.so.$VERSION" | awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" {print $8}' | sed 's/@.*//' | sort -u >"$dsyms"
  fi
  if [ "$goos" = windows ]; then
    # COFF: the archive's other globals are renamed into __wandb_media_MAJOR_MINOR_* (dist.sh).
    grep -v "^__wandb_media_${MAJOR}_${MINOR}_" "$asyms" >"$asyms.public"
    echo "     | $(grep -c "^__wandb_media_${MAJOR}_${MINOR}_" "$asyms") internal globals renamed into __wandb_media_${MAJOR}_${MINOR}_*"
    asyms="$asyms.public"
  fi
  diff "$hdr" "$asyms" >/dev/null && ok "[$triple] static archive: the only public globals are the header's wb_* ($(wc -l <"$asyms"))" ||
    bad "[$triple] static archive globals: $(diff "$hdr" "$asyms" | head -5 | tr '\n' ' ')"
  diff "$hdr" "$dsyms" >/dev/null && ok "[$triple] shared library exports only the header's wb_* ($(wc -l <"$dsyms"))" ||
    bad "[$triple] shared library exports: $(diff "$hdr" "$dsyms" | head -5 | tr '\n' ' ')"

  # A program with its own deflate/crc32/WelsCreateSVCEncoder/rust_eh_personality links the
  # archive and each side keeps its own code.
  local sl
  sl="$(sed -n 's/^Libs.private: //p' "$B/lib/pkgconfig/wandb_media.pc")"
  # shellcheck disable=SC2086
  if "${tp}gcc" -std=c11 -O1 -I"$B/include" "$ROOT/tests/dist/ownzlib.c" "$B/lib/libwandb_media.a" $sl \
    $([ "$goos" = windows ] && echo -static) -o "$T/ownzlib-$triple$exe" 2>"$T/oz.log"; then
    expect_row "[$triple] ownzlib: own deflate/crc32/WelsCreateSVCEncoder + our archive, PNG = reference (${runner[0]##*/})" \
      "${runner[@]}" "$T/ownzlib-$triple$exe"
  else
    tail -5 "$T/oz.log"
    bad "[$triple] link archive + program's own zlib names"
  fi

  # CMake: the same fresh project, cross-compiled.
  w="$T/cm-$triple"
  # The C++ wrapper uses std::mutex: mingw's g++ needs the posix thread model (GCC < 13).
  local cxx="${tp}g++"
  [ "$goos" = windows ] && command -v "${tp}g++-posix" >/dev/null && cxx="${tp}g++-posix"
  cat >"$T/$triple.toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME $sysname)
set(CMAKE_SYSTEM_PROCESSOR $proc)
set(CMAKE_C_COMPILER ${tp}gcc)
set(CMAKE_CXX_COMPILER $cxx)
set(CMAKE_EXE_LINKER_FLAGS_INIT "$([ "$goos" = windows ] && echo "-static-libgcc -static-libstdc++ -static")")
EOF
  if cmake_fetch "$bundle" "$w" "$triple" -DCMAKE_TOOLCHAIN_FILE="$T/$triple.toolchain.cmake"; then
    [ "$goos" = windows ] && cp "$B/bin/wandb_media.dll" "$T/bcryptprimitives.dll" "$w/"
    for e in c_consumer cpp_consumer c_static_consumer cpp_static_consumer; do
      if [ -f "$w/$e$exe" ]; then
        expect_row "[$triple] cmake $e (${runner[0]##*/})" "${runner[@]}" "$w/$e$exe"
      else
        bad "[$triple] cmake $e not built"
      fi
    done
  fi

  # Go: the published module, cross-compiled with cgo, run under the emulator.
  if [ -d "$DIST/go-module/lib/$goos-$goarch" ]; then
    local gexe="$T/goapp/wbconsumer-$goos-$goarch$exe"
    if (cd "$T/goapp" && "${GOENV_NORUST[@]}" GOOS=$goos GOARCH=$goarch CC="${tp}gcc" CXX="${tp}g++" \
      CGO_LDFLAGS="$([ "$goos" = windows ] && echo "-static")" go build -o "$gexe" . >"$T/go-$triple.log" 2>&1); then
      ok "[$triple] go build of the published module's consumer (GOOS=$goos GOARCH=$goarch, no Rust)"
      [ "$goos" = windows ] && cp "$T/bcryptprimitives.dll" "$T/goapp/"
      expect_row "[$triple] go consumer output (${runner[0]##*/})" "${runner[@]}" "$gexe"
    else
      tail -20 "$T/go-$triple.log"
      bad "[$triple] go build (GOOS=$goos GOARCH=$goarch)"
    fi
  else
    bad "[$triple] dist/go-module lacks lib/$goos-$goarch"
  fi
}
