#!/usr/bin/env bash
# C++ binding tests: GoogleTest suite under ASan+UBSan, a -fno-exceptions build that runs,
# and a two-translation-unit ODR link test. Exits non-zero on any failure.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib-test-deps.sh"

wb_build_lib
command -v g++ >/dev/null || wb_apt_install g++
[ -f /usr/include/gtest/gtest.h ] || wb_apt_install libgtest-dev
# Debian's libgtest-dev ships prebuilt libgtest.a; very old ones only the sources.
if ! ls /usr/lib/*/libgtest.a /usr/lib/libgtest.a >/dev/null 2>&1; then
  wb_apt_install cmake
  (cd /usr/src/googletest && cmake -S . -B /tmp/gtest-build >/dev/null && cmake --build /tmp/gtest-build -j2 >/dev/null &&
    cp /tmp/gtest-build/lib/*.a /usr/lib/)
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/wb-cpp-tests.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
T="$ROOT/bindings/cpp/tests"
CXX="${CXX:-g++}"
WARN=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
INC=(-I"$ROOT/include" -I"$ROOT/bindings/cpp/include")
LINK=(-L"$LIBDIR" -lwandb_media -Wl,-rpath,"$LIBDIR" -pthread)
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0 passed=0
step() {  # step NAME CMD...
  echo "== $1"
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $*"; failed=$((failed + 1)); fi
}

step "gtest (ASan+UBSan) build" "$CXX" -std=c++17 -g -O1 "${WARN[@]}" "${SAN[@]}" "${INC[@]}" \
  -DWB_TEST_DATA_DIR="\"$ROOT/tests/data\"" "$T/wandb_media_test.cpp" -o "$OUT/gtest" -lgtest -lgtest_main "${LINK[@]}"
[ -x "$OUT/gtest" ] && step "gtest (ASan+UBSan) run" "$OUT/gtest" --gtest_brief=1

step "weave gtest (ASan+UBSan) build" "$CXX" -std=c++17 -g -O1 "${WARN[@]}" "${SAN[@]}" "${INC[@]}" \
  "$T/weave_test.cpp" -o "$OUT/weave_gtest" -lgtest -lgtest_main "${LINK[@]}"
[ -x "$OUT/weave_gtest" ] && step "weave gtest (ASan+UBSan) run" "$OUT/weave_gtest" --gtest_brief=1

step "-fno-exceptions build" "$CXX" -std=c++17 -g -O1 -fno-exceptions -fno-rtti "${WARN[@]}" "${SAN[@]}" "${INC[@]}" \
  "$T/noexcept_test.cpp" -o "$OUT/noexcept" "${LINK[@]}"
[ -x "$OUT/noexcept" ] && step "-fno-exceptions run" "$OUT/noexcept"

step "ODR two-TU build" "$CXX" -std=c++17 -g -O1 "${WARN[@]}" "${SAN[@]}" "${INC[@]}" \
  "$T/odr_a.cpp" "$T/odr_b.cpp" -o "$OUT/odr" "${LINK[@]}"
[ -x "$OUT/odr" ] && step "ODR two-TU run" "$OUT/odr"

# The header must also compile as C++20 and without sanitizers at -O2 (no warnings).
step "C++20 -O2 compile" "$CXX" -std=c++20 -O2 "${WARN[@]}" "${INC[@]}" -c "$T/odr_a.cpp" -o "$OUT/odr_a20.o"

echo "cpp: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
