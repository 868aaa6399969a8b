#!/usr/bin/env bash
# Reading against the SDK (issue 21), with wandb 0.31 (.venv-compat + difffuzz pins):
# 1. sdk.py logs media, lists, a table and plain values into an offline run and builds an
#    artifact directory (dataset table with image/audio/boxes/masks/classes cells), and
#    dumps what the SDK's own from_json reads from both;
# 2. read_dump (C) reads the same row and artifact through wb_value_from_wandb_json /
#    wb_artifact_get and prints the same dump: compared line by line (pixels, samples, bins,
#    cells, column types);
# 3. write_table (C) saves a table as an artifact directory; the SDK's Table.from_json and
#    the C reader must read the same values;
# 4. the C++ and Go wrappers read the SDK's artifact (tests/fromjson/read.cpp, read_go).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
py="${COMPAT_VENV:-.venv-compat}/bin/python"
work=target/fromjson
rm -rf "$work"
mkdir -p "$work"
export WANDB_MODE=offline WANDB_SILENT=true WANDB_DATA_DIR="$here/$work/data" \
  WANDB_CACHE_DIR="$here/$work/cache" WANDB_CONFIG_DIR="$here/$work/config"
CC="${CC:-cc}"
LIBS=(-Ltarget/release "-Wl,-rpath,$here/target/release" -lwandb_media -lm)
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/read_dump.c -o "$work/read_dump" "${LIBS[@]}"
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/write_table.c -o "$work/write_table" "${LIBS[@]}"

"$py" tests/fromjson/sdk.py write "$work" 2> >(grep -v '^wandb:' >&2)
"$work/read_dump" "$work/row.json" "$(cat "$work/files_dir.txt")" "$work/art" eval >"$work/c.txt"
status=0
"$py" tests/fromjson/sdk.py compare "$work/expected.txt" "$work/c.txt" || status=1

"$work/write_table" "$work/cart"
"$work/read_dump" --artifact "$work/cart" preds art.preds >"$work/c_preds.txt"
"$py" tests/fromjson/sdk.py dump-artifact "$work/cart" preds art.preds >"$work/sdk_preds.txt"
"$py" tests/fromjson/sdk.py compare "$work/sdk_preds.txt" "$work/c_preds.txt" || status=1

# The artifact part of the SDK dump, for the wrappers.
grep '^art\.eval' "$work/expected.txt" >"$work/expected_art.txt"
if [ -x tests/fromjson/wrappers.sh ]; then
  tests/fromjson/wrappers.sh "$work" || status=1
fi
[ "$status" = 0 ] && echo "fromjson: all comparisons passed"
exit "$status"
