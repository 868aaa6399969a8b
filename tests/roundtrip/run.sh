#!/usr/bin/env bash
# Round trip of everything the library writes (issue 21): every compat case (shared and
# extra) and the differential fuzzer's seed-1 300-case run go through
# tests/compat/driver --roundtrip: logged → read back (wb_value_from_wandb_json) → logged
# again → same row JSON, same files (bytes), equal values (see tests/compat/src/roundtrip.rs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
shared="${SHARED:-../shared}"
py="${COMPAT_VENV:-.venv-compat}/bin/python"
out=target/roundtrip
rm -rf "$out"
mkdir -p "$out"
status=0
tests/compat/driver "$shared/compat/cases" "$out/compat" --roundtrip 2>/dev/null | tee "$out/compat.log" || status=1
tests/compat/driver tests/compat/extra/cases "$out/extra" --roundtrip 2>/dev/null | tee "$out/extra.log" || status=1
"$py" -c "import sys; sys.path.insert(0, 'tests/difffuzz'); import gen, os; gen.gen_cases(1, 300, '$out/fz-cases', os.path.abspath('$shared'))"
tests/compat/driver "$out/fz-cases" "$out/fz" --roundtrip 2>/dev/null | tee "$out/fz.log" || status=1
# Every set must have passed cases (a driver that read nothing would print 0 passed).
for f in compat extra fz; do
  grep -Eq '^roundtrip: [1-9][0-9]* passed' "$out/$f.log" || { echo "roundtrip $f: nothing passed"; status=1; }
done
[ "$status" = 0 ] && echo "roundtrip: all sets passed"
exit "$status"
